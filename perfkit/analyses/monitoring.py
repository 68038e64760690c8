"""绩效运行监控 ("双监控"): budget execution and target progress at an as-of month (docs/rules.md).

A project is a 预警项目 when its execution light is red, when execution progress and overall target
completion differ by more than the rulebook's deviation (20 percentage points in the seed), when a
unit declared a target 完全不可能 to reach, or when it did not report (未报送): no execution row, or no
usable indicator progress, for the as-of month. No report is never a good report: such a project takes
a light of its own (rulebook ``monitoring.unreported``), never green.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.analyses.evaluation import by_row_chunks, projects_of_year, with_target_read
from perfkit.analyses.reading import read_indicators, reading_cases
from perfkit.io.contract import CATEGORIES, MONITOR_CLASSES
from perfkit.io.keys import left_lookup
from perfkit.io.load import Dataset, InputError
from perfkit.io.values import lookup
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import Rulebook
from perfkit.rules.targets import EMPTY


@dataclass
class Monitoring:
    month: int
    projects: pd.DataFrame  # one row per project: progress, lights, warning and its reasons
    indicators: pd.DataFrame  # one row per monitored indicator at the month


def time_progress(month: int, months_in_year: int = 12) -> float:
    """序时进度 = m / 12 (the rulebook's ``monitoring.months_in_year``)."""
    return month / float(months_in_year)


def execution_progress(ds: Dataset, month: int, year: int | None = None) -> pd.DataFrame:
    """Cumulative execution at the month against the full-year budget, per project of ``year``."""
    projects = ds.table("projects")
    projects = projects_of_year(projects, year) if year is not None else projects.drop_duplicates("project_id")
    from perfkit.analyses.exante import first_requests

    projects = projects.loc[~first_requests(projects)]  # next year's first-time requests: nothing to monitor yet
    ex = ds.table("exec_monitor")
    at = ex.loc[ex["month"] == month, ["project_id", "spent_cum"]].drop_duplicates("project_id")
    out = projects[["project_id", "project_name", "unit_id", "category", "monitor_class", "budget",
                    "key_project", "livelihood", "classified"]].merge(at, on="project_id", how="left")
    out["exec_progress"] = F.execution_rate(out["spent_cum"].astype("Float64").to_numpy(float, na_value=np.nan),
                                            out["budget"].astype("Float64").to_numpy(float, na_value=np.nan))
    return out


def indicator_pace(ds: Dataset, rules: Rulebook, month: int) -> pd.DataFrame:
    """Each indicator's progress at the month against its declared target, with its pace light."""
    im = ds.table("ind_monitor")
    im = im.loc[im["month"] == month]
    targets = ds.table("targets")
    split = [c for c in ("comparator_text", "unit_text") if c in targets]  # 指标性质 / 计量单位 cells
    declared, _ = left_lookup(im, targets, ["project_id", "indicator"], ["target_text", "weight", *split])
    frame = pd.concat([im, declared], axis=1).rename(columns={"done_text": "actual_text"}).reset_index(drop=True)
    return pd.concat([frame, by_row_chunks(_pace_rows, with_target_read(frame, rules), rules, month)], axis=1)


def _pace_rows(frame: pd.DataFrame, rules: Rulebook, month: int) -> pd.DataFrame:
    """Progress (pace) and light of monitored indicator rows, row by row."""
    r = read_indicators(frame, rules)
    a, t = r["a_value"].to_numpy(float), r["t_value"].to_numpy(float)
    cases = {k: v.to_numpy(bool) for k, v in reading_cases(r).items()}  # the scoring's own reading
    tp = time_progress(month, rules["monitoring.months_in_year"])
    level = (rules["monitoring.rates_are_levels"] & r["t_unit"].eq("%")).to_numpy(bool)
    hi = r["t_value_hi"].to_numpy(float)
    is_range = cases["range"]
    eq_zero = cases["eq"] & (t == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fwd = np.where(level, a / t, a / (t * tp))
        pace = np.select(
            [cases["fwd"], cases["eq"] & (t != 0), eq_zero, cases["rev"], is_range],
            [fwd, fwd, np.where(a <= 0, 1.0, 0.0), np.where(a <= t, 1.0, t / a), range_pace(a, t, hi, tp, level)],
            np.nan)
    pl = rules["monitoring.pace_light"]
    rank = F.light_rank(pace, pl["red"], pl["yellow"], pl["blue"])  # 3 红 … 0 绿, as numbers until the end
    red, green = F.LIGHT_ORDER["红"], F.LIGHT_ORDER["绿"]
    # reverse and equal targets: green while within the cap, red once over it
    capped = cases["rev"] | eq_zero
    rank = np.where(capped, np.where(pace >= 1.0, green, red), rank)
    # a range target's upper bound is a cap for the year: over it is its own light (rulebook)
    over_cap = is_range & (a > hi)
    rank = np.where(over_cap, F.LIGHT_ORDER[rules["monitoring.range_pacing"]["over_upper_light"]], rank)
    tier = r["a_tier"]
    qual = cases["qual"] | cases["date_qual"]  # words against words (or a deadline met on time): by tier
    tier_light = rules["monitoring.tier_lights"]
    rank = np.where(qual, lookup(tier, {k: F.LIGHT_ORDER[v] for k, v in tier_light.items()}, float), rank)
    points = rules["evaluation.qualitative_points"]
    pace = np.where(qual, lookup(tier, points, float), pace)
    deadline = cases["date"]
    pace = np.where(deadline, (a <= t).astype(float), pace)
    rank = np.where(deadline, np.where(a <= t, green, red), rank)
    # both cells filled but not comparable (a word against a number): 无法判断 — no light, never green
    reported = ~r["a_kind"].eq(EMPTY).to_numpy() & frame["target_text"].notna().to_numpy()
    undecidable = reported & ~np.logical_or.reduce(list(cases.values()))
    pace = np.where(undecidable, np.nan, pace)
    rank = np.where(undecidable, np.nan, rank)
    return pd.DataFrame({"pace": pace, "light": F.lights_of(rank),
                         "unread": np.isnan(rank) & frame["target_text"].notna().to_numpy(),
                         "undecidable": undecidable, "restated": r["restated"].to_numpy(bool),
                         "unknown_indicator": frame["target_text"].isna().to_numpy()})


def range_pace(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, tp: float, level: np.ndarray) -> np.ndarray:
    """A range target paced against both bounds (docs/rules.md, rulebook ``monitoring.range_pacing``).

    Cumulative quantities pace both bounds by 序时进度 (rates, as levels, do not): below the paced lower
    bound the progress is actual ÷ paced lower bound (as a forward target); between the paced bounds it
    is 100%; above the paced upper bound but within the year's upper bound it is actual ÷ paced upper
    bound (over pace, > 100%); above the year's upper bound it is upper ÷ actual (as a reverse target
    over its cap, whose light the caller sets)."""
    share = np.where(level, 1.0, tp)
    lo_p, hi_p = lo * share, hi * share
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a < lo_p, a / lo_p,
                        np.where(a <= hi_p, 1.0, np.where(a <= hi, a / hi_p, hi / a)))


def warning_flags(p: pd.DataFrame, threshold: float, rules: Rulebook) -> pd.Series:
    """The seed's warning rule on per-project monitoring results, at a deviation ``threshold``
    (percentage points): a red execution light, a deviation above the threshold, a target declared
    完全不可能, or no report for the month (未报送)."""
    impossible = p["impossible"].fillna(False).astype(bool) & bool(rules["monitoring.impossible_is_warning"])
    unreported = p["unreported"].fillna(False).astype(bool) if "unreported" in p else False
    unreported = unreported & bool(rules["monitoring.unreported"]["is_warning"])
    return p["exec_light"].eq("红") | (p["deviation_pp"] > threshold) | impossible | unreported


def check_light_severity(rules: Rulebook) -> None:
    """The order of the lights (绿 < 蓝 < 黄 < 红) is the rulebook's (monitoring.light_severity); the lights
    are stored as ranks in that order, so a profile that orders them otherwise is refused in words rather
    than read with the wrong severity."""
    order = [str(x) for x in rules["monitoring.light_severity"]]
    if order != list(F.LIGHTS):
        raise InputError(f"规则手册「{rules.profile}」的预警灯轻重顺序为 {'<'.join(order)}；本程序目前只支持 "
                         f"{'<'.join(F.LIGHTS)}（尚未实现其他顺序），请改回或联系维护者")


def monitor(ds: Dataset, rules: Rulebook, month: int) -> Monitoring:
    """Lights, overall completion and the seed's warning rule for every project at ``month``."""
    check_light_severity(rules)
    if not 1 <= int(month) <= 12:
        raise InputError(f"监控月份应为 1–12，实际为 {month}")
    ex = execution_progress(ds, month, rules.year)
    tp = time_progress(month, rules["monitoring.months_in_year"])
    el = rules["monitoring.execution_light"]
    ex["time_progress"] = tp
    ex["exec_ratio"] = ex["exec_progress"] / tp
    ex["exec_light"] = F.traffic_light(ex["exec_ratio"], el["red"], el["yellow"])
    if ds.has("ind_monitor") and ds.has("targets"):
        ind = indicator_pace(ds, rules, month)
        # per project by integer codes, labelled once at the end (group-bys on a categorical key came out
        # with CategoricalIndexes whose alignment cost more than the group-bys). The codes are dense (0 … k−1,
        # a blank −1), so the counts and the worst light are counts per code, each array freed before the
        # next (this runs at the second process's peak); the completion is the rule's own, grouped by pandas
        codes, uniques = _factorized(ind["project_id"])
        on = codes >= 0
        c = codes[on]
        k = len(uniques)

        def count(flags: np.ndarray) -> np.ndarray:
            return np.bincount(c[np.asarray(flags, dtype=bool)[on]], minlength=k)

        completion = F.overall_completion(ind["pace"], ind["weight"], codes)
        rank = F.light_ranks(ind["light"])
        worst = np.full(k, np.nan)
        for r in sorted(F.LIGHT_ORDER.values()):  # the most severe light present wins
            worst[count(rank == r) > 0] = r
        del rank
        per = pd.DataFrame({
            "target_completion": completion.reindex(range(k)).to_numpy(),
            "indicator_light": F.lights_of(worst),
            "impossible": count(ind["likelihood"].eq("完全不可能").to_numpy(bool)) > 0,
            "n_red_indicators": count(ind["light"].eq("红").to_numpy(bool)),
            "n_paced": count(~np.isnan(ind["pace"].to_numpy(float))),
            "n_undecidable": count(ind["undecidable"].to_numpy(bool)),
        })
        per.index = pd.Index(np.asarray(uniques, dtype=object))  # rows without a 项目编码 belong to no project
        ex = ex.merge(per, left_on="project_id", right_index=True, how="left")
    else:
        ind = pd.DataFrame()
        ex[["target_completion", "indicator_light", "impossible", "n_red_indicators", "n_paced", "n_undecidable"]] = np.nan
    # the rule's own inputs, each a column of 监控预警_<M>月.csv: 偏差 = |capped execution − completion| × 100
    ex["exec_pace"] = np.minimum(ex["exec_ratio"].to_numpy(float), float(rules["monitoring.execution_pace_cap"]))
    ex["deviation_pp"] = np.abs(ex["exec_pace"].to_numpy(float) - ex["target_completion"].to_numpy(float)) * 100
    unrep = rules["monitoring.unreported"]
    no_exec = ex["spent_cum"].isna().to_numpy(bool)
    no_progress = ~(ex["n_paced"].fillna(0).to_numpy(float) > 0)
    ex["unreported"] = no_exec | no_progress
    limit = rules["monitoring.warning_deviation"]
    abnormal = ex["exec_light"].eq("红")
    deviates = ex["deviation_pp"] > limit
    impossible = ex["impossible"].fillna(False).astype(bool) & bool(rules["monitoring.impossible_is_warning"])
    ex["warning"] = warning_flags(ex, limit, rules)
    reasons = pd.Series("", index=ex.index, dtype="string")
    reasons = reasons.mask(no_exec, reasons + unrep["execution"].format(month=int(month)) + "；")
    reasons = reasons.mask(no_progress, reasons + unrep["indicators"].format(month=int(month)) + "；")
    reasons = reasons.mask(abnormal, reasons + "预算执行进度不正常（执行率为序时进度的"
                           + (ex["exec_ratio"] * 100).round(1).astype("string") + "%）；")
    reasons = reasons.mask(deviates, reasons + "执行进度与目标总体完成率偏差"
                           + ex["deviation_pp"].round(1).astype("string") + "个百分点（超过" + f"{limit:g}"
                           + "个百分点）；")
    reasons = reasons.mask(impossible, reasons + "自报完成目标“完全不可能”；")
    ex["warning_reason"] = reasons.str.rstrip("；")
    rank = np.fmax(lookup(ex["exec_light"], F.LIGHT_ORDER, float), lookup(ex["indicator_light"], F.LIGHT_ORDER, float))
    light = pd.Series(F.lights_of(rank), index=ex.index)
    light = light.cat.add_categories([unrep["light"]]) if unrep["light"] not in F.LIGHTS else light
    ex["light"] = light.mask(ex["unreported"], unrep["light"])
    return Monitoring(int(month), ex.drop(columns="n_paced"), ind)


def _factorized(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of ``values`` as objects — codes in order of first appearance, a blank −1, the
    distinct values as objects — computed for a categorical on its integer codes: at 1M projects the
    column as objects was a Python string per 项目编码 and a reference per row of 8M (0.4 GB at the
    second process's peak)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(values)
        return codes, np.asarray(uniques, dtype=object)
    codes, seen = pd.factorize(values.cat.codes.to_numpy())
    blank = np.flatnonzero(seen == -1)
    if len(blank):  # the blank cells' code −1 was numbered as a value: numbered −1 again, the rest closed up
        codes = np.where(codes == blank[0], -1, codes - (codes > blank[0]))
        seen = np.delete(seen, blank[0])
    return codes, np.asarray(values.cat.categories.take(seen), dtype=object)


def summarize(mon: Monitoring, by: str | list[str]) -> pd.DataFrame:
    """项目数、预警项目数与金额 by 监控分类 / 支出类别 / 单位 (money in 分, exact)."""
    p = mon.projects
    budget = p["budget"].astype("Int64")
    g = p.assign(_warned_budget=budget.where(p["warning"], 0), _one=1).groupby(by, dropna=False)
    out = pd.DataFrame({
        "projects": g["_one"].sum(), "budget": g["budget"].sum(),
        "warned": g["warning"].sum(), "warned_budget": g["_warned_budget"].sum(),
        "red": g["light"].agg(lambda s: int((s == "红").sum())),
        "unreported": g["unreported"].sum(),
    })
    out["warning_rate"] = out["warned"] / out["projects"]
    out = out.reset_index()
    order = {"category": CATEGORIES, "monitor_class": MONITOR_CLASSES}.get(by) if isinstance(by, str) else None
    if order is not None:  # the contract's order in every table (the seed's), not the alphabet's
        rank = {c: i for i, c in enumerate(order)}
        out = out.sort_values(by, key=lambda s: s.astype(object).map(rank).fillna(len(rank)), kind="stable",
                              ignore_index=True)
    return out
