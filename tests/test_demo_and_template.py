"""The demo district and the blank template (issue: foundation §2, §3)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from perfkit.demo import generate
from perfkit.io.contract import CATEGORIES, MONITOR_CLASSES, TABLES
from perfkit.io.load import load
from perfkit.io.templates import write_template

TEMPLATE = Path(__file__).parents[1] / "data" / "templates" / "perfkit_模板.xlsx"


def test_generator_is_deterministic_for_a_seed() -> None:
    a, b = generate(seed=7), generate(seed=7)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert not generate(seed=8).tables["projects"].equals(a.tables["projects"])


def test_demo_is_shaped_like_the_seed_district(demo) -> None:
    t = demo.tables
    assert len(t["units"]) == 132 and t["units"]["unit_id"].is_unique
    assert 13 <= t["units"]["department"].nunique() <= 17
    p = t["projects"]
    assert 1500 <= len(p) <= 2500
    assert set(p["category"]) == set(CATEGORIES) and set(p["monitor_class"]) == set(MONITOR_CLASSES)
    assert 1e5 <= p["budget"].sum() / 1e6 <= 1e7  # totals in the 10^5–10^6 万元 range
    assert p["classified"].sum() > 0 and p["key_project"].sum() > 0 and p["new_major"].sum() > 0
    per_project = t["targets"].groupby("project_id").size()
    assert per_project.min() >= 5 and per_project.max() <= 13  # 5–12, plus planted duplicates
    assert set(t["exec_monitor"]["month"]) == set(range(1, 13))
    se = t["self_eval"]
    assert (se["unit_score"] == se["weight"]).mean() > 0.7  # most rows at full marks, as in real tables
    assert set(demo.planted["finding"]) >= {"未完成目标仍得满分", "实际值照抄目标值", "总分与分项不符", "执行率计算错误"}
    texts = set(t["targets"]["target_text"])
    for fragment in ("≥", "≤", "=", "%", "万元", "个", "次", "天", "年12月31日前", "效果明显"):
        assert any(fragment in x for x in texts), fragment


def test_committed_template_matches_the_contract(tmp_path: Path) -> None:
    fresh = write_template(tmp_path / "t.xlsx")
    for path in (TEMPLATE, fresh):
        wb = load_workbook(path)
        for table in TABLES:
            ws = wb[table.sheet]
            assert [c.value for c in ws[1]] == [c.header for c in table.columns]
            assert all(c.comment is not None for c in ws[1])  # the fill-in hint
        lists = [dv.formula1 for dv in wb["项目"].data_validations.dataValidation if dv.type == "list"]
        assert any("部门整体支出" in f for f in lists) and any("是" in f for f in lists)


def test_filled_template_loads_without_edits(tmp_path: Path) -> None:
    wb = load_workbook(TEMPLATE)
    wb["单位"].append(["U1", "教育局", "教育局"])
    wb["项目"].append(["P1", "校舍维修", "U1", 2022, "部门项目支出", "一般项目", "是", "否", "是", "否", 100, 120.5, 118])
    wb["绩效自评"].append(["P1", "产出指标", "数量指标", "维修面积", "≥3000平方米", "3200平方米", 50, 50, ""])
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    ds = load(path)
    assert ds.quarantine.empty
    assert ds.table("projects")["budget"].iloc[0] == 120_500_000
    assert len(ds.table("self_eval")) == 1
