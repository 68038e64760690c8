"""Reading indicator texts as printed on real forms (issue: rules engine §2). Table-driven."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from perfkit.rules.targets import parse_text, parse_texts

PHRASES = {"未达成": ["未达成", "未完成"], "部分达成": ["部分达成", "基本完成"],
           "达成": ["达成预期指标", "效果明显", "显著提升", "合格", "良好", "及时", "合规", "有效", "按时完成"]}

# text, kind, value (base units), unit, has_comparator
CASES = [
    ("≥50个", "≥", 50, "个", True),
    ("≧50个", "≥", 50, "个", True),
    (">=95%", "≥", 95, "%", True),
    ("不低于95%", "≥", 95, "%", True),
    ("不少于1,200人次", "≥", 1200, "人次", True),
    ("1.2万人次", "", 12000, "人次", False),
    ("3万人次以上", "≥", 30000, "人次", True),
    ("≤90万元", "≤", 900000, "元", True),
    ("不超过900000元", "≤", 900000, "元", True),
    ("≦0.5亿元", "≤", 50000000, "元", True),
    ("控制在5%以内", "≤", 5, "%", True),
    ("10天以内", "≤", 10, "天", True),
    ("=0", "=", 0, "", True),
    ("＝100%", "=", 100, "%", True),
    ("１００％", "", 100, "%", False),
    ("≥266米", "≥", 266, "米", True),
    ("≥15公里", "≥", 15000, "米", True),
    ("≤300元/人", "≤", 300, "元/人", True),
    ("≤0.3万元/人·月", "≤", 3000, "元/人·月", True),
    ("85", "", 85, "", False),
]


@pytest.mark.parametrize(("text", "kind", "value", "unit", "has_cmp"), CASES)
def test_numeric_texts(text: str, kind: str, value: float, unit: str, has_cmp: bool) -> None:
    r = parse_text(text, PHRASES, 2022)
    assert (r.kind, r.unit, r.has_comparator) == (kind, unit, has_cmp)
    assert math.isclose(r.value, value)


@pytest.mark.parametrize(("text", "date"), [
    ("2022年12月31日前", 20221231), ("12月底前", 20221231), ("2022年底前", 20221231),
    ("9月前", 20220930), ("7月", 20220731), ("2022年10月25日", 20221025), ("2023-02-28", 20230228),
    ("2022年2月底前", 20220228),
])
def test_dates_and_deadlines(text: str, date: int) -> None:
    r = parse_text(text, PHRASES, 2022)
    assert r.kind == "日期" and r.value == date


@pytest.mark.parametrize(("text", "tier"), [
    ("达成预期指标", "达成"), ("效果明显", "达成"), ("显著提升", "达成"), ("合格", "达成"), ("按时完成", "达成"),
    ("部分达成年度指标并具有一定效果", "部分达成"), ("未达成年度指标且效果较差", "未达成"), ("基本完成", "部分达成"),
])
def test_qualitative_tiers(text: str, tier: str) -> None:
    r = parse_text(text, PHRASES, 2022)
    assert (r.kind, r.tier) == ("定性", tier)


@pytest.mark.parametrize("text", ["详见附件", "/", "2022年13月", "≥五十个项目单位都完成了"])
def test_unreadable_is_classed_not_guessed(text: str) -> None:
    r = parse_text(text, PHRASES, 2022)
    assert r.kind == "无法解析" and r.note


def test_range() -> None:
    r = parse_text("90%-95%", PHRASES, 2022)
    assert (r.kind, r.value, r.value_hi, r.unit) == ("区间", 90, 95, "%")


def test_empty() -> None:
    assert parse_text(None, PHRASES, 2022).kind == "空"
    assert parse_text("  ", PHRASES, 2022).kind == "空"


def test_each_distinct_string_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import perfkit.rules.targets as T

    calls: list = []
    real = T.parse_text
    monkeypatch.setattr(T, "parse_text", lambda t, p, y: calls.append(t) or real(t, p, y))
    texts = pd.Series(["≥50个", "≥50个", "效果明显", None] * 1000)
    out = T.parse_texts(texts, PHRASES, 2022)
    # never more than one parse per distinct string (+ the empty reading); plain shapes skip it altogether
    assert len(out) == 4000 and len(calls) == len(set(calls)) <= 2 + 1
    assert out["kind"].tolist()[:4] == ["≥", "≥", "定性", "空"]


def test_vectorized_fast_path_agrees_with_the_full_parser(demo) -> None:
    """parse_texts reads the plain shapes with one arrow regex; it must say exactly what parse_text says."""
    extra = ["≥50个", "不少于1,200人次", "1.2万人次", "7月", "≥3年", "10天以内", "90%-95%", "≥五十个项目单位都完成了",
             "＝100%", "≦0.5亿元", "85", None, " ≥ 266 米 ", "3个工作日", "≥1,000.5万元", "<5次", "-3"]
    texts = pd.concat([demo.tables["self_eval"]["target_text"], demo.tables["self_eval"]["actual_text"],
                       pd.Series(extra)], ignore_index=True)
    fast = parse_texts(texts, PHRASES, 2022)
    for i in pd.Series(range(len(texts))).drop_duplicates().sample(3000, random_state=1, replace=True):
        slow = parse_text(texts[i], PHRASES, 2022)
        row = fast.iloc[i]
        assert (row["kind"], row["unit"], row["tier"], bool(row["has_comparator"])) == \
            (slow.kind, slow.unit, slow.tier, slow.has_comparator), texts[i]
        assert (np.isnan(row["value"]) and np.isnan(slow.value)) or math.isclose(row["value"], slow.value), texts[i]
