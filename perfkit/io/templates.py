"""Blank Excel templates: every contract sheet with its Chinese headers, a fill-in hint on each header
(a cell comment, so a filled-in template loads without edits) and drop-down lists for enumerated
columns (支出类别, 监控分类, 是/否, 一级指标, …)."""

from __future__ import annotations

from pathlib import Path

from perfkit.io.contract import TABLES
from perfkit.io.write import atomic_path, excel_writer

VALIDATION_ROWS = 5000  # rows that carry the drop-down lists


def write_template(path: Path) -> Path:
    """Write the blank workbook; returns its path."""
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
