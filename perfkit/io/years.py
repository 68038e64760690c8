"""The year and the as-of month are facts of the data: checked against it, never silently defaulted.

The year reported on must be a 年度 of the 项目 table. A dataset holding several years is analysed for
the requested year only — the other years' projects, and the rows of every table that belong to them
alone, are left out and counted in a note; without a requested year it is refused with the years
found. The as-of month is the one asked for, or the latest month present in 执行监控.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from perfkit.io.base import InputError
from perfkit.io.load import Dataset


def years_in(ds: Dataset) -> list[int]:
    """The distinct 年度 of the 项目 table (blank ones left out), in order."""
    projects = ds.get("projects")
    if projects is None or "year" not in projects:
        return []
    return sorted({int(y) for y in pd.to_numeric(projects["year"], errors="coerce").dropna().unique()})


def _listed(years: list[int]) -> str:
    return "、".join(str(y) for y in years)


def check_year(years: list[int], year: int | None, source: object = "数据") -> int | None:
    """The year to analyse: ``year`` if the data hold it; else the data's only year. A year the data do
    not hold, or several years with none chosen, is an error naming the years found. None only when the
    data carry no 年度 at all and none was asked for (the caller decides)."""
    if year is not None:
        year = int(year)
        if years and year not in years:
            raise InputError(f"{source} 中没有 {year} 年度的数据：「项目」表的年度为 {_listed(years)}"
                             f"（用 --year 选择其中之一）")
        return year
    if len(years) == 1:
        return years[0]
    if len(years) > 1:
        raise InputError(f"{source} 含多个年度（{_listed(years)}）：请用 --year 指定要分析的年度"
                         "（或在工作区设置中填写「报告年度」）")
    return None


def select_year(ds: Dataset, year: int) -> Dataset:
    """The dataset of ``year`` alone: 项目 rows of that year (or without a 年度), and in every other
    table the rows of those projects. A code that recurs in another year stays (its rows cannot be told
    apart by year; scoring takes this year's 项目 row). Unchanged when the data hold one year."""
    years = years_in(ds)
    if len(years) <= 1:
        return ds
    projects = ds.table("projects")
    y = pd.to_numeric(projects["year"], errors="coerce")
    mine = y.isna() | y.eq(year)
    kept_ids = set(projects.loc[mine, "project_id"].astype(str))
    other_ids = set(projects.loc[~mine, "project_id"].astype(str)) - kept_ids
    tables = {"projects": projects.loc[mine].reset_index(drop=True)}
    dropped_rows = 0
    for name, frame in ds.tables.items():
        if name == "projects":
            continue
        if "project_id" in frame.columns and name != "code_changes" and other_ids:
            out = frame["project_id"].astype(str).isin(other_ids)
            dropped_rows += int(out.sum())
            frame = frame.loc[~out.to_numpy()].reset_index(drop=True)
        tables[name] = frame
    others = [v for v in years if v != year]
    note = (f"数据含 {len(years)} 个年度（{_listed(years)}）：只分析 {year} 年度的 {int(mine.sum())} 个项目；"
            f"{_listed(others)} 年度的 {int((~mine).sum())} 个项目"
            + (f"及其他表中属于它们的 {dropped_rows} 行" if dropped_rows else "") + "未使用")
    return replace(ds, tables=tables, notes=[*ds.notes, note])


def latest_month(ds: Dataset) -> int | None:
    """The latest month present in 执行监控 (1–12), None when there is no monitoring data."""
    em = ds.get("exec_monitor")
    if em is None or not len(em):
        return None
    months = pd.to_numeric(em["month"], errors="coerce")
    months = months[(months >= 1) & (months <= 12)]
    return int(months.max()) if len(months) else None


def check_month(month: int | None) -> int | None:
    if month is not None and not 1 <= int(month) <= 12:
        raise InputError(f"监控截至月份应在 1–12 之间，现为 {month}")
    return None if month is None else int(month)
