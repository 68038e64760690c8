"""Joins, comparisons and lookups on dictionary codes (perfkit.io.keys, perfkit.io.values): the same
answers as the plain pandas operations they replace, whether the text is categorical or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfkit.io import keys
from perfkit.io.values import lookup, matches, pick, same_text


def _frames(categorical: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    left = pd.DataFrame({"project_id": ["P1", "P1", "P2", "P3", None],
                         "indicator": ["甲", "乙", "甲", "甲", "甲"]})
    right = pd.DataFrame({"project_id": ["P1", "P2", "P2", "P1", "P9"],
                          "indicator": ["甲", "甲", "甲", "乙", "甲"],
                          "target_text": ["≥90%", "≥5个", "≥6个（重复）", "≤3天", "≥1"]})
    if categorical:  # different category sets on the two sides, as two loaded tables may have
        left = left.astype("category")
        right = right.astype({"project_id": "category", "indicator": "category", "target_text": "category"})
    return left, right


@pytest.mark.parametrize("categorical", [False, True])
def test_left_lookup_equals_a_left_merge_on_first_matches(categorical: bool) -> None:
    left, right = _frames(categorical)
    got, found = keys.left_lookup(left, right, ["project_id", "indicator"], ["target_text"])
    assert list(got["target_text"].astype(object).where(found, None)) == ["≥90%", "≤3天", "≥5个", None, None]
    assert list(found) == [True, True, True, False, False]
    assert len(got) == len(left)  # no left row dropped or repeated


@pytest.mark.parametrize("categorical", [False, True])
def test_present_in_and_first_rows(categorical: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    left, right = _frames(categorical)
    expected = [True, True, True, False, False]
    assert list(keys.present_in(left, right, ["project_id", "indicator"])) == expected
    monkeypatch.setattr(keys, "DENSE_KEYS", 0)  # the hash path gives the same answer as the bitmap
    assert list(keys.present_in(left, right, ["project_id", "indicator"])) == expected
    assert list(keys.first_rows(right, ["project_id", "indicator"]).index) == [0, 1, 3, 4]


@pytest.mark.parametrize("categorical", [False, True])
def test_text_helpers_match_plain_pandas(categorical: bool) -> None:
    a = pd.Series(["≥ 90%", "≥90%", None, "达成", ""])
    b = pd.Series(["≥90%", "≥90%", None, "未达成", None])
    if categorical:
        a, b = a.astype("category"), b.astype("category")
    assert list(same_text(a, b)) == [False, True, True, False, True]  # missing counts as empty text
    assert list(same_text(a, b, squash=True)) == [True, True, True, False, True]
    assert list(matches(a, r"^≥")) == [True, True, False, False, False]
    picked = pick(np.array([True, False, True, False, True]), a, b)
    assert list(picked.astype(object).where(picked.notna(), "—")) == ["≥ 90%", "≥90%", "—", "未达成", ""]
    assert np.allclose(lookup(a, {"达成": 1.0, "≥90%": 0.5}, float), [np.nan, 0.5, np.nan, 1.0, np.nan],
                       equal_nan=True)
