"""审核: the target-setting review (docs/rules.md), the third-party review of self-evaluations (§5) and
archive completeness.

Each finding is a row ``project_id, indicator, finding, explanation`` with ``finding`` drawn from the
vocabulary of docs/data-contract.md, so units get a 整改 list they can act on row by row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from perfkit.analyses.evaluation import (
    PENDING,
    cite,
    explain_indicators,
    unscored_reason,
    weights_add_up,
)
from perfkit.analyses.wording import fmt
from perfkit.io.contract import ARCHIVE_ITEMS
from perfkit.io.keys import composite_key, first_occurrences, first_rows, left_lookup, present_in
from perfkit.io.load import Dataset
from perfkit.io.values import group_key, lookup, matches, plain_text, same_text
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import Rulebook
from perfkit.rules.target_columns import combine_target_parts, parse_texts
from perfkit.rules.targets import BAD, DATE, EMPTY, QUAL, Vocabulary

FINDING_COLUMNS = ["project_id", "indicator", "finding", "explanation"]
FINDING_TYPES = (
    "未完成目标仍得满分", "得分与规则不符", "实际值照抄目标值", "总分与分项不符", "定性得分超出档次",
    "缺少偏差说明", "指标与目标不一致", "执行率计算错误", "无法解析", "无法复算", "分值合计不符", "预算数据缺失",
    "自评总分超过满分", "执行数超过预算", "自评与监控不一致",
)


def _findings(mask: pd.Series | np.ndarray, frame: pd.DataFrame, finding: str,
              explain: Callable[[pd.DataFrame], pd.Series] | str) -> pd.DataFrame:
    """Rows of ``frame`` where ``mask`` holds, as findings; the explanation is built for those rows only."""
    sub = plain_text(frame.loc[np.asarray(mask, dtype=bool)])
    exp = explain if isinstance(explain, str) else explain(sub)
    return pd.DataFrame({
        "project_id": sub["project_id"].astype("str").to_numpy(),
        "indicator": sub["indicator"].astype("str").to_numpy() if "indicator" in sub else "",
        "finding": finding,
        "explanation": exp if isinstance(exp, str) else exp.astype("str").to_numpy(),
    })


def _s(values: pd.Series, digits: int | None = None) -> pd.Series:
    """Numbers as text for explanations, as people write them (50, 42.3, 2126100 — no 50.0, no exponent,
    no inf)."""
    return fmt(pd.Series(values).astype(float), 4 if digits is None else digits)


def review_self_evaluation(ind: pd.DataFrame, projects: pd.DataFrame, ds: Dataset, rules: Rulebook) -> pd.DataFrame:
    """第三方审核: every finding type of docs/data-contract.md from the scored indicators and projects."""
    tol = rules["evaluation.score_tolerance"]
    w, us, s = ind["weight"], ind["unit_score"], ind["score"]
    comp = ind["completion"]
    quantitative = ind["cmp"].isin(["≥", "≤", "=", "区间"]) & ind["actual_kind"].ne(QUAL)
    out = []
    missed_full = quantitative & (comp < 1.0) & us.notna() & ~F.above(w, us, tol)  # full marks within rounding
    out.append(_findings(missed_full, ind, "未完成目标仍得满分", lambda f: "完成率 " + _s(f["completion"] * 100, 1)
                         + "%，单位仍给满分 " + _s(f["weight"])))
    # a qualitative row is judged by its tier's range (定性得分超出档次 below), not by the recomputed point
    qualitative = ind["actual_kind"].eq(QUAL) & ind["case"].isin(["qual", "date_qual"])
    differs = pd.Series(F.beyond(us, s, tol), index=ind.index) & ~qualitative
    out.append(_findings(differs & ~missed_full, ind, "得分与规则不符", lambda f: "单位得分 " + _s(f["unit_score"])
                         + "，复算 " + _s(f["score"]) + "：" + explain_indicators(f, rules)))
    copied_text = quantitative & same_text(ind["actual_text"], ind["target_text"]) & \
        matches(ind["actual_text"], r"^\s*[≥≤=<>≧≦]")
    copied = ind["actual_has_comparator"].astype(bool) | copied_text
    out.append(_findings(copied, ind, "实际值照抄目标值", lambda f: "实际完成值「" + f["actual_text"].fillna("")
                         + "」与指标值「" + f["target_text"].fillna("") + "」写法相同（含比较符），不是实际测量值"))
    out.append(_outside_tier(ind, us, w, rules))  # each rule's own arrays are freed when it returns:
    out.append(_no_deviation_reason(ind, comp, quantitative, rules))  # at province scale 8M floats apiece
    # 无法解析: a text perfkit could not read; 无法复算: a row carrying points whose score could not be
    # recomputed (blank or unreadable value, no 分值, units that do not compare) — never a silent 0
    unread = ind["target_kind"].eq(BAD) | ind["actual_kind"].eq(BAD)
    out.append(_findings(unread, ind, "无法解析", lambda f: unscored_reason(f)))
    unscored = ind["unscored"].astype(bool)

    def unscored_words(f: pd.DataFrame) -> pd.Series:
        points = ("该行 " + _s(f["weight"]) + " 分").where(f["weight"].notna(), "该行分值不明")
        return unscored_reason(f) + "；" + points + "未计入复算，项目复算" + PENDING + "，不得按 0 分处理"
    out.append(_findings(unscored, ind, "无法复算", unscored_words))
    if ds.has("targets"):  # 指标与目标不一致: self-evaluation against the declared targets
        out.extend(_against_declared_targets(ind, ds.table("targets")))
    out.extend(_against_monitoring(ind, projects, ds, rules))  # 自评与监控不一致 (year-end monitoring rows)
    # project level: totals and execution
    p = projects
    decimals = rules["evaluation.decimals"]
    sums = ind.groupby("project_id", observed=True)["unit_score"].sum()
    key = p["project_id"]
    if not len(sums):  # a header-only 绩效自评 beside 自评汇总: no indicator points for any project
        summed = np.full(len(p), np.nan)
    else:
        if not (isinstance(key.dtype, pd.CategoricalDtype) and key.dtype == sums.index.dtype):
            key = key.astype(object)  # two sets of categories: matched by value
        summed = sums.reindex(key).to_numpy()
    parts = p["unit_exec_score"] + summed
    bad_total = pd.Series(F.beyond(p["unit_total"], F.round_half_up(parts, decimals), tol), index=p.index)
    p1 = p.assign(indicator="")
    out.append(_findings(bad_total, p1, "总分与分项不符", lambda f: "自评总分 " + _s(f["unit_total"])
                         + "，执行率得分与各指标得分合计 " + _s(parts[f.index], decimals)))
    bad_exec = p["exec_rate"].notna() & p["unit_exec_score"].notna() & F.beyond(p["unit_exec_score"], p["exec_score"], tol)
    out.append(_findings(bad_exec, p1, "执行率计算错误", lambda f: "单位执行率得分 " + _s(f["unit_exec_score"])
                         + "，按执行率 " + _s(f["exec_rate"] * 100, 2) + "% 复算为 " + _s(f["exec_score"])))
    over_spent = pd.Series(F.above(p["exec_rate"], 1.0, 0.0), index=p.index)  # exact: 100.00% is not above
    out.append(_findings(over_spent, p1, "执行数超过预算", lambda f: "全年执行数超过全年预算数（执行率 "
                         + _s(f["exec_rate"] * 100, 2) + "%），执行率得分按 100% 计，请核实超支或结转资金"))
    total_points = rules["evaluation.total_points"]
    over_total = pd.Series(F.above(p["unit_total"], total_points, tol), index=p.index)
    out.append(_findings(over_total, p1, "自评总分超过满分", lambda f: "自评总分 " + _s(f["unit_total"]) + " 超过满分 "
                         + str(total_points) + "（" + cite(rules, "evaluation.total_points") + "）"))
    # Σ indicator weights + execution weight against the form's total; a redistributed missing 满意度
    # block is the rulebook's own rule (said in 说明), and unknown weights are 无法复算 already
    known = p["n_no_weight"].fillna(0).eq(0) & p["n_indicators"].fillna(0).gt(0)
    off = known & ~p["weights_valid"].astype(bool)
    out.append(_findings(off, p1, "分值合计不符", lambda f: "指标分值合计 " + _s(f["weight_sum"]) + " + 执行率分值 "
                         + _s(f["exec_weight"]) + " = " + _s(f["points_sum"]) + "，应为 " + str(total_points)
                         + "；按所填分值复算，未作调整（" + cite(rules, "evaluation.total_points") + "）"))
    no_amounts = ~p["exec_recomputed"].astype(bool)

    def budget_words(f: pd.DataFrame) -> pd.Series:
        b, sp = f["budget"].astype("Float64"), f["spent"].astype("Float64")
        why = pd.Series("全年预算数、全年执行数均缺失（或「项目」表中没有该项目）", index=f.index)
        why = why.mask((b.notna() & sp.isna()).to_numpy(dtype=bool), "全年执行数缺失")
        why = why.mask((b.isna() & sp.notna()).to_numpy(dtype=bool), "全年预算数缺失")
        why = why.mask((b.fillna(1) <= 0).to_numpy(dtype=bool), "全年预算数为 0")
        own = ("单位自评 " + _s(f["unit_exec_score"]) + " 分").where(f["unit_exec_score"].notna(), "单位未填执行率得分")
        return why + "，执行率得分无法复算（" + own + "，仅为单位自报），该项 " + _s(f["exec_weight"]) \
            + " 分未计入复算，项目复算" + PENDING
    out.append(_findings(no_amounts, p1, "预算数据缺失", budget_words))
    findings = pd.concat([f for f in out if len(f)], ignore_index=True) if any(len(f) for f in out) else \
        pd.DataFrame(columns=FINDING_COLUMNS)
    return findings[FINDING_COLUMNS]


def _outside_tier(ind: pd.DataFrame, us: pd.Series, w: pd.Series, rules: Rulebook) -> pd.DataFrame:
    """定性得分超出档次: a qualitative row whose score share lies outside its tier's range."""
    tiers = rules["evaluation.qualitative_tiers"]
    lo = pd.Series(lookup(ind["tier"], {k: v[0] for k, v in tiers.items()}, float), index=ind.index)
    hi = pd.Series(lookup(ind["tier"], {k: v[1] for k, v in tiers.items()}, float), index=ind.index)
    share = us / w
    top = ind["tier"].eq(max(tiers, key=lambda k: tiers[k][1]))  # the top tier's range includes 100%
    outside = ind["actual_kind"].eq(QUAL) & w.gt(0) & ((share < lo - 1e-9) | (share > hi + 1e-9)
                                                       | (~top & (share >= hi - 1e-9)))

    def tier_words(f: pd.DataFrame) -> pd.Series:
        return ("「" + f["tier"].fillna("") + "」档得分区间为 " + _s(lo[f.index] * 100, 0) + "%–"
                + _s(hi[f.index] * 100, 0) + "%，单位给分 " + _s(f["unit_score"] / f["weight"] * 100, 1) + "%（"
                + cite(rules, "evaluation.qualitative_tiers") + "）")
    return _findings(outside, ind, "定性得分超出档次", tier_words)


def _no_deviation_reason(ind: pd.DataFrame, comp: pd.Series, quantitative: pd.Series, rules: Rulebook
                         ) -> pd.DataFrame:
    """缺少偏差说明: completion below the threshold, or far above the target, with no reason given."""
    over = rules["evaluation.overachievement_ratio"]
    below = rules["review.explain_below"]
    # far above the target: a forward or equal target, or a range's upper bound (a range exceeded that far
    # is scored down already, and still needs its reason)
    bound = ind["target"].astype(float).where(~ind["cmp"].eq("区间"), ind["target_hi"].astype(float))
    ratio = (ind["actual"].astype(float) / bound).where(bound > 0)  # no ratio to a zero target (never inf)
    needs = (comp < below) | (quantitative & ind["cmp"].isin(["≥", "=", "区间"]) & (ratio >= over))
    no_reason = ~matches(ind["deviation_reason"], r"\S")

    def deviation_words(f: pd.DataFrame) -> pd.Series:
        low = "完成率 " + _s(f["completion"] * 100, 1) + "%，未填写偏差原因分析"
        high = "实际达到目标的 " + _s(ratio[f.index], 2) + " 倍（≥" + str(over) + "），未说明"
        return low.where(f["completion"] < below, high)
    return _findings(needs & no_reason, ind, "缺少偏差说明", deviation_words)


# the tables 自评与监控不一致 compares the self-evaluation with
MONITORING_TABLES = ("exec_monitor", "ind_monitor")


def compares_monitoring(rules: Rulebook, month: int | None) -> bool:
    """Whether the review can find 自评与监控不一致 with the monitoring read up to ``month``: only a
    report of the rulebook's year-end month or later is compared (none read: none compared)."""
    return month is not None and int(month) >= int(rules["review.self_vs_monitoring"]["from_month"])


def last_reported_month(ds: Dataset) -> int | None:
    """The latest month any monitoring table of ``ds`` holds (None: no monitoring rows read)."""
    months = [ds.table(t)["month"].astype(float).max() for t in MONITORING_TABLES if ds.has(t) and len(ds.table(t))]
    months = [m for m in months if m == m]  # NaN: a table whose months are all blank
    return int(max(months)) if months else None


def _against_monitoring(ind: pd.DataFrame, projects: pd.DataFrame, ds: Dataset, rules: Rulebook
                        ) -> list[pd.DataFrame]:
    """自评与监控不一致: the year-end 实际完成值 against the last reported 指标监控 value, and 全年执行数
    against the last 执行监控 row — only where that last report is of the rulebook's month (year end:
    a May figure is not a year-end one). Numbers are read as the scoring reads them (the self-evaluation's
    指标值 gives the unit and scale); a relative difference above the rulebook's share is the finding."""
    spec = rules["review.self_vs_monitoring"]
    from_month = int(spec["from_month"])
    found: list[pd.DataFrame] = []
    reported = last_reported_month(ds)
    if reported is not None and not compares_monitoring(rules, reported):  # said, not silently skipped (annex)
        note = (f"自评与监控一致性未核对：监控数据最晚报送至{reported}月，规则为与{from_month}月及以后报送的"
                "监控数比较（年中的累计数不是全年数）")
        if note not in ds.notes:
            ds.notes.append(note)
    if ds.has("exec_monitor") and "spent" in projects:
        ex = ds.table("exec_monitor")
        last = ex.sort_values("month", kind="stable").drop_duplicates("project_id", keep="last")
        last = last.loc[last["month"].astype(float) >= from_month]
        if len(last):
            cum = pd.Series(last["spent_cum"].astype("Float64").to_numpy(float, na_value=np.nan),
                            index=last["project_id"].astype(object).to_numpy())
            p = projects.assign(indicator="")
            monitored = cum.reindex(p["project_id"].astype(object).to_numpy()).to_numpy()
            spent = p["spent"].astype("Float64").to_numpy(float, na_value=np.nan)
            budget = p["budget"].astype("Float64").to_numpy(float, na_value=np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                off = np.round(np.abs(spent - monitored) / budget, 9) > float(spec["execution_share"])
            off = off & (budget > 0)
            p = p.assign(_monitored=monitored)
            found.append(_findings(off, p, "自评与监控不一致", lambda f: "全年执行数 " + _s(f["spent"].astype(float) / 1e6, 2)
                                   + "万元，" + str(from_month) + "月执行监控累计执行数 " + _s(f["_monitored"] / 1e6, 2)
                                   + "万元，相差超过全年预算数的 " + _s(pd.Series(float(spec["execution_share"]) * 100,
                                                                        index=f.index), 2) + "%"))
    if ds.has("ind_monitor"):
        from perfkit.analyses.reading import read_indicators

        im = ds.table("ind_monitor")
        im = im.loc[im["month"].astype(float) >= from_month]
        if len(im):
            last = im.sort_values("month", kind="stable").drop_duplicates(["project_id", "indicator"], keep="last")
            key = ["project_id", "indicator"]
            monitored, hit = left_lookup(ind[key], last, key, ["done_text", "month"])
            if hit.any():
                rows = ind.loc[hit]
                frame = pd.DataFrame({"target_text": rows["target_text"].astype(object).to_numpy(),
                                      "actual_text": monitored.loc[hit, "done_text"].astype(object).to_numpy(),
                                      "indicator": rows["indicator"].astype(object).to_numpy()})
                r = read_indicators(frame, rules)
                numeric = r["a_kind"].isin(["", "≥", "≤", "="]).to_numpy() & ~r["unit_mismatch"].to_numpy(bool)
                own = rows["actual"].astype(float).to_numpy()
                mon = r["a_value"].to_numpy(float)
                with np.errstate(invalid="ignore", divide="ignore"):
                    base = np.fmax(np.abs(own), np.abs(rows["target"].astype(float).to_numpy()))
                    off = numeric & (np.round(np.abs(own - mon) / base, 9) > float(spec["indicator_share"]))
                off = off & (base > 0)
                rows = rows.assign(_done=monitored.loc[hit, "done_text"].astype(object).to_numpy())
                found.append(_findings(off, rows, "自评与监控不一致", lambda f: "实际完成值「" + f["actual_text"].fillna("")
                                       + "」，" + str(from_month) + "月指标监控累计完成值「" + f["_done"].fillna("")
                                       + "」，相差超过 " + _s(pd.Series(float(spec["indicator_share"]) * 100, index=f.index), 2)
                                       + "%"))
    return found


def _against_declared_targets(ind: pd.DataFrame, targets: pd.DataFrame) -> list[pd.DataFrame]:
    """指标与目标不一致: self-evaluation rows not among the declared targets, declared with another value,
    and declared targets not reported on."""
    found_rows = []
    key = ["project_id", "indicator"]
    tg = targets[[*key, "target_text"]]
    tg = first_rows(tg.loc[present_in(tg, ind, ["project_id"])], key)
    m = ind[[*key, "target_text"]]
    declared, found = left_lookup(m, tg, key, ["target_text"], suffix="_declared")
    m = pd.concat([m, declared], axis=1)
    found_rows.append(_findings(~found, m, "指标与目标不一致", "自评指标不在已批复的绩效目标中"))
    changed = found & ~same_text(m["target_text"], m["target_text_declared"], squash=True)
    found_rows.append(_findings(changed, m, "指标与目标不一致", lambda f: "自评所列指标值「"
                                + f["target_text"].fillna("") + "」与绩效目标「" + f["target_text_declared"].fillna("")
                                + "」不同"))
    found_rows.append(_findings(~present_in(tg, ind, key), tg, "指标与目标不一致", "绩效目标中的指标未在自评中填报"))
    return found_rows


def review_targets(ds: Dataset, rules: Rulebook) -> pd.DataFrame:
    """绩效目标设置审核: output/outcome blocks present, quantified values, readable comparators,
    weights that add up, no indicator twice."""
    tg = ds.table("targets")
    vocab = Vocabulary.from_rules(rules)  # 指标性质 / 计量单位 cells joined to 指标值 as one target text
    parsed = parse_texts(combine_target_parts(tg["target_text"], tg.get("comparator_text"), tg.get("unit_text"), vocab),
                         vocab, rules.year)
    out = []
    # every per-project test grouped once: at 8M target rows each grouping costs seconds, the sums little
    required = list(rules["targets.required_blocks"])
    per_project = pd.DataFrame({**{f"has_{i}": tg["level1"].eq(block) for i, block in enumerate(required)},
                                "has_satisfaction": tg["level1"].isin(rules["evaluation.satisfaction_blocks"]),
                                "weight": tg["weight"]}, index=tg.index, copy=False).groupby(group_key(tg["project_id"]))
    present = per_project[[*(f"has_{i}" for i in range(len(required))), "has_satisfaction"]].any()
    for i, block in enumerate(required):
        has = present[f"has_{i}"]
        missing = has.index[~has.to_numpy()]
        out.append(pd.DataFrame({"project_id": np.asarray(missing, dtype=object), "indicator": "",
                                 "finding": f"缺少{block}", "explanation": f"绩效目标未设置{block}"}))
    quant = tg["level2"].isin(rules["targets.quantitative_level2"])
    kind = parsed["kind"]
    deadline_block = tg["level2"].isin(rules["targets.deadline_level2"]).to_numpy()
    # a 时效 target is quantified by a date; the others by a number (or range)
    unquant = quant & (kind.isin([QUAL, BAD, EMPTY]).to_numpy() | (kind.eq(DATE).to_numpy() & ~deadline_block))
    out.append(_findings(unquant, tg, "指标未量化", lambda f: "「" + f["level2"].fillna("") + "」应为量化指标，指标值为「"
                         + f["target_text"].fillna("") + "」"))
    # a quantified value needs its unit (度量单位): a bare number under 数量/质量/时效/成本 says nothing
    no_unit = (quant & ~unquant & kind.isin(["", "≥", "≤", "=", "区间"]).to_numpy()
               & parsed["unit"].eq("").to_numpy() & (parsed["scale"].to_numpy(float) == 1.0))
    out.append(_findings(no_unit, tg, "缺少计量单位", lambda f: "「" + f["level2"].fillna("") + "」的指标值「"
                         + f["target_text"].fillna("") + "」没有计量单位"))
    unread = kind.isin([BAD, EMPTY]).to_numpy() & ~unquant
    del parsed  # one reading per target row: at province scale 8M rows of it
    out.append(_findings(unread, tg, "比较符或指标值无法识别", lambda f: "指标值「" + f["target_text"].fillna("") + "」"))
    # weights: the same test as the scoring (the project's own 执行率分值; a missing 满意度 block may leave
    # exactly its weight to the others)
    wsum = per_project["weight"].sum(min_count=1)
    has_sat = present["has_satisfaction"]
    exec_w = pd.Series(float(rules["evaluation.execution_weight"]), index=wsum.index)
    summary = ds.get("self_summary")
    if summary is not None and "exec_weight" in summary:
        own = summary.drop_duplicates("project_id").set_index("project_id")["exec_weight"].astype(float)
        own.index = own.index.astype(object)
        exec_w = own.reindex(pd.Index(np.asarray(wsum.index, dtype=object))).set_axis(wsum.index).fillna(exec_w)
    valid, _ = weights_add_up(wsum, exec_w, has_sat.reindex(wsum.index).fillna(False), rules)
    off = wsum.notna().to_numpy() & ~valid
    total = rules["evaluation.total_points"]
    out.append(pd.DataFrame({"project_id": np.asarray(wsum.index[off], dtype=object), "indicator": "",
                             "finding": "分值合计不符",
                             "explanation": ("指标分值合计 " + _s(wsum[off]) + "，应为 " + str(total) + " − 执行率分值 "
                                             + _s(exec_w[off]) + " = " + _s(total - exec_w[off])).to_numpy()}))
    dup = ~first_occurrences(composite_key(tg, ["project_id", "indicator"]))
    out.append(_findings(dup, tg, "指标重复", "同一项目重复设置该指标"))
    found = [f for f in out if len(f)]
    return pd.concat(found, ignore_index=True)[FINDING_COLUMNS] if found else pd.DataFrame(columns=FINDING_COLUMNS)


def archive_completeness(ds: Dataset) -> pd.DataFrame:
    """评价档案: share of the seven archive items present per project, and which are missing."""
    ar = ds.table("archive")
    cols = [f"archive_{i}" for i in range(1, len(ARCHIVE_ITEMS) + 1)]
    have = ar[cols].astype(bool)
    out = ar[["project_id"]].copy()
    out["completeness"] = have.mean(axis=1)
    missing = ~have
    labels = pd.Series([f"{x}、" for x in ARCHIVE_ITEMS], index=cols, dtype=object)
    out["missing"] = missing.astype(object).dot(labels).astype("string").str.rstrip("、")
    return out
