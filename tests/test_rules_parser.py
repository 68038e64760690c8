"""Reading indicator texts as printed on real forms (issue: rules engine §2). Table-driven."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfkit.rules.rulebook import load_rules
from perfkit.rules.target_columns import parse_texts
from perfkit.rules.targets import GE, LE, QUAL, Vocabulary, parse_text

PHRASES = {"未达成": ["未达成年度指标且效果较差", "未达成", "未完成"],
           "部分达成": ["部分达成年度指标并具有一定效果", "部分达成", "基本完成"],
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

V = Vocabulary.from_rules(load_rules("mof2020", 2022))

# comparator look-alikes and words (PDF/OCR text included): text, kind, value as written, unit as written
COMPARATORS = [
    ("≧95%", "≥", 95, "%"), ("⩾95%", "≥", 95, "%"), ("≥=95%", "≥", 95, "%"), ("=>95%", "≥", 95, "%"),
    ("》=90%", "≥", 90, "%"), ("＞90%", "≥", 90, "%"), (">90%", "≥", 90, "%"), ("≦5%", "≤", 5, "%"),
    ("⩽5%", "≤", 5, "%"), ("＜3次", "≤", 3, "次"), ("<=475元/亩", "≤", 475, "元/亩"), ("=<5次", "≤", 5, "次"),
    ("＝100%", "=", 100, "%"), ("﹦100%", "=", 100, "%"), ("= 100 %", "=", 100, "%"), ("≥ 95 %", "≥", 95, "%"),
    ("二100百分比", "=", 100, "%"), ("=99百分比", "=", 99, "%"),
    ("不低于95%", "≥", 95, "%"), ("不少于30人", "≥", 30, "人"), ("30人以上", "≥", 30, "人"),
    ("98%以上", "≥", 98, "%"), ("达到98%", "≥", 98, "%"), ("高于90%", "≥", 90, "%"), ("至少3场", "≥", 3, "场"),
    ("不高于5%", "≤", 5, "%"), ("不超过10万元", "≤", 10, "万元"), ("5天以内", "≤", 5, "天"),
    ("控制在90万元以内", "≤", 90, "万元"), ("低于5%", "≤", 5, "%"), ("5%以下", "≤", 5, "%"),
    ("等于11个", "=", 11, "个"), ("≥≥95%", "≥", 95, "%"), ("≥>=95%", "≥", 95, "%"),
]

# units as written: text, value in base units, base unit, scale, unit as shown
UNITS = [
    ("5个工作日", 5, "工作日", 1, "个工作日"), ("1600元/亩", 1600, "元/亩", 1, "元/亩"),
    ("23万元/个", 230000, "元/个", 1e4, "万元/个"), ("28.8萬元", 288000, "元", 1e4, "万元"),
    ("應(yīng)付28.8萬元", 288000, "元", 1e4, "万元"), ("100百分比", 100, "%", 1, "%"), ("3‰", 0.3, "%", 0.1, "‰"),
    ("150万", 1500000, "", 1e4, "万"), ("1.2万人次", 12000, "人次", 1e4, "万人次"),
    ("46.16万元", 461600, "元", 1e4, "万元"), ("3500公斤", 3.5, "吨", 0.001, "公斤"),
    ("212.61万元", 2126100, "元", 1e4, "万元"), ("1,200人次", 1200, "人次", 1, "人次"),
    ("12.5%%", 12.5, "%", 1, "%"), ("≤28.40/株", 28.4, "/株", 1, "/株"), ("≥1人/年", 1, "人/年", 1, "人/年"),
]

# ranges: text, low, high, unit
RANGES = [
    ("90%-95%", 90, 95, "%"), ("90%~95%", 90, 95, "%"), ("90%～95%", 90, 95, "%"), ("90%至95%", 90, 95, "%"),
    ("90%—95%", 90, 95, "%"), ("90-95%", 90, 95, "%"), ("90%到95%", 90, 95, "%"), ("1-3个", 1, 3, "个"),
    ("8万-10万元", 80000, 100000, "元"), ("90%≤x≤95%", 90, 95, "%"), ("≥90%且≤95%", 90, 95, "%"),
    ("≥90%,≤95%", 90, 95, "%"),
]

# qualitative wording with negation and degree: text, tier
TIER_CASES = [
    ("达成预期指标", "达成"), ("效果明显", "达成"), ("显著提升", "达成"), ("合格", "达成"), ("按时完成", "达成"),
    ("好", "达成"), ("较好", "达成"), ("很好", "达成"), ("良好", "达成"), ("显著", "达成"), ("效果良好", "达成"),
    ("不断提升", "达成"), ("按要求完成", "达成"), ("已全部完成", "达成"), ("非常满意", "达成"), ("是", "达成"), ("确定能", "达成"),
    ("未发生安全事故", "达成"), ("无投诉", "达成"), ("无安全事故发生", "达成"), ("未发生重大责任事故", "达成"),
    ("无明显问题", "达成"), ("无明显变化", "未达成"),
    ("一般", "部分达成"), ("基本达标", "部分达成"), ("基本完成", "部分达成"), ("基本满意", "部分达成"),
    ("部分达成年度指标并具有一定效果", "部分达成"), ("有所提升", "部分达成"), ("部分实现", "部分达成"),
    ("无明显提升", "未达成"), ("不满意", "未达成"), ("未达到", "未达成"), ("未完成", "未达成"), ("不及时", "未达成"),
    ("不到位", "未达成"), ("未能按时完成", "未达成"), ("尚未完成", "未达成"), ("没有达到预期", "未达成"),
    ("效果不明显", "未达成"), ("提升不明显", "未达成"), ("不够及时", "未达成"), ("较差", "未达成"), ("差", "未达成"),
    ("未达成年度指标且效果较差", "未达成"), ("否", "未达成"), ("不合格", "未达成"), ("完全不可能", "未达成"),
    ("基本完成，但不及时", "未达成"),
    # negation, progress and plan words anywhere in the cell: never 达成 (issue 24)
    ("未按合同约定实施", "未达成"), ("没有按合同约定实施", "未达成"), ("必要性不足", "未达成"), ("正在实施", "部分达成"),
    ("计划实施", "未达成"), ("拟实施", "未达成"), ("项目推进中", "部分达成"), ("将于明年完成", "未达成"),
]

# a tier word inside a longer sentence decides nothing (issue 24): 定性 with no tier, the note says why
INSIDE_SENTENCE = ["企业较好把握正确政治导向", "受目的国受众欢迎显著", "有利于推动企业走出去", "已按要求完成预算",
                   "严格按照合同约定实施", "按规定程序执行", "立项依据充分", "预算编制科学合理", "符合规定"]

# descriptive norms: classed 定性 (a tier only where the wording states one)
DESCRIPTIVE = ["按规定程序执行", "资金使用规范", "严格按照合同约定实施", "应保尽保", "應(yīng)保盡保", "按时完成", "长期",
               "覆盖全区所有人员", "参照政府采购成本控制", "不超预算", "严格按照预算标准1000元/人给补助对象兑付补助",
               "第一年按总投资额返本20%,分红按8%分红", "获得目的国(地区)受众欢迎"]

# blank or not applicable: never 0, never a number
PLACEHOLDERS = ["/", "／", "—", "——", "-", "……", "无", "不适用", "本项目不适用此指标", "指标2", "N/A", "#N/A",
                "对照年度目标,说明相关任务目标的完成情况(100字以内)", "(≥**人)", "  "]

# unreadable: text, words the reason must contain
UNREADABLE = [
    ("见附件", "「见附件」，引用其他材料"), ("详见附件", "引用其他材料"), (">", "只有比较符"), ("≥", "只有比较符"),
    ("≥五十个项目单位都完成了", "比较符「≥」之后不是可读的数值"), ("2022年13月", "日期无法识别"),
    ("abc", "不是可比较的数值或定性表述"), ("12%到", "不是可比较的数值或定性表述"),
    ("≥≤95%", "比较符「≥」之后不是可读的数值"),
]


@pytest.mark.parametrize(("text", "kind", "value", "shown"), COMPARATORS)
def test_comparator_look_alikes_and_words(text: str, kind: str, value: float, shown: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.kind, r.shown, r.has_comparator) == (kind, shown, True)
    assert math.isclose(r.value / r.scale, value)


@pytest.mark.parametrize(("text", "value", "unit", "scale", "shown"), UNITS)
def test_units_keep_their_scale_as_written(text: str, value: float, unit: str, scale: float, shown: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.unit, r.scale, r.shown) == (unit, scale, shown)
    assert r.value == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(("text", "lo", "hi", "unit"), RANGES)
def test_ranges(text: str, lo: float, hi: float, unit: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.kind, r.value, r.value_hi, r.unit) == ("区间", lo, hi, unit)


@pytest.mark.parametrize(("text", "tier"), TIER_CASES)
def test_negation_and_degree(text: str, tier: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.kind, r.tier) == ("定性", tier), r.note
    assert tier in r.note


@pytest.mark.parametrize("text", INSIDE_SENTENCE)
def test_words_inside_a_sentence_decide_no_tier(text: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.kind, r.tier) == ("定性", ""), r.note


@pytest.mark.parametrize("text", DESCRIPTIVE)
def test_descriptive_norms_are_qualitative(text: str) -> None:
    r = parse_text(text, V, 2022)
    assert r.kind == "定性" and np.isnan(r.value) and r.note


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_placeholders_are_blank_not_zero(text: str) -> None:
    r = parse_text(text, V, 2022)
    assert r.kind == "空" and np.isnan(r.value) and r.note


@pytest.mark.parametrize(("text", "words"), UNREADABLE)
def test_unreadable_says_why(text: str, words: str) -> None:
    r = parse_text(text, V, 2022)
    assert r.kind == "无法解析" and words in r.note


@pytest.mark.parametrize(("text", "value", "label"), [
    ("年度预算220万元", 2200000, "年度预算"), ("完成率98%", 98, "完成率"), ("约100人", 100, "约")])
def test_a_short_label_before_the_value(text: str, value: float, label: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.kind, r.value) == ("", value) and label in r.note


# what surrounds a value: text, kind, value as written, unit as shown, words of the note
AROUND = [
    ("100人左右", "", 100, "人", "「左右」"), ("100%完成", "", 100, "%", "「完成」"),
    ("3个工作日内完成", "≤", 3, "个工作日", "「完成」"), ("5日内", "≤", 5, "日", ""),
    ("≥95%(含)", "≥", 95, "%", "括号内「含」"), ("≥90%（抽样）；", "≥", 90, "%", "括号内「抽样」"),
    ("100(万元)", "", 100, "万元", ""), ("98%。", "", 98, "%", ""), ("力争达到95%", "≥", 95, "%", "「力争」"),
    ("满意度≥95%", "≥", 95, "%", "「满意度」"), ("12月底到位", "日期", 20221231, "日期", "「到位」"),
    ("¥1,200.00", "", 1200, "元", ""), ("±5%", "≤", 5, "%", ""), ("4.8分（满分5分）", "", 4.8, "分", "「满分5分」"),
]


@pytest.mark.parametrize(("text", "kind", "value", "shown", "words"), AROUND)
def test_words_around_a_value_are_set_aside_and_said(text: str, kind: str, value: float, shown: str,
                                                     words: str) -> None:
    r = parse_text(text, V, 2022)
    assert (r.kind, r.value / r.scale, r.shown) == (kind, value, shown)
    assert words in r.note


def test_a_negated_label_is_not_a_value() -> None:
    assert parse_text("未完成300公里", V, 2022).tier == "未达成"


@pytest.mark.parametrize(("text", "kind", "value", "unit", "has_cmp"), CASES)
def test_numeric_texts(text: str, kind: str, value: float, unit: str, has_cmp: bool) -> None:
    r = parse_text(text, PHRASES, 2022)
    assert (r.kind, r.unit, r.has_comparator) == (kind, unit, has_cmp)
    assert math.isclose(r.value, value)


@pytest.mark.parametrize(("text", "date"), [
    ("2022年12月31日前", 20221231), ("12月底前", 20221231), ("2022年底前", 20221231),
    ("9月前", 20220930), ("7月", 20220731), ("2022年10月25日", 20221025), ("2023-02-28", 20230228),
    ("2022年2月底前", 20220228), ("2022/12/31前", 20221231), ("2025年年底前", 20251231), ("每年12月底前", 20221231),
    ("12月底到位", 20221231), ("12月底前100%到位", 20221231), ("2021年1月-12月", 20211231), ("9月前完成", 20220930),
    ("于2022年6月底前完成", 20220630), ("年底前", 20221231), ("6月上旬", 20220610),
])
def test_dates_and_deadlines(text: str, date: int) -> None:
    r = parse_text(text, PHRASES, 2022)
    assert r.kind == "日期" and r.value == date


@pytest.mark.parametrize(("text", "tier"), [
    ("达成预期指标", "达成"), ("效果明显", "达成"), ("显著提升", "达成"), ("合格", "达成"), ("按时完成", "达成"),
    ("部分达成年度指标并具有一定效果", "部分达成"), ("未达成年度指标且效果较差", "未达成"), ("基本完成", "部分达成"),
])
def test_qualitative_tiers_with_a_plain_phrase_list(text: str, tier: str) -> None:
    """A tier → phrases mapping still works (the default profile's other word lists apply)."""
    r = parse_text(text, PHRASES, 2022)
    assert (r.kind, r.tier) == ("定性", tier)


def test_range() -> None:
    r = parse_text("90%-95%", PHRASES, 2022)
    assert (r.kind, r.value, r.value_hi, r.unit) == ("区间", 90, 95, "%")


def test_empty() -> None:
    assert parse_text(None, PHRASES, 2022).kind == "空"
    assert parse_text("  ", PHRASES, 2022).kind == "空"


def test_word_lists_come_from_the_rulebook() -> None:
    """A profile that lists a new comparator word, unit or negation is read by it, with no code change."""
    rules = load_rules("mof2020", 2022)
    base = rules["parsing.comparators"]
    rules = rules.with_value("parsing.comparators", {**base, "≥": [*base["≥"], "起码"]})
    rules = rules.with_value("parsing.units", {**rules["parsing.units"], "顷": ["亩", 100]})
    rules = rules.with_value("parsing.negations", [*rules["parsing.negations"], "欠缺"])
    v = Vocabulary.from_rules(rules)
    assert parse_text("起码5顷", v, 2022) == parse_text("≥500亩", v, 2022).__class__(
        "≥", 500.0, unit="亩", scale=100.0, shown="顷", has_comparator=True)
    assert parse_text("欠缺规范", v, 2022).tier == "未达成"
    assert (parse_text("起码5顷", V, 2022).has_comparator, parse_text("起码5顷", V, 2022).unit) == (False, "顷")


def test_each_distinct_string_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import perfkit.rules.target_columns as C
    import perfkit.rules.targets as T

    calls: list = []
    real = T.parse_text
    monkeypatch.setattr(T, "parse_text", lambda t, p, y: calls.append(t) or real(t, p, y))
    texts = pd.Series(["≥50个", "≥50个", "效果明显", None] * 1000)
    out = C.parse_texts(texts, PHRASES, 2022)
    # never more than one parse per distinct string (+ the empty reading); plain shapes skip it altogether
    assert len(out) == 4000 and len(calls) == len(set(calls)) <= 2 + 1
    assert out["kind"].tolist()[:4] == ["≥", "≥", "定性", "空"]


def test_vectorized_fast_path_agrees_with_the_full_parser(demo) -> None:
    """parse_texts reads the plain shapes with one arrow regex; it must say exactly what parse_text says."""
    extra = ["≥50个", "不少于1,200人次", "1.2万人次", "7月", "≥3年", "10天以内", "90%-95%", "≥五十个项目单位都完成了",
             "＝100%", "≦0.5亿元", "85", None, " ≥ 266 米 ", "3个工作日", "≥1,000.5万元", "<5次", "-3",
             "46.16万元", "5之内", "3‰", "150万", "28.8萬元", ">=95%", "=0", "5万元/个", "12.5%%", "0件"]
    texts = pd.concat([demo.tables["self_eval"]["target_text"], demo.tables["self_eval"]["actual_text"],
                       pd.Series(extra)], ignore_index=True)
    fast = parse_texts(texts, PHRASES, 2022)
    for i in pd.Series(range(len(texts))).drop_duplicates().sample(3000, random_state=1, replace=True):
        slow = parse_text(texts[i], PHRASES, 2022)
        row = fast.iloc[i]
        assert (row["kind"], row["unit"], row["shown"], row["scale"], row["tier"], bool(row["has_comparator"]),
                row["note"]) == (slow.kind, slow.unit, slow.shown, slow.scale, slow.tier, slow.has_comparator,
                                 slow.note), texts[i]
        assert (np.isnan(row["value"]) and np.isnan(slow.value)) or math.isclose(row["value"], slow.value), texts[i]


# ------------------------------------------------------------------ both sides of a row (read_indicators)

# target, actual, 指标性质, 计量单位, indicator, expected: direction, target, actual (base units), unit as shown,
# actual kind, words of the reason ("" = the row reads)
ROWS = [
    ("≤90万元", "120", None, None, "项目成本", (LE, 900000, 1200000, "万元", "", "")),
    ("10万人次", "9.5", None, None, "服务人次", (GE, 100000, 95000, "万人次", "", "")),
    ("100", "98%", None, None, "验收合格率", (GE, 100, 98, "%", "", "")),
    ("≥95%", "0.98", None, None, "满意度", (GE, 95, 98, "%", "", "")),
    ("≥95%", "96", None, None, "满意度", (GE, 95, 96, "%", "", "")),
    ("≤150万元", "125.25万", None, None, "运行维护成本", (LE, 1500000, 1252500, "万元", "", "")),
    ("150", "125.25万元", None, None, "运行维护成本", (LE, 1500000, 1252500, "万元", "", "")),
    ("150万", "150万", None, None, "运行维护成本", (LE, 1500000, 1500000, "万", "", "")),
    ("≤90万元", "2126100元", None, None, "项目成本", (LE, 900000, 2126100, "万元", "", "")),
    ("95", "96", "≥", "%", "满意度", (GE, 95, 96, "%", "", "")),
    ("≥95%", "96%", None, "%", "满意度", (GE, 95, 96, "%", "", "")),
    ("100", "100", "≧", "%", "覆盖率", (GE, 100, 100, "%", "", "")),
    ("230", "230", "≥", "个", "村组干部", (GE, 230, 230, "个", "", "")),
    ("28.8萬元", "28.8", "定量", "%", "支出安排金额", (GE, 288000, 288000, "万元", "", "")),
    # a whole-cell restatement of a descriptive target is the unit's own claim (单位自述), read at its tier
    ("应保尽保", "应保尽保", "定性", "%", "保证单位正常运转", (QUAL, np.nan, np.nan, "", "定性", "")),
    ("应保尽保", "保证单位正常运转", "定性", "%", "保证单位正常运转",
     (QUAL, np.nan, np.nan, "", "无法解析", "未写明完成程度")),
    ("20", "2", "反向", "次", "投诉次数", (LE, 20, 2, "次", "", "")),
    ("0件", "0", None, None, "安全事故", (LE, 0, 0, "件", "", "")),
    ("0", "未发生", None, None, "安全事故发生数", (LE, 0, 0, "", "", "")),
    ("0起", "无", None, None, "违纪违法案件", (LE, 0, 0, "起", "", "")),
    ("0", "1", None, None, "验收合格项目", (LE, 0, 1, "", "", "")),      # a bare 0 is a ceiling whatever the name
    ("=0", "0", None, None, "差错", ("=", 0, 0, "", "", "")),
    ("≥95%", "见附件", None, None, "满意度", (GE, 95, np.nan, "%", "无法解析", "实际完成值为「见附件」")),
    ("≥95%", "/", None, None, "满意度", (GE, 95, np.nan, "%", "空", "实际完成值为「/」")),
    ("/", "100%", None, None, "满意度", ("空", np.nan, 100, "%", "", "指标值为「/」")),
    ("≥50个", "50人", None, None, "数量", (GE, 50, 50, "个", "", "单位不一致")),
    ("按规定程序执行", "按规定程序执行完毕，效果良好", None, None, "程序规范", (QUAL, np.nan, np.nan, "", "定性", "")),
    ("效果明显", "无明显提升", None, None, "社会效益", (QUAL, np.nan, np.nan, "", "定性", "")),
]


@pytest.mark.parametrize(("target", "actual", "cmp", "unit", "indicator", "expected"), ROWS)
def test_rows_reconcile_both_sides(target, actual, cmp, unit, indicator, expected) -> None:
    from perfkit.analyses.evaluation import read_indicators

    frame = pd.DataFrame({"indicator": [indicator], "level2": ["数量指标"], "target_text": [target],
                          "actual_text": [actual], "comparator_text": [cmp], "unit_text": [unit]})
    r = read_indicators(frame, load_rules("mof2020", 2022)).iloc[0]
    direction, t, a, shown, a_kind, words = expected
    assert r["direction"] == direction
    assert (np.isnan(t) and np.isnan(r["t_value"])) or r["t_value"] == pytest.approx(t)
    assert (np.isnan(a) and np.isnan(r["a_value"])) or r["a_value"] == pytest.approx(a)
    assert r["unit_shown"] == shown
    assert r["a_kind"] == a_kind
    assert (words in r["read_reason"]) if words else r["read_reason"] == ""


def test_split_cells_never_double_the_unit() -> None:
    from perfkit.rules.target_columns import combine_target_parts

    out = combine_target_parts(pd.Series(["≥95%", "95", "100", "应保尽保", None, "28.8萬元", "≥95", "95万元", "95"]),
                               pd.Series(["≥", "≥", "=", "定性", "≥", "定量", None, "≧", ">="]),
                               pd.Series(["%", "%", "%", "%", "%", "%", "%", "万元", None]), V)
    assert [None if pd.isna(v) else v for v in out] == ["≥95%", "≥95%", "=100%", "应保尽保", None, "28.8万元", "≥95%",
                                                     "≥95万元", "≥95"]


def test_a_value_prints_in_its_written_unit() -> None:
    """212.61万元, not 2.1261e+06元: value ÷ unit_scale with unit_shown."""
    from perfkit.analyses.evaluation import read_indicators

    frame = pd.DataFrame({"indicator": ["成本"], "target_text": ["≤300万元"], "actual_text": ["2,126,100元"]})
    r = read_indicators(frame, load_rules("mof2020", 2022)).iloc[0]
    assert f"{r['a_value'] / r['unit_scale']:g}{r['unit_shown']}" == "212.61万元"


@pytest.mark.parametrize(("value", "shown"), [(2126100.0, "2126100"), (461599.99999999994, "461600"), (96.5, "96.5"),
                                              (123456789.0, "123456789"), (8.615, "8.615")])
def test_numbers_in_explanations_are_never_scientific(value: float, shown: str) -> None:
    from perfkit.analyses.wording import fmt as _fmt

    assert _fmt(pd.Series([value])).iloc[0] == shown


@pytest.mark.parametrize(("done", "light"), [("600000元", "蓝"), ("60", "蓝"), ("25万元", "红"), ("见附件", None)])
def test_monitoring_reads_split_target_cells(done: str, light: str | None) -> None:
    """指标性质 | 指标值 | 计量单位 of 绩效目标 are used by monitoring too: ≥ | 100 | 万元 at month 6."""
    from perfkit.analyses.monitoring import indicator_pace
    from perfkit.io.load import Dataset

    targets = pd.DataFrame({"project_id": ["P1"], "level1": ["产出指标"], "level2": ["数量指标"],
                            "indicator": ["带动投资"], "target_text": ["100"], "weight": [10.0],
                            "comparator_text": ["≥"], "unit_text": ["万元"]})
    im = pd.DataFrame({"project_id": ["P1"], "month": [6], "indicator": ["带动投资"], "done_text": [done],
                       "likelihood": [None]})
    ds = Dataset(source="t", tables={"targets": targets, "ind_monitor": im})
    out = indicator_pace(ds, load_rules("mof2020", 2022), 6)
    assert (None if pd.isna(out["light"].iloc[0]) else out["light"].iloc[0]) == light


def test_a_real_date_cell_is_a_date() -> None:
    import datetime as dt

    for cell in (pd.Timestamp("2022-12-31"), dt.date(2022, 12, 31), dt.datetime(2022, 12, 31, 0, 0)):
        assert (parse_text(cell, V, 2022).kind, parse_text(cell, V, 2022).value) == ("日期", 20221231)


ALPHABET = "0123456789.,%-~≥≤=<>≧≦＞＝万元个人次年月日前底以上内不未无基本较好差满意完成达到见附件/— 　\n*()（）萬"


@settings(max_examples=int(os.environ.get("PERFKIT_PARSER_EXAMPLES", "100")), deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=ALPHABET, max_size=14), st.floats(allow_nan=True),
                          st.integers(-10**6, 10**9)), min_size=1, max_size=30))
def test_any_cell_ends_in_exactly_one_class_and_the_fast_path_agrees(cells: list) -> None:
    """Whatever a cell holds, the reader ends in one of its classes without an exception; 空 and 无法解析
    always say why; numbers and dates carry a value; the vectorized path agrees with the full parser."""
    texts = pd.Series(cells, dtype=object)
    out = parse_texts(texts, V, 2022)
    assert len(out) == len(texts)
    for cell, (_, row) in zip(cells, out.iterrows(), strict=True):
        one = parse_text(cell, V, 2022)
        assert row["kind"] in {"", "≥", "≤", "=", "区间", "日期", "定性", "空", "无法解析"}
        assert (row["kind"], row["unit"], row["shown"], row["tier"], row["note"]) == \
            (one.kind, one.unit, one.shown, one.tier, one.note), cell
        assert (np.isnan(row["value"]) and np.isnan(one.value)) or row["value"] == one.value
        if row["kind"] in ("空", "无法解析"):
            assert row["note"] and np.isnan(row["value"])
        if row["kind"] in ("", "≥", "≤", "=", "区间", "日期"):
            assert not np.isnan(row["value"])
