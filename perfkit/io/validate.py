"""Contract-driven validation shared by every reader: one raw table (:class:`~perfkit.io.headers.RawTable`)
→ its typed valid rows and its quarantined rows, each quarantined cell named by file, sheet, Excel row
and column with what was expected and what was found (pandera checks, in the user's words). Every parse
runs once per distinct value and is broadcast by codes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa_
import pyarrow.compute as pc_

from perfkit.io import values as V
from perfkit.io.contract import Column, Table, classified_flag
from perfkit.io.dataset import QUARANTINE_COLUMNS
from perfkit.io.headers import MONEY_UNITS, RawTable, match_headers

if TYPE_CHECKING:  # imported where raw input is validated: a snapshot's reader (each report kernel) never needs it
    import pandera.pandas as pa

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
    # the prepared columns as they are, not copied into a frame beside themselves (an 8M-row table: a
    # third of a GB less while it is checked)
    frame = pd.DataFrame(prepared, index=raw.index, copy=False)
    del prepared
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
