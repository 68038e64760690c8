"""绩效评价: recomputing each self-evaluation score from the rules (docs/rules.md).

Every indicator row of 绩效自评 keeps its place in the result — rows that cannot be scored carry an
empty 得分 and a 说明 saying why — and every score says how it came about (inputs, rule, the rulebook
parameter it used and that parameter's source).

A row that cannot be recomputed (blank or unreadable value, no 分值, units that do not compare) is never
a silent 0 (docs/rules.md): its points are left out of 可复算分值, the project's recomputation is
marked 待核实, its grade is provisional (the unit's own total, where there is one) and
:func:`perfkit.analyses.application.budget_proposal` proposes nothing beyond 维持 for it.

How each row's 指标值 and 实际完成值 are read is :mod:`perfkit.analyses.reading`; how numbers and text
are written into a 说明, :mod:`perfkit.analyses.wording`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from perfkit.analyses.reading import RESTATED, read_indicators, reading_cases
from perfkit.analyses.wording import fmt, fmt_date, joined_text, number_text, text_of
from perfkit.io.load import Dataset
from perfkit.io.values import lookup, with_values
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import Rulebook
from perfkit.rules.target_columns import combine_target_parts, shared_parsing
from perfkit.rules.targets import BAD, DATE, EMPTY, EQ, GE, LE, QUAL, Vocabulary

COMPLETE, PENDING = "完整", "待核实"  # 复算状态 (DATA_CONTRACT.md 项目得分.csv)
# the rulebook parameter whose source each scoring case cites in its 说明
CASE_RULE = {"fwd": "evaluation.forward_rule", "rev": "evaluation.reverse_rule", "eq": "evaluation.forward_rule",
             "range": "evaluation.range_above_rule", "date": "evaluation.deadline_late_share",
             "date_qual": "evaluation.qualitative_points", "qual": "evaluation.qualitative_points"}
MONEY_BASE, WAN = "元", 1e4  # money is held in 元 by the parser; 说明 prints ≥ 1万元 in 万元 as people write it


@dataclass
class Scores:
    """The recomputed self-evaluation: one row per indicator, one row per project."""

    indicators: pd.DataFrame
    projects: pd.DataFrame


def short_source(source: str) -> str:
    """The citable head of a rulebook source: '财预〔2020〕10号《…》附件2' → '财预〔2020〕10号'."""
    cut = min((i for i in (source.find(c) for c in "《（(；;") if i > 0), default=len(source))
    return source[:cut].strip()


def cite(rules: Rulebook, key: str) -> str:
    """'依据 文件：财预〔2020〕10号' / '依据 平台惯例：…' / '依据 本局设定' — the basis of the rule a score
    used, in users' words (the rule's key is not part of the sentence: auditors find it in 规则编号)."""
    basis = rules.basis(key)
    if basis == "本局设定":
        return "依据 本局设定"
    return f"依据 {basis}：{short_source(rules.cite(key))}"


# indicator rows read and scored at a time: every rule is row by row, and a province's 8M rows at once
# held a few GB of temporaries (benchmarks/bench_command.py measures the peak)
ROWS_PER_PASS = 1_000_000


def by_row_chunks(fn: Callable[..., pd.DataFrame], frame: pd.DataFrame, *args: object,
                  rows: int | None = None) -> pd.DataFrame:
    """``fn(frame, *args)`` for a row-by-row rule, computed ``rows`` rows at a time and put together
    (index 0…n−1; a categorical column keeps one set of categories), so that its temporaries are those
    of one chunk. The result is the one ``fn`` gives on the whole frame (tests/test_chunks.py)."""
    rows = rows or ROWS_PER_PASS
    if len(frame) <= rows:
        return fn(frame, *args).reset_index(drop=True)
    with shared_parsing():  # a column's distinct texts parsed once, not once per chunk
        parts = [fn(frame.iloc[i:i + rows], *args).reset_index(drop=True) for i in range(0, len(frame), rows)]
    for col in parts[0].columns:
        if all(isinstance(p[col].dtype, pd.CategoricalDtype) for p in parts):
            cats = [p[col].cat.categories for p in parts]
            if not all(c.equals(cats[0]) for c in cats[1:]):
                dtype = pd.CategoricalDtype(pd.Index(pd.unique(np.concatenate([np.asarray(c, dtype=object) for c in cats])),
                                                     dtype=cats[0].dtype))
                for p in parts:
                    p[col] = p[col].astype(dtype)
    return _stacked(parts)


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(parts, ignore_index=True)`` built one column at a time, each column of the parts let go
    of once it is joined: the parts and the whole are never all in memory together (scoring 8M indicator
    rows: the whole scored table less at its peak)."""
    columns = list(parts[0].columns)
    out: dict[str, object] = {}
    for col in columns:
        out[col] = pd.concat([p.pop(col) for p in parts], ignore_index=True)
    return pd.DataFrame(out, columns=columns, copy=False)


def score_indicators(self_eval: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """Recompute 得分 of every 绩效自评 row; returns the contract's 指标得分 columns (internal names).

    ``score`` is NaN where the row cannot be recomputed; ``unscored`` marks those of them that carry
    points (a blank or positive 分值), which is what makes a project's recomputation 待核实.
    """
    if "_row" not in self_eval:  # a table built by hand: rows numbered as the form's would be
        self_eval = self_eval.assign(_row=np.arange(len(self_eval)) + 2)
    return by_row_chunks(_score_indicator_rows, with_target_read(self_eval, rules), rules)


def with_declared_weights(ds: Dataset) -> pd.DataFrame:
    """绩效自评 with a blank 分值 taken from the approved 绩效目标 of the same project and indicator, where
    that weight is there (``weight_from_target`` marks those rows: their 说明 says so). A row whose weight
    is blank in both stays blank: 无法复算, never 0."""
    se = ds.table("self_eval")
    targets = ds.get("targets")
    blank = se["weight"].isna().to_numpy()
    if targets is None or "weight" not in targets or not blank.any():
        return se
    from perfkit.io.keys import left_lookup

    declared, found = left_lookup(se.loc[blank, ["project_id", "indicator"]], targets, ["project_id", "indicator"],
                                  ["weight"], suffix="_declared")
    fill = found & declared["weight_declared"].notna().to_numpy()
    if not fill.any():
        return se
    rows = np.flatnonzero(blank)[fill]
    weight = se["weight"].astype(float).to_numpy(copy=True)
    weight[rows] = declared["weight_declared"].astype(float).to_numpy()[fill]
    taken = np.zeros(len(se), dtype=bool)
    taken[rows] = True
    return se.assign(weight=weight, weight_from_target=taken)


def with_target_read(frame: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """``frame`` with ``target_read``: the target as read (指标性质 | 指标值 | 计量单位 cells joined), made
    for the whole table at once so that its chunks share one set of texts (:func:`by_row_chunks`)."""
    if len(frame) <= ROWS_PER_PASS or "target_read" in frame:
        return frame
    return frame.assign(target_read=combine_target_parts(frame["target_text"], frame.get("comparator_text"),
                                                         frame.get("unit_text"), Vocabulary.from_rules(rules)))


def _score_indicator_rows(self_eval: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    r = read_indicators(self_eval, rules)
    w = pd.Series(self_eval["weight"], index=self_eval.index).astype(float)
    d = r["direction"]
    a, t, hi = r["a_value"].to_numpy(float), r["t_value"].to_numpy(float), r["t_value_hi"].to_numpy(float)
    numeric_a = r["a_kind"].isin(["", GE, LE, EQ]) & ~r["unit_mismatch"]
    forward_rule = rules["evaluation.forward_rule"]
    reverse_rule = rules["evaluation.reverse_rule"]
    points = rules["evaluation.qualitative_points"]
    decimals = rules["evaluation.decimals"]

    cases = reading_cases(r)
    score = np.select(
        list(cases.values()),
        [F.forward_score(a, t, w, forward_rule), F.reverse_score(a, t, w, reverse_rule),
         F.equal_score(a, t, w, forward_rule),
         F.range_score(a, t, hi, w, rules["evaluation.range_above_rule"], forward_rule),
         F.deadline_score(a, t, w, rules["evaluation.deadline_late_share"]),
         F.qualitative_score(r["a_tier"], w, points), F.qualitative_score(r["a_tier"], w, points)],
        np.nan)
    # optional, off by default: a target set clearly too low loses a share of its weight (财预〔2020〕10号)
    penalty = float(rules["evaluation.overachievement_penalty"])
    with np.errstate(invalid="ignore"):
        overachieved = cases["fwd"].to_numpy() & (t > 0) & (a >= rules["evaluation.overachievement_ratio"] * t)
    penalized = overachieved & (penalty > 0)
    score = np.where(penalized, F.overachievement_score(w, penalty), score)
    scoreable = np.logical_or.reduce(list(cases.values()))
    score = np.where(scoreable & w.notna().to_numpy(), F.round_half_up(score, decimals), np.nan)

    comp = F.completion(a, t, d.where(numeric_a, None).to_numpy(dtype=object))
    with np.errstate(divide="ignore", invalid="ignore"):
        in_range = np.where((a >= t) & (a <= hi), 1.0, np.where(a < t, a / t, hi / a))
    comp = np.where(cases["range"], in_range, comp)
    comp = np.where(cases["date"], (a <= t).astype(float), comp)
    tier_share = lookup(r["a_tier"], points, float)
    comp = np.where(cases["qual"] | cases["date_qual"], tier_share, comp)
    comp = np.where(np.isfinite(comp), comp, np.nan)  # a ratio to a zero target is no completion, never inf

    # which rule scored the row, one byte per row (categorical: fwd, rev, … , none)
    case = pd.Categorical.from_codes(np.select(list(cases.values()), range(len(cases)), len(cases)).astype(np.int8),
                                     categories=[*cases, "none"])
    # the rulebook key of the rule that scored the row, for auditors (规则编号; the 说明 speaks its basis)
    keys = [CASE_RULE.get(c, "") for c in case.categories]
    key_names = [*dict.fromkeys(keys), "evaluation.overachievement_penalty"]
    key_codes = np.array([key_names.index(k) for k in keys], dtype=np.int8)[case.codes]
    key_codes = np.where(penalized & ~np.isnan(score), len(key_names) - 1, key_codes).astype(np.int8)
    rule_key = pd.Categorical.from_codes(key_codes, categories=key_names)
    shown = with_values(d.copy(), [LE, BAD])  # a categorical takes only values it knows
    cmp_out = shown.mask(d.eq(DATE), LE).mask(d.eq(""), BAD).mask(r["t_kind"].isin([BAD, EMPTY]), BAD)
    keep = self_eval.reset_index(drop=True)
    r = r.reset_index(drop=True)
    weight = w.to_numpy()
    # a row that carries points (blank 分值: unknown points) and has no recomputed score
    unscored = np.isnan(score) & ~(weight == 0)
    return pd.DataFrame({
        "project_id": keep["project_id"], "level1": keep["level1"], "indicator": keep["indicator"],
        "cmp": cmp_out.reset_index(drop=True), "target": r["t_value"], "actual": a, "target_hi": r["t_value_hi"],
        "unit": r["unit"].fillna(""), "weight": weight, "score": score,
        "unit_score": keep["unit_score"].astype(float), "completion": comp, "case": case, "rule_key": rule_key,
        "unscored": unscored, "penalized": penalized,
        "tier": r["a_tier"], "target_kind": r["t_kind"], "actual_kind": r["a_kind"],
        "target_note": r["t_note"], "actual_note": r["a_note"], "target_unit": r["t_unit"], "actual_unit": r["a_unit"],
        "unit_mismatch": r["unit_mismatch"], "actual_has_comparator": r["actual_has_comparator"],
        "restated": r["restated"].to_numpy(bool), "reading_note": r["pair_note"],
        "weight_from_target": keep["weight_from_target"].to_numpy(bool) if "weight_from_target" in keep
        else np.zeros(len(keep), dtype=bool),
        "deviation_reason": keep["deviation_reason"], "target_text": keep["target_text"],
        "actual_text": keep["actual_text"],
        "_row": keep["_row"] if "_row" in keep else pd.Series(np.arange(len(keep)) + 2),
    })


def _display_values(ind: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Actual, target, upper bound and unit as people write them: money of 1万元 or more in 万元
    (212.61万元, not 2126100元), everything else in the unit the parser read."""
    unit = text_of(ind["unit"])
    a, t, hi = (ind[c].astype(float) for c in ("actual", "target", "target_hi"))
    with np.errstate(invalid="ignore"):
        big = np.fmax(np.fmax(a.abs(), t.abs()), hi.abs()).to_numpy() >= WAN
    wan = unit.eq(MONEY_BASE).to_numpy() & big
    scale = np.where(wan, WAN, 1.0)
    return fmt(a / scale), fmt(t / scale), fmt(hi / scale), unit.mask(wan, "万" + MONEY_BASE)


def unscored_reason(ind: pd.DataFrame) -> pd.Series:
    """Why a row could not be recomputed, in words a clerk acts on (the 无法复算 finding's reason)."""
    w = ind["weight"].astype(float)
    a_note, t_note = text_of(ind["actual_note"]), text_of(ind["target_note"])
    why = "实际完成值与指标值类型不符，无法比较（指标值「" + text_of(ind["target_text"]) + "」，实际完成值「" \
        + text_of(ind["actual_text"]) + "」）"
    why = why.mask(ind["unit_mismatch"].to_numpy(dtype=bool), "单位不一致，无法比较：指标值单位 "
                   + text_of(ind["target_unit"]) + "，实际完成值单位 " + text_of(ind["actual_unit"]))
    a_kind, t_kind = ind["actual_kind"], ind["target_kind"]
    why = why.mask(a_kind.eq(EMPTY).to_numpy(), pd.Series("实际完成值未填写", index=ind.index))
    why = why.mask(a_kind.eq(BAD).to_numpy(), "实际完成值" + a_note)
    why = why.mask(t_kind.eq(EMPTY).to_numpy(), pd.Series("指标值未填写", index=ind.index))
    why = why.mask(t_kind.eq(BAD).to_numpy(), "指标值" + t_note)
    if "reading_note" in ind:  # a 时效 target answered in words with no date and no on-time word
        late = a_kind.eq(QUAL).to_numpy() & ~ind["restated"].to_numpy(bool) & text_of(ind["reading_note"]).ne("").to_numpy()
        why = why.mask(late, text_of(ind["reading_note"]) + "（实际完成值「" + text_of(ind["actual_text"]) + "」）")
    no_weight = w.isna().to_numpy()
    return why.mask(no_weight & ind["case"].ne("none").to_numpy(), "分值未填写（或表中无分值列），无法计分") \
        .mask(no_weight & ind["case"].eq("none").to_numpy(), why + "；且分值未填写")


def explain_indicators(ind: pd.DataFrame, rules: Rulebook) -> pd.Series:
    """说明 for scored indicator rows (any subset): inputs, the rule applied, the result, and the source of
    the rulebook parameter that rule used (财预〔2020〕10号 … or "design choice").

    Built on demand — for the rows a finding or an export needs — because text for millions of rows
    costs more than the scoring itself; each sentence is built on the rows of its own case only.
    """
    if ind.empty:
        return pd.Series([], dtype="str", index=ind.index)
    case = ind["case"]  # compared as it is (a categorical: on its codes, not a Python string per row)
    w, score = (ind[c].astype(float) for c in ("weight", "score"))
    scored = score.notna().to_numpy()
    met = (score == w).to_numpy()
    penalized = ind["penalized"].to_numpy(dtype=bool) if "penalized" in ind else np.zeros(len(ind), bool)
    fa, ft, fh, unit = _display_values(ind)
    parts = pd.DataFrame({"a": fa, "t": ft, "hi": fh, "u": unit, "w": fmt(w), "s": fmt(score)}, index=ind.index)
    # each case's sentences stay Arrow arrays; they are put in row order once, at the end, by one take
    pieces: list[pa.Array] = []
    src = np.full(len(ind), -1, dtype=np.int64)  # row → position in the concatenated pieces (-1: no text)
    done = 0

    def put(mask: np.ndarray, build: Callable[[pd.DataFrame, np.ndarray], list[pd.Series | str]],
            rule: str | None) -> None:
        nonlocal done
        pos = np.flatnonzero(mask)
        if len(pos):
            arr = joined_text([*build(parts.iloc[pos], pos), *([f"（{cite(rules, rule)}）"] if rule else [])])
            pieces.append(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
            src[pos] = done + np.arange(len(pos))
            done += len(pos)

    def is_(k: str) -> np.ndarray:
        return case.eq(k).to_numpy(bool) & scored & ~penalized

    proportional = rules["evaluation.forward_rule"] == "proportional"
    put(is_("fwd") & met, lambda p, _: ["正向：实际 ", p["a"], p["u"], " ≥ 目标 ", p["t"], p["u"], " → 满分 ", p["w"]],
        CASE_RULE["fwd"])
    put(is_("fwd") & ~met, lambda p, _: ["正向：实际 ", p["a"], p["u"], " < 目标 ", p["t"], p["u"], " → ",
                                         *(["按比例 ", p["w"], "×", p["a"], "/", p["t"]] if proportional else ["未达标不得分"]),
                                         " = ", p["s"]], CASE_RULE["fwd"])
    ratio, penalty = rules["evaluation.overachievement_ratio"], rules["evaluation.overachievement_penalty"]
    put(penalized & scored, lambda p, _: ["正向：实际 ", p["a"], p["u"], " 达到目标 ", p["t"], p["u"], " 的 ",
                                          number_text(ratio), " 倍及以上，目标明显偏低，按 ", p["w"], "×(1−", number_text(penalty),
                                          ") = ", p["s"]], "evaluation.overachievement_penalty")
    linear = rules["evaluation.reverse_rule"] != "proportional"
    put(is_("rev") & met, lambda p, _: ["反向：实际 ", p["a"], p["u"], " ≤ 目标 ", p["t"], p["u"], " → 满分 ", p["w"]],
        CASE_RULE["rev"])
    put(is_("rev") & ~met, lambda p, _: ["反向：实际 ", p["a"], p["u"], " > 目标 ", p["t"], p["u"], " → ",
                                         *(["线性扣减 ", p["w"], "×(1−(", p["a"], "−", p["t"], ")/", p["t"], ")"] if linear
                                           else ["按比例 ", p["w"], "×", p["t"], "/", p["a"]]), " = ", p["s"]],
        CASE_RULE["rev"])
    put(is_("eq"), lambda p, _: ["等于：目标 ", p["t"], p["u"], "，实际 ", p["a"], p["u"], " → ", p["s"]], CASE_RULE["eq"])
    put(is_("range"), lambda p, _: ["区间：目标 ", p["t"], "–", p["hi"], p["u"], "，实际 ", p["a"], p["u"], " → ", p["s"]],
        CASE_RULE["range"])
    put(is_("date"), lambda p, pos: ["时效：完成日期 ", fmt_date(ind["actual"].iloc[pos]), "，期限 ",
                                     fmt_date(ind["target"].iloc[pos]), " → ", p["s"]], CASE_RULE["date"])
    put(is_("date_qual"), lambda p, pos: ["时效：实际为定性表述（", text_of(ind["actual_note"].iloc[pos]), "）→ ", p["s"]],
        CASE_RULE["date_qual"])
    points = rules["evaluation.qualitative_points"]
    put(is_("qual"), lambda p, pos: ["定性：", text_of(ind["actual_note"].iloc[pos]), "，按档取 ",
                                     fmt(pd.Series(lookup(ind["tier"].iloc[pos], points, float), index=p.index)), "×",
                                     p["w"], " = ", p["s"]], CASE_RULE["qual"])
    zero = (w == 0).to_numpy()
    put(~scored & ~zero, lambda p, pos: ["无法复算：", unscored_reason(ind.iloc[pos]),
                                         "；该行不计 0 分，项目复算待核实（依据 本局设定：无法复算的行不按 0 分处理）"], None)
    put(~scored & zero, lambda p, pos: ["分值为 0，不计分：", unscored_reason(ind.iloc[pos])], None)
    every = pa.concat_arrays([*pieces, pa.array([""], pa.large_string())]).fill_null("")
    text = every.take(pa.array(np.where(src < 0, done, src)))
    declared = ind["weight_from_target"].to_numpy(dtype=bool) if "weight_from_target" in ind else np.zeros(len(ind), bool)
    if declared.any():  # a blank 分值 took the approved target's weight
        text = pc.if_else(pa.array(declared), pc.binary_join_element_wise(
            text, pa.scalar("；分值未填，取已批复绩效目标的分值", pa.large_string()), pa.scalar("", pa.large_string())),
            text)
    restated = ind["restated"].to_numpy(dtype=bool) if "restated" in ind else np.zeros(len(ind), bool)
    if restated.any():  # the unit's own claim: scored at its tier, and said so
        text = pc.if_else(pa.array(restated), pc.binary_join_element_wise(
            text, pa.scalar("；" + RESTATED + "：实际完成值复述指标值，是单位的自我认定，不是佐证", pa.large_string()),
            pa.scalar("", pa.large_string())), text)
    flagged = ind["actual_has_comparator"].to_numpy(dtype=bool)
    if flagged.any():
        text = pc.if_else(pa.array(flagged), pc.binary_join_element_wise(
            text, pa.scalar("；实际值带比较符，疑照抄目标值", pa.large_string()), pa.scalar("", pa.large_string())), text)
    return pd.Series(pd.arrays.ArrowStringArray(text.cast(pa.string())), index=ind.index)


def projects_of_year(projects: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per 项目编码: the row of the evaluation ``year`` (a code may recur across years — the
    contract allows it), else the latest year's; rows without a 年度 count as the evaluation year."""
    if "year" not in projects or not projects["project_id"].duplicated().any():
        return projects
    y = projects["year"].astype("Float64").fillna(year).to_numpy(float, na_value=year)
    order = np.lexsort((-y, y != year))  # this year first, then the latest
    ordered = projects.iloc[order]
    return ordered.loc[~ordered["project_id"].duplicated().to_numpy()].sort_index()


def score_projects(ds: Dataset, rules: Rulebook, indicators: pd.DataFrame | None = None) -> Scores:
    """Execution score + Σ indicator scores per project, its grade, and the difference to the unit's own.

    ``total`` and ``grade`` are set only where the whole recomputation succeeded (复算状态 完整): a
    project with a row that cannot be recomputed, or whose execution score cannot be (预算数据缺失), keeps
    ``recomputed_total`` (the sum of what could be recomputed) out of ``recomputable_points`` and a
    ``provisional_grade`` from the unit's own total — so nothing downstream grades, ranks or cuts it by
    accident. Works on the self-evaluation tables alone: without 项目 amounts the unit's own execution
    score is shown and the 说明 says so.
    """
    ind = indicators if indicators is not None else score_indicators(with_declared_weights(ds), rules)
    decimals = rules["evaluation.decimals"]
    per = _per_project_sums(ind, rules)
    summary = ds.get("self_summary")
    cols = ["exec_weight", "unit_exec_score", "unit_total"]
    if summary is not None:
        per = per.join(summary.drop_duplicates("project_id").set_index("project_id")[cols], how="outer")
    else:
        per[cols] = np.nan
    per["exec_weight_given"] = per["exec_weight"].notna()
    per["exec_weight"] = per["exec_weight"].fillna(rules["evaluation.execution_weight"])
    projects = ds.get("projects")
    if projects is not None:
        amounts = projects_of_year(projects, rules.year).set_index("project_id")[["budget", "spent"]]
        per = per.join(amounts, how="left")
    else:
        per["budget"] = pd.array([pd.NA] * len(per), dtype="Int64")
        per["spent"] = pd.array([pd.NA] * len(per), dtype="Int64")
    rate = F.execution_rate(per["spent"].astype("Float64").to_numpy(float, na_value=np.nan),
                            per["budget"].astype("Float64").to_numpy(float, na_value=np.nan))
    per["exec_rate"] = rate
    exec_ok = ~np.isnan(rate)
    per["exec_recomputed"] = exec_ok
    computed_exec = F.execution_score(rate, per["exec_weight"], decimals)
    per["exec_score"] = np.where(exec_ok, computed_exec, per["unit_exec_score"])
    per["exec_source"] = np.where(exec_ok, "复算", np.where(per["unit_exec_score"].notna(), "单位自评（未复算）", "无"))
    # redistribution of the missing satisfaction block (design choice, rulebook switch) — only where every
    # weight is known: a blank 分值 is no room to spread points into
    total_points = rules["evaluation.total_points"]
    room = total_points - per["exec_weight"]
    valid, missing_satisfaction = weights_add_up(per["weight_sum"], per["exec_weight"],
                                                 per["has_satisfaction"].fillna(True), rules)
    per["weights_valid"] = valid
    redistribute = missing_satisfaction & per["n_no_weight"].fillna(0).eq(0).to_numpy() & (per["weight_sum"] > 0).to_numpy()
    factor = np.where(redistribute, room / per["weight_sum"], 1.0)
    per["scale"] = factor
    n_ind = per["n_indicators"].fillna(0)
    complete = exec_ok & (n_ind > 0) & per["n_unscored"].fillna(0).eq(0)
    per["status"] = np.where(complete, COMPLETE, PENDING)
    # 可复算分值: the points whose score was recomputed (the execution weight only when it was)
    per["recomputable_points"] = F.round_half_up(np.where(exec_ok, per["exec_weight"], 0.0)
                                                 + per["scored_weight"].fillna(0) * factor, decimals)
    parts = np.where(exec_ok, per["exec_score"], 0.0) + per["indicator_score"].fillna(0) * factor
    per["recomputed_total"] = F.round_half_up(parts, decimals)
    per.loc[per["indicator_score"].isna() & ~exec_ok, "recomputed_total"] = np.nan
    # a form whose points add up to more than the full marks (分值合计不符) can score above them: such a
    # total is not on the grading scale, so it is not graded — 待核实 until the points are corrected
    per["over_full_marks"] = F.above(per["recomputed_total"], total_points, rules["evaluation.score_tolerance"])
    complete = complete & ~per["over_full_marks"].to_numpy()
    per["status"] = np.where(complete, COMPLETE, PENDING)
    per["total"] = per["recomputed_total"].where(complete)
    per["grade"] = F.grade(per["total"], rules["evaluation.grade_bands"], rules["evaluation.grade_below"])
    provisional = F.grade(per["unit_total"], rules["evaluation.grade_bands"], rules["evaluation.grade_below"])
    per["provisional_grade"] = np.where(complete, None, provisional)
    per["difference"] = F.round_half_up(per["unit_total"] - per["total"], decimals)
    # Σ indicator weights + execution weight against the form's total (分值合计不符 when they differ)
    per["points_sum"] = per["weight_sum"] + per["exec_weight"]
    per.index.name = "project_id"
    per = per.reset_index()
    return Scores(ind, per)


def weights_add_up(weight_sum: pd.Series | np.ndarray, exec_weight: pd.Series | np.ndarray | float,
                   has_satisfaction: pd.Series | np.ndarray, rules: Rulebook) -> tuple[np.ndarray, np.ndarray]:
    """(valid, missing 满意度) for each project's weights — the one test scoring and the target review use.

    Valid: Σ indicator weights + the project's own execution weight = the form's total (exact decimals,
    within the score tolerance); or the project has no 满意度 block and the indicator weights fall short
    of that total by exactly the 满意度 weight (rulebook ``evaluation.satisfaction_weight``), which is then
    redistributed (``evaluation.redistribute_missing_satisfaction``). Any other gap is 分值合计不符 and is
    never rescaled."""
    tol = rules["evaluation.score_tolerance"]
    room = rules["evaluation.total_points"] - np.asarray(exec_weight, dtype=float)
    wsum = np.asarray(weight_sum, dtype=float)
    exact = ~F.beyond(wsum, room, tol) & ~np.isnan(wsum)
    missing = (bool(rules["evaluation.redistribute_missing_satisfaction"])
               & ~np.asarray(has_satisfaction, dtype=bool) & ~exact & ~np.isnan(wsum)
               & ~F.beyond(wsum + float(rules["evaluation.satisfaction_weight"]), room, tol))
    return exact | missing, missing


def grade_label(per: pd.DataFrame) -> pd.Series:
    """等级 as 项目得分.csv prints it: the recomputed grade; for 待核实 the unit's own grade marked
    provisional (「良（待核实）」), or 「待核实」 where the unit gave no total."""
    grade = per["grade"].astype(object)
    provisional = per["provisional_grade"].astype(object)
    pending = per["status"].eq(PENDING)
    shown = pd.Series(np.where(provisional.notna(), provisional.astype(str) + "（" + PENDING + "）", PENDING),
                      index=per.index)
    return grade.where(~pending, shown)


def _per_project_sums(ind: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """What :func:`score_projects` adds up per project (in order of first appearance): Σ scores and weights,
    counts of rows not scored and without 分值, whether a 满意度 block is there, the weighted completion.

    The rows are grouped once and every column summed over that grouping — at 8M rows each grouping
    costs more than the sums (ten of them were a fifth of ``perfkit score``'s time); the sums themselves
    are pandas' own per column, so the figures are those of summing each column on its own."""
    w = ind["weight"]
    scored = ind["score"].notna()
    num, den = F.completion_terms(ind["completion"], w)
    terms = pd.DataFrame({
        "indicator_score": ind["score"], "weight_sum": w,
        "scored_weight": w.where(scored, 0.0).fillna(0.0),
        "n_unscored": ind["unscored"],
        "unscored_weight": w.where(ind["unscored"], 0.0).fillna(0.0),
        "n_no_weight": w.isna(),
        "has_satisfaction": ind["level1"].isin(rules["evaluation.satisfaction_blocks"]),
        "completion_num": num, "completion_den": den,
        "n_restated": ind["restated"] if "restated" in ind else False,
    }, index=ind.index, copy=False)
    g = terms.groupby(ind["project_id"], sort=False, observed=True)
    per = g[["indicator_score", "weight_sum"]].sum(min_count=1)
    counted = g[["scored_weight", "n_unscored", "unscored_weight", "n_no_weight", "n_restated",
                 "completion_num", "completion_den"]].sum()
    per["scored_weight"] = counted["scored_weight"]
    per["n_indicators"] = g.size()
    per["n_unscored"] = counted["n_unscored"]
    per["unscored_weight"] = counted["unscored_weight"]
    per["n_no_weight"] = counted["n_no_weight"]
    per["has_satisfaction"] = g["has_satisfaction"].any()
    per["completion"] = F.completion_ratio(counted["completion_num"], counted["completion_den"])
    per["n_restated"] = counted["n_restated"]
    return per


def explain_projects(per: pd.DataFrame, rules: Rulebook) -> pd.Series:
    """说明 for project totals (any subset of rows of ``Scores.projects``), each part with the source of
    the rule it used; for 待核实 what could not be recomputed and where the provisional grade comes from."""
    if per.empty:
        return pd.Series([], dtype="str", index=per.index)
    weight_source = pd.Series(np.where(per["exec_weight_given"].to_numpy(dtype=bool), "执行率分值取自评汇总所填",
                                       cite(rules, "evaluation.execution_weight")), index=per.index)
    exec_part = ("执行率 " + fmt(per["exec_rate"] * 100, 2) + "%（封顶 100%）× " + fmt(per["exec_weight"]) + " 分 = "
                 + fmt(per["exec_score"]) + "（" + weight_source + "）")
    own = fmt(per["unit_exec_score"])
    exec_part = exec_part.mask(~per["exec_recomputed"].to_numpy(dtype=bool),
                               "全年预算数或全年执行数缺失，执行率得分无法复算（单位自评 "
                               + own.mask(own.eq(""), "未填") + "，未计入复算）")
    ind_part = "指标得分合计 " + fmt(per["indicator_score"]).mask(per["indicator_score"].isna(), "—")
    ind_part = ind_part.mask(per["scale"] != 1.0, ind_part + "（未设满意度指标，按 ×" + fmt(per["scale"], 4)
                             + " 分摊，" + cite(rules, "evaluation.redistribute_missing_satisfaction") + "）")
    unscored = per["n_unscored"].fillna(0).astype(int)
    lost = fmt(per["unscored_weight"]) + " 分"
    lost = lost.mask(per["n_no_weight"].fillna(0).gt(0), lost + "及未填分值的指标")
    ind_part = ind_part.mask(unscored > 0, ind_part + "，" + unscored.astype(str) + " 个指标无法复算（" + lost + "）")
    bands = rules["evaluation.grade_bands"]
    band_text = "、".join(f"{k}≥{v}" for k, v in bands.items()) + "，" + cite(rules, "evaluation.grade_bands")
    done = ("总分 " + fmt(per["total"]) + "，等级 " + per["grade"].astype(object).fillna("—").astype(str)
            + "（" + band_text + "）")
    pending_grade = ("等级暂按单位自评总分 " + fmt(per["unit_total"]) + " 定为 "
                     + per["provisional_grade"].astype(object).fillna("").astype(str) + "（" + band_text + "）")
    pending_grade = pending_grade.mask(per["unit_total"].isna(), pd.Series("无单位自评总分，等级待核实", index=per.index))
    pending = ("可复算分值 " + fmt(per["recomputable_points"]) + "/" + number_text(rules["evaluation.total_points"])
               + "，已复算部分合计 " + fmt(per["recomputed_total"]).mask(per["recomputed_total"].isna(), "—")
               + "；复算状态 待核实，" + pending_grade + "；核实前预算安排维持不变（依据 本局设定）")
    tail = done.where(per["status"].eq(COMPLETE), pending)
    return exec_part.fillna("") + "；" + ind_part.fillna("") + "；" + tail
