"""Blank Excel templates: every contract sheet with its Chinese headers, a fill-in hint on each header
(a cell comment, so a filled-in template loads without edits) and drop-down lists for enumerated
columns (支出类别, 监控分类, 是/否, 一级指标, …)."""

from __future__ import annotations

from pathlib import Path

from perfkit.io.base import InputError
from perfkit.io.contract import TABLES
from perfkit.io.write import atomic_path, excel_writer

VALIDATION_ROWS = 5000  # rows that carry the drop-down lists


def write_template(path: Path) -> Path:
    """Write the blank workbook; returns its path. Only a regular file (or a new path) is replaced: a
    folder, a device node, a pipe or a link to one is refused — the swap would replace it, as root too."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise InputError(f"--out {path} 不是普通文件（是文件夹、设备、管道或失效的快捷方式），不能用模板替换它；"
                             "请另选一个 .xlsx 文件名")
        if path.is_symlink():
            raise InputError(f"--out {path} 是指向其他位置的快捷方式（符号链接），不会替换它；请另选一个 .xlsx 文件名")
    with atomic_path(path) as tmp, excel_writer(tmp) as xl:
        book = xl.book
        head = book.add_format({"bold": True, "bg_color": "#F1E6E6", "border": 1, "text_wrap": True,
                                "valign": "vcenter"})
        guide = book.add_worksheet("填表说明")
        guide.write_row(0, 0, ["工作表", "列", "类型", "必填", "填写说明", "可选值"], head)
        row = 1
        for table in TABLES:
            ws = book.add_worksheet(table.sheet)
            ws.freeze_panes(1, 0)
            for c, col in enumerate(table.columns):
                ws.write_string(0, c, col.header, head)
                ws.set_column(c, c, max(12, len(col.header) * 2.4))
                ws.write_comment(0, c, col.hint or col.header, {"x_scale": 2.2, "y_scale": 1.2})
                choices = list(col.choices) if col.kind == "enum" else ["是", "否"] if col.kind == "bool" else []
                if choices:
                    ws.data_validation(1, c, VALIDATION_ROWS, c, {
                        "validate": "list", "source": choices, "error_type": "warning",
                        "error_message": "请从下拉列表中选择：" + "、".join(choices)})
                elif col.kind in ("number", "money", "int"):
                    ws.data_validation(1, c, VALIDATION_ROWS, c, {
                        "validate": "decimal", "criteria": ">=", "value": col.minimum or 0,
                        "error_type": "warning", "error_message": "请填写数字"})
                kind = {"money": "金额（万元）", "number": "数字", "int": "整数", "bool": "是/否",
                        "enum": "下拉选择", "text": "文本", "percent": "百分比"}[col.kind]
                guide.write_row(row, 0, [table.sheet, col.header, kind, "是" if col.required else "",
                                         col.hint, "、".join(choices)])
                row += 1
        guide.set_column(0, 1, 16)
        guide.set_column(2, 3, 10)
        guide.set_column(4, 5, 50)
    return path


# ------------------------------------------------------------------------------------------ blank forms

# the national indicator frame (财预〔2020〕10号 附件 1–2): level 1 → its level-2 rows, printed on the blank forms
FRAME: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("产出指标", ("数量指标", "质量指标", "时效指标", "成本指标")),
    ("效益指标", ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")),
    ("满意度指标", ("服务对象满意度指标",)),
)
ROWS_PER_LEVEL2 = 2  # blank 三级指标 rows under each level-2 heading
SELF_SHEET, TARGET_SHEET, GUIDE_SHEET = "项目支出绩效自评表", "项目支出绩效目标表", "填表说明"
SELF_HEADERS = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")
TARGET_HEADERS = ("一级指标", "二级指标", "三级指标", "指标值", "分值")
GUIDE = (
    "1. 每个项目填一个工作簿（或复制本表为多个工作表，每表一个项目）；不要改动表头文字和合并单元格。",
    "2. 「项目支出绩效目标表」在预算编制时填写；「项目支出绩效自评表」在年度结束后填写，两表的项目名称、项目编码应一致。",
    "3. 金额单位为万元；如按元填写，请把「项目资金（万元）」改为「项目资金（元）」。",
    "4. 指标值写成 ≥95%、≤30万元、=100%、2022年12月31日前 等；定性指标写文字（如 效果明显）。",
    "5. 预算执行率分值一般为 10 分，绩效指标分值合计 90 分，总分 100 分。",
    "6. 三级指标行不够时可在同一二级指标下插入行；不用的空行可留空。",
)


def _form_formats(book) -> dict:
    base = {"border": 1, "valign": "vcenter", "text_wrap": True, "font_name": "宋体", "font_size": 10}
    return {"title": book.add_format({"bold": True, "font_size": 16, "align": "center", "font_name": "黑体"}),
            "sub": book.add_format({"align": "center", "font_name": "宋体"}),
            "head": book.add_format({**base, "bold": True, "align": "center", "bg_color": "#F2F2F2"}),
            "cell": book.add_format(base), "center": book.add_format({**base, "align": "center"}),
            # 指标值 / 实际完成值 cells keep what is typed (97% stays 97%, not 0.97; 1-6 stays 1-6)
            "text": book.add_format({**base, "num_format": "@"})}


def _indicator_block(ws, f: dict, top: int, headers: tuple[str, ...], total: list[object] | None) -> int:
    ws.write(top, 0, "绩效指标", f["head"])
    for c, h in enumerate(headers, start=1):
        ws.write_string(top, c, h, f["head"])
    r = top + 1
    for level1, level2s in FRAME:
        start1 = r
        for level2 in level2s:
            start2 = r
            for _ in range(ROWS_PER_LEVEL2):
                for c in range(3, len(headers) + 1):
                    text = headers[c - 1] in ("三级指标", "年度指标值", "指标值", "实际完成值", "偏差原因分析及改进措施")
                    ws.write_blank(r, c, None, f["text"] if text else f["cell"])
                r += 1
            ws.merge_range(start2, 2, r - 1, 2, level2, f["center"])
        ws.merge_range(start1, 1, r - 1, 1, level1, f["center"])
    ws.merge_range(top, 0, r - 1, 0, "绩效指标", f["head"])
    if total is not None:
        ws.merge_range(r, 0, r, 3, "总分", f["head"])
        for c, v in enumerate(total, start=4):
            ws.write(r, c, v, f["center"])
        r += 1
    return r


def _form_head(ws, f: dict, title: str, last: int, middle: int, tail_width: float) -> None:
    """The head every national form shares: its title over columns 0…``last``, the year line, and the
    label | value pairs 项目名称 | 项目编码 and 主管部门 | 实施单位, the right label in column ``middle``."""
    ws.set_column(0, 0, 8)
    ws.set_column(1, 3, 14)
    ws.set_column(4, last, tail_width)
    ws.merge_range(0, 0, 0, last, title, f["title"])
    ws.merge_range(1, 0, 1, last, "（    年度）", f["sub"])
    for r, (left, right) in enumerate((("项目名称", "项目编码"), ("主管部门", "实施单位")), start=2):
        ws.write(r, 0, left, f["head"])
        ws.merge_range(r, 1, r, middle - 1, None, f["cell"])
        ws.write(r, middle, right, f["head"])
        ws.merge_range(r, middle + 1, r, last, None, f["cell"])


def write_form_templates(path: Path) -> Path:
    """The blank forms units fill in, in the national layout: 项目支出绩效自评表 (财预〔2020〕10号 附件2) and
    项目支出绩效目标表, one sheet each, plus 填表说明. ``perfkit import-forms`` reads them back as filled."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise InputError(f"--out {path} 不是普通文件（文件夹、管道或设备），不会覆盖；请另选输出文件名")
    with atomic_path(path) as tmp, excel_writer(tmp) as xl:
        book = xl.book
        f = _form_formats(book)

        ws = book.add_worksheet(SELF_SHEET)
        _form_head(ws, f, SELF_SHEET, last=8, middle=5, tail_width=13)
        ws.merge_range(4, 0, 8, 0, "项目资金（万元）", f["head"])
        for c, h in enumerate(("", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=1):
            ws.write(4, c, h or None, f["head"])
        ws.write(4, 8, None, f["head"])
        for r, label in enumerate(("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"), start=5):
            ws.write(r, 1, label, f["cell"])
            for c in range(2, 9):
                ws.write_blank(r, c, None, f["cell"])
            if r == 5:
                ws.write_number(r, 5, 10, f["center"])
            else:
                ws.write(r, 5, "—", f["center"])
                ws.write(r, 7, "—", f["center"])
        ws.merge_range(9, 0, 10, 0, "年度总体目标", f["head"])
        ws.merge_range(9, 1, 9, 4, "预期目标", f["head"])
        ws.merge_range(9, 5, 9, 8, "实际完成情况", f["head"])
        ws.merge_range(10, 1, 10, 4, None, f["cell"])
        ws.merge_range(10, 5, 10, 8, None, f["cell"])
        _indicator_block(ws, f, 11, SELF_HEADERS, [None, None, 100, None, None])

        ws = book.add_worksheet(TARGET_SHEET)
        _form_head(ws, f, TARGET_SHEET, last=5, middle=3, tail_width=16)
        ws.merge_range(4, 0, 6, 0, "项目资金（万元）", f["head"])
        for r, label in enumerate(("年度资金总额", "其中：财政拨款", "其他资金"), start=4):
            ws.write(r, 1, label, f["cell"])
            ws.merge_range(r, 2, r, 5, None, f["cell"])
        ws.write(7, 0, "年度总体目标", f["head"])
        ws.merge_range(7, 1, 7, 5, None, f["cell"])
        _indicator_block(ws, f, 8, TARGET_HEADERS, None)

        ws = book.add_worksheet(GUIDE_SHEET)
        ws.set_column(0, 0, 100)
        for r, line in enumerate(GUIDE):
            ws.write_string(r, 0, line)
    return path
