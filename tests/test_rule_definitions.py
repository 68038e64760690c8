"""Rules checked one by one against their definition (issue 28 §4): a rule that fired everywhere, or a
part of a sum that was wrong while the sum happened to be right, fails here.

* 缺少偏差说明: fires exactly on the rows whose completion is below ``review.explain_below`` or whose
  actual reaches ``evaluation.overachievement_ratio`` × a ≥ target — and only when no reason is given;
* the unit ranking: each of its five parts against its formula, on units that differ in that part only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfkit.api as pk
from perfkit.analyses import application as A
from perfkit.analyses.monitoring import Monitoring
from perfkit.io.load import Dataset
from tests.conftest import write_folder

UNITS = pd.DataFrame({"单位编码": ["U1"], "单位名称": ["教育局"]})


def _deviation_case(tmp: Path, rules, rows: list[tuple[str, float, str]]) -> set[str]:
    """One project whose indicators are ``(name, actual, reason)`` against ≥100人; the indicators
    缺少偏差说明 names."""
    n = len(rows)
    projects = pd.DataFrame({"项目编码": ["P1"], "项目名称": ["甲"], "单位编码": ["U1"], "年度": [2022],
                             "全年预算数": [100.0], "全年执行数": [100.0]})
    self_eval = pd.DataFrame({"项目编码": ["P1"] * n, "一级指标": ["产出指标"] * n, "二级指标": ["数量指标"] * n,
                              "三级指标": [r[0] for r in rows], "指标值": ["≥100人"] * n,
                              "实际完成值": [f"{r[1]:g}人" for r in rows], "分值": [10.0] * n,
                              "得分": [10.0 * min(r[1] / 100, 1) for r in rows],
                              "偏差原因分析及改进措施": [r[2] for r in rows]})
    a = pk.analyze(write_folder(tmp / "d", {"单位": UNITS, "项目": projects, "绩效自评": self_eval}), year=2022)
    f = a.findings
    return set(f.loc[f["finding"].eq("缺少偏差说明"), "indicator"])


def test_missing_deviation_reason_fires_exactly_where_the_rule_says(tmp_path: Path, rules) -> None:
    below, over = float(rules["review.explain_below"]), float(rules["evaluation.overachievement_ratio"])
    target = 100
    short = round(target * below) - 2  # completion below the line
    high = round(target * over)  # reaches the overachievement ratio exactly
    rows = [("未完成无说明", short, ""), ("未完成有说明", short, "受疫情影响延期"),
            ("刚好完成", round(target * below), ""), ("超额无说明", high, ""), ("超额有说明", high, "需求增加"),
            ("略超未达倍数", high - 1, ""), ("空白说明", short, "  ")]
    found = _deviation_case(tmp_path, rules, rows)
    assert found == {"未完成无说明", "超额无说明", "空白说明"}


# ------------------------------------------------------------------------------ the ranking, part by part

def _ranking(rules, *, totals: dict[str, list[float]], spent: dict[str, float] | None = None,
             warned: dict[str, list[bool]] | None = None, findings: dict[str, int] | None = None) -> pd.DataFrame:
    """Units U1, U2 (two projects each, budget 100 万元 a project) with the given totals, spending,
    warnings and review findings; the ranking indexed by unit."""
    ids = {u: [f"{u}-{i}" for i in range(len(t))] for u, t in totals.items()}
    rows = [(pid, u) for u, ps in ids.items() for pid in ps]
    projects = pd.DataFrame({"project_id": [p for p, _ in rows], "unit_id": [u for _, u in rows], "year": 2022,
                             "budget": 100 * 1_000_000,
                             "spent": [(spent or {}).get(u, 1.0) * 100 * 1_000_000 for _, u in rows]})
    projects["unit_id"] = projects["unit_id"].astype("category")
    ds = Dataset("memory")
    ds.tables["projects"] = projects
    ds.tables["units"] = pd.DataFrame({"unit_id": list(totals), "unit_name": list(totals), "department": "部门"})
    scores = pd.DataFrame({"project_id": [p for p, _ in rows], "total": [t for u in totals for t in totals[u]]})
    w = warned or {u: [False] * len(t) for u, t in totals.items()}
    mon = Monitoring(5, pd.DataFrame({"project_id": [p for p, _ in rows], "unit_id": projects["unit_id"],
                                      "warning": [x for u in totals for x in w[u]]}), pd.DataFrame())
    f = [(ids[u][0], "x", "总分与分项不符", "") for u, n in (findings or {}).items() for _ in range(n)]
    fr = pd.DataFrame(f, columns=["project_id", "indicator", "finding", "explanation"])
    return A.unit_ranking(ds, scores, mon, fr, rules).set_index("unit_id")


def _part(r: pd.DataFrame, name: str, unit: str) -> float:
    return float(r.loc[unit, f"part_{name}"])


def test_ranking_mean_score_part(rules) -> None:
    w, total = rules["ranking.weights"]["mean_score"], rules["evaluation.total_points"]
    r = _ranking(rules, totals={"U1": [95.0, 85.0], "U2": [75.0, 65.0]})
    assert _part(r, "mean_score", "U1") == pytest.approx(round(90 / total * w * 100, 2))
    assert _part(r, "mean_score", "U2") == pytest.approx(round(70 / total * w * 100, 2))
    for other in ("execution", "no_warning", "findings"):  # the same in both units
        assert _part(r, other, "U1") == _part(r, other, "U2")


def test_ranking_pass_rate_part(rules) -> None:
    w, fail = rules["ranking.weights"]["pass_rate"], rules["evaluation.fail_below"]
    r = _ranking(rules, totals={"U1": [fail + 10, fail + 10], "U2": [fail - 10, fail + 30]})  # same mean
    assert _part(r, "mean_score", "U1") == _part(r, "mean_score", "U2")
    assert _part(r, "pass_rate", "U1") == pytest.approx(round(1.0 * w * 100, 2))
    assert _part(r, "pass_rate", "U2") == pytest.approx(round(0.5 * w * 100, 2))


def test_ranking_execution_part_is_capped_at_one(rules) -> None:
    w = rules["ranking.weights"]["execution"]
    r = _ranking(rules, totals={"U1": [90.0, 90.0], "U2": [90.0, 90.0], "U3": [90.0, 90.0]},
                 spent={"U1": 0.6, "U2": 1.0, "U3": 1.2})
    assert _part(r, "execution", "U1") == pytest.approx(round(0.6 * w * 100, 2))
    assert _part(r, "execution", "U2") == _part(r, "execution", "U3") == pytest.approx(round(w * 100, 2))


def test_ranking_no_warning_part(rules) -> None:
    w = rules["ranking.weights"]["no_warning"]
    r = _ranking(rules, totals={"U1": [90.0, 90.0], "U2": [90.0, 90.0]},
                 warned={"U1": [False, False], "U2": [True, False]})
    assert _part(r, "no_warning", "U1") == pytest.approx(round(w * 100, 2))
    assert _part(r, "no_warning", "U2") == pytest.approx(round(0.5 * w * 100, 2))


def test_ranking_findings_part_is_linear_to_the_cap(rules) -> None:
    w, cap = rules["ranking.weights"]["findings"], float(rules["ranking.findings_cap"])
    many = int(np.ceil(cap * 2)) + 3  # beyond the cap: 0, never negative
    r = _ranking(rules, totals={"U1": [90.0, 90.0], "U2": [90.0, 90.0], "U3": [90.0, 90.0]},
                 findings={"U2": 1, "U3": many})
    assert _part(r, "findings", "U1") == pytest.approx(round(w * 100, 2))
    assert _part(r, "findings", "U2") == pytest.approx(round((1 - min(0.5 / cap, 1)) * w * 100, 2))
    assert _part(r, "findings", "U3") == 0
    parts = [f"part_{k}" for k in ("mean_score", "pass_rate", "execution", "no_warning", "findings")]
    assert (r["composite"] - r[parts].sum(axis=1)).abs().max() < 0.011  # the composite is the sum of its parts


# ------------------------------------------------------------------------ monitoring: pace lights by case

MONTH = 6  # 序时进度 0.5


@pytest.mark.parametrize("target, done, pace", [
    ("≥100人", "25人", 0.5),  # cumulative: done ÷ (target × 序时进度)
    ("≥100人", "35人", 0.7),
    ("≥100人", "50人", 1.0),
    ("≥100人", "59人", 1.18),
    ("≥100人", "60人", 1.2),  # at the blue line: the target may be set too low
    ("≥100人", "90人", 1.8),
    ("≥90%", "45%", 0.5),  # a rate is a level: done ÷ target, not paced by the month
    ("≥90%", "90%", 1.0),
])
def test_quantitative_pace_light(tmp_path: Path, rules, target: str, done: str, pace: float) -> None:
    pl = rules["monitoring.pace_light"]
    expected = ("红" if pace < pl["red"] else "黄" if pace < pl["yellow"] else "蓝" if pace >= pl["blue"] else "绿")
    row = _paced(tmp_path, target, done)
    assert row["pace"] == pytest.approx(pace) and row["light"] == expected


@pytest.mark.parametrize("done, tier", [("达成年度指标", "达成"), ("部分达成年度指标并具有一定效果", "部分达成"),
                                        ("未达成年度指标且效果较差", "未达成")])
def test_qualitative_target_light_by_tier(tmp_path: Path, rules, done: str, tier: str) -> None:
    row = _paced(tmp_path, "效果明显", done)
    assert row["light"] == rules["monitoring.tier_lights"][tier]
    assert row["pace"] == pytest.approx(rules["evaluation.qualitative_points"][tier])


def _paced(tmp: Path, target: str, done: str) -> pd.Series:
    from perfkit.analyses import monitoring as M
    from perfkit.io.load import load

    projects = pd.DataFrame({"项目编码": ["P1"], "项目名称": ["甲"], "单位编码": ["U1"], "年度": [2022],
                             "全年预算数": [100.0], "全年执行数": [50.0]})
    targets = pd.DataFrame({"项目编码": ["P1"], "一级指标": ["产出指标"], "二级指标": ["数量指标"], "三级指标": ["指标"],
                            "指标值": [target], "分值": [10.0]})
    ind = pd.DataFrame({"项目编码": ["P1"], "月份": [MONTH], "三级指标": ["指标"], "累计完成值": [done]})
    ex = pd.DataFrame({"项目编码": ["P1"], "月份": [MONTH], "累计执行数": [50.0]})
    ds = load(write_folder(tmp / "d", {"单位": UNITS, "项目": projects, "绩效目标": targets, "指标监控": ind,
                                       "执行监控": ex}))
    from perfkit.rules.rulebook import load_rules

    return M.indicator_pace(ds, load_rules("mof2020", 2022), MONTH).iloc[0]


# ------------------------------------------------------------------------ archive completeness by case

@pytest.mark.parametrize("present", [(), (1,), (1, 2, 3, 4, 5, 6, 7), (2, 7), (1, 3, 5, 7)])
def test_archive_completeness(tmp_path: Path, present: tuple[int, ...]) -> None:
    from perfkit.analyses.review import archive_completeness
    from perfkit.io.contract import ARCHIVE_ITEMS, BY_NAME
    from perfkit.io.load import load

    projects = pd.DataFrame({"项目编码": ["P1"], "项目名称": ["甲"], "单位编码": ["U1"], "年度": [2022],
                             "全年预算数": [100.0], "全年执行数": [50.0]})
    sheet = BY_NAME["archive"]
    headers = {c.name: c.header for c in sheet.columns}
    row = {headers["project_id"]: "P1"}
    row.update({headers[f"archive_{i}"]: "是" if i in present else "否" for i in range(1, len(ARCHIVE_ITEMS) + 1)})
    ds = load(write_folder(tmp_path / "d", {"单位": UNITS, "项目": projects, sheet.sheet: pd.DataFrame([row])}))
    got = archive_completeness(ds).iloc[0]
    assert got["completeness"] == pytest.approx(len(present) / len(ARCHIVE_ITEMS))
    missing = [ARCHIVE_ITEMS[i - 1] for i in range(1, len(ARCHIVE_ITEMS) + 1) if i not in present]
    assert (got["missing"] if isinstance(got["missing"], str) else "") == "、".join(missing)
