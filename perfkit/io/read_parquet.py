"""The Parquet reader: text columns dictionary-encoded (categoricals whose categories stay Arrow
strings), text stored as bytes decoded, and the monthly tables read for one month while reading (row
groups of other months skipped unread) — the province-scale path, where memory is the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa_
import pyarrow.compute as pc_

from perfkit.io.base import InputError
from perfkit.io.contract import BY_SHEET
from perfkit.io.headers import MONTHLY_SHEETS, header_labels, match_headers, sheet_name


def read_parquet(file: Path, month: int | None) -> pd.DataFrame:
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
    sheet = sheet_name(file)
    repeated = len(set(schema.names)) < len(schema.names)  # read by position, then named as in a sheet
    labels, notes = header_labels(schema.names, file.name) if repeated else (schema.names, [])
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

