"""Nothing vanishes without a word (issue 12 §2, §3; issue 11 §1, loader side): every case below once
lost rows with exit 0 and no message. Each test checks that rows read = rows loaded + rows quarantined
for every table, and that every quarantine record names file, sheet, Excel row and column."""

from __future__ import annotations

import datetime as dt
import io
import re
import resource
import subprocess
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from perfkit.cli import main
from perfkit.io import values as V
from perfkit.io.load import InputError, load
from tests.conftest import rows_reconcile, write_folder

UNITS = pd.DataFrame({"单位编码": ["U1", "U2"], "单位名称": ["教育局", "民政局"]})
PROJECTS = pd.DataFrame({"项目编码": ["P1", "P2", "P3"], "项目名称": ["甲", "乙", "丙"], "单位编码": ["U1", "U1", "U2"],
                         "年度": [2022, 2022, 2022], "全年预算数": [100.0, 80.5, 12.0], "全年执行数": [90.0, 80.5, 0.0]})
SELF_EVAL = pd.DataFrame({"项目编码": ["P1", "P2", "P2", "P3"], "一级指标": ["产出指标"] * 4,
                          "二级指标": ["数量指标"] * 4, "三级指标": ["人数", "人数", "次数", "人数"],
                          "指标值": ["≥100人", "≥10人", "≥5次", "≥1人"], "实际完成值": ["98人", "10人", "5次", "1人"],
                          "分值": [50.0] * 4, "得分": [49.0, 50.0, 50.0, 50.0]})


def accounted(ds) -> pd.DataFrame:
    """The promises for every run: counts reconcile per table, every record names where it is."""
    return rows_reconcile(ds)


def book(path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None) -> Path:
    """A workbook written cell by cell (openpyxl: strings such as '#DIV/0!' become Excel error cells)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(row=r, column=c, value=v)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
    wb.save(path)
    return path


def rows_of(frame: pd.DataFrame) -> list[list[object]]:
    return [list(frame.columns)] + [list(r) for r in frame.astype(object).itertuples(index=False)]


# ------------------------------------------------------------------------------------ NA words

NA_WORDS = ["N/A", "NA", "null", "None", "nan", "#N/A", "#DIV/0!", "NaN", "-", "—"]


@pytest.mark.parametrize("word", NA_WORDS)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_na_words_in_amount_cells_are_quarantined_by_name(tmp_path: Path, word: str, fmt: str) -> None:
    frame = PROJECTS.astype(object)
    frame.loc[1, "全年预算数"] = word
    path = book(tmp_path / "b.xlsx", {"项目": rows_of(frame)}) if fmt == "xlsx" else \
        write_folder(tmp_path / "d", {"项目": frame})
    ds = load(path)
    c = accounted(ds)
    assert (c.loc["项目", "读入"], c.loc["项目", "载入"], c.loc["项目", "隔离"]) == (3, 2, 1)
    rec = ds.quarantine.iloc[0]
    assert (rec["文件"], rec["工作表"], rec["行"], rec["列"]) == (path.name if fmt == "xlsx" else "项目.csv", "项目", 3,
                                                               "全年预算数")
    assert rec["实际"] == word and "数字" in rec["期望"]


def test_formula_error_value_is_shown_not_blank(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["项目编码", "项目名称", "全年预算数"])
    ws.append(["P1", "甲", 5])
    ws.append(["P2", "乙", "=1/0"])  # saved without a calculated value
    ws["C5"] = "=A1*2"  # alone in the sheet's last row: outside the range the reader returns
    wb.save(tmp_path / "f.xlsx")
    ds = load(tmp_path / "f.xlsx")
    accounted(ds)
    q = ds.quarantine
    assert q.iloc[0][["行", "列", "实际"]].tolist() == [3, "全年预算数", "=1/0"]
    assert q[q["行"] == 5][["列", "实际"]].values.tolist() == [["全年预算数", "=A1*2"], ["项目名称", "（空）"],
                                                          ["项目编码", "（空）"]]


@pytest.mark.parametrize("name", ["NA", "None", "null", "N/A", "nan", "#N/A"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_na_words_in_text_columns_are_text(tmp_path: Path, name: str, fmt: str) -> None:
    frame = PROJECTS.astype(object)
    frame.loc[0, "项目名称"] = name
    frame.loc[1, "项目编码"] = name
    se = SELF_EVAL.astype(object)
    se.loc[[1, 2], "项目编码"] = name
    se.loc[3, "实际完成值"] = name
    tables = {"项目": frame, "绩效自评": se}
    path = book(tmp_path / "b.xlsx", {k: rows_of(v) for k, v in tables.items()}) if fmt == "xlsx" else \
        write_folder(tmp_path / "d", tables)
    ds = load(path)
    accounted(ds)
    assert ds.quarantine.empty, ds.quarantine
    p = ds.table("projects")
    assert p["project_name"].iloc[0] == name and p["project_id"].iloc[1] == name
    s = ds.table("self_eval")
    assert (s["project_id"] == name).sum() == 2 and s["actual_text"].iloc[3] == name


# ------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize("column", ["实际完成值", "指标值"])
def test_date_cells_in_text_columns_read_as_dates(tmp_path: Path, column: str) -> None:
    se = SELF_EVAL.astype(object)
    se.loc[0, column] = dt.datetime(2022, 12, 31)
    se.loc[1, column] = "2022/12/31前"
    se.loc[2, column] = dt.date(2022, 6, 30)
    ds = load(book(tmp_path / "b.xlsx", {"项目": rows_of(PROJECTS), "绩效自评": rows_of(se)}))
    accounted(ds)
    assert ds.quarantine.empty
    field = {"实际完成值": "actual_text", "指标值": "target_text"}[column]
    assert ds.table("self_eval")[field].iloc[:3].tolist() == ["2022-12-31", "2022/12/31前", "2022-06-30"]


def test_date_in_an_amount_cell_is_shown_as_a_date(tmp_path: Path) -> None:
    frame = PROJECTS.astype(object)
    frame.loc[2, "全年预算数"] = dt.datetime(2022, 12, 31)
    ds = load(book(tmp_path / "b.xlsx", {"项目": rows_of(frame)}))
    accounted(ds)
    assert ds.quarantine.iloc[0][["行", "实际"]].tolist() == [4, "2022-12-31"]


def test_numbers_in_text_columns_read_as_excel_shows_them(tmp_path: Path) -> None:
    frame = PROJECTS.astype(object)
    frame["项目编码"] = [2022001, 2022002, 0.1 + 0.2]
    ds = load(book(tmp_path / "b.xlsx", {"项目": rows_of(frame)}))
    accounted(ds)
    assert ds.table("projects")["project_id"].tolist() == ["2022001", "2022002", "0.3"]


# ------------------------------------------------------------------------------------ merged cells


def test_merged_unit_code_cells_read_as_excel_shows_them(tmp_path: Path) -> None:
    frame = PROJECTS.astype(object)
    frame["单位编码"] = ["U1", None, None]
    ds = load(book(tmp_path / "b.xlsx", {"单位": rows_of(UNITS), "项目": rows_of(frame)}, merges={"项目": ["C2:C4"]}))
    c = accounted(ds)
    assert ds.table("projects")["unit_id"].tolist() == ["U1", "U1", "U1"]
    assert c.loc["项目", "载入"] == 3 and ds.quarantine.empty
    assert any("合并单元格" in n and "C2:C4" in n for n in ds.notes)


def test_unmerged_blank_unit_code_stays_blank(tmp_path: Path) -> None:
    frame = PROJECTS.astype(object)
    frame["单位编码"] = ["U1", None, None]
    ds = load(book(tmp_path / "b.xlsx", {"单位": rows_of(UNITS), "项目": rows_of(frame)}))
    assert ds.table("projects")["unit_id"].isna().sum() == 2 and not any("合并" in n for n in ds.notes)


# ------------------------------------------------------------------------------------ months

MONTHS = ["5", "05", "5月", "五月", "2022-05", "2022年5月", "5月份", "2022/5"]


def _exec_monitor(months: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"项目编码": [f"P{i}" for i in range(len(months))], "月份": months,
                         "累计执行数": [10.0] * len(months)})


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
@pytest.mark.parametrize("month", [5, None])
def test_month_spellings_are_read_and_unreadable_months_quarantined(tmp_path: Path, fmt: str,
                                                                   month: int | None) -> None:
    months = [*MONTHS, "第五期", "", "6月", "13"]
    frame = _exec_monitor(months)
    if fmt == "parquet":  # 月份 stored as text: filtered after reading, with the same spellings
        path = tmp_path / "d"
        path.mkdir()
        frame.to_parquet(path / "执行监控.parquet")
    else:
        path = book(tmp_path / "b.xlsx", {"执行监控": rows_of(frame)}) if fmt == "xlsx" else \
            write_folder(tmp_path / "d", {"执行监控": frame})
    ds = load(path, month=month)
    c = accounted(ds)
    loaded = ds.table("exec_monitor")
    if month == 5:
        assert sorted(loaded["month"].tolist()) == [5] * len(MONTHS)
        assert (c.loc["执行监控", "读入"], c.loc["执行监控", "隔离"]) == (len(MONTHS) + 3, 3)
        assert any("其他月份 1 行" in n for n in ds.notes)  # 6月 left out and counted
    else:
        assert sorted(loaded["month"].tolist()) == [5] * len(MONTHS) + [6]
        assert (c.loc["执行监控", "读入"], c.loc["执行监控", "隔离"]) == (len(months), 3)
    q = ds.quarantine.set_index("行")
    first = 2  # data row 0 is Excel row 2
    assert q.loc[first + months.index("第五期"), "列"] == "月份"
    assert "月份" in q.loc[first + months.index("第五期"), "期望"]
    assert q.loc[first + months.index(""), "期望"] == "必填，不能为空"
    assert "不大于 12" in q.loc[first + months.index("13"), "期望"]


def test_parquet_month_filter_keeps_rows_that_are_not_months(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    table = pa.table({"项目编码": ["P1", "P2", "P3", "P4"], "月份": pa.array([5, 4, 13, None], type=pa.int64()),
                      "累计执行数": [1.0, 2.0, 3.0, 4.0]})
    pq.write_table(table, folder / "执行监控.parquet")
    ds = load(folder, month=5)
    c = accounted(ds)
    assert ds.table("exec_monitor")["project_id"].tolist() == ["P1"]
    assert (c.loc["执行监控", "读入"], c.loc["执行监控", "隔离"]) == (3, 2)
    assert ds.quarantine["行"].tolist() == [4, 5]  # the rows of the file, as without --month
    assert any("其他月份 1 行不读入" in n for n in ds.notes)  # the April row: counted, not silent


def test_parquet_month_rows_keep_their_row_numbers_across_row_groups(tmp_path: Path) -> None:
    """Row groups of other months are skipped by their statistics; a quarantined row of the month is
    still named by its row in the file (it once was named by its place among the month's rows)."""
    folder = tmp_path / "d"
    folder.mkdir()
    months = [1, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 10, 11, 12, 5, 6]  # 4 row groups; the 1st and 3rd have no May
    ids = ["P1"] * len(months)
    ids[5], ids[6], ids[14], ids[15] = "P2", "P3", "不存在", "P2"
    pq.write_table(pa.table({"项目编码": ids, "月份": pa.array(months, type=pa.int64()),
                             "累计执行数": [float(i) for i in range(len(months))]}), folder / "执行监控.parquet",
                   row_group_size=4)
    write_folder(folder, {"项目": PROJECTS, "单位": UNITS})
    whole, may = load(folder), load(folder, month=5)
    assert may.quarantine["行"].tolist() == whole.quarantine["行"].tolist() == [14 + 2]
    assert may.table("exec_monitor")["_row"].tolist() == [6, 7, 8]  # the rows of the file
    c = accounted(may)
    assert (c.loc["执行监控", "读入"], c.loc["执行监控", "载入"]) == (4, 3)
    assert any("其他月份 12 行不读入" in n for n in may.notes)


def test_unreadable_month_is_not_also_called_empty(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"执行监控": _exec_monitor(["abc"])}))
    accounted(ds)
    assert ds.quarantine["期望"].tolist() == ["应为月份 1–12（如 5、5月、五月、2022-05）"]


@pytest.mark.parametrize(("text", "month"), [("5", 5), ("05", 5), ("5.0", 5), ("5月", 5), ("五月", 5), ("十二月", 12),
                                             ("2022-05", 5), ("2022年5月", 5), ("2022/05/31", 5), ("腊月", 12),
                                             ("第五期", None), ("", None), ("5.5", None)])
def test_parse_month(text: str, month: int | None) -> None:
    got = V.parse_month(text)
    assert (np.isnan(got) and month is None) or got == month


# ------------------------------------------------------------------------------------ two sources for one table


def test_two_sheets_for_one_table_is_an_error_naming_both(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"项目": rows_of(PROJECTS), "项目 ": rows_of(PROJECTS.iloc[:1])})
    with pytest.raises(InputError, match="「项目」.*「项目 」") as info:
        load(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("other", ["项目.parquet", "项目 .csv"])
def test_two_files_for_one_table_is_an_error_naming_both(tmp_path: Path, other: str) -> None:
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS})
    if other.endswith(".parquet"):
        PROJECTS.to_parquet(folder / other)
    else:
        PROJECTS.to_csv(folder / other, index=False)
    with pytest.raises(InputError, match=re.escape(other)) as info:
        load(folder)
    assert "项目.csv" in str(info.value)


def test_unknown_files_in_a_folder_are_named(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS, "项目表": PROJECTS})
    ds = load(folder)
    assert any("项目表.csv" in n for n in ds.notes)


# ------------------------------------------------------------------------------------ parent rows set aside


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_child_rows_of_a_quarantined_project_say_the_parent_row_was_set_aside(tmp_path: Path, fmt: str) -> None:
    frame = PROJECTS.astype(object)
    frame.loc[1, "全年预算数"] = "一百万"  # P2, Excel row 3
    se = SELF_EVAL.astype(object)
    se.loc[3, "项目编码"] = "P9"  # truly unknown
    tables = {"项目": frame, "绩效自评": se}
    path = book(tmp_path / "b.xlsx", {k: rows_of(v) for k, v in tables.items()}) if fmt == "xlsx" else \
        write_folder(tmp_path / "d", tables)
    ds = load(path)
    c = accounted(ds)
    assert (c.loc["绩效自评", "载入"], c.loc["绩效自评", "隔离"]) == (1, 3)
    q = ds.quarantine[ds.quarantine["工作表"] == "绩效自评"].set_index("行")
    for row in (3, 4):
        assert q.loc[row, "期望"] == "所属项目行（项目表第3行）已被隔离"
        assert "P2" in q.loc[row, "说明"] and "应是" not in q.loc[row, "说明"]
    assert q.loc[5, "期望"] == "应是「项目」表中已有的项目编码"


def test_projects_of_a_quarantined_unit_say_the_unit_row_was_set_aside(tmp_path: Path) -> None:
    units = pd.DataFrame({"单位编码": ["U1", "U2", "U2"], "单位名称": ["教育局", "民政局", "民政局二"]})
    units.loc[2, "单位编码"] = "U3"
    units.loc[1, "单位名称"] = ""  # U2's row (Excel row 3) is quarantined: 单位名称 required
    ds = load(write_folder(tmp_path / "d", {"单位": units, "项目": PROJECTS}))
    accounted(ds)
    q = ds.quarantine[ds.quarantine["工作表"] == "项目"]
    assert q["期望"].tolist() == ["所属单位行（单位表第3行）已被隔离"] and q["行"].tolist() == [4]


# ------------------------------------------------------------------------------------ title rows above the header


@pytest.mark.parametrize("above", [[["2022年度项目支出绩效自评汇总表"]], [[None]], [["某某区财政局"], [None], ["单位：万元"]]])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_header_found_under_a_title(tmp_path: Path, above: list[list[object]], fmt: str) -> None:
    n = 90
    frame = pd.DataFrame({"项目编码": [f"P{i}" for i in range(n)], "项目名称": [f"项目{i}" for i in range(n)],
                          "全年预算数": ["1.5"] * n})
    frame.loc[41, "全年预算数"] = "abc"
    rows = [list(r) for r in above] + rows_of(frame)
    if fmt == "xlsx":
        path = book(tmp_path / "b.xlsx", {"项目": rows})
    else:
        path = tmp_path / "d"
        path.mkdir()
        lines = [",".join("" if v is None else str(v) for v in r) for r in rows]
        (path / "项目.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    ds = load(path)
    c = accounted(ds)
    assert (c.loc["项目", "读入"], c.loc["项目", "载入"], c.loc["项目", "隔离"]) == (n, n - 1, 1)
    header_row = len(above) + 1
    assert ds.quarantine.iloc[0]["行"] == header_row + 1 + 41
    assert ds.table("projects")["_row"].iloc[0] == header_row + 1


def test_blank_rows_keep_excel_row_numbers(tmp_path: Path) -> None:
    frame = PROJECTS.astype(object)
    frame.loc[2, "全年预算数"] = "x"
    rows = rows_of(frame)
    rows.insert(2, [None] * 6)  # a blank Excel row 3
    ds = load(book(tmp_path / "b.xlsx", {"项目": rows}))
    c = accounted(ds)
    assert c.loc["项目", "读入"] == 3 and ds.quarantine.iloc[0]["行"] == 5


# ------------------------------------------------------------------------------------ header-only, odd headers


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_header_only_table_loads_empty(tmp_path: Path, fmt: str) -> None:
    tables = {"项目": PROJECTS, "事前评估": pd.DataFrame(columns=["项目编码", "立项必要性", "投入经济性", "评估结论"])}
    path = book(tmp_path / "b.xlsx", {k: rows_of(v) for k, v in tables.items()}) if fmt == "xlsx" else \
        write_folder(tmp_path / "d", tables)
    ds = load(path)
    c = accounted(ds)
    assert len(ds.table("exante")) == 0 and c.loc["事前评估", "读入"] == 0
    assert set(ds.table("exante").columns) >= {"project_id", "exante_1", "conclusion_text"}


def test_blank_and_repeated_headers_are_named_by_column_letter(tmp_path: Path) -> None:
    rows = rows_of(PROJECTS)
    rows[0] = [*rows[0], None, "项目名称"]
    for r in rows[1:]:
        r.extend(["杂项", "另一个名称"])
    ds = load(book(tmp_path / "b.xlsx", {"项目": rows}))
    accounted(ds)
    text = " ".join(ds.notes)
    assert "Unnamed" not in text and ".1" not in text
    assert "G列" in text and "H列" in text and ds.table("projects")["project_name"].tolist() == ["甲", "乙", "丙"]


def test_missing_required_column_names_the_header_row_not_all(tmp_path: Path) -> None:
    rows = [["标题"], *rows_of(PROJECTS.rename(columns={"项目编码": "编号"}))]
    ds = load(book(tmp_path / "b.xlsx", {"项目": rows}))
    accounted(ds)
    rec = ds.quarantine.iloc[0]
    assert rec["行"] == 2 and "第 2 行" in rec["说明"] and "编号" in rec["实际"]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        main(["validate", str(tmp_path / "b.xlsx")])
    assert "全部 行" not in out.getvalue() and "Unnamed" not in out.getvalue()


# ------------------------------------------------------------------------------------ huge declared sheets


def _with_dimension(path: Path, ref: str) -> Path:
    """The same workbook with its first sheet's declared used range replaced (no far cell is written:
    if the guard failed, the reader would not try to allocate anything large)."""
    out = path.with_name("far.xlsx")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                text = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', text)
                assert ref in text
                data = text.encode("utf-8")
            dst.writestr(item, data)
    return out


def _validate_capped(path: Path) -> subprocess.CompletedProcess:
    """``perfkit validate`` in a child whose address space is capped at 4 GB: should the guard ever
    fail, the reader's allocation fails there instead of exhausting the machine."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    return subprocess.run([sys.executable, "-m", "perfkit", "validate", str(path)], capture_output=True, text=True,
                          preexec_fn=cap, timeout=120)


def test_sheet_declaring_xfd1048576_fails_with_one_clear_line(tmp_path: Path) -> None:
    path = _with_dimension(book(tmp_path / "b.xlsx", {"项目": rows_of(PROJECTS)}), "A1:XFD1048576")
    done = _validate_capped(path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "XFD1048576" in done.stderr and "Ctrl+End" in done.stderr


def test_sheet_without_dimension_is_scanned(tmp_path: Path) -> None:
    path = book(tmp_path / "b.xlsx", {"项目": rows_of(PROJECTS)})
    out = tmp_path / "nodim.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r'<dimension ref="[^"]*"\s*/>', "", data.decode("utf-8"))
                # a far cell that is only declared by its reference (empty, so nothing large is read if
                # the guard failed): the scan must see it
                text = text.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"/></row></sheetData>')
                data = text.encode("utf-8")
            dst.writestr(item, data)
    done = _validate_capped(out)
    assert done.returncode == 2 and "XFD1048576" in done.stderr, done.stderr


def test_ordinary_declared_dimension_loads(tmp_path: Path) -> None:
    path = _with_dimension(book(tmp_path / "b.xlsx", {"项目": rows_of(PROJECTS)}), "A1:F4")
    accounted(load(path))


# ------------------------------------------------------------------------------------ messages


def test_csv_parser_errors_are_in_chinese(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "项目.csv").write_text("项目编码,项目名称\nP1,甲\nP2,乙,多,余\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load(folder)
    msg = str(info.value)
    assert "第 3 行" in msg and not re.search(r"[A-Za-z]{4,}", msg.replace("CSV", "")), msg


def test_control_characters_are_not_echoed(tmp_path: Path) -> None:
    frame = PROJECTS.astype(object)
    frame.loc[0, "全年预算数"] = "\x1b[2J\x1b[31m红"
    path = write_folder(tmp_path / "d", {"项目": frame})
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        assert main(["validate", str(path)]) == 0
    assert "\x1b" not in out.getvalue() and "红" in out.getvalue()


# ------------------------------------------------------------------------------------ generated sheets


TITLES = ["2022年度项目支出绩效自评汇总表", "单位：万元", "填报单位（盖章）：", None, "某某区财政局  2023年3月"]


@st.composite
def sheets_with_noise(draw) -> tuple[list[list[object]], dict[int, str], int]:
    """A 项目 sheet with 0–4 title/blank rows above the header, blank rows between data rows, NA words and
    other unreadable text in amount cells, NA-like words in text cells. Returns the rows, the Excel rows
    that must be quarantined (→ the bad text) and the number of data rows."""
    above = [[draw(st.sampled_from(TITLES))] for _ in range(draw(st.integers(0, 4)))]
    n = draw(st.integers(0, 12))
    rows = [list(r) for r in above] + [["项目编码", "项目名称", "全年预算数", "全年执行数"]]
    bad: dict[int, str] = {}
    for i in range(n):
        if draw(st.integers(0, 5)) == 0:
            rows.append([None, None, None, None])  # a blank row keeps its Excel row number
        budget: object = draw(st.sampled_from([1.5, 100, "80,178.66", "１００"]))
        if draw(st.booleans()):
            budget = draw(st.sampled_from([*NA_WORDS, "一百万", "见附件", "2022/12/31前"]))
            bad[len(rows) + 1] = budget
        name = draw(st.sampled_from(["甲", "NA", "None", "null", "N/A", "#N/A"]))
        rows.append([f"P{i}", name, budget, 1.0])
    return rows, bad, n


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(case=sheets_with_noise(), fmt=st.sampled_from(["xlsx", "csv"]))
def test_generated_sheets_account_for_every_row(tmp_path_factory, case, fmt: str) -> None:
    rows, bad, n = case
    base = tmp_path_factory.mktemp("gen")
    if fmt == "xlsx":
        path = book(base / "b.xlsx", {"项目": rows})
    else:
        path = base / "d"
        path.mkdir()
        pd.DataFrame(rows).to_csv(path / "项目.csv", header=False, index=False, encoding="utf-8-sig")
    ds = load(path)
    c = accounted(ds)
    assert (c.loc["项目", "读入"], c.loc["项目", "隔离"]) == (n, len(bad))
    q = ds.quarantine
    assert dict(zip(q["行"], q["实际"], strict=True)) == bad
    assert set(q["列"]) <= {"全年预算数"}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_month_without_rows_loads_an_empty_table(tmp_path: Path, fmt: str) -> None:
    frame = pd.DataFrame({"项目编码": ["P1", "P1", "P2"], "月份": [1, 4, 3], "累计执行数": [1.0, 2.0, 3.0]})
    ind = pd.DataFrame({"项目编码": ["P1"], "月份": [4], "三级指标": ["人数"], "累计完成值": ["5人"]})
    tables = {"执行监控": frame, "指标监控": ind}
    if fmt == "xlsx":
        path = book(tmp_path / "b.xlsx", {k: rows_of(v) for k, v in tables.items()})
    else:
        path = tmp_path / "d"
        path.mkdir()
        for k, v in tables.items():
            v.to_csv(path / f"{k}.csv", index=False) if fmt == "csv" else v.to_parquet(path / f"{k}.parquet")
    ds = load(path, month=5)
    c = accounted(ds)
    assert len(ds.table("exec_monitor")) == 0 and len(ds.table("ind_monitor")) == 0
    assert c["读入"].sum() == 0


@pytest.mark.parametrize("row_group_size", [None, 4])
def test_parquet_month_categories_hold_only_the_values_read(tmp_path: Path, row_group_size: int | None) -> None:
    """A row group's dictionary lists the codes of every month's rows; the month read lists only its own."""
    folder = tmp_path / "d"
    folder.mkdir()
    months = [4, 5, 6, 5, 4, 6, 5, 4]
    ids = ["P9", "P2", "P8", "P3", "P7", "P6", "P1", "P5"]
    pq.write_table(pa.table({"项目编码": ids, "月份": pa.array(months, type=pa.int64()),
                             "累计执行数": [float(i) for i in range(len(months))]}), folder / "执行监控.parquet",
                   row_group_size=row_group_size)
    from perfkit.io.read_parquet import read_parquet

    may = read_parquet(folder / "执行监控.parquet", 5)
    assert may["项目编码"].tolist() == ["P2", "P3", "P1"] and may.index.tolist() == [1, 3, 6]
    assert list(map(str, may["项目编码"].cat.categories)) == ["P2", "P3", "P1"]


def test_parquet_month_skips_row_groups_by_the_statistics_of_月份_itself(tmp_path: Path) -> None:
    """A nested column before 月份 is two Parquet columns but one Arrow field: the statistics read must be
    月份's own, or a row group of May would be skipped by another column's minimum and maximum."""
    folder = tmp_path / "d"
    folder.mkdir()
    note = pa.array([{"a": 9, "b": 1}] * 4, type=pa.struct([("a", pa.int64()), ("b", pa.int64())]))
    pq.write_table(pa.table({"附注": note, "月份": pa.array([5, 5, 5, 4], type=pa.int64()),
                             "项目编码": ["P1", "P2", "P3", "P1"],
                             "累计执行数": [1.0, 2.0, 3.0, 4.0]}), folder / "执行监控.parquet")
    write_folder(folder, {"项目": PROJECTS, "单位": UNITS})
    ds = load(folder, month=5)
    c = accounted(ds)
    assert c.loc["执行监控", "读入"] == 3
    assert ds.table("exec_monitor")["project_id"].tolist() == ["P1", "P2", "P3"]


def test_parquet_lists_and_records_in_cells_are_read_as_text(tmp_path: Path) -> None:
    """A nested Parquet column once crashed the loader (a dict cannot be hashed): it is text now — an
    extra column is left aside as any other, a contract column's cell is quarantined as unreadable."""
    folder = tmp_path / "d"
    folder.mkdir()
    pq.write_table(pa.table({"项目编码": ["P1", "P2"], "月份": pa.array([5, 5], type=pa.int64()),
                             "累计执行数": pa.array([[1.0], None], type=pa.list_(pa.float64())),
                             "附注": pa.array([{"a": 1}, {"a": 2}])}), folder / "执行监控.parquet")
    write_folder(folder, {"项目": PROJECTS, "单位": UNITS})
    for month in (None, 5):
        ds = load(folder, month=month)
        c = accounted(ds)
        assert c.loc["执行监控", "读入"] == 2
        q = ds.quarantine[ds.quarantine["工作表"] == "执行监控"]
        assert set(q["列"]) == {"累计执行数"} and "[1.0]" in q["实际"].tolist()


def _stored_as(values: list[str], kind: str) -> pa.Array:
    """Text as other writers store it: binary (Hive, Impala, Spark, DuckDB BLOB), string_view (polars)."""
    if kind == "gb18030":
        return pa.array([v.encode("gb18030") for v in values], pa.binary())
    if kind == "mixed":  # one column, rows from two systems: UTF-8 and GB18030 side by side
        return pa.array([v.encode("gb18030" if i % 2 else "utf-8") for i, v in enumerate(values)], pa.binary())
    if kind in ("binary", "large_binary"):
        return pa.array([v.encode() for v in values], getattr(pa, kind)())
    return pa.array(values, pa.string_view())


@pytest.mark.parametrize("month", [5, None])
@pytest.mark.parametrize("kind", ["binary", "large_binary", "string_view", "gb18030", "mixed"])
def test_parquet_text_stored_as_bytes_or_views_is_read_as_text(tmp_path: Path, kind: str, month: int | None) -> None:
    """Binary text was read as "b'P1'" (every code unknown, every Chinese cell garbage) and string_view
    crashed the --month path as "a corrupt file": both read as the same rows as the CSV."""
    csv = write_folder(tmp_path / "csv", {"项目": PROJECTS, "单位": UNITS, "执行监控": _exec_monitor([5, 5, 4])
                                          .assign(项目编码=["P1", "P2", "不存在"])})
    folder = tmp_path / "pq"
    folder.mkdir()
    for sheet in ("项目", "单位", "执行监控"):
        frame = pd.read_csv(csv / f"{sheet}.csv", encoding="utf-8-sig", dtype={"项目编码": str, "单位编码": str})
        columns = {c: (_stored_as(frame[c].tolist(), kind) if not pd.api.types.is_numeric_dtype(frame[c]) else
                       pa.array(frame[c].tolist(), pa.int64() if c == "月份" else None)) for c in frame.columns}
        pq.write_table(pa.table(columns), folder / f"{sheet}.parquet", row_group_size=2)
    want, got = load(csv, month=month), load(folder, month=month)
    accounted(got)
    for name in ("projects", "units", "exec_monitor"):
        a, b = want.table(name).drop(columns="_row", errors="ignore"), got.table(name).drop(columns="_row", errors="ignore")
        assert a.astype(str).to_numpy().tolist() == b.astype(str).to_numpy().tolist(), name
    assert got.quarantine[["行", "列", "实际"]].astype(str).to_numpy().tolist() == \
        want.quarantine[["行", "列", "实际"]].astype(str).to_numpy().tolist()
    assert any("GB18030" in n for n in got.notes) == (kind in ("gb18030", "mixed"))


def test_parquet_bytes_that_are_not_text_are_an_error_naming_the_column(tmp_path: Path, capsys) -> None:
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS, "单位": UNITS})
    pq.write_table(pa.table({"项目编码": pa.array([b"\xff\xfe\x00", b"P1"]), "月份": [5, 5],
                             "累计执行数": [1.0, 2.0]}), folder / "执行监控.parquet")
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "执行监控.parquet" in err[0] and "「项目编码」" in err[0] and "二进制" in err[0]


@pytest.mark.parametrize("month", [5, None])
def test_parquet_repeated_column_names_are_read_as_in_a_sheet(tmp_path: Path, month: int | None) -> None:
    """Two columns under one name made pyarrow refuse the file ("corrupt"): the first is read, the
    second named and ignored with the note a CSV gets."""
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS, "单位": UNITS})
    table = pa.Table.from_arrays([pa.array(["P1", "P2"]), pa.array([5, 5]), pa.array([1.0, 2.0]), pa.array([9.0, 9.0])],
                                 names=["项目编码", "月份", "累计执行数", "累计执行数"])
    pq.write_table(table, folder / "执行监控.parquet")
    ds = load(folder, month=month)
    accounted(ds)
    assert ds.table("exec_monitor")["project_id"].tolist() == ["P1", "P2"]
    assert any("表头「累计执行数」出现不止一次（C列、D列），只读取 C 列" in n for n in ds.notes)


def test_parquet_month_filter_reads_the_column_validation_reads_as_月份(tmp_path: Path) -> None:
    """With 月份（月） first and 月份 after it, validation reads the first; the month filter read the
    second by its exact name and dropped May's rows as other months'."""
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS, "单位": UNITS})
    pq.write_table(pa.table({"项目编码": ["P1", "P2"], "月份（月）": [5, 5], "月份": [4, 4], "累计执行数": [1.0, 2.0]}),
                   folder / "执行监控.parquet")
    ds = load(folder, month=5)
    c = accounted(ds)
    assert c.loc["执行监控", "载入"] == 2
    assert ds.table("exec_monitor")["project_id"].tolist() == ["P1", "P2"]


def test_parquet_fixed_size_bytes_and_undecodable_extra_columns(tmp_path: Path) -> None:
    """CHAR(n) exports (fixed-size binary) read as text; bytes that are no text in a column perfkit does not
    read are shown as such with a note — they do not stop the table."""
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS, "单位": UNITS})
    pq.write_table(pa.table({"项目编码": pa.array([b"P1", b"P2"], pa.binary(2)), "月份": [5, 5],
                             "累计执行数": [1.0, 2.0], "备注": pa.array([b"\xff\xfe\x00", b"ok"])}),
                   folder / "执行监控.parquet")
    for month in (None, 5):
        ds = load(folder, month=month)
        c = accounted(ds)
        assert c.loc["执行监控", "载入"] == 2 and ds.table("exec_monitor")["project_id"].tolist() == ["P1", "P2"]
        assert any("「备注」有无法识别为文本的二进制值" in n for n in ds.notes)


@pytest.mark.parametrize("month", [None, 5])
def test_parquet_one_value_in_two_encodings_is_one_value(tmp_path: Path, month: int | None) -> None:
    """Two exports concatenated: 人数 in UTF-8 and in GB18030 in one column decode alike and are one
    category (a dictionary with the same value twice stopped the load as "corrupt")."""
    folder = write_folder(tmp_path / "d", {"项目": PROJECTS, "单位": UNITS})
    name = "资助人数"
    pq.write_table(pa.table({"项目编码": ["P1", "P2", "P3"], "月份": [5, 5, 5],
                             "三级指标": pa.array([name.encode(), name.encode("gb18030"), name.encode()]),
                             "累计完成值": ["1人", "2人", "3人"]}), folder / "指标监控.parquet")
    ds = load(folder, month=month)
    accounted(ds)
    assert ds.table("ind_monitor")["indicator"].astype(str).tolist() == [name] * 3
