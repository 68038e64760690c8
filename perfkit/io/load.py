"""Loading the contract tables from one workbook or one folder, with pandera validation and quarantine.

The promise to users (DATA_CONTRACT.md): forgiving headers, money in 万元 unless the header says 元,
valid rows load, invalid rows are quarantined with file / sheet / Excel row / column / what was
expected / what was found, and the counts always reconcile: rows read = rows loaded + rows quarantined.
A file that cannot be read at all raises :class:`InputError` with one line a finance analyst understands.
"""

from __future__ import annotations

import html
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
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
from perfkit.io.contract import BY_SHEET, TABLES, Column, Table

if TYPE_CHECKING:  # imported where raw input is validated: a snapshot's reader (each report kernel) never needs it
    import pandera.pandas as pa

QUARANTINE_COLUMNS = ["文件", "工作表", "行", "列", "期望", "实际", "说明"]
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
FOLDER_SUFFIXES = (".csv", ".parquet")


@dataclass
class Dataset:
    """The contract tables as loaded (internal column names), with what was quarantined and why."""

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

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
    """'全年预算数（万元）' → ('全年预算数', '万元'); spaces and full-width brackets forgiven."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw)))
    match = _BRACKETED.match(text)
    if match:
        return match["name"], match["unit"]
    return text, ""


def match_headers(raw_headers: Iterable[object], table: Table) -> tuple[dict[object, Column], dict[str, str]]:
    """Map the file's headers to contract columns; also return the unit printed in each header."""
    lookup: dict[str, Column] = {}
    for col in table.columns:
        for name in (col.header, *col.aliases):
            lookup[name] = col
    mapping: dict[object, Column] = {}
    units: dict[str, str] = {}
    for raw in raw_headers:
        name, unit = split_header(raw)
        col = lookup.get(name)
        if col is not None and col.name not in units:
            mapping[raw] = col
            units[col.name] = unit
    return mapping, units


# ---------------------------------------------------------------------------------------------- reading


def _read_csv(path: Path) -> pd.DataFrame:
    """CSV as text; UTF-8 (with or without BOM) first, then GBK/GB18030 as Chinese Excel saves it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError as exc:
            raise InputError(f"{path.name}：文件是空的，没有表头也没有数据") from exc
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(f"{path.name}：无法按 CSV 读取（{_first_line(exc)}）") from exc
    raise InputError(f"{path.name}：编码既不是 UTF-8 也不是 GBK，无法读取")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def formulas_without_values(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Cells of an .xlsx that hold a formula but no calculated value (a workbook saved by a program that
    does not calculate). Read naively they would be blank and vanish silently; the loader shows the
    formula text instead, so validation names the cell. Returns {sheet: {(data row, column): formula}}."""
    found: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if "xl/workbook.xml" not in names:
            return found
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace") if "xl/_rels/workbook.xml.rels" in names \
            else ""
        targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
        targets.update({k: v for v, k in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
        for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', book):
            target = targets.get(rid, "")
            member = "xl/" + target.lstrip("/").removeprefix("xl/")
            if member not in names:
                continue
            xml = z.read(member).decode("utf-8", "replace")
            if "<f" not in xml:
                continue
            cells = {}
            for col, row, inner in _CELL.findall(xml):
                if inner and "<f" in inner and not re.search(r"<v>[^<]+</v>", inner):
                    formula = re.sub(r"<[^>]+>", "", re.search(r"<f[^>]*>(.*?)</f>|<f[^>]*/>", inner, re.S).group(0))
                    cells[(int(row) - 2, _column_index(col))] = "=" + html.unescape(formula)
            if cells:
                found[re.sub(r"\s+", "", html.unescape(name))] = cells
    return found


def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """All sheets of an .xlsx/.xls as raw frames (python-calamine: ~10× faster than openpyxl)."""
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}：文件是空的（0 字节）")
    if path.suffix.lower() != ".xls" and not zipfile.is_zipfile(path):
        raise InputError(f"{path.name}：不是有效的 Excel 工作簿（文件损坏、被加密，或扩展名与内容不符）")
    try:
        sheets = pd.read_excel(path, sheet_name=None, engine="calamine", dtype=object)
    except Exception as exc:  # calamine raises several private types for broken files
        raise InputError(f"{path.name}：无法读取 Excel 工作簿（{_first_line(exc)}）") from exc
    sheets = {re.sub(r"\s+", "", str(name)): frame for name, frame in sheets.items()}
    if path.suffix.lower() != ".xls":
        try:
            uncalculated = formulas_without_values(path)
        except (zipfile.BadZipFile, KeyError, AttributeError):
            uncalculated = {}
        for name, cells in uncalculated.items():
            frame = sheets.get(name)
            if frame is None:
                continue
            for (r, c), formula in cells.items():
                if 0 <= r < len(frame) and c < len(frame.columns):
                    frame.iat[r, c] = formula
    return sheets


MONTHLY_SHEETS = ("执行监控", "指标监控")


def _read_parquet(file: Path, month: int | None) -> pd.DataFrame:
    """Parquet with every text column dictionary-encoded (categorical: codes + distinct values, which is
    what validation works on), and monthly tables filtered to ``month`` while reading."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(file)
    text = [f.name for f in schema if pa_.types.is_string(f.type) or pa_.types.is_large_string(f.type)]
    filters = None
    if month is not None and file.stem in MONTHLY_SHEETS and "月份" in schema.names and \
            pa_.types.is_integer(schema.field("月份").type):
        filters = [("月份", "==", int(month))]
    return arrow_to_frame(pq.read_table(file, read_dictionary=text, filters=filters))


def arrow_to_frame(table: pa_.Table) -> pd.DataFrame:
    """An arrow table → pandas, dictionary columns as categoricals whose categories stay arrow strings.

    ``Table.to_pandas`` turns every dictionary into Python string objects (a million 项目编码 is a million
    objects, and each later parse of the distinct values would loop over them); codes and an arrow-backed
    category index cost a fraction of that."""
    chunked = [n for n in table.column_names
               if pa_.types.is_dictionary(table.column(n).type) and table.column(n).num_chunks > 1]
    if chunked:  # one dictionary per row group → one for the column
        unified = table.select(chunked).unify_dictionaries()
        for n in chunked:
            table = table.set_column(table.column_names.index(n), n, unified.column(n))
    out: dict[str, object] = {}
    for name in table.column_names:
        col = table.column(name)
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
    return pd.DataFrame(out)


def only_month(frame: pd.DataFrame, sheet: str, month: int | None) -> pd.DataFrame:
    """Monthly monitoring rows of the as-of month only (the monitoring rules use cumulative values)."""
    if month is None or sheet not in MONTHLY_SHEETS:
        return frame
    header = next((h for h in frame.columns if split_header(h)[0] == "月份"), None)
    if header is None:
        return frame
    return frame.loc[V.to_number(frame[header]).to_numpy() == month]


def read_folder(path: Path, month: int | None = None) -> dict[str, tuple[Callable[[], pd.DataFrame], str]]:
    """A folder of ``<sheet>.csv`` / ``<sheet>.parquet`` files → a reader per sheet, with its file name.

    Files are read when their table is validated, one at a time, so that a province's raw tables are
    never all in memory at once next to the validated ones."""
    found: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {}
    for file in sorted(path.iterdir()):
        if file.suffix.lower() not in FOLDER_SUFFIXES or file.stem not in BY_SHEET:
            continue
        if file.stat().st_size == 0:
            raise InputError(f"{file.name}：文件是空的（0 字节）")
        found[file.stem] = (partial(_read_file, file, month), file.name)
    return found


def _read_file(file: Path, month: int | None) -> pd.DataFrame:
    if file.suffix.lower() == ".csv":
        return _read_csv(file)
    try:
        return _read_parquet(file, month)
    except Exception as exc:
        raise InputError(f"{file.name}：无法读取 Parquet 文件（{_first_line(exc)}）") from exc


# ---------------------------------------------------------------------------------------------- validation

NUMERIC_KINDS = ("number", "money", "int", "percent")
BAD = "__unreadable"  # suffix of the flag column that marks a cell whose text could not be read


def _broadcast(per_value: list | np.ndarray, codes: np.ndarray, missing: object, dtype: object) -> np.ndarray:
    """Per-distinct-value results → one per row (code −1 takes ``missing``)."""
    table = np.asarray(list(per_value) + [missing], dtype=dtype)
    return table[codes]


def _text_categorical(cleaned: object, codes: np.ndarray) -> pd.Categorical:
    """Cleaned distinct texts → a categorical over the rows (two spellings that clean alike merge)."""
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
    if col.kind in NUMERIC_KINDS:
        numbers, bad = V.numbers_of(cleaned_arrow)
        return {col.name: _broadcast(numbers, codes, np.nan, float), col.name + BAD: _broadcast(bad, codes, False, bool)}
    if col.kind == "bool":
        parsed = [V.parse_bool(c) for c in cleaned_arrow.to_pylist()]
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
            expected = "应为 是/否（Y/N、1/0、✓/空）" if c.kind == "bool" else "应为数字"
            columns[c.name + BAD] = pa.Column(None, pa.Check(lambda s: ~s, error=expected), required=False)
    unique = [u for u in table.unique if u in present] or None
    return pa.DataFrameSchema(columns, unique=unique, report_duplicates="exclude_first")


def _convert(frame: pd.DataFrame, table: Table, units: dict[str, str]) -> pd.DataFrame:
    """Validated columns → the internal types: money in integer 分, text dictionary-encoded (categorical:
    codes + distinct values; at province scale plain strings would take four times the memory)."""
    out = {}
    n = len(frame)
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
        s = frame[col.name]
        if col.kind == "money":
            out[col.name] = V.to_fen(s.to_numpy(float), MONEY_UNITS[units.get(col.name, "")])
        elif col.kind == "int":
            out[col.name] = pd.array(s.to_numpy(float), dtype="Float64").astype("Int64")
        elif col.kind in ("number", "percent", "bool"):
            out[col.name] = s.to_numpy()
        else:
            out[col.name] = s
    return pd.DataFrame(out, index=frame.index)


def _shown(value: object) -> str:
    text = V.normalize_text(value)
    return "（空）" if text is None else str(value)


def _table_failure(file: str, sheet: str, n: int, column: str, expected: str, found: str) -> pd.DataFrame:
    rows = "全部" if n != 1 else "2"
    return pd.DataFrame([[file, sheet, rows, column, expected, found,
                          f"整张表无法载入，{n} 行全部隔离：{column} {expected}，实际为 {found}"]],
                        columns=QUARANTINE_COLUMNS)


def validate_table(raw: pd.DataFrame, table: Table, file: str, known: dict[str, pd.Index] | None = None
                   ) -> tuple[pd.DataFrame | None, pd.DataFrame, dict[str, int], list[str]]:
    """One raw sheet → (typed valid rows, quarantine rows, counts, notes).

    Row numbers are those Excel shows: the header is row 1, the first data row is row 2.
    """
    known = known or {}
    raw = raw.reset_index(drop=True)
    blank = np.ones(len(raw), dtype=bool)
    for c in raw.columns:
        blank &= V.is_blank(raw[c]).to_numpy()
    notes: list[str] = []
    if blank.any():
        notes.append(f"{file}「{table.sheet}」：{int(blank.sum())} 个空行已忽略（不计入读入行数）")
    raw = raw.loc[~blank]
    n = len(raw)
    mapping, units = match_headers(raw.columns, table)
    missing = [c for c in table.columns if c.required and c.name not in units]
    if missing:
        found = "、".join(str(h) for h in raw.columns) or "（无表头）"
        q = _table_failure(file, table.sheet, n, "、".join(c.header for c in missing), "缺少必需的列", found)
        return None, q, {"读入": n, "载入": 0, "隔离": n}, notes
    unknown = [str(h) for h in raw.columns if h not in mapping and not str(h).startswith("Unnamed")]
    if unknown:
        notes.append(f"{file}「{table.sheet}」：未识别的列已忽略：{'、'.join(unknown)}")
    for name, unit in units.items():
        col = table.column(name)
        if col.kind == "money" and unit not in MONEY_UNITS:
            q = _table_failure(file, table.sheet, n, col.header, "金额单位为 万元 或 元", unit)
            return None, q, {"读入": n, "载入": 0, "隔离": n}, notes
    prepared: dict[str, object] = {}
    for raw_header, col in mapping.items():
        prepared.update(prepare_column(raw[raw_header], col))
    frame = pd.DataFrame(prepared, index=raw.index)
    by_name = {c.name: h for h, c in mapping.items()}
    import pandera.pandas as pa  # here, not at module level: reading a snapshot never validates

    schema = _schema(table, set(frame.columns), known, units)
    bad = pd.DataFrame(columns=QUARANTINE_COLUMNS)
    bad_index: np.ndarray = np.array([], dtype=int)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])
        cases = cases[cases["index"].isin(frame.index)]
        name = cases["column"].astype(str).str.removesuffix(BAD)
        headers = {c.name: c.header for c in table.columns}
        check = cases["check"].astype(str)
        is_dup = check.str.contains("uniqueness")
        expected = check.mask(check.eq("not_nullable"), "必填，不能为空").where(~is_dup, "唯一，不能重复")
        column = name.map(headers).fillna(name)
        if is_dup.any():  # pandera names one column of a multi-column key; name the whole key
            key = "+".join(headers[u] for u in table.unique if u in frame.columns)
            column = column.where(~is_dup, key)
        idx = cases["index"].astype(int).to_numpy()
        found_text = [_shown(raw.at[i, by_name[c]]) if c in by_name else "" for i, c in zip(idx, name, strict=True)]
        bad = pd.DataFrame({"文件": file, "工作表": table.sheet, "行": idx + 2, "列": column.to_numpy(),
                            "期望": expected.to_numpy(), "实际": found_text})
        bad["说明"] = bad["列"] + "：期望" + bad["期望"] + "，实际为「" + bad["实际"] + "」"
        bad = bad.drop_duplicates().sort_values(["行", "列"], kind="stable").reset_index(drop=True)
        bad_index = np.unique(idx)
    good = frame.drop(index=bad_index) if len(bad_index) else frame
    typed = _convert(good, table, units)
    typed["_row"] = (good.index.to_numpy() + 2).astype("int32")  # row numbers up to 2.1 billion
    counts = {"读入": n, "载入": len(typed), "隔离": int(len(bad_index))}
    return typed.reset_index(drop=True), bad, counts, notes


# ---------------------------------------------------------------------------------------------- entry


def load(path: str | Path, month: int | None = None) -> Dataset:
    """Load every contract table found in a workbook (.xlsx/.xls) or a folder (.csv/.parquet).

    Tables are validated in dependency order so that 单位编码 and 项目编码 references can be checked.
    With ``month``, the two monthly monitoring tables are read (and validated, and counted) for that
    month only — at province scale they are the bulk of the data and the rules need one month.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到数据：{path}")
    if path.is_dir() and (path / SNAPSHOT_MARK).exists():
        return load_snapshot(path)
    if path.is_dir():
        raw = read_folder(path, month)
        if not raw:
            raise InputError(f"{path}：文件夹中没有合同规定的表（如 项目.csv、绩效自评.csv）")
        kind = "folder"
    elif path.suffix.lower() in EXCEL_SUFFIXES:
        raw = {k: ((lambda v=v: v), path.name) for k, v in read_workbook(path).items()}
        kind = "workbook"
    else:
        raise InputError(f"{path.name}：不支持的文件类型（应为 .xlsx/.xls 工作簿，或含 .csv/.parquet 的文件夹）")
    dataset = Dataset(source=str(path))
    unknown_sheets = [s for s in raw if s not in BY_SHEET]
    if kind == "workbook" and unknown_sheets:
        dataset.notes.append(f"{path.name}：未识别的工作表已忽略：{'、'.join(unknown_sheets)}")
    if not any(s in BY_SHEET for s in raw):
        raise InputError(f"{path.name}：没有合同规定的工作表（应有 项目、绩效自评 等；见 data/templates）")
    quarantines, counts = [], []
    known: dict[str, pd.Index] = {}
    for table in TABLES:
        if table.sheet not in raw:
            continue
        reader, file = raw.pop(table.sheet)
        frame = reader()
        if month is not None and table.sheet in MONTHLY_SHEETS:
            frame = only_month(frame, table.sheet, month)
            dataset.notes.append(f"{file}「{table.sheet}」：只读取 {month} 月数据（监控截至月份）")
        refs = {}
        if table.name == "projects" and "unit_id" in known:
            refs["unit_id"] = known["unit_id"]
        if table.needs_project and "project_id" in known:
            refs["project_id"] = known["project_id"]
        typed, bad, count, notes = validate_table(frame, table, file, refs)
        del frame  # the raw table is not needed once validated
        quarantines.append(bad)
        counts.append({"表": table.sheet, "文件": file, **count})
        dataset.notes.extend(notes)
        if typed is None:
            continue
        dataset.tables[table.name] = typed
        if table.name == "units":
            known["unit_id"] = pd.Index(typed["unit_id"].dropna().unique())
        elif table.name == "projects":
            known["project_id"] = pd.Index(typed["project_id"].dropna().unique())
    unify_categories(dataset.tables)
    nonempty = [q for q in quarantines if len(q)]
    dataset.quarantine = (pd.concat(nonempty, ignore_index=True) if nonempty
                          else pd.DataFrame(columns=QUARANTINE_COLUMNS))
    dataset.counts = pd.DataFrame(counts, columns=["表", "文件", "读入", "载入", "隔离"])
    return dataset


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
    meta = {"source": ds.source, "notes": ds.notes, "tables": sorted(ds.tables)}
    (folder / SNAPSHOT_MARK).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def load_snapshot(folder: Path) -> Dataset:
    import json

    meta = json.loads((folder / SNAPSHOT_MARK).read_text(encoding="utf-8"))
    ds = Dataset(source=meta["source"], notes=list(meta["notes"]))
    ds.tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in meta["tables"]}
    unify_categories(ds.tables)
    ds.quarantine = pd.read_parquet(folder / "_quarantine.parquet")
    ds.counts = pd.read_parquet(folder / "_counts.parquet")
    return ds
