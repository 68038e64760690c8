"""Year over year: this year's figures beside last year's, from the archive (perfkit.io.archive).

The report compares only where the seed has a figure: warned projects and their amount at the same
as-of month, the grade distribution, projects whose unit's own score fell below the report thresholds,
units' ranking moves, and findings that recur on the same project. Last year's side is read from the
archive with SQL (so an analyst can re-run the same query); this year's side comes from the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perfkit.io import archive as arc


@dataclass
class YearFigures:
    """The compared figures of one year (money in 分)."""

    year: int
    warned: int | None
    warned_fen: int | None
    grades: dict[str, int]
    below: dict[int, tuple[int, int]]  # threshold → (projects, budget in 分), by the unit's own score


def previous_year(archive: str | Path, year: int, month: int | None, thresholds: list[int]) -> YearFigures | None:
    """Last year's figures from the archive, or None when the archive has no such year."""
    prev = int(year) - 1
    if not Path(archive).exists() or prev not in set(arc.years(archive)["year"].astype(int)):
        return None
    with arc.connect(archive, read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        warned = warned_fen = None
        if "result_monitoring" in tables and month is not None:
            row = con.execute("SELECT count(*) FILTER (WHERE warning), coalesce(sum(budget) FILTER (WHERE warning), 0), "
                              "count(*) FROM result_monitoring WHERE year = ? AND month = ?", [prev, int(month)]).fetchone()
            if row[2]:
                warned, warned_fen = int(row[0]), int(row[1])
        grades, below = {}, {}
        if "result_projects" in tables:
            grades = dict(con.execute("SELECT grade, count(*) FROM result_projects WHERE year = ? AND grade IS NOT NULL "
                                      "GROUP BY grade", [prev]).fetchall())
            for t in thresholds:
                n, fen = con.execute("SELECT count(*), coalesce(sum(budget), 0) FROM result_projects "
                                     "WHERE year = ? AND unit_total < ?", [prev, t]).fetchone()
                below[int(t)] = (int(n), int(fen))
    return YearFigures(prev, warned, warned_fen, {str(k): int(v) for k, v in grades.items()}, below)


def this_year(a, thresholds: list[int]) -> YearFigures:
    """The same figures for the analysis at hand (``a``: perfkit.api.Analysis)."""
    warned = warned_fen = None
    if a.monitoring is not None:
        p = a.monitoring.projects
        warned, warned_fen = int(p["warning"].sum()), int(p.loc[p["warning"], "budget"].astype("Int64").sum())
    grades, below = {}, {}
    if a.scores is not None:
        s = a.scores.projects
        grades = {str(k): int(v) for k, v in s["grade"].value_counts().items() if v}
        for t in thresholds:
            low = s.loc[s["unit_total"].astype(float) < t]
            below[int(t)] = (len(low), int(low["budget"].astype("Int64").fillna(0).sum()))
    return YearFigures(a.rules.year, warned, warned_fen, grades, below)


def ranking_moves(archive: str | Path, year: int, ranking: pd.DataFrame | None) -> pd.DataFrame:
    """Units' rank last year and this year, and the move (positive = up), for units in both years."""
    prev = arc.read(archive, "result_ranking", only=[int(year) - 1])
    if prev is None or prev.empty or ranking is None:
        return pd.DataFrame(columns=["unit_id", "unit_name", "rank_before", "rank", "move"])
    now = ranking.dropna(subset=["rank"])
    prev = prev.dropna(subset=["rank"])
    moves = now[["unit_id", "unit_name", "rank"]].assign(unit_id=now["unit_id"].astype(str)).merge(
        prev[["unit_id", "rank"]].assign(unit_id=prev["unit_id"].astype(str)).rename(columns={"rank": "rank_before"}),
        on="unit_id", how="inner")
    moves["move"] = moves["rank_before"].astype(int) - moves["rank"].astype(int)
    return moves[["unit_id", "unit_name", "rank_before", "rank", "move"]].sort_values("move", ascending=False,
                                                                                     kind="stable")


def recurring_findings(archive: str | Path, year: int, findings: pd.DataFrame, code_map: pd.DataFrame | None = None
                       ) -> pd.DataFrame:
    """Findings of the same type on the same project (codes carried through 编码变更) last year and this."""
    prev = arc.read(archive, "result_findings", only=[int(year) - 1])
    if prev is None or prev.empty or findings.empty:
        return pd.DataFrame(columns=["project_id", "finding"])
    before = prev[["project_id", "finding"]].astype(str)
    if code_map is not None and len(code_map):
        before = before.assign(project_id=arc.carry_codes(before["project_id"], code_map))
    now = findings[["project_id", "finding"]].astype(str).drop_duplicates()
    return now.merge(before.drop_duplicates(), on=["project_id", "finding"], how="inner")
