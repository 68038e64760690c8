"""A district is configuration (issue 23 §1, §3, §5): ``perfkit init`` makes a workspace whose settings
every command finds; a second demo district's documents carry nothing of the first; the year and the
as-of month are facts of the data; the CLI speaks Chinese."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from perfkit.cli import build_parser, main
from perfkit.demo import GAOXIN, QINGXI, generate, generate_district, write_workspace
from perfkit.io.base import InputError
from perfkit.io.load import load
from perfkit.io.settings import SETTINGS_FILE, active, init_workspace, read_settings
from perfkit.io.write import write_tables_xlsx
from perfkit.io.years import check_year, latest_month, select_year, years_in

# what of the first demo district must never appear in the second's documents: its name, its places,
# its province and city, its local documents (the rule bases of the shared rulebook are checked apart)
FIRST_DISTRICT_WORDS = ("高新区", "新市区", "乌鲁木齐", "新疆", "新党发", "乌党发", *GAOXIN.streets[:6], *GAOXIN.towns)
CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------------------------ workspace
def test_init_writes_a_workspace_that_commands_find_without_flags(tmp_path, monkeypatch, capsys):
    ws = tmp_path / "东城县"
    assert main(["init", str(ws), "--district", "东城县"]) == 0
    for sub in ("inbox", "data", "reports"):
        assert (ws / sub).is_dir()
    s = read_settings(ws)
    assert s.district == "东城县" and s.issuer_name() == "东城县财政局"
    policy = (ws / "政策表述.yaml").read_text(encoding="utf-8")
    assert "乌鲁木齐" not in policy and "新疆" not in policy and "自治区" not in policy  # neutral wording
    # a second init never overwrites the bureau's settings
    assert main(["init", str(ws)]) == 2
    assert "已存在" in capsys.readouterr().err
    # inside the workspace (or below it) the settings are found; PERFKIT_WORKSPACE from anywhere
    monkeypatch.delenv("PERFKIT_WORKSPACE", raising=False)
    monkeypatch.chdir(ws / "reports")
    assert active().folder == ws.absolute()
    monkeypatch.chdir(tmp_path)
    assert active() is None
    monkeypatch.setenv("PERFKIT_WORKSPACE", str(ws))
    assert active().district == "东城县"


def test_validate_and_archive_list_read_the_workspace(tmp_path, monkeypatch, capsys):
    ws = tmp_path / "ws"
    init_workspace(ws, district="西城区", data="data/数据.xlsx")
    demo = generate(seed=5, year=2023, n_projects=30, units_total=6, months=6, clean=True)
    write_tables_xlsx(demo.tables, ws / "data" / "数据.xlsx")
    monkeypatch.delenv("PERFKIT_WORKSPACE", raising=False)
    monkeypatch.chdir(ws)
    assert main(["validate"]) == 0
    assert "数据.xlsx" in capsys.readouterr().out
    # archive list on a file that is not there says so (it used to list "no years" of a file it created)
    assert main(["archive", "list"]) == 2
    err = capsys.readouterr().err
    assert "不存在" in err and "perfkit.duckdb" in err
    assert not (ws / "data" / "perfkit.duckdb").exists()
    # --year 9999 is refused, never stored as 9999
    assert main(["archive", "add", "data/数据.xlsx", "--year", "9999"]) == 2
    assert "9999" in capsys.readouterr().err and not (ws / "data" / "perfkit.duckdb").exists()
    assert main(["archive", "add", "data/数据.xlsx"]) == 0
    assert main(["archive", "list"]) == 0
    listed = capsys.readouterr().out
    assert "2023 年度" in listed and "监控截至 6 月" in listed  # the month derived: the latest in 执行监控


# ------------------------------------------------------------------------------------------ year, month
def _two_years(tmp_path: Path) -> Path:
    a = generate(seed=3, year=2021, n_projects=12, units_total=4, clean=True).tables
    b = generate(seed=4, year=2022, n_projects=15, units_total=4, clean=True).tables
    both = {k: pd.concat([a[k], b[k]], ignore_index=True) for k in a if k in b and k != "units"}
    both["units"] = a["units"]
    path = tmp_path / "两年.xlsx"
    write_tables_xlsx(both, path)
    return path


def test_year_is_checked_against_the_data(tmp_path):
    path = _two_years(tmp_path)
    ds = load(path)
    assert years_in(ds) == [2021, 2022]
    with pytest.raises(InputError, match="多个年度.*2021、2022"):
        check_year(years_in(ds), None)
    with pytest.raises(InputError, match="没有 2030 年度"):
        check_year(years_in(ds), 2030)
    one = select_year(ds, 2022)
    assert set(one.table("projects")["year"]) == {2022} and len(one.table("projects")) == 15
    kept = set(one.table("projects")["project_id"].astype(str))
    assert set(one.table("self_eval")["project_id"].astype(str)) <= kept  # other years' rows left out …
    assert any("只分析 2022 年度" in n for n in one.notes)                  # … and said
    import perfkit.api as pk

    with pytest.raises(InputError, match="多个年度"):
        pk.analyze(ds)
    a = pk.analyze(ds, year=2021)
    assert a.scores is not None and len(a.scores.projects) == 12


def test_score_report_and_feedback_refuse_a_year_not_in_the_data(tmp_path, capsys):
    path = _two_years(tmp_path)
    for argv in (["score", str(path), "--out", str(tmp_path / "s"), "--year", "2019"],
                 ["feedback", "--data", str(path), "--year", "2019", "--out", str(tmp_path / "f")],
                 ["report", "--data", str(path), "--year", "2019", "--out", str(tmp_path / "r")]):
        assert main(argv) == 2, argv
        assert "没有 2019 年度" in capsys.readouterr().err
    assert not any((tmp_path / d).exists() for d in ("s", "f", "r"))


def test_as_of_month_is_the_latest_reported_and_absent_without_monitoring():
    demo = generate(seed=9, year=2022, n_projects=10, units_total=3, months=7, clean=True)
    from perfkit.io.load import Dataset

    assert latest_month(Dataset("x", tables=dict(demo.tables))) == 7
    assert latest_month(Dataset("x", tables={k: v for k, v in demo.tables.items() if k != "exec_monitor"})) is None


# ------------------------------------------------------------------------------------------ CLI
def test_every_option_has_chinese_help_and_argparse_speaks_chinese(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, type(parser._subparsers._group_actions[0])))
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.help == argparse.SUPPRESS:  # a hidden old spelling (archive --db), not shown in help
                continue
            assert action.help and CJK.search(action.help), (name, action.dest)
    with pytest.raises(SystemExit):
        main(["report", "--bogus"])
    err = capsys.readouterr().err
    assert "用法：" in err and "无法识别的参数" in err
    with pytest.raises(SystemExit):
        main(["demo", "--district", "nowhere"])
    assert "无效的选项" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--version"])
    assert re.match(r"perfkit \d", capsys.readouterr().out)
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    for written in ("annual_report", "technical_annex", "budget_allocation", "预算安排建议", "单位反馈通知"):
        assert written in out


# ------------------------------------------------------------------------------------------ two districts
def _document_texts(folder: Path) -> dict[str, str]:
    """The text of every document of a report folder: HTML, PDF (pdftotext), Word XML, letters, xlsx."""
    from openpyxl import load_workbook

    texts: dict[str, str] = {}
    for f in sorted(folder.rglob("*")):
        if f.suffix == ".html":
            texts[str(f)] = f.read_text(encoding="utf-8")
        elif f.suffix == ".pdf" and shutil.which("pdftotext"):
            texts[str(f)] = subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True).stdout
        elif f.suffix == ".docx":
            with zipfile.ZipFile(f) as z:
                texts[str(f)] = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        elif f.suffix == ".xlsx":
            wb = load_workbook(f, read_only=True)
            texts[str(f)] = " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                     for c in row if c is not None)
    return texts


def scheduled_run(workspace: Path, cache: Path) -> subprocess.CompletedProcess:
    """The scheduled run of docs/user-guide.md (cron, systemd timer): ``perfkit report --workspace W``
    in an empty environment (``env -i``) — no HOME, PATH or LANG. Only PYTHONPATH names this checkout, as
    the installed ``perfkit`` script would; the snapshot cache goes to a temporary folder."""
    import sys

    import perfkit

    checkout = str(Path(perfkit.__file__).resolve().parents[1])
    return subprocess.run(["env", "-i", f"PYTHONPATH={checkout}", f"PERFKIT_CACHE_DIR={cache}", sys.executable,
                           "-m", "perfkit", "report", "--workspace", str(workspace)],
                          capture_output=True, text=True, cwd="/", timeout=900)


@pytest.fixture(scope="module")
def second_district(tmp_path_factory) -> Path:
    """The second demo district as a workspace, its earlier year archived by ``archive add`` run inside
    it without a flag, its report written by the scheduled run (an empty environment)."""
    ws = tmp_path_factory.mktemp("qingxi")
    write_workspace(QINGXI, generate_district(QINGXI, years=2, n_projects=180), ws)
    mp = pytest.MonkeyPatch()
    mp.delenv("PERFKIT_WORKSPACE", raising=False)
    mp.chdir(ws)
    try:
        assert main(["archive", "add", str(QINGXI.year - 1)]) == 2  # a folder with no contract tables
        assert main(["archive", "add", f"{QINGXI.year - 1}/demo.xlsx"]) == 0
    finally:
        mp.undo()
    run = scheduled_run(ws, tmp_path_factory.mktemp("cache"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "监控截至 9 月" in run.stdout and "Traceback" not in run.stderr
    return ws


def test_the_second_district_is_named_in_its_documents_and_the_first_nowhere(second_district):
    folder = second_district / "reports" / str(QINGXI.year)  # the year's folder, from the settings
    texts = _document_texts(folder)
    kinds = {Path(k).suffix for k in texts}
    assert {".html", ".docx", ".xlsx"} <= kinds and (".pdf" in kinds or not shutil.which("pdftotext"))
    assert any("单位反馈通知" in k for k in texts)  # the letters are read too
    for path, text in texts.items():
        found = [w for w in FIRST_DISTRICT_WORDS if w in text]
        assert not found, (path, found)
    annual = next(t for k, t in texts.items() if k.endswith("annual_report.html"))
    assert "青溪区2023年" in annual and "青溪区财政局" in annual and "财预〔2020〕10号" in annual
    assert re.search(r"1\s*[-—–~至]\s*9\s*月", annual)  # the as-of month of its settings, not the seed's 5
    assert not re.search(r"1\s*[-—–~至]\s*5\s*月", annual)
    # the director's report and the letters cite none of the first district's rule documents either
    for path, text in texts.items():
        if "technical_annex" not in path:
            assert "新财预" not in text and "自治区" not in text, path


def test_the_first_district_workspace_keeps_its_own_name_and_documents(tmp_path):
    write_workspace(GAOXIN, generate_district(GAOXIN, n_projects=300), tmp_path)
    s = read_settings(tmp_path)
    assert s.district == "高新区（新市区）" and s.month == 5 and s.year == 2022
    assert "乌党发〔2019〕28号" in s.document_list()
    from perfkit.reporting.annual import load_policy

    policy = load_policy(None, s, district=s.district, year=2022, next_year=2023)
    assert "乌鲁木齐" in policy["preamble"] and policy["issuer"] == "高新区（新市区）财政局"
    assert (tmp_path / SETTINGS_FILE).exists() and (tmp_path / "demo.xlsx").exists()
