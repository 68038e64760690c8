"""Header matching shared by every reader: which contract column a header names (forgiving spaces,
brackets, units and traditional forms), where the header row is (a title above it is skipped), the
column labels a sheet is read under, and :class:`RawTable` — one sheet or file as read, before
validation (:mod:`perfkit.io.validate`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from perfkit.io import values as V
from perfkit.io.contract import Column, Table, fold

_BRACKETED = re.compile(r"^(?P<name>.*?)[\(\[【](?P<unit>[^\)\]】]*)[\)\]】]$")
MONEY_UNITS = {"": V.FEN_PER_WAN, "万元": V.FEN_PER_WAN, "元": V.FEN_PER_YUAN, "亿元": V.FEN_PER_WAN * 10_000}


def split_header(raw: object) -> tuple[str, str]:
    """'全年预算数（万元）' → ('全年预算数', '万元'); spaces, invisible characters, full-width brackets and
    traditional forms (密級) forgiven."""
    text = fold(raw)
    match = _BRACKETED.match(text)
    if match:
        return match["name"], match["unit"]
    return text, ""


def match_headers(raw_headers: Iterable[object], table: Table
                  ) -> tuple[dict[object, Column], dict[str, str], dict[object, Column]]:
    """Map the file's headers to contract columns; also return the unit printed in each header, and the
    headers that name a column already found under another spelling (``涉密`` and ``是否涉密`` side by side):
    the first is read; a second 涉密 column is combined with it (涉密 if either says so), any other is
    reported as ignored."""
    lookup: dict[str, Column] = {}
    for col in table.columns:
        for name in (col.header, *col.aliases):
            lookup[name] = col
    mapping: dict[object, Column] = {}
    units: dict[str, str] = {}
    again: dict[object, Column] = {}
    for raw in raw_headers:
        name, unit = split_header(raw)
        col = lookup.get(name)
        if col is not None and col.name not in units:
            mapping[raw] = col
            units[col.name] = unit
        elif col is not None:
            again[raw] = col
    return mapping, units, again


HEADER_SCAN_ROWS = 10  # real exports put a title (and a blank row, a unit line) above the header


@dataclass
class RawTable:
    """One sheet or file as read: text-or-number cells under the header that was found, where that header
    is (its Excel row number; data row i is Excel row ``header_row + 1 + i``), and what the user should
    know about how it was read (a title row skipped, merged cells spread, …)."""

    frame: pd.DataFrame
    header_row: int = 1
    notes: list[str] = field(default_factory=list)
    above: list[list[object]] = field(default_factory=list)  # the rows above the header (titles, group labels)


def _filled(value: object) -> bool:
    return V.normalize_text(value) is not None


def _contract_names(table: Table | None) -> set[str]:
    if table is None:
        return set()
    return {split_header(n)[0] for c in table.columns for n in (c.header, *c.aliases)}


def find_header(rows: list[list[object]], table: Table | None) -> int:
    """The index of the header row: among the first non-blank rows, the one naming most of the table's
    contract headers (a title such as「2022年项目支出绩效自评表」or a unit line above it is skipped);
    the first non-blank row when none names any."""
    names = _contract_names(table)
    best, best_score, first, seen = None, 0, None, 0
    for i, row in enumerate(rows):
        cells = {split_header(v)[0] for v in row if _filled(v)}
        if not cells:
            continue
        first = i if first is None else first
        score = len(cells & names)
        if score > best_score:
            best, best_score = i, score
        seen += 1
        if seen >= HEADER_SCAN_ROWS:
            break
    return best if best is not None else (first or 0)


def header_labels(header: list[object], what: str) -> tuple[list[str], list[str]]:
    """Column labels from the header cells: as written (trimmed); a blank header is named by its column
    letter, a repeated one by its letter too — never pandas' "Unnamed: 3" or "项目编码.1"."""
    labels, notes, seen = [], [], {}
    for c, v in enumerate(header):
        text = (V.cell_text(v) or "").strip()
        if not text:
            labels.append(f"（{V.excel_column(c)}列无表头）")
            continue
        key = split_header(text)[0]
        if key in seen:
            notes.append(f"{what}：表头「{text}」出现不止一次（{V.excel_column(seen[key])}列、{V.excel_column(c)}列），"
                         f"只读取 {V.excel_column(seen[key])} 列，{V.excel_column(c)} 列已忽略")
            labels.append(f"{text}〔{V.excel_column(c)}列，重复〕")
            continue
        seen[key] = c
        labels.append(text)
    return labels, notes


def frame_from_rows(rows: list[list[object]], table: Table | None, what: str, first_row: int = 1) -> RawTable:
    """Rows of cells (``rows[0]`` is Excel row ``first_row``) → a raw table under the header found."""
    h = find_header(rows, table)
    header = list(rows[h]) if rows else []
    width = max((len(r) for r in rows), default=0)
    header += [None] * (width - len(header))
    labels, notes = header_labels(header, what)
    body = rows[h + 1:]
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in body] if body else None, columns=labels,
                         dtype=object)
    header_row = first_row + h
    if h and any(_filled(v) for r in rows[:h] for v in r):
        notes.append(f"{what}：表头在第 {header_row} 行，上方的标题行已跳过")
    return RawTable(frame, header_row, notes, [list(r) for r in rows[:h]])


def sheet_name(file: Path) -> str:
    """The table a file stands for: its name without extension, spaces dropped (「项目 .csv」 is 项目)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", file.stem))


# the monthly monitoring tables: read for the as-of month only when a month is given
MONTHLY_SHEETS = ("执行监控", "指标监控")
