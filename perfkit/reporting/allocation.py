"""The evaluation-linked budget allocation analysis: next year's proposal per project and unit, recovered
funds and the 民生 pool, the ex-ante gate, scenarios side by side, the warning-threshold sweep, and an
Excel workbook formatted for finance staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from perfkit.analyses.application import GATE_ACTION, proposal_by_unit, scenarios, warned_at, warning_sweep
from perfkit.analyses.evaluation import PENDING, grade_label
from perfkit.api import Analysis, analyze
from perfkit.io.contract import CATEGORIES
from perfkit.io.values import format_wan, plain_text
from perfkit.io.write import atomic_path, excel_writer
from perfkit.reporting import display as D
from perfkit.reporting.annex import basis
from perfkit.reporting.annual import requested_facts
from perfkit.reporting.workbook import write_table

ALLOCATION = "allocation.html.j2"


@dataclass
class Allocation:
    analysis: Analysis
    district: str
    year: int
    month: int
    cuts: list[float]
    thresholds: list[float]
    facts: dict[str, dict] = field(default_factory=dict)  # every printed figure, computed once in build()


def build(data: str | Path, year: int, month: int, profile: str = "mof2020", district: str = "高新区（新市区）",
          cuts: list[float] | None = None, thresholds: list[float] | None = None,
          archive: str | Path | None = None) -> Allocation:
    """Run the analyses once (earlier years' grades from the ``archive``, for the multi-year rule)."""
    a = analyze(data, year=year, month=month, profile=profile, archive=archive)
    if a.proposal is None:
        from perfkit.io.load import MissingTableError
        raise MissingTableError("预算安排分析需要「项目」与「绩效自评」表")
    al = Allocation(a, district, year, month, cuts or [0.1, 0.2, 0.3], thresholds or [15, 20, 25])
    al.facts = allocation_facts(al)
    return al


def allocation_facts(al: Allocation) -> dict[str, dict]:
    """Every figure the allocation analysis prints (amounts summed in 分, printed in 万元)."""
    a = al.analysis
    p, g, rules = a.proposal, a.gate, a.rules
    rec = p[p["recover"]]
    blocked = g[~g["passed"]]
    pending = p["status"].eq(PENDING)
    return {
        "intro": {"year": al.year, "next_year": al.year + 1, "month": al.month, "rules_title": rules.title,
                  "projects": len(p), "budget": format_wan(p["budget"].sum()), "proposal": format_wan(p["proposal"].sum()),
                  "reduction": format_wan((p["budget"] - p["proposal"]).sum()),
                  "pending": int(pending.sum()), "pending_budget": format_wan(p.loc[pending, "budget"].sum()),
                  "pending_gated": int((pending & p["action"].eq(GATE_ACTION)).sum())},
        "actions": {"actions": rules["application.actions"], "source": basis(rules, ["application.actions"])},
        "recovery": {"month": al.month, "threshold": f"{rules['application.recovery_completion_below']:.0%}",
                     "count": len(rec), "amount": format_wan(rec["recovered"].sum()),
                     "categories": "、".join(rules["application.recovery_categories"]),
                     "by_category": "、".join(f"{c}{n}个{format_wan(v)}万元" for c, (n, v) in
                                              _in_category_order(rec.groupby(rec["category"].astype(str))["recovered"]
                                                                 .agg(["size", "sum"])).iterrows()),
                     "livelihood": int(p["livelihood"].sum()),
                     "livelihood_budget": format_wan(p.loc[p["livelihood"], "budget"].sum())},
        "gate": {"new_major": len(g), "blocked": len(blocked), "blocked_amount": format_wan(blocked["budget"].sum()), **requested_facts(blocked)},
        "data": a.data.provenance(),
    }


def _in_category_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows indexed by 支出类别 in the contract's order (the seed's), others after them."""
    order = [c for c in CATEGORIES if c in frame.index] + [c for c in frame.index if c not in CATEGORIES]
    return frame.loc[order]


def title(al: Allocation) -> None:
    D.heading(f"{al.district}{al.year + 1}年度\n预算安排与绩效评价结果挂钩分析", 1)
    D.sentence("intro", al.facts["intro"], ALLOCATION)
    D.data_note(al.facts["data"])


def section_proposal(al: Allocation) -> None:
    a = al.analysis
    p = a.proposal
    D.heading("一、按评价等级的安排建议", 2)
    D.sentence("actions", al.facts["actions"], ALLOCATION)
    by_action = p.groupby("action").agg(项目数=("project_id", "size"), 本年预算=("budget", "sum"),
                                        建议安排=("proposal", "sum"))
    # the graded actions in the rulebook's order (优 → 差), then the rules that override a grade
    graded = list(dict.fromkeys(x["action"] for x in a.rules["application.actions"].values()))
    rest = sorted((x for x in by_action.index if x not in graded), key=lambda x: (not str(x).startswith("连续"), x))
    by_action = by_action.reindex([x for x in graded if x in by_action.index] + rest)
    by_action = by_action.reset_index().rename(columns={"action": "安排建议"})
    D.table(by_action, money=["本年预算", "建议安排"], total=True, caption="表1 安排建议汇总（金额单位：万元）")
    units = proposal_by_unit(p, a.data).sort_values("budget", ascending=False)
    cols = {"unit_name": "单位", "department": "主管部门", "projects": "项目数", "budget": "本年预算",
            "proposal": "建议安排", "recovered": "收回资金", "cut": "压减/取消项目数"}
    D.table(units[list(cols)].rename(columns=cols).head(20), money=["本年预算", "建议安排", "收回资金"],
            caption="表2 按单位的安排建议（预算规模前20家；全部单位见电子表格附件）")
    from perfkit.reporting.annual import pending_table

    pending_table(a, "表 待核实项目：数据无法复算，未评定等级，核实前维持原预算（不含涉密项目）")
    escalation_table(al)


def escalation_table(al: Allocation) -> None:
    """Projects unsatisfactory several years running (grades of earlier years from the archive), with the
    action the rulebook's multi-year rule gives them; 涉密 projects are counted, never named."""
    a = al.analysis
    p = a.proposal
    esc = p.loc[p["unsatisfactory_years"] >= a.rules["application.unsatisfactory_years"]["redesign"]]
    if a.history is None and not len(esc):
        return
    years = sorted(int(y) for y in a.history["year"].unique()) if a.history is not None else []
    D.sentence("escalation", {"count": len(esc), "years": "、".join(map(str, years)),
                              "classified": int(esc["classified"].sum()),
                              "budget": format_wan(esc["budget"].sum())}, ALLOCATION)
    shown = esc.loc[~esc["classified"].astype(bool)]
    if len(shown):
        cols = {"project_name": "项目", "unsatisfactory_years": "连续不理想年数", "grade": "本年等级",
                "budget": "本年预算", "proposal": "建议安排", "action": "安排建议"}
        D.table(shown[list(cols)].rename(columns=cols), money=["本年预算", "建议安排"],
                caption="表3 连续评价不理想的项目（往年等级取自年度档案；金额单位：万元）")


def section_recovery(al: Allocation) -> None:
    a = al.analysis
    p = a.proposal
    rec = p[p["recover"]]
    D.heading("二、低效无效资金收回与民生统筹", 2)
    D.sentence("recovery", al.facts["recovery"], ALLOCATION)
    shown = rec[~rec["classified"]].sort_values("recovered", ascending=False).head(15)
    cols = {"project_name": "项目", "grade": "等级", "completion": "目标完成率", "budget": "全年预算",
            "spent": "执行数", "recovered": "收回资金"}
    D.table(shown[list(cols)].rename(columns=cols), money=["全年预算", "执行数", "收回资金"], percent=["目标完成率"],
            caption="表3 收回资金项目（前15个，不含涉密项目；金额单位：万元）")


def section_gate(al: Allocation) -> None:
    g = al.analysis.gate
    D.heading("三、事前绩效评估关口", 2)
    D.sentence("gate", al.facts["gate"], ALLOCATION)
    cols = {"project_name": "项目", "exante_total": "评估得分", "conclusion": "评估结论", "budget": "本年预算",
            "requested": "下年度申请数"}
    # the projects the gate stops; every new major project is in the Excel workbook
    stopped = g.loc[~g["classified"] & g["gate"].eq("不安排预算"), [c for c in cols if c in g]].rename(columns=cols)
    if len(stopped):
        D.table(stopped, money=["本年预算", "下年度申请数"], total=True,
                caption="表 未通过事前绩效评估、不安排预算的新增重大项目（不含涉密项目）")


def scenario_table(al: Allocation) -> pd.DataFrame:
    a = al.analysis
    return scenarios(a.data, a.scores.projects, a.monitoring, a.rules, al.cuts, al.thresholds, a.history)


def section_scenarios(al: Allocation) -> None:
    D.heading("四、情景比较", 2)
    D.paragraph("下表比较“中”等级项目压减比例与预警偏差阈值的不同组合（其余规则不变）下，下年度安排总额、"
                "压减额、预警项目数与收回资金。")
    s = scenario_table(al)
    s["cut_share"] = s["cut_share"].map(lambda v: f"{v:.0%}")
    cols = {"cut_share": "中等级压减", "threshold": "偏差阈值（百分点）", "proposal": "建议安排", "reduction": "压减合计",
            "warned": "预警项目数", "recovered": "收回资金"}
    D.table(s[list(cols)].rename(columns=cols), money=["建议安排", "压减合计", "收回资金"],
            caption="表5 情景比较（金额单位：万元）")


def sweep_table(al: Allocation) -> pd.DataFrame:
    a = al.analysis
    return warning_sweep(a.monitoring, a.rules, list(range(10, 31, 2)))


def section_sweep(al: Allocation) -> None:
    D.heading("五、预警阈值敏感性", 2)
    a = al.analysis
    sweep = sweep_table(al)
    mon = a.monitoring.projects
    # warned whatever the threshold: the rule at an infinite threshold (red light, 完全不可能, 未报送)
    D.chart_sweep(mon["deviation_pp"], warned_at(a.monitoring, float("inf"), a.rules),
                  float(a.rules["monitoring.warning_deviation"]), sweep["threshold"].astype(float).tolist())
    D.table(sweep.rename(columns={"threshold": "偏差阈值（百分点）", "warned": "预警项目数", "warned_budget": "预警金额"}),
            money=["预警金额"], caption=f"表6 偏差阈值{sweep['threshold'].min():g}至{sweep['threshold'].max():g}个百分点"
                                        "下的预警项目数与金额（金额单位：万元）")


INTERNAL_MARK = "内部资料_不得公开"


def export_workbook(al: Allocation, output_dir: str | Path) -> Path:
    """预算安排建议.xlsx: per project (with 单位名称 and 主管部门) and per unit, in the shared layout of
    :mod:`perfkit.reporting.workbook` — title, widths, A4 landscape print setup, 万元 formats, and 合计
    rows summed exactly in 分 with a note on rounding."""
    a = al.analysis
    # it lists 涉密 projects: marked internal in its name, on every sheet and on every printed page
    path = Path(output_dir) / f"{al.year + 1}年度预算安排建议_{INTERNAL_MARK}.xlsx"
    mark = INTERNAL_MARK.replace("_", " ")
    p = a.proposal
    units = proposal_by_unit(p, a.data)
    names = plain_text(units[["unit_id", "unit_name", "department"]]).set_index("unit_id")  # always present
    unit_of = p["unit_id"].astype(object)
    proj = pd.DataFrame({
        "项目编码": p["project_id"], "项目名称": p["project_name"], "单位编码": p["unit_id"],
        "单位名称": unit_of.map(names["unit_name"]), "主管部门": unit_of.map(names["department"]),
        "支出类别": p["category"], "复核总分": p["total"], "等级": grade_label(p), "安排建议": p["action"],
        "调整比例": p["change"], "本年预算（万元）": p["budget"], "执行数（万元）": p["spent"],
        "建议安排（万元）": p["proposal"], "收回资金（万元）": p["recovered"],
        "复算状态": p["status"], "涉密": p["classified"].map({True: "是", False: ""}),
    })
    unit_sheet = pd.DataFrame({
        "单位编码": units["unit_id"], "单位名称": units["unit_name"], "主管部门": units["department"],
        "项目数": units["projects"],
        "本年预算（万元）": units["budget"], "建议安排（万元）": units["proposal"], "收回资金（万元）": units["recovered"],
    })
    money = [c for c in proj.columns if "万元" in c]
    with atomic_path(path) as tmp, excel_writer(tmp) as xl:
        for name, frame, extra in (("按项目", proj, {"decimals": ["复核总分"], "percent": ["调整比例"]}),
                                   ("按单位", unit_sheet, {"counts": ["项目数"], "sums": ["项目数"]})):
            write_table(xl, name, frame, f"{al.district}{al.year + 1}年度预算安排建议（{name}）  {mark}（含涉密项目）",
                        money=[c for c in money if c in frame.columns], total=True, page_header=mark, **extra)
    return path


def export_note(path: Path) -> None:
    D.note(f"附件：电子表格《{path.stem.replace('_', '（', 1).replace('_', '，')}）》（按项目、按单位两张表，"
           "金额单位万元，含合计行）")
