"""Year over year: this year's figures beside last year's, from the archive (perfkit.io.archive).

The report compares only where the seed has a figure: warned projects and their amount at the same
as-of month, the grade distribution, projects whose unit's own score fell below the report thresholds,
units' ranking moves, and findings that recur on the same project. Last year's side is read from the
archive with SQL (so an analyst can re-run the same query); this year's side comes from the analysis.

Project codes change from year to year (编码变更): every place that puts last year's project beside this
year's (the explorer's 与上年对比, recurring findings, the SQL notebook's multi-year queries) follows the
chains of :func:`code_links` — the data's own 编码变更 sheet and every archived year's — up to the year
looked at, so a project renumbered twice is still one project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perfkit.io import archive as arc
from perfkit.io.base import InputError


@dataclass
class YearFigures:
    """The compared figures of one year (money in 分)."""

    year: int
    warned: int | None
    warned_fen: int | None
    grades: dict[str, int]
    below: dict[int, tuple[int, int]]  # threshold → (projects, budget in 分), by the unit's own score


def code_links(archive: str | Path | None, year: int, code_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every code change in force by ``year`` (old_id → new_id): the data's own 编码变更 (``code_map``)
    and each archived year's, a change dated after ``year`` left out (comparing 2021 with 2020 must not
    carry 2020's codes on to 2022's). The data's own sheet wins where both name the same old code."""
    frames = []
    if code_map is not None and len(code_map):
        frames.append(code_map)
    stored = arc.read(archive, "input_code_changes") if archive and Path(archive).exists() else None
    if stored is not None and len(stored):
        stored = stored.drop(columns="year")
        frames.append(stored.rename(columns={"row_year": "year"}) if "row_year" in stored else stored)
    if not frames:
        return pd.DataFrame({"old_id": pd.Series(dtype=str), "new_id": pd.Series(dtype=str)})
    links = pd.concat([f.reindex(columns=["old_id", "new_id", "year"]) for f in frames], ignore_index=True)
    when = pd.to_numeric(links["year"], errors="coerce")
    links = links.loc[when.isna() | (when <= int(year)), ["old_id", "new_id"]].dropna().astype(str)
    return links.drop_duplicates("old_id").reset_index(drop=True)


def carried(codes: pd.Series, links: pd.DataFrame) -> pd.Series:
    """Earlier years' codes as ``year``'s codes (chains A→B→C followed; a code never changed is kept)."""
    return arc.carry_codes(codes, links) if len(links) else codes.astype(str)


def last_year_projects(archive: str | Path | None, year: int, code_map: pd.DataFrame | None = None,
                       columns: tuple[str, ...] = ("total", "grade")) -> pd.DataFrame | None:
    """Last year's archived project results indexed by *this* year's project codes (编码变更 followed),
    or None when the archive has no last year."""
    if not archive or not Path(archive).exists():
        return None
    prev = arc.read(archive, "result_projects", only=[int(year) - 1])
    if prev is None or prev.empty:
        return None
    ids = carried(prev["project_id"], code_links(archive, year, code_map))
    return prev.assign(project_id=ids).drop_duplicates("project_id").set_index("project_id")[list(columns)]


class ArchiveMissing(InputError):
    """No usable archive where one was looked for; in a notebook only its Chinese sentence is shown."""

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead of a traceback
        return [str(self)]


def sql(archive: str | Path, code_map: pd.DataFrame | None = None):
    """A read-only DuckDB connection on the archive for an analyst's own SQL, with ``code_links``
    (old_id → new_id, every known code change followed to the latest code): join it to read a project's
    years under one code — ``coalesce(l.new_id, p.project_id)`` (archive_sql.ipynb does).

    Errors are Chinese (:class:`perfkit.io.base.InputError`): a missing file names the path and the
    command that builds it."""
    if not Path(archive).exists():
        raise ArchiveMissing(f"年度档案 {archive} 不存在：先用 perfkit archive add 存入年度（演示数据的档案由 make demo "
                             "生成在 data/demo/perfkit.duckdb）")
    try:
        known = arc.years(archive)["year"].astype(int).tolist()
    except InputError as exc:
        raise ArchiveMissing(str(exc)) from None
    latest = max(known, default=0)
    if code_map is not None and "year" in code_map and len(code_map):
        latest = max(latest, int(pd.to_numeric(code_map["year"], errors="coerce").max()))
    links = code_links(archive, latest, code_map)
    links = links.assign(new_id=carried(links["old_id"], links))
    import duckdb

    try:
        arc._check_file(Path(archive))  # never a SQLite or other file handed to DuckDB
        con = duckdb.connect(str(archive), read_only=True)
        for option in arc.NO_EXTENSIONS:  # a data file never makes DuckDB load an extension
            con.execute(f"SET {option} = false")
    except (InputError, duckdb.Error) as exc:
        raise ArchiveMissing(str(exc) if isinstance(exc, InputError) else f"无法打开年度档案 {archive}") from None
    con.register("code_links", links)
    return con


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
    """Findings of the same type on the same project (codes carried through 编码变更: the data's own
    ``code_map`` and the archived years', see :func:`code_links`) last year and this."""
    prev = arc.read(archive, "result_findings", only=[int(year) - 1])
    if prev is None or prev.empty or findings.empty:
        return pd.DataFrame(columns=["project_id", "finding"])
    before = prev[["project_id", "finding"]].astype(str)
    before = before.assign(project_id=carried(before["project_id"], code_links(archive, year, code_map)))
    now = findings[["project_id", "finding"]].astype(str).drop_duplicates()
    return now.merge(before.drop_duplicates(), on=["project_id", "finding"], how="inner")
