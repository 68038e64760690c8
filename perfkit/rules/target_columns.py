"""Indicator texts by the column: :func:`parse_texts` reads each distinct text of a column once (the
plain shape ``≥50个`` by one Arrow regex over all of them, the rest by :func:`perfkit.rules.targets.parse_text`)
and broadcasts the readings; the 指标性质 | 指标值 | 计量单位 cells a form splits are joined first, and
each row's direction (≥ or ≤) is settled — what makes millions of rows cost a few thousand parses."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from perfkit.io.values import codes_of, matches, python_values, with_values
from perfkit.rules import targets  # parse_text looked up when called: one parser, wherever it is set
from perfkit.rules.targets import (
    BAD,
    COLUMNS,
    DATE,
    EMPTY,
    EQ,
    GE,
    LE,
    NUMBER_RE,
    QUAL,
    RANGE,
    Vocabulary,
    clean_text,
    times_scale,
    unit_of,
    vocabulary,
)

# The plain shape "comparator? number unit?" read by one arrow regex over all distinct texts. Units that
# could mean something else to the full parser (dates 月/日, suffixes 以上/以内, long words) are left to it.
_FAST = r"^(?P<cmp>≥|>=|>|≤|<=|<|=)?(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<unit>[^\d月日号前底末旬以及或之至到~\-—–−]{0,4})$"


def _fast_readings(uniques: pd.Index, vocab: Vocabulary) -> pd.DataFrame:
    """Readings for the distinct texts of the plain shape; ``fast`` is False where the full parser must run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from perfkit.io.values import clean_values

    text = pc.replace_substring_regex(clean_values(uniques), r"\s", "")  # texts with commas: the full parser
    text = pc.replace_substring(pc.replace_substring(text, "≧", "≥"), "≦", "≤")
    parts = pc.extract_regex(text, _FAST)
    ok = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False)
    cmp = pc.fill_null(pc.struct_field(parts, "cmp"), "").to_numpy(zero_copy_only=False)
    num = pc.cast(pc.struct_field(parts, "num"), pa.float64()).to_numpy(zero_copy_only=False)
    unit_raw = pd.Series(pc.fill_null(pc.struct_field(parts, "unit"), "").to_numpy(zero_copy_only=False), dtype=object)
    suffix = vocab.pattern("suffix")
    trailing = vocab.pattern("trailing")
    readings = {u: (None if u != clean_text(u) or suffix.search(u) or trailing.search(u) else unit_of(u, vocab.units))
                for u in set(unit_raw)}
    plain = unit_raw.map(lambda u: readings[u] is not None).to_numpy(dtype=bool)
    base = unit_raw.map(lambda u: (readings[u] or ("",))[0]).to_numpy(dtype=object)
    factor = unit_raw.map(lambda u: (readings[u] or ("", 1.0))[1]).to_numpy(dtype=float)
    shown = unit_raw.map(lambda u: (readings[u] or ("", 1.0, ""))[2]).to_numpy(dtype=object)
    kinds = {c: vocab.comparators.get(c) for c in set(cmp)} | {"": ""}
    kind = np.array([kinds.get(c) for c in cmp], dtype=object)
    known = np.array([k is not None for k in kind])
    kind = np.where(known, kind, "")
    value = np.array([times_scale(n, f) if f != 1 else n for n, f in zip(num, factor, strict=True)], dtype=float)
    text_cell = np.array([isinstance(u, str) for u in python_values(uniques)], dtype=bool)  # number cells: the full parser
    return pd.DataFrame({"fast": ok & plain & known & text_cell, "kind": kind, "value": value, "value_hi": np.nan,
                         "unit": base, "scale": factor, "shown": shown, "tier": "", "has_comparator": kind != "",
                         "absence": False, "note": ""})


# (vocabulary, year, distinct texts, their readings) of the parses made inside shared_parsing(): a column
# read in row chunks shares one set of categories, so its distinct texts are parsed once, not per chunk
_SHARED: ContextVar[list[tuple[Vocabulary, int, pd.Index, dict]] | None] = ContextVar("perfkit_shared_parsing",
                                                                                             default=None)


@contextmanager
def shared_parsing() -> Iterator[None]:
    """Within the block, :func:`parse_texts` on the same categories (the same column, chunk after chunk)
    reuses the readings of the first call."""
    token = _SHARED.set([])
    try:
        yield
    finally:
        _SHARED.reset(token)


def parse_texts(texts: pd.Series, phrases: Any, year: int) -> pd.DataFrame:
    """Vectorized :func:`parse_text`: one parse per distinct string, results aligned to ``texts``.

    Columns: kind, value, value_hi (base units), unit (base), scale and shown (the unit as written),
    tier, has_comparator, absence, note."""
    vocab = vocabulary(phrases)
    codes, uniques = codes_of(texts)
    shared = _SHARED.get()
    prepared = next((t for v, y, u, t in shared if u is uniques and y == year and v == vocab), None) \
        if shared is not None else None
    if prepared is None:
        prepared = _prepared(_readings(uniques, vocab, year))
        if shared is not None:
            shared.append((vocab, year, uniques, prepared))
    # code −1 takes the last row: the empty reading
    out = {c: (pd.Categorical.from_codes(v[0][codes], categories=v[1], validate=False) if isinstance(v, tuple)
               else v[codes]) for c, v in prepared.items()}
    return pd.DataFrame(out, index=texts.index)


def _prepared(table: pd.DataFrame) -> dict[str, np.ndarray | tuple[np.ndarray, pd.Index]]:
    """The readings column by column, ready to broadcast: text readings (kind, unit, tier, note) as codes
    over the few distinct readings — categorical, one small integer per row — numbers as float arrays."""
    out: dict[str, np.ndarray | tuple[np.ndarray, pd.Index]] = {}
    for c in COLUMNS:
        values = table[c].to_numpy()
        if c in ("has_comparator", "absence"):
            out[c] = values.astype(bool)
        elif values.dtype == object and c not in ("value", "value_hi", "scale") \
                or pd.api.types.is_string_dtype(table[c].dtype):
            reading_codes, readings = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
            small = np.int8 if len(readings) < 127 else np.int16 if len(readings) < 32_767 else np.int32
            out[c] = (reading_codes.astype(small), pd.Index(readings, dtype=object))
        else:
            out[c] = values.astype(float)
    return out


def _readings(uniques: pd.Index, vocab: Vocabulary, year: int) -> pd.DataFrame:
    """One reading per distinct text (the plain shape in one Arrow pass, the rest by :func:`parse_text`),
    and a last row: the reading of an empty cell."""
    columns = COLUMNS
    if len(uniques):
        table = _fast_readings(pd.Index(uniques), vocab)
        slow = np.flatnonzero(~table["fast"].to_numpy())
        readings = [targets.parse_text(uniques[i], vocab, year) for i in slow]
        table = table[columns]
        if len(slow):
            table.iloc[slow] = pd.DataFrame([[getattr(r, c) for c in columns] for r in readings],
                                            columns=columns, index=table.index[slow]).astype(table.dtypes.to_dict())
    else:
        table = pd.DataFrame(columns=columns)
    empty = targets.parse_text(None, vocab, year)
    table.loc[len(table)] = [getattr(empty, c) for c in columns]
    return table


def combine_target_parts(target: pd.Series, comparator: pd.Series | None, unit: pd.Series | None,
                         phrases: Any) -> pd.Series:
    """指标性质 | 指标值 | 计量单位 in cells of their own → one target text, as if written in one cell.

    The comparator cell is read through the rulebook's comparator words (≧, >=, 正向 …) and is only put
    in front when the value has none of its own; the unit only goes after a bare number, so '%' | '≥95%'
    stays '≥95%' (never '≥95%%') and a qualitative value keeps no unit. Done once per distinct triple."""
    if comparator is None and unit is None:
        return target
    vocab = vocabulary(phrases)
    columns = [target, comparator, unit]
    clean = functools.lru_cache(maxsize=None)(clean_text)  # a comparator or unit cell recurs in most combinations

    def join(t: object, c: object, u: object) -> object:
        if t is None:
            return None
        value, comp, un = clean_text(str(t)), clean(str(c or "")), clean(str(u or ""))
        own = vocab.pattern("prefix").match(value) or vocab.pattern("ocr").match(value)
        head, number = (value[:own.end()], value[own.end():]) if own else ("", value)
        if own or not comp:
            comp = ""
        elif comp in vocab.comparators:
            comp = vocab.comparators[comp]
        else:  # 定性 / 定量 or anything else: no symbol to write
            comp = ""
        bare = re.fullmatch(rf"[+-]?{NUMBER_RE}", number) is not None
        if un and bare and unit_of(un, vocab.units) is not None:
            number = number + un
        return (comp if re.match(r"[+-]?[\d.]", number) else "") + head + number

    return per_combination(join, columns, target.index)


def per_combination(func: Any, columns: list[pd.Series | None], index: pd.Index) -> pd.Series:
    """``func(a, b, …)`` once per distinct combination of the columns' values (missing → None), broadcast
    to the rows as a categorical: combinations are found on the integer codes, never on the strings."""
    combined = np.zeros(len(index), dtype=np.int64)
    keys = []
    for col in columns:
        if col is None:
            keys.append([None])
            combined = combined * 2
            continue
        c, u = codes_of(col)
        k = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
             for v in python_values(u)] + [None]
        keys.append(k)
        combined = combined * (len(k) + 1) + np.where(np.asarray(c) < 0, len(k) - 1, np.asarray(c))
    rows, combos = pd.factorize(combined)
    values = []
    for code in combos:
        args = []
        for k in reversed(keys):
            code, i = divmod(int(code), len(k) + 1)
            args.append(k[i])
        values.append(func(*reversed(args)))
    value_codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return pd.Series(pd.Categorical.from_codes(value_codes[rows], categories=pd.Index(uniques, dtype=object),
                                               validate=False), index=index)


def resolve_direction(target: pd.DataFrame, indicator: pd.Series | list[pd.Series], reverse_keywords: list[str],
                      zero_is_ceiling: bool = False) -> pd.Series:
    """The comparison a target asks for. A bare number is forward unless the indicator's name marks it
    as less-is-better (成本, 投诉, 事故 … from the rulebook; ``indicator`` may be several name columns:
    the indicator and its 二级/一级 block, so a row under 成本指标 is a ceiling). With ``zero_is_ceiling`` a bare target of 0
    (事故 0 起, 投诉 0 件) is the ceiling ≤ 0 — never a forward target met by anything ('=0' stays =, which
    the rules already score as a ceiling)."""
    kind = with_values(target["kind"].copy(), [LE, GE, EQ, RANGE, DATE, QUAL, BAD, EMPTY, ""])
    bare = kind.eq("")
    if bare.any():
        pattern = "|".join(map(re.escape, reverse_keywords)) or "(?!)"
        names = indicator if isinstance(indicator, list) else [indicator]  # name, and its 二级/一级 block
        reverse = pd.Series(np.logical_or.reduce([matches(n, pattern) for n in names]), index=kind.index)
        kind = kind.mask(bare & reverse, LE).mask(bare & ~reverse, GE)
    if zero_is_ceiling:
        zero = bare & pd.Series(target["value"].to_numpy(float) == 0, index=kind.index)
        kind = kind.mask(zero, LE)
    return kind
