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

from perfkit.io.contract import FALSE_WORDS, TRUE_WORDS

FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 元 = 1,000,000 分
FEN_PER_YUAN = 100


def map_unique(series: pd.Series, func: Callable[[object], object], dtype: str | None = None) -> pd.Series:
    """Apply ``func`` to each distinct value of ``series`` once and broadcast the results back."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([func(u) for u in uniques] + [func(None)], dtype=object)
    out = pd.Series(mapped[codes], index=series.index)  # code -1 (NA) picks the last entry: func(None)
    return out.astype(dtype) if dtype else out


def normalize_text(value: object) -> str | None:
    """NFKC (full-width digits, brackets and punctuation → half-width), trimmed; blank → None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the apostrophe our exports (and Excel users) put before text that looks like a formula
    return text or None


def clean_text(series: pd.Series) -> pd.Series:
    """Text column as users typed it, normalized; blank cells become missing."""
    if series.dtype != object and not pd.api.types.is_string_dtype(series):
        series = series.astype(object).where(series.notna(), None)
    return map_unique(series, normalize_text, "string")


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
    return map_unique(series, lambda v: normalize_text(v) is None, "bool")


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


def to_bool(series: pd.Series) -> pd.Series:
    """A boolean column; unreadable values come back as None so validation can name them."""
    return map_unique(series, parse_bool)


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
    cats = pd.array(np.asarray(cat.categories, dtype=object), dtype="str")
    codes = np.asarray(cat.codes)
    out = cats.take(codes, allow_fill=True)
    return pd.Series(out, index=values.index if isinstance(values, pd.Series) else None)


def money_to_fen(wan_or_yuan: pd.Series, per_unit_fen: int) -> pd.Series:
    """Amounts → integer 分 (Int64), so that every total is exact to the cent.

    ``per_unit_fen`` is 1,000,000 when the column is in 万元 and 100 when its header says 元. Values are
    rounded half-up at the cent via their decimal text, never by binary floating point.
    """
    def fen(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return pd.NA
        return int((Decimal(repr(float(value))) * per_unit_fen).quantize(Decimal(1), ROUND_HALF_UP))

    return map_unique(wan_or_yuan, fen, "Int64")


def fen_to_wan(fen: pd.Series | int) -> pd.Series | float:
    """分 → 万元 for display (the exact figure stays in 分)."""
    return fen / FEN_PER_WAN


def format_wan(fen: int | float | None, digits: int = 2) -> str:
    """An amount in 分 printed as 万元 with thousands separators, half-up at the last digit: 80,178.66."""
    if fen is None or pd.isna(fen):
        return "—"
    value = (Decimal(int(fen)) / FEN_PER_WAN).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{value:,.{digits}f}"
