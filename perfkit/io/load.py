"""Loading the contract tables from one workbook or one folder, with pandera validation and quarantine.

The promise to users: forgiving headers, money in 万元 unless the header says 元,
valid rows load, invalid rows are quarantined with file / sheet / Excel row / column / what was
expected / what was found, and the counts always reconcile: rows read = rows loaded + rows quarantined.
A file that cannot be read at all raises :class:`InputError` with one line a finance analyst understands.

This module dispatches: a workbook to :mod:`perfkit.io.read_xlsx`, a folder's files to
:mod:`perfkit.io.read_csv` and :mod:`perfkit.io.read_parquet`, every table to the one validation
(:mod:`perfkit.io.validate`, headers matched by :mod:`perfkit.io.headers`), and the result is a
:class:`~perfkit.io.dataset.Dataset` (:mod:`perfkit.io.dataset`). The names it always offered are
importable from here as before.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io import values as V
from perfkit.io.base import SNAPSHOT_MARK, InputError, MissingTableError
from perfkit.io.contract import BY_SHEET, TABLES, Table
from perfkit.io.dataset import (
    QUARANTINE_COLUMNS,
    Dataset,
    TableRecord,
    forget_lookups,
    summarize_records,
    take_records,
    unify_categories,
)
from perfkit.io.headers import (
    HEADER_SCAN_ROWS,
    MONEY_UNITS,
    MONTHLY_SHEETS,
    RawTable,
    find_header,
    frame_from_rows,
    match_headers,
    sheet_name,
    split_header,
)
from perfkit.io.read_csv import read_csv
from perfkit.io.read_parquet import OTHER_MONTHS, PARQUET_NOTES, arrow_to_frame, read_parquet
from perfkit.io.read_xlsx import (
    MAX_SHEET_CELLS,
    SCREEN_TABLE,
    cells_the_reader_misses,
    check_dimension,
    read_workbook,
    screened_sheets,
    workbook_names,
)
from perfkit.io.secrecy import Secrecy, SecrecyRefused, apply, screen_table, secret_list
from perfkit.io.snapshot import load_snapshot, save_snapshot
from perfkit.io.validate import BAD, prepare_column, validate_table

__all__ = [  # the loader's names, wherever they now live
    "BAD", "EXCEL_SUFFIXES", "FOLDER_SUFFIXES", "HEADER_SCAN_ROWS", "MAX_SHEET_CELLS", "MONEY_UNITS",
    "MONTHLY_SHEETS", "NOT_READ", "OTHER_MONTHS", "PARQUET_NOTES", "QUARANTINE_COLUMNS", "REFERENCED",
    "SCREEN_TABLE", "Dataset", "InputError", "MissingTableError", "RawTable", "TableRecord", "arrow_to_frame",
    "cells_the_reader_misses", "check_dimension", "find_header", "frame_from_rows", "load", "load_snapshot",
    "match_headers", "only_month", "prepare_column", "read_folder", "read_workbook", "release_memory",
    "return_large_blocks",
    "save_snapshot", "screen_extras", "split_header", "summarize_records", "take_records", "unify_categories",
    "forget_lookups",
    "validate_table",
]

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
FOLDER_SUFFIXES = (".csv", ".parquet")
NOT_READ = "不是 .csv 或 .parquet 文件，未读取"  # in the note on a table file a folder holds in another format


def screen_extras(path: Path, sec: Secrecy) -> None:
    """The 涉密 screen over what the loader does not read as a contract table: the other sheets of a
    workbook; in a folder, the files that are not contract tables (涉密项目清单.csv …) and every sheet
    of a workbook lying beside the CSVs."""
    if path.is_file():
        contract = {n for n in workbook_names(path) if re.sub(r"\s+", "", str(n)) in BY_SHEET}
        for name, raw, whole in screened_sheets(path, contract):
            screen_table(sec, raw.frame, path.name, name, raw.header_row, raw.above, whole_list=whole)
        return
    for file in sorted(path.iterdir()):
        suffix = file.suffix.lower()
        if not file.is_file() or file.name.startswith((".", "~$")):
            continue
        whole = secret_list(file.stem)
        if suffix in EXCEL_SUFFIXES:
            for name, raw, whole_sheet in screened_sheets(file, (), whole):
                screen_table(sec, raw.frame, file.name, name, raw.header_row, raw.above, whole_list=whole_sheet)
        elif suffix in FOLDER_SUFFIXES and sheet_name(file) not in BY_SHEET:
            if file.stat().st_size == 0:
                continue
            try:
                raw = _read_file(file, SCREEN_TABLE, None)
            except InputError as exc:
                raise SecrecyRefused(f"{exc}（无法核对此文件中的涉密标识，未写出任何文件；不是数据的文件请移出数据文件夹）"
                                     ) from exc
            screen_table(sec, raw.frame, file.name, file.stem, raw.header_row, raw.above, whole_list=whole)


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
            if sheet_name(file) in BY_SHEET and file.is_file():  # 执行监控.pq, 项目.xlsx: named as a table
                other_kinds.append(file.name)
            continue
        key = sheet_name(file)
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
        return read_csv(file, table)
    try:
        frame = read_parquet(file, month)
        return RawTable(frame, notes=frame.attrs.pop(PARQUET_NOTES, []))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{file.name}：无法读取 Parquet 文件（文件已损坏，或不是 Parquet 格式）") from exc


# ---------------------------------------------------------------------------------------------- entry


def release_memory() -> None:
    """Hand memory freed by the last big step back to the operating system (glibc's ``malloc_trim``; a no-op
    elsewhere). The C allocator keeps freed blocks for reuse, so a province's raw tables, freed once
    validated, would otherwise stay in the process's resident memory — next to the second process of a
    two-core ``perfkit score`` (measured: 0.65 GB less after loading the monitoring tables of 1M
    projects, in 0.04 s)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


# glibc's mallopt parameter: blocks of at least this many bytes get a mapping of their own
_M_MMAP_THRESHOLD = -3
# the size from which a block gets its own mapping, given back to the system the moment it is freed. glibc
# starts at 128 KiB and raises it to the largest block freed (up to 32 MiB), after which the column-sized
# temporaries of an 8M-row table (1–32 MiB apiece) are carved from the heap, whose freed gaps stay resident
# and between live blocks even malloc_trim cannot return. Fixed at 1 MiB: loading 绩效自评 of 1M projects
# peaked at 1.94 GB instead of 2.27 GB and left 1.04 GB resident instead of 1.31 GB, in the same time
# (docs/performance.md; 128 KiB saved a little more and took longer: a page fault per fresh block)
LARGE_BLOCK_BYTES = 1 << 20


def return_large_blocks() -> None:
    """Give every block of :data:`LARGE_BLOCK_BYTES` or more its own mapping from now on (glibc's
    ``mallopt``; a no-op elsewhere), so that the memory of a big temporary goes back to the system when it is
    freed instead of staying in the heap beside what is still in use. Called by ``perfkit score`` and its
    second process, which are the processes whose peak is the province-scale limit."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)


def _libc():
    """glibc (for ``malloc_trim`` and ``mallopt``), found on first use; None where there is none."""
    global _LIBC
    if _LIBC is None:
        import ctypes
        import ctypes.util

        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC = lib if hasattr(lib, "malloc_trim") and hasattr(lib, "mallopt") else False
        except OSError:
            _LIBC = False
    return _LIBC or None


_LIBC = None  # glibc, found on first use (False where there is none)

# glibc's tunable (2.35 and later) under which malloc asks for transparent huge pages on the mappings it
# makes — with LARGE_BLOCK_BYTES, every big temporary. Each fresh block is otherwise faulted in 4 KiB page by
# page: at 1M projects a two-core perfkit score took 14–15 million page faults and 37–42 s of system time
# beside 93–98 s of user time; with the tunable 6.5 million and 32–33 s, and 3.6–4.8 s less wall time, at the
# same peak (docs/performance.md). It is read when a process starts, so it is given in the environment of
# the processes perfkit score starts (its second process, and itself once: :func:`needs_huge_pages`).
HUGE_PAGES = "glibc.malloc.hugetlb=1"


def with_huge_pages(env: dict[str, str]) -> dict[str, str]:
    """``env`` with :data:`HUGE_PAGES` among its ``GLIBC_TUNABLES`` (kept as it is if the user set that
    tunable); other C libraries and older glibc ignore it."""
    tunables = env.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.hugetlb" in tunables:
        return dict(env)
    return {**env, "GLIBC_TUNABLES": ":".join(t for t in (tunables, HUGE_PAGES) if t)}


def needs_huge_pages() -> bool:
    """Would this process run with :data:`HUGE_PAGES` if restarted (Linux with glibc, not set yet)?"""
    import platform
    import sys

    return (sys.platform == "linux" and platform.libc_ver()[0] == "glibc"
            and "glibc.malloc.hugetlb" not in os.environ.get("GLIBC_TUNABLES", ""))


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
        stray_mark = any(sheet_name(f) in BY_SHEET for f in path.iterdir() if f.suffix.lower() in FOLDER_SUFFIXES)
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
        # the hash tables the checks built on each text column's categories (a Python string per 项目编码,
        # 项目名称 …) are dropped table by table, not at the end: loading 项目 and 绩效自评 of 1M projects
        # peaked at 1.67 GB instead of 1.94 GB (the next table's checks rebuild the one they need)
        forget_lookups(dataset.tables.values())
        if table.name == "units":
            known["unit_id"] = pd.Index(typed["unit_id"].dropna().unique())
            set_aside["unit_id"] = rejected.get("unit_id", pd.Series(dtype="int64"))
        elif table.name == "projects":
            known["project_id"] = pd.Index(typed["project_id"].dropna().unique())
            set_aside["project_id"] = rejected.get("project_id", pd.Series(dtype="int64"))
    apply(sec, dataset.tables)
    dataset.secrecy = sec
    unify_categories(dataset.tables)
    forget_lookups(dataset.tables.values())
    summarize_records(dataset)
    return dataset

