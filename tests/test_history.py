"""Year over year from the archive: last year's figures read back by SQL equal what that year's analysis
computed, ranking moves and recurring findings line up by code."""

from __future__ import annotations

import pandas as pd
import pytest

from perfkit.analyses import history as H
from perfkit.api import archive_add
from perfkit.io import archive as arc
from perfkit.io.load import load


@pytest.fixture(scope="module")
def year_2022(demo_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("yoy") / "perfkit.duckdb"
    a = archive_add(load(demo_dir / "csv"), year=2022, archive=db, month=5)
    return a, db


def test_last_years_figures_from_the_archive_equal_that_years_analysis(year_2022) -> None:
    a, db = year_2022
    thresholds = a.rules["evaluation.report_thresholds"]
    stored = H.previous_year(db, 2023, 5, thresholds)  # 2022 seen from 2023
    computed = H.this_year(a, thresholds)
    assert stored is not None and stored.year == 2022
    assert (stored.warned, stored.warned_fen) == (computed.warned, computed.warned_fen)
    assert stored.grades == computed.grades and stored.below == computed.below
    assert H.previous_year(db, 2022, 5, thresholds) is None  # no 2021 in the archive


def test_ranking_moves_and_recurring_findings(year_2022) -> None:
    a, db = year_2022
    moved = a.ranking.assign(rank=a.ranking["rank"].rank(method="min", ascending=True).astype(int))
    moved.loc[moved.index[0], "rank"] = moved["rank"].max() + 1
    moves = H.ranking_moves(db, 2023, moved)
    assert len(moves) == a.ranking["rank"].notna().sum()
    first = str(a.ranking["unit_id"].iloc[0])
    assert int(moves.set_index("unit_id").loc[first, "move"]) < 0
    again = H.recurring_findings(db, 2023, a.findings)
    assert len(again) == len(a.findings[["project_id", "finding"]].drop_duplicates())
    renamed = a.findings.assign(project_id="NEW-" + a.findings["project_id"].astype(str))
    mapping = pd.DataFrame({"old_id": a.findings["project_id"].astype(str).unique()})
    mapping["new_id"] = "NEW-" + mapping["old_id"]
    assert len(H.recurring_findings(db, 2023, renamed, mapping)) == len(again)
    assert H.recurring_findings(db, 2023, renamed).empty


def test_sql_on_the_archive_is_what_an_analyst_would_write(year_2022) -> None:
    a, db = year_2022
    with arc.connect(db, read_only=True) as con:
        by_grade = dict(con.execute("SELECT grade, count(*) FROM result_projects WHERE year = 2022 GROUP BY grade")
                        .fetchall())
    assert {k: v for k, v in by_grade.items() if k is not None} == H.this_year(a, [60]).grades


def test_the_annual_report_compares_with_last_year_from_the_archive(demo_dir, tmp_path) -> None:
    """Last year stored as the archive's 2021: the report's year-over-year figures equal SQL on the
    archive, and projects unsatisfactory both years are escalated in the allocation analysis."""
    from perfkit.api import analyze, archive_results
    from perfkit.reporting import allocation as B
    from perfkit.reporting import annual as R

    ds = load(demo_dir / "csv")
    db = tmp_path / "perfkit.duckdb"
    arc.add_year(db, 2021, {}, archive_results(analyze(ds, year=2022, month=5)))
    rep = R.build(ds, 2022, 5, archive=db)
    y = rep.facts["yoy"]
    with arc.connect(db, read_only=True) as con:
        warned, good = con.execute(
            "SELECT (SELECT count(*) FROM result_monitoring WHERE year = 2021 AND month = 5 AND warning), "
            "(SELECT count(*) FROM result_projects WHERE year = 2021 AND grade IN ('优', '良'))").fetchone()
        below = dict(con.execute("SELECT t, (SELECT count(*) FROM result_projects WHERE year = 2021 AND unit_total < t) "
                                 "FROM (SELECT unnest([80, 60]) AS t)").fetchall())
    assert (y["warned_prev"], y["good_prev"]) == (warned, good)
    assert {b["threshold"]: b["count_prev"] for b in y["below"]} == below
    assert y["warned_change"] == "持平" and y["escalated"] > 0
    html = R.D.render_sentence("yoy", y)
    assert "与2021年相比" in html and f"较上年（{warned}个）持平" in html
    alloc = B.build(ds, 2022, 5, archive=db)
    escalated = alloc.analysis.proposal["action"].astype(str).str.startswith("连续")
    assert int(escalated.sum()) == y["escalated"]


def _notebook_cell(name: str, marker: str) -> str:
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "notebooks" / name).read_text(encoding="utf-8"))
    return next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"]))


def test_archive_sql_two_years_unsatisfactory_follows_code_chains(year_2022, tmp_path) -> None:
    """archive_sql.ipynb's query, run as shipped: a project renumbered twice (X→Y in the archived year's
    编码变更, Y→current in this year's) is one project, so the two unsatisfactory years are found — exactly
    the projects unsatisfactory in both years, no other."""
    from perfkit.api import archive_results
    from perfkit.rules.rulebook import load_rules

    a, _ = year_2022
    results = archive_results(a)
    ids = results["projects"]["project_id"].astype(str)
    db = tmp_path / "perfkit.duckdb"
    arc.add_year(db, 2021, {"code_changes": pd.DataFrame({"old_id": "X" + ids, "new_id": "Y" + ids, "year": 2021})},
                 {"projects": results["projects"].assign(project_id="X" + ids)})
    arc.add_year(db, 2022, {}, {"projects": results["projects"]})
    code_map = pd.DataFrame({"old_id": "Y" + ids, "new_id": ids, "year": 2022})
    rules = load_rules()
    bad = set(ids[results["projects"]["grade"].isin(rules["application.unsatisfactory_grades"]).to_numpy()])
    assert bad
    query = _notebook_cell("archive_sql.ipynb", "list_contains")
    for links, expected in ((code_map, bad), (None, set())):
        space = {"con": H.sql(db, links), "load_rules": load_rules}
        exec(query.replace("con.execute(", "found = con.execute(", 1), space)
        found = space["found"]
        assert set(found.iloc[:, 0].astype(str)) == expected  # without the chain: nothing (the bug)
        assert (found["连续年数"] == 2).all()


def test_archive_sql_says_in_chinese_when_there_is_no_archive(tmp_path) -> None:
    with pytest.raises(H.ArchiveMissing) as err:
        H.sql(tmp_path / "perfkit.duckdb")
    assert "年度档案" in str(err.value) and "perfkit archive add" in str(err.value)
    assert err.value._render_traceback_() == [str(err.value)]  # a notebook shows the sentence, no traceback


def test_archive_sql_refuses_a_file_that_is_not_an_archive_in_chinese(tmp_path) -> None:
    import sqlite3

    lite = tmp_path / "perfkit.duckdb"
    sqlite3.connect(lite).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(H.ArchiveMissing) as err:
        H.sql(lite)
    assert "不是 perfkit 的年度档案" in str(err.value) and err.value._render_traceback_() == [str(err.value)]
