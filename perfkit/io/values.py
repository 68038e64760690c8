"""Reading cell values the way users type them into Excel/WPS.

Every function here works on a whole column and parses each *distinct* string once (``map_unique``):
a 10-million-row table with a few thousand distinct texts costs a few thousand parses, not ten million.
"""

from __future__ import annotations

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


def map_unique(series: pd.Series, func: Callable[[object], object], dtype: str | None = None) -> pd.Series:
    """Apply ``func`` to each distinct value of ``series`` once and broadcast the results back."""
    codes, uniques = codes_of(series)
    mapped = np.array([func(u) for u in uniques] + [func(None)], dtype=object)
    out = pd.Series(mapped[codes], index=series.index)  # code -1 (NA) picks the last entry: func(None)
    return out.astype(dtype) if dtype else out


def _as_arrow_text(uniques: object) -> pa.Array:
    """Distinct cell values as an arrow string array (numbers and dates as their text)."""
    if isinstance(uniques, pd.Index | pd.Series):
        uniques = uniques.array
    values = uniques if isinstance(uniques, pd.api.extensions.ExtensionArray) else pd.array(uniques)
    if not pd.api.types.is_string_dtype(values.dtype):
        values = pd.array([None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)
                           for v in values], dtype="str")
    return pa.array(values, type=pa.large_string())


def clean_values(uniques: object, nfkc: bool = True) -> pa.Array:
    """Vectorized :func:`normalize_text` over distinct values (pyarrow kernels): NFKC (unless the values
    are names shown to people), trimmed, our export apostrophe removed, blank → null."""
    text = _as_arrow_text(uniques)
    text = pc.utf8_trim_whitespace(pc.utf8_normalize(text, "NFKC") if nfkc else text)
    text = pc.replace_substring_regex(text, r"^'([=+\-@])", r"\1")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)


def numbers_of(cleaned: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized :func:`parse_number` over cleaned distinct values → (float values, unreadable flags)."""
    bare = pc.replace_substring_regex(cleaned, r"[,\s]", "")
    ok = pc.fill_null(pc.match_substring_regex(bare, r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"), False)
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
    table = np.array([mapping.get(u, missing) for u in uniques] + [missing], dtype=dtype)
    return table[codes]


def normalize_text(value: object) -> str | None:
    """NFKC (full-width digits, brackets and punctuation → half-width), trimmed; blank → None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the apostrophe our exports (and Excel users) put before text that looks like a formula
    return text or None




_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_number(value: object) -> float:
    """'80,178.66' → 80178.66; '１００' → 100; blank or unreadable → NaN."""
    text = normalize_text(value)
    if text is None:
        return np.nan
    text = text.replace(",", "").replace(" ", "")
    return float(text) if _NUMBER.match(text) else np.nan


def to_number(series: pd.Series) -> pd.Series:
    """A column of numbers as float64 (NaN where blank or unreadable)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    return map_unique(series, parse_number, "float64")


def is_blank(series: pd.Series) -> pd.Series:
    """True where a cell holds nothing (missing, or only spaces)."""
    if pd.api.types.is_numeric_dtype(series):
        return series.isna()
    codes, uniques = codes_of(series)
    blank = pc.is_null(clean_values(uniques)).to_numpy(zero_copy_only=False)
    return pd.Series(np.append(blank, True)[codes], index=series.index)


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
