"""The Excel reader (.xlsx/.xlsm/.xls, python-calamine): the contract sheets of a workbook as
:class:`~perfkit.io.headers.RawTable`, with what a fast reader would miss made visible — a used range too
large to allocate refused by name, formulas saved without a value and error values shown as text, merged
cells spread as Excel shows them — and the other sheets of a workbook read for the 涉密 screen.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Collection
from pathlib import Path

from perfkit.io import values as V
from perfkit.io.base import InputError
from perfkit.io.contract import BY_SHEET, Column, Table
from perfkit.io.headers import RawTable, find_header, frame_from_rows
from perfkit.io.secrecy import SecrecyRefused, flag_kind, secret_list

# A sheet whose declared used range is larger than this is not read: the Excel reader allocates the whole
# rectangle (a stray value in XFD1048576 asks for 17 billion cells, hundreds of GB). 1M rows × 50 columns
# of real data stays below it.
MAX_SHEET_CELLS = 60_000_000


_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')
_DIMENSION = re.compile(r'<dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def sheet_members(z: zipfile.ZipFile) -> dict[str, str]:
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
        c0, r0, c1, r1 = column_index(m.group(1)), int(m.group(2)), column_index(m.group(3)), int(m.group(4))
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
                cols.extend(column_index(c) for c in (min(letters, key=lambda x: (len(x), x)),
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
            cells[(int(ref.group(2)) - 1, column_index(ref.group(1)))] = text
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
        raise InputError(f"{path.name}：无法读取 Excel 工作簿（{calamine_reason(exc)}）") from exc
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
        members = sheet_members(z) if z else {}
        for name, key in wanted.items():
            out[key] = read_sheet(book, z, members, name, path, BY_SHEET[key])
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(f"{path.name}：工作簿已损坏，无法读取") from exc
    finally:
        if z is not None:
            z.close()
    unknown = [str(n) for n in names if re.sub(r"\s+", "", str(n)) not in BY_SHEET]
    notes = [f"{path.name}：未识别的工作表已忽略：{'、'.join(unknown)}"] if unknown else []
    return out, notes


def read_sheet(book: object, z: zipfile.ZipFile | None, members: dict[str, str], name: str, path: Path,
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
        raise InputError(f"{what}：无法读取（{calamine_reason(exc)}）") from exc
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


def screened_sheets(path: Path, skip: Collection[str], list_file: bool = False
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
        raise InputError(f"{path.name}：无法读取 Excel 工作簿，无法核对其中的涉密标识（{calamine_reason(exc)}）") from exc
    out = []
    z = zipfile.ZipFile(path) if is_zip else None
    try:
        members = sheet_members(z) if z else {}
        for name in names:
            if name in skip:
                continue
            whole = list_file or secret_list(name)
            try:
                raw = read_sheet(book, z, members, name, path, SCREEN_TABLE)
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


def workbook_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:
        return []


def calamine_reason(exc: BaseException) -> str:
    """The Excel reader's error, in the user's terms (its own text is English)."""
    kind = type(exc).__name__
    if "Password" in kind:
        return "工作簿有密码保护，请另存为不加密的工作簿"
    if "Zip" in kind or "Xml" in kind:
        return "文件已损坏或不完整"
    return "文件已损坏，或不是 Excel 能打开的格式"

