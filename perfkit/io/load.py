"""Loading the contract tables from one workbook or one folder, with pandera validation and quarantine.

The promise to users: forgiving headers, money in 万元 unless the header says 元,
valid rows load, invalid rows are quarantined with file / sheet / Excel row / column / what was
expected / what was found, and the counts always reconcile: rows read = rows loaded + rows quarantined.
A file that cannot be read at all raises :class:`InputError` with one line a finance analyst understands.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa_
import pyarrow.compute as pc_

from perfkit.io import values as V
from perfkit.io.base import SNAPSHOT_MARK, InputError, MissingTableError
from perfkit.io.contract import BY_SHEET, TABLES, Column, Table, classified_flag, fold
from perfkit.io.secrecy import Secrecy, SecrecyRefused, apply, flag_kind, screen_table, secret_list

if TYPE_CHECKING:  # imported where raw input is validated: a snapshot's reader (each report kernel) never needs it
    import pandera.pandas as pa

QUARANTINE_COLUMNS = ["文件", "工作表", "行", "列", "期望", "实际", "说明"]
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
FOLDER_SUFFIXES = (".csv", ".parquet")
NOT_READ = "不是 .csv 或 .parquet 文件，未读取"  # in the note on a table file a folder holds in another format


@dataclass
class TableRecord:
    """What loading one table left besides the table: notes, its row counts, its quarantined rows."""

    notes: list[str]
    count: dict[str, object]
    quarantine: pd.DataFrame


@dataclass
class Dataset:
    """The contract tables as loaded (internal column names), with what was quarantined and why."""

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    # per table loaded, in load order: its notes, its count row and its quarantined rows — so that two
    # loads of different tables of one source (perfkit score on two cores) combine into one as if loaded once
    records: dict[str, TableRecord] = field(default_factory=dict)
    # sheets the source has that this load left out (``only=``): what a command did not read, to say so
    unread: list[str] = field(default_factory=list)
    # the 涉密 decision over this input (perfkit.io.secrecy): what every command that writes names asks
    secrecy: Secrecy | None = None

    def has(self, name: str) -> bool:
        return name in self.tables

    def table(self, name: str) -> pd.DataFrame:
        """The table, or a one-line :class:`MissingTableError` naming the sheet the step needs."""
        if name not in self.tables:
            sheet = next(t.sheet for t in TABLES if t.name == name)
            raise MissingTableError(f"{self.source} 中没有「{sheet}」表（工作表或 {sheet}.csv），这一步需要它")
        return self.tables[name]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def provenance(self) -> dict[str, object]:
        """Where the figures come from, for a report to say: the source's file name, the number of
        tables, and rows read = rows loaded + rows set aside by validation (over all tables)."""
        c = self.counts
        total = {col: int(c[col].sum()) if len(c) else 0 for col in ("读入", "载入", "隔离")}
        return {"source": Path(str(self.source)).name, "tables": len(c), "read": total["读入"],
                "loaded": total["载入"], "quarantined": total["隔离"]}


# ---------------------------------------------------------------------------------------------- headers

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


# ---------------------------------------------------------------------------------------------- reading

HEADER_SCAN_ROWS = 10  # real exports put a title (and a blank row, a unit line) above the header
# A sheet whose declared used range is larger than this is not read: the Excel reader allocates the whole
# rectangle (a stray value in XFD1048576 asks for 17 billion cells, hundreds of GB). 1M rows × 50 columns
# of real data stays below it.
MAX_SHEET_CELLS = 60_000_000


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


def _labels(header: list[object], what: str) -> tuple[list[str], list[str]]:
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
    labels, notes = _labels(header, what)
    body = rows[h + 1:]
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in body] if body else None, columns=labels,
                         dtype=object)
    header_row = first_row + h
    if h and any(_filled(v) for r in rows[:h] for v in r):
        notes.append(f"{what}：表头在第 {header_row} 行，上方的标题行已跳过")
    return RawTable(frame, header_row, notes, [list(r) for r in rows[:h]])


def _csv_error(exc: BaseException, header_row: int) -> str:
    """pandas' CSV parser message, in the user's terms."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if m:
        expected, line, saw = (int(g) for g in m.groups())
        return f"第 {line + header_row - 1} 行有 {saw} 个字段，表头只有 {expected} 个（多了逗号，或文本中的逗号没有加引号）"
    if "EOF inside string" in str(exc) or "EOF" in str(exc):
        return "引号没有配对（某个单元格以 \" 开头却没有结束）"
    return "格式不是有效的 CSV"


def _read_csv(path: Path, table: Table | None = None) -> RawTable:
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
        labels, notes = _labels(header, path.name)
        frame = frame.iloc[1:].reset_index(drop=True)
        frame.columns = labels
        if h:
            notes.append(f"{path.name}：表头在第 {h + 1} 行，上方的标题行已跳过")
        return RawTable(frame, h + 1, notes, [list(r) for r in head[:h]])
    raise InputError(f"{path.name}：编码既不是 UTF-8 也不是 GBK，无法读取")


_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')
_DIMENSION = re.compile(r'<dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _sheet_members(z: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name as written: zip member of its XML} from the workbook's relationships."""
    names = set(z.namelist())
    if "xl/workbook.xml" not in names:
        return {}
    book = z.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace") if "xl/_rels/workbook.xml.rels" in names \
        else ""
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet\b[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', book):
        member = "xl/" + targets.get(rid, "").lstrip("/").removeprefix("xl/")
        if member in names:
            out[html.unescape(name)] = member
    return out


def check_dimension(z: zipfile.ZipFile, member: str, sheet: str, file: str) -> None:
    """Refuse a sheet whose used range is too large to read, before the Excel reader tries to allocate
    it. The declared range (``<dimension ref>``, in the first bytes of the sheet's XML) decides; a sheet
    that declares none (some programs omit it) has its cell references scanned instead."""
    with z.open(member) as f:
        head = f.read(4096).decode("utf-8", "replace")
    m = _DIMENSION.search(head)
    if m and m.group(3):
        c0, r0, c1, r1 = _column_index(m.group(1)), int(m.group(2)), _column_index(m.group(3)), int(m.group(4))
    elif m:
        return  # a single cell
    else:
        extent = _scanned_extent(z, member)
        if extent is None:
            return
        c0, r0, c1, r1 = extent
    cells = (abs(r1 - r0) + 1) * (abs(c1 - c0) + 1)
    if cells > MAX_SHEET_CELLS:
        area = f"{V.excel_column(min(c0, c1))}{min(r0, r1)}:{V.excel_column(max(c0, c1))}{max(r0, r1)}"
        raise InputError(f"{file}「{sheet}」：已用区域为 {area}（约 {cells:,} 个单元格），"
                         f"超出可读取的 {MAX_SHEET_CELLS:,} 个：远处有杂项单元格（在 Excel 中按 Ctrl+End 定位），"
                         "删去这些行列后另存再试")


_CELL_REF = re.compile(r'<c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')


def _scanned_extent(z: zipfile.ZipFile, member: str) -> tuple[int, int, int, int] | None:
    """(first column, first row, last column, last row) of the cells a sheet's XML holds, streamed."""
    rows: list[int] = []
    cols: list[int] = []
    tail = ""
    with z.open(member) as f:
        while chunk := f.read(1 << 20):
            text = tail + chunk.decode("utf-8", "ignore")
            found = _CELL_REF.findall(text)
            if found:
                letters = {c for c, _ in found}
                cols.extend(_column_index(c) for c in (min(letters, key=lambda x: (len(x), x)),
                                                       max(letters, key=lambda x: (len(x), x))))
                numbers = [int(r) for _, r in found]
                rows.extend((min(numbers), max(numbers)))
            tail = text[-64:]
    if not rows:
        return None
    return min(cols), min(rows), max(cols), max(rows)


def cells_the_reader_misses(z: zipfile.ZipFile, member: str) -> dict[tuple[int, int], str]:
    """Cells whose value the fast reader gives as blank although Excel shows something: a formula saved
    without its calculated value (by a program that does not calculate) — shown as its formula text —
    and an error value (#DIV/0!, #N/A, #VALUE! …) — shown as that text. Read naively they would vanish
    silently; shown, validation names the cell. {(row, column) 0-based: text}."""
    xml = z.read(member).decode("utf-8", "replace")
    if "<f" not in xml and 't="e"' not in xml:
        return {}
    cells = {}
    for attrs, inner in _CELL.findall(xml):
        if not inner:
            continue
        ref = _REF.search(attrs)
        if ref is None:
            continue
        value = re.search(r"<v>([^<]*)</v>", inner)
        if 't="e"' in attrs and value:
            text = html.unescape(value.group(1))
        elif "<f" in inner and not (value and value.group(1)):
            formula = re.search(r"<f[^>]*>(.*?)</f>|<f[^>]*/>", inner, re.S)
            text = "=" + html.unescape(re.sub(r"<[^>]+>", "", formula.group(0))) if formula else ""
        else:
            continue
        if text:
            cells[(int(ref.group(2)) - 1, _column_index(ref.group(1)))] = text
    return cells


def _spread_merges(rows: list[list[object]], merges: list | None, what: str, header: int) -> list[str]:
    """Merged cells read as Excel shows them: the value of the merged area's first cell in every cell of
    the area (calamine gives it in the first cell only, so the rows below a merged 单位编码 would be blank).
    Returns a note naming the merged areas below the header row, so the user knows."""
    spread = []
    for (r0, c0), (r1, c1) in merges or ():
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value
        if r1 > header and (r1 > r0 or c1 > c0):
            spread.append(f"{V.excel_column(c0)}{r0 + 1}:{V.excel_column(c1)}{r1 + 1}")
    if not spread:
        return []
    shown = "、".join(spread[:5]) + (f" 等 {len(spread)} 处" if len(spread) > 5 else "")
    return [f"{what}：合并单元格按 Excel 显示读入（合并区域的每一行都取该区域的值）：{shown}"]


def read_workbook(path: Path) -> tuple[dict[str, RawTable], list[str]]:
    """The contract sheets of an .xlsx/.xls as raw tables (python-calamine: ~10× faster than openpyxl).

    Sheets that are not contract tables are not read (a note names them). Two sheets whose names differ only by spaces
    (「项目」 and 「项目 」) are an error naming both: perfkit never picks one silently."""
    from python_calamine import CalamineWorkbook

    if path.stat().st_size == 0:
        raise InputError(f"{path.name}：文件是空的（0 字节）")
    is_zip = zipfile.is_zipfile(path)
    if path.suffix.lower() != ".xls" and not is_zip:
        raise InputError(f"{path.name}：不是有效的 Excel 工作簿（文件损坏、被加密，或扩展名与内容不符）")
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises several private types for broken files
        raise InputError(f"{path.name}：无法读取 Excel 工作簿（{_calamine_reason(exc)}）") from exc
    by_sheet: dict[str, list[str]] = {}
    for name in names:
        by_sheet.setdefault(re.sub(r"\s+", "", str(name)), []).append(name)
    for key, written in by_sheet.items():
        if key in BY_SHEET and len(written) > 1:
            shown = "、".join(f"「{w}」" for w in written)
            raise InputError(f"{path.name}：工作表 {shown} 都是「{key}」表，无法判断用哪一张：请删去或改名其中一张")
    wanted = {written[0]: key for key, written in by_sheet.items() if key in BY_SHEET}
    out: dict[str, RawTable] = {}
    z = zipfile.ZipFile(path) if is_zip else None
    try:
        members = _sheet_members(z) if z else {}
        for name, key in wanted.items():
            out[key] = _read_sheet(book, z, members, name, path, BY_SHEET[key])
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(f"{path.name}：工作簿已损坏，无法读取") from exc
    finally:
        if z is not None:
            z.close()
    unknown = [str(n) for n in names if re.sub(r"\s+", "", str(n)) not in BY_SHEET]
    notes = [f"{path.name}：未识别的工作表已忽略：{'、'.join(unknown)}"] if unknown else []
    return out, notes


def _read_sheet(book: object, z: zipfile.ZipFile | None, members: dict[str, str], name: str, path: Path,
                table: Table | None) -> RawTable:
    """One sheet as perfkit reads every sheet: its used range checked first (a stray cell at XFD1048576
    is a clear error, not an allocation of 17 billion cells), formulas without a value and error values
    shown, merged cells spread as Excel shows them, the header row found."""
    what = f"{path.name}「{name}」"
    missed: dict[tuple[int, int], str] = {}
    if z is not None and name in members:
        check_dimension(z, members[name], name, path.name)
        missed = cells_the_reader_misses(z, members[name])
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        merges = sheet.merged_cell_ranges
    except Exception as exc:
        raise InputError(f"{what}：无法读取（{_calamine_reason(exc)}）") from exc
    rows = [list(r) for r in rows]
    for (r, c), text in missed.items():  # such a cell may lie outside the range calamine returns
        rows.extend([] for _ in range(r + 1 - len(rows)))
        rows[r].extend([None] * (c + 1 - len(rows[r])))
        rows[r][c] = text
    h = find_header(rows, table)
    notes = _spread_merges(rows, merges, what, h)
    raw = frame_from_rows(rows, table, what)
    raw.notes.extend(notes)
    return raw


# ---------------------------------------------------------------------------------------------- 涉密

# How a table that is not a contract table is read for the 涉密 screen: the header is the row naming a
# code column and a 涉密 column (found as the loader finds any header)
SCREEN_TABLE = Table("涉密", "screen", (
    Column("项目编码", "project_id", aliases=("项目代码", "项目编号", "编码", "代码")),
    Column("单位编码", "unit_id", aliases=("单位代码",)),
    Column("项目名称", "project_name"),
    Column("涉密", "classified", "bool", aliases=tuple(a for a in BY_SHEET["项目"].column("classified").aliases)),
))
_PEEK_ROWS = 60


def _peek_sheet(path: Path, name: str) -> list[list[object]]:
    """The first rows of a sheet too large to read whole, streamed (the rows Excel shows at the top)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb[name]
            return [list(r) for r in ws.iter_rows(max_row=_PEEK_ROWS, max_col=256, values_only=True)]
        finally:
            wb.close()
    except Exception:  # a sheet that cannot even be peeked at: treated as one that may hold 涉密 flags
        return [["项目编码", "涉密"]]


def _screened_sheets(path: Path, skip: Collection[str], list_file: bool = False
                     ) -> list[tuple[str, RawTable, bool]]:
    """The sheets of a workbook besides ``skip`` (the contract sheets the loader reads), each read as
    the loader reads a sheet, with whether it is a 涉密 list (by its own or the file's name). A sheet
    too large to read is skipped with a note — unless its top rows show a 涉密 column or its name a
    涉密 list: then the command stops (a 涉密 flag perfkit cannot read is never passed over)."""
    from python_calamine import CalamineWorkbook

    if path.stat().st_size == 0:
        raise InputError(f"{path.name}：文件是空的（0 字节）")
    is_zip = zipfile.is_zipfile(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
    except Exception as exc:
        raise InputError(f"{path.name}：无法读取 Excel 工作簿，无法核对其中的涉密标识（{_calamine_reason(exc)}）") from exc
    out = []
    z = zipfile.ZipFile(path) if is_zip else None
    try:
        members = _sheet_members(z) if z else {}
        for name in names:
            if name in skip:
                continue
            whole = list_file or secret_list(name)
            try:
                raw = _read_sheet(book, z, members, name, path, SCREEN_TABLE)
            except InputError as exc:
                rows = _peek_sheet(path, name)
                labels = rows[find_header(rows, SCREEN_TABLE)] if rows else []
                if whole or any(flag_kind(v) for v in labels if isinstance(v, str)):
                    raise SecrecyRefused(f"{exc}（此表可能标明涉密项目，未写出任何文件）") from exc
                continue
            out.append((name, raw, whole))
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(f"{path.name}：工作簿已损坏，无法核对其中的涉密标识") from exc
    finally:
        if z is not None:
            z.close()
    return out


def screen_extras(path: Path, sec: Secrecy) -> None:
    """The 涉密 screen over what the loader does not read as a contract table: the other sheets of a
    workbook; in a folder, the files that are not contract tables (涉密项目清单.csv …) and every sheet
    of a workbook lying beside the CSVs."""
    if path.is_file():
        contract = {n for n in _workbook_names(path) if re.sub(r"\s+", "", str(n)) in BY_SHEET}
        for name, raw, whole in _screened_sheets(path, contract):
            screen_table(sec, raw.frame, path.name, name, raw.header_row, raw.above, whole_list=whole)
        return
    for file in sorted(path.iterdir()):
        suffix = file.suffix.lower()
        if not file.is_file() or file.name.startswith((".", "~$")):
            continue
        whole = secret_list(file.stem)
        if suffix in EXCEL_SUFFIXES:
            for name, raw, whole_sheet in _screened_sheets(file, (), whole):
                screen_table(sec, raw.frame, file.name, name, raw.header_row, raw.above, whole_list=whole_sheet)
        elif suffix in FOLDER_SUFFIXES and _sheet_name(file) not in BY_SHEET:
            if file.stat().st_size == 0:
                continue
            try:
                raw = _read_file(file, SCREEN_TABLE, None)
            except InputError as exc:
                raise SecrecyRefused(f"{exc}（无法核对此文件中的涉密标识，未写出任何文件；不是数据的文件请移出数据文件夹）"
                                     ) from exc
            screen_table(sec, raw.frame, file.name, file.stem, raw.header_row, raw.above, whole_list=whole)


def _workbook_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:
        return []


def _calamine_reason(exc: BaseException) -> str:
    """The Excel reader's error, in the user's terms (its own text is English)."""
    kind = type(exc).__name__
    if "Password" in kind:
        return "工作簿有密码保护，请另存为不加密的工作簿"
    if "Zip" in kind or "Xml" in kind:
        return "文件已损坏或不完整"
    return "文件已损坏，或不是 Excel 能打开的格式"


MONTHLY_SHEETS = ("执行监控", "指标监控")


def _read_parquet(file: Path, month: int | None) -> pd.DataFrame:
    """Parquet with every text column dictionary-encoded (categorical: codes + distinct values, which is
    what validation works on), and monthly tables filtered while reading to ``month`` — plus every row
    whose 月份 is not a month at all (null, 0, 13 …), so that validation quarantines it instead of the
    filter dropping it unseen.

    Text is text however it was stored: ``binary`` (Hive, Impala, Spark, DuckDB's BLOB) is read as UTF-8
    (or GB18030, said in a note), ``string_view`` (polars) as a string. Two columns under one name are
    named as in a sheet (the second by its column letter, ignored, with a note). Notes are in
    ``frame.attrs[PARQUET_NOTES]``."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(file)
    schema = pf.schema_arrow
    sheet = _sheet_name(file)
    repeated = len(set(schema.names)) < len(schema.names)  # read by position, then named as in a sheet
    labels, notes = _labels(schema.names, file.name) if repeated else (schema.names, [])
    table = BY_SHEET.get(sheet)
    mapping = match_headers(labels, table)[0] if table is not None else {}
    if repeated:
        frame = arrow_to_frame(_text_as_text(pf.read().rename_columns(labels), file, notes, mapping))
        frame.attrs[PARQUET_NOTES] = notes
        return frame
    text = [f.name for f in schema if _is_text(f.type) and not pa_.types.is_fixed_size_binary(f.type)]
    month_header = next((raw for raw, col in mapping.items() if col.name == "month"), None)
    if month is not None and sheet in MONTHLY_SHEETS and month_header is not None and \
            pa_.types.is_integer(schema.field(month_header).type):
        pf = pq.ParquetFile(file, read_dictionary=text)
        frame = _read_parquet_month(pf, int(month), month_header,
                                    partial(_text_as_text, file=file, notes=notes, contract=mapping))
    else:
        frame = arrow_to_frame(_text_as_text(pq.read_table(file, read_dictionary=text), file, notes, mapping))
    frame.attrs[PARQUET_NOTES] = notes
    return frame


PARQUET_NOTES = "notes on how the Parquet file was read"


def _is_text(kind: pa_.DataType) -> bool:
    """A column type that holds text, or bytes that may be text."""
    return any(f(kind) for f in (pa_.types.is_string, pa_.types.is_large_string, pa_.types.is_string_view,
                                 pa_.types.is_binary, pa_.types.is_large_binary, pa_.types.is_binary_view,
                                 pa_.types.is_fixed_size_binary))


def _text_as_text(table: pa_.Table, file: Path, notes: list[str], contract: Collection[str] = ()) -> pa_.Table:
    """Every text column of ``table`` dictionary-encoded, binary and view columns as strings: each value
    decoded as UTF-8, else as GB18030 (with a note, once per column). Bytes that are neither stop the load
    in a contract column (``contract``: the file's headers that name one), naming file and column; in any
    other column, which is not read anyway, they are shown with U+FFFD and a note — never ``b'...'``."""
    for j, name in enumerate(table.column_names):
        col = table.column(j)
        dictionary = pa_.types.is_dictionary(col.type)
        kind = col.type.value_type if dictionary else col.type
        if not _is_text(kind):
            continue
        if not dictionary:  # read without a dictionary (the file had repeated names, or fixed-size bytes)
            if pa_.types.is_string_view(kind) or pa_.types.is_binary_view(kind) or pa_.types.is_fixed_size_binary(kind):
                col = col.cast(pa_.string() if pa_.types.is_string_view(kind) else pa_.binary())
            col = pc_.dictionary_encode(col)
            kind = col.type.value_type
            table = table.set_column(j, name, col)
        if pa_.types.is_string(kind) or pa_.types.is_large_string(kind):
            continue
        chunks = [_with_values(c, _decoded(c.dictionary, file, name, notes, name in contract)) for c in col.chunks]
        table = table.set_column(j, name, pa_.chunked_array(chunks, type=pa_.dictionary(col.type.index_type,
                                                                                       pa_.string())))
    return table


def _with_values(chunk: pa_.DictionaryArray, values: pa_.Array) -> pa_.DictionaryArray:
    """``chunk`` with its dictionary replaced by ``values`` (decoded text): two byte strings that decode
    alike (资助人数 in UTF-8 and in GB18030) become one value, as a dictionary's values must be distinct."""
    distinct = pc_.dictionary_encode(values)
    if len(distinct.dictionary) == len(values):
        return pa_.DictionaryArray.from_arrays(chunk.indices, values)
    indices = pc_.take(distinct.indices, chunk.indices).cast(chunk.indices.type)
    return pa_.DictionaryArray.from_arrays(indices, distinct.dictionary)


def _decoded(values: pa_.Array, file: Path, name: str, notes: list[str], strict: bool) -> pa_.Array:
    """Distinct byte strings → text, each on its own: UTF-8, else GB18030 (a column may mix both)."""
    try:
        return values.cast(pa_.string())
    except pa_.ArrowInvalid:
        pass
    out, gb, bad = [], False, False
    for v in values.to_pylist():
        try:
            out.append(None if v is None else v.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                out.append(v.decode("gb18030"))
                gb = True
            except UnicodeDecodeError:
                if strict:
                    raise InputError(f"{file.name}：列「{name}」存的是二进制数据，有的值既不是 UTF-8 也不是 GB18030"
                                     "文本，无法读取；请导出为文本列（string）") from None
                out.append(v.decode("utf-8", errors="replace"))
                bad = True
    for flag, note in ((gb, f"{file.name}：列「{name}」有按 GB18030（GBK）编码读取的值"),
                       (bad, f"{file.name}：列「{name}」有无法识别为文本的二进制值，以 � 显示")):
        if flag and note not in notes:
            notes.append(note)
    return pa_.array(out, pa_.string())


def _read_parquet_month(pf: object, month: int, month_header: str = "月份",
                        readable: Callable[[pa_.Table], pa_.Table] = lambda t: t) -> pd.DataFrame:
    """The rows of ``month`` (and those whose 月份 is not a month 1–12), indexed by their position in the
    file — so that a quarantined row is named by its row in the file, as without ``--month``. A row group
    whose 月份 statistics lie wholly in other months (and hold no blank) is skipped unread.
    ``month_header``: the file's column that validation reads as 月份; ``readable``: applied to each row
    group read, before its rows are taken."""
    leaves = [pf.schema.column(j).path for j in range(len(pf.schema))]  # Parquet's columns, not Arrow's fields
    where = leaves.index(month_header) if month_header in leaves else None
    parts, positions, offset = [], [], 0
    for i in range(pf.num_row_groups):
        n = pf.metadata.row_group(i).num_rows
        stats = pf.metadata.row_group(i).column(where).statistics if where is not None else None
        elsewhere = stats is not None and stats.has_min_max and stats.has_null_count and stats.null_count == 0 \
            and 1 <= stats.min and stats.max <= 12 and (stats.max < month or stats.min > month)
        if not elsewhere:
            m = pf.read_row_group(i, columns=[month_header]).column(0)
            keep = pc_.fill_null(pc_.or_(pc_.equal(m, month), pc_.or_(pc_.less(m, 1), pc_.greater(m, 12))), True)
            rows = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
            if len(rows):
                parts.append(_used_values_only(readable(pf.read_row_group(i)).take(pa_.array(rows))))
                positions.append(rows + offset)
        offset += n
    if not parts:  # no row of the month: an empty table with the file's columns
        parts = [_used_values_only(readable(pf.read_row_group(0).slice(0, 0))) if pf.num_row_groups
                 else readable(pf.read())]
    frame = arrow_to_frame(pa_.concat_tables(parts))
    frame.index = np.concatenate(positions) if positions else np.arange(0)
    frame.attrs[OTHER_MONTHS] = offset - len(frame)  # rows of other months, counted in the load's note
    return frame


def _used_values_only(table: pa_.Table) -> pa_.Table:
    """Each dictionary column of ``table`` with only the values its rows hold (in the dictionary's order).

    Taking a month's rows out of a row group keeps the row group's whole dictionary: without this a
    category would list 项目编码 of other months' rows (a code that is not in the data read)."""
    for j, name in enumerate(table.column_names):
        col = table.column(j)
        if not pa_.types.is_dictionary(col.type):
            continue
        chunks = []
        for chunk in col.chunks:
            codes = pc_.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
            valid = codes >= 0
            order = np.flatnonzero(np.bincount(codes[valid], minlength=len(chunk.dictionary)))  # the used, in order
            if len(order) == len(chunk.dictionary):
                chunks.append(chunk)
                continue
            remap = np.full(len(chunk.dictionary), -1, dtype=chunk.indices.type.to_pandas_dtype())
            remap[order] = np.arange(len(order))
            indices = pa_.array(remap[np.where(valid, codes, 0)], mask=~valid)
            chunks.append(pa_.DictionaryArray.from_arrays(indices, chunk.dictionary.take(pa_.array(order))))
        table = table.set_column(j, name, pa_.chunked_array(chunks, type=col.type))
    return table


OTHER_MONTHS = "rows of other months left unread"


def arrow_to_frame(table: pa_.Table) -> pd.DataFrame:
    """An arrow table → pandas, dictionary columns as categoricals whose categories stay arrow strings.

    ``Table.to_pandas`` turns every dictionary into Python string objects (a million 项目编码 is a million
    objects, and each later parse of the distinct values would loop over them); codes and an arrow-backed
    category index cost a fraction of that."""
    chunked = [n for n in table.column_names
               if pa_.types.is_dictionary(table.column(n).type) and table.column(n).num_chunks > 1]
    # one dictionary per row group → one for the column. Where the row groups' dictionaries are large (a
    # code column: nearly every value distinct) encoding the decoded column afresh is several times faster
    # than merging them; both list the values in order of first appearance, so the categories are the same
    large = [n for n in chunked if sum(len(c.dictionary) for c in table.column(n).chunks) > len(table) // 8]
    for n in large:
        col = table.column(n)
        fresh = pc_.dictionary_encode(col.cast(col.type.value_type).combine_chunks())
        table = table.set_column(table.column_names.index(n), n, pa_.chunked_array([fresh]))
    small = [n for n in chunked if n not in large]
    if small:
        unified = table.select(small).unify_dictionaries()
        for n in small:
            table = table.set_column(table.column_names.index(n), n, unified.column(n))
    out: dict[str, object] = {}
    for name in table.column_names:  # each column let go of once converted: the table is not held twice
        col = table.column(name)
        table = table.drop_columns([name])
        if pa_.types.is_nested(col.type):  # a list or record in a cell: its text, which validation can read
            out[name] = pd.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                                  for v in col.to_pylist()], dtype=object)
            continue
        if not pa_.types.is_dictionary(col.type):
            out[name] = col.to_pandas()
            continue
        if col.num_chunks:
            indices = pa_.chunked_array([c.indices for c in col.chunks], type=col.type.index_type)
            dictionary = col.chunk(0).dictionary
        else:
            indices, dictionary = pa_.chunked_array([], type=pa_.int32()), pa_.array([], type=col.type.value_type)
        codes = pc_.fill_null(indices, -1).to_numpy()
        categories = pd.Index(pd.arrays.ArrowStringArray(dictionary.cast(pa_.large_string())))
        out[name] = pd.Categorical.from_codes(codes, categories=categories, validate=False)
        del col
    return pd.DataFrame(out, copy=False)


_YEAR_PREFIX = re.compile(r"^\s*(\d{4})\s*(?:[-/.]|年)")


def _months_of_other_years(raw: RawTable, projects: pd.DataFrame) -> None:
    """A 月份 written with a year (2021-05, 2021年5月) that is not a year of the 项目 table is not a
    month of this data: its text is marked so that validation quarantines the cell by name — never read
    as May of the year reported, nor filtered away as another month."""
    frame = raw.frame
    header = next((h for h in frame.columns if split_header(h)[0] == "月份"), None)
    years = {int(y) for y in projects["year"].dropna().unique()} if "year" in projects else set()
    if header is None or not years:
        return
    codes, uniques = V.codes_of(frame[header])
    texts = [V.cell_text(u) for u in uniques]
    found = [_YEAR_PREFIX.match(t) if t else None for t in texts]
    other = [m is not None and int(m[1]) not in years for m in found]
    if not any(other):
        return
    shown = "、".join(map(str, sorted(years)))
    marked = np.array([f"{t}（不是 {shown} 年度的月份）" if o else u for t, o, u in zip(texts, other, uniques, strict=True)]
                      + [None], dtype=object)
    frame[header] = marked[codes]


def only_month(raw: RawTable, month: int) -> tuple[RawTable, int]:
    """A monthly monitoring table cut to the as-of month (the monitoring rules use cumulative values):
    rows of other months are left out and counted; a row whose 月份 is not a readable month 1–12 (「五月」
    reads, 「第五期」 does not) stays, so that validation quarantines it by name instead of the filter
    dropping it unseen. Rows keep their index, hence their Excel row numbers."""
    frame = raw.frame
    unread = int(frame.attrs.get(OTHER_MONTHS, 0))  # left out while reading (Parquet)
    header = next((h for h in frame.columns if split_header(h)[0] == "月份"), None)
    if header is None:
        return raw, unread
    parsed = V.to_month(frame[header]).to_numpy()
    with np.errstate(invalid="ignore"):
        other = (parsed >= 1) & (parsed <= 12) & (parsed == np.floor(parsed)) & (parsed != month)
    if not other.any():
        return raw, unread
    return RawTable(frame.loc[~other], raw.header_row, raw.notes), unread + int(other.sum())


def _sheet_name(file: Path) -> str:
    """The table a file stands for: its name without extension, spaces dropped (「项目 .csv」 is 项目)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", file.stem))


def read_folder(path: Path, month: int | None = None
                ) -> tuple[dict[str, tuple[Callable[[], RawTable], str]], list[str]]:
    """A folder of ``<sheet>.csv`` / ``<sheet>.parquet`` files → a reader per sheet, with its file name,
    and notes (files that are not contract tables).

    Files are read when their table is validated, one at a time, so that a province's raw tables are
    never all in memory at once next to the validated ones. Two files for one table (项目.csv and
    项目.parquet) are an error naming both: perfkit never picks one silently."""
    by_sheet: dict[str, list[Path]] = {}
    unknown = []
    other_kinds = []
    for file in sorted(path.iterdir()):
        if file.suffix.lower() not in FOLDER_SUFFIXES:
            if _sheet_name(file) in BY_SHEET and file.is_file():  # 执行监控.pq, 项目.xlsx: named as a table
                other_kinds.append(file.name)
            continue
        key = _sheet_name(file)
        if key in BY_SHEET:
            by_sheet.setdefault(key, []).append(file)
        else:
            unknown.append(file.name)
    found: dict[str, tuple[Callable[[], RawTable], str]] = {}
    for key, files in by_sheet.items():
        if len(files) > 1:
            shown = "、".join(f.name for f in files)
            raise InputError(f"{path.name}：{shown} 都是「{key}」表，无法判断用哪一个：请删去或移走其中一个")
        file = files[0]
        if not file.is_file():
            raise InputError(f"{file.name}：不是文件（是文件夹或失效的快捷方式），无法读取")
        if file.stat().st_size == 0:
            raise InputError(f"{file.name}：文件是空的（0 字节）")
        found[key] = (partial(_read_file, file, BY_SHEET[key], month), file.name)
    notes = [f"{path.name}：未识别的文件已忽略：{'、'.join(unknown)}"] if unknown else []
    if other_kinds:
        notes.append(f"{path.name}：{'、'.join(other_kinds)} {NOT_READ}（文件夹中的表请存为"
                     " .csv 或 .parquet；工作簿请直接指定 .xlsx 文件）")
    return found, notes


def _read_file(file: Path, table: Table, month: int | None) -> RawTable:
    if file.suffix.lower() == ".csv":
        return _read_csv(file, table)
    try:
        frame = _read_parquet(file, month)
        return RawTable(frame, notes=frame.attrs.pop(PARQUET_NOTES, []))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{file.name}：无法读取 Parquet 文件（文件已损坏，或不是 Parquet 格式）") from exc


# ---------------------------------------------------------------------------------------------- validation

NUMERIC_KINDS = ("number", "money", "int", "percent")
MONTH_COLUMNS = ("month",)  # int columns read with the month spellings of values.parse_month
BAD = "__unreadable"  # suffix of the flag column that marks a cell whose text could not be read


def _broadcast(per_value: list | np.ndarray, codes: np.ndarray, missing: object, dtype: object) -> np.ndarray:
    """Per-distinct-value results → one per row (code −1 takes ``missing``)."""
    table = np.asarray(list(per_value) + [missing], dtype=dtype)
    return table[codes]


def _text_categorical(cleaned: object, codes: np.ndarray) -> pd.Categorical:
    """Cleaned distinct texts → a categorical over the rows (two spellings that clean alike merge)."""
    if isinstance(cleaned, pa_.ChunkedArray):  # an empty column (header-only table) comes back chunked
        cleaned = cleaned.combine_chunks()
    encoded = cleaned.dictionary_encode()
    new_codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    categories = pd.Index(pd.arrays.ArrowStringArray(encoded.dictionary.cast(pa_.large_string())))
    dtype = np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767 else np.int32
    return pd.Categorical.from_codes(_broadcast(new_codes, codes, -1, dtype), categories=categories,
                                     validate=False)


def prepare_column(raw: pd.Series, col: Column) -> dict[str, object]:
    """Read one column: typed values, plus a flag column where a non-blank cell could not be read.

    Every parse runs once per distinct value; the results are broadcast by codes.
    """
    if col.kind in NUMERIC_KINDS and pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return {col.name: raw.astype("float64").to_numpy()}
    if col.kind == "bool" and pd.api.types.is_bool_dtype(raw):
        return {col.name: raw.fillna(False).astype(bool).to_numpy()}
    codes, uniques = V.codes_of(raw)  # free for Parquet dictionaries
    cleaned_arrow = V.clean_values(uniques, nfkc=not col.display)
    if col.name in MONTH_COLUMNS:  # 5, 05, 5月, 五月, 2022-05, 2022年5月 … (as units write the month)
        months = np.array([V.parse_month(t) for t in cleaned_arrow.to_pylist()], dtype=float)
        bad = pc_.is_valid(cleaned_arrow).to_numpy(zero_copy_only=False) & np.isnan(months)
        return {col.name: _broadcast(months, codes, np.nan, float), col.name + BAD: _broadcast(bad, codes, False, bool)}
    if col.kind in NUMERIC_KINDS:
        numbers, bad = V.numbers_of(cleaned_arrow)
        return {col.name: _broadcast(numbers, codes, np.nan, float), col.name + BAD: _broadcast(bad, codes, False, bool)}
    if col.kind == "bool":
        read = classified_flag if col.name == "classified" else V.parse_bool  # 涉密 may be a 密级 (秘密 …)
        parsed = [read(c) for c in cleaned_arrow.to_pylist()]
        return {col.name: _broadcast([bool(p) for p in parsed], codes, False, bool),
                col.name + BAD: _broadcast([p is None for p in parsed], codes, False, bool)}
    if isinstance(raw.dtype, pd.CategoricalDtype) and _unchanged(uniques, cleaned_arrow):
        return {col.name: raw.array}  # already distinct, clean text (a Parquet dictionary): nothing to redo
    return {col.name: _text_categorical(cleaned_arrow, codes)}


def _unchanged(uniques: pd.Index, cleaned: object) -> bool:
    """Did cleaning leave every distinct value as it was (none blank, none respelled)?"""
    if not pd.api.types.is_string_dtype(uniques.dtype) or cleaned.null_count:
        return False
    original = pa_.array(uniques.array, type=pa_.large_string())
    return bool(pc_.all(pc_.equal(original, cleaned)).as_py())


def _checks(col: Column, known: dict[str, pd.Index]) -> list[pa.Check]:
    """The pandera checks that say what a valid value of this column is, in words for the user."""
    import pandera.pandas as pa

    checks: list[pa.Check] = []
    if col.kind == "int":
        checks.append(pa.Check(lambda s: s.isna() | (s == s.round()), error="应为整数"))
    if col.minimum is not None:
        lo = col.minimum
        checks.append(pa.Check(lambda s: ~(s < lo), error=f"应不小于 {lo:g}"))
    if col.maximum is not None:
        hi = col.maximum
        checks.append(pa.Check(lambda s: ~(s > hi), error=f"应不大于 {hi:g}"))
    if col.kind == "enum":
        allowed = list(col.choices)
        checks.append(pa.Check(lambda s: s.isna() | s.isin(allowed), error="取值应为：" + "／".join(col.choices)))
    ref = known.get(col.name)
    if ref is not None:
        sheet = "单位" if col.name == "unit_id" else "项目"
        checks.append(pa.Check(lambda s: s.isna() | s.isin(ref), error=f"应是「{sheet}」表中已有的{col.header}"))
    return checks


def _schema(table: Table, present: set[str], known: dict[str, pd.Index],
            units: dict[str, str] | None = None) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    columns: dict[str, pa.Column] = {}
    for c in table.columns:
        if c.name not in present:
            continue
        if c.kind == "money" and c.maximum is not None and (units or {}).get(c.name):
            # the bound is in 万元; a header in 元 (or 亿元) prints amounts in another unit
            c = replace(c, maximum=c.maximum * V.FEN_PER_WAN / MONEY_UNITS[units[c.name]])
        columns[c.name] = pa.Column(None, _checks(c, known), nullable=not c.required, required=False)
        if c.name + BAD in present:
            expected = ("应为 是/否（Y/N、1/0、✓/空）" if c.kind == "bool" else
                        "应为月份 1–12（如 5、5月、五月、2022-05）" if c.name in MONTH_COLUMNS else "应为数字")
            columns[c.name + BAD] = pa.Column(None, pa.Check(lambda s: ~s, error=expected), required=False)
    unique = [u for u in table.unique if u in present] or None
    return pa.DataFrameSchema(columns, unique=unique, report_duplicates="exclude_first")


def _convert(frame: pd.DataFrame, table: Table, units: dict[str, str], keep: np.ndarray | None = None
             ) -> pd.DataFrame:
    """Validated columns → the internal types: money in integer 分, text dictionary-encoded (categorical:
    codes + distinct values; at province scale plain strings would take four times the memory).

    ``keep`` (a mask) takes the valid rows; the columns are taken out of ``frame`` one by one as they are
    converted, so the table is not held twice (an 8M-row table: a copy less at the loader's peak)."""
    out = {}
    index = frame.index if keep is None else frame.index[keep]
    n = len(index)
    for col in table.columns:
        if col.name not in frame:
            if col.kind in ("money", "int"):
                out[col.name] = pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
            elif col.kind == "bool":
                out[col.name] = np.zeros(n, dtype=bool)
            elif col.kind in ("number", "percent"):
                out[col.name] = np.full(n, np.nan)
            else:
                out[col.name] = pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8),
                                                          categories=pd.Index([], dtype="str"))
            continue
        s = frame.pop(col.name)
        s = s if keep is None else s[keep]
        if col.kind == "money":
            out[col.name] = V.to_fen(s.to_numpy(float), MONEY_UNITS[units.get(col.name, "")])
        elif col.kind == "int":
            out[col.name] = pd.array(s.to_numpy(float), dtype="Float64").astype("Int64")
        elif col.kind in ("number", "percent", "bool"):
            out[col.name] = s.to_numpy()
        else:
            out[col.name] = s
    return pd.DataFrame(out, index=index)


def _shown(value: object) -> str:
    """A cell as the quarantine record shows it: the text Excel shows (a date as 2022-12-31, 100 not
    100.0), 「（空）」 when blank."""
    text = V.cell_text(value)
    return "（空）" if V.normalize_text(text) is None else text


def _table_failure(file: str, sheet: str, header_row: int, n: int, column: str, expected: str,
                   found: str) -> pd.DataFrame:
    """The one record of a table that cannot load at all; it names the header row (where the problem is)."""
    return pd.DataFrame([[file, sheet, header_row, column, expected, found,
                          f"表头（第 {header_row} 行）{column} {expected}，实际为 {found}；整张表无法载入，{n} 行全部隔离"]],
                        columns=QUARANTINE_COLUMNS)


PARENT_SHEETS = {"unit_id": "单位", "project_id": "项目"}


def _ref_error(name: str, header: str) -> str:
    return f"应是「{PARENT_SHEETS[name]}」表中已有的{header}"


def validate_table(raw: pd.DataFrame | RawTable, table: Table, file: str, known: dict[str, pd.Index] | None = None,
                   set_aside: dict[str, pd.Series] | None = None
                   ) -> tuple[pd.DataFrame | None, pd.DataFrame, dict[str, int], list[str], dict[str, pd.Series]]:
    """One raw sheet → (typed valid rows, quarantine rows, counts, notes, codes set aside).

    Row numbers are those Excel shows: with the header in row 1 (or wherever it was found), the first
    data row is row 2. ``set_aside`` holds, per reference column (单位编码, 项目编码), the codes whose
    parent row was quarantined, with that row's number: a child row of such a code is quarantined with
    that reason, not with "not in the table" (the code is there, its row was set aside). The last
    element returned is the same for this table's own quarantined keys.
    """
    known, set_aside = known or {}, set_aside or {}
    header_row = raw.header_row if isinstance(raw, RawTable) else 1
    raw = raw.frame if isinstance(raw, RawTable) else raw
    if not pd.api.types.is_integer_dtype(raw.index.dtype):
        raw = raw.reset_index(drop=True)
    blank = np.ones(len(raw), dtype=bool)
    for c in raw.columns:
        blank &= V.is_blank(raw[c]).to_numpy()
    notes: list[str] = []
    if blank.any() and len(raw.columns):
        notes.append(f"{file}「{table.sheet}」：{int(blank.sum())} 个空行已忽略（不计入读入行数）")
    raw = raw.loc[~blank]
    n = len(raw)
    mapping, units, again = match_headers(raw.columns, table)
    missing = [c for c in table.columns if c.required and c.name not in units]
    if missing:
        found = "、".join(str(h) for h in raw.columns) or "（无表头）"
        q = _table_failure(file, table.sheet, header_row, n, "、".join(c.header for c in missing), "缺少必需的列",
                           found)
        return None, q, {"读入": n, "载入": 0, "隔离": n}, notes, {}
    first = {c.name: h for h, c in mapping.items()}
    for h, col in again.items():
        if col.name != "classified":
            notes.append(f"{file}「{table.sheet}」：「{h}」与「{first[col.name]}」是同一列（{col.header}），"
                         f"只读取「{first[col.name]}」")
    unknown = [str(h) for h in raw.columns if h not in mapping and h not in again and not str(h).endswith("重复〕")
               and not (str(h).endswith("列无表头）") and V.is_blank(raw[h]).all())]
    if unknown:
        notes.append(f"{file}「{table.sheet}」：未识别的列已忽略：{'、'.join(unknown)}")
    for name, unit in units.items():
        col = table.column(name)
        if col.kind == "money" and unit not in MONEY_UNITS:
            q = _table_failure(file, table.sheet, header_row, n, col.header, "金额单位为 万元 或 元", unit)
            return None, q, {"读入": n, "载入": 0, "隔离": n}, notes, {}
    prepared: dict[str, object] = {}
    for raw_header, col in mapping.items():
        prepared.update(prepare_column(raw[raw_header], col))
    for raw_header, col in again.items():  # a second 涉密 column: 涉密 if either says so (fail closed)
        if col.name == "classified":
            other = prepare_column(raw[raw_header], col)
            flag = prepared[col.name] | other[col.name]
            prepared[col.name + BAD] = (prepared[col.name + BAD] | other[col.name + BAD]) & ~flag
            prepared[col.name] = flag
            notes.append(f"{file}「{table.sheet}」：「{first[col.name]}」与「{raw_header}」都标注涉密，"
                         "任一列标为涉密的项目按涉密处理")
    frame = pd.DataFrame(prepared, index=raw.index)
    by_name = {c.name: h for h, c in mapping.items()}
    import pandera.pandas as pa  # here, not at module level: reading a snapshot never validates

    schema = _schema(table, set(frame.columns), known, units)
    bad = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    bad_index: np.ndarray = np.array([], dtype=int)
    try:
        schema.validate(frame, lazy=True, inplace=True)  # no coercion: no copy of 8M rows to check
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])
        cases = cases[cases["index"].isin(frame.index)]
        idx = cases["index"].astype(int).to_numpy()
        name = cases["column"].astype(str).str.removesuffix(BAD).to_numpy()
        check = cases["check"].astype(str).to_numpy()
        # a cell that holds unreadable text is "应为数字", not also "必填，不能为空" (its value is NaN)
        keep = np.ones(len(cases), dtype=bool)
        for col_name in set(name[check == "not_nullable"]):
            if col_name + BAD in frame:
                sel = (check == "not_nullable") & (name == col_name)
                keep[sel] = ~frame[col_name + BAD].to_numpy()[frame.index.get_indexer(idx[sel])]
        idx, name, check = idx[keep], name[keep], check[keep]
        headers = {c.name: c.header for c in table.columns}
        is_dup = np.char.find(check.astype(str), "uniqueness") >= 0
        expected = np.where(check == "not_nullable", "必填，不能为空", check).astype(object)
        expected[is_dup] = "唯一，不能重复"
        column = np.array([headers.get(c, c) for c in name], dtype=object)
        if is_dup.any():  # pandera names one column of a multi-column key; name the whole key
            column[is_dup] = "+".join(headers[u] for u in table.unique if u in frame.columns)
        for ref_name, parents in set_aside.items():
            sel = (name == ref_name) & (check == _ref_error(ref_name, headers[ref_name]))
            if not sel.any() or not len(parents):
                continue
            codes = np.asarray(frame[ref_name].to_numpy()[frame.index.get_indexer(idx[sel])], dtype=object)
            where = pd.Index(parents.index).get_indexer(pd.Index(codes, dtype=object).astype(str))
            rows = np.where(where >= 0, parents.to_numpy()[np.maximum(where, 0)], -1)
            said = np.array([f"所属{PARENT_SHEETS[ref_name]}行（{PARENT_SHEETS[ref_name]}表第{r}行）已被隔离"
                             if r >= 0 else e for r, e in zip(rows, expected[sel], strict=True)], dtype=object)
            expected[sel] = said
        found_text = [_shown(raw.at[i, by_name[c]]) if c in by_name else "" for i, c in zip(idx, name, strict=True)]
        bad = pd.DataFrame({"文件": file, "工作表": table.sheet, "行": idx + header_row + 1, "列": column,
                            "期望": expected, "实际": found_text})
        parent = bad["期望"].str.startswith("所属")
        bad["说明"] = (bad["列"] + "：期望" + bad["期望"] + "，实际为「" + bad["实际"] + "」").where(
            ~parent, bad["列"] + "「" + bad["实际"] + "」：" + bad["期望"] + "，本行随之隔离")
        bad = bad.drop_duplicates().sort_values(["行", "列"], kind="stable").reset_index(drop=True)
        bad_index = np.unique(idx)
    set_aside_keys = {key: frame.loc[bad_index, key].astype(object).to_numpy() for key in PARENT_SHEETS
                      if key in table.unique and key in frame and len(bad_index)}
    typed = _convert(frame, table, units, ~frame.index.isin(bad_index) if len(bad_index) else None)
    del frame
    typed["_row"] = (typed.index.to_numpy() + header_row + 1).astype("int32")  # row numbers up to 2.1 billion
    counts = {"读入": n, "载入": len(typed), "隔离": int(len(bad_index))}
    rejected: dict[str, pd.Series] = {}
    for key, bad_codes in set_aside_keys.items():
        codes = pd.Series(bad_codes, index=bad_index + header_row + 1).dropna()
        kept = pd.Index(typed[key].dropna().astype(object).unique())
        codes = codes[~codes.isin(kept)]
        rejected[key] = pd.Series(codes.index.to_numpy(), index=codes.astype(str).to_numpy()).groupby(level=0).min()
    return typed.reset_index(drop=True), bad, counts, notes, rejected


# ---------------------------------------------------------------------------------------------- entry


def release_memory() -> None:
    """Hand memory freed by the last big step back to the operating system (glibc's ``malloc_trim``; a no-op
    elsewhere). The C allocator keeps freed blocks for reuse, so a province's raw tables, freed once
    validated, would otherwise stay in the process's resident memory — next to the second process of a
    two-core ``perfkit score`` (measured: 0.65 GB less after loading the monitoring tables of 1M
    projects, in 0.04 s)."""
    global _TRIM
    if _TRIM is None:
        import ctypes
        import ctypes.util

        try:
            _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None  # glibc's malloc_trim, found on first use (False where there is none)

# the tables every other table's references are checked against: loaded whenever a subset is asked for
REFERENCED = ("units", "projects")


def load(path: str | Path, month: int | None = None, only: Iterable[str] | None = None) -> Dataset:
    """Load every contract table found in a workbook (.xlsx/.xls) or a folder (.csv/.parquet).

    Tables are validated in dependency order so that 单位编码 and 项目编码 references can be checked.
    With ``month``, the two monthly monitoring tables are read (and validated, and counted) for that
    month only — at province scale they are the bulk of the data and the rules need one month; a row
    whose 月份 cannot be read as a month is kept and quarantined, never filtered away unseen.

    ``only`` (table names) loads those tables and the ones references are checked against (单位, 项目),
    no others — as a full load would have loaded them: the same checks, notes and quarantine.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到数据：{path}")
    stray_mark = False
    if path.is_dir() and (path / SNAPSHOT_MARK).exists():
        # a snapshot perfkit wrote holds only its own files; a data folder with a snapshot marker dropped
        # into it is read as the data it is — the marker never decides what is read
        stray_mark = any(_sheet_name(f) in BY_SHEET for f in path.iterdir() if f.suffix.lower() in FOLDER_SUFFIXES)
        if not stray_mark:
            return load_snapshot(path)
    if path.is_dir():
        raw, notes = read_folder(path, month)
        if stray_mark:
            notes.append(f"{path.name}：其中的 {SNAPSHOT_MARK}（perfkit 内部数据快照的标记）已忽略，按原始数据读取")
        if not raw:
            raise InputError(f"{path}：文件夹中没有合同规定的表（如 项目.csv、绩效自评.csv）")
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        sheets, notes = read_workbook(path)
        raw = {k: ((lambda v=v: v), path.name) for k, v in sheets.items()}
        if not raw:
            raise InputError(f"{path.name}：没有合同规定的工作表（应有 项目、绩效自评 等；见 data/templates）")
    else:
        raise InputError(f"{path.name}：不支持的文件类型（应为 .xlsx/.xls 工作簿，或含 .csv/.parquet 的文件夹）")
    dataset = Dataset(source=str(path), notes=list(notes))
    sec = Secrecy()
    screen_extras(path, sec)  # 涉密 lists and flags outside the contract tables: before any table is validated
    sec.refuse_if_unclear()
    known: dict[str, pd.Index] = {}
    set_aside: dict[str, pd.Series] = {}
    wanted = None if only is None else {*only, *REFERENCED}
    for table in TABLES:
        if table.sheet not in raw:
            continue
        if wanted is not None and table.name not in wanted:
            dataset.unread.append(table.sheet)
            continue
        reader, file = raw.pop(table.sheet)
        frame = reader()
        table_notes = list(frame.notes)
        # the 涉密 screen reads the table as the loader read it, before validation sets any row aside
        screen_table(sec, frame.frame, file, table.sheet, frame.header_row, frame.above, contract=table.name)
        sec.refuse_if_unclear()
        if table.sheet in MONTHLY_SHEETS and "projects" in dataset.tables:
            _months_of_other_years(frame, dataset.tables["projects"])
        if month is not None and table.sheet in MONTHLY_SHEETS:
            frame, other = only_month(frame, month)
            table_notes.append(f"{file}「{table.sheet}」：监控截至 {month} 月，只读入 {month} 月的行"
                               + (f"（其他月份 {other} 行不读入）" if other else "")
                               + "；月份无法识别的行照常检查并隔离")
        refs = {k: known[k] for k in ("unit_id", "project_id") if k in known and
                ((k == "unit_id" and table.name == "projects") or (k == "project_id" and table.needs_project))}
        typed, bad, count, notes, rejected = validate_table(frame, table, file, refs,
                                                            {k: v for k, v in set_aside.items() if k in refs})
        del frame  # the raw table is not needed once validated
        release_memory()
        dataset.records[table.name] = TableRecord(table_notes + list(notes), {"表": table.sheet, "文件": file, **count}, bad)
        if typed is None:
            continue
        dataset.tables[table.name] = typed
        if table.name == "units":
            known["unit_id"] = pd.Index(typed["unit_id"].dropna().unique())
            set_aside["unit_id"] = rejected.get("unit_id", pd.Series(dtype="int64"))
        elif table.name == "projects":
            known["project_id"] = pd.Index(typed["project_id"].dropna().unique())
            set_aside["project_id"] = rejected.get("project_id", pd.Series(dtype="int64"))
    apply(sec, dataset.tables)
    dataset.secrecy = sec
    unify_categories(dataset.tables)
    summarize_records(dataset)
    return dataset


def summarize_records(dataset: Dataset, read_notes: list[str] | None = None) -> None:
    """``notes``, ``counts`` and ``quarantine`` from the per-table records, in contract table order."""
    order = [t.name for t in TABLES if t.name in dataset.records]
    recs = [dataset.records[name] for name in order]
    dataset.records = dict(zip(order, recs, strict=True))
    if read_notes is not None:
        dataset.notes = list(read_notes)
    dataset.notes.extend(n for r in recs for n in r.notes)
    nonempty = [r.quarantine for r in recs if len(r.quarantine)]
    dataset.quarantine = (pd.concat(nonempty, ignore_index=True) if nonempty
                          else pd.DataFrame(columns=QUARANTINE_COLUMNS))
    dataset.counts = pd.DataFrame([r.count for r in recs], columns=["表", "文件", "读入", "载入", "隔离"])


def take_records(dataset: Dataset, records: dict[str, TableRecord]) -> None:
    """Add the load records of tables loaded elsewhere (another process, the same source) to ``dataset``:
    its notes, counts and quarantine then read as if one load had read every table."""
    read_notes = dataset.notes[:len(dataset.notes) - sum(len(r.notes) for r in dataset.records.values())]
    dataset.records.update(records)
    summarize_records(dataset, read_notes)


def unify_categories(tables: dict[str, pd.DataFrame]) -> None:
    """Give every text column that several tables share (项目编码, 单位编码, 指标名称 …) one set of
    categories, in place. Joins, group-bys and comparisons across tables then work on the integer codes
    — a join of two 8-million-row tables on (项目编码, 指标名称) never hashes a string."""
    by_name: dict[str, list[str]] = {}
    for table, frame in tables.items():
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                by_name.setdefault(col, []).append(table)
    for col, owners in by_name.items():
        if len(owners) < 2:
            continue
        cats = [tables[t][col].cat.categories for t in owners]
        if all(c.equals(cats[0]) for c in cats[1:]):
            continue
        union = pd.Index(pd.unique(pd.concat([pd.Series(c, dtype="str") for c in cats], ignore_index=True)),
                         dtype="str")
        dtype = pd.CategoricalDtype(union)
        for t in owners:
            tables[t][col] = tables[t][col].astype(dtype)


# ---------------------------------------------------------------------------------------------- snapshot


def save_snapshot(ds: Dataset, folder: Path) -> Path:
    """The loaded dataset as typed Parquet (interim data): what the report's notebooks read, so a
    workbook is parsed and validated once per run, not once per notebook. The raw input is untouched."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in ds.tables.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    ds.quarantine.astype(str).to_parquet(folder / "_quarantine.parquet", index=False)
    ds.counts.to_parquet(folder / "_counts.parquet", index=False)
    meta = {"source": ds.source, "notes": ds.notes, "tables": sorted(ds.tables),
            "secrecy": ds.secrecy.to_json() if ds.secrecy is not None else None}
    (folder / SNAPSHOT_MARK).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def load_snapshot(folder: Path) -> Dataset:
    """A snapshot :func:`save_snapshot` wrote, checked before anything in it is used: a malformed or
    empty ``perfkit_snapshot.json`` (or one naming tables it does not hold) is a clear error, and its
    ``source`` is only a label — nothing is read from where it points."""
    import json

    mark = folder / SNAPSHOT_MARK
    try:
        meta = json.loads(mark.read_text(encoding="utf-8"))
        assert isinstance(meta, dict) and isinstance(meta["notes"], list) and isinstance(meta["tables"], list)
        names = [str(n) for n in meta["tables"]]
        assert all(n in {t.name for t in TABLES} for n in names)
        source = str(meta["source"])
    except (OSError, ValueError, AssertionError, KeyError, TypeError) as exc:
        raise InputError(f"{mark}：数据快照标记文件为空或已损坏，无法使用（这是 perfkit 的内部文件；"
                         "请删去它所在的文件夹，或指定原始数据）") from exc
    ds = Dataset(source=source, notes=[str(n) for n in meta["notes"]])
    missing = [n for n in names if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise InputError(f"{folder}：数据快照不完整（缺少 {'、'.join(missing)}），无法使用；请用原始数据重新运行")
    ds.tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in names}
    ds.secrecy = Secrecy.from_json(meta.get("secrecy")) if meta.get("secrecy") is not None else None
    unify_categories(ds.tables)
    ds.quarantine = pd.read_parquet(folder / "_quarantine.parquet")
    ds.counts = pd.read_parquet(folder / "_counts.parquet")
    return ds
