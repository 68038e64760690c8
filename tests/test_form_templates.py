"""``perfkit template --forms`` writes the blank forms units fill in (项目支出绩效自评表, 项目支出绩效目标表 in
the national layout), and ``import-forms`` reads a filled copy back exactly (issue 23 §5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from perfkit.cli import main
from perfkit.io.forms import import_forms
from perfkit.io.load import load
from perfkit.io.templates import FRAME, ROWS_PER_LEVEL2, SELF_SHEET, TARGET_SHEET, write_form_templates

PROJECT = {"name": "职业技能提升培训", "code": "650102-2022-017", "dept": "区人力资源和社会保障局",
           "unit": "区就业服务中心", "year": 2022}
# (一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分, 偏差原因)
INDICATORS = [
    ("产出指标", "数量指标", "培训人次", "≥500人次", "520人次", 20, 20, ""),
    ("产出指标", "质量指标", "培训合格率", "≥95%", "97%", 15, 15, ""),
    ("产出指标", "时效指标", "完成时间", "2022年12月31日前", "2022年11月30日", 10, 10, ""),
    ("产出指标", "成本指标", "人均培训成本", "≤2400元", "2280元", 10, 10, ""),
    ("效益指标", "社会效益指标", "培训后就业率", "≥60%", "55%", 20, 18.33, "部分学员返乡"),
    ("满意度指标", "服务对象满意度指标", "学员满意度", "≥90%", "93%", 15, 15, ""),
]
MONEY = (100, 120, 118.5)  # 年初预算数, 全年预算数, 全年执行数 (万元)


def _rows_of(ws, top_label: str) -> dict[tuple[str, str], list[int]]:
    """{(一级, 二级): [rows]} of the printed indicator block (merged cells read from their first cell)."""
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "一级指标")
    rows: dict[tuple[str, str], list[int]] = {}
    level1 = level2 = None
    for r in range(top + 1, ws.max_row + 1):
        if ws.cell(r, 1).value == top_label:
            break
        level1 = ws.cell(r, 2).value or level1
        level2 = ws.cell(r, 3).value or level2
        rows.setdefault((level1, level2), []).append(r)
    return rows


def fill(path: Path) -> Path:
    """Fill both sheets as a unit would, in Excel: only the blank cells, nothing moved."""
    wb = load_workbook(path)
    for sheet in (SELF_SHEET, TARGET_SHEET):
        ws = wb[sheet]
        ws["A2"] = f"（{PROJECT['year']}年度）"
        ws["B3"] = PROJECT["name"]
        ws[("G3" if sheet == SELF_SHEET else "E3")] = PROJECT["code"]
        ws["B4"] = PROJECT["dept"]
        ws[("G4" if sheet == SELF_SHEET else "E4")] = PROJECT["unit"]
        free = _rows_of(ws, "总分")
        for l1, l2, l3, target, actual, w, score, why in INDICATORS:
            r = free[(l1, l2)].pop(0)
            ws.cell(r, 4, l3)
            ws.cell(r, 5, target)
            if sheet == SELF_SHEET:
                ws.cell(r, 6, actual)
                ws.cell(r, 7, w)
                ws.cell(r, 8, score)
                ws.cell(r, 9, why or None)
            else:
                ws.cell(r, 6, w)
    ws = wb[SELF_SHEET]
    ws["C6"], ws["D6"], ws["E6"] = MONEY
    ws["G6"], ws["H6"] = "98.75%", 9.88
    total_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "总分")
    ws.cell(total_row, 8, 96.21)
    ws["B11"], ws["F11"] = "完成 500 人次培训", "完成 520 人次培训"
    wt = wb[TARGET_SHEET]
    wt["C5"] = MONEY[0]
    wt["B8"] = "完成 500 人次培训"
    wb.save(path)
    return path


def test_blank_forms_are_in_the_national_layout(tmp_path: Path) -> None:
    path = write_form_templates(tmp_path / "blank.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [SELF_SHEET, TARGET_SHEET, "填表说明"]
    ws = wb[SELF_SHEET]
    heads = [c.value for c in ws[12]]
    assert heads[:9] == ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                         "偏差原因分析及改进措施"]
    assert [ws.cell(5, c).value for c in range(3, 9)] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert sum(len(level2s) for _, level2s in FRAME) * ROWS_PER_LEVEL2 == len(
        [r for rows in _rows_of(ws, "总分").values() for r in rows])
    blank = import_forms(tmp_path)  # an unfilled copy is skipped, not imported as a project
    assert not blank.tables and set(blank.report["结果"]) == {"跳过"}


def test_filled_forms_are_read_back_exactly(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill(write_form_templates(inbox / "职业技能提升培训.xlsx"))
    result = import_forms(inbox)
    t = result.tables
    status = result.report[result.report["结果"] != "注意"].set_index("工作表")["结果"]
    assert status.to_dict() == {SELF_SHEET: "已导入", TARGET_SHEET: "已导入", "填表说明": "跳过"}
    p = t["projects"].iloc[0]
    assert len(t["projects"]) == 1  # both sheets are one project
    assert (p["project_id"], p["project_name"], p["year"]) == (PROJECT["code"], PROJECT["name"], PROJECT["year"])
    assert [p["budget_initial"], p["budget"], p["spent"]] == [int(x * 1_000_000) for x in MONEY]
    u = t["units"].iloc[0]
    assert (u["unit_name"], u["department"], p["unit_id"]) == (PROJECT["unit"], PROJECT["dept"], u["unit_id"])
    se = t["self_eval"]
    want = pd.DataFrame(INDICATORS, columns=["level1", "level2", "indicator", "target_text", "actual_text", "weight",
                                             "unit_score", "deviation_reason"])
    got = se[want.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    tg = t["targets"][["level1", "level2", "indicator", "target_text", "weight"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(tg, want[["level1", "level2", "indicator", "target_text", "weight"]], check_dtype=False)
    s = t["self_summary"].iloc[0]
    assert (s["exec_weight"], s["unit_exec_score"], s["unit_total"]) == (10, 9.88, 96.21)
    notes = result.report.loc[result.report["结果"] == "注意", "说明"]
    assert notes.str.contains("完成 520 人次培训").any()  # the goal texts are named, not dropped


@pytest.mark.parametrize("as_folder", [True, False])
def test_round_trip_through_the_command_line_validates(tmp_path: Path, as_folder: bool, capsys) -> None:
    assert main(["template", "--forms", "--out", str(tmp_path / "inbox" / "a.xlsx")]) == 0
    fill(tmp_path / "inbox" / "a.xlsx")
    out = tmp_path / ("out" if as_folder else "out.xlsx")
    assert main(["import-forms", str(tmp_path / "inbox"), "--out", str(out)]) == 0
    ds = load(out)
    assert ds.quarantine.empty and len(ds.tables["self_eval"]) == len(INDICATORS)
    assert len(ds.tables["targets"]) == len(INDICATORS)


def test_template_refuses_a_path_that_is_not_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "d.xlsx").mkdir()
    assert main(["template", "--forms", "--out", str(tmp_path / "d.xlsx")]) == 2
    assert "不是普通文件" in capsys.readouterr().err


def test_percentages_typed_into_number_cells_read_as_typed(tmp_path: Path) -> None:
    """Excel turns 97% typed into a general cell into 0.97 shown as a percentage: read back as 97%."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = fill(write_form_templates(inbox / "a.xlsx"))
    wb = load_workbook(path)
    ws = wb[SELF_SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "培训合格率")
    ws.cell(row, 6).value, ws.cell(row, 6).number_format = 0.97, "0%"
    ws["G6"].value, ws["G6"].number_format = 0.9875, "0.00%"
    wb.save(path)
    result = import_forms(inbox)
    se = result.tables["self_eval"].set_index("indicator")
    assert se.loc["培训合格率", "actual_text"] == "97%"
    assert not result.report["说明"].str.contains("执行率 ").any()  # 98.75% agrees with 118.5 ÷ 120
