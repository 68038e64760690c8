"""Reading cell values the way users type them into Excel/WPS.

Every function here works on a whole column and parses each *distinct* string once (``map_unique``):
a 10-million-row table with a few thousand distinct texts costs a few thousand parses, not ten million.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from perfkit.io.contract import FALSE_WORDS, TRUE_WORDS

FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 分
FEN_PER_YUAN = 100


def codes_of(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """A column as (codes, distinct values); code −1 marks a missing cell. Free for a categorical (its
    own codes), one hash pass otherwise — every per-distinct-value helper below starts here."""
    cat = values.array if isinstance(values, pd.Series) else values
    if isinstance(cat, pd.Categorical):
        return np.asarray(cat.codes), cat.categories
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, pd.Index(uniques)


def per_distinct(fmt: Callable[..., pa.Array], x: np.ndarray, *args: object) -> pa.Array:
    """``fmt(x, *args)`` (text for a float array) computed on the distinct values of a long array and
    put back in place: a column of scores or weights has a few hundred values over millions of rows.
    Values are told apart by their bits, so -0.0 and 0.0 (which a CSV prints differently) stay two."""
    if len(x) < 4096:
        return fmt(x, *args)
    # one hash pass over the bits (np.unique sorted a million values per column and chunk: 15× slower)
    where, bits = pd.factorize(np.ascontiguousarray(x, dtype=float).view(np.int64))
    if len(bits) > len(x) // 4:
        return fmt(x, *args)
    return fmt(np.ascontiguousarray(bits).view(float), *args).take(pa.array(where))


def python_values(values: pd.Index | pd.api.extensions.ExtensionArray) -> list:
    """Distinct values as a list of Python objects — text converted in C (iterating an Arrow-backed index
    costs a Python call per value: a province's 180,000 distinct 实际完成值, chunk after chunk)."""
    if pd.api.types.is_string_dtype(values.dtype):
        return np.asarray(values, dtype=object).tolist()
    return list(values)


def map_unique(series: pd.Series, func: Callable[[object], object], dtype: str | None = None) -> pd.Series:
    """Apply ``func`` to each distinct value of ``series`` once and broadcast the results back."""
    codes, uniques = codes_of(series)
    mapped = np.array([func(u) for u in uniques] + [func(None)], dtype=object)
    out = pd.Series(mapped[codes], index=series.index)  # code -1 (NA) picks the last entry: func(None)
    return out.astype(dtype) if dtype else out


def cell_text(value: object) -> str | None:
    """A cell's value as the text Excel shows for it: 100.0 → "100", 0.30000000000000004 → "0.3", a date
    cell → "2022-12-31" (never a serial number or "00:00:00"), TRUE/FALSE; missing → None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        if np.isinf(value):
            return "∞" if value > 0 else "-∞"
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{float(value):.15g}"
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return cell_text(pd.Timestamp(value))
    return str(value)


def _as_arrow_text(uniques: object) -> pa.Array:
    """Distinct cell values as an arrow string array (numbers and dates as the text Excel shows)."""
    if isinstance(uniques, pd.Index | pd.Series):
        uniques = uniques.array
    values = uniques if isinstance(uniques, pd.api.extensions.ExtensionArray) else pd.array(uniques)
    if not pd.api.types.is_string_dtype(values.dtype):
        values = pd.array([cell_text(v) for v in np.asarray(values, dtype=object)], dtype="str")
    out = pa.array(values, type=pa.large_string())
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out  # an arrow-backed column comes chunked


CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{fffe}\x{ffff}]"  # RE2 (arrow) syntax
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_values(uniques: object, nfkc: bool = True) -> pa.Array:
    """Vectorized :func:`normalize_text` over distinct values (pyarrow kernels): NFKC (unless the values
    are names shown to people), trimmed, our export apostrophe removed, blank → null."""
    text = _as_arrow_text(uniques)
    # control characters (NUL, BEL, ESC …) cannot be stored in the XML of a Word or Excel file, and no
    # user means them: dropped here, once, so that one stray byte in a name cannot stop a letter or report
    text = pc.replace_substring_regex(text, CONTROL_CHARACTERS, "")
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(text, "NFKC") if nfkc else text)
    text = pc.replace_substring_regex(text, r"^'([=+\-@])", r"\1")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)


# A number as users type it: a comma (or a space) groups thousands only in groups of three — 1,5 and
# 1 234,5 (a decimal comma) and 1.234,56 are not numbers perfkit guesses at: the cell is quarantined
NUMBER_PATTERN = (r"^[+-]?(\d{1,3}(,\d{3})+|\d{1,3}( \d{3})+|\d+)(\.\d*)?([eE][+-]?\d+)?$"
                  r"|^[+-]?\.\d+([eE][+-]?\d+)?$")


def numbers_of(cleaned: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized :func:`parse_number` over cleaned distinct values → (float values, unreadable flags)."""
    spaced = pc.replace_substring_regex(cleaned, r"\s+", " ")
    ok = pc.fill_null(pc.match_substring_regex(spaced, NUMBER_PATTERN), False)
    bare = pc.replace_substring_regex(spaced, r"[, ]", "")
    values = pc.cast(pc.if_else(ok, bare, pa.scalar(None, pa.large_string())), pa.float64())
    numbers = values.to_numpy(zero_copy_only=False).astype(float)
    unreadable = pc.and_(pc.is_valid(cleaned), pc.invert(ok)).to_numpy(zero_copy_only=False)
    return numbers, unreadable.astype(bool)


def _codes_and_keys(series: pd.Series, squash: bool) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct texts + a final "" for missing); with ``squash`` the texts lose all white space."""
    codes, uniques = codes_of(series)
    keys = pa.array(pd.Index(uniques).astype("str").array, type=pa.large_string())
    if squash:
        keys = pc.replace_substring_regex(keys, r"\s+", "")
    return codes, np.append(keys.to_numpy(zero_copy_only=False), "")


def same_text(a: pd.Series, b: pd.Series, squash: bool = False) -> np.ndarray:
    """Row-wise: do two text columns hold the same text (missing counts as empty; with ``squash``, white
    space is ignored)? Works on the distinct values of each column — two columns of millions of rows with
    different category sets are compared by their codes, never by materializing the strings."""
    ca, ka = _codes_and_keys(a, squash)
    cb, kb = _codes_and_keys(b, squash)
    ids, _ = pd.factorize(np.concatenate([ka, kb]))
    return ids[: len(ka)][ca] == ids[len(ka):][cb]  # code −1 (missing) picks the final "" key


def matches(series: pd.Series, pattern: str) -> np.ndarray:
    """Boolean array: does the text match the RE2 ``pattern`` (missing → False)? One arrow regex over the
    distinct values, broadcast by codes."""
    codes, keys = _codes_and_keys(series, squash=False)
    hit = pc.fill_null(pc.match_substring_regex(pa.array(keys[:-1], type=pa.large_string()), pattern), False)
    return np.append(hit.to_numpy(zero_copy_only=False), False)[codes]


def as_categorical(series: pd.Series) -> pd.Categorical:
    """Any text column as a categorical (free for one that already is)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array
    codes, uniques = codes_of(series)
    return pd.Categorical.from_codes(codes, categories=uniques.astype(object), validate=False)


def pick(condition: object, yes: pd.Series, no: pd.Series) -> pd.Series:
    """Row-wise ``yes`` where ``condition`` holds, else ``no``, for text columns, done on the codes of
    the two columns' joint categories (np.where on millions of strings would copy every one)."""
    a, b = as_categorical(yes), as_categorical(no)
    categories = a.categories.append(b.categories.difference(a.categories, sort=False))
    to_joint = np.append(categories.get_indexer(b.categories), -1)
    codes = np.where(np.asarray(condition, dtype=bool), a.codes, to_joint[b.codes])
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories, validate=False), index=yes.index)


def with_values(series: pd.Series, values: list[str]) -> pd.Series:
    """A categorical column that can also hold ``values`` (so ``mask``/``where`` may set them)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return series
    new = [v for v in values if v not in series.cat.categories]
    return series.cat.add_categories(new) if new else series


def group_key(key: object) -> object:
    """A key to group by: a categorical column groups by its codes (fast; only the values present come
    out, in the categorical's dtype so that results of several group-bys align); anything else as an array."""
    if isinstance(key, pd.Series) and isinstance(key.dtype, pd.CategoricalDtype):
        return key.array
    return np.asarray(key)


def lookup(series: pd.Series, mapping: dict, dtype: object = object) -> np.ndarray:
    """``series.map(mapping)`` looked up once per distinct value (missing or unmapped → None/NaN).

    Series.map on millions of strings runs Python per row; this runs it per distinct value."""
    codes, uniques = codes_of(series)
    missing = np.nan if np.dtype(dtype).kind == "f" else None
    table = np.array([mapping.get(u, missing) for u in python_values(uniques)] + [missing], dtype=dtype)
    return table[codes]


def normalize_text(value: object) -> str | None:
    """NFKC (full-width digits, brackets and punctuation → half-width), trimmed; blank → None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = unicodedata.normalize("NFKC", _CONTROL.sub("", str(value))).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the apostrophe our exports (and Excel users) put before text that looks like a formula
    return text or None




_NUMBER = re.compile(NUMBER_PATTERN)


def parse_number(value: object) -> float:
    """'80,178.66' → 80178.66; '１００' → 100; '1,5' (a decimal comma), blank or unreadable → NaN."""
    text = normalize_text(value)
    if text is None:
        return np.nan
    text = re.sub(r"\s+", " ", text)
    return float(re.sub(r"[, ]", "", text)) if _NUMBER.match(text) else np.nan


_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4,
              "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}


def chinese_number(text: str) -> float:
    """Chinese numerals as people write amounts: '一百二十' → 120, '一千零五' → 1005, '壹佰贰拾万' →
    1,200,000, '1.2万' → 12,000, '三点五' → 3.5. Anything else → NaN (the caller reports it)."""
    text = (text or "").strip()
    if not text:
        return np.nan
    mixed = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)([万萬亿])", text.replace(",", ""))
    if mixed:
        return float(mixed.group(1)) * _CN_BIG[mixed.group(2)]
    whole, _, frac = text.partition("点")
    total, section, number, seen = 0.0, 0.0, 0.0, False
    for ch in whole:
        if ch in _CN_DIGITS:
            number, seen = _CN_DIGITS[ch], True
        elif ch in _CN_SMALL:
            section += (number if seen and number else 1) * _CN_SMALL[ch]
            number, seen = 0, True
        elif ch in _CN_BIG:
            section += number
            total = (total + section) * _CN_BIG[ch] if ch == "亿" else total + section * _CN_BIG[ch]
            section, number, seen = 0, 0, True
        else:
            return np.nan
    if not seen:
        return np.nan
    value = total + section + number
    if frac:
        if any(ch not in _CN_DIGITS for ch in frac):
            return np.nan
        value += float("0." + "".join(str(_CN_DIGITS[ch]) for ch in frac))
    return value


def amount_in_words(value: object) -> tuple[float, bool]:
    """An amount written in words or with its own unit, as on hand-filled forms → (amount, in_yuan).

    '一百二十万' / '120万元' / '壹佰贰拾万元整' → (1,200,000, True): the text names its unit, so the amount
    is in 元 whatever unit the form's header prints; '一百二十' → (120, False): a bare number in the
    form's unit. Unreadable → (NaN, False)."""
    text = normalize_text(value)
    if text is None:
        return np.nan, False
    text = re.sub(r"\s+", "", text).removeprefix("人民币").removesuffix("整").removesuffix("正")
    in_yuan = False
    for suffix in ("元", "圆"):
        if text.endswith(suffix):
            text, in_yuan = text[: -len(suffix)], True
    if text[-1:] in _CN_BIG:
        in_yuan = True
    number = parse_number(text)
    if np.isnan(number):
        number = chinese_number(text)
    return number, in_yuan and not np.isnan(number)


_MONTH_WORDS = {"正": 1, "冬": 11, "腊": 12}


def parse_month(value: object) -> float:
    """A 月份 cell as units write it → 1–12 (other numbers are returned as they are, for the range check
    to name): 5, 05, 5.0, 5月, 5月份, 五月, 十二月, 2022-05, 2022/5, 2022年5月, 2022.05, a date cell
    (2022-05-31). Unreadable → NaN."""
    text = normalize_text(value)
    if text is None:
        return np.nan
    text = re.sub(r"\s+", "", text)
    m = re.fullmatch(r"(\d{1,2})(?:\.0+)?(?:月份?)?", text) or \
        re.fullmatch(r"\d{4}(?:[-/.]|年)(\d{1,2})(?:月份?)?(?:(?:[-/.]|月)\d{1,2}日?)?(?:\d{2}:\d{2}(?::\d{2})?)?", text)
    if m:
        return float(m.group(1))
    m = re.fullmatch(r"(?:\d{4}年)?(.{1,3}?)月份?", text)
    if m:
        word = m.group(1)
        if word in _MONTH_WORDS:
            return float(_MONTH_WORDS[word])
        number = chinese_number(word)
        if not np.isnan(number) and number == int(number):
            return number
    return np.nan


def to_number(series: pd.Series) -> pd.Series:
    """A column of numbers as float64 (NaN where blank or unreadable)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    return map_unique(series, parse_number, "float64")


def to_month(series: pd.Series) -> pd.Series:
    """A 月份 column as float64 month numbers (:func:`parse_month` once per distinct value; NaN where
    blank or unreadable)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    return map_unique(series, parse_month, "float64")


def is_blank(series: pd.Series) -> pd.Series:
    """True where a cell holds nothing (missing, or only spaces)."""
    if pd.api.types.is_numeric_dtype(series):
        return series.isna()
    codes, uniques = codes_of(series)
    text = _as_arrow_text(uniques)
    # only a value without a letter or digit can clean to nothing (NFKC never turns one into a space or a
    # control character): the others — nearly all of a million 项目编码 — are not cleaned to be told apart
    maybe = np.flatnonzero(~pc.fill_null(pc.match_substring_regex(text, r"[\p{L}\p{N}]"), False)
                           .to_numpy(zero_copy_only=False))
    blank = np.zeros(len(text) + 1, dtype=bool)
    blank[-1] = True  # code −1: a missing cell
    if len(maybe):
        blank[maybe] = pc.is_null(clean_values(text.take(pa.array(maybe)))).to_numpy(zero_copy_only=False)
    return pd.Series(blank[codes], index=series.index)


def parse_bool(value: object) -> bool | None:
    """是/否, Y/N, 1/0, TRUE/FALSE, ✓/空 → True/False; anything else → None (a validation finding)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = normalize_text(value)
    key = (text or "").lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    return None




def to_fen(amounts: np.ndarray, per_unit_fen: int) -> pd.arrays.IntegerArray:
    """Amounts (万元, or 元 when the header says so) → integer 分, rounded half-up at the cent.

    Exact for any amount given to the cent below 10^9 万元: the product stays far inside float64's
    53-bit integer range, so the only rounding is the intended one.
    """
    amounts = np.asarray(amounts, dtype=float)
    fen = np.floor(amounts * per_unit_fen + 0.5)
    missing = np.isnan(fen)
    return pd.arrays.IntegerArray(np.where(missing, 0, fen).astype(np.int64), missing)


def decode(values: pd.Series | pd.Categorical) -> pd.Series:
    """A categorical of texts → plain strings (one arrow take, no per-row Python)."""
    cat = values.array if isinstance(values, pd.Series) else values
    if not isinstance(cat, pd.Categorical):
        return pd.Series(values).astype("str")
    cats = cat.categories.array
    if not pd.api.types.is_string_dtype(cats.dtype) or isinstance(cats, np.ndarray):
        cats = pd.array(np.asarray(cat.categories, dtype=object), dtype="str")
    codes = np.asarray(cat.codes)
    out = cats.take(codes, allow_fill=True)
    return pd.Series(out, index=values.index if isinstance(values, pd.Series) else None)






def plain_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with its categorical text columns decoded to plain strings, for building sentences.

    Loaded text stays dictionary-encoded (codes + distinct values) through the analyses — at province
    scale that is the difference between 1 GB and 4 GB — and becomes plain text only for the rows a
    sentence is written for.
    """
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return frame
    return frame.assign(**{c: decode(frame[c]) for c in cats})


def format_wan(fen: int | float | None, digits: int = 2) -> str:
    """An amount in 分 printed as 万元 with thousands separators, half-up at the last digit: 80,178.66."""
    if fen is None or pd.isna(fen):
        return "—"
    value = (Decimal(int(fen)) / FEN_PER_WAN).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{value:,.{digits}f}"


def excel_column(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column letters Excel shows (messages, formulas in exports)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
