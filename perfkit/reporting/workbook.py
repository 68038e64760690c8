"""One layout for every workbook finance staff print and keep working in.

The proposal workbook (预算安排建议), each unit's feedback list (绩效评价结果明细) and the explorer's
export all go through :func:`write_table`, so they look alike and print alike:

- row 1: the table's title, merged across the table's width; row 2: the column heads; data from row 3;
- column widths that show the names (a Chinese character counts as two);
- A4 landscape, fit to one page wide, the title and head rows repeated on every printed page, page
  numbers in the footer, panes frozen under the head;
- money given in 分 and written in 万元 with two decimals and thousands separators, rates as %;
- a 合计 row whose money totals are summed exactly in 分 (a SUM formula whose cached value is the exact
  total), and a note under it that says what is rounded and by how much the total differs from the sum
  of the rows as shown.

Text from data stays inert (perfkit.io.write.excel_writer stores strings as strings, never formulas,
and :func:`perfkit.io.write.inert` puts an apostrophe before text that would run as one); text longer
than an Excel cell holds is cut with a mark at its end and a note under the table (:func:`fit_cell`,
the one helper every perfkit xlsx writer uses).

The cells are written column by column with xlsxwriter itself, not through pandas' ``to_excel``, and
whole columns at once where they hold plain text, numbers or booleans (:mod:`perfkit.reporting.cells`):
the same values, types and formats, several times faster (the explorer's export of a district's 2,207
projects is asked to take at most 500 ms; benchmarks/bench_explorer.py measures it).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.io.values import FEN_PER_WAN, excel_column
from perfkit.io.write import CUT_MARK, EXCEL_CELL_LIMIT, fit_cell, inert_frame
from perfkit.reporting.cells import ColumnSheet

__all__ = ["CUT_MARK", "EXCEL_CELL_LIMIT", "Written", "fit_cell", "rounding_note", "shown_hundredths",
           "text_width", "write_table"]

TITLE_ROW, HEAD_ROW, FIRST_ROW = 0, 1, 2  # 0-based rows: the title, the column heads, the first data row
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
HUNDREDTH_FEN = FEN_PER_WAN // 100  # 0.01 万元 in 分: the last digit a money cell shows
MIN_WIDTH, MAX_WIDTH = 6, 40  # characters (a Chinese character counts as two); longer text wraps
A4 = 9  # xlsxwriter's paper code for A4
ROUNDING_NOTE = "注：合计按分精确计算，各行显示值四舍五入至0.01万元，合计可能与各行显示值之和略有差异"
CUT_NOTE = "注：本表 {n} 个单元格的文字超出 Excel 单元格上限（{limit} 字），已截断，截断处在单元格末尾注明"
# the number formats pandas gives dates and times (kept so that a table reads as it did through to_excel)
DATETIME_FORMAT, DATE_FORMAT = "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD"


@dataclass
class Written:
    """Where a table landed: its sheet, its 合计 row (0-based, None without one), the note under it and
    how many cells were cut at Excel's cell limit."""
    sheet: str
    rows: int
    total_row: int | None
    note: str
    cut: int = 0


def text_width(text: object) -> int:
    """Display width of a cell's text: East Asian wide/full-width characters count as two, others one."""
    s = "" if text is None else str(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _column_width(head: str, values: pd.Series, shown_as: str | None) -> float:
    """Characters needed to show the head and the widest value as the number format shows it."""
    if shown_as is not None:
        v = pd.to_numeric(values, errors="coerce").astype(float).abs()
        top = float(v.max()) if v.notna().any() else 0.0
        widest = {"money": len(f"{top:,.2f}") + 1, "count": len(f"{top:,.0f}") + 1,
                  "percent": len(f"{top:.1%}"), "decimal": len(f"{top:,.2f}") + 1}[shown_as]
    else:  # each distinct text measured once (a unit's list or a district's 2,000 projects alike) —
        texts = pd.Series(pd.unique(values.dropna().astype(str)), dtype=object)
        lengths = texts.str.len().to_numpy() if len(texts) else np.zeros(0, dtype=int)
        longest = int(lengths.max()) if len(lengths) else 0
        # … and only those that can be the widest: a text is at least its length wide and at most twice
        widest = longest if longest + 2 >= MAX_WIDTH else max(map(text_width, texts[2 * lengths >= longest]), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, text_width(head), widest) + 2))


def shown_hundredths(fen: np.ndarray) -> np.ndarray:
    """分 → the hundredths of 万元 a cell formatted ``#,##0.00`` shows (half away from zero, as Excel)."""
    fen = fen.astype(np.int64)
    return np.sign(fen) * ((np.abs(fen) + HUNDREDTH_FEN // 2) // HUNDREDTH_FEN)


def rounding_note(frame: pd.DataFrame, money: Iterable[str]) -> str:
    """The note under a 合计 row: what is rounded, and for this table by how much each money column's
    exact total differs from the sum of its rows as shown."""
    gaps = []
    for col in money:
        fen = pd.to_numeric(frame[col], errors="coerce").dropna().to_numpy(np.int64)
        gap = int(shown_hundredths(fen).sum() - shown_hundredths(np.array([fen.sum()]))[0])
        if gap:
            gaps.append(f"「{col}」相差{abs(gap) / 100:.2f}万元")
    return ROUNDING_NOTE + (f"（本表{'、'.join(gaps)}）。" if gaps else "（本表各列无差异）。")


def write_table(xl: pd.ExcelWriter, sheet: str, frame: pd.DataFrame, title: str, *, money: Iterable[str] = (),
                percent: Iterable[str] = (), decimals: Iterable[str] = (), counts: Iterable[str] = (),
                total: bool = False, sums: Iterable[str] = (), freeze_columns: int = 2,
                page_header: str | None = None) -> Written:
    """``frame`` as one sheet of ``xl`` in the shared layout (see the module's docstring).

    ``money`` columns hold 分 (integers; empty cells stay empty) and are written in 万元; ``percent``
    columns hold fractions; ``decimals`` are scores shown with two decimals; ``counts`` integers with
    separators. With ``total`` a 合计 row sums the money columns (exactly, from 分) and the ``sums``
    columns, and a note under it says what is rounded. ``page_header`` is printed at the top of every
    page (e.g. 内部资料 不得公开)."""
    money, percent, decimals, counts, sums = (list(x) for x in (money, percent, decimals, counts, sums))
    book = xl.book
    fmt = _formats(book)
    out = inert_frame(frame.reset_index(drop=True))
    for c in money:
        out[c] = pd.to_numeric(frame[c].reset_index(drop=True), errors="coerce").astype("Float64") / FEN_PER_WAN
    ws = book.get_worksheet_by_name(sheet) or book.add_worksheet(sheet, worksheet_class=ColumnSheet)
    cut = sum(_write_column(ws, book, c, out.iloc[:, c]) for c in range(len(out.columns)))
    ncols = len(out.columns)
    if ncols > 1:
        ws.merge_range(TITLE_ROW, 0, TITLE_ROW, ncols - 1, title, fmt["title"])
    else:
        ws.write_string(TITLE_ROW, 0, title, fmt["title"])
    ws.set_row(TITLE_ROW, 28)
    kinds = {**dict.fromkeys(counts, "count"), **dict.fromkeys(decimals, "decimal"),
             **dict.fromkeys(percent, "percent"), **dict.fromkeys(money, "money")}
    number = {"money": fmt["money"], "count": fmt["count"], "percent": fmt["percent"], "decimal": fmt["decimal"]}
    for c, col in enumerate(out.columns):
        ws.write_string(HEAD_ROW, c, str(col), fmt["head"])
        kind = kinds.get(col)
        width = _column_width(str(col), frame[col], kind)
        ws.set_column(c, c, width, number.get(kind, fmt["wrap"] if width >= MAX_WIDTH else None))
    last_data = FIRST_ROW + len(out) - 1
    ws.freeze_panes(FIRST_ROW, min(freeze_columns, ncols))
    if len(out):
        ws.autofilter(HEAD_ROW, 0, last_data, ncols - 1)
    total_row, note = None, ""
    if total:
        total_row = FIRST_ROW + len(out)
        ws.write_string(total_row, 0, "合计", fmt["total_text"])
        for c, col in enumerate(out.columns):
            if c == 0:
                continue
            letter = excel_column(c)
            span = f"=SUM({letter}{FIRST_ROW + 1}:{letter}{total_row})"  # 1-based: the data rows
            if col in money:  # the exact total in 分, shown in 万元: never a sum of rounded floats
                exact = int(pd.to_numeric(frame[col], errors="coerce").dropna().astype(np.int64).sum())
                _total(ws, total_row, c, span if len(out) else None, fmt["total_money"], exact / FEN_PER_WAN)
            elif col in sums:
                exact = pd.to_numeric(frame[col], errors="coerce").sum()
                _total(ws, total_row, c, span if len(out) else None, fmt["total_count"], float(exact))
            else:
                ws.write_blank(total_row, c, None, fmt["total_text"])
        if money:
            note = rounding_note(frame, money)
            if ncols > 1:
                ws.merge_range(total_row + 1, 0, total_row + 1, ncols - 1, note, fmt["note"])
            else:
                ws.write_string(total_row + 1, 0, note, fmt["note"])
            ws.set_row(total_row + 1, 30)
    if cut:  # said under the table (and under its 合计 note), as disclose says it
        below = (total_row + (2 if note else 1)) if total_row is not None else FIRST_ROW + len(out)
        said = CUT_NOTE.format(n=cut, limit=EXCEL_CELL_LIMIT)
        if ncols > 1:
            ws.merge_range(below, 0, below, ncols - 1, said, fmt["note"])
        else:
            ws.write_string(below, 0, said, fmt["note"])
    _print_setup(ws, page_header)
    return Written(sheet, len(out), total_row, note, cut)


def _write_column(ws: object, book: object, col: int, values: pd.Series) -> int:
    """One column's data cells from row :data:`FIRST_ROW`, as ``DataFrame.to_excel`` writes them — numbers
    as numbers, text as text (never a formula: the writer's options), booleans as TRUE/FALSE, dates with
    pandas' date formats, empty cells left empty — but straight through xlsxwriter. Returns how many
    over-long texts were cut (with their mark)."""
    cut = 0
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        values = values.astype(object)
        dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) and not values.hasnans:
        cells, write = values.tolist(), ws.write_boolean
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        floats = values.astype("Float64").astype(float).to_numpy()  # NA → NaN, written as an empty cell
        cells = [None if v != v or v in (np.inf, -np.inf) else v for v in floats.tolist()]
        if np.isinf(floats).any():  # pandas writes an infinity as the text "inf"
            cells = [("inf" if v > 0 else "-inf") if v in (np.inf, -np.inf) else c
                     for v, c in zip(floats.tolist(), cells, strict=True)]
            return _write_any(ws, book, col, cells)
        if pd.api.types.is_integer_dtype(dtype) and not values.hasnans:
            cells = values.tolist()  # integers stay integers
        write = ws.write_number
    else:
        cells = values.astype(object).where(values.notna(), None).tolist()
        plain = True
        for i, v in enumerate(cells):
            if type(v) is str:
                if len(v) > EXCEL_CELL_LIMIT:
                    cells[i], cut = fit_cell(v), cut + 1
            elif v is not None:
                plain = False
        if not plain:
            return _write_any(ws, book, col, cells) + cut
        write = ws.write_string
    kind = {ws.write_string: "string", ws.write_number: "number", ws.write_boolean: "boolean"}[write]
    if isinstance(ws, ColumnSheet) and ws.write_column(FIRST_ROW, col, cells, kind):
        return cut  # the whole column at once (perfkit.reporting.cells), the same XML
    # the cell writers without their public wrapper (which only translates "A1" addresses): a third of
    # the time of a district's export; the public one where a later xlsxwriter renamed them
    write = getattr(ws, f"_write_{kind}", write)
    for row, value in enumerate(cells, FIRST_ROW):
        if value is not None and value != "":  # an empty text is an empty cell, as with to_excel
            write(row, col, value)
    return cut


def _write_any(ws: object, book: object, col: int, cells: list) -> int:
    """A column of mixed values, each written by its type as pandas does."""
    for row, value in enumerate(cells, FIRST_ROW):
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, str) and value == ""):
            continue
        if isinstance(value, float) and value != value:
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            ws.write_number(row, col, value)
        elif isinstance(value, str):
            ws.write_string(row, col, value)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value, _formats(book)["datetime"])
        elif isinstance(value, dt.date):
            ws.write_datetime(row, col, value, _formats(book)["date"])
        else:
            ws.write_string(row, col, str(value))
    return 0


def _total(ws: object, row: int, col: int, formula: str | None, fmt: object, value: float) -> None:
    """A total as a SUM formula over the rows (it follows edits) whose cached value is the exact total;
    a table without rows gets the number (a SUM over no rows would point at itself)."""
    if formula is None:
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_formula(row, col, formula, fmt, value)


def _print_setup(ws: object, page_header: str | None) -> None:
    """A4 landscape, one page wide, title and heads repeated on every page, page numbers at the foot."""
    ws.set_paper(A4)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(TITLE_ROW, HEAD_ROW)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    ws.set_footer("&C第 &P 页，共 &N 页")
    if page_header:
        ws.set_header(f"&C{page_header}")


def _formats(book: object) -> dict[str, object]:
    """The workbook's cell formats, made once per workbook (xlsxwriter keeps each format it is given)."""
    cache = getattr(book, "_perfkit_formats", None)
    if cache is None:
        cache = {
            "title": book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
            "head": book.add_format({"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True,
                                     "align": "center", "valign": "vcenter"}),
            "money": book.add_format({"num_format": MONEY_FORMAT}),
            "count": book.add_format({"num_format": COUNT_FORMAT}),
            "percent": book.add_format({"num_format": PERCENT_FORMAT}),
            "decimal": book.add_format({"num_format": "0.00"}),
            "total_text": book.add_format({"bold": True, "top": 1}),
            "total_money": book.add_format({"bold": True, "top": 1, "num_format": MONEY_FORMAT}),
            "total_count": book.add_format({"bold": True, "top": 1, "num_format": COUNT_FORMAT}),
            "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
            "note": book.add_format({"text_wrap": True, "valign": "top", "font_size": 9}),
            "datetime": book.add_format({"num_format": DATETIME_FORMAT}),
            "date": book.add_format({"num_format": DATE_FORMAT}),
        }
        book._perfkit_formats = cache
    return cache
