"""Writing tables users open in Excel/WPS: Chinese headers, money in 万元, inert text.

Every export of text that came from data passes through :func:`inert` so that a project named
``=HYPERLINK(...)`` stays text in Excel and WPS (the CSV/formula-injection class of bugs).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from perfkit.io import values as V
from perfkit.io.contract import BY_NAME, Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(series: pd.Series) -> pd.Series:
    """Text that Excel would run as a formula gets a leading apostrophe; numbers are left alone.

    A lone ``=``, ``-`` or ``+`` cannot run anything and stays as it is (比较方式 ``=`` of the contract)."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series)):
        return series

    def fix(v: object) -> object:
        if isinstance(v, str) and len(v) > 1 and v.startswith(FORMULA_START):
            return "'" + v
        return v

    return V.map_unique(series, fix).where(series.notna(), None)


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of ``frame`` made inert (a copy; the input is never modified)."""
    return frame.apply(inert)


def to_contract_frame(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Internal table → the form as users see it: Chinese headers, money in 万元, 是/否."""
    out = pd.DataFrame(index=frame.index)
    for col in table.columns:
        if col.name not in frame:
            continue
        s = frame[col.name]
        if col.kind == "money":
            s = s.astype("Float64") / V.FEN_PER_WAN
        elif col.kind == "bool":
            s = s.map({True: "是", False: "否"})
        out[col.header] = s
    return out


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Write to a temporary file beside ``target`` and move it into place only when writing succeeded."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def excel_writer(path: Path, in_memory: bool = False) -> pd.ExcelWriter:
    """An xlsxwriter-backed writer that stores every string as text, never as a formula or a URL, so
    data such as ``=HYPERLINK(...)`` or ``=100%`` stays inert without altering it.

    ``in_memory`` for many small workbooks (one per unit): no temporary file per worksheet."""
    return pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": {
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        "in_memory": in_memory}})


def write_csv(frame: pd.DataFrame | Iterable[pd.DataFrame], path: Path) -> Path:
    """UTF-8 with BOM (Excel opens it as Chinese), inert text, written atomically.

    ``frame`` may also be an iterable of frames with the same columns, written one after the other
    under one header — so a table of millions of rows whose text is built per chunk never has all of
    that text in memory at once."""
    chunks = [frame] if isinstance(frame, pd.DataFrame) else frame
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        for i, chunk in enumerate(chunks):
            inert_frame(chunk).to_csv(fh, index=False, header=i == 0)
    return path


def write_tables_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Contract tables (internal names) → one workbook, one sheet each, in form order."""
    with atomic_path(path) as tmp, excel_writer(tmp) as xl:
        for name, frame in tables.items():
            table = BY_NAME[name]
            sheet = to_contract_frame(frame, table)
            sheet.to_excel(xl, sheet_name=table.sheet, index=False)
            ws = xl.sheets[table.sheet]
            ws.freeze_panes(1, 0)
            ws.set_column(0, len(sheet.columns) - 1, 14)
    return path


def write_tables_folder(tables: dict[str, pd.DataFrame], folder: Path, fmt: str = "csv") -> Path:
    """Contract tables → ``<sheet>.csv`` (UTF-8 BOM) or ``<sheet>.parquet`` files in one folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        table = BY_NAME[name]
        out = to_contract_frame(frame, table)
        if fmt == "parquet":
            with atomic_path(folder / f"{table.sheet}.parquet") as tmp:
                out.to_parquet(tmp, index=False)
        else:
            write_csv(out, folder / f"{table.sheet}.csv")
    return folder
