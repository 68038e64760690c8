"""A property test of import-forms on 自评表 layouts generated at random from the wordings and arrangements
seen across provinces (header synonyms, split target cells, 分值 before or after the target, an extra
left column, level 1 merged or repeated and printed with its points, budget blocks in 万元 or 元 with
(A)/(B) headers, labels beside or inside their cell, blank 主管部门): every value comes back exactly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from perfkit.io.forms import import_forms

LEVELS = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
          ("效益指标", "社会效益指标"), ("效益指标", "经济效益指标"), ("满意度指标", "服务对象满意度指标")]
TARGETS = [("≥", "95", "%"), ("≤", "30", "万元"), ("=", "100", "%"), ("", "2022年12月31日前", ""),
           ("", "效果明显", ""), ("≥", "500", "人次")]
ACTUALS = ["97%", "28万元", "100%", "2022年11月30日", "效果明显", "520人次", "基本完成"]
TARGET_HEADS = ["年度指标值", "指标值", "年初目标值(A)", "年初指标值", "当年预期实现值", "绩效目标值"]
ACTUAL_HEADS = ["实际完成值", "实际完成值(B)", "全年实际值(B)", "年终完成值", "全年实际完成值", "完成值"]
WEIGHT_HEADS = ["分值", "权重", "指标分值"]
SCORE_HEADS = ["得分", "自评分", "自评得分"]
NAME_CHARS = "培训人次验收合格率完成及时群众满意度覆盖面积公里新增设施维护服务补助发放"

indicator = st.tuples(st.sampled_from(LEVELS), st.text(NAME_CHARS, min_size=2, max_size=12),
                      st.sampled_from(TARGETS), st.sampled_from(ACTUALS),
                      st.integers(1, 40).map(lambda x: x / 2), st.integers(0, 40).map(lambda x: x / 2))
layout = st.fixed_dictionaries({
    "target": st.sampled_from(TARGET_HEADS), "actual": st.sampled_from(ACTUAL_HEADS),
    "weight": st.sampled_from(WEIGHT_HEADS), "score": st.sampled_from(SCORE_HEADS),
    "split": st.booleans(), "weight_first": st.booleans(), "left_column": st.booleans(),
    "merge_level1": st.booleans(), "points": st.booleans(), "ab_budget": st.booleans(), "yuan": st.booleans(),
    "inline_labels": st.booleans(), "blank_department": st.booleans(), "typed_numbers": st.booleans(),
    "points_text": st.booleans(), "unit_in_heads": st.booleans(),
    "money": st.tuples(*[st.integers(1, 10**7).map(lambda x: Decimal(x) / 100)] * 3),
})


def render(path: Path, inds: list, lay: dict) -> None:
    wb = Workbook()
    ws = wb.active
    rows: list[list[object]] = [["项目支出绩效自评表"], ["（2022年度）"]]
    if lay["inline_labels"]:
        rows.append(["项目名称：职业技能培训"])
        rows.append(["主管部门：" if lay["blank_department"] else "主管部门：区人社局", None, None, "实施单位：区就业中心"])
    else:
        rows.append(["项目名称", "职业技能培训"])
        rows.append(["主管部门", None if lay["blank_department"] else "区人社局", None, "实施单位", "区就业中心"])
    per = Decimal(10000) if lay["yuan"] else Decimal(1)
    initial, budget, spent = (m * per for m in lay["money"])
    rate = f"{(lay['money'][2] / lay['money'][1] * 100).quantize(Decimal('0.01'))}%"
    label = "项目资金（元）" if lay["yuan"] else "项目资金（万元）"
    money = (lambda m: float(m)) if lay["typed_numbers"] else str  # a number cell, or text as pasted
    u = ("（元）" if lay["yuan"] else "（万元）") if lay["unit_in_heads"] else ""
    if lay["ab_budget"]:
        rows.append([label, None, f"预算数(A){u}", f"执行数(B){u}", "执行率(B/A)", "得分(10分*执行率)"])
        rows.append([None, "年度资金总额", money(budget), money(spent), rate, 9.5])
    else:
        rows.append([label, None, f"年初预算数{u}", f"全年预算数{u}", f"全年执行数{u}", "分值", "执行率", "得分"])
        rows.append([None, "年度资金总额", money(initial), money(budget), money(spent),
                     "10分" if lay["points_text"] else 10, rate, 9.5])
    heads = ["一级指标", "二级指标", "三级指标"]
    target_heads = ["指标性质", "指标值", "度量单位"] if lay["split"] else [lay["target"]]
    tail = [lay["actual"], lay["score"], "偏差原因分析及改进措施"]
    heads += ([lay["weight"]] + target_heads if lay["weight_first"] else target_heads + [lay["weight"]]) + tail
    lead = [None] if lay["left_column"] else []
    rows.append(lead + heads)
    top = len(rows)
    previous = None
    for (l1, l2), name, (op, value, unit), actual, weight, score in inds:
        shown1 = f"{l1}({60 if l1 == '产出指标' else 30}分)" if lay["points"] else l1
        if lay["merge_level1"] and l1 == previous:  # a merged cell keeps its text in its first row
            shown1 = None
        previous = l1
        typed = int(value) if lay["typed_numbers"] and value.isdigit() else value
        cells = {"一级指标": shown1, "二级指标": l2, "三级指标": name, "指标性质": op, "指标值": typed,
                 "度量单位": unit, lay["target"]: f"{op}{value}{unit}", lay["actual"]: actual,
                 lay["weight"]: f"{weight:g}分" if lay["points_text"] else weight,
                 lay["score"]: score, "偏差原因分析及改进措施": None}
        rows.append(lead + [cells[h] for h in heads])
    rows.append(lead + ["总分", None, None] + [None] * (len(heads) - 3))
    rows[-1][len(lead) + heads.index(lay["score"])] = 88.5
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None and v != "":
                cell = ws.cell(r, c, v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # =100% as typed text, not a formula
    if lay["left_column"]:
        ws.cell(top, 1, "绩效指标")
    wb.save(path)


@settings(max_examples=25, deadline=None, database=None, phases=[Phase.generate],  # no slow shrinking
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inds=st.lists(indicator, min_size=1, max_size=8, unique_by=lambda x: x[1]), lay=layout)
def test_generated_layouts_read_back_exactly(tmp_path_factory: pytest.TempPathFactory, inds: list, lay: dict) -> None:
    folder = tmp_path_factory.mktemp("v")
    render(folder / "a.xlsx", inds, lay)
    result = import_forms(folder)
    t = result.tables
    assert (result.report["结果"] == "已导入").sum() == 1, result.report.to_string()
    p = t["projects"].iloc[0]
    fen = [int(m * 1_000_000) for m in lay["money"]]
    if lay["ab_budget"]:
        assert (p["budget"], p["spent"]) == (fen[1], fen[2])
    else:
        assert (p["budget_initial"], p["budget"], p["spent"]) == tuple(fen)
    u = t["units"].iloc[0]
    assert u["unit_name"] == "区就业中心" and (u["department"] is None if lay["blank_department"] else
                                                u["department"] == "区人社局")
    se = t["self_eval"].reset_index(drop=True)
    assert len(se) == len(inds)
    for k, ((l1, l2), name, (op, value, unit), actual, weight, score) in enumerate(inds):
        row = se.iloc[k]
        assert (row["level1"], row["level2"], row["indicator"]) == (l1, l2, name)
        assert row["target_text"] == f"{op}{value}{unit}" and row["actual_text"] == actual
        assert (row["weight"], row["unit_score"]) == (weight, score)
    s = t["self_summary"].iloc[0]
    assert s["unit_total"] == 88.5 and s["exec_weight"] == 10 and s["unit_exec_score"] == 9.5


# --------------------------------------------------------------------------------- 目标表 layouts

TARGET_FORM_HEADS = ["指标值", "年度指标值", "当年预期实现值", "指标值（包含数字及文字描述）", "年度目标值"]
UNIT_HEADS = ["度量单位", "计量单位", "单位"]
LEVEL1_PRINTED = {"产出指标": ["产出指标", "项目完成指标", "产出指标（50分）"], "效益指标": ["效益指标", "项目效益指标"],
                  "满意度指标": ["满意度指标", "社会公众或服务对象满意度指标"]}
target_layout = st.fixed_dictionaries({
    "target": st.sampled_from(TARGET_FORM_HEADS), "unit_head": st.sampled_from(UNIT_HEADS),
    "unit_column": st.sampled_from(["none", "split", "repeat"]), "weight": st.booleans(),
    "left_column": st.booleans(), "title": st.sampled_from(["项目支出绩效目标表", "绩效目标申报表", "项目支出绩效目标审批表"]),
    "money_text": st.sampled_from(["plain", "wan", "wan_note", "yuan_commas"]), "subs": st.booleans(),
    "printed": st.integers(0, 2), "amount": st.integers(1, 10**6).map(lambda x: Decimal(x) / 100),
})


def render_target(path: Path, inds: list, lay: dict) -> None:
    wb = Workbook()
    ws = wb.active
    amount = lay["amount"]
    text = {"plain": str(amount), "wan": f"{amount}万", "wan_note": f"{amount}万（其中设备购置{amount}万元）",
            "yuan_commas": f"{amount * 10000:,.2f}元"}[lay["money_text"]]
    rows: list[list[object]] = [[lay["title"]], ["（2023年度）"], ["金额单位：万元"],
                                ["项目名称", "乡村道路养护", None, "项目属性", "延续项目"],
                                ["主管部门", "区交通运输局", None, "实施单位", "区公路养护中心"],
                                ["项目资金（万元）", "年度资金总额：", text]]
    if lay["subs"]:
        rows += [[None, "其中：财政拨款", text], [None, "其他资金", "0"]]
    rows.append(["年度总体目标", "完成年度养护任务"])
    value_heads = {"none": [lay["target"]], "split": [lay["target"], lay["unit_head"]],
                   "repeat": [lay["unit_head"], lay["target"]]}[lay["unit_column"]]
    heads = ["一级指标", "二级指标", "三级指标", *value_heads] + (["分值"] if lay["weight"] else [])
    lead = ["绩效指标"] if lay["left_column"] else []
    rows.append(lead + heads)
    for (l1, l2), name, (op, value, unit), _actual, weight, _score in inds:
        printed = LEVEL1_PRINTED.get(l1, [l1])
        cells = {"一级指标": printed[lay["printed"] % len(printed)], "二级指标": l2, "三级指标": name,
                 "分值": weight}
        if lay["unit_column"] == "none":
            cells[lay["target"]] = f"{op}{value}{unit}"
        elif lay["unit_column"] == "split":
            cells[lay["target"]], cells[lay["unit_head"]] = f"{op}{value}", unit or None
        else:  # 单位 | 指标值 with the unit written again in the value
            cells[lay["target"]], cells[lay["unit_head"]] = f"{op}{value}{unit}", unit or None
        rows.append([None] * len(lead) + [cells.get(h) for h in heads])
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None and v != "":
                cell = ws.cell(r, c, v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"
    wb.save(path)


@settings(max_examples=25, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inds=st.lists(indicator, min_size=1, max_size=8, unique_by=lambda x: x[1]), lay=target_layout)
def test_generated_target_forms_read_back_exactly(tmp_path_factory: pytest.TempPathFactory, inds: list,
                                                  lay: dict) -> None:
    folder = tmp_path_factory.mktemp("t")
    render_target(folder / "a.xlsx", inds, lay)
    result = import_forms(folder)
    t = result.tables
    assert (result.report["结果"] == "已导入").sum() == 1, result.report.to_string()
    assert "self_eval" not in t
    p = t["projects"].iloc[0]
    assert p["budget_initial"] == int(lay["amount"] * 1_000_000) and p["year"] == 2023
    tg = t["targets"].reset_index(drop=True)
    assert len(tg) == len(inds)
    for k, ((l1, l2), name, (op, value, unit), _a, weight, _s) in enumerate(inds):
        row = tg.iloc[k]
        assert (row["level1"], row["level2"], row["indicator"]) == (l1, l2, name)
        assert row["target_text"] == f"{op}{value}{unit}"
        assert (row["weight"] == weight) if lay["weight"] else row["weight"] != row["weight"]
    notes = " ".join(result.report.loc[result.report["结果"] == "注意", "说明"])
    assert "完成年度养护任务" in notes and "延续项目" in notes  # what has no table is named
    if lay["money_text"] == "wan_note":
        assert "设备购置" in notes
