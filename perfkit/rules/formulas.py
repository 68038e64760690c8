"""The scoring rules (docs/rules.md) as small vectorized functions, each named after its rule.

Every threshold and weight comes in as an argument read from the rulebook; nothing here is a policy
number. All functions take and return numpy arrays (or pandas Series) of equal length.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.io.values import group_key, lookup

ArrayLike = np.ndarray | pd.Series


def round_half_up(x: ArrayLike, decimals: int) -> np.ndarray:
    """Round half away from zero at ``decimals`` (forms round 8.615 to 8.62, not banker's 8.62/8.61)."""
    scale = 10.0 ** decimals
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5 + 1e-9) / scale


# decimals kept when comparing two scores: forms write at most a few decimals, so a difference rounded to
# this many places is the exact decimal difference (8.13 − 8.12 is 0.01, not 0.010000000000000675)
EXACT_PLACES = 9


def beyond(a: ArrayLike, b: ArrayLike, tolerance: float) -> np.ndarray:
    """|a − b| > tolerance, compared in exact decimals: 8.12 against 8.13 within 0.01 holds (binary floats
    make their difference 0.010000000000000675). NaN on either side is False."""
    with np.errstate(invalid="ignore"):
        diff = np.round(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)), EXACT_PLACES)
        return diff > round(float(tolerance), EXACT_PLACES)


def above(a: ArrayLike, limit: ArrayLike, tolerance: float) -> np.ndarray:
    """a > limit + tolerance in exact decimals (a total above the full marks beyond rounding)."""
    with np.errstate(invalid="ignore"):
        diff = np.round(np.asarray(a, dtype=float) - np.asarray(limit, dtype=float), EXACT_PLACES)
        return diff > round(float(tolerance), EXACT_PLACES)


def execution_rate(spent: ArrayLike, budget: ArrayLike) -> np.ndarray:
    """全年执行数 / 全年预算数; NaN where the budget is zero or missing (a finding, not a crash)."""
    spent = np.asarray(spent, dtype=float)
    budget = np.asarray(budget, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(budget > 0, spent / budget, np.nan)


def execution_score(rate: ArrayLike, weight: ArrayLike, decimals: int) -> np.ndarray:
    """预算执行率得分 = min(执行率, 1) × 分值 (财预〔2020〕10号)."""
    return round_half_up(np.minimum(np.asarray(rate, dtype=float), 1.0) * np.asarray(weight, dtype=float),
                         decimals)


def forward_score(actual: ArrayLike, target: ArrayLike, weight: ArrayLike, rule: str = "proportional"
                  ) -> np.ndarray:
    """正向指标: A ≥ T → W; else ``proportional`` W × A/T (财预〔2020〕10号), or ``all_or_nothing`` 0
    (forms that score 未完成不得分). Never below 0 nor above W."""
    a, t, w = (np.asarray(v, dtype=float) for v in (actual, target, weight))
    if rule == "proportional":
        with np.errstate(divide="ignore", invalid="ignore"):
            partial = np.where(t > 0, w * np.clip(a, 0, None) / t, np.where(a >= t, w, 0.0))
    elif rule == "all_or_nothing":
        partial = np.zeros(np.broadcast(a, t, w).shape)
    else:
        raise ValueError(f"正向指标计分规则「{rule}」未实现（可用：proportional、all_or_nothing）")
    return np.clip(np.where(a >= t, w, partial), 0, w)


def reverse_score(actual: ArrayLike, target: ArrayLike, weight: ArrayLike, rule: str) -> np.ndarray:
    """反向指标: A ≤ T → W; else proportional W × T/A, or linear W × max(0, 1 − (A−T)/T)."""
    a, t, w = (np.asarray(v, dtype=float) for v in (actual, target, weight))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if rule == "proportional":
            over = np.where(a > 0, w * t / a, 0.0)
        elif rule == "linear":
            over = np.where(t > 0, w * np.maximum(0.0, 1.0 - (a - t) / t), 0.0)
        else:
            raise ValueError(f"反向指标计分规则「{rule}」未实现（可用：proportional、linear）")
    return np.clip(np.where(a <= t, w, over), 0, w)


def equal_score(actual: ArrayLike, target: ArrayLike, weight: ArrayLike, forward_rule: str = "proportional"
                ) -> np.ndarray:
    """等于指标: T = 0 → W if A ≤ 0 else 0; otherwise scored as forward."""
    a, t, w = (np.asarray(v, dtype=float) for v in (actual, target, weight))
    return np.where(t == 0, np.where(a <= 0, w, 0.0), forward_score(a, t, w, forward_rule))


def range_score(actual: ArrayLike, low: ArrayLike, high: ArrayLike, weight: ArrayLike,
                above_rule: str = "proportional", forward_rule: str = "proportional") -> np.ndarray:
    """区间指标: inside [low, high] → W; below → forward against low; above → the rulebook's rule for
    exceeding a cap (``evaluation.range_above_rule``: proportional W×high/A or linear deduction)."""
    a, lo, hi, w = (np.asarray(v, dtype=float) for v in (actual, low, high, weight))
    return np.where(a < lo, forward_score(a, lo, w, forward_rule), reverse_score(a, hi, w, above_rule))


def overachievement_score(weight: ArrayLike, penalty: float) -> np.ndarray:
    """目标明显偏低: a forward target exceeded by the rulebook's ratio loses ``penalty`` × W (optional
    rule of 财预〔2020〕10号, off at 0)."""
    return np.asarray(weight, dtype=float) * (1.0 - penalty)


def deadline_score(actual_date: ArrayLike, deadline: ArrayLike, weight: ArrayLike, late_share: float
                   ) -> np.ndarray:
    """时效指标: done by the deadline → W; late → W × late_share (rulebook)."""
    a, t, w = (np.asarray(v, dtype=float) for v in (actual_date, deadline, weight))
    return np.where(a <= t, w, w * late_share)


def qualitative_score(tier: ArrayLike, weight: ArrayLike, points: dict[str, float]) -> np.ndarray:
    """定性指标: 达成 / 部分达成 / 未达成 → the rulebook's point in each tier's range × W."""
    share = lookup(pd.Series(tier), points, float)
    return share * np.asarray(weight, dtype=float)


def completion(actual: ArrayLike, target: ArrayLike, kind: ArrayLike | str) -> np.ndarray:
    """完成率 of an indicator: A/T forward, T/A reverse (1 when within the cap), 1/0 for = 0 targets.

    ``kind`` is one comparator per row, or a single one (a str) for a whole slice of the same kind.
    """
    a, t = np.asarray(actual, dtype=float), np.asarray(target, dtype=float)

    def forward() -> np.ndarray:
        return np.where(t > 0, a / t, np.where(a >= t, 1.0, 0.0))

    rules = {"≥": forward,
             "≤": lambda: np.where(a <= t, 1.0, np.where(a > 0, t / a, 0.0)),
             "=": lambda: np.where(t == 0, np.where(a <= 0, 1.0, 0.0), forward())}
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(kind, str):
            return rules[kind]() if kind in rules else np.full(a.shape, np.nan)
        codes, uniques = pd.factorize(np.asarray(kind, dtype=object))  # compare integers, not strings
        position = {u: i for i, u in enumerate(uniques)}
        return np.select([codes == position.get(c, -2) for c in rules], [rule() for rule in rules.values()], np.nan)


def overall_completion(completion: ArrayLike, weight: ArrayLike, key: ArrayLike) -> pd.Series:
    """绩效目标总体完成率 per key: the weight-averaged indicator completion, each capped at 100%.
    Rows without a completion are left out; a missing weight counts 1."""
    num, den = completion_terms(completion, weight)
    key = group_key(key)
    return completion_ratio(pd.Series(num).groupby(key, sort=False).sum(),
                            pd.Series(den).groupby(key, sort=False).sum())


def completion_terms(completion: ArrayLike, weight: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the two terms :func:`overall_completion` sums per key: completion (capped at 100%) ×
    weight, and the weight — both 0 where there is no completion; a missing weight counts 1. Apart, so
    that a caller summing many columns per project sums these with them in one grouping."""
    c = np.minimum(np.asarray(completion, dtype=float), 1.0)
    w = pd.Series(weight).fillna(1.0).to_numpy(float)
    ok = ~np.isnan(c)
    return np.where(ok, c * w, 0.0), np.where(ok, w, 0.0)


def completion_ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Σ completion × weight / Σ weight per key (no weight: no completion)."""
    return num / den.replace(0, np.nan)


def grade(total: ArrayLike, bands: dict[str, float], below: str) -> np.ndarray:
    """等级 by inclusive lower bounds, highest first (优 ≥ 90, 良 ≥ 80, 中 ≥ 60), ``below`` under the
    lowest band (差): both from the rulebook (evaluation.grade_bands, evaluation.grade_below)."""
    t = np.asarray(total, dtype=float)
    ordered = sorted(bands.items(), key=lambda kv: -kv[1])
    out = np.select([t >= lo for _, lo in ordered], [g for g, _ in ordered], below).astype(object)
    out[np.isnan(t)] = None
    return out


# the rulebook's monitoring.light_severity (绿 < 蓝 < 黄 < 红), checked against it before monitoring runs
LIGHT_ORDER = {"红": 3, "黄": 2, "蓝": 1, "绿": 0}
LIGHTS = sorted(LIGHT_ORDER, key=LIGHT_ORDER.get)  # 绿 蓝 黄 红: a light's code is its rank


def light_rank(ratio: ArrayLike, red: float, yellow: float, blue: float | None = None) -> np.ndarray:
    """The light of a progress ratio as its rank (3 红, 2 黄, 1 蓝, 0 绿; NaN ratio → NaN, no light)."""
    r = np.asarray(ratio, dtype=float)
    conds = [r < red, r < yellow] + ([r >= blue] if blue is not None else [])
    rank = np.select(conds, [3.0, 2.0, 1.0][: len(conds)], 0.0)
    return np.where(np.isnan(r), np.nan, rank)


def lights_of(rank: ArrayLike) -> pd.Categorical:
    """Ranks → 红/黄/蓝/绿 (categorical: one byte per row; NaN → no light)."""
    rank = np.asarray(rank, dtype=float)
    return pd.Categorical.from_codes(np.where(np.isnan(rank), -1, rank).astype(np.int8), categories=LIGHTS)


def traffic_light(ratio: ArrayLike, red: float, yellow: float, blue: float | None = None) -> pd.Categorical:
    """红/黄/绿(/蓝) by thresholds on a progress ratio; NaN ratio → no light."""
    return lights_of(light_rank(ratio, red, yellow, blue))


def light_ranks(lights: pd.Series) -> np.ndarray:
    """Each light's severity (绿 0 < 蓝 1 < 黄 2 < 红 3; no light NaN): the worst is the largest."""
    return lookup(lights, LIGHT_ORDER, float)


def worst_light(lights: pd.Series, by: pd.Series) -> pd.Series:
    """A project takes its worst light (红 > 黄 > 蓝 > 绿)."""
    rank = pd.Series(light_ranks(lights), index=lights.index)
    worst = rank.groupby(group_key(by)).max()
    return pd.Series(lights_of(worst.to_numpy()), index=worst.index)
