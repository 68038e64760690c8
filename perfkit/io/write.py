"""Writing tables users open in Excel/WPS: Chinese headers, money in 万元, inert text.

Every export of text that came from data passes through :func:`inert` so that a project named
``=HYPERLINK(...)`` stays text in Excel and WPS (the CSV/formula-injection class of bugs).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from perfkit.io import values as V
from perfkit.io.contract import BY_NAME, Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# rows of one Excel (2007+) or WPS worksheet, the header included: Microsoft, "Excel specifications and limits"
EXCEL_MAX_ROWS = 1_048_576


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


EXCEL_CELL_LIMIT = 32_767  # characters one Excel/WPS cell holds: Microsoft, "Excel specifications and limits"
CUT_MARK = "…（超出 Excel 单元格上限 {limit} 字，其后 {n} 字未写入）"


def fit_cell(text: object, mark: str = CUT_MARK) -> object:
    """Text longer than a cell holds, cut so that it fits *with* a mark saying so at its end — never
    cut silently (xlsxwriter would drop the rest without a word). ``mark`` may name ``{limit}`` and
    ``{n}`` (the characters left out); other values are returned as they are. Every xlsx writer of
    perfkit goes through it (:func:`fit_frame`, :mod:`perfkit.reporting.workbook`, ``disclose``)."""
    if not isinstance(text, str) or len(text) <= EXCEL_CELL_LIMIT:
        return text
    kept = EXCEL_CELL_LIMIT - len(mark.format(limit=EXCEL_CELL_LIMIT, n=len(text)))
    while len(mark.format(limit=EXCEL_CELL_LIMIT, n=len(text) - kept - 1)) + kept + 1 <= EXCEL_CELL_LIMIT:
        kept += 1  # the count left out may have fewer digits than the first guess: keep what then fits
    return text[:kept] + mark.format(limit=EXCEL_CELL_LIMIT, n=len(text) - kept)


def too_long(series: pd.Series) -> np.ndarray:
    """Which cells of ``series`` hold text longer than an Excel cell (vectorised; numbers never)."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series)
            or isinstance(series.dtype, pd.CategoricalDtype)):
        return np.zeros(len(series), dtype=bool)
    return (series.astype(object).map(lambda v: isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT)
            .to_numpy(dtype=bool) if len(series) else np.zeros(0, dtype=bool))


def fit_frame(frame: pd.DataFrame, mark: str = CUT_MARK) -> tuple[pd.DataFrame, int]:
    """``frame`` with every over-long text cell cut with its mark (:func:`fit_cell`), and how many were
    cut (a copy only when something was cut)."""
    cut = 0
    out = frame
    for c in frame.columns:
        long = too_long(frame[c])
        if long.any():
            if out is frame:
                out = frame.copy()
            col = out[c].astype(object)
            col[long] = [fit_cell(v, mark) for v in col[long]]
            out[c] = col
            cut += int(long.sum())
    return out, cut


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


T = TypeVar("T")
R = TypeVar("R")
Chunk = pd.DataFrame | Callable[[], pd.DataFrame]  # a chunk of a table, or what builds it when called


def in_order(build: Callable[[T], R], chunks: Iterable[T], workers: int = 1) -> Iterator[R]:
    """``build`` of every chunk, in order, on ``workers`` threads with at most ``workers`` + 1 chunks under
    way — so that the text of a province's 8M indicator rows is built on every core while memory holds a
    few chunks, never the whole table. Worth it because the work is Arrow's (string kernels, casts),
    which runs without Python's global lock (benchmarks/bench_command.py measures it)."""
    if workers <= 1:
        yield from map(build, chunks)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(build, chunk))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _built(chunk: Chunk) -> pd.DataFrame:
    return chunk() if callable(chunk) else chunk


def write_csv(frame: pd.DataFrame | Iterable[Chunk], path: Path, workers: int = 1) -> Path:
    """UTF-8 with BOM (Excel opens it as Chinese), inert text, written atomically.

    ``frame`` may also be an iterable of frames with the same columns — or of functions that build
    them — written one after the other under one header, so a table of millions of rows whose text is
    built per chunk never has all of that text in memory at once; ``workers`` threads build and encode
    chunks side by side (:func:`in_order`).

    The bytes are those of ``pandas.DataFrame.to_csv`` after :func:`inert_frame` (the contract's form;
    tests/test_write.py compares them), produced by :func:`csv_bytes` in Arrow: at province scale the
    pandas writer and a per-cell neutralisation took most of ``perfkit score``'s time."""
    chunks = [frame] if isinstance(frame, pd.DataFrame) else frame

    categories: dict = {}  # a categorical column's prepared categories, shared by its chunks

    def encode(numbered: tuple[int, Chunk]) -> bytes | memoryview:
        i, chunk = numbered
        built = _built(chunk)
        if i == 0 and built.shape[1] >= 2:  # the header, then the rows (written by Arrow)
            return _csv_header(built.columns) + csv_bytes(built, header=False, categories=categories)
        # later chunks: rows only; a one-column table goes through pandas, which writes its header itself
        return csv_bytes(built, header=i == 0, categories=categories)

    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        fh.write(codecs.BOM_UTF8)
        for body in in_order(encode, enumerate(chunks), workers):
            fh.write(body)
    return path


def write_parquet(frame: pd.DataFrame | Iterable[Chunk], path: Path, workers: int = 1) -> Path:
    """The same table as Parquet (zstd), written atomically; chunks (frames, or functions that build
    them, on ``workers`` threads) become row groups of one file.

    Text is kept as it is (no apostrophe before a formula start): Parquet is read by programs, which do
    not run formulas, and a value must stay the value."""
    import pyarrow.parquet as pq

    chunks = [frame] if isinstance(frame, pd.DataFrame) else frame
    with atomic_path(path) as tmp:
        writer = None
        try:
            for table in in_order(lambda c: _arrow_table(_built(c)), chunks, workers):
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
    return path


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table; an object column mixing types (the quarantine list's 行: numbers and
    text) becomes text, as the CSV shows it."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        fixed = frame.copy()
        for c in fixed.columns:
            if fixed[c].dtype == np.dtype(object):
                fixed[c] = V.map_unique(fixed[c], lambda v: None if v is None or pd.isna(v) else str(v))
        return pa.Table.from_pandas(fixed, preserve_index=False)


def write_csv_pandas(frame: pd.DataFrame | Iterable[Chunk], path: Path, workers: int = 1) -> Path:
    """The reference writer (pandas' ``to_csv`` on :func:`inert_frame`, one chunk after another; ``workers``
    is accepted and ignored): what :func:`write_csv`'s bytes are tested against."""
    chunks = [frame] if isinstance(frame, pd.DataFrame) else frame
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        for i, chunk in enumerate(chunks):
            inert_frame(_built(chunk)).to_csv(fh, index=False, header=i == 0)
    return path


def csv_bytes(frame: pd.DataFrame, header: bool = True, categories: dict | None = None) -> bytes | memoryview:
    """``frame`` as CSV (no BOM): the bytes ``inert_frame(frame).to_csv(index=False)`` writes, built
    column by column in Arrow — numbers cast in C, text neutralised and quoted as whole arrays, a
    categorical's text prepared once per category. Column types it does not render (dates, a one-column
    table, whose empty row the csv module quotes) go through pandas."""
    if frame.shape[1] < 2:
        return _pandas_csv(frame, header)
    fields = [_csv_fields(frame.iloc[:, i], categories) for i in range(frame.shape[1])]
    if any(f is None for f in fields):
        return _pandas_csv(frame, header)
    head = _csv_header(frame.columns) if header else b""
    if not len(frame):
        return head
    fields[-1] = pc.binary_join_element_wise(fields[-1], _s(os.linesep), _s(""))  # the line end, on the last field
    body = pc.binary_join_element_wise(*fields, _s(","))
    del fields
    arr = body.combine_chunks() if isinstance(body, pa.ChunkedArray) else body
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    text = memoryview(data)[int(offsets[0]):int(offsets[-1])]
    return head + text.tobytes() if head else text


def _pandas_csv(frame: pd.DataFrame, header: bool) -> bytes:
    return inert_frame(frame).to_csv(index=False, header=header).encode("utf-8")


def _csv_header(columns: pd.Index) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=os.linesep).writerow([str(c) for c in columns])
    return buf.getvalue().encode("utf-8")


# a text the csv module quotes (QUOTE_MINIMAL: the delimiter, the quote, the line end); a lone \r is
# quoted too, which the csv module of Python 3.11 does not do and Excel would read as a line break
_NEEDS_QUOTES = r'[,"\r\n]'
# what :func:`inert` neutralises: a formula start followed by at least one more character
_FORMULA = r"(?s)^[=+\-@\t\r]."  # FORMULA_START as a character class (a test checks they agree)


def _s(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _text_fields(arr: pa.Array) -> pa.Array:
    """Text values → CSV fields: formula-leading text prefixed with ', quoted where needed; null → "".
    Each rewrite is computed only when some value needs it (most columns need neither)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    formula = pc.match_substring_regex(arr, _FORMULA)
    if pc.any(formula).as_py():
        arr = pc.if_else(formula, pc.binary_join_element_wise(_s("'"), arr, _s("")), arr)
    needs = pc.match_substring_regex(arr, _NEEDS_QUOTES)
    if pc.any(needs).as_py():
        quoted = pc.binary_join_element_wise(_s('"'), pc.replace_substring(arr, '"', '""'), _s('"'), _s(""))
        arr = pc.if_else(needs, quoted, arr)
    return pc.fill_null(arr, "")


def _object_field(v: object) -> str:
    """One value of an object column as the csv module writes it after :func:`inert` (str of the value;
    floats by repr; only text is neutralised)."""
    if isinstance(v, str):
        text = "'" + v if len(v) > 1 and v.startswith(FORMULA_START) else v
    elif isinstance(v, float):
        text = repr(v)
    elif isinstance(v, np.bool_):
        text = str(bool(v))
    else:
        text = str(v)
    if re.search(_NEEDS_QUOTES, text):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _float_fields(values: np.ndarray) -> pa.Array:
    """Floats as pandas writes them (Python's repr: 100.0, 0.25, 1e-05); NaN → "". Arrow casts in C, and
    gives repr's shortest digits wherever it writes no exponent; the rest (tiny, huge) go through repr."""
    nan = np.isnan(values)
    text = pc.cast(pa.array(values), pa.large_string())
    mag = np.abs(values)
    plain = ~nan & ~np.asarray(pc.match_substring(text, "e"), dtype=bool) & (mag < 1e16) & ((mag >= 1e-4) | (values == 0))
    integral = plain & (values == np.round(values))
    text = pc.if_else(pa.array(integral), pc.binary_join_element_wise(text, _s(".0"), _s("")), text)
    rest = np.flatnonzero(~plain & ~nan)
    if len(rest):
        out = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        out[rest] = [repr(float(v)) for v in values[rest]]
        text = pa.array(out, pa.large_string())
    return pc.if_else(pa.array(nan), pa.scalar("", pa.large_string()), text)


def _csv_fields(s: pd.Series, categories: dict | None = None) -> pa.Array | None:
    """One column's CSV fields (text, one per row), or None for a type left to pandas. ``categories``
    keeps a categorical's prepared categories for the next chunk of the same column (a province's
    项目编码 has a million: prepared once per file, not once per chunk)."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        known = categories.get(id(dtype.categories)) if categories is not None else None
        if known is not None and known[0] is dtype.categories:
            cats = known[1]
        else:
            cats = _csv_fields(pd.Series(dtype.categories))
            if cats is None:
                return None
            cats = pa.concat_arrays([cats, pa.array([""], pa.large_string())])  # the last: a missing value
            if categories is not None:  # the categories themselves kept: their id stays theirs
                categories[id(dtype.categories)] = (dtype.categories, cats)
        codes = s.cat.codes.to_numpy()
        return cats.take(pa.array(np.where(codes < 0, len(cats) - 1, codes)))
    if pd.api.types.is_bool_dtype(dtype):
        na = s.isna().to_numpy()
        vals = s.to_numpy(dtype=bool, na_value=False)
        return pa.array(np.where(na, "", np.where(vals, "True", "False")), pa.large_string())
    if pd.api.types.is_integer_dtype(dtype):
        na = s.isna().to_numpy()
        text = pc.cast(pa.array(s.to_numpy(dtype=np.int64, na_value=0)), pa.large_string())
        return pc.if_else(pa.array(na), pa.scalar("", pa.large_string()), text) if na.any() else text
    if pd.api.types.is_float_dtype(dtype):
        return V.per_distinct(_float_fields, s.to_numpy(dtype=float, na_value=np.nan))
    if isinstance(dtype, pd.StringDtype):
        return _text_fields(pa.array(s, from_pandas=True))
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if len(uniques) and all(isinstance(u, str) for u in uniques):
            text = _text_fields(pa.array(np.asarray(uniques, dtype=object), pa.large_string()))
        elif any(isinstance(u, dt.date | dt.time | np.generic) and not isinstance(u, np.bool_) for u in uniques):
            return None  # dates, numpy scalars: pandas formats them its own way
        else:
            text = pa.array([_object_field(u) for u in uniques], pa.large_string())
        text = pa.concat_arrays([text, pa.array([""], pa.large_string())])
        return text.take(pa.array(np.where(codes < 0, len(text) - 1, codes)))
    return None


def write_tables_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Contract tables (internal names) → one workbook, one sheet each, in form order."""
    with atomic_path(path) as tmp, excel_writer(tmp) as xl:
        for name, frame in tables.items():
            table = BY_NAME[name]
            sheet = fit_frame(to_contract_frame(frame, table))[0]  # an over-long cell cut with a mark
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
