"""Rules an independent review found missing or wrong (issue 24 §2), each with a case that fails without
the rule: exact decimal tolerance, only a missing 满意度 weight is redistributed (scoring and target
review agree), a blank 分值 takes the approved target's weight, over-achievement of "=" and ranges,
execution above 100%, ranking without monitoring, the spot-check order, the target review's units and
expected total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from perfkit.analyses import application as A
from perfkit.analyses import review as R
from perfkit.analyses.evaluation import explain_indicators, score_projects
from perfkit.analyses.monitoring import Monitoring
from perfkit.io.load import Dataset
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import load_rules
from tests.test_unrecomputable import SE_COLS, _ds, _review, _rows

RULES = load_rules("mof2020", 2022)


def test_tolerance_is_compared_in_exact_decimals() -> None:
    assert not F.beyond(8.12, 8.13, 0.01)  # 8.13 − 8.12 = 0.010000000000000675 in binary floats
    assert F.beyond(8.11, 8.13, 0.01)
    assert not F.above(100.01, 100, 0.01) and F.above(100.02, 100, 0.01)
    # on a row: the unit wrote 8.12 where the rule gives 8.13 (within the tolerance) — no finding
    rows = _rows(("P1", "产出指标", "数量指标", "件数", "≥100个", "81.3个", 10.0, 8.12, "有原因"))
    rows.loc[0, ["weight", "unit_score"]] = [30.0, 30.0]
    ind, _, findings = _review(_ds(rows, unit_total=98.12), RULES)
    assert ind.loc[3, "score"] == 8.13
    assert "得分与规则不符" not in set(findings.loc[findings["indicator"].eq("件数"), "finding"])
    rows.loc[3, "unit_score"] = 8.11
    _, _, findings = _review(_ds(rows, unit_total=98.11), RULES)
    assert "得分与规则不符" in set(findings.loc[findings["indicator"].eq("件数"), "finding"])


def _no_satisfaction(out_weight: float) -> pd.DataFrame:
    return pd.DataFrame([("P1", "产出指标", "数量指标", "人数", "≥100人", "100人", out_weight, out_weight, ""),
                         ("P1", "效益指标", "社会效益指标", "效果", "效果明显", "效果明显", 30.0, 30.0, "")],
                        columns=SE_COLS)


@pytest.mark.parametrize(("out_weight", "redistributed"), [(50.0, True), (40.0, False), (60.0, False)])
def test_only_a_missing_satisfaction_weight_is_redistributed(out_weight: float, redistributed: bool) -> None:
    """Execution 10 + 产出 + 效益 30 and no 满意度: short by exactly 满意度's 10 → spread; short by 20 (or
    adding up without 满意度) → 分值合计不符 where it does not add up, never a silent rescale."""
    ds = _ds(_no_satisfaction(out_weight), unit_total=10 + out_weight + 30)
    ind, per, findings = _review(ds, RULES)
    assert (per["scale"].iloc[0] != 1.0) == redistributed
    adds_up = out_weight + 30 + 10 == 100
    assert ("分值合计不符" in set(findings["finding"])) == (not redistributed and not adds_up)
    # the target review applies the same test to the same weights
    targets = ds.tables["self_eval"][["project_id", "level1", "level2", "indicator", "target_text", "weight"]]
    ds.tables["targets"] = targets
    tf = R.review_targets(ds, RULES)
    assert ("分值合计不符" in set(tf["finding"])) == (not redistributed and not adds_up)


def test_target_review_expects_100_minus_the_projects_own_execution_weight() -> None:
    rows = _rows()  # 40 + 30 + 10 = 80 with a 20-point execution weight (湖北 forms)
    ds = _ds(rows, exec_weight=20.0, unit_total=100.0)
    ds.tables["targets"] = rows[["project_id", "level1", "level2", "indicator", "target_text", "weight"]]
    assert "分值合计不符" not in set(R.review_targets(ds, RULES)["finding"])
    ds10 = _ds(rows, exec_weight=10.0)
    ds10.tables["targets"] = ds.tables["targets"]
    found = R.review_targets(ds10, RULES)
    assert "应为 100 − 执行率分值 10 = 90" in " ".join(found.loc[found["finding"].eq("分值合计不符"), "explanation"])


def test_target_review_wants_units_under_quantified_blocks_and_dates_for_deadlines() -> None:
    tg = pd.DataFrame([("P1", "产出指标", "数量指标", "人数", "≥100", 40.0),
                       ("P1", "产出指标", "数量指标", "面积", "≥100平方米", 20.0),
                       ("P1", "产出指标", "时效指标", "完成时间", "2022年12月31日前", 10.0),
                       ("P1", "产出指标", "时效指标", "及时性", "及时", 10.0),
                       ("P1", "效益指标", "社会效益指标", "效果", "效果明显", 10.0)],
                      columns=["project_id", "level1", "level2", "indicator", "target_text", "weight"])
    ds = Dataset("t")
    ds.tables["targets"] = tg
    f = R.review_targets(ds, RULES)
    assert set(f.loc[f["finding"].eq("缺少计量单位"), "indicator"]) == {"人数"}
    assert set(f.loc[f["finding"].eq("指标未量化"), "indicator"]) == {"及时性"}
    assert set(f.loc[f["finding"].str.startswith("缺少") & f["indicator"].eq(""), "finding"]) == set()


def test_a_blank_weight_takes_the_approved_targets_weight_with_a_note() -> None:
    rows = _rows(("P1", "产出指标", "数量指标", "件数", "≥50个", "50个", np.nan, 10.0, ""))
    ds = _ds(rows, unit_total=100.0)
    tg = rows[["project_id", "level1", "level2", "indicator", "target_text", "weight"]].copy()
    tg.loc[3, "weight"] = 10.0
    ds.tables["targets"] = tg
    s = score_projects(ds, RULES)
    assert s.indicators.loc[3, "score"] == 10.0 and s.indicators.loc[3, "weight_from_target"]
    assert s.projects["status"].iloc[0] == "完整" and s.projects["total"].iloc[0] == 100.0
    assert "取已批复绩效目标的分值" in explain_indicators(s.indicators.loc[[3]], RULES).iloc[0]
    # no approved weight either: still 无法复算, never 0
    ds.tables["targets"] = tg.assign(weight=np.nan)
    assert score_projects(ds, RULES).projects["status"].iloc[0] == "待核实"


@pytest.mark.parametrize(("target", "actual", "flagged"), [
    ("=10个", "14个", True), ("=10个", "12个", False), ("90%-95%", "130%", True), ("90%-95%", "93%", False),
    ("≥10个", "13个", True)])
def test_over_achievement_of_equal_and_range_targets_needs_a_reason(target: str, actual: str, flagged: bool) -> None:
    rows = _rows(("P1", "产出指标", "数量指标", "件数", target, actual, 10.0, 10.0, ""))
    rows.loc[0, ["weight", "unit_score"]] = [30.0, 30.0]
    _, _, findings = _review(_ds(rows, unit_total=100.0), RULES)
    on_row = findings.loc[findings["indicator"].eq("件数"), "finding"]
    assert ("缺少偏差说明" in set(on_row)) == flagged


def test_execution_above_the_budget_is_a_finding() -> None:
    _, _, findings = _review(_ds(_rows(("P1", "产出指标", "数量指标", "件数", "≥1个", "1个", 10.0, 10.0, "")),
                                 budget_wan=100.0, spent_wan=100.5, unit_total=100.0), RULES)
    assert "执行数超过预算" in set(findings["finding"])
    _, _, findings = _review(_ds(_rows(("P1", "产出指标", "数量指标", "件数", "≥1个", "1个", 10.0, 10.0, "")),
                                 budget_wan=100.0, spent_wan=100.0, unit_total=100.0), RULES)
    assert "执行数超过预算" not in set(findings["finding"])


def _two_units() -> tuple[Dataset, pd.DataFrame]:
    rows = pd.concat([_rows(pid="P1"), _rows(pid="P2")], ignore_index=True)
    ds = _ds(rows, unit_total=90.0)
    ds.tables["projects"]["unit_id"] = ["U1", "U2"]
    return ds, score_projects(ds, RULES).projects


def test_ranking_without_monitoring_has_no_warning_part_and_says_so() -> None:
    ds, per = _two_units()
    ranking = A.unit_ranking(ds, per, None, pd.DataFrame(columns=R.FINDING_COLUMNS), RULES)
    assert ranking["part_no_warning"].isna().all() and ranking["warning_rate"].isna().all()
    assert ranking["ranking_basis"].str.contains("未含监控数据").all()
    parts = ranking[["part_mean_score", "part_pass_rate", "part_execution", "part_findings"]].sum(axis=1)
    assert np.allclose(parts, ranking["composite"], atol=0.011)
    # the weights of the parts present renormalised to 1: full execution is worth 0.2 / 0.9 of 100 points
    w = RULES["ranking.weights"]
    assert (ranking["part_execution"] == round(100 * w["execution"] / (1 - w["no_warning"]), 2)).all()
    mon = Monitoring(5, pd.DataFrame({"project_id": ["P1", "P2"], "unit_id": ["U1", "U2"], "warning": [False, True]}),
                     pd.DataFrame())
    with_mon = A.unit_ranking(ds, per, mon, pd.DataFrame(columns=R.FINDING_COLUMNS), RULES)
    assert with_mon["part_no_warning"].notna().all() and with_mon["ranking_basis"].eq("含监控数据").all()


def test_spot_check_order_blank_completion_is_not_zero_and_restated_rows_count() -> None:
    p = pd.DataFrame({"project_id": ["A", "B", "C", "D"], "project_name": list("ABCD"), "unit_id": ["U1", "U2", "U3", "U4"],
                      "budget": pd.array([100, 100, 100, 999], "Int64"), "key_project": False,
                      "target_completion": [np.nan, 0.3, 0.5, 0.9], "exec_light": ["红", "红", "红", "绿"]})
    mon = Monitoring(5, p, pd.DataFrame())
    scores = pd.DataFrame({"project_id": ["A", "B", "C", "D"], "n_restated": [0, 0, 0, 5]})
    plan = A.spot_check_plan(Dataset("t"), mon, RULES, scores)
    assert list(plan["project_id"]) == ["B", "C", "D", "A"]  # blank completion last, not first as a 0
    assert "单位自述" in plan.loc[plan["project_id"].eq("D"), "reason"].iloc[0]
    zero = RULES.with_value("spotcheck.blank_completion", 0.0)
    assert list(A.spot_check_plan(Dataset("t"), mon, zero, scores)["project_id"])[0] == "A"


def test_self_evaluation_against_year_end_monitoring() -> None:
    """自评与监控不一致: 全年执行数 against the last 执行监控 row, the actual against the last 指标监控 value —
    compared only when that last report is of the year end (rulebook review.self_vs_monitoring)."""
    rows = _rows(("P1", "产出指标", "数量指标", "件数", "≥50个", "50个", 10.0, 10.0, ""))
    ds = _ds(rows, budget_wan=100.0, spent_wan=100.0, unit_total=100.0)
    ds.tables["exec_monitor"] = pd.DataFrame({"project_id": ["P1", "P1"], "month": [5, 12],
                                              "spent_cum": pd.array([40_000_000, 90_000_000], "Int64")})
    ds.tables["ind_monitor"] = pd.DataFrame({"project_id": ["P1", "P1", "P1"], "month": [12, 12, 5],
                                             "indicator": ["件数", "人数", "满意度"],
                                             "done_text": ["40个", "100人", "50%"], "likelihood": None})
    _, _, findings = _review(ds, RULES)
    off = findings.loc[findings["finding"].eq("自评与监控不一致")]
    assert set(off["indicator"]) == {"", "件数"}  # execution 100 vs 90万元; 件数 50 vs 40; 人数 agrees
    assert "90万元" in " ".join(off["explanation"])
    # monitoring that stops in May says nothing about the year end
    ds.tables["exec_monitor"] = ds.tables["exec_monitor"].iloc[:1]
    ds.tables["ind_monitor"] = ds.tables["ind_monitor"].assign(month=5)
    _, _, findings = _review(ds, RULES)
    assert "自评与监控不一致" not in set(findings["finding"])
