"""Unreadable is not zero (issue 11 §2) and frameworks, weights and findings (§4), case by case.

A row that cannot be recomputed gets 无法复算 with its reason, its points are
left out of 可复算分值, the project is 待核实 with a provisional grade from the unit's own total, and no
budget action beyond 维持 is proposed for it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import perfkit.api as pk
from perfkit.analyses import application as A
from perfkit.analyses import review as R
from perfkit.analyses.evaluation import (
    COMPLETE,
    PENDING,
    explain_indicators,
    explain_projects,
    grade_label,
    score_indicators,
    score_projects,
)
from perfkit.io.load import Dataset, load
from perfkit.rules.rulebook import load_rules
from tests.conftest import write_folder

SE_COLS = ["project_id", "level1", "level2", "indicator", "target_text", "actual_text", "weight", "unit_score",
           "deviation_reason"]
WAN_FEN = 1_000_000  # 1万元 in 分


def _rows(*extra: tuple, pid: str = "P1") -> pd.DataFrame:
    """A project of 100 points: execution 10 (summary) + 40 + 30 + 10 + the extra rows (weights given)."""
    base = [(pid, "产出指标", "数量指标", "人数", "≥100人", "100人", 40.0, 40.0, ""),
            (pid, "效益指标", "社会效益指标", "效果", "效果明显", "效果明显", 30.0, 30.0, ""),
            (pid, "满意度指标", "服务对象满意度指标", "满意度", "≥90%", "95%", 10.0, 10.0, "")]
    return pd.DataFrame(base + list(extra), columns=SE_COLS)


def _ds(self_eval: pd.DataFrame, budget_wan: float | None = 100.0, spent_wan: float | None = 100.0,
        unit_total: float | None = 95.0, exec_weight: float = 10.0, projects: bool = True) -> Dataset:
    ds = Dataset("test")
    ds.tables["self_eval"] = self_eval
    ids = list(dict.fromkeys(self_eval["project_id"]))
    ds.tables["self_summary"] = pd.DataFrame({"project_id": ids, "exec_weight": exec_weight,
                                              "unit_exec_score": exec_weight, "unit_total": unit_total})
    if projects:
        def fen(v: float | None) -> object:
            return pd.NA if v is None else int(round(v * WAN_FEN))
        ds.tables["projects"] = pd.DataFrame({
            "project_id": ids, "project_name": [f"项目{i}" for i in ids], "unit_id": "U1", "year": 2022,
            "category": "部门项目支出", "monitor_class": "一般项目", "key_project": False, "new_major": False,
            "livelihood": False, "classified": False,
            "budget": pd.array([fen(budget_wan)] * len(ids), "Int64"),
            "spent": pd.array([fen(spent_wan)] * len(ids), "Int64")})
    return ds


def _review(ds: Dataset, rules) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    s = score_projects(ds, rules)
    return s.indicators, s.projects, R.review_self_evaluation(s.indicators, s.projects, ds, rules)


# one extra 10-point row (the project then adds up to 100 with the 10-point execution row, minus the
# satisfaction row's 10 → the extra row replaces nothing: weights 40+30+10+10 = 90 + 10 execution)
# target, actual, weight, words of the reason, recomputable points
UNRECOMPUTABLE = [
    ("≥50个", "", 10.0, "实际完成值未填写", 90.0),
    ("≥50个", "见附件", 10.0, "实际完成值为「见附件」", 90.0),
    ("≥50个", "已完成", 10.0, "类型不符", 90.0),            # a qualitative word against a number
    ("", "45个", 10.0, "指标值未填写", 90.0),
    ("≥50个", "45个", np.nan, "分值未填写", 90.0),           # blank 分值: its points are unknown
    ("≥50个", "45平方米", 10.0, "单位不一致", 90.0),
]


@pytest.mark.parametrize(("target", "actual", "weight", "words", "points"), UNRECOMPUTABLE)
def test_a_row_that_cannot_be_recomputed_is_never_zero(rules, target, actual, weight, words, points) -> None:
    extra = ("P1", "产出指标", "数量指标", "件数", target or None, actual or None, weight, 10.0, "")
    ind, per, findings = _review(_ds(_rows(extra), unit_total=95.0), rules)
    row = ind.iloc[-1]
    assert np.isnan(row["score"]) and row["unscored"]
    assert words in explain_indicators(ind.iloc[[-1]], rules).iloc[0]
    f = findings[findings["finding"].eq("无法复算")]
    assert list(f["indicator"]) == ["件数"] and words in f["explanation"].iloc[0]
    p = per.iloc[0]
    assert p["status"] == PENDING and p["recomputable_points"] == points
    assert np.isnan(p["total"]) and p["grade"] is None  # never graded, ranked or cut on a partial sum
    assert p["recomputed_total"] == 90.0 and p["provisional_grade"] == "优"  # the unit's own 95
    assert grade_label(per).iloc[0] == "优（待核实）"
    assert "可复算分值 90/100" in explain_projects(per, rules).iloc[0]
    assert "单位自评总分 95" in explain_projects(per, rules).iloc[0]


def test_unreadable_actual_on_a_50_point_row_does_not_make_the_project_poor(rules) -> None:
    """Issue 11 §2: "见附件" on a 50-point indicator made the project 差 and cancelled its budget."""
    rows = pd.DataFrame([("P1", "产出指标", "数量指标", "a", "≥50个", "见附件", 50.0, 50.0, ""),
                         ("P1", "效益指标", "社会效益指标", "b", "效果明显", "效果明显", 30.0, 30.0, ""),
                         ("P1", "满意度指标", "服务对象满意度指标", "c", "≥90%", "95%", 10.0, 10.0, "")],
                        columns=SE_COLS)
    ds = _ds(rows, unit_total=100.0)
    s = score_projects(ds, rules)
    p = s.projects.iloc[0]
    assert p["recomputable_points"] == 50.0 and p["recomputed_total"] == 50.0 and p["status"] == PENDING
    proposal = A.budget_proposal(ds, s.projects, None, rules)
    assert proposal["action"].iloc[0] == "复算待核实，维持" and proposal["change"].iloc[0] == 0.0
    assert proposal["proposal"].iloc[0] == proposal["budget"].iloc[0]


def test_no_weight_column_never_gives_a_total_of_10_and_grade_poor(tmp_path, rules) -> None:
    """A form without a 分值 column: every row 无法复算, only the execution score recomputed (10/100)."""
    se = pd.DataFrame({"项目编码": ["P1"] * 3, "一级指标": ["产出指标", "效益指标", "满意度指标"],
                       "二级指标": ["数量指标", "社会效益指标", "服务对象满意度指标"], "三级指标": ["a", "b", "c"],
                       "指标值": ["≥50个", "效果明显", "≥90%"], "实际完成值": ["60个", "效果明显", "95%"],
                       "得分": [50, 30, 10]})
    folder = write_folder(tmp_path / "d", {
        "项目": pd.DataFrame({"项目编码": ["P1"], "项目名称": ["甲"], "单位编码": ["U1"], "年度": [2022],
                            "全年预算数": [100], "全年执行数": [100]}),
        "绩效自评": se,
        "自评汇总": pd.DataFrame({"项目编码": ["P1"], "执行率分值": [10], "执行率得分": [10], "自评总分": [100]})})
    ds = load(folder)
    assert ds.quarantine.empty
    ind, per, findings = _review(ds, rules)
    p = per.iloc[0]
    assert p["recomputable_points"] == 10 and p["status"] == PENDING and p["recomputed_total"] == 10
    assert grade_label(per).iloc[0] == "优（待核实）" and np.isnan(p["difference"]) and p["grade"] is None
    assert (findings["finding"] == "无法复算").sum() == 3
    assert ind["score"].isna().all() and explain_indicators(ind, rules).str.contains("分值未填写").all()
    assert "分值合计不符" not in set(findings["finding"])  # unknown weights are 无法复算, not a wrong sum


@pytest.mark.parametrize("blank", ["实际完成值", "指标值"])
def test_a_single_blank_cell_runs_through_score(tmp_path, demo, blank) -> None:
    """Issue 11 §1: one blank 实际完成值 or 指标值 ended in 内部错误 (Categorical setitem)."""
    se = pd.DataFrame({"项目编码": ["P1", "P1"], "一级指标": ["产出指标", "效益指标"], "二级指标": ["数量指标", "社会效益指标"],
                       "三级指标": ["a", "b"], "指标值": ["≥50个", "效果明显"], "实际完成值": ["60个", "效果明显"],
                       "分值": [60, 30], "得分": [60, 30]})
    se.loc[0, blank] = None
    folder = write_folder(tmp_path / "d", {"绩效自评": se})
    out = tmp_path / "out"
    pk.score(folder, out)
    ind = pd.read_csv(out / "指标得分.csv", encoding="utf-8-sig")
    assert f"{blank}未填写" in ind.loc[0, "说明"] and "nan" not in ind.loc[0, "说明"]


@pytest.mark.parametrize("spelling", ["决策指标", "过程指标", "决策", "项目决策", "过程", "项目过程", "项目管理"])
def test_decision_and_process_blocks_load_and_score(tmp_path, spelling) -> None:
    se = pd.DataFrame({"项目编码": ["P1", "P1"], "一级指标": ["产出指标", spelling],
                       "二级指标": ["数量指标", "项目立项"], "三级指标": ["a", "立项规范性"],
                       "指标值": ["≥50个", "效果明显"], "实际完成值": ["60个", "效果明显"],
                       "分值": [80, 10], "得分": [80, 10]})
    ds = load(write_folder(tmp_path / "d", {"绩效自评": se}))
    assert len(ds.table("self_eval")) == 2 and ds.quarantine.empty
    ind = score_indicators(ds.table("self_eval"), load_rules("mof2020", 2022))
    assert list(ind["score"]) == [80.0, 10.0]


def test_total_above_100_is_a_finding_and_keeps_its_execution_weight_of_20(tmp_path, rules) -> None:
    se = pd.DataFrame({"项目编码": ["P1"] * 2, "一级指标": ["产出指标", "效益指标"], "二级指标": ["数量指标", "社会效益指标"],
                       "三级指标": ["a", "b"], "指标值": ["≥50个", "效果明显"], "实际完成值": ["60个", "效果明显"],
                       "分值": [50, 30], "得分": [50, 30]})
    folder = write_folder(tmp_path / "d", {
        "项目": pd.DataFrame({"项目编码": ["P1"], "项目名称": ["甲"], "单位编码": ["U1"], "年度": [2022],
                            "全年预算数": [100], "全年执行数": [50]}),
        "绩效自评": se,
        "自评汇总": pd.DataFrame({"项目编码": ["P1"], "执行率分值": [20], "执行率得分": [20], "自评总分": [110]})})
    ds = load(folder)
    assert ds.quarantine.empty and len(ds.table("self_summary")) == 1
    ind, per, findings = _review(ds, rules)
    p = per.iloc[0]
    assert p["exec_weight"] == 20 and p["exec_score"] == 10.0 and p["total"] == 90.0  # 50% × 20 + 80
    kinds = set(findings["finding"])
    assert "自评总分超过满分" in kinds and "分值合计不符" not in kinds  # 50 + 30 + 20 = 100
    assert "执行率计算错误" in kinds  # the unit claimed 20 of 20 at 50% execution


# indicator weights, execution weight, satisfaction block present, finding expected
WEIGHT_SUMS = [
    ((40, 30, 10, 10), 10, True, False),   # 90 + 10 = 100
    ((40, 30, 10), 10, True, True),        # 80 + 10 = 90: 分值合计不符, scored as given
    ((50, 30, 10, 10), 10, True, True),    # 100 + 10 = 110
    ((40, 30, 10), 20, True, False),       # the 20-point execution forms
    ((50, 30), 10, False, False),          # no 满意度 block: the rulebook redistributes (said in 说明)
]


@pytest.mark.parametrize(("weights", "exec_weight", "satisfaction", "finding"), WEIGHT_SUMS)
def test_weights_that_do_not_add_up_are_a_finding(rules, weights, exec_weight, satisfaction, finding) -> None:
    blocks = ["产出指标", "效益指标", "满意度指标" if satisfaction else "效益指标", "产出指标"]
    rows = pd.DataFrame([("P1", blocks[i], "x", f"i{i}", "≥1个", "1个", float(w), float(w), "")
                         for i, w in enumerate(weights)], columns=SE_COLS)
    _, per, findings = _review(_ds(rows, exec_weight=exec_weight, unit_total=float(sum(weights) + exec_weight)), rules)
    off = findings[findings["finding"].eq("分值合计不符")]
    assert (len(off) == 1) is finding
    if finding:
        assert f"= {sum(weights) + exec_weight}，应为 100" in off["explanation"].iloc[0]
    # every row recomputed: the total stands as the form gives it — unless it is above the full marks,
    # where it is not on the grading scale (待核实; test_a_total_above_the_full_marks_is_not_graded)
    above = sum(weights) + exec_weight > 100
    assert per.iloc[0]["status"] == (PENDING if above else COMPLETE)


# budget (万元), spent (万元), projects table present, words
BUDGETS = [
    (None, 100.0, True, "全年预算数缺失"),
    (100.0, None, True, "全年执行数缺失"),
    (0.0, 0.0, True, "全年预算数为 0"),
    (None, None, True, "均缺失"),
    (None, None, False, "均缺失"),
]


@pytest.mark.parametrize(("budget", "spent", "has_projects", "words"), BUDGETS)
def test_missing_budget_data_is_a_finding_and_not_recomputed(rules, budget, spent, has_projects, words) -> None:
    rows = _rows(("P1", "产出指标", "数量指标", "件数", "≥1个", "1个", 10.0, 10.0, ""))
    _, per, findings = _review(_ds(rows, budget, spent, projects=has_projects), rules)
    f = findings[findings["finding"].eq("预算数据缺失")]
    assert len(f) == 1 and words in f["explanation"].iloc[0]
    p = per.iloc[0]
    # the execution score is the unit's word only: its 10 points are not recomputed (a bureau setting)
    assert p["status"] == PENDING and p["recomputable_points"] == 90.0 and p["recomputed_total"] == 90.0
    assert "执行率得分无法复算" in explain_projects(per, rules).iloc[0]


def test_complete_budget_data_has_no_finding(rules) -> None:
    rows = _rows(("P1", "产出指标", "数量指标", "件数", "≥1个", "1个", 10.0, 10.0, ""))
    _, per, findings = _review(_ds(rows), rules)
    assert "预算数据缺失" not in set(findings["finding"]) and per.iloc[0]["status"] == COMPLETE
    assert per.iloc[0]["total"] == 100.0 and per.iloc[0]["recomputable_points"] == 100.0


# actual wording, unit's share of the weight, finding expected (None: none)
QUALITATIVE = [
    ("效果明显", 1.0, None),
    ("效果明显", 0.85, None),                              # inside 达成 [80%, 100%]
    ("效果明显", 0.7, "定性得分超出档次"),
    ("部分达成年度指标并具有一定效果", 0.65, None),         # inside 部分达成 [60%, 80%), recomputed 70%
    ("部分达成年度指标并具有一定效果", 1.0, "定性得分超出档次"),
    ("未达成年度指标且效果较差", 0.5, None),
    ("未达成年度指标且效果较差", 0.6, "定性得分超出档次"),
]


@pytest.mark.parametrize(("actual", "share", "finding"), QUALITATIVE)
def test_a_qualitative_score_inside_its_tier_is_accepted(rules, actual, share, finding) -> None:
    rows = pd.DataFrame([("P1", "效益指标", "社会效益指标", "效果", "效果明显", actual, 20.0, 20.0 * share,
                          "受天气影响，部分工作延后")], columns=SE_COLS)
    _, _, findings = _review(_ds(rows), rules)
    on_row = set(findings.loc[findings["indicator"].eq("效果"), "finding"])
    assert "得分与规则不符" not in on_row
    assert on_row == ({finding} if finding else set())


# target, actual, rulebook key used (in its own column 规则编号), profile, the basis the 说明 names.
# The 说明 speaks the basis (文件 / 平台惯例 / 本局设定), never the rule's key nor "design choice" (issue 24 §3).
CITES = [
    ("≥100人", "90人", "evaluation.forward_rule", "mof2020", "依据 文件：财预〔2020〕10号"),
    ("≤90万元", "100万元", "evaluation.reverse_rule", "mof2020", "依据 本局设定"),
    ("≤90万元", "100万元", "evaluation.reverse_rule", "linear", "依据 平台惯例：财政部预算管理一体化平台"),
    ("=0", "0", "evaluation.forward_rule", "mof2020", "依据 文件：财预〔2020〕10号"),
    ("90%-95%", "97%", "evaluation.range_above_rule", "mof2020", "依据 本局设定"),
    ("2022年12月31日前", "2022年11月20日", "evaluation.deadline_late_share", "mof2020", "依据 本局设定"),
    ("效果明显", "效果明显", "evaluation.qualitative_points", "mof2020", "依据 本局设定"),
]


@pytest.mark.parametrize(("target", "actual", "key", "profile", "basis"), CITES)
def test_every_explanation_cites_the_rule_it_used(target, actual, key, profile, basis) -> None:
    rules = load_rules(profile, 2022)
    rows = pd.DataFrame([("P1", "产出指标", "数量指标", "x", target, actual, 10.0, 10.0, "")], columns=SE_COLS)
    ind = score_indicators(rows, rules)
    text = explain_indicators(ind, rules).iloc[0]
    assert ind["rule_key"].iloc[0] == key
    assert basis in text, text
    assert not re.search(r"[a-z]+\.[a-z_]+|design choice|DOMAIN", text), text


def test_project_explanation_cites_execution_weight_and_grade_bands(rules) -> None:
    ds = _ds(_rows(("P1", "产出指标", "数量指标", "件数", "≥1个", "1个", 10.0, 10.0, "")))
    ds.tables["self_summary"]["exec_weight"] = np.nan  # the rulebook's default execution weight is used
    per = score_projects(ds, rules).projects
    text = explain_projects(per, rules).iloc[0]
    assert "依据 文件：财预〔2020〕10号" in text and "90" in text
    assert not re.search(r"[a-z]+\.[a-z_]+|design choice|DOMAIN", text), text


@pytest.mark.parametrize(("target", "actual", "words"), [
    ("≤90万元", "2126100元", "212.61万元"),
    ("≥5000000元", "2126100元", "212.61万元"),
    ("≥1000000人次", "2126100人次", "2126100人次"),
])
def test_numbers_are_printed_as_people_write_them(rules, target, actual, words) -> None:
    rows = pd.DataFrame([("P1", "产出指标", "数量指标", "x", target, actual, 10.0, 10.0, "")], columns=SE_COLS)
    text = explain_indicators(score_indicators(rows, rules), rules).iloc[0]
    assert words in text and "e+" not in text


def test_no_inf_in_any_finding_for_a_zero_target(rules) -> None:
    rows = _rows(("P1", "产出指标", "质量指标", "事故", "≥0起", "3起", 10.0, 10.0, ""))
    ind, per, findings = _review(_ds(rows), rules)
    assert not findings["explanation"].str.contains("inf").any()
    assert not explain_indicators(ind, rules).str.contains("inf").any()
    assert np.isfinite(ind["completion"].dropna()).all()


def test_overachievement_penalty_when_the_rulebook_enables_it(rules) -> None:
    rows = pd.DataFrame([("P1", "产出指标", "数量指标", "x", "≥100人", "150人", 10.0, 10.0, "")], columns=SE_COLS)
    assert score_indicators(rows, rules)["score"].iloc[0] == 10.0  # off by default
    on = rules.with_value("evaluation.overachievement_penalty", 0.2)
    ind = score_indicators(rows, on)
    assert ind["score"].iloc[0] == 8.0
    assert ind["rule_key"].iloc[0] == "evaluation.overachievement_penalty"
    assert "目标明显偏低" in explain_indicators(ind, on).iloc[0]


def test_forward_rule_all_or_nothing(rules) -> None:
    rows = pd.DataFrame([("P1", "产出指标", "数量指标", "x", "≥100人", "90人", 10.0, 10.0, "")], columns=SE_COLS)
    strict = rules.with_value("evaluation.forward_rule", "all_or_nothing")
    assert score_indicators(rows, rules)["score"].iloc[0] == 9.0
    ind = score_indicators(rows, strict)
    assert ind["score"].iloc[0] == 0.0 and "未达标不得分" in explain_indicators(ind, strict).iloc[0]


def test_removed_settings_are_gone_and_policy_lists_are_in_the_rulebook(rules) -> None:
    assert "evaluation.block_weights" not in rules.parameters
    for key in ("application.unsatisfactory_grades", "exante.passing_conclusions", "evaluation.forward_rule",
                "evaluation.range_above_rule", "evaluation.satisfaction_blocks"):
        assert rules.cite(key)


# ---------------------------------------------------------------------------------- budget proposal

def _pending_and_complete(rules) -> tuple[Dataset, pd.DataFrame]:
    """P1 待核实 with the unit's own total of 50 (差 if it were graded), P2 complete and 中."""
    rows = pd.concat([
        pd.DataFrame([("P1", "产出指标", "数量指标", "a", "≥100人", "见附件", 90.0, 10.0, "")], columns=SE_COLS),
        pd.DataFrame([("P2", "产出指标", "数量指标", "a", "≥100人", "60人", 90.0, 54.0, "")], columns=SE_COLS)])
    ds = _ds(rows.reset_index(drop=True), budget_wan=100.0, spent_wan=40.0, unit_total=50.0)
    return ds, score_projects(ds, rules).projects


def test_proposal_keeps_pending_projects_at_maintain(rules) -> None:
    ds, per = _pending_and_complete(rules)
    history = pd.DataFrame({"project_id": ["P1", "P1", "P2", "P2"], "year": [2020, 2021, 2020, 2021],
                            "grade": ["中", "差", "中", "中"]})
    from perfkit.analyses.monitoring import Monitoring

    mon = Monitoring(5, pd.DataFrame({"project_id": ["P1", "P2"], "warning": [True, True]}), pd.DataFrame())
    p = A.budget_proposal(ds, per, mon, rules, history).set_index("project_id")
    assert p.loc["P1", "action"] == "复算待核实，维持" and p.loc["P1", "change"] == 0.0
    assert p.loc["P1", "proposal"] == p.loc["P1", "budget"] and not p.loc["P1", "recover"]
    assert p.loc["P2", "change"] == -1.0  # 中 three years running: cancelled (the complete project)
    for cut in (0.1, 0.3):
        s = A.budget_proposal(ds, per, mon, rules, history, cut_share=cut).set_index("project_id")
        assert s.loc["P1", "proposal"] == s.loc["P1", "budget"]
    table = A.scenarios(ds, per, None, rules, [0.1, 0.2], [15, 20], history)
    assert (table["proposal"] >= p.loc["P1", "budget"]).all()  # P2 is cancelled, P1 kept whole


def test_same_code_in_two_years_scores_and_proposes_once(rules) -> None:
    """Issue 11 §1: the same 项目编码 in two years ended in InvalidIndexError."""
    ds = _ds(_rows(("P1", "产出指标", "数量指标", "件数", "≥1个", "1个", 10.0, 10.0, "")), budget_wan=100.0,
             spent_wan=80.0)
    old = ds.tables["projects"].assign(year=2021, spent=pd.array([100 * WAN_FEN], "Int64"))
    ds.tables["projects"] = pd.concat([old, ds.tables["projects"]], ignore_index=True)
    per = score_projects(ds, rules).projects
    assert per.iloc[0]["exec_rate"] == 0.8  # the evaluation year's amounts, not 2021's
    from perfkit.analyses.monitoring import Monitoring

    mon = Monitoring(5, pd.DataFrame({"project_id": ["P1", "P1"], "warning": [True, False]}), pd.DataFrame())
    p = A.budget_proposal(ds, per, mon, rules)
    assert len(p) == 1 and not p["warning"].iloc[0]


@pytest.mark.parametrize(("weights", "status"), [
    ((50.0, 30.0, 20.0), PENDING),   # 10 + 100 = 110 points on the form: a total of 110 is not graded
    ((50.0, 30.0, 10.0), "完整"),    # 10 + 90 = 100: graded as usual
    ((40.0, 30.0, 10.0), "完整"),    # 90 points: short of the full marks, scored (分值合计不符 is a finding)
])
def test_a_total_above_the_full_marks_is_not_graded(rules, weights, status) -> None:
    """16 demo projects once scored up to 109.86 (their forms' points added up to 110), were graded 优 and
    given 优先保障: a total above the full marks is not on the grading scale."""
    rows = pd.DataFrame([("P1", "产出指标", "数量指标", "a", "≥50个", "50个", weights[0], weights[0], ""),
                         ("P1", "效益指标", "社会效益指标", "b", "效果明显", "效果明显", weights[1], weights[1], ""),
                         ("P1", "满意度指标", "服务对象满意度指标", "c", "≥90%", "95%", weights[2], weights[2], "")],
                        columns=SE_COLS)
    ds = _ds(rows, unit_total=10.0 + sum(weights))
    s = score_projects(ds, rules)
    p = s.projects.iloc[0]
    assert p["status"] == status and p["recomputed_total"] == 10.0 + sum(weights)
    if status == PENDING:
        assert np.isnan(p["total"]) and p["grade"] is None
        proposal = A.budget_proposal(ds, s.projects, None, rules)
        assert proposal["action"].iloc[0] == "复算待核实，维持" and proposal["change"].iloc[0] == 0.0
