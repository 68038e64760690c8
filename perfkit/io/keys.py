"""Joining the contract tables on their keys (项目编码, 项目编码 + 指标名称) through integer codes.

Loaded key columns share one set of categories across tables (:func:`perfkit.io.dataset.unify_categories`),
so a composite key is arithmetic on the codes: a join of two 8-million-row tables hashes integers once
instead of hashing strings per column, and drops no row silently — a left row without a match is told
apart by ``found``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def composite_key(frame: pd.DataFrame, columns: list[str], like: pd.DataFrame | None = None) -> np.ndarray:
    """One int64 per row for the values of ``columns`` (missing → −1 in that place).

    With ``like``, the key is built on the categories of ``like``'s columns so that the keys of two
    tables compare; a value ``like`` does not know gets a code of its own, equal to no key of ``like``.
    """
    key = np.zeros(len(frame), dtype=np.int64)
    span = 1  # keys so far lie in [0, span)
    for col in columns:
        values = frame[col]
        ref = (like if like is not None else frame)[col]
        if isinstance(ref.dtype, pd.CategoricalDtype):
            cats = ref.cat.categories
            if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories.equals(cats):
                codes = values.cat.codes.to_numpy().astype(np.int64)
            else:
                codes = cats.get_indexer(pd.Index(values.astype("str"), dtype="str")).astype(np.int64)
                codes = np.where((codes < 0) & values.notna().to_numpy(), len(cats), codes)
            size = len(cats) + 2
        else:  # number the values as ``ref`` numbers its own, so that two tables' keys compare
            known = pd.Index(pd.Series(ref, dtype=object).dropna().unique(), dtype=object)
            plain = pd.Series(values, dtype=object)
            codes = known.get_indexer(plain).astype(np.int64)
            codes = np.where((codes < 0) & plain.notna().to_numpy(), len(known), codes)
            size = len(known) + 2
        if span * size >= 2**63:  # two key columns of up to 3 billion values each always fit
            raise ValueError(f"{'+'.join(columns)}：不同取值的组合过多，无法编成一个整数键")
        key = key * size + (codes + 1)
        span *= size
    return key


def first_rows(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame.drop_duplicates(columns)`` on integer keys."""
    return frame.loc[first_occurrences(composite_key(frame, columns))]


# Keys are matched by sorting, not hashing: a hash table of 8M int64 keys (pandas' Index engine, or
# duplicated()) holds about four times the keys while it is built; a stable sort holds the order and the
# sorted keys, and gives the same answers (the first row of a repeated key is the first in the sort).

def first_occurrences(key: np.ndarray) -> np.ndarray:
    """Per row: is it the first row with its key? (``~pd.Series(key).duplicated()``)"""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    del ordered
    out = np.zeros(len(key), dtype=bool)
    out[order[first]] = True
    return out


def _positions(right_key: np.ndarray, left_key: np.ndarray) -> np.ndarray:
    """For each left key, the position of the first right row with that key (−1: none)."""
    if not len(right_key):
        return np.full(len(left_key), -1, dtype=np.int64)
    order = np.argsort(right_key, kind="stable")
    ordered = right_key[order]
    at = np.minimum(np.searchsorted(ordered, left_key), len(ordered) - 1)
    return np.where(ordered[at] == left_key, order[at], -1)


def left_lookup(left: pd.DataFrame, right: pd.DataFrame, on: list[str], columns: list[str],
                suffix: str = "") -> tuple[pd.DataFrame, np.ndarray]:
    """Columns of ``right`` for each row of ``left`` matched on ``on`` (the first match of a repeated
    right key), plus a boolean ``found`` per left row. Left rows are kept in order, none dropped."""
    pos = _positions(composite_key(right, on), composite_key(left, on, like=right))
    out = {}
    for col in columns:
        arr = right[col].array
        out[col + suffix] = pd.api.extensions.take(arr, pos, allow_fill=True)
    return pd.DataFrame(out, index=left.index), pos >= 0


DENSE_KEYS = 64_000_000  # below this many possible keys, membership is a bitmap lookup, not a hash


def present_in(frame: pd.DataFrame, other: pd.DataFrame, on: list[str]) -> np.ndarray:
    """Per row of ``frame``: does ``other`` hold the same key?"""
    mine, theirs = composite_key(frame, on, like=other), composite_key(other, on)
    top = int(max(mine.max(initial=0), theirs.max(initial=0))) + 1
    if top <= DENSE_KEYS:
        seen = np.zeros(top, dtype=bool)
        seen[theirs] = True
        return seen[mine]
    return pd.Series(mine).isin(theirs).to_numpy()
