"""The yearly archive (one DuckDB file): add / replace / drop a year atomically, schema migration and
growth, and the multi-year escalation taken from archived history."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from perfkit.api import analyze, archive_add, archive_results
from perfkit.io import archive as arc
from perfkit.io.load import Dataset, load
from perfkit.rules.rulebook import load_rules


@pytest.fixture(scope="module")
def ds(clean_demo_dir) -> Dataset:
    """The clean demo: the escalation rule is checked on grades that are final, not provisional."""
    return load(clean_demo_dir / "csv")


@pytest.fixture(scope="module")
def archived(ds, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("archive") / "perfkit.duckdb"
    archive_add(ds, year=2022, archive=db, month=5)
    return db


def test_a_year_holds_its_inputs_and_results(ds, archived) -> None:
    listed = arc.years(archived)
    assert listed["year"].tolist() == [2022] and listed["profile"].tolist() == ["mof2020"]
    assert listed["profile_version"].iloc[0] == load_rules("mof2020", 2022).fingerprint()
    a = analyze(ds, year=2022, month=5)
    stored = arc.read(archived, "result_projects").set_index("project_id")
    mine = a.scores.projects.set_index("project_id")
    assert len(stored) == len(mine)
    assert stored["grade"].astype(str).to_dict() == mine["grade"].astype(str).to_dict()
    assert (stored["total"] - mine["total"].reindex(stored.index)).abs().max() < 1e-9
    assert len(arc.read(archived, "input_self_eval")) == len(ds.table("self_eval"))
    months = arc.read(archived, "result_monitoring")["month"]
    assert sorted(months.unique()) == sorted(ds.table("exec_monitor")["month"].dropna().astype(int).unique())
    assert arc.read(archived, "input_projects")["classified"].any()  # 涉密 rows are kept: the file is internal
    for kind in ("result_findings", "result_ranking", "result_proposal", "result_indicators"):
        assert len(arc.read(archived, kind)) > 0


def test_readding_a_year_replaces_it_and_drop_removes_it(ds, tmp_path) -> None:
    db = tmp_path / "a.duckdb"
    results = {"projects": pd.DataFrame({"project_id": ["P1", "P2"], "grade": ["优", "差"]})}
    arc.add_year(db, 2021, {}, results, profile="mof2020")
    arc.add_year(db, 2021, {}, {"projects": results["projects"].head(1)}, profile="exec20")
    assert len(arc.read(db, "result_projects")) == 1 and arc.years(db)["profile"].tolist() == ["exec20"]
    arc.add_year(db, 2020, {}, results)
    assert arc.drop_year(db, 2021) and not arc.drop_year(db, 2019)
    assert arc.years(db)["year"].tolist() == [2020] and set(arc.read(db, "result_projects")["year"]) == {2020}


def test_a_write_killed_half_way_leaves_the_previous_content(tmp_path) -> None:
    db = tmp_path / "a.duckdb"
    arc.add_year(db, 2021, {}, {"projects": pd.DataFrame({"project_id": ["P1"], "grade": ["优"]})}, profile="old")
    code = ("import pandas as pd; from perfkit.io import archive as arc; "
            f"arc.add_year(r'{db}', 2021, {{}}, {{'projects': pd.DataFrame({{'project_id': ['X'] * 5, "
            "'grade': ['差'] * 5})}, profile='new')")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PERFKIT_ARCHIVE_PAUSE="60"))
    assert proc.stdout.readline().strip() == "archive: writing"  # inside the transaction, old rows deleted
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert arc.years(db)["profile"].tolist() == ["old"]
    assert arc.read(db, "result_projects")["project_id"].tolist() == ["P1"]


def test_an_older_file_is_migrated_and_tables_grow_new_columns(tmp_path) -> None:
    db = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(db))
    for statement in arc.MIGRATIONS[1]:
        con.execute(statement)
    con.execute("INSERT INTO archive_meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO archive_years VALUES (2020, now(), 'mof2020', 'old.xlsx')")
    con.execute("CREATE TABLE result_projects AS SELECT 2020 AS year, 'P1' AS project_id, '良' AS grade")
    con.close()
    before = arc.years(db)  # read before any write migrates it: the newer columns are there, empty
    assert before["year"].tolist() == [2020] and before["profile_version"].isna().all()
    arc.add_year(db, 2021, {}, {"projects": pd.DataFrame({"project_id": ["P1"], "grade": ["中"], "status": ["完整"]})},
                 profile_version="abc")
    with arc.connect(db, read_only=True) as con:
        assert arc.schema_version(con) == arc.SCHEMA_VERSION
    stored = arc.read(db, "result_projects")
    assert stored["grade"].tolist() == ["良", "中"] and stored["status"].isna().tolist() == [True, False]
    assert arc.years(db)["profile_version"].isna().tolist() == [True, False]


def test_a_newer_file_is_refused_with_a_sentence(tmp_path) -> None:
    db = tmp_path / "new.duckdb"
    with arc.connect(db):
        pass
    con = duckdb.connect(str(db))
    con.execute("UPDATE archive_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(arc.InputError, match="升级 perfkit"):
        arc.years(db)


def _unsatisfactory(ds: Dataset, n: int) -> list[str]:
    scores = analyze(ds, year=2022).scores.projects
    return scores.loc[scores["grade"].isin(["中", "差"]), "project_id"].astype(str).head(n).tolist()


# earlier grades by year (None = no row that year), and whether the code was renumbered since
CASES = [
    ({2021: "差", 2020: "中"}, False),
    ({2021: "中", 2020: "良"}, False),
    ({2021: "优", 2020: "差"}, False),
    ({2021: None, 2020: "差"}, False),
    ({2021: "差", 2020: "差"}, True),
]


def test_escalation_from_archived_history_follows_the_rulebook(ds, tmp_path) -> None:
    pids = _unsatisfactory(ds, len(CASES))
    assert len(pids) == len(CASES), "the demo needs unsatisfactory projects for this test"
    db = tmp_path / "h.duckdb"
    renamed = {pid: f"OLD-{pid}" for pid, (_, moved) in zip(pids, CASES, strict=True) if moved}
    for year in (2020, 2021):
        rows = [(renamed.get(pid, pid), grades[year]) for pid, (grades, _) in zip(pids, CASES, strict=True)
                if grades[year] is not None]
        arc.add_year(db, year, {}, {"projects": pd.DataFrame(rows, columns=["project_id", "grade"])})
    mapping = pd.DataFrame({"old_id": list(renamed.values()), "new_id": list(renamed)})
    with_map = dataclasses.replace(ds, tables={**ds.tables, "code_changes": mapping})
    proposal = analyze(with_map, year=2022, archive=db).proposal.set_index("project_id")
    esc = load_rules("mof2020", 2022)["application.unsatisfactory_years"]
    for pid, (grades, _) in zip(pids, CASES, strict=True):
        run = 1
        for year in (2021, 2020):
            if grades[year] in ("中", "差"):
                run += 1
            else:
                break
        row = proposal.loc[pid]
        assert row["unsatisfactory_years"] == run, (pid, grades)
        if run >= esc["cancel"]:
            assert row["action"].endswith("取消") and row["change"] == -1.0
        elif run >= esc["redesign"]:
            assert row["action"].endswith("重新设计")
        else:
            assert "连续" not in row["action"]


def test_carry_codes_follows_chains_and_stops_on_cycles() -> None:
    m = pd.DataFrame({"old_id": ["A", "B", "X", "Y"], "new_id": ["B", "C", "Y", "X"]})
    out = arc.carry_codes(pd.Series(["A", "B", "C", "X", "Z"]), m)
    assert out.tolist()[:3] == ["C", "C", "C"] and out.iloc[3] in {"X", "Y"} and out.iloc[4] == "Z"


def test_archive_cli_add_list_drop(demo_dir, tmp_path) -> None:
    """add, list, drop; the archive is ``--archive`` on every command (issue 28 §3: one name per thing),
    and ``--db`` still works for old scripts without being offered in the help."""
    db = tmp_path / "cli.duckdb"
    run = [sys.executable, "-m", "perfkit", "archive"]
    added = subprocess.run([*run, "add", str(demo_dir / "csv"), "--year", "2022", "--archive", str(db)],
                           capture_output=True, text=True)
    assert added.returncode == 0 and "已存入 2022 年度" in added.stdout, added.stderr
    listed = subprocess.run([*run, "list", "--archive", str(db)], capture_output=True, text=True)
    assert "2022 年度" in listed.stdout and "mof2020" in listed.stdout
    old = subprocess.run([*run, "list", "--db", str(db)], capture_output=True, text=True)
    assert old.stdout == listed.stdout
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True)
    assert "--archive" in helped.stdout and "--db" not in helped.stdout  # the old name is hidden
    dropped = subprocess.run([*run, "drop", "--year", "2022", "--db", str(db)], capture_output=True, text=True)
    assert "已删除 2022 年度" in dropped.stdout
    missing = subprocess.run([*run, "add", "--db", str(db)], capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_archive_results_cover_what_the_issue_lists(ds) -> None:
    kinds = set(archive_results(analyze(ds, year=2022, month=5)))
    assert {"projects", "indicators", "findings", "monitoring", "ranking", "proposal"} <= kinds


def test_the_sql_notebook_runs_on_an_archive(archived, tmp_path) -> None:
    """notebooks/archive_sql.ipynb: the analyst's SQL examples run on a real archive."""
    import papermill as pm

    nb = Path(__file__).parents[1] / "notebooks" / "archive_sql.ipynb"
    out = pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                              parameters={"archive": str(archived), "data": None}, cwd=str(nb.parent))
    outputs = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("年度" in str(o.get("data", {}).get("text/html", "")) for o in outputs)


def test_archived_input_re_analyses_to_the_same_scores(ds, archived) -> None:
    again = analyze(arc.dataset(archived, 2022), year=2022, month=5).scores.projects.set_index("project_id")
    first = analyze(ds, year=2022, month=5).scores.projects.set_index("project_id")
    assert (again["total"].reindex(first.index).astype(float).fillna(-1)
            == first["total"].astype(float).fillna(-1)).all()


def test_a_full_disk_during_archive_add_is_one_chinese_line_and_keeps_the_archive(demo_dir, tmp_path) -> None:
    """The operating system refuses to let the archive grow (RLIMIT_FSIZE gives EFBIG, as a full disk or
    quota does; DuckDB reports it in English, sometimes only as "cannot rollback"): the user reads one line
    in Chinese, and the archive still holds exactly the years it held."""
    import resource

    db = tmp_path / "档案.duckdb"
    arc.add_year(db, 2021, {}, {"projects": pd.DataFrame({"project_id": ["P1"], "grade": ["优"]})}, profile="old")
    size = db.stat().st_size

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 4096, size + 4096))

    proc = subprocess.run([sys.executable, "-m", "perfkit", "archive", "add", str(demo_dir / "csv"), "--year",
                           "2022", "--archive", str(db)], capture_output=True, text=True, preexec_fn=limit,
                          timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert ("磁盘空间不足" in proc.stderr or "文件超出系统允许的大小" in proc.stderr), proc.stderr
    assert not any(w in proc.stderr for w in ("rollback", "Error", "IO Error")), proc.stderr
    assert arc.years(db)["year"].tolist() == [2021] and arc.years(db)["profile"].tolist() == ["old"]
    assert arc.read(db, "result_projects")["project_id"].tolist() == ["P1"]
