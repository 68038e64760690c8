"""Property tests (hypothesis): bounds, monotonicity, totals, money exact to the cent."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from perfkit.io.values import FEN_PER_WAN, format_wan, to_fen
from perfkit.rules import formulas as F

pos = st.floats(min_value=0.01, max_value=1e7, allow_nan=False)
act = st.floats(min_value=0, max_value=1e7, allow_nan=False)
weight = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(a=act, t=pos, w=weight, rule=st.sampled_from(["proportional", "linear"]))
def test_scores_stay_within_zero_and_weight(a, t, w, rule) -> None:
    for s in (F.forward_score([a], [t], [w]), F.reverse_score([a], [t], [w], rule), F.equal_score([a], [t], [w])):
        assert 0 <= s[0] <= w + 1e-9


@given(a1=act, a2=act, t=pos, w=weight, rule=st.sampled_from(["proportional", "linear"]))
def test_forward_never_falls_and_reverse_never_rises_as_actual_rises(a1, a2, t, w, rule) -> None:
    lo, hi = sorted((a1, a2))
    assert F.forward_score([hi], [t], [w])[0] >= F.forward_score([lo], [t], [w])[0] - 1e-9
    assert F.reverse_score([hi], [t], [w], rule)[0] <= F.reverse_score([lo], [t], [w], rule)[0] + 1e-9


@given(st.lists(st.decimals(min_value=0, max_value=10**7, places=6, allow_nan=False, allow_infinity=False),
                min_size=1, max_size=50))
@settings(max_examples=60)
def test_money_totals_are_exact_to_the_cent(values) -> None:
    wan = pd.Series([float(v) for v in values])
    fen = pd.Series(to_fen(wan.to_numpy(), FEN_PER_WAN))
    # each amount is held in whole 分, and the total is the exact sum of the parts
    assert fen.sum() == sum(int(round(float(v) * FEN_PER_WAN)) for v in values)
    assert format_wan(fen.sum()).replace(",", "") == f"{fen.sum() / FEN_PER_WAN:.2f}" or abs(
        float(format_wan(fen.sum()).replace(",", "")) - fen.sum() / FEN_PER_WAN) <= 0.005


@given(st.lists(st.tuples(act, pos, weight), min_size=1, max_size=12), st.floats(0, 1), st.sampled_from([10, 20]))
def test_total_equals_the_sum_of_its_parts(rows, rate, exec_w) -> None:
    a, t, w = (np.array(x, dtype=float) for x in zip(*rows, strict=True))
    parts = F.round_half_up(F.forward_score(a, t, w), 2)
    exec_score = F.execution_score([rate], [exec_w], 2)[0]
    total = F.round_half_up(exec_score + parts.sum(), 2)
    assert abs(total - (exec_score + parts.sum())) < 0.005 + 1e-9


@given(st.floats(0, 1e6, allow_nan=False), st.integers(0, 4))
def test_round_half_up(x, d) -> None:
    r = F.round_half_up([x], d)[0]
    assert abs(r - x) <= 0.5 * 10 ** -d + 1e-9
