"""Security and integrity (issue: hardening §4): text from data is inert in every HTML and spreadsheet
perfkit writes; 涉密 projects stay out of project listings; a killed run leaves earlier outputs intact;
two runs on the same input give identical numbers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

import perfkit.api as pk
from perfkit.io.write import write_tables_folder
from perfkit.reporting import display as D

HOSTILE = ['=HYPERLINK("http://x","y")', "<script>alert(1)</script>", "+cmd|' /C calc'!A0", "@SUM(1)"]


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory, demo) -> Path:
    tables = {k: v.copy() for k, v in demo.tables.items()}
    p = tables["projects"]
    for i, name in enumerate(HOSTILE):
        p.loc[i + 1, "project_name"] = name
    tables["units"].loc[1, "unit_name"] = "<img src=x onerror=alert(1)>"
    se = tables["self_eval"]
    se.loc[0, "actual_text"] = "=1+1"
    se.loc[1, "indicator"] = "@SUM(1)"  # text that reaches the score CSVs as it is (dictionary-encoded when loaded)
    se.loc[2, "deviation_reason"] = '=HYPERLINK("http://x","原因")'
    return write_tables_folder(tables, tmp_path_factory.mktemp("hostile") / "d")


def test_score_outputs_are_inert(hostile_dir: Path, tmp_path: Path) -> None:
    written = pk.score(hostile_dir, tmp_path, month=5)
    for path in written.values():
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            for cell in line.split(","):
                assert not cell.strip('"').startswith(("=", "+", "@")) or len(cell.strip('"')) <= 1, (path.name, cell)


def test_excel_outputs_store_text_not_formulas(hostile_dir: Path, tmp_path: Path) -> None:
    from perfkit.reporting import allocation as B
    from perfkit.reporting.explorer import Explorer

    al = B.build(hostile_dir, 2022, 5)
    books = [B.export_workbook(al, tmp_path)]
    ex = Explorer.open(hostile_dir)
    from perfkit.reporting.explorer import Filters

    books.append(ex.export(ex.view(Filters()), tmp_path / "view.xlsx"))
    for book in books:
        for ws in load_workbook(book):
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and any(h.strip("=+@") in c.value for h in HOSTILE if "HYPER" in h):
                        assert c.data_type == "s" and not c.value.startswith("=")
            formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
            assert all(re.fullmatch(r"=SUM\([A-Z]+3:[A-Z]+\d+\)", f) for f in formulas), formulas  # only our totals


def test_report_html_escapes_data(hostile_dir: Path, monkeypatch) -> None:
    from perfkit.reporting import allocation as B
    from perfkit.reporting import annual as R

    shown: list[str] = []
    monkeypatch.setattr(D, "_show", shown.append)
    monkeypatch.setattr(D, "_figure", lambda fig: None)
    rep = R.build(hostile_dir, 2022, 5)
    from perfkit.reporting import annex as X

    for section in (R.title, R.section_supervision, R.section_analysis, R.closing, X.title, X.section_data,
                    X.section_rules, X.section_ranking, X.section_pending):
        section(rep)
    al = B.build(hostile_dir, 2022, 5)
    for section in (B.title, B.section_proposal, B.section_recovery, B.section_gate):
        section(al)
    markup = "".join(shown)
    assert "<script>" not in markup and "<img src=x" not in markup


def test_classified_projects_stay_out_of_project_listings(hostile_dir: Path, monkeypatch) -> None:
    from perfkit.reporting import allocation as B

    shown: list[str] = []
    monkeypatch.setattr(D, "_show", shown.append)
    al = B.build(hostile_dir, 2022, 5)
    secret = al.analysis.proposal.loc[al.analysis.proposal["classified"], "project_name"]
    al.analysis.proposal.loc[al.analysis.proposal["classified"], "recover"] = True  # force them into the listing
    al.analysis.proposal.loc[al.analysis.proposal["classified"], "recovered"] = 10**12
    B.section_recovery(al)
    markup = "".join(shown)
    assert len(secret) and not any(f"<td>{name}</td>" in markup for name in secret)


def test_two_runs_give_identical_numbers(hostile_dir: Path, tmp_path: Path) -> None:
    a = pk.score(hostile_dir, tmp_path / "a", month=5)
    b = pk.score(hostile_dir, tmp_path / "b", month=5)
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key


def test_killed_report_leaves_earlier_outputs_intact(tmp_path: Path, demo_dir: Path) -> None:
    out = tmp_path / "reports" / "2022"
    out.mkdir(parents=True)
    (out / "annual_report.html").write_text("上一次的报告", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "perfkit", "report", "--data", str(demo_dir / "demo.xlsx"),
                             "--year", "2022", "--out", str(out)], stdout=subprocess.PIPE, text=True,
                            encoding="utf-8", stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for line in proc.stdout:  # killed inside the run, whatever the machine's speed: kernels executing
        if "执行" in line:
            break
    time.sleep(0.5)
    assert proc.poll() is None, "the report finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert (out / "annual_report.html").read_text(encoding="utf-8") == "上一次的报告"
    assert sorted(p.name for p in out.iterdir()) == ["annual_report.html"]





def test_report_says_what_failed_validation_without_showing_rows(demo, tmp_path: Path, monkeypatch) -> None:
    """Rows set aside at load are not silently missing from the report: the opening says how many, 附表3
    counts them by sheet, column and rule — and shows no row contents (a 涉密 project's row may be one)."""
    import pandas as pd

    from perfkit.reporting import allocation as B
    from perfkit.reporting import annual as R

    folder = write_tables_folder(demo.tables, tmp_path / "d")
    csv = folder / "项目.csv"
    p = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    secret = p.index[p["涉密"].eq("是")][0]
    budget = "全年预算数"
    p.loc[secret, budget] = "一百万"  # not a number → quarantined
    p.loc[secret, "项目名称"] = "某涉密工程"
    p.to_csv(csv, index=False, encoding="utf-8-sig")
    shown: list[str] = []
    monkeypatch.setattr(D, "_show", shown.append)
    rep = R.build(folder, 2022, 5)
    d = rep.facts["data"]
    assert d["quarantined"] >= 1 and d["read"] == d["loaded"] + d["quarantined"]
    from perfkit.reporting import annex as X

    R.title(rep)
    X.section_data(rep)
    B.title(B.build(folder, 2022, 5))
    markup = "".join(shown)
    assert markup.count(f"另有{d['quarantined']}行数据未通过校验") == 2  # both reports say so
    assert "一、数据来源与校验" in markup  # the technical annex counts them by table, column and rule
    assert f"<td>{budget}</td>" in markup  # the column is named
    assert "某涉密工程" not in markup and "一百万" not in markup
