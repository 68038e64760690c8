"""绩效评价: recomputing each self-evaluation score from the rules (DOMAIN.md §1).

Every indicator row of 绩效自评 keeps its place in the result — rows that cannot be scored carry an
empty 得分 and a 说明 saying why — and every score says how it came about (inputs, rule, source).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.io.load import Dataset
from perfkit.io.values import lookup, map_unique, pick, same_text
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import Rulebook
from perfkit.rules.targets import BAD, DATE, EMPTY, EQ, GE, LE, QUAL, RANGE, parse_texts, resolve_direction

SRC_SCORE = "evaluation.execution_weight"  # 财预〔2020〕10号: the source cited in scoring 说明


@dataclass
class Scores:
    """The recomputed self-evaluation: one row per indicator, one row per project."""

    indicators: pd.DataFrame
    projects: pd.DataFrame


def _fmt(values: pd.Series, spec: str = ".6g") -> pd.Series:
    """Numbers for 说明 text: 120, 96.5, 8.62 (each distinct value formatted once)."""
    return map_unique(values, lambda v: "" if v is None or pd.isna(v) else f"{float(v):{spec}}", "string")


def _fmt_date(values: pd.Series) -> pd.Series:
    """yyyymmdd numbers → 2022-12-31."""
    def show(v: object) -> str:
        if v is None or pd.isna(v):
            return ""
        n = int(v)
        return f"{n // 10000}-{n // 100 % 100:02d}-{n % 100:02d}"
    return map_unique(values, show, "string")


def read_indicators(frame: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """Parse 指标值 and 实际完成值 of a self-evaluation (or monitoring) table, reconcile their units.

    Returns the target reading (t_*), the actual reading (a_*), the direction and a flag for actuals
    written like a target (a comparator sign in the actual).
    """
    phrases = rules["evaluation.qualitative_phrases"]
    t = parse_texts(frame["target_text"], phrases, rules.year).add_prefix("t_")
    a = parse_texts(frame["actual_text"], phrases, rules.year).add_prefix("a_")
    out = pd.concat([t, a], axis=1)
    out["direction"] = resolve_direction(t.rename(columns=lambda c: c[2:]), frame["indicator"],
                                         rules["evaluation.reverse_keywords"])
    numeric_t = out["direction"].isin([GE, LE, EQ, RANGE])
    numeric_a = out["a_kind"].isin(["", GE, LE, EQ])
    # percent actual written without % (0.98 or 98): rulebook decides
    bare_pct = numeric_t & numeric_a & out["t_unit"].eq("%") & out["a_unit"].eq("")
    frac_max = rules["evaluation.percent_bare_fraction_max"]
    out.loc[bare_pct & (out["a_value"] <= frac_max), "a_value"] *= 100
    out["a_unit"] = pick(out["a_unit"].eq(""), out["t_unit"], out["a_unit"])
    out["unit"] = pick(out["t_unit"].eq(""), out["a_unit"], out["t_unit"])
    out["unit_mismatch"] = numeric_t & numeric_a & out["t_unit"].ne("") & ~same_text(out["a_unit"], out["t_unit"])
    out["actual_has_comparator"] = numeric_a & out["a_has_comparator"]
    return out


def score_indicators(self_eval: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """Recompute 得分 of every 绩效自评 row; returns the contract's 指标得分 columns (internal names)."""
    r = read_indicators(self_eval, rules)
    w = self_eval["weight"].astype(float)
    d = r["direction"]
    a, t, hi = r["a_value"].to_numpy(float), r["t_value"].to_numpy(float), r["t_value_hi"].to_numpy(float)
    a_kind = r["a_kind"]
    numeric_a = a_kind.isin(["", GE, LE, EQ]) & ~r["unit_mismatch"]
    reverse_rule = rules["evaluation.reverse_rule"]
    points = rules["evaluation.qualitative_points"]
    decimals = rules["evaluation.decimals"]

    cases = {
        "fwd": (d == GE) & numeric_a,
        "rev": (d == LE) & numeric_a,
        "eq": (d == EQ) & numeric_a,
        "range": (d == RANGE) & numeric_a,
        "date": (d == DATE) & (a_kind == DATE),
        "date_qual": (d == DATE) & (a_kind == QUAL),
        "qual": (d == QUAL) & (a_kind == QUAL),
    }
    score = np.select(
        list(cases.values()),
        [F.forward_score(a, t, w), F.reverse_score(a, t, w, reverse_rule), F.equal_score(a, t, w),
         F.range_score(a, t, hi, w),
         F.deadline_score(a, t, w, rules["evaluation.deadline_late_share"]),
         F.qualitative_score(r["a_tier"], w, points), F.qualitative_score(r["a_tier"], w, points)],
        np.nan)
    scoreable = np.logical_or.reduce(list(cases.values()))
    score = np.where(scoreable & w.notna().to_numpy(), F.round_half_up(score, decimals), np.nan)

    comp = F.completion(a, t, d.where(numeric_a, None).to_numpy(dtype=object))
    with np.errstate(divide="ignore", invalid="ignore"):
        in_range = np.where((a >= t) & (a <= hi), 1.0, np.where(a < t, a / t, hi / a))
    comp = np.where(cases["range"], in_range, comp)
    comp = np.where(cases["date"], (a <= t).astype(float), comp)
    tier_share = lookup(r["a_tier"], points, float)
    comp = np.where(cases["qual"] | cases["date_qual"], tier_share, comp)

    # which rule scored the row, one byte per row (categorical: fwd, rev, … , none)
    case = pd.Categorical.from_codes(np.select(list(cases.values()), range(len(cases)), len(cases)).astype(np.int8),
                                     categories=[*cases, "none"])
    cmp_out = d.replace({DATE: LE, "": BAD}).where(~r["t_kind"].isin([BAD, EMPTY]), BAD)
    keep = self_eval.reset_index(drop=True)
    r = r.reset_index(drop=True)
    return pd.DataFrame({
        "project_id": keep["project_id"], "level1": keep["level1"], "indicator": keep["indicator"],
        "cmp": cmp_out.reset_index(drop=True), "target": r["t_value"], "actual": a, "target_hi": r["t_value_hi"],
        "unit": r["unit"].fillna(""), "weight": w.to_numpy(), "score": score,
        "unit_score": keep["unit_score"].astype(float), "completion": comp, "case": case,
        "tier": r["a_tier"], "target_kind": r["t_kind"], "actual_kind": r["a_kind"],
        "target_note": r["t_note"], "actual_note": r["a_note"], "target_unit": r["t_unit"], "actual_unit": r["a_unit"],
        "unit_mismatch": r["unit_mismatch"], "actual_has_comparator": r["actual_has_comparator"],
        "deviation_reason": keep["deviation_reason"], "target_text": keep["target_text"],
        "actual_text": keep["actual_text"],
        "_row": keep["_row"] if "_row" in keep else pd.Series(np.arange(len(keep)) + 2),
    })


def explain_indicators(ind: pd.DataFrame, rules: Rulebook) -> pd.Series:
    """说明 for scored indicator rows (any subset): inputs, the rule applied, the result and its source.

    Built on demand — for the rows a finding or an export needs — because text for millions of rows
    costs more than the scoring itself.
    """
    if ind.empty:
        return pd.Series([], dtype="str", index=ind.index)
    case = ind["case"].to_numpy(dtype=object)
    a, t, w, score = (ind[c].astype(float) for c in ("actual", "target", "weight", "score"))
    fa, ft, fw, fs, fh = _fmt(a), _fmt(t), _fmt(w), _fmt(score), _fmt(ind["target_hi"])
    unit = ind["unit"].fillna("").astype("str")
    points = rules["evaluation.qualitative_points"]
    reverse_rule = rules["evaluation.reverse_rule"]
    met = (score == w).to_numpy()
    is_ = {k: case == k for k in ("fwd", "rev", "eq", "range", "date", "date_qual", "qual", "none")}
    exp = pd.Series("", index=ind.index, dtype="str")
    exp = exp.mask(is_["fwd"] & met, "正向：实际 " + fa + unit + " ≥ 目标 " + ft + unit + " → 满分 " + fw)
    exp = exp.mask(is_["fwd"] & ~met, "正向：实际 " + fa + unit + " < 目标 " + ft + unit + " → " + fw + "×" + fa
                   + "/" + ft + " = " + fs)
    rev_words = ("按比例 " + fw + "×" + ft + "/" + fa) if reverse_rule == "proportional" else \
        ("线性扣减 " + fw + "×(1−(" + fa + "−" + ft + ")/" + ft + ")")
    exp = exp.mask(is_["rev"] & met, "反向：实际 " + fa + unit + " ≤ 目标 " + ft + unit + " → 满分 " + fw)
    exp = exp.mask(is_["rev"] & ~met, "反向：实际 " + fa + unit + " > 目标 " + ft + unit + " → " + rev_words + " = " + fs)
    exp = exp.mask(is_["eq"], "等于：目标 " + ft + unit + "，实际 " + fa + unit + " → " + fs)
    exp = exp.mask(is_["range"], "区间：目标 " + ft + "–" + fh + unit + "，实际 " + fa + unit + " → " + fs)
    exp = exp.mask(is_["date"], "时效：完成日期 " + _fmt_date(a) + "，期限 " + _fmt_date(t) + " → " + fs)
    a_note = ind["actual_note"].fillna("").astype("str")
    exp = exp.mask(is_["date_qual"], "时效：实际为定性表述（" + a_note + "）→ " + fs)
    share = ind["tier"].map(points).astype("str")
    exp = exp.mask(is_["qual"], "定性：" + a_note + "，按档取 " + share + "×" + fw + " = " + fs)
    exp = exp + "（依据 " + rules.cite(SRC_SCORE).split("《")[0] + "）"
    why = pd.Series("实际值与指标值类型不符，无法比较（指标值「", index=ind.index, dtype="str") \
        + ind["target_text"].fillna("").astype("str") + "」，实际值「" + ind["actual_text"].fillna("").astype("str") + "」）"
    why = why.mask(ind["unit_mismatch"].to_numpy(dtype=bool), "单位不一致：目标 " + ind["target_unit"].astype("str")
                   + "，实际 " + ind["actual_unit"].astype("str"))
    why = why.mask(ind["actual_kind"].isin([BAD, EMPTY]).to_numpy(), "实际完成值" + a_note)
    why = why.mask(ind["target_kind"].isin([BAD, EMPTY]).to_numpy(),
                   "指标值" + ind["target_note"].fillna("").astype("str"))
    why = why.mask(w.isna().to_numpy() & ~is_["none"], "表中无分值，无法计分")
    out = exp.where(~score.isna(), why)
    flagged = ind["actual_has_comparator"].to_numpy(dtype=bool)
    return out.mask(flagged, out + "；实际值带比较符，疑照抄目标值")


def score_projects(ds: Dataset, rules: Rulebook, indicators: pd.DataFrame | None = None) -> Scores:
    """Execution score + Σ indicator scores per project, its grade, and the difference to the unit's own.

    Works on the self-evaluation tables alone: without 项目 amounts the unit's own execution score is
    used and the 说明 says so.
    """
    ind = indicators if indicators is not None else score_indicators(ds.table("self_eval"), rules)
    decimals = rules["evaluation.decimals"]
    g = ind.groupby("project_id", sort=False)
    per = pd.DataFrame({
        "indicator_score": g["score"].sum(min_count=1),
        "weight_sum": g["weight"].sum(min_count=1),
        "n_indicators": g.size(),
        "n_unscored": ind["score"].isna().groupby(ind["project_id"], sort=False).sum(),
        "has_satisfaction": ind["level1"].eq("满意度指标").groupby(ind["project_id"], sort=False).any(),
        "completion": _weighted_completion(ind),
    })
    summary = ds.get("self_summary")
    if summary is not None:
        per = per.join(summary.set_index("project_id")[["exec_weight", "unit_exec_score", "unit_total"]],
                       how="outer")
    else:
        per[["exec_weight", "unit_exec_score", "unit_total"]] = np.nan
    default_w = rules["evaluation.execution_weight"]
    per["exec_weight"] = per["exec_weight"].fillna(default_w)
    projects = ds.get("projects")
    if projects is not None:
        amounts = projects.drop_duplicates("project_id").set_index("project_id")[["budget", "spent"]]
        per = per.join(amounts, how="left")
    else:
        per["budget"] = pd.array([pd.NA] * len(per), dtype="Int64")
        per["spent"] = pd.array([pd.NA] * len(per), dtype="Int64")
    rate = F.execution_rate(per["spent"].astype("Float64").to_numpy(float, na_value=np.nan),
                            per["budget"].astype("Float64").to_numpy(float, na_value=np.nan))
    per["exec_rate"] = rate
    computed_exec = F.execution_score(rate, per["exec_weight"], decimals)
    per["exec_score"] = np.where(np.isnan(rate), per["unit_exec_score"], computed_exec)
    # redistribution of the missing satisfaction block (design choice, rulebook switch)
    total_points = rules["evaluation.total_points"]
    room = total_points - per["exec_weight"]
    redistribute = (rules["evaluation.redistribute_missing_satisfaction"] & ~per["has_satisfaction"].fillna(True)
                    & (per["weight_sum"] > 0) & (per["weight_sum"] < room - 1e-9))
    factor = np.where(redistribute, room / per["weight_sum"], 1.0)
    per["scale"] = factor
    per["total"] = F.round_half_up(per["exec_score"] + per["indicator_score"].fillna(0) * factor, decimals)
    per.loc[per["indicator_score"].isna() & per["exec_score"].isna(), "total"] = np.nan
    per["grade"] = F.grade(per["total"], rules["evaluation.grade_bands"])
    per["difference"] = F.round_half_up(per["unit_total"] - per["total"], decimals)
    per.index.name = "project_id"
    per = per.reset_index()
    return Scores(ind, per)


def _weighted_completion(ind: pd.DataFrame) -> pd.Series:
    return F.overall_completion(ind["completion"], ind["weight"], ind["project_id"]).rename("completion")


def explain_projects(per: pd.DataFrame, rules: Rulebook) -> pd.Series:
    """说明 for project totals (any subset of rows of ``Scores.projects``)."""
    rate = _fmt(per["exec_rate"] * 100, ".2f")
    exec_part = ("执行率 " + rate + "% × " + _fmt(per["exec_weight"]) + " 分 = " + _fmt(per["exec_score"]))
    exec_part = exec_part.mask(per["exec_rate"].isna(),
                               "缺少预算/执行金额，执行率得分取单位自评值 " + _fmt(per["unit_exec_score"]))
    ind_part = "指标得分合计 " + _fmt(per["indicator_score"])
    ind_part = ind_part.mask(per["scale"] != 1.0, ind_part + "（未设满意度指标，按 ×" + _fmt(per["scale"].round(4))
                             + " 分摊）")
    unscored = per["n_unscored"].fillna(0).astype(int)
    ind_part = ind_part.mask(unscored > 0, ind_part + "，" + unscored.astype(str) + " 个指标无法计分")
    bands = rules["evaluation.grade_bands"]
    band_text = "、".join(f"{k}≥{v}" for k, v in bands.items())
    return (exec_part.fillna("") + "；" + ind_part.fillna("") + "；总分 " + _fmt(per["total"]) + "，等级 "
            + per["grade"].fillna("—").astype("string") + "（" + band_text + "，"
            + rules.cite("evaluation.grade_bands").split("（")[0] + "）")
