"""绩效运行监控 ("双监控"): budget execution and target progress at an as-of month (DOMAIN.md §2).

A project is a 预警项目 when its execution light is red, when execution progress and overall target
completion differ by more than the rulebook's deviation (20 percentage points in the seed), or when a
unit declared a target 完全不可能 to reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.analyses.evaluation import read_indicators
from perfkit.io.keys import left_lookup
from perfkit.io.load import Dataset, InputError
from perfkit.io.values import group_key, lookup
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import Rulebook
from perfkit.rules.targets import DATE, EQ, GE, LE, QUAL, RANGE

TIER_LIGHT = {"达成": "绿", "部分达成": "黄", "未达成": "红"}


@dataclass
class Monitoring:
    month: int
    projects: pd.DataFrame  # one row per project: progress, lights, warning and its reasons
    indicators: pd.DataFrame  # one row per monitored indicator at the month


def time_progress(month: int) -> float:
    """序时进度 = m / 12."""
    return month / 12.0


def execution_progress(ds: Dataset, month: int) -> pd.DataFrame:
    """Cumulative execution at the month against the full-year budget, per project."""
    projects = ds.table("projects")
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
    declared, _ = left_lookup(im, ds.table("targets"), ["project_id", "indicator"], ["target_text", "weight"])
    frame = pd.concat([im, declared], axis=1).rename(columns={"done_text": "actual_text"}).reset_index(drop=True)
    r = read_indicators(frame, rules)
    a, t, d = r["a_value"].to_numpy(float), r["t_value"].to_numpy(float), r["direction"]
    numeric_a = r["a_kind"].isin(["", GE, LE, EQ]) & ~r["unit_mismatch"]
    tp = time_progress(month)
    level = rules["monitoring.rates_are_levels"] & r["t_unit"].eq("%")
    with np.errstate(divide="ignore", invalid="ignore"):
        fwd = np.where(level, a / t, a / (t * tp))
        pace = np.select(
            [(d == GE) & numeric_a, (d == EQ) & numeric_a & (t != 0), (d == EQ) & numeric_a & (t == 0),
             (d == LE) & numeric_a, (d == RANGE) & numeric_a],
            [fwd, fwd, np.where(a <= 0, 1.0, 0.0), np.where(a <= t, 1.0, t / a), np.where(a <= r["t_value_hi"], 1.0, 0)],
            np.nan)
    pl = rules["monitoring.pace_light"]
    rank = F.light_rank(pace, pl["red"], pl["yellow"], pl["blue"])  # 3 红 … 0 绿, as numbers until the end
    red, green = F.LIGHT_ORDER["红"], F.LIGHT_ORDER["绿"]
    # reverse and equal targets: green while within the cap, red once over it
    capped = ((d == LE) | ((d == EQ) & (t == 0))).to_numpy() & numeric_a.to_numpy()
    rank = np.where(capped, np.where(pace >= 1.0, green, red), rank)
    tier = r["a_tier"]
    qual = (r["a_kind"] == QUAL).to_numpy()
    rank = np.where(qual, lookup(tier, {k: F.LIGHT_ORDER[v] for k, v in TIER_LIGHT.items()}, float), rank)
    points = rules["evaluation.qualitative_points"]
    pace = np.where(qual, lookup(tier, points, float), pace)
    deadline = ((d == DATE) & (r["a_kind"] == DATE)).to_numpy()
    pace = np.where(deadline, (a <= t).astype(float), pace)
    rank = np.where(deadline, np.where(a <= t, green, red), rank)
    return frame.assign(pace=pace, light=F.lights_of(rank),
                        unread=np.isnan(rank) & frame["target_text"].notna().to_numpy(),
                        unknown_indicator=frame["target_text"].isna())


def monitor(ds: Dataset, rules: Rulebook, month: int) -> Monitoring:
    """Lights, overall completion and the seed's warning rule for every project at ``month``."""
    if not 1 <= int(month) <= 12:
        raise InputError(f"监控月份应为 1–12，实际为 {month}")
    ex = execution_progress(ds, month)
    tp = time_progress(month)
    el = rules["monitoring.execution_light"]
    ex["exec_ratio"] = ex["exec_progress"] / tp
    ex["exec_light"] = F.traffic_light(ex["exec_ratio"], el["red"], el["yellow"])
    if ds.has("ind_monitor") and ds.has("targets"):
        ind = indicator_pace(ds, rules, month)
        key = group_key(ind["project_id"])
        per = pd.DataFrame({
            "target_completion": F.overall_completion(ind["pace"], ind["weight"], key),
            "indicator_light": F.worst_light(ind["light"], ind["project_id"]),
            "impossible": ind["likelihood"].eq("完全不可能").groupby(key).any(),
            "n_red_indicators": ind["light"].eq("红").groupby(key).sum(),
        })
        ex = ex.merge(per, left_on="project_id", right_index=True, how="left")
    else:
        ind = pd.DataFrame()
        ex[["target_completion", "indicator_light", "impossible", "n_red_indicators"]] = np.nan
    exec_pace = np.minimum(ex["exec_ratio"].to_numpy(float), 1.0)
    ex["deviation_pp"] = np.abs(exec_pace - ex["target_completion"].to_numpy(float)) * 100
    limit = rules["monitoring.warning_deviation"]
    abnormal = ex["exec_light"].eq("红")
    deviates = ex["deviation_pp"] > limit
    impossible = ex["impossible"].fillna(False).astype(bool) & bool(rules["monitoring.impossible_is_warning"])
    ex["warning"] = abnormal | deviates | impossible
    reasons = pd.Series("", index=ex.index, dtype="string")
    reasons = reasons.mask(abnormal, reasons + "预算执行进度不正常（执行率为序时进度的 "
                           + (ex["exec_ratio"] * 100).round(1).astype("string") + "%）；")
    reasons = reasons.mask(deviates, reasons + "执行进度与目标总体完成率偏差 "
                           + ex["deviation_pp"].round(1).astype("string") + " 个百分点（>" + str(limit) + "）；")
    reasons = reasons.mask(impossible, reasons + "自报完成目标「完全不可能」；")
    ex["warning_reason"] = reasons.str.rstrip("；")
    rank = np.fmax(lookup(ex["exec_light"], F.LIGHT_ORDER, float), lookup(ex["indicator_light"], F.LIGHT_ORDER, float))
    ex["light"] = F.lights_of(rank)
    return Monitoring(int(month), ex, ind)


def summarize(mon: Monitoring, by: str | list[str]) -> pd.DataFrame:
    """项目数、预警项目数与金额 by 监控分类 / 支出类别 / 单位 (money in 分, exact)."""
    p = mon.projects
    budget = p["budget"].astype("Int64")
    g = p.assign(_warned_budget=budget.where(p["warning"], 0), _one=1).groupby(by, dropna=False)
    out = pd.DataFrame({
        "projects": g["_one"].sum(), "budget": g["budget"].sum(),
        "warned": g["warning"].sum(), "warned_budget": g["_warned_budget"].sum(),
        "red": g["light"].agg(lambda s: int((s == "红").sum())),
    })
    out["warning_rate"] = out["warned"] / out["projects"]
    return out.reset_index()
