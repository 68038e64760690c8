"""The CSV reader: a contract table saved as CSV (UTF-8 with or without BOM, or GBK/GB18030 as Chinese
Excel saves it) → a :class:`~perfkit.io.headers.RawTable` with the row numbers Excel shows."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from perfkit.io.base import InputError
from perfkit.io.contract import Table
from perfkit.io.headers import HEADER_SCAN_ROWS, RawTable, find_header, header_labels


def _csv_error(exc: BaseException, header_row: int) -> str:
    """pandas' CSV parser message, in the user's terms."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if m:
        expected, line, saw = (int(g) for g in m.groups())
        return f"第 {line + header_row - 1} 行有 {saw} 个字段，表头只有 {expected} 个（多了逗号，或文本中的逗号没有加引号）"
    if "EOF inside string" in str(exc) or "EOF" in str(exc):
        return "引号没有配对（某个单元格以 \" 开头却没有结束）"
    return "格式不是有效的 CSV"


def read_csv(path: Path, table: Table | None = None) -> RawTable:
    """CSV as text; UTF-8 (with or without BOM) first, then GBK/GB18030 as Chinese Excel saves it. The
    header is found among the first lines (a title line above it is skipped) and blank lines keep their
    place, so row numbers are the ones Excel shows when it opens the file."""
    import csv

    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with open(path, encoding=encoding, newline="") as f:
                head = []
                for row in csv.reader(f):
                    head.append(row)
                    if len(head) >= 4 * HEADER_SCAN_ROWS:
                        break
        except UnicodeDecodeError:
            continue
        except csv.Error:
            head = []
        h = find_header(head, table) if head else 0
        try:
            frame = pd.read_csv(path, header=None, skiprows=h, dtype=str, keep_default_na=False, na_values=[],
                                skip_blank_lines=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError as exc:
            raise InputError(f"{path.name}：文件是空的，没有表头也没有数据") from exc
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(f"{path.name}：无法按 CSV 读取：{_csv_error(exc, h + 1)}") from exc
        header = frame.iloc[0].tolist() if len(frame) else []
        labels, notes = header_labels(header, path.name)
        frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = labels
        if h:
            notes.append(f"{path.name}：表头在第 {h + 1} 行，上方的标题行已跳过")
        return RawTable(frame, h + 1, notes, [list(r) for r in head[:h]])
    raise InputError(f"{path.name}：编码既不是 UTF-8 也不是 GBK，无法读取")
