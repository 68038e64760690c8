"""Workbooks for finance staff (issue 13 §5): one layout for the proposal workbook, the units' feedback
lists and the explorer's export — merged title, widths that show names, A4 landscape printing with the
heads repeated and fit to width, frozen panes, 万元 formats, and 合计 rows exact in 分 with a note on
rounding. Text that looks like a formula stays text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from perfkit.io.values import FEN_PER_WAN
from perfkit.io.write import excel_writer
from perfkit.reporting.workbook import (
    CUT_NOTE,
    EXCEL_CELL_LIMIT,
    ROUNDING_NOTE,
    shown_hundredths,
    text_width,
    write_table,
)


def _widths(ws) -> dict[str, float]:
    """Column letter → width; xlsxwriter stores neighbouring columns of the same width as one range."""
    out = {}
    for dim in ws.column_dimensions.values():
        for i in range(dim.min, dim.max + 1):
            out[get_column_letter(i)] = dim.width
    return out


def _write(tmp_path: Path, frame: pd.DataFrame, **layout) -> Path:
    path = tmp_path / "t.xlsx"
    with excel_writer(path) as xl:
        write_table(xl, "表", frame, "测试标题", **layout)
    return path


FRAME = pd.DataFrame({
    "项目编码": ["P1", "P2", "P3"],
    "项目名称": ["高新区（新市区）第一小学学生营养改善计划补助经费", '=HYPERLINK("http://x","点")', "+1"],
    "主管部门": ["教育局", "卫生健康委员会", "-"],
    "复核分": [99.5, 58.25, np.nan],
    "执行进度": [0.5, 0.25, None],
    "全年预算数（万元）": pd.array([12_345_678, 5_000, None], dtype="Int64"),  # 分
})


def test_layout_title_widths_print_setup_and_formats(tmp_path: Path) -> None:
    path = _write(tmp_path, FRAME, money=["全年预算数（万元）"], percent=["执行进度"], decimals=["复核分"], total=True)
    ws = load_workbook(path)["表"]
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges} and ws["A1"].value == "测试标题"
    assert [c.value for c in ws[2]] == list(FRAME.columns)
    widths = _widths(ws)
    longest = max(text_width(v) for v in FRAME["项目名称"])
    assert widths["B"] >= min(longest, 40)  # a name shows whole (up to the cap, where it wraps)
    assert widths["C"] >= text_width("卫生健康委员会")  # 14: Chinese characters count double
    assert ws.print_title_rows == "$1:$2" and ws.freeze_panes == "C3"
    ps = ws.page_setup
    assert ps.orientation == "landscape" and int(ps.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ps.fitToWidth in (None, 1) and int(ps.fitToHeight) == 0
    assert ws["F3"].number_format == "#,##0.00" and ws["E3"].number_format == "0.0%" and ws["D3"].number_format == "0.00"
    assert ws["F3"].value == pytest.approx(12.345678)  # exact, shown as 12.35
    assert ws["F5"].value is None  # an empty cell stays empty, never 0


def test_formula_text_stays_text(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path, FRAME, money=["全年预算数（万元）"], total=True))["表"]
    cell = ws["B4"]
    assert cell.data_type == "s" and not cell.value.startswith("=") and "HYPERLINK" in cell.value
    assert ws["B5"].data_type == "s" and ws["C5"].value == "-"  # a lone sign cannot run: kept as it is
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == ["=SUM(F3:F5)"]


@pytest.mark.parametrize(("fen", "gap"), [
    ([10_000, 20_000, 30_000], 0),  # rows show 0.01 + 0.02 + 0.03, the total 0.06: no gap
    ([5_000, 5_000], 1),  # 0.005 + 0.005 万元: each row shows 0.01, the exact total 0.01 — 0.01 apart
    ([-5_000, -5_000], 1),  # rounding is half away from zero, as Excel shows it
    ([4_999, 4_999, 4_999], 1),  # rows show 0.00 each, the total 0.014997 shows 0.01
    ([12_345_678, 1], 0),
])
def test_totals_are_exact_in_fen_and_the_note_says_what_is_rounded(tmp_path: Path, fen: list[int], gap: int) -> None:
    frame = pd.DataFrame({"项目": [f"p{i}" for i in range(len(fen))], "金额（万元）": pd.array(fen, dtype="Int64")})
    path = _write(tmp_path, frame, money=["金额（万元）"], total=True)
    ws = load_workbook(path)["表"]
    values = load_workbook(path, data_only=True)["表"]
    row = 3 + len(fen)
    assert ws.cell(row, 1).value == "合计" and ws.cell(row, 2).value == f"=SUM(B3:B{row - 1})"
    assert values.cell(row, 2).value == sum(fen) / FEN_PER_WAN  # the cached total: the exact sum in 分
    note = ws.cell(row + 1, 1).value
    assert note.startswith(ROUNDING_NOTE) and f"A{row + 1}:B{row + 1}" in {str(r) for r in ws.merged_cells.ranges}
    assert (f"「金额（万元）」相差{gap / 100:.2f}万元" if gap else "本表各列无差异") in note


def test_shown_hundredths_round_half_away_from_zero() -> None:
    assert shown_hundredths(np.array([4_999, 5_000, 15_000, -5_000, -4_999, 0])).tolist() == [0, 1, 2, -1, 0, 0]


def test_a_table_without_rows_keeps_its_layout(tmp_path: Path) -> None:
    frame = pd.DataFrame({"项目": pd.Series(dtype=object), "金额（万元）": pd.array([], dtype="Int64")})
    ws = load_workbook(_write(tmp_path, frame, money=["金额（万元）"], total=True))["表"]
    assert ws["A3"].value == "合计" and ws["B3"].value == 0  # a number, not a SUM pointing at itself
    assert ws.print_title_rows == "$1:$2"


def test_proposal_workbook(demo_dir: Path, tmp_path: Path) -> None:
    from perfkit.reporting import allocation as B

    al = B.build(demo_dir / "csv", 2022, 5)
    path = B.export_workbook(al, tmp_path)
    book, values = load_workbook(path), load_workbook(path, data_only=True)
    p = al.analysis.proposal
    for sheet in ("按项目", "按单位"):
        ws = book[sheet]
        head = [c.value for c in ws[2]]
        assert {"单位名称", "主管部门", "本年预算（万元）", "建议安排（万元）"} <= set(head)
        assert f"A1:{get_column_letter(len(head))}1" in {str(r) for r in ws.merged_cells.ranges}
        assert "内部资料" in ws["A1"].value and "内部资料" in ws.oddHeader.center.text
        assert ws.print_title_rows == "$1:$2" and ws.page_setup.orientation == "landscape"
        total = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
        for col, internal in (("本年预算（万元）", "budget"), ("建议安排（万元）", "proposal"), ("收回资金（万元）", "recovered")):
            c = head.index(col) + 1
            assert values[sheet].cell(total, c).value == int(p[internal].sum()) / FEN_PER_WAN  # exact, from 分
        assert ws.cell(total + 1, 1).value.startswith(ROUNDING_NOTE)
    ws = book["按项目"]
    head = [c.value for c in ws[2]]
    names = {r[head.index("单位名称")] for r in ws.iter_rows(min_row=3, max_row=ws.max_row - 2, values_only=True)}
    assert None not in names and len(names) == p["unit_id"].nunique()


def test_feedback_list_layout(demo_analysis, tmp_path: Path) -> None:
    from perfkit.reporting.feedback import unit_tables, write_list

    a = demo_analysis
    projects, warned, findings = unit_tables(a)
    uid = warned["unit_id"].astype(str).iloc[0]  # a unit with warned projects: both money sheets have rows
    mine = projects["unit_id"].astype(str).eq(uid)
    path = tmp_path / "list.xlsx"
    write_list(path, projects.loc[mine], warned.loc[warned["unit_id"].astype(str).eq(uid)],
               findings.loc[findings["unit_id"].astype(str).eq(uid)], "某单位", "某主管部门", 2022)
    book, values = load_workbook(path), load_workbook(path, data_only=True)
    ws = book["项目评价结果"]
    head = [c.value for c in ws[2]]
    assert head[:4] == ["项目编码", "项目名称", "单位名称", "主管部门"]
    assert ws["A1"].value == "某单位2022年度绩效评价结果明细（项目评价结果）"
    rows = int(mine.sum())
    assert {ws.cell(r, 3).value for r in range(3, 3 + rows)} == {"某单位"}
    c = head.index("全年预算数（万元）") + 1
    assert values["项目评价结果"].cell(3 + rows, c).value == int(projects.loc[mine, "budget"].sum()) / FEN_PER_WAN
    for sheet in book:
        assert sheet.print_title_rows == "$1:$2" and sheet.page_setup.orientation == "landscape"
        assert sheet.freeze_panes == "C3"


def test_cells_are_those_to_excel_writes(tmp_path: Path) -> None:
    """The table is written with xlsxwriter directly (for speed), cell for cell as pandas' to_excel
    wrote it: numbers, integers with gaps, NaN and "" left empty, booleans, dates, categories, mixed text."""
    import datetime as dt

    frame = pd.DataFrame({
        "文字": ["甲", "", None, "=1+1"],
        "整数": [1, 2, 3, 4],
        "可空整数": pd.array([1, None, 3, 4], dtype="Int64"),
        "小数": [0.1, np.nan, 2.5, -1e-9],
        "是否": [True, False, True, False],
        "可空是否": pd.array([True, None, False, True], dtype="boolean"),
        "日期": [dt.date(2022, 1, 2), None, dt.date(2022, 12, 31), dt.date(2023, 5, 1)],
        "时间": pd.to_datetime(["2022-01-02 03:04:05", None, "2022-12-31 00:00:00", "2023-05-01 12:00:00"]),
        "类别": pd.Categorical(["红", "绿", None, "红"]),
        "混合": ["a", 1, 2.5, None],
    })
    ours = _write(tmp_path, frame)
    theirs = tmp_path / "pandas.xlsx"
    with excel_writer(theirs) as xl:
        from perfkit.io.write import inert_frame

        inert_frame(frame).to_excel(xl, sheet_name="表", index=False, startrow=1)

    def cells(path: Path) -> list:
        ws = load_workbook(path)["表"]
        return [(c.coordinate, c.value, c.data_type, c.number_format)
                for row in ws.iter_rows(min_row=3) for c in row if c.value is not None]
    assert cells(ours) == cells(theirs)
    assert ("A6", "'=1+1", "s", "General") in cells(ours)  # text that would run stays text


def test_columns_written_at_once_are_the_xml_of_cells_written_one_by_one(tmp_path: Path, monkeypatch) -> None:
    """perfkit.reporting.cells writes a column's cells at once (the explorer's export): every part of
    the file — the sheet's XML, the shared strings, the styles — is byte for byte what xlsxwriter writes
    cell by cell, with column formats (money, %, scores, wrapped text), a formatted row (the 合计), gaps,
    booleans, a mixed column beside them, and text that appears more than once."""
    import zipfile

    import perfkit.reporting.workbook as wb
    from perfkit.reporting.cells import ColumnSheet

    frame = FRAME.assign(是否=[True, False, None], 重复=["同一文字", "同一文字", ""], 混合=["a", 1, None],
                         整数=[1, 2**60, -3], 长文本=["很长的说明" * 30, None, "x"])
    money = ["全年预算数（万元）"]

    def write(path: Path) -> dict[str, bytes]:
        with excel_writer(path) as xl:
            write_table(xl, "表", frame, "测试标题", money=money, percent=["执行进度"], decimals=["复核分"],
                        total=True, sums=["整数"])
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}  # (times)

    fast = write(tmp_path / "fast.xlsx")
    with monkeypatch.context() as m:
        m.setattr(ColumnSheet, "write_column", lambda self, *a: False)  # every cell by xlsxwriter
        slow = write(tmp_path / "slow.xlsx")
    assert fast.keys() == slow.keys()
    for name in fast:
        assert fast[name] == slow[name], name
    assert b't="b"' in fast["xl/worksheets/sheet1.xml"] and b"s=" in fast["xl/worksheets/sheet1.xml"]
    assert wb.ColumnSheet is ColumnSheet


def test_text_longer_than_a_cell_is_cut_with_a_mark_and_a_note(tmp_path: Path) -> None:
    """Excel cuts nothing itself and xlsxwriter drops the rest silently: the cell ends with a mark
    saying how much was left out, and a note under the table counts the cut cells."""
    frame = pd.DataFrame({"项目": ["p1", "p2"], "说明": ["长" * 40_000, "短"],
                          "金额（万元）": pd.array([100, 200], dtype="Int64")})
    path = tmp_path / "t.xlsx"
    with excel_writer(path) as xl:
        written = write_table(xl, "表", frame, "测试标题", money=["金额（万元）"], total=True)
    assert written.cut == 1
    ws = load_workbook(path)["表"]
    cell = ws["B3"].value
    assert len(cell) == EXCEL_CELL_LIMIT and cell.startswith("长" * 100)
    kept = cell.index("…")
    assert cell.endswith(f"其后 {40_000 - kept} 字未写入）") and str(EXCEL_CELL_LIMIT) in cell[kept:]
    assert ws["B4"].value == "短"
    assert ws["A5"].value == "合计"
    notes = [ws.cell(r, 1).value for r in range(6, ws.max_row + 1)]
    assert notes[0].startswith(ROUNDING_NOTE)  # the 合计 note stays where it was, the cut note under it
    assert notes[1] == CUT_NOTE.format(n=1, limit=EXCEL_CELL_LIMIT)
    # a table of short texts has no such note (precision: the note is not written everywhere)
    short = tmp_path / "s.xlsx"
    with excel_writer(short) as xl:
        assert write_table(xl, "表", frame.assign(说明="短"), "测试标题").cut == 0
    assert not any("上限" in str(c.value) for row in load_workbook(short)["表"].iter_rows() for c in row)


def test_every_xlsx_writer_cuts_with_a_mark(tmp_path: Path) -> None:
    """The contract-table workbook (demo, templates) goes through the same helper as the report's."""
    from perfkit.io.write import fit_cell, fit_frame, write_tables_xlsx

    assert fit_cell("短") == "短" and fit_cell(12) == 12
    frame, cut = fit_frame(pd.DataFrame({"a": ["x" * 33_000, "y"], "b": [1, 2]}))
    assert cut == 1 and len(frame.loc[0, "a"]) == EXCEL_CELL_LIMIT and frame.loc[1, "a"] == "y"
    units = pd.DataFrame({"unit_id": ["U1"], "unit_name": ["单" * 33_000]})
    path = write_tables_xlsx({"units": units}, tmp_path / "u.xlsx")
    values = [c.value for row in load_workbook(path).worksheets[0].iter_rows(min_row=2) for c in row]
    long = next(v for v in values if isinstance(v, str) and v.startswith("单"))
    assert len(long) == EXCEL_CELL_LIMIT and long.endswith("字未写入）")
