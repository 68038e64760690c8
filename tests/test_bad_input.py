"""A corpus of bad inputs (hand-made and hypothesis-generated, over 200 cases): no traceback anywhere,
every message names file, sheet, row and column, and rows reconcile: read = loaded + quarantined
(issue: hardening §3)."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from perfkit.cli import main
from perfkit.io.load import InputError, load
from tests.conftest import rows_reconcile

GOOD = {
    "单位": pd.DataFrame({"单位编码": ["U1", "U2"], "单位名称": ["教育局", "民政局"], "主管部门": ["教育局", "民政局"]}),
    "项目": pd.DataFrame({"项目编码": ["P1", "P2", "P3"], "项目名称": ["甲", "乙", "丙"], "单位编码": ["U1", "U1", "U2"],
                        "年度": [2022, 2022, 2022], "支出类别": ["部门项目支出"] * 3, "监控分类": ["一般项目"] * 3,
                        "涉密": ["否", "否", "是"], "全年预算数": [100.0, 80.5, 12.0], "全年执行数": [90.0, 80.5, 0.0]}),
    "绩效自评": pd.DataFrame({"项目编码": ["P1", "P1", "P2"], "一级指标": ["产出指标", "效益指标", "产出指标"],
                          "二级指标": ["数量指标", "社会效益指标", "质量指标"], "三级指标": ["人数", "效果", "合格率"],
                          "指标值": ["≥100人", "效果明显", "≥95%"], "实际完成值": ["98人", "效果明显", "96%"],
                          "分值": [50.0, 30.0, 50.0], "得分": [49.0, 30.0, 50.0], "偏差原因分析及改进措施": ["", "", ""]}),
}
BAD_VALUES = ["abc", "-5", "1e99", "2022-12-31 00:00:00", "１２３", "12,345.6", "", "   ", "=1+2", "<b>x</b>",
              "是否", "NaN", "∞", "１,０００", "1.2.3", "5万", "TRUE", "✓", "部门项目", "一般"]


def run_validate(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["validate", str(path), "--limit", "1000"])
    return code, out.getvalue(), err.getvalue()


def check(path: Path) -> None:
    """The promises, whatever the input."""
    code, out, err = run_validate(path)
    assert "Traceback" not in out + err
    if code != 0:
        assert code == 2 and err.count("\n") == 1 and err.startswith("perfkit: ")
        with pytest.raises(InputError):
            load(path)
        return
    ds = load(path)
    rows_reconcile(ds)


def write_folder(folder: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8-sig") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, frame in tables.items():
        frame.to_csv(folder / f"{sheet}.csv", index=False, encoding=encoding)
    return folder


def write_book(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for sheet, frame in tables.items():
            frame.to_excel(xl, sheet_name=sheet, index=False)
    return path


def tables_with(sheet: str, column: str, row: int, value: object) -> dict[str, pd.DataFrame]:
    tables = {k: v.astype(object).copy() for k, v in GOOD.items()}
    tables[sheet].loc[row, column] = value
    return tables


# ------------------------------------------------------------------------------------ hand-made cases

CELL_CASES = [(s, c, r, v) for s, c in (("项目", "全年预算数"), ("项目", "年度"), ("项目", "涉密"), ("项目", "支出类别"),
                                        ("项目", "单位编码"), ("项目", "项目编码"), ("绩效自评", "分值"),
                                        ("绩效自评", "得分"), ("绩效自评", "项目编码"))
              for r, v in ((1, "abc"), (0, "-5"), (2, "1e99"), (1, ""), (0, "2022-12-31"), (2, "P1"))]


@pytest.mark.parametrize(("sheet", "column", "row", "value"), CELL_CASES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_cells(tmp_path: Path, sheet: str, column: str, row: int, value: str, fmt: str) -> None:
    tables = tables_with(sheet, column, row, value)
    path = write_folder(tmp_path / "d", tables) if fmt == "csv" else write_book(tmp_path / "b.xlsx", tables)
    check(path)


HEADER_CASES = [
    ("项目", {"项目编码": "项目代码"}), ("项目", {"全年预算数": " 全年预算数（元） "}), ("项目", {"全年预算数": "全年预算数(亿元)"}),
    ("项目", {"全年预算数": "全年预算数（千克）"}), ("项目", {"项目名称": "项 目 名 称"}), ("绩效自评", {"三级指标": "指标名称"}),
    ("绩效自评", {"指标值": "年度指标值"}), ("单位", {"单位编码": "编码"}), ("项目", {"涉密": "是否涉密"}),
]


@pytest.mark.parametrize(("sheet", "rename"), HEADER_CASES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_headers(tmp_path: Path, sheet: str, rename: dict, fmt: str) -> None:
    tables = {k: v.copy() for k, v in GOOD.items()}
    tables[sheet] = tables[sheet].rename(columns=rename)
    check(write_folder(tmp_path / "d", tables) if fmt == "csv" else write_book(tmp_path / "b.xlsx", tables))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    check(write_folder(tmp_path / "d", GOOD, encoding=encoding))


def test_duplicates_and_yuan_wan_mix(tmp_path: Path) -> None:
    tables = {k: v.copy() for k, v in GOOD.items()}
    tables["项目"] = pd.concat([tables["项目"], tables["项目"].iloc[[0]]], ignore_index=True)
    tables["项目"] = tables["项目"].rename(columns={"全年执行数": "全年执行数（元）"})
    check(write_folder(tmp_path / "d", tables))


@pytest.mark.parametrize("kind", ["empty_workbook", "merged", "hidden", "formula", "truncated", "not_excel",
                                  "only_headers", "blank_rows", "wide_garbage", "unknown_sheets", "zero_bytes",
                                  "csv_garbage", "empty_folder"])
def test_workbook_oddities(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "w.xlsx"
    if kind == "empty_workbook":
        Workbook().save(path)
    elif kind in ("merged", "hidden", "formula", "only_headers", "blank_rows", "wide_garbage"):
        wb = Workbook()
        ws = wb.active
        ws.title = "项目"
        ws.append(list(GOOD["项目"].columns))
        if kind != "only_headers":
            for row in GOOD["项目"].itertuples(index=False):
                ws.append(list(row))
        if kind == "merged":
            ws.merge_cells("B2:B3")
        if kind == "hidden":
            wb.create_sheet("说明")["A1"] = "visible cover sheet"
            ws.sheet_state = "hidden"
        if kind == "formula":
            ws["H2"] = "=SUM(1,2)"
        if kind == "blank_rows":
            ws.insert_rows(3, 2)
        if kind == "wide_garbage":
            ws["Z9"] = "杂项"
        wb.save(path)
    elif kind == "truncated":
        write_book(path, GOOD)
        path.write_bytes(path.read_bytes()[:700])
    elif kind == "not_excel":
        path.write_text("这不是工作簿", encoding="utf-8")
    elif kind == "unknown_sheets":
        write_book(path, {"Sheet1": GOOD["项目"], "项目": GOOD["项目"]})
    elif kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "csv_garbage":
        path = tmp_path / "d"
        path.mkdir()
        (path / "项目.csv").write_bytes(b"\x00\x01\x02\xff\xfe garbage \n\x00")
    elif kind == "empty_folder":
        path = tmp_path / "d"
        path.mkdir()
    check(path)


def test_formula_without_value_is_named_not_dropped(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["项目编码", "项目名称", "全年预算数"])
    ws.append(["P1", "甲", "=1+2"])
    wb.save(tmp_path / "f.xlsx")
    ds = load(tmp_path / "f.xlsx")
    assert ds.quarantine.iloc[0]["实际"] == "=1+2" and ds.quarantine.iloc[0]["行"] == 2


# ------------------------------------------------------------------------------------ generated cases

@st.composite
def corrupted(draw) -> tuple[dict[str, pd.DataFrame], str, str]:
    tables = {k: v.astype(object).copy() for k, v in GOOD.items()}
    for _ in range(draw(st.integers(1, 6))):
        sheet = draw(st.sampled_from(list(tables)))
        frame = tables[sheet]
        col = draw(st.sampled_from(list(frame.columns)))
        row = draw(st.integers(0, len(frame) - 1))
        frame.loc[row, col] = draw(st.one_of(st.sampled_from(BAD_VALUES), st.text(max_size=8),
                                             st.floats(allow_nan=True, allow_infinity=True)))
    if draw(st.booleans()):
        sheet = draw(st.sampled_from(list(tables)))
        col = draw(st.sampled_from(list(tables[sheet].columns)))
        tables[sheet] = tables[sheet].rename(columns={col: draw(st.sampled_from(
            [f" {col} ", f"{col}（元）", f"{col}(万元)", col + "x", "", f"【{col}】"]))})
    if draw(st.booleans()):
        sheet = draw(st.sampled_from(list(tables)))
        tables[sheet] = pd.concat([tables[sheet], tables[sheet].iloc[[0]]], ignore_index=True)
    return tables, draw(st.sampled_from(["csv", "xlsx"])), draw(st.sampled_from(["utf-8-sig", "gbk", "utf-8"]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(case=corrupted())
def test_generated_corruptions(tmp_path_factory, case) -> None:
    tables, fmt, encoding = case
    base = tmp_path_factory.mktemp("gen")
    try:
        path = write_folder(base / "d", tables, encoding) if fmt == "csv" else write_book(base / "b.xlsx", tables)
    except (UnicodeEncodeError, ValueError, IllegalCharacterError):  # text the encoding or openpyxl cannot store
        return
    check(path)


def test_corpus_has_over_200_cases() -> None:
    n = 2 * len(CELL_CASES) + 2 * len(HEADER_CASES) + 4 + 1 + 13 + 1 + 120
    assert n >= 200, n
    assert re.search(r"max_examples=120", Path(__file__).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------- issue 26 §3: internal errors

from tests.secret_data import code, public_text, row, run, tables, write  # noqa: E402


def _stray_cell_sheet(path: Path, sheet: str, header: list[str]) -> None:
    """Add a sheet to a workbook whose used range ends at XFD1048576 (one stray cell)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.create_sheet(sheet)
    ws.append(header)
    ws["XFD1048576"] = "x"
    wb.save(path)


def test_stray_cell_far_away_in_a_sheet_perfkit_does_not_read(tmp_path: Path) -> None:
    """disclose used to abort natively (the screen allocated the whole rectangle): now the sheet is read as
    the loader reads any sheet — an unrelated one is passed over, one that may list 涉密 stops clearly."""
    src = write(tables([row(code(1), "是"), row(code(2), "否")], ["涉密"]), tmp_path / "d.xlsx")
    _stray_cell_sheet(src, "备注", ["说明", "日期"])
    rc, out, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    assert code(1).casefold() not in public_text(tmp_path / "o" / "public")
    _stray_cell_sheet(src, "涉密项目清单", ["项目编码"])
    rc, out, err = run("disclose", str(src), "--out", str(tmp_path / "o2"))
    assert rc == 2 and "涉密项目清单" in err and "XFD1048576" in err and "Traceback" not in err
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[2J", "\x0b", "\ufffe"])
def test_control_characters_in_names_are_dropped(tmp_path: Path, bad: str) -> None:
    """One NUL or control character in a unit or project name used to stop feedback and the report (XML)."""
    t = tables([row(code(1), "否", name=f"项目{bad}一"), row(code(2), "否")], ["涉密"])
    t["单位"]["单位名称"] = [f"单位{bad}甲"]
    src = write(t, tmp_path / "d")
    ds = load(src)
    names = ds.table("projects")["project_name"].astype(str).tolist() + ds.table("units")["unit_name"].astype(str).tolist()
    assert not any(re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe]", n) for n in names), names
    rc, out, err = run("feedback", "--data", str(src), "--out", str(tmp_path / "fb"), "--year", "2022")
    assert rc == 0 and "Traceback" not in err, err
    assert list((tmp_path / "fb").glob("*.docx"))


def test_letter_file_names_are_cut_by_bytes(tmp_path: Path) -> None:
    """A unit name of 60 emoji or 𠮷 (4 bytes each): every letter's file name stays within 255 bytes."""
    t = tables([row(code(1), "否", unit="DW01"), row(code(2), "否", unit="DW02")], ["涉密"])
    t["单位"]["单位名称"] = ["😀" * 80, "𠮷" * 80]
    src = write(t, tmp_path / "d")
    rc, out, err = run("feedback", "--data", str(src), "--out", str(tmp_path / "fb"), "--year", "2022")
    assert rc == 0, err
    files = [p.name for p in (tmp_path / "fb").rglob("*") if p.is_file()]
    assert len([f for f in files if f.endswith(".docx")]) == 2
    assert all(len(f.encode("utf-8")) <= 255 for f in files), [len(f.encode()) for f in files]


@pytest.mark.parametrize(("amount", "loaded"), [("1,5", None), ("1 234,5", None), ("1.234,56", None), ("12,34", None),
                                                ("80,178.66", 80178.66), ("1,234,567", 1234567.0), ("1 234", 1234.0),
                                                ("１,０００", 1000.0)])
def test_comma_is_a_thousands_separator_only_in_groups_of_three(tmp_path: Path, amount: str,
                                                                loaded: float | None) -> None:
    t = {k: v.copy() for k, v in GOOD.items()}
    t["项目"]["全年预算数"] = t["项目"]["全年预算数"].astype(object)
    t["项目"].loc[0, "全年预算数"] = amount
    src = tmp_path / "d"
    src.mkdir()
    for name, frame in t.items():
        frame.to_csv(src / f"{name}.csv", index=False, encoding="utf-8-sig")
    ds = load(src)
    p = ds.table("projects").set_index("project_id")
    if loaded is None:
        assert "P1" not in p.index
        q = ds.quarantine
        assert ((q["列"] == "全年预算数") & (q["行"] == 2) & (q["实际"] == amount)).any(), q
    else:
        assert p.loc["P1", "budget"] == round(loaded * 1_000_000)


def test_month_of_another_year_is_quarantined(tmp_path: Path) -> None:
    """月份 2021-05 in 2022 data is not May 2022: the cell is named in the quarantine, never read as 5."""
    t = {k: v.copy() for k, v in GOOD.items()}
    t["执行监控"] = pd.DataFrame({"项目编码": ["P1", "P2", "P1"], "月份": ["2022-05", "2021-05", "2022年6月"],
                               "累计执行数": [10.0, 20.0, 30.0]})
    src = tmp_path / "d"
    src.mkdir()
    for name, frame in t.items():
        frame.to_csv(src / f"{name}.csv", index=False, encoding="utf-8-sig")
    for month in (None, 5):
        ds = load(src, month=month)
        q = ds.quarantine
        hit = q[(q["工作表"] == "执行监控") & (q["列"] == "月份")]
        assert hit["行"].tolist() == [3] and "2021-05" in hit["实际"].iloc[0] and "2022" in hit["实际"].iloc[0]
        assert 20 * 1_000_000 not in set(ds.table("exec_monitor")["spent_cum"].dropna())


def test_sep_line_is_read_the_same_by_every_command(tmp_path: Path) -> None:
    """A CSV saved by Excel with a first line ``sep=,``: the loader and the 涉密 decision read it alike."""
    src = write(tables([row(code(1), "是"), row(code(2), "否")], ["涉密"]), tmp_path / "d")
    csv = src / "项目.csv"
    csv.write_bytes(b"sep=,\r\n" + csv.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    assert load(src).table("projects")["classified"].sum() == 1
    rc, _, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    text = public_text(tmp_path / "o" / "public")
    assert code(1).casefold() not in text and code(2).casefold() in text


def test_template_never_replaces_a_device_or_folder(tmp_path: Path) -> None:
    import os

    target = tmp_path / "fifo.xlsx"
    os.mkfifo(target)
    rc, _, err = run("template", "--out", str(target))
    assert rc == 2 and "不是普通文件" in err and target.is_fifo()
    rc, _, err = run("template", "--out", "/dev/null")
    assert rc == 2 and "不是普通文件" in err and Path("/dev/null").is_char_device()
    (tmp_path / "夹").mkdir()
    rc, _, err = run("template", "--out", str(tmp_path / "夹"))
    assert rc == 2 and "Traceback" not in err


# archive: DuckDB's errors in the user's words, never an extension loaded from a data file

def _archive_run(*args: str) -> tuple[int, str, str]:
    rc, out, err = run(*args)
    assert "Traceback" not in out + err
    return rc, out, err


def test_sqlite_file_as_archive_is_refused_without_loading_an_extension(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "a.duckdb"
    with sqlite3.connect(db) as con:
        con.execute("create table t(a)")
    rc, _, err = _archive_run("archive", "list", "--db", str(db))
    assert rc == 2 and "SQLite" in err and "年度档案" in err
    assert not any("extension" in p.name for p in Path.home().glob(".duckdb/extensions/**/*sqlite*"))


@pytest.mark.parametrize("damage", ["truncated", "zeros", "schema_version", "view"])
def test_damaged_archive_is_a_chinese_message(tmp_path: Path, damage: str) -> None:
    import duckdb

    src = write(tables([row(code(1), "否", year=2021), row(code(2), "是", year=2021)], ["涉密"]), tmp_path / "d")
    db = tmp_path / "a.duckdb"
    assert _archive_run("archive", "add", str(src), "--year", "2021", "--db", str(db))[0] == 0
    if damage == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif damage == "zeros":
        db.write_bytes(b"\0" * 8192)
    else:
        con = duckdb.connect(str(db))
        if damage == "schema_version":
            con.execute("UPDATE archive_meta SET value = 'zwei' WHERE key = 'schema_version'")
        else:
            con.execute("DROP TABLE input_projects")
            con.execute("CREATE VIEW input_projects AS SELECT 1 AS year")
        con.close()
    for args in (["archive", "list", "--db", str(db)], ["archive", "add", str(src), "--year", "2021", "--db", str(db)],
                 ["disclose", str(src), "--out", str(tmp_path / "o"), "--archive", str(db)]):
        rc, _, err = _archive_run(*args)
        english = re.sub(r"perfkit|DuckDB|SQLite|archive add|「[^」]*」", "", err.replace(str(db), ""))
        readable = damage in ("schema_version", "view") and args[1] != "add"  # a reader needs neither
        assert (rc == 2 and err.count("\n") == 1 and not re.search(r"[A-Za-z]{5,}", english)) \
            or (rc == 0 and readable), (args, err)


def test_archive_year_out_of_range(tmp_path: Path) -> None:
    from perfkit.io import archive as arc

    with pytest.raises(InputError, match="超出"):
        arc.add_year(tmp_path / "a.duckdb", 99999, {}, {})


def test_report_out_with_braces(tmp_path: Path) -> None:
    """papermill formats paths with the parameters: 报告{终稿} must be used as written."""
    from perfkit.reporting.render import _literal

    assert _literal(Path("/tmp/报告{终稿}/x.ipynb")).format(year=2022) == "/tmp/报告{终稿}/x.ipynb"
