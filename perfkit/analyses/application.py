"""结果应用 (docs/rules.md): the on-site spot-check plan, the unit composite score and ranking, and
next year's evaluation-linked budget proposal (grade → action, recovered funds, 民生 pool, ex-ante gate,
multi-year escalation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.analyses.monitoring import Monitoring
from perfkit.io.load import Dataset
from perfkit.rules.rulebook import Rulebook

# finding types the review writes on an indicator that also carries another type: a 无法解析 text is
# also 无法复算 (the review writes both on the same row), so it is shown as 其中, never added twice
NESTED_FINDINGS = {"无法解析": "无法复算"}


def nested_rows(findings: pd.DataFrame) -> pd.Series:
    """True for a finding counted inside another on the same project and indicator (NESTED_FINDINGS),
    checked row by row: a 无法解析 with no 无法复算 beside it is a problem of its own and counts."""
    out = pd.Series(False, index=findings.index)
    if findings.empty or "indicator" not in findings:
        return out
    for child, parent in NESTED_FINDINGS.items():
        is_child, is_parent = (findings["finding"].eq(kind).to_numpy(bool) for kind in (child, parent))
        if not is_child.any() or not is_parent.any():
            continue
        rows = np.flatnonzero(is_child | is_parent)  # keys for these rows only (a province has a million findings)
        both = findings.iloc[rows]
        keys = (both["project_id"].astype(str) + "\x1f" + both["indicator"].astype(str)).to_numpy(dtype=object)
        nested = is_child[rows] & pd.Index(keys).isin(set(keys[is_parent[rows]]))
        out.iloc[rows[nested]] = True
    return out


def findings_per_unit(project_ids: pd.Series, projects: pd.DataFrame) -> pd.Series:
    """How many findings each unit has: each finding counted for the unit of its project (a project not
    in 项目 counts for none). Counted per project first and only then looked up — a province's million
    findings are not joined row by row to a million projects (the same counts, a fraction of the time)."""
    per_project = project_ids.astype(str).value_counts(sort=False)
    unit_of = pd.Series(projects["unit_id"].array, index=pd.Index(projects["project_id"].astype(str)))
    unit_of = unit_of[~unit_of.index.duplicated()]  # one row per project (projects_of_year)
    return pd.Series(per_project.to_numpy()).groupby(unit_of.reindex(per_project.index).array, observed=True).sum()


def spot_check_plan(ds: Dataset, mon: Monitoring, rules: Rulebook, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """现场抽查 (docs/rules.md): a plan within the bureau's capacity, not every flagged project.

    Candidates are key projects, projects with low target completion or a red execution light, and
    projects whose self-evaluation rests on many 单位自述（无佐证） rows — actuals that only restate the
    target (``spotcheck.rules``; ``scores`` carries ``n_restated`` per project). They are taken in
    priority order — key projects first, then the lowest monitoring completion (a blank completion is not
    0: it comes after every known one unless ``spotcheck.blank_completion`` gives it a value), then the
    most 单位自述 rows, then the largest amounts — the first ``units`` distinct units of that order are
    visited, and within them the first ``projects`` candidates (``spotcheck.capacity``). The technical annex says exactly this, so an auditor re-derives the plan."""
    spec = rules["spotcheck.rules"]
    cap = rules["spotcheck.capacity"]
    p = mon.projects
    key = p["key_project"].fillna(False).astype(bool) & bool(spec["key_projects"])
    completion = p["target_completion"].astype(float)
    low = completion < spec["completion_below"]
    red = p["exec_light"].eq("红").fillna(False).astype(bool) & bool(spec["red_light"])
    restated = pd.Series(0.0, index=p.index)
    if scores is not None and "n_restated" in scores:
        counts = pd.Series(scores["n_restated"].to_numpy(float), index=scores["project_id"].astype(object).to_numpy())
        counts = counts[~counts.index.duplicated()]
        restated = pd.Series(counts.reindex(p["project_id"].astype(object)).fillna(0).to_numpy(float), index=p.index)
    many = restated >= float(spec.get("restated_at_least", np.inf))
    chosen = key | low.fillna(False) | red | many
    reason = pd.Series("", index=p.index, dtype="string")
    reason = reason.mask(key, reason + "重点项目；")
    reason = reason.mask(low.fillna(False), reason + "监控目标完成率 " + (completion * 100).round(1).astype("string")
                         + "%；")
    reason = reason.mask(red, reason + "执行红灯；")
    reason = reason.mask(many, reason + "单位自述（无佐证）" + restated.astype(int).astype("string") + "项；")
    blank = rules["spotcheck.blank_completion"]
    order_completion = completion.fillna(np.inf if blank is None else float(blank))
    cand = p.loc[chosen, ["project_id", "project_name", "unit_id", "budget"]].assign(
        reason=reason[chosen].str.rstrip("；"), _key=key[chosen], _completion=order_completion[chosen],
        _restated=restated[chosen], _budget=p.loc[chosen, "budget"].astype("Float64").fillna(0))
    cand = cand.sort_values(["_key", "_completion", "_restated", "_budget"], ascending=[False, True, False, False],
                            kind="stable")
    units = pd.unique(cand["unit_id"].astype(str))[: int(cap["units"])]
    plan = cand.loc[cand["unit_id"].astype(str).isin(units)].head(int(cap["projects"]))
    plan = plan.assign(priority=range(1, len(plan) + 1), candidates=len(cand))
    return plan.drop(columns=["_key", "_completion", "_restated", "_budget"]).reset_index(drop=True)


def plan_summary(plan: pd.DataFrame) -> dict:
    """N 个单位、M 个项目、金额 (分, exact)."""
    return {"units": int(plan["unit_id"].nunique()), "projects": int(len(plan)),
            "budget": int(plan["budget"].fillna(0).sum())}


def unit_ranking(ds: Dataset, scores: pd.DataFrame, mon: Monitoring | None, findings: pd.DataFrame,
                 rules: Rulebook) -> pd.DataFrame:
    """单位综合评定: every component shown, weighted by the rulebook, competition-ranked (1 = best; ties
    share a rank and the next rank skips, 并列第18名 → 第20名, as the ranking rule in docs/rules.md says).

    A unit none of whose projects has a recomputed total (no self-evaluation rows that score, or no
    execution data) has no composite: it is listed, unranked, with the reason — never ranked as if its
    missing parts were zero."""
    from perfkit.analyses.evaluation import projects_of_year

    projects = projects_of_year(ds.table("projects"), rules.year)[["project_id", "unit_id", "budget", "spent"]]
    s = scores[["project_id", "total"]].merge(projects, on="project_id", how="left")
    fail = rules["evaluation.fail_below"]
    totals = s["total"].astype(float)
    scored = totals.notna()
    g = s.groupby("unit_id", observed=True)
    comp = pd.DataFrame({
        "projects": g.size(),
        "mean_score": totals.groupby(s["unit_id"], observed=True).mean(),
        # the share of scored projects below the pass mark (a project without a total is not a failure)
        "fail_rate": (totals < fail).where(scored).astype(float).groupby(s["unit_id"], observed=True).mean(),
    })
    amounts = projects.groupby("unit_id", observed=True)[["budget", "spent"]].sum()
    comp = comp.join(amounts)
    comp["execution"] = np.minimum(comp["spent"].astype(float) / comp["budget"].astype(float).replace(0, np.nan), 1.0)
    if mon is not None:
        comp["warning_rate"] = mon.projects.groupby("unit_id", observed=True)["warning"].mean()
    else:  # no monitoring: no 预警 part at all — never a warning rate of 0 for everyone
        comp["warning_rate"] = np.nan
    comp["findings"] = findings_per_unit(findings.loc[~nested_rows(findings), "project_id"], projects)
    comp["findings"] = comp["findings"].fillna(0).astype(int)
    comp["findings_per_project"] = comp["findings"] / comp["projects"]
    w = dict(rules["ranking.weights"])
    cap = rules["ranking.findings_cap"]
    parts = {
        "mean_score": comp["mean_score"] / rules["evaluation.total_points"],
        "pass_rate": 1 - comp["fail_rate"],
        "execution": comp["execution"].fillna(0),
        "no_warning": 1 - comp["warning_rate"].astype(float).fillna(0),
        "findings": 1 - np.minimum(comp["findings_per_project"] / cap, 1.0),
    }
    if mon is None:  # the parts present, their weights renormalised to sum to 1 (stated in the file)
        parts.pop("no_warning")
    total_w = sum(float(w[k]) for k in parts)
    decimals = int(rules["ranking.part_decimals"])
    for k, v in parts.items():  # each part rounded before summing (the annex says so)
        comp[f"part_{k}"] = (v.astype(float) * float(w[k]) / total_w * 100).round(decimals)
    if mon is None:
        comp["part_no_warning"] = np.nan
    composite = sum(comp[f"part_{k}"] for k in parts).round(decimals)
    comp["ranking_basis"] = ("未含监控数据：无非预警分项，其余分项权重按比例放大至合计 1" if mon is None
                             else "含监控数据")
    comp["composite"] = composite.where(comp["mean_score"].notna())
    comp["rank"] = comp["composite"].rank(method="min", ascending=False).astype("Int64")
    comp["unranked_reason"] = pd.Series(pd.NA, index=comp.index, dtype="string").mask(
        comp["composite"].isna(), "无可复算的自评总分，未参与排名")
    units = ds.get("units")
    comp = comp.reset_index()
    if units is not None:
        comp = comp.merge(units[["unit_id", "unit_name", "department"]].drop_duplicates("unit_id"), on="unit_id",
                          how="left")
    else:  # no 单位 table: the code stands for the name, so every listing still has its columns
        comp["unit_name"], comp["department"] = comp["unit_id"], pd.NA
    return comp.sort_values(["rank", "unit_id"], na_position="last").reset_index(drop=True)


def consecutive_unsatisfactory(history: pd.DataFrame | None, current: pd.DataFrame, year: int,
                               unsatisfactory: list[str] | tuple[str, ...] = ("中", "差")) -> pd.Series:
    """Years in a row (ending with ``year``) with an unsatisfactory grade (rulebook
    ``application.unsatisfactory_grades``), per project_id. A year without a grade (待核实, or no
    evaluation) breaks the run: nothing escalates on an unverified result."""
    cur = current[["project_id", "grade"]].assign(year=year)
    frames = [cur] if history is None else [history[["project_id", "year", "grade"]], cur]
    h = pd.concat(frames, ignore_index=True).drop_duplicates(["project_id", "year"], keep="last")
    h = h.sort_values(["project_id", "year"], ascending=[True, False])
    bad = h["grade"].isin(list(unsatisfactory))
    h["gap"] = (year - h["year"]) != h.groupby("project_id").cumcount()  # a missing year breaks the run
    broken = (~bad | h["gap"]).groupby(h["project_id"]).cummax()
    return (bad & ~broken).groupby(h["project_id"]).sum()


def _per_project(values: pd.Series, keys: pd.Series) -> pd.Series:
    """A per-project flag that may come in several rows (a 项目编码 repeated across years): True only
    where every row says so, so a repeated code never triggers a recovery on one year's word."""
    return values.astype(bool).groupby(keys.astype(object).to_numpy()).all()


# the ranking's note when there is no monitoring data (the file and the report say so)
NO_MONITORING_NOTE = "未含监控数据：不计非预警分项，其余分项按原权重比例放大"

# proposal actions that do not come from a grade (the graded ones are the rulebook's application.actions)
PENDING_ACTION = "复算待核实，维持"
GATE_ACTION = "事前评估未通过，不安排预算"
NEW_ACTION = "新增重大项目，通过事前评估"
NO_RESULT_ACTION = "无评价结果，维持"
ESCALATION_PREFIX = "连续"  # 连续N年不理想，重新设计 / 取消
# where a project's base for next year comes from (下年度申请数, or this year's budget as an assumption)
BASE_REQUEST = "下年度申请数"
BASE_CARRIED = "未填报申请数，按本年预算结转（假设）"
BASE_NONE = "未填报申请数"


def budget_proposal(ds: Dataset, scores: pd.DataFrame, mon: Monitoring | None, rules: Rulebook,
                    history: pd.DataFrame | None = None, cut_share: float | None = None,
                    fail_change: float | None = None, recovery_share: float | None = None) -> pd.DataFrame:
    """Next year's proposal per project, starting from the request (下年度申请数): grade → action and
    change (rulebook), the ex-ante gate on new major projects' requests, multi-year escalation, and
    recovery of this year's unexecuted funds of warned projects that then failed their targets.

    ``base`` is the amount the proposal starts from: the project's 下年度申请数, or — where a project
    sent none — this year's budget carried forward as an assumption (``application.carry_forward``),
    said in ``base_source`` and counted by the reports, never silently. A new major project (a first-time
    request, no budget this year) is decided by the gate alone. A 待核实 project gets no action beyond
    维持 until it is resolved (an unreadable cell never moves money); the gate still applies. Redesign
    (连续两年不理想) keeps the cut of ``application.redesign_grade`` and asks for a new ex-ante
    assessment (``needs_exante``); only the cancel year (``application.cancel_change``) zeroes it.
    ``cut_share`` / ``fail_change`` / ``recovery_share`` override the 中 cut, the 差 change and the
    recovered share (scenarios). Amounts in integer 分; one row per 项目编码 (the evaluation year's)."""
    from perfkit.analyses.evaluation import PENDING, projects_of_year
    from perfkit.analyses.exante import first_requests, gate

    projects = projects_of_year(ds.table("projects"), rules.year)
    cols = ["project_id", "project_name", "unit_id", "category", "livelihood", "classified", "budget", "spent"]
    score_cols = ["project_id", "total", "grade", "completion"] + [c for c in ("status", "provisional_grade")
                                                                    if c in scores]
    p = projects[cols].merge(scores[score_cols].drop_duplicates("project_id"), on="project_id", how="left")
    p["new_major"] = first_requests(projects).to_numpy()
    requested = (projects["requested"] if "requested" in projects else pd.Series(pd.NA, index=projects.index))
    p["requested"] = requested.astype("Int64").to_numpy()
    if "status" not in p:
        p["status"] = None
    pending = p["status"].eq(PENDING).to_numpy()
    actions = rules["application.actions"]
    changes = {g: float(a["change"]) for g, a in actions.items()}
    if cut_share is not None:
        changes["中"] = -abs(cut_share)
    if fail_change is not None:
        changes["差"] = float(fail_change)
    change = p["grade"].map(changes).astype(float)
    p["action"] = p["grade"].map({g: a["action"] for g, a in actions.items()}).fillna(NO_RESULT_ACTION)
    p.loc[pending, "action"] = PENDING_ACTION
    change = change.fillna(0.0).mask(pending, 0.0)
    years = consecutive_unsatisfactory(history, p.dropna(subset=["grade"]), rules.year,
                                       rules["application.unsatisfactory_grades"])
    p["unsatisfactory_years"] = p["project_id"].map(years).fillna(0).astype(int)
    esc = rules["application.unsatisfactory_years"]
    redesign = (p["unsatisfactory_years"] >= esc["redesign"]) & ~pending
    cancel = (p["unsatisfactory_years"] >= esc["cancel"]) & ~pending
    p.loc[redesign & ~cancel, "action"] = ESCALATION_PREFIX + p["unsatisfactory_years"].astype(str) + "年不理想，重新设计"
    p.loc[cancel, "action"] = ESCALATION_PREFIX + p["unsatisfactory_years"].astype(str) + "年不理想，取消"
    change = change.mask(redesign & ~cancel, changes[rules["application.redesign_grade"]])
    change = change.mask(cancel, float(rules["application.cancel_change"]))
    p["needs_exante"] = (redesign & ~cancel).to_numpy()
    p.loc[p["new_major"], "action"] = NEW_ACTION
    if ds.has("exante") or p["new_major"].any():
        g = gate(ds, rules).drop_duplicates("project_id").set_index("project_id")
        blocked = p["project_id"].map(g["gate"]).eq("不安排预算")
        p.loc[blocked, "action"] = GATE_ACTION
        change = change.mask(blocked, float(rules["application.gate_change"]))
    budget = p["budget"].astype("Int64")
    carry = p["requested"].isna() & ~p["new_major"] & bool(rules["application.carry_forward"])
    p["base"] = p["requested"].where(p["requested"].notna(), budget.where(carry)).fillna(0).astype("Int64")
    p["base_source"] = np.select([p["requested"].notna().to_numpy(bool), carry.to_numpy(bool)],
                                 [BASE_REQUEST, BASE_CARRIED], BASE_NONE)
    p["change"] = change
    delta = (p["base"].astype("Float64") * change).round().astype("Int64")
    p["proposal"] = p["base"] + delta
    # recovery: warned projects whose year-end overall completion fell below the rulebook threshold
    if mon is not None:
        warned_by = _per_project(mon.projects["warning"].fillna(False), mon.projects["project_id"])
        warned = p["project_id"].astype(object).map(warned_by).fillna(False).astype(bool)
    else:
        warned = pd.Series(False, index=p.index)
    failed = p["completion"] < rules["application.recovery_completion_below"]
    p["warning"] = warned
    # only project balances are recovered: a unit's whole-department budget (部门整体支出) carries its
    # salaries and running costs, so it is recovered only where the rulebook lists its category
    recoverable = p["category"].astype(object).isin(rules["application.recovery_categories"])
    p["recover"] = warned & failed & ~pending & recoverable
    unspent = (budget.fillna(0) - p["spent"].astype("Int64").fillna(0)).clip(lower=0)
    share = float(rules["application.recovery_share"] if recovery_share is None else recovery_share)
    p["recovered"] = (unspent.astype("Float64") * share).round().astype("Int64").where(p["recover"], 0).astype("Int64")
    return p


def proposal_by_unit(proposal: pd.DataFrame, ds: Dataset, by: str = "unit_id") -> pd.DataFrame:
    """The proposal summed per unit (``by="unit_id"``) or per 主管部门 (``by="department"``), in 分:
    this year's budget, next year's requests, the base (requests + carried budgets), the proposal,
    recovered funds, projects cut, and how many projects sent no request (carried forward)."""
    units = ds.get("units")
    p = proposal.copy()
    if units is not None:
        p = p.merge(units[["unit_id", "unit_name", "department"]].drop_duplicates("unit_id"), on="unit_id", how="left")
    else:  # no 单位 table: the code stands for the name, so every listing still has its columns
        p["unit_name"], p["department"] = p["unit_id"], pd.NA
    if by == "department":
        p["department"] = p["department"].astype(object).fillna(p["unit_name"].astype(object))
    carried = p["base_source"].eq(BASE_CARRIED) if "base_source" in p else pd.Series(False, index=p.index)
    p = p.assign(_carried=carried, _cut=p["change"] < 0, _requested=p["requested"].astype("Int64").fillna(0)
                 if "requested" in p else 0, _budget=p["budget"].astype("Int64").fillna(0),
                 _base=p["base"] if "base" in p else p["budget"].astype("Int64").fillna(0))
    g = p.groupby(by, dropna=False)
    out = pd.DataFrame({"projects": g.size(), "budget": g["_budget"].sum(), "requested": g["_requested"].sum(),
                        "base": g["_base"].sum(), "proposal": g["proposal"].sum(), "recovered": g["recovered"].sum(),
                        "cut": g["_cut"].sum(), "carried": g["_carried"].sum()}).reset_index()
    if by == "unit_id":
        names = p.drop_duplicates("unit_id").set_index("unit_id")
        out["unit_name"] = out["unit_id"].map(names["unit_name"])
        out["department"] = out["unit_id"].map(names["department"])
    else:
        out["units"] = g["unit_id"].nunique().to_numpy()
    return out


def warning_flags_at(mon: Monitoring, threshold: float, rules: Rulebook) -> pd.Series:
    """The seed's warning rule re-applied at another deviation threshold (no recomputation of lights)."""
    from perfkit.analyses.monitoring import warning_flags

    return warning_flags(mon.projects, threshold, rules)


def warning_sweep(mon: Monitoring, rules: Rulebook, thresholds: list[float]) -> pd.DataFrame:
    """Number and amount (分) of warned projects as the deviation threshold moves (e.g. 10…30)."""
    budget = mon.projects["budget"].astype("Int64").fillna(0)
    rows = []
    for t in thresholds:
        w = warning_flags_at(mon, t, rules)
        rows.append({"threshold": t, "warned": int(w.sum()), "warned_budget": int(budget[w].sum())})
    return pd.DataFrame(rows)


def _totals(p: pd.DataFrame) -> dict[str, int]:
    return {"budget": int(p["budget"].fillna(0).sum()), "base": int(p["base"].sum()), "proposal": int(p["proposal"].sum()),
            "reduction": int((p["base"] - p["proposal"]).sum()), "moved": int((p["change"] < 0).sum()),
            "warned": int(p["warning"].sum()), "recovered": int(p["recovered"].sum())}


def _scenario_monitoring(mon: Monitoring | None, threshold: float, rules: Rulebook) -> Monitoring | None:
    if mon is None:
        return None
    return Monitoring(mon.month, mon.projects.assign(warning=warning_flags_at(mon, threshold, rules)), mon.indicators)


def scenarios(ds: Dataset, scores: pd.DataFrame, mon: Monitoring | None, rules: Rulebook,
              cuts: list[float], thresholds: list[float], history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every (中 cut share, warning threshold) pair → proposal totals (分).

    Everything else is the proposal's own rule, the multi-year escalation from ``history`` included, so
    the scenario at the rulebook's cut and threshold is the proposal itself."""
    rows = []
    for threshold in thresholds:
        scenario_mon = _scenario_monitoring(mon, threshold, rules)
        for cut in cuts:
            p = budget_proposal(ds, scores, scenario_mon, rules, history, cut_share=cut)
            rows.append({"cut_share": cut, "threshold": threshold, **_totals(p)})
    return pd.DataFrame(rows)


def scenario_comparison(ds: Dataset, scores: pd.DataFrame, mon: Monitoring | None, rules: Rulebook,
                        history: pd.DataFrame | None = None, cuts: list[float] = (), thresholds: list[float] = (),
                        fail_changes: list[float] = (), recovery_shares: list[float] = ()) -> pd.DataFrame:
    """The rulebook's proposal, then one row per alternative that changes one setting at a time — the
    中 cut, the treatment of 差 (cancel or cut), the warning threshold, the share of balances recovered —
    each with its totals (分) and its difference from the rulebook's proposal, so a row that moves
    nothing shows it (``differs``)."""
    actions = rules["application.actions"]
    base_cut = abs(float(actions["中"]["change"]))
    base_fail = float(actions["差"]["change"])
    base_threshold = float(rules["monitoring.warning_deviation"])
    base_share = float(rules["application.recovery_share"])
    plan: list[tuple[str, str, dict]] = [("现行规则", "", {})]
    plan += [("中等级压减比例", f"{c:.0%}", {"cut_share": c}) for c in cuts if abs(c - base_cut) > 1e-9]
    plan += [("差等级处理", "取消" if f <= -1 else f"压减{abs(f):.0%}", {"fail_change": f})
             for f in fail_changes if abs(f - base_fail) > 1e-9]
    plan += [("预警偏差阈值", f"{t:g}个百分点", {"threshold": t}) for t in thresholds if abs(t - base_threshold) > 1e-9]
    plan += [("结余收回比例", f"{s:.0%}", {"recovery_share": s}) for s in recovery_shares if abs(s - base_share) > 1e-9]
    rows = []
    for setting, value, over in plan:
        threshold = over.pop("threshold", base_threshold)
        m = mon if threshold == base_threshold else _scenario_monitoring(mon, threshold, rules)
        p = budget_proposal(ds, scores, m, rules, history, **over)
        rows.append({"setting": setting or "现行规则", "value": value, **_totals(p)})
    out = pd.DataFrame(rows)
    ref = out.iloc[0]
    for c in ("proposal", "recovered", "warned"):
        out[f"{c}_diff"] = out[c] - ref[c]
    out["differs"] = out[["proposal_diff", "recovered_diff", "warned_diff"]].ne(0).any(axis=1)
    return out
