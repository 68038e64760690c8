"""The evaluation-linked budget allocation analysis: next year's proposal per project and unit, recovered
funds and the 民生 pool, the ex-ante gate, scenarios side by side, the warning-threshold sweep, and an
Excel workbook formatted for finance staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from perfkit.analyses.application import (
    BASE_CARRIED,
    BASE_NONE,
    GATE_ACTION,
    proposal_by_unit,
    scenario_comparison,
    scenarios,
    warning_flags_at,
    warning_sweep,
)
from perfkit.analyses.evaluation import PENDING, grade_label
from perfkit.io.contract import CATEGORIES
from perfkit.io.values import format_wan, plain_text
from perfkit.io.write import atomic_path, excel_writer
from perfkit.pipeline.stages import Analysis, analyze
from perfkit.reporting import display as D
from perfkit.reporting.annual import requested_facts, resolve_inputs
from perfkit.reporting.bases import basis
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
    fail_changes: list[float] = field(default_factory=lambda: [-0.5])  # 差: cut by half instead of cancelling
    recovery_shares: list[float] = field(default_factory=lambda: [0.5])
    facts: dict[str, dict] = field(default_factory=dict)  # every printed figure, computed once in build()
    settings: object = None  # the workspace's settings (perfkit.io.settings.Settings), when there is one


def build(data: str | Path | None = None, year: int | None = None, month: int | None = None,
          profile: str | None = None, district: str | None = None,
          cuts: list[float] | None = None, thresholds: list[float] | None = None,
          archive: str | Path | None = None, workspace: str | Path | None = None) -> Allocation:
    """Run the analyses once (earlier years' grades from the ``archive``, for the multi-year rule);
    arguments left None come from the workspace settings and the data (annual.resolve_inputs)."""
    i = resolve_inputs(data, year, month, profile, district, archive, workspace)
    a = analyze(i.source, year=i.year, month=i.month, profile=i.profile, archive=i.archive,
                workspace=i.settings.folder if i.settings is not None else None)
    if a.proposal is None:
        from perfkit.io.load import MissingTableError
        raise MissingTableError("预算安排分析需要「项目」与「绩效自评」表")
    al = Allocation(a, i.district, i.year, i.month, cuts or [0.1, 0.2, 0.3], thresholds or [15, 20, 25])
    al.settings = i.settings
    al.facts = allocation_facts(al)
    return al


def allocation_facts(al: Allocation) -> dict[str, dict]:
    """Every figure the allocation analysis prints (amounts summed in 分, printed in 万元)."""
    a = al.analysis
    p, g, rules = a.proposal, a.gate, a.rules
    rec = p[p["recover"]]
    blocked = g[~g["passed"]]
    pending = p["status"].eq(PENDING)
    carried = p["base_source"].eq(BASE_CARRIED)
    none = p["base_source"].eq(BASE_NONE)
    return {
        "intro": {"year": al.year, "next_year": al.year + 1, "month": al.month, "rules_title": rules.title,
                  "projects": len(p), "budget": format_wan(p["budget"].fillna(0).sum()),
                  "new_major": int(p["new_major"].sum()), "requested": format_wan(p["requested"].fillna(0).sum()),
                  "requested_n": int(p["requested"].notna().sum()), "base": format_wan(p["base"].sum()),
                  "carried": int(carried.sum()), "carried_amount": format_wan(p.loc[carried, "base"].sum()),
                  "none": int(none.sum()),
                  "proposal": format_wan(p["proposal"].sum()), "reduction": format_wan((p["base"] - p["proposal"]).sum()),
                  "pending": int(pending.sum()), "pending_base": format_wan(p.loc[pending, "base"].sum()),
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
        "gate": {"next_year": al.year + 1, "new_major": len(g), "blocked": len(blocked),
                 "requested_all": format_wan(g["requested"].fillna(0).sum()),
                 "not_assessed_blocked": int(blocked["conclusion"].eq("未开展事前评估").sum()),
                 **requested_facts(blocked)},
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
    by_action = p.assign(_budget=p["budget"].fillna(0)).groupby("action").agg(
        项目数=("project_id", "size"), 本年预算=("_budget", "sum"), 安排基数=("base", "sum"), 建议安排=("proposal", "sum"))
    # the graded actions in the rulebook's order (优 → 差), then the rules that override a grade
    graded = list(dict.fromkeys(x["action"] for x in a.rules["application.actions"].values()))
    rest = sorted((x for x in by_action.index if x not in graded), key=lambda x: (not str(x).startswith("连续"), x))
    by_action = by_action.reindex([x for x in graded if x in by_action.index] + rest)
    by_action = by_action.reset_index().rename(columns={"action": "安排建议"})
    D.table(by_action, money=["本年预算", "安排基数", "建议安排"], total=True, caption="表1 安排建议汇总（金额单位：万元）")
    D.note("注：安排基数为项目填报的下年度申请数；未填报申请数的项目以本年预算数结转作为假设（见电子表格“安排基数来源”列）；"
           "新增重大项目本年无预算。")
    units = proposal_by_unit(p, a.data, "department").sort_values("base", ascending=False)
    cols = {"department": "主管部门", "units": "单位数", "projects": "项目数", "base": "安排基数", "proposal": "建议安排",
            "recovered": "收回资金", "cut": "压减项目", "carried": "结转假设"}
    D.table(units[list(cols)].rename(columns=cols), money=["安排基数", "建议安排", "收回资金"], total=True,
            caption="表2 按主管部门的安排建议（各单位明细见电子表格附件）")
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
                              "base": format_wan(esc["base"].sum()),
                              "redesign_grade": a.rules["application.redesign_grade"]}, ALLOCATION)
    shown = esc.loc[~esc["classified"].astype(bool)]
    if len(shown):
        cols = {"project_name": "项目", "unsatisfactory_years": "不理想年数", "grade": "本年等级",
                "base": "安排基数", "proposal": "建议安排", "action": "安排建议"}
        D.table(shown[list(cols)].rename(columns=cols), money=["安排基数", "建议安排"],
                caption="表3 连续评价不理想的项目（往年等级取自年度档案；金额单位：万元）")


def section_recovery(al: Allocation) -> None:
    a = al.analysis
    p = a.proposal
    rec = p[p["recover"]]
    D.heading("二、低效无效资金收回与民生统筹", 2)
    if a.monitoring is None:  # no 执行监控: nothing was warned, so nothing is recovered on that ground
        D.paragraph(NO_MONITORING + "本年度不按监控预警收回资金。")
        return
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
    cols = {"project_name": "项目", "exante_total": "评估得分", "conclusion": "评估结论", "requested": "下年度申请数"}
    # the projects the gate stops; every new major project is in the Excel workbook
    stopped = g.loc[~g["classified"] & g["gate"].eq("不安排预算"), [c for c in cols if c in g]].rename(columns=cols)
    if len(stopped):
        D.table(stopped, money=["下年度申请数"], digits={"评估得分": 1}, total=True,
                caption="表 未通过事前绩效评估、不安排预算的新增重大项目（不含涉密项目；金额单位：万元）")


def scenario_table(al: Allocation) -> pd.DataFrame:
    """The rulebook's proposal and one alternative per row (one setting changed at a time)."""
    a = al.analysis
    return scenario_comparison(a.data, a.scores.projects, a.monitoring, a.rules, a.history, cuts=al.cuts,
                               thresholds=al.thresholds, fail_changes=al.fail_changes,
                               recovery_shares=al.recovery_shares)


def grid_table(al: Allocation) -> pd.DataFrame:
    """Every (中 cut, warning threshold) pair (kept for callers that want the full grid)."""
    a = al.analysis
    return scenarios(a.data, a.scores.projects, a.monitoring, a.rules, al.cuts, al.thresholds, a.history)


def section_scenarios(al: Allocation) -> None:
    D.heading("四、情景比较", 2)
    D.paragraph("下表第一行为现行规则下的安排建议，其余各行每次只改变一项设定（“中”等级压减比例、“差”等级的处理、"
                "预警偏差阈值、结余资金收回比例），其余规则不变，列出下年度建议安排、较现行规则的增减、预警项目数与收回资金。")
    s = scenario_table(al)
    cols = {"setting": "调整的设定", "value": "取值", "proposal": "建议安排", "proposal_diff": "较现行增减",
            "moved": "压减项目", "warned": "预警项目", "recovered": "收回资金"}
    D.table(s[list(cols)].rename(columns=cols), money=["建议安排", "较现行增减", "收回资金"],
            caption="表 情景比较（金额单位：万元）")
    same = same_as_rules_sentence(s)
    if same:
        D.paragraph(same)


def same_as_rules_sentence(s: pd.DataFrame) -> str:
    """The alternatives that move nothing on this year's data, said in words (a row equal to the first
    would otherwise read as a mistake); empty when every alternative moves something."""
    same = s.iloc[1:].loc[~s.iloc[1:]["differs"].astype(bool)]
    if same.empty:
        return ""
    listed = "、".join(f"{r.setting}取{r.value}" for r in same.itertuples())
    return f"{listed}时，建议安排、预警项目与收回资金均与现行规则相同：本年度数据中没有受这项设定影响的项目或资金。"


def sweep_table(al: Allocation) -> pd.DataFrame:
    a = al.analysis
    return warning_sweep(a.monitoring, a.rules, list(range(10, 31, 2)))


def section_sweep(al: Allocation) -> None:
    D.heading("五、预警阈值敏感性", 2)
    a = al.analysis
    if a.monitoring is None:
        D.paragraph(NO_MONITORING + "不作预警阈值敏感性分析。")
        return
    sweep = sweep_table(al)
    mon = a.monitoring.projects
    # warned whatever the threshold: the rule at an infinite threshold (red light, 完全不可能, 未报送)
    D.chart_sweep(mon["deviation_pp"], warning_flags_at(a.monitoring, float("inf"), a.rules),
                  float(a.rules["monitoring.warning_deviation"]), sweep["threshold"].astype(float).tolist())
    D.table(sweep.rename(columns={"threshold": "偏差阈值（百分点）", "warned": "预警项目数", "warned_budget": "预警金额"}),
            money=["预警金额"], caption=f"表6 偏差阈值{sweep['threshold'].min():g}至{sweep['threshold'].max():g}个百分点"
                                        "下的预警项目数与金额（金额单位：万元）")


INTERNAL_MARK = "内部资料_不得公开"
NO_MONITORING = "本年度未提供绩效运行监控（执行监控）数据，"


def export_workbook(al: Allocation, output_dir: str | Path | None = None) -> Path:
    """预算安排建议.xlsx: per project (with 单位名称 and 主管部门) and per unit, in the shared layout of
    :mod:`perfkit.reporting.workbook` — title, widths, A4 landscape print setup, 万元 formats, and 合计
    rows summed exactly in 分 with a note on rounding. Without ``output_dir``: the workspace's folder of
    the year."""
    a = al.analysis
    if not output_dir:
        s = al.settings
        output_dir = s.reports_path(al.year) if s is not None else Path.cwd() / "reports" / str(al.year)
        Path(output_dir).mkdir(parents=True, exist_ok=True)
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
        "支出类别": p["category"], "新增重大项目": p["new_major"].map({True: "是", False: ""}),
        "复核总分": p["total"], "等级": grade_label(p), "安排建议": p["action"],
        "调整比例": p["change"], "本年预算（万元）": p["budget"], "执行数（万元）": p["spent"],
        "下年度申请数（万元）": p["requested"], "安排基数（万元）": p["base"], "安排基数来源": p["base_source"],
        "建议安排（万元）": p["proposal"], "收回资金（万元）": p["recovered"],
        "须重新事前评估": p["needs_exante"].map({True: "是", False: ""}),
        "复算状态": p["status"], "涉密": p["classified"].map({True: "是", False: ""}),
    })
    unit_sheet = pd.DataFrame({
        "单位编码": units["unit_id"], "单位名称": units["unit_name"], "主管部门": units["department"],
        "项目数": units["projects"], "本年预算（万元）": units["budget"], "下年度申请数（万元）": units["requested"],
        "结转假设项目数": units["carried"], "安排基数（万元）": units["base"], "建议安排（万元）": units["proposal"],
        "收回资金（万元）": units["recovered"],
    })
    depts = proposal_by_unit(p, a.data, "department")
    dept_sheet = pd.DataFrame({
        "主管部门": depts["department"], "单位数": depts["units"], "项目数": depts["projects"],
        "本年预算（万元）": depts["budget"], "下年度申请数（万元）": depts["requested"], "结转假设项目数": depts["carried"],
        "安排基数（万元）": depts["base"], "建议安排（万元）": depts["proposal"], "收回资金（万元）": depts["recovered"],
        "压减项目数": depts["cut"],
    })
    money = [c for c in proj.columns if "万元" in c]
    counts = ["单位数", "项目数", "结转假设项目数", "压减项目数"]
    with atomic_path(path) as tmp, excel_writer(tmp) as xl:
        for name, frame, extra in (("按项目", proj, {"decimals": ["复核总分"], "percent": ["调整比例"]}),
                                   ("按单位", unit_sheet, {}), ("按主管部门", dept_sheet, {})):
            if name != "按项目":
                shown = [c for c in counts if c in frame.columns]
                extra = {"counts": shown, "sums": shown}
            write_table(xl, name, frame, f"{al.district}{al.year + 1}年度预算安排建议（{name}）  {mark}（含涉密项目）",
                        money=[c for c in money if c in frame.columns], total=True, page_header=mark, **extra)
    return path


def export_note(path: Path) -> None:
    D.note(f"附件：电子表格《{path.stem.replace('_', '（', 1).replace('_', '，')}）》（按项目、按单位、按主管部门三张表，"
           "列有本年预算、下年度申请数和安排基数，金额单位万元，含合计行）")
