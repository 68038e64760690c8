"""Numbers and text as a 说明 writes them: 120, 96.5, 8.62 (never 2.1261e+06 or nan), dates as
2022-12-31, text columns joined row by row — computed once per distinct value or as whole Arrow
arrays, so that a province's 8M 说明 cost a few passes, not 8M string operations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from perfkit.io.values import codes_of, decode, map_unique, per_distinct, python_values


def number_text(v: object, decimals: int = 4) -> str:
    """One number as people write it: 120, 96.5, 8.62, 2126100 — never 2.1261e+06, never inf/nan."""
    if v is None or v is pd.NA:
        return ""
    x = float(v)
    if not math.isfinite(x):
        return ""
    text = f"{round(x, decimals):.{decimals}f}"
    if "." in text:  # trailing zeros of the fraction only: 60 with no decimals stays 60, never 6
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt(values: pd.Series, decimals: int = 4) -> pd.Series:
    """Numbers for 说明 text: :func:`number_text` of each value, computed as whole arrays in Arrow.

    Rounding to ``decimals`` (an integer divided by 10^decimals: the double nearest that decimal) and
    printing the shortest form of the rounded number give exactly what
    ``number_text`` writes wherever the product x·10^decimals is not within a hair of a tie (where the
    multiplication could round the other way than the exact decimal rounding does) and |x| < 1e11 (where
    the 10^-decimals grid points are distinct doubles); those few values, and anything Arrow prints with
    an exponent, are formatted by ``number_text`` itself (tests/test_write.py compares the two)."""
    values = pd.Series(values)
    x = pd.to_numeric(values, errors="coerce").astype(float).to_numpy(dtype=float, na_value=np.nan) \
        if values.dtype == object else values.astype(float).to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(pd.arrays.ArrowStringArray(per_distinct(_fmt_array, x, decimals)), index=values.index)


def _fmt_array(x: np.ndarray, decimals: int) -> pa.Array:
    finite = np.isfinite(x)
    safe = np.where(finite, x, 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = safe * 10.0 ** decimals
        near_tie = np.abs(np.abs(scaled) - np.floor(np.abs(scaled)) - 0.5) < 1e-6
        rounded = np.rint(scaled) / 10.0 ** decimals  # integer ÷ power of ten: the double nearest the decimal
    text = pc.cast(pa.array(rounded), pa.string())
    slow = finite & (near_tie | (np.abs(safe) >= 1e11) | np.asarray(pc.match_substring(text, "e"), dtype=bool))
    text = pc.if_else(pa.array(~finite), "", pc.if_else(pc.equal(text, "-0"), "0", text))
    pos = np.flatnonzero(slow)
    if len(pos):  # few: put number_text's text in their places
        out = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        out[pos] = [number_text(v, decimals) for v in x[pos]]
        text = pa.array(out, pa.string())
    return text


def text_of(values: pd.Series) -> pd.Series:
    """A text column (categorical or not) as plain strings, blank → "" (a categorical cannot take a new
    "" category in ``fillna``, which is what a single blank 指标值 used to crash on)."""
    values = pd.Series(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = decode(values)
    if values.dtype == "str":  # Arrow text already: filled in Arrow, never a Python string per row
        return values.fillna("")
    return values.astype(object).where(values.notna(), "").astype("str")


def fmt_date(values: pd.Series) -> pd.Series:
    """yyyymmdd numbers → 2022-12-31."""
    def show(v: object) -> str:
        if v is None or pd.isna(v) or not math.isfinite(float(v)):
            return ""
        n = int(v)
        return f"{n // 10000}-{n // 100 % 100:02d}-{n % 100:02d}"
    return map_unique(pd.Series(values), show, "string")


def concat_text(*parts: pd.Series | str) -> pd.Series:
    """Row-wise text concatenation of categorical columns (and constant strings), done on the distinct
    combinations of their codes: millions of rows cost as many string joins as there are combinations."""
    series = [p for p in parts if isinstance(p, pd.Series)]
    index = series[0].index
    codes, keys = [], []
    for p in parts:
        if isinstance(p, pd.Series):
            c, u = codes_of(p)
            codes.append(np.asarray(c, dtype=np.int64))
            keys.append([str(v) for v in python_values(u)] + [""])  # code −1 (missing) → ""
        else:
            codes.append(np.zeros(len(index), dtype=np.int64))
            keys.append([p])
    combined = np.zeros(len(index), dtype=np.int64)
    for c, k in zip(codes, keys, strict=True):
        combined = combined * (len(k) + 1) + np.where(c < 0, len(k) - 1, c)
    rows, combos = pd.factorize(combined)
    texts = []
    for value in combos:
        pieces = []
        for k in reversed(keys):
            value, i = divmod(int(value), len(k) + 1)
            pieces.append(k[i])
        texts.append("".join(reversed(pieces)))
    text_codes, categories = pd.factorize(np.asarray(texts, dtype=object))
    return pd.Series(pd.Categorical.from_codes(text_codes[rows], categories=pd.Index(categories, dtype=object),
                                               validate=False), index=index)


def joined_text(parts: list[pd.Series | str]) -> pa.Array | pa.ChunkedArray:
    """Texts end to end, row by row, in one Arrow pass — a chain of ``+`` copies every prefix again. A
    missing part makes the row missing, as ``+`` does; Series are taken in their order (one index)."""
    def arrow(x: pd.Series | str) -> pa.Scalar | pa.Array | pa.ChunkedArray:
        if isinstance(x, str):
            return pa.scalar(x, pa.large_string())
        return pa.array(x, from_pandas=True).cast(pa.large_string())
    return pc.binary_join_element_wise(*map(arrow, parts), pa.scalar("", pa.large_string()))
