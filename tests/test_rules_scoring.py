"""Scoring rules: hand-computed worked examples, each naming its rule's source (issue: rules engine §3)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from perfkit.analyses.evaluation import explain_indicators, explain_projects, score_indicators, score_projects
from perfkit.io.load import Dataset
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import available_profiles, load_rules

MOF = "财预〔2020〕10号"


@pytest.mark.parametrize(("spent", "budget", "weight", "rate", "score", "source"), [
    (86.19, 100, 10, 0.8619, 8.62, MOF + " 自评表：86.19% → 8.62"),
    (120, 100, 10, 1.2, 10.0, MOF + "：执行率封顶 100%"),
    (0, 100, 10, 0.0, 0.0, MOF),
    (50, 100, 20, 0.5, 10.0, "湖北/云南 20 分表样"),
])
def test_execution_score(spent, budget, weight, rate, score, source) -> None:
    r = F.execution_rate([spent], [budget])
    assert r[0] == pytest.approx(rate), source
    assert F.execution_score(r, [weight], 2)[0] == score, source


def test_zero_budget_is_a_finding_not_a_crash() -> None:
    assert np.isnan(F.execution_rate([10], [0])[0])


# kind, actual, target, weight, rule, expected, source
INDICATOR_CASES = [
    ("≥", 120, 100, 20, None, 20.0, MOF + " 正向：达标满分"),
    ("≥", 96, 120, 16, None, 12.8, MOF + " 正向：W×A/T = 16×96/120"),
    ("≥", -5, 100, 10, None, 0.0, "本局设定：负值不得分"),
    ("≤", 90, 100, 10, "proportional", 10.0, MOF + " 反向：未超上限满分"),
    ("≤", 125, 100, 10, "proportional", 8.0, "省级表样脚注：W×T/A = 10×100/125"),
    ("≤", 125, 100, 10, "linear", 7.5, "部平台：W×(1−(A−T)/T) = 10×0.75"),
    ("≤", 250, 100, 10, "linear", 0.0, "部平台：2T 及以上为 0"),
    ("=", 0, 0, 8, None, 8.0, "T=0 且 A≤0 满分"),
    ("=", 1, 0, 8, None, 0.0, "T=0 且 A>0 为 0"),
    ("=", 98, 100, 10, None, 9.8, "T≠0 按正向"),
]


@pytest.mark.parametrize(("kind", "a", "t", "w", "rule", "expected", "source"), INDICATOR_CASES)
def test_quantitative_indicator(kind, a, t, w, rule, expected, source) -> None:
    if kind == "≥":
        got = F.forward_score([a], [t], [w])
    elif kind == "≤":
        got = F.reverse_score([a], [t], [w], rule)
    else:
        got = F.equal_score([a], [t], [w])
    assert F.round_half_up(got, 2)[0] == expected, source


def test_unknown_reverse_rule_raises_clearly() -> None:
    with pytest.raises(ValueError, match="未实现"):
        F.reverse_score([1], [1], [1], "quadratic")


@pytest.mark.parametrize(("total", "bands", "grade"), [
    (90, {"优": 90, "良": 80, "中": 60}, "优"), (89.99, {"优": 90, "良": 80, "中": 60}, "良"),
    (60, {"优": 90, "良": 80, "中": 60}, "中"), (59.99, {"优": 90, "良": 80, "中": 60}, "差"),
    (80, {"优": 80, "良": 70, "中": 60}, "优"), (75, {"优": 80, "良": 70, "中": 60}, "良"),
])
def test_grade_bands_inclusive_lower_bounds(total, bands, grade) -> None:
    assert F.grade([total], bands, "差")[0] == grade


def _self_eval(rows: list[tuple]) -> pd.DataFrame:
    cols = ["project_id", "level1", "level2", "indicator", "target_text", "actual_text", "weight", "unit_score",
            "deviation_reason"]
    return pd.DataFrame(rows, columns=cols)


# target text, actual text, weight, expected score, words expected in 说明
ROW_CASES = [
    ("≥50个", "45个", 20, 18.0, "正向"),
    ("≤90万元", "900000元", 10, 10.0, "反向"),            # units compare: 90万元 = 900000元
    ("≤90万元", "100万元", 10, 9.0, "按比例"),
    ("≥95%", "0.98", 10, 10.0, "正向"),                   # 0.98 read as 98% (rulebook)
    ("≥95%", "90", 10, 9.47, "正向"),                     # 90 read as 90%
    ("效果明显", "效果明显", 10, 10.0, "定性"),
    ("效果明显", "部分达成年度指标并具有一定效果", 10, 7.0, "定性"),
    ("2022年12月31日前", "2022年11月20日", 10, 10.0, "时效"),
    ("2022年12月31日前", "2023年1月5日", 10, 0.0, "时效"),
    ("9月前", "7月", 5, 5.0, "时效"),
    ("≥266米", "≥266米", 10, 10.0, "照抄"),                # read, scored and flagged
    ("=0", "0", 8, 8.0, "等于"),
    ("≥50个", "详见附件", 10, np.nan, "不是可比较的数值"),
    ("≥50个", "45个", np.nan, np.nan, "无分值"),
    ("≥50个", "45平方米", 10, np.nan, "单位不一致"),
]


@pytest.mark.parametrize(("target", "actual", "weight", "expected", "words"), ROW_CASES)
def test_indicator_rows_with_explanation(rules, target, actual, weight, expected, words) -> None:
    out = score_indicators(_self_eval([("P1", "产出指标", "数量指标", "指标", target, actual, weight, weight, "")]),
                           rules)
    score = out["score"].iloc[0]
    assert (np.isnan(score) and np.isnan(expected)) or score == expected
    assert words in explain_indicators(out, rules).iloc[0]


def test_reverse_rule_follows_the_profile() -> None:
    frame = _self_eval([("P1", "产出指标", "成本指标", "成本", "≤100万元", "125万元", 10, 10, "")])
    assert score_indicators(frame, load_rules("mof2020", 2022))["score"].iloc[0] == 8.0
    assert score_indicators(frame, load_rules("linear", 2022))["score"].iloc[0] == 7.5


def test_every_row_keeps_its_place(rules) -> None:
    rows = [("P1", "产出指标", "数量指标", f"指标{i}", "≥10个", x, 10, 10, "") for i, x in enumerate(["12个", "", "?"])]
    out = score_indicators(_self_eval(rows), rules)
    assert len(out) == 3 and explain_indicators(out, rules).str.len().gt(4).all()


def _dataset(self_eval: pd.DataFrame, summary: pd.DataFrame | None = None, projects: pd.DataFrame | None = None):
    ds = Dataset("test")
    ds.tables["self_eval"] = self_eval
    if summary is not None:
        ds.tables["self_summary"] = summary
    if projects is not None:
        ds.tables["projects"] = projects
    return ds


def test_project_total_grade_and_difference(rules) -> None:
    rows = [("P1", "产出指标", "数量指标", "a", "≥100个", "100个", 50, 50, ""),
            ("P1", "效益指标", "社会效益指标", "b", "效果明显", "效果明显", 30, 30, ""),
            ("P1", "满意度指标", "服务对象满意度指标", "c", "≥90%", "80%", 10, 10, "")]
    summary = pd.DataFrame({"project_id": ["P1"], "exec_weight": [10.0], "unit_exec_score": [10.0],
                            "unit_total": [100.0]})
    projects = pd.DataFrame({"project_id": ["P1"], "budget": pd.array([100_000_000], "Int64"),
                             "spent": pd.array([86_190_000], "Int64")})
    per = score_projects(_dataset(_self_eval(rows), summary, projects), rules).projects
    p = per.assign(explanation=explain_projects(per, rules)).iloc[0]
    # 8.62 + 50 + 30 + 10×80/90 = 8.62 + 80 + 8.89 = 97.51
    assert p["exec_score"] == 8.62 and p["total"] == 97.51 and p["grade"] == "优"
    assert p["difference"] == 2.49
    assert "执行率 86.19%" in p["explanation"] and "财预〔2020〕10号" in p["explanation"]


def test_missing_satisfaction_weight_is_redistributed(rules) -> None:
    rows = [("P1", "产出指标", "数量指标", "a", "≥100个", "50个", 50, 25, ""),
            ("P1", "效益指标", "社会效益指标", "b", "效果明显", "效果明显", 30, 30, "")]
    summary = pd.DataFrame({"project_id": ["P1"], "exec_weight": [10.0], "unit_exec_score": [10.0],
                            "unit_total": [65.0]})
    projects = pd.DataFrame({"project_id": ["P1"], "budget": pd.array([100_000_000], "Int64"),
                             "spent": pd.array([100_000_000], "Int64")})
    per = score_projects(_dataset(_self_eval(rows), summary, projects), rules).projects
    p = per.assign(explanation=explain_projects(per, rules)).iloc[0]
    # (25 + 30) × 90/80 = 61.875 → + 10 (execution 100%) = 71.88
    assert p["total"] == 71.88 and "分摊" in p["explanation"] and "本局设定" in p["explanation"]
    assert "redistribute_missing_satisfaction" not in p["explanation"]  # keys sit in 规则编号, not in 说明
    assert p["recomputable_points"] == 100.0
    off = load_rules("mof2020", 2022).with_value("evaluation.redistribute_missing_satisfaction", False)
    assert score_projects(_dataset(_self_eval(rows), summary, projects), off).projects.iloc[0]["total"] == 65.0
    # without amounts the execution score is the unit's word only: 待核实, its 10 points not recomputed
    pending = score_projects(_dataset(_self_eval(rows), summary), rules).projects
    q = pending.assign(explanation=explain_projects(pending, rules)).iloc[0]
    assert q["status"] == "待核实" and q["recomputable_points"] == 90.0 and "执行率得分无法复算" in q["explanation"]


def test_profiles_have_sources_for_every_value() -> None:
    assert {"mof2020", "exec20", "bands807060", "linear"} <= set(available_profiles())
    for profile in available_profiles():
        table = load_rules(profile, 2022).table()
        assert table["来源"].str.len().gt(3).all() and table["说明"].str.len().gt(3).all()
    assert load_rules("exec20", 2022)["evaluation.execution_weight"] == 20
    assert load_rules("bands807060", 2022)["evaluation.grade_bands"]["优"] == 80


def test_user_rulebook_file_and_bad_file(tmp_path) -> None:
    from perfkit.io.load import InputError

    good = tmp_path / "mine.yaml"
    good.write_text("profile: mine\ntitle: 本地口径\nextends: mof2020\nparameters:\n"
                    "  monitoring.warning_deviation:\n    description: 偏差\n    unit: 百分点\n"
                    "    source: 本地文件\n    values: {2021-01-01: 15}\n", encoding="utf-8")
    assert load_rules(good, 2022)["monitoring.warning_deviation"] == 15
    assert load_rules(good, 2020)["monitoring.warning_deviation"] == 20  # dated values
    bad = tmp_path / "bad.yaml"
    bad.write_text("profile: bad\nparameters:\n  x.y:\n    values: {2020-01-01: 1}\n", encoding="utf-8")
    with pytest.raises(InputError, match="来源"):
        load_rules(bad, 2022)


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (60, 0, "60"), (100, 0, "100"), (0, 0, "0"), (80.0, 2, "80"), (8.6200, 4, "8.62"), (2126100, 4, "2126100"),
    (-0.0, 2, "0"), (0.4, 0, "0"), (1.26, 1, "1.3"), (float("inf"), 2, ""),
])
def test_numbers_in_explanations_are_written_as_people_write_them(value, decimals, text) -> None:
    """The tier range of a finding once read "6%–8%" for 60%–80%: zeros of a whole number were stripped."""
    from perfkit.analyses.wording import number_text as _number

    assert _number(value, decimals) == text


def test_every_rule_has_an_honest_basis_in_users_words() -> None:
    """Each rule's basis is 文件 / 平台惯例 / 本局设定; a 文件 basis names a document (文号 or 《title》); no
    user-facing field speaks "design choice", internal file names, rulebook keys or English (issue 24 §3)."""

    from perfkit.rules.rulebook import BASES, available_profiles

    for profile in available_profiles():
        table = load_rules(profile, 2022).table()
        assert table["依据"].isin(BASES).all(), table.loc[~table["依据"].isin(BASES), "规则编号"].tolist()
        documents = table.loc[table["依据"].eq("文件"), "来源"]
        assert documents.str.contains(r"〔\d{4}〕\d+号|《").all()
        for column in ("说明", "来源"):
            bad = table[column].str.contains(r"design choice|DOMAIN|DATA_CONTRACT|seed|[A-Za-z]{3,}|[a-z]+\.[a-z_]+")
            assert not bad.any(), table.loc[bad, ["规则编号", column]].to_string()
    # the two the review found citing documents that do not contain them
    rules = load_rules("mof2020", 2022)
    assert rules.basis("application.actions") == "本局设定"
    assert rules.basis("monitoring.execution_light") != "文件"


def test_entry_limits_are_data_with_their_basis(tmp_path) -> None:
    """The ranges that send a cell to quarantine (金额上限, 分值上限, 年度范围) live in limits.yaml with a
    description, unit and basis like every rule, and the loader applies exactly those values."""
    from perfkit.io import contract
    from perfkit.io.load import load
    from perfkit.rules.rulebook import BASES

    for key, entry in contract.LIMITS.items():
        assert {"description", "unit", "basis", "source", "value"} <= set(entry), key
        assert entry["basis"] in BASES and not re.search(r"[A-Za-z]{3,}", entry["description"] + entry["source"])
    assert contract.PROJECTS.column("budget").maximum == float(contract.LIMITS["money_max"]["value"])
    assert contract.PROJECTS.column("year").minimum == contract.LIMITS["years"]["value"][0]
    top = float(contract.LIMITS["money_max"]["value"])
    pd.DataFrame({"项目编码": ["P1", "P2"], "项目名称": ["甲", "乙"], "单位名称": ["单位", "单位"], "年度": [2022, 2022],
                  "项目类别": ["部门项目支出"] * 2, "全年预算数": [top, top * 10]}).to_csv(tmp_path / "项目.csv", index=False)
    ds = load(tmp_path)
    assert ds.table("projects")["project_id"].astype(str).tolist() == ["P1"]
    assert len(ds.quarantine) == 1 and "全年预算数" in ds.quarantine.iloc[0].to_string()
