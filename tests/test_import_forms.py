"""Importing published 项目支出绩效自评表 workbooks in the variants seen on real forms, and broken files
(issue: workbench §2, §4). The workbooks are built here with openpyxl, merged cells included."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from perfkit.cli import main
from perfkit.io.forms import import_forms
from perfkit.io.load import load

INDICATORS = [  # 一级, 二级, 三级, 指标性质, 指标值, 单位, 实际, 分值, 得分, 偏差原因
    ("产出指标", "数量指标", "培训人次", "≥", "500", "人次", "520人次", 20, 20, ""),
    ("产出指标", "质量指标", "验收合格率", "≥", "95", "%", "97%", 15, 15, ""),
    ("产出指标", "时效指标", "完成时间", "", "2022年12月31日前", "", "2022年11月30日", 15, 15, ""),
    ("效益指标", "社会效益指标", "群众知晓率", "≥", "90", "%", "85%", 30, 28.33, "宣传不足"),
    ("满意度指标", "服务对象满意度指标", "满意度", "≥", "90", "%", "93%", 10, 10, ""),
]


def make_form(ws, variant: str = "standard", name: str = "职业技能培训", money: tuple = (100, 120, 118.5)) -> None:
    rows = list(INDICATORS)
    exec_weight = "20分×执行率" if variant == "exec20" else 10
    if variant == "exec20":
        rows = [r[:7] + (r[7] * 8 // 9, r[8], r[9]) for r in rows]
    if variant == "sub_rows":
        rows.insert(1, ("产出指标", "数量指标", "其中：线上培训人次", "≥", "200", "人次", "210人次", 0, 0, ""))
    ws.merge_cells("A1:J1")
    ws["A1"] = "项目支出绩效自评表"
    ws.merge_cells("A2:J2")
    ws["A2"] = "（2022年度）"
    ws.merge_cells("A3:B3")
    ws["A3"], ws["C3"] = "项目名称", name
    ws.merge_cells("C3:J3")
    ws["A4"], ws["C4"], ws["F4"], ws["G4"] = "主管部门", "人力资源和社会保障局", "实施单位", "就业服务中心"
    ws.merge_cells("A5:B7")
    ws["A5"] = "项目资金（元）" if variant == "yuan" else "项目资金（万元）"
    for col, h in zip("DEFGHI", ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], strict=True):
        ws[f"{col}5"] = h
    factor = 10000 if variant == "yuan" else 1
    ws["C6"] = "年度资金总额"
    ws["D6"], ws["E6"], ws["F6"] = money[0] * factor, money[1] * factor, money[2] * factor
    ws["G6"], ws["H6"], ws["I6"] = exec_weight, "98.75%", 9.88 if variant != "exec20" else 19.75
    ws["C7"] = "其中：当年财政拨款"
    ws.merge_cells("A8:A9")
    ws["A8"], ws["B8"], ws["F8"] = "年度总体目标", "预期目标", "实际完成情况"
    ws["B9"], ws["F9"] = "完成培训任务", "已完成"
    headers = {
        "standard": ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        "score_first": ["一级指标", "二级指标", "三级指标", "分值", "年度指标值", "实际完成值", "得分", "偏差原因分析及改进措施"],
        "split": ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值", "得分",
                  "偏差原因分析及改进措施"],
        "no_weight": ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "得分", "偏差原因分析及改进措施"],
    }.get(variant, ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"])
    top = 10
    ws.cell(top, 1, "绩效指标")
    for c, h in enumerate(headers, start=2):
        ws.cell(top, c, h)
    r = top + 1
    first_of_level1: dict[str, int] = {}
    for l1, l2, l3, cmp, val, unit, actual, w, score, why in rows:
        values = {"一级指标": l1 if l1 not in first_of_level1 else None, "二级指标": l2, "三级指标": l3,
                  "年度指标值": f"{cmp}{val}{unit}", "指标性质": cmp, "指标值": val, "度量单位": unit,
                  "实际完成值": actual, "分值": w, "得分": score, "偏差原因分析及改进措施": why}
        first_of_level1.setdefault(l1, r)
        for c, h in enumerate(headers, start=2):
            ws.cell(r, c, values[h])
        r += 1
    for l1, start in first_of_level1.items():  # 一级指标 merged vertically
        end = start + sum(1 for x in rows if x[0] == l1) - 1
        if end > start:
            ws.merge_cells(start_row=start, start_column=2, end_row=end, end_column=2)
    ws.merge_cells(start_row=top, start_column=1, end_row=r - 1, end_column=1)
    ws.cell(r, 1, "总分")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
    score_col = 2 + headers.index("得分")
    ws.cell(r, score_col, 97.21)
    if variant != "no_weight":
        ws.cell(r, 2 + headers.index("分值"), 100)
    if variant in ("grade", "standard"):
        ws.cell(r, score_col + 1, "优")


VARIANTS = ["standard", "score_first", "split", "exec20", "no_weight", "sub_rows", "yuan", "grade"]


def save_as_xls(wb: Workbook, path: Path) -> Path:
    """The same workbook in the old .xls format (values and merged cells), via xlwt."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for ws in wb.worksheets:
        sheet = book.add_sheet(ws.title[:31])
        merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}
        inside = {(row, col) for r in ws.merged_cells.ranges for row in range(r.min_row, r.max_row + 1)
                  for col in range(r.min_col, r.max_col + 1)}
        for row in ws.iter_rows():
            for c in row:
                key = (c.row, c.column)
                if key in merged:
                    r = merged[key]
                    sheet.write_merge(r.min_row - 1, r.max_row - 1, r.min_col - 1, r.max_col - 1, c.value)
                elif key not in inside and c.value is not None:
                    sheet.write(c.row - 1, c.column - 1, c.value)
    book.save(str(path))
    return path


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
    for v in VARIANTS:
        wb = Workbook()
        make_form(wb.active, v, name=f"培训项目-{v}")
        wb.save(folder / f"{v}.xlsx")
    wb = Workbook()  # one file, one project per sheet
    make_form(wb.active, "standard", name="多表项目甲")
    make_form(wb.create_sheet("第二个项目"), "split", name="多表项目乙")
    wb.save(folder / "two_sheets.xlsx")
    wb = Workbook()  # the old .xls format, as many units still send
    make_form(wb.active, "split", name="旧格式项目")
    save_as_xls(wb, folder / "old_format.xls")
    # broken files
    good = (folder / "standard.xlsx").read_bytes()
    (folder / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    (folder / "password.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    (folder / "empty.xlsx").write_bytes(b"")
    wb = Workbook()
    wb.active["A1"] = "项目名称"
    wb.active["B1"] = "没有指标表的项目"
    wb.save(folder / "no_table.xlsx")
    return folder


@pytest.fixture(scope="module")
def imported(forms):
    return import_forms(forms)


def _project(imported, name: str) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    p = imported.tables["projects"].set_index("project_name").loc[name]
    se = imported.tables["self_eval"]
    rows = se[se["project_id"] == p["project_id"]]
    s = imported.tables["self_summary"].set_index("project_id").loc[p["project_id"]]
    return p, rows, s


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant(imported, variant: str) -> None:
    p, rows, s = _project(imported, f"培训项目-{variant}")
    assert p["budget"] == 120 * 1_000_000 and p["spent"] == 118_500_000  # 元 converted to 万元 → 分
    assert p["year"] == 2022
    expected = len(INDICATORS) + (1 if variant == "sub_rows" else 0)
    assert len(rows) == expected
    assert rows["level1"].tolist()[:2] == ["产出指标", "产出指标"]  # merged cells filled down
    assert rows["target_text"].iloc[0] == "≥500人次"
    assert rows["actual_text"].iloc[0] == "520人次"
    if variant == "no_weight":
        assert rows["weight"].isna().all()
    elif variant == "exec20":
        assert s["exec_weight"] == 20
    else:
        assert rows["weight"].iloc[0] == 20 and s["exec_weight"] == 10
    assert s["unit_total"] == 97.21
    if variant in ("grade", "standard"):
        assert s["unit_grade"] == "优"


def test_one_project_per_sheet(imported) -> None:
    names = set(imported.tables["projects"]["project_name"])
    assert {"多表项目甲", "多表项目乙"} <= names


def test_xls_form(imported) -> None:
    p, rows, s = _project(imported, "旧格式项目")
    assert p["budget"] == 120 * 1_000_000 and len(rows) == len(INDICATORS)
    assert rows["target_text"].iloc[0] == "≥500人次" and rows["level1"].iloc[1] == "产出指标"
    assert s["unit_total"] == 97.21


def test_broken_files_are_reported_and_the_batch_goes_on(imported) -> None:
    report = imported.report[imported.report["结果"] != "注意"].set_index("文件")
    assert report.loc["truncated.xlsx", "结果"] == "未导入" and "损坏" in report.loc["truncated.xlsx", "说明"]
    assert "密码" in report.loc["password.xlsx", "说明"]
    assert "空" in report.loc["empty.xlsx", "说明"]
    assert "指标表" in report.loc["no_table.xlsx", "说明"]
    assert (imported.report["结果"] == "已导入").sum() == len(VARIANTS) + 3


def test_cli_writes_contract_tables_that_load_and_score(forms, tmp_path, capsys) -> None:
    out = tmp_path / "imported.xlsx"
    assert main(["import-forms", str(forms), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "未导入" in printed and "password.xlsx" in printed
    ds = load(out)
    assert ds.quarantine.empty
    from perfkit.api import score

    written = score(out, tmp_path / "scored")
    proj = pd.read_csv(written["projects"], encoding="utf-8-sig")
    assert proj["总分"].notna().sum() >= len(VARIANTS)
    assert (tmp_path / "imported_导入报告.csv").exists()


# ------------------------------------------------------------------------ nothing vanishes (issue 12 §2, §3)


def _form(path: Path, name: str = "职业技能培训", code: str | None = None, money: tuple = (100, 120, 118.5)) -> Path:
    wb = Workbook()
    make_form(wb.active, "standard", name=name, money=money)
    if code is not None:
        wb.active["H4"], wb.active["I4"] = "项目编码", code
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_duplicate_project_code_across_forms_is_reported_never_merged(tmp_path: Path) -> None:
    _form(tmp_path / "f" / "a.xlsx", "项目甲", code="X001")
    _form(tmp_path / "f" / "b.xlsx", "项目乙", code="X001")
    result = import_forms(tmp_path / "f")
    rows = result.tables["self_eval"]
    assert len(rows) == len(INDICATORS) and rows["weight"].sum() == sum(r[7] for r in INDICATORS)
    assert result.tables["projects"]["project_name"].tolist() == ["项目甲"]
    second = result.report[result.report["结果"] != "注意"].set_index("文件").loc["b.xlsx"]
    assert second["结果"] == "未导入" and "X001" in second["说明"] and "a.xlsx" in second["说明"]


@pytest.mark.parametrize(("money", "expected"), [
    (("一百万", "一百二十万", "壹佰壹拾捌万伍仟元整"), (100, 120, 118.5)),   # words with their own unit → 元 → 万元
    (("一百", "一百二十", "一百一十八点五"), (100, 120, 118.5)),              # bare words in the form's 万元
    (("100万元", "120万元", "1185000元"), (100, 120, 118.5)),
])
def test_money_written_in_words_is_read(tmp_path: Path, money: tuple, expected: tuple) -> None:
    _form(tmp_path / "f" / "a.xlsx", money=money)
    result = import_forms(tmp_path / "f")
    p = result.tables["projects"].iloc[0]
    assert [p["budget_initial"], p["budget"], p["spent"]] == [round(x * 1_000_000) for x in expected]
    notes = result.report.loc[result.report["结果"] == "注意", "说明"]
    assert not notes.str.contains("金额|预算数|执行数").any()  # the other notes name the 年度总体目标 texts


def test_unreadable_money_is_reported_not_silently_blank(tmp_path: Path) -> None:
    _form(tmp_path / "f" / "a.xlsx", money=(100, "见附件", 118.5))
    result = import_forms(tmp_path / "f")
    assert pd.isna(result.tables["projects"]["budget"].iloc[0])
    notes = result.report[(result.report["结果"] == "注意") & result.report["说明"].str.contains("见附件")]
    assert len(notes) == 1 and "全年预算数" in notes["说明"].iloc[0]


def test_text_is_kept_as_written_apart_from_trimming(tmp_path: Path) -> None:
    _form(tmp_path / "f" / "a.xlsx", name="  职业技能  培训 项目 ")
    result = import_forms(tmp_path / "f")
    assert result.tables["projects"]["project_name"].tolist() == ["职业技能  培训 项目"]


def test_missing_folder_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    assert main(["import-forms", str(tmp_path / "nope"), "--out", str(tmp_path / "o.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "找不到" in err


@pytest.mark.parametrize("kind", ["directory", "dangling", "loop"])
def test_odd_entries_named_xlsx_are_reported_and_the_batch_goes_on(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "f"
    _form(folder / "good.xlsx")
    odd = folder / "odd.xlsx"
    if kind == "directory":
        odd.mkdir()
    elif kind == "dangling":
        odd.symlink_to(folder / "missing.xlsx")
    else:
        odd.symlink_to(folder / "odd2.xlsx")
        (folder / "odd2.xlsx").symlink_to(odd)
    result = import_forms(folder)
    report = result.report[result.report["结果"] != "注意"].set_index("文件")
    assert report.loc["good.xlsx", "结果"] == "已导入"
    assert report.loc["odd.xlsx", "结果"] == "未导入"
    assert {"directory": "文件夹", "dangling": "不存在", "loop": "循环"}[kind] in report.loc["odd.xlsx", "说明"]


def test_form_declaring_a_huge_sheet_is_reported_not_read(tmp_path: Path) -> None:
    import re
    import zipfile

    good = _form(tmp_path / "src" / "a.xlsx")
    folder = tmp_path / "f"
    folder.mkdir()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(folder / "far.xlsx", "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', data)
            dst.writestr(item, data)
    _form(folder / "good.xlsx")
    report = import_forms(folder).report
    report = report[report["结果"] != "注意"].set_index("文件")
    assert report.loc["good.xlsx", "结果"] == "已导入"
    assert report.loc["far.xlsx", "结果"] == "未导入" and "XFD1048576" in report.loc["far.xlsx", "说明"]
