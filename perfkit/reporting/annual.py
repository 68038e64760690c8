"""The annual performance-management report (seed/2022-report.txt) from data.

:func:`build` computes every figure once (via :mod:`perfkit.api`); the ``section_*`` functions display a
section — sentences from ``templates/annual.html.j2``, tables, charts — and are what the notebook's cells
call. Policy prose (work requirements, achievements, next year's plan) comes from an editable YAML file.
Project-level listings never include 涉密 projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from perfkit.analyses import history as H
from perfkit.analyses import monitoring as M
from perfkit.analyses.application import (
    BASE_CARRIED,
    ESCALATION_PREFIX,
    GATE_ACTION,
    NEW_ACTION,
    NO_RESULT_ACTION,
    PENDING_ACTION,
    plan_summary,
)
from perfkit.analyses.evaluation import PENDING
from perfkit.io.base import InputError
from perfkit.io.contract import CATEGORIES, GRADES, MONITOR_CLASSES
from perfkit.io.load import Dataset
from perfkit.io.settings import DISTRICT_PLACEHOLDER, Settings, active
from perfkit.io.values import format_wan
from perfkit.io.years import check_month, check_year, latest_month, years_in
from perfkit.pipeline.stages import MATERIALISED, Analysis, analyze, read_materialised
from perfkit.reporting import display as D
from perfkit.reporting.annual_text import (  # noqa: F401 (sections 四/五/六 and the finding counts, re-exported)
    counts_text,
    finding_counts,
    findings_table,
    outcome_facts,
    review_facts,
    section_achievements,
    section_next_year,
    section_problems,
    top_counts,
)
from perfkit.rules import DEFAULT_PROFILE

POLICY_TEXT = Path(__file__).parent / "text" / "policy.yaml"


@dataclass
class AnnualReport:
    analysis: Analysis
    district: str
    year: int
    month: int | None
    policy: dict[str, Any]
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: Settings | None = None


def load_policy(path: str | Path | None, settings: Settings | None = None, **fill: object) -> dict[str, Any]:
    """The policy prose, with {district} {year} {next_year} {documents} filled in: the package's neutral
    wording, replaced passage by passage by the district's own file (``path``, else the workspace's
    政策表述.yaml); the issuing organ, the local documents and the date come from the workspace settings."""
    doc = yaml.safe_load(POLICY_TEXT.read_text(encoding="utf-8"))
    own = path if path is not None else (settings.policy_path if settings is not None else None)
    if own is not None:  # a bureau's own file replaces the passages it has; the rest keep their default
        # (a file written before the report gained 附件 and 落款 still runs)
        doc.update(yaml.safe_load(Path(own).read_text(encoding="utf-8")) or {})
    documents = settings.document_list() if settings is not None else ""
    fill.setdefault("documents", documents or "预算绩效管理有关文件")
    if settings is not None:
        doc["issuer"] = settings.issuer_name() or doc.get("issuer")
        doc["date"] = settings.date or doc.get("date")
        doc["contact"] = settings.contact_line()
    doc.setdefault("issuer", "{district}财政局")

    def fill_in(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**fill)
        if isinstance(value, list):
            return [fill_in(v) for v in value]
        if isinstance(value, dict):
            return {k: fill_in(v) for k, v in value.items()}
        return value

    return fill_in(doc)


@dataclass
class Inputs:
    """What a report runs on, each from the call, else the district's workspace, else the data."""

    data: Dataset
    year: int
    month: int | None
    profile: str
    district: str
    archive: str | Path | None
    settings: Settings | None
    source: str | Path | Dataset | None = None  # what analyze reads: the analysis perfkit report made once, or data


def resolve_inputs(data: str | Path | Dataset | None, year: int | None, month: int | None,
                   profile: str | Path | None, district: str | None, archive: str | Path | None,
                   workspace: str | Path | None = None) -> Inputs:
    """Fill what was not given from the workspace settings (perfkit.io.settings) and the data: the year
    checked against the data's 年度, the as-of month the one set or the latest in 执行监控 (None when the
    data have no monitoring — the report then says so)."""
    from perfkit.io.load import load

    settings = active(workspace, needed=data is None or year is None)  # given both: a workspace is optional
    data = data if data is not None else (settings.data_path if settings else None)
    if data is None:
        raise InputError("没有指定数据：在工作区设置（设置.yaml）中填写「数据」，或给出 data 参数")
    month = check_month(month) or (settings.month if settings else None)
    # a month known: that month's monitoring rows, as perfkit report's snapshot reads them; else every month
    source = data
    if not isinstance(data, Dataset) and str(data).endswith(MATERIALISED):  # perfkit report analysed once
        ds = read_materialised(data)[1].data
    else:
        ds = source = data if isinstance(data, Dataset) else load(data, month=month)
    found = check_year(years_in(ds), year or (settings.year if settings else None), Path(str(ds.source)).name)
    if found is None:
        raise InputError("数据中没有年度：请给出 year 参数（或在工作区设置中填写「报告年度」）")
    month = month or latest_month(ds)
    district = district or (settings.district if settings else "") or DISTRICT_PLACEHOLDER
    profile = str(profile or (settings.profile if settings else DEFAULT_PROFILE))
    if settings and profile.endswith(".yaml") and settings.path(profile).exists():
        profile = str(settings.path(profile))
    if archive is None and settings is not None:
        archive = settings.archive_path
    return Inputs(ds, found, month, profile, district, archive, settings, source)


def output_folder(rep: AnnualReport, output_dir: str | Path | None) -> Path:
    """Where a notebook run writes its files: the folder given, else the workspace's folder of the year
    (``reports/<年度>``) — never a fixed folder shared by every year."""
    if output_dir:
        return Path(output_dir)
    s = rep.settings
    return s.reports_path(rep.year) if s is not None else Path.cwd() / "reports" / str(rep.year)


def build(data: str | Path | Dataset | None = None, year: int | None = None, month: int | None = None,
          profile: str | Path | None = None, district: str | None = None, policy_text: str | Path | None = None,
          archive: str | Path | None = None, workspace: str | Path | None = None,
          spotcheck_deadline: str | None = None) -> AnnualReport:
    """Run every analysis once and gather the report's figures; with an ``archive`` holding last year,
    the figures the seed reports are compared with last year's. Arguments left None come from the
    workspace settings and the data (:func:`resolve_inputs`). The spot-check round's size is the
    rulebook's (the workspace's 现场抽查能力 replaces it); its date is ``spotcheck_deadline`` or the policy
    text's ``spotcheck_deadline`` — without one the plan says only the year, never another district's date."""
    i = resolve_inputs(data, year, month, profile, district, archive, workspace)
    a = analyze(i.source, year=i.year, month=i.month, profile=i.profile, archive=i.archive,
                workspace=i.settings.folder if i.settings is not None else None)
    policy = load_policy(policy_text, i.settings, district=i.district, year=i.year, next_year=i.year + 1)
    if spotcheck_deadline:
        policy["spotcheck_deadline"] = spotcheck_deadline
    rep = AnnualReport(a, i.district, i.year, i.month, policy, settings=i.settings)
    rep.facts = report_facts(a, i.district, i.year, i.month, policy)
    if i.archive is not None and Path(i.archive).exists() and i.month is not None:
        yoy = year_over_year(a, i.archive, i.month)
        if yoy:
            rep.facts["yoy"] = yoy
    return rep


def _change(now: int, before: int, unit: str, money: bool = False) -> str:
    """“增加3个” / “减少1,234.56万元” / “持平” — how a figure moved since last year."""
    diff = now - before
    if diff == 0:
        return "持平"
    amount = format_wan(abs(diff)) + "万元" if money else f"{abs(diff)}{unit}"
    return ("增加" if diff > 0 else "减少") + amount


def year_over_year(a: Analysis, archive: str | Path, month: int) -> dict[str, Any] | None:
    """This year beside last year (from the archive): warned projects and amount, 优良 projects, projects
    below the report thresholds by the unit's own score, ranking moves and recurring findings."""
    thresholds = a.rules["evaluation.report_thresholds"]
    before = H.previous_year(archive, a.rules.year, month, thresholds)
    if before is None:
        return None
    now = H.this_year(a, thresholds)
    out: dict[str, Any] = {"prev_year": before.year, "month": month}
    if now.warned is not None and before.warned is not None:
        out.update(warned=now.warned, warned_prev=before.warned, warned_change=_change(now.warned, before.warned, "个"),
                   warned_amount_prev=format_wan(before.warned_fen),
                   warned_amount_change=_change(now.warned_fen, before.warned_fen, "", money=True))
    good = GRADES[:2]  # 优、良
    out.update(good=sum(now.grades.get(g, 0) for g in good), good_prev=sum(before.grades.get(g, 0) for g in good),
               grades_prev={g: before.grades.get(g, 0) for g in GRADES})
    out["below"] = [{"threshold": t, "count": now.below[t][0], "count_prev": before.below[t][0]}
                    for t in thresholds if t in now.below and t in before.below]
    moves = H.ranking_moves(archive, a.rules.year, a.ranking)
    if len(moves):
        out.update(moved_units=len(moves), up=int((moves["move"] > 0).sum()), down=int((moves["move"] < 0).sum()),
                   best="、".join(f"{r.unit_name}（上升{r.move}位）" for r in moves.head(2).itertuples() if r.move > 0))
    again = H.recurring_findings(archive, a.rules.year, a.findings, a.data.get("code_changes"))
    out.update(recurring=len(again), recurring_projects=int(again["project_id"].nunique()))
    out["escalated"] = int(a.proposal["action"].astype(str).str.startswith("连续").sum()) if a.proposal is not None else 0
    return out


def requested_facts(blocked: pd.DataFrame) -> dict[str, Any]:
    """What the ex-ante gate withholds: next year's requests (下年度申请数) of the projects it stops, and
    how many of them gave none — the one amount both the report and the allocation analysis print."""
    req = blocked["requested"] if "requested" in blocked else pd.Series(dtype="Int64")
    return {"requested_known": int(req.notna().sum()), "requested_missing": int(req.isna().sum()),
            "blocked_requested": format_wan(req.fillna(0).sum()), "blocked_requested_fen": int(req.fillna(0).sum())}


def this_years_projects(projects: pd.DataFrame) -> pd.DataFrame:
    """The projects of the year reported: next year's first-time requests (新增重大项目, no budget this
    year) are left out of coverage, budget and execution figures — the ex-ante part counts them."""
    from perfkit.analyses.exante import first_requests

    return projects.loc[~first_requests(projects)]


def report_facts(a: Analysis, district: str, year: int, month: int, policy: dict) -> dict[str, dict[str, Any]]:
    """Every figure the report prints, from the analysis (amounts summed in 分, printed in 万元)."""
    ds, rules = a.data, a.rules
    projects = this_years_projects(ds.table("projects"))
    facts: dict[str, dict[str, Any]] = {}
    present = [c for c in CATEGORIES if c in set(projects["category"].dropna())]
    units = ds.get("units")
    # the units that have projects in the year reported (a 单位 table may list units of other years' forms)
    with_projects = int(projects["unit_id"].nunique())
    facts["coverage"] = {
        "year": year, "units": with_projects or (int(units["unit_id"].nunique()) if units is not None else 0),
        "projects": len(projects), "budget": format_wan(projects["budget"].sum()),
        "budget_fen": int(projects["budget"].sum()),
        "categories": "、".join(present), "n_categories": "零一两三四"[len(present)] if len(present) <= 4 else str(len(present)),
    }
    if a.exante is not None and a.gate is not None:
        conc = a.exante["conclusion"].value_counts()
        blocked = a.gate[~a.gate["passed"]]
        facts["exante"] = {"year": year, "next_year": year + 1, "assessed": len(a.exante),
                           "support": int(conc.get("予以支持", 0)), "partial": int(conc.get("部分支持", 0)),
                           "reject": int(conc.get("不予支持", 0)), "new_major": len(a.gate), "blocked": len(blocked),
                           "conclusions": counts_text({k: int(conc.get(k, 0)) for k in ("予以支持", "部分支持", "不予支持")},
                                                      "个"),
                           "not_assessed": int(a.gate["conclusion"].eq("未开展事前评估").sum()),
                           "not_assessed_blocked": int(blocked["conclusion"].eq("未开展事前评估").sum()),
                           "requested_all": format_wan(a.gate["requested"].fillna(0).sum()),
                           **requested_facts(blocked)}
    if a.target_findings is not None:
        tf = a.target_findings
        tg = ds.table("targets")
        facts["targets"] = {"projects": int(tg["project_id"].nunique()), "indicators": len(tg),
                            "problem_projects": int(tf["project_id"].nunique()), "findings": len(tf),
                            "top": top_counts(tf["finding"].value_counts()),
                            "all_shown": tf["finding"].nunique() <= 3}
    if a.monitoring is not None:
        mon = a.monitoring
        p = mon.projects
        warned = p[p["warning"]]
        by_class = warned["monitor_class"].value_counts()
        facts["monitoring"] = {
            "units": int(p["unit_id"].nunique()), "threshold": rules["monitoring.warning_deviation"],
            "year": year, "month": month, "district": district, "warned": len(warned),
            "warned_amount": format_wan(warned["budget"].sum()), "warned_fen": int(warned["budget"].sum()),
            "general": int(by_class.get(MONITOR_CLASSES[0], 0)), "transfer": int(by_class.get(MONITOR_CLASSES[1], 0)),
        }
    if a.scores is not None:
        sp = a.scores.projects
        grades = sp["grade"].value_counts()
        pending = pending_projects(a)
        below = []
        for threshold in rules["evaluation.report_thresholds"]:  # the units' own scores, as the seed reports,
            low = sp[sp["unit_total"] < threshold]                # and the recomputed ones beside them
            rec = sp[sp["total"] < threshold]
            below.append({"threshold": threshold, "count": len(low), "amount": format_wan(low["budget"].fillna(0).sum()),
                          "amount_fen": int(low["budget"].fillna(0).sum()), "recomputed": len(rec),
                          "recomputed_amount": format_wan(rec["budget"].fillna(0).sum())})
        facts["evaluation"] = {"projects": len(sp), "grades": {g: int(grades.get(g, 0)) for g in GRADES},
                               "grade_text": counts_text({g: int(grades.get(g, 0)) for g in GRADES}, "个"),
                               "below": below, "pending": len(pending), "graded": len(sp) - len(pending)}
        facts["review"] = review_facts(a.findings, projects)
    if a.archive_completeness is not None:
        ar = a.archive_completeness
        missing = ar["missing"].fillna("").str.split("、").explode()
        missing = missing[missing.ne("")].value_counts()
        complete = int((ar["completeness"] >= 1).sum())
        facts["archive"] = {"projects": len(ar), "complete": complete,
                            "complete_share": f"{complete / max(len(ar), 1):.1%}",
                            "most_missing": "、".join(missing.head(2).index) or "无"}
    if a.spot_checks is not None:
        s = plan_summary(a.spot_checks)
        facts["spotcheck"] = {"year": year, "units": s["units"], "projects": s["projects"], "amount": format_wan(s["budget"]),
                              "candidates": int(a.spot_checks["candidates"].iloc[0]) if len(a.spot_checks) else 0,
                              "amount_fen": s["budget"], "deadline": policy.get("spotcheck_deadline") or ""}
    if a.proposal is not None:
        pr = a.proposal
        counts = pr["action"].astype(object).value_counts()
        graded = list(dict.fromkeys(x["action"] for x in rules["application.actions"].values()))
        # the same counts as the allocation analysis' 表1, which groups the proposal by action
        facts["application"] = {
            "year": year, "next_year": year + 1, "fail_below": rules["evaluation.fail_below"],
            "classified": int(projects["classified"].sum()),
            "by_grade": [(label, int(counts[label])) for label in graded if counts.get(label, 0)],
            "escalated": int(counts[counts.index.str.startswith(ESCALATION_PREFIX)].sum()),
            "redesign": int(pr["needs_exante"].sum()) if "needs_exante" in pr else 0,
            "redesign_grade": rules["application.redesign_grade"],
            "new_passed": int(counts.get(NEW_ACTION, 0)),
            "base": format_wan(pr["base"].sum()), "proposal": format_wan(pr["proposal"].sum()),
            "carried": int(pr["base_source"].eq(BASE_CARRIED).sum()),
            "carried_amount": format_wan(pr.loc[pr["base_source"].eq(BASE_CARRIED), "base"].sum()),
            "gate": int(counts.get(GATE_ACTION, 0)), "pending": int(counts.get(PENDING_ACTION, 0)),
            "pending_total": int(pr["status"].eq(PENDING).sum()),
            # 待核实 projects the ex-ante gate stops: counted once, as gated; said so beside the pending count
            "pending_gated": int((pr["status"].eq(PENDING) & pr["action"].eq(GATE_ACTION)).sum()),
            "no_result": int(counts.get(NO_RESULT_ACTION, 0)),
            "recovered": format_wan(pr["recovered"].sum()), "recovered_fen": int(pr["recovered"].sum()),
            "monitored": a.monitoring is not None,
        }
    facts["data"] = ds.provenance()
    return facts


# ------------------------------------------------------------------------------------------ sections


def title(rep: AnnualReport) -> None:
    D.heading(f"{rep.district}{rep.year}年\n预算绩效管理工作情况报告", 1)
    D.paragraph(rep.policy["preamble"])
    D.data_note(rep.facts["data"])  # the program's notes on skipped stages are in the annex's data section


def _runin_items(items: list[dict]) -> None:
    """Policy paragraphs whose title runs into the text: "（一）压实工作责任。通过…"."""
    for item in items:
        D.runin(item["title"], item["text"])


def section_requirements(rep: AnnualReport) -> None:
    D.heading("一、明确工作要求", 2)
    _runin_items(rep.policy["requirements"])


def section_supervision(rep: AnnualReport) -> None:
    """二、强化工作监管: coverage, ex-ante, targets, monitoring review, evaluation review, archives, spot checks."""
    a, f = rep.analysis, rep.facts
    D.heading("二、强化工作监管", 2)
    D.sentence("coverage", f["coverage"])
    projects = this_years_projects(a.data.table("projects"))
    by_cat, blank = execution_by_category(projects)
    if not len(by_cat):  # no project names its 支出类别: no table of nothing, one sentence
        D.paragraph("各项目未填写支出类别，本报告不按支出类别分类统计。")
    else:
        shown = pd.concat([by_cat.reset_index().rename(columns={"category": "支出类别"}),
                           pd.DataFrame([{"支出类别": "合计", **by_cat.drop(columns="执行率").sum().to_dict()}])],
                          ignore_index=True)
        shown.loc[shown.index[-1], "执行率"] = _rate(shown.iloc[-1])
        D.table(shown.drop(columns="已填报预算数"), money=["全年预算数", "全年执行数"], percent=["执行率"],
                caption="表 四类支出纳入绩效管理情况（金额单位：万元）")
    if blank["projects"]:
        D.note(f"注：{blank['projects']}个项目（全年预算{format_wan(blank['budget'])}万元）未填报全年执行数，不计入"
               "全年执行数和执行率；执行率 = 全年执行数 ÷ 已填报执行数项目的全年预算数。")
    D.chart_categories(by_cat, projects, a.rules["monitoring.execution_light"])
    parts = [(key, title) for key, title in (("exante", "突出事前审核"), ("targets", "突出目标设置"),
                                             ("monitoring", "突出监控审核"), ("review", "突出评价审核"),
                                             ("archive", "完善评价档案"), ("spotcheck", "突出现场抽查")) if key in f]
    for (key, _), title in zip(parts, D.subheadings([t for _, t in parts]), strict=True):
        sentence = {"monitoring": "monitoring_review"}.get(key, key)
        D.runin(title, D.render_sentence(sentence, f[key]))
        if key == "targets" and len(a.target_findings):  # none found: the sentence says so
            D.table(findings_table(a.target_findings), caption="表 绩效目标设置审核发现")
        elif key == "monitoring":
            _monitoring_table(a, "monitor_class", "监控分类", f"表 1-{rep.month}月绩效监控分类汇总（金额单位：万元）")
            D.sentence("red_vs_warned", f["monitoring"])
        elif key == "review" and len(a.findings):  # none found: the sentence says so
            D.table(findings_table(a.findings), caption="表 第三方审核发现（按问题类型，同一问题只计一次）")


def _rate(row: pd.Series) -> float:
    return float(row["全年执行数"]) / float(row["已填报预算数"]) if float(row["已填报预算数"]) else np.nan


def execution_by_category(projects: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """项目数、全年预算数、全年执行数、执行率 by 支出类别 in the seed's order. A blank 全年执行数 is not
    0: it is left out of both the executed amount and the rate's base (已填报预算数), and counted."""
    known = projects["spent"].notna()
    p = projects.assign(reported=projects["budget"].where(known, 0))
    by_cat = p.groupby("category", observed=True).agg(项目数=("project_id", "size"), 全年预算数=("budget", "sum"),
                                                      全年执行数=("spent", "sum"), 已填报预算数=("reported", "sum"))
    by_cat = by_cat.reindex([c for c in CATEGORIES if c in by_cat.index])
    by_cat["执行率"] = by_cat.apply(_rate, axis=1)
    blank = {"projects": int((~known).sum()), "budget": int(projects.loc[~known, "budget"].fillna(0).sum())}
    return by_cat, blank


def pending_projects(a: Analysis) -> pd.DataFrame:
    """Projects whose recomputation is 待核实 (a row or the execution score could not be recomputed),
    with the project's name, unit, 可复算分值 and why — counted and listed in the reports instead of
    being graded. 涉密 projects are counted but never named."""
    cols = ["project_id", "project_name", "unit_id", "unit_name", "classified", "recomputable_points", "reason"]
    if a.scores is None:
        return pd.DataFrame(columns=cols)
    sp = a.scores.projects
    p = sp.loc[sp["status"].eq(PENDING), ["project_id", "recomputable_points", "n_unscored", "exec_recomputed"]
               + ["over_full_marks"] * ("over_full_marks" in sp)]
    if a.data.has("projects"):
        from perfkit.analyses.evaluation import projects_of_year

        info = projects_of_year(a.data.table("projects"), a.rules.year)[["project_id", "project_name", "unit_id",
                                                                         "classified"]]
        p = p.merge(info, on="project_id", how="left")
    else:
        p = p.assign(project_name=p["project_id"], unit_id=pd.NA, classified=False)
    units = a.data.get("units")
    if units is not None:
        p = p.merge(units[["unit_id", "unit_name"]].drop_duplicates("unit_id"), on="unit_id", how="left")
    else:
        p["unit_name"] = p["unit_id"]
    n = p["n_unscored"].fillna(0).astype(int)
    reason = pd.Series(np.where(n > 0, n.astype(str) + " 个指标无法复算", ""), index=p.index)
    no_amounts = ~p["exec_recomputed"].astype(bool)
    reason = reason.mask(no_amounts, reason.where(reason.eq(""), reason + "；") + "预算数据缺失")
    over = p["over_full_marks"].fillna(False).astype(bool) if "over_full_marks" in p else False
    reason = reason.mask(over, reason.where(reason.eq(""), reason + "；") + "分值合计超过满分")
    reason = reason.mask(reason.eq(""), "无可复算的指标")
    p["reason"] = reason
    p["classified"] = p["classified"].fillna(False).astype(bool)
    return p[cols].reset_index(drop=True)


def pending_gated(a: Analysis) -> int:
    """待核实 projects the ex-ante gate stops: counted among the 待核实 and said beside them."""
    pr = a.proposal
    if pr is None:
        return 0
    return int((pr["status"].eq(PENDING) & pr["action"].eq(GATE_ACTION)).sum())


def pending_table(a: Analysis, caption: str, limit: int = 20) -> None:
    """The 待核实 projects (never 涉密 ones), largest share of unverifiable points first."""
    p = pending_projects(a)
    shown = p[~p["classified"]].sort_values("recomputable_points", kind="stable")
    if not len(shown):
        return
    cols = {"project_name": "项目", "unit_name": "单位", "recomputable_points": "可复算分值", "reason": "待核实原因"}
    more = f"（前{limit}个，全部见技术附件）" if len(shown) > limit else ""
    D.table(shown[list(cols)].rename(columns=cols).head(limit), digits={"可复算分值": 2},
            caption=caption + more)


def _monitoring_table(a: Analysis, by: str, label: str, caption: str) -> None:
    """项目数、预警项目数与金额 by one dimension, money in 万元 with a 合计 row."""
    summary = M.summarize(a.monitoring, by)
    summary[by] = summary[by].astype(object).where(summary[by].notna(), "未填写")  # a blank label is named
    summary = summary.rename(columns={
        by: label, "projects": "项目数", "budget": "全年预算", "warned": "预警项目",
        "warned_budget": "预警金额", "red": "红灯项目", "unreported": "未报送", "warning_rate": "预警率"})
    # heads of at most four characters: seven numeric columns fit the type area without breaking a word
    D.table(summary, money=["全年预算", "预警金额"], percent=["预警率"], total=True, caption=caption,
            rates={"预警率": ("预警项目", "项目数")})


def section_analysis(rep: AnnualReport) -> None:
    """三、强化审核分析: monitoring analysis and its application (scores, ranking)."""
    a, f = rep.analysis, rep.facts
    D.heading("三、强化审核分析", 2)
    parts = [(k, t) for k, t in (("monitoring", "加强绩效监控分析"), ("evaluation", "加强绩效监控应用")) if k in f]
    heads = dict(zip([k for k, _ in parts], D.subheadings([t for _, t in parts]), strict=True))
    if "monitoring" not in f:  # said once: no warning figures, no recovery of funds, no 预警率 column
        D.paragraph(NO_MONITORING)
    if "monitoring" in f:
        D.runin(heads["monitoring"], D.render_sentence("monitoring", f["monitoring"]))
        D.chart_lights(a.monitoring.projects)
        _monitoring_table(a, "category", "支出类别", "表 预警项目按支出类别（金额单位：万元）")
    if "evaluation" in f:
        D.runin(heads["evaluation"], D.render_sentence("evaluation", f["evaluation"]))
        if not D.chart_scores(a.scores.projects, a.rules["evaluation.grade_bands"], a.rules["evaluation.grade_below"],
                              a.rules["evaluation.total_points"]):
            D.paragraph("因没有可完整复算的项目，本年度不绘制复核得分分布图。")
        if "application" in f:
            D.sentence("application", f["application"])
        if "yoy" in f:
            D.sentence("yoy", f["yoy"])
        if a.ranking is not None:
            body = {k: v for k, v in RANKING_BODY.items() if a.monitoring is not None or k != "warning_rate"}
            ranked = a.ranking.loc[a.ranking["rank"].notna()]  # unranked units are listed in the annex
            top = ranked[list(body)].rename(columns=body)
            shown = rep.policy.get("ranking_rows", 15)
            if not len(top):
                D.paragraph("各单位项目的复核得分均待核实，本年度未进行单位综合评定排名（见技术附件）。")
            else:
                D.table(top.head(shown), percent=["不合格率", "执行率", "预警率"],
                        digits={"复核均分": 2, "综合得分": 2},
                        caption=f"表 单位综合评定排名（前{shown}名"
                                + ("" if a.monitoring is not None else "，未含监控数据")
                                + "；全部单位及计分口径见技术附件）")
                D.note("注：复核均分为单位可完整复算项目的复核总分平均，待核实项目不计入；不合格率为复核分低于"
                       f"{a.rules['evaluation.fail_below']}分的项目占可完整复算项目的比例；问题数为第三方审核发现的问题处数"
                       "（同一问题只计一次）。")


NO_MONITORING = "本年度未提供绩效运行监控（执行监控）数据，报告不含监控预警分析，单位综合评定未含监控数据。"

# short column heads, so none breaks inside a word; 主管部门 and each weighted part are in the annex
RANKING_BODY = {"rank": "名次", "unit_name": "单位", "projects": "项目数", "mean_score": "复核均分",
                "fail_rate": "不合格率", "execution": "执行率", "warning_rate": "预警率", "findings": "问题数",
                "composite": "综合得分"}


def closing(rep: AnnualReport) -> None:
    """附件 list, then the issuing organ (落款) and the date in full (GB/T 9704): the director's report
    ends here; how the figures were computed is the technical annex, a separate document."""
    D.attachments(rep.policy["attachments"])
    D.signature(rep.policy["issuer"], D.signing_date(rep.policy.get("date"), rep.year))


LETTERS_FOLDER = "单位反馈通知"


def unit_letters(rep: AnnualReport, output_dir: str | Path | None = None, deadline: str | None = None,
                 contact: dict[str, object] | None = None) -> Path:
    """Every unit's feedback letter (.docx) and list (.xlsx) into ``output_dir/单位反馈通知``, from the
    same analysis as the report: the 通报 the seed sends with it. 涉密 projects appear only in their own
    unit's files."""
    from perfkit.reporting.feedback import write_letters

    folder = output_folder(rep, output_dir) / LETTERS_FOLDER
    s = rep.settings
    if contact is None and s is not None:  # the workspace's 联系人、联系电话、抄送
        contact = s.letter_contact()
    write_letters(rep.analysis, folder, deadline, rep.district, contact=contact, issuer=rep.policy.get("issuer"))
    return folder
