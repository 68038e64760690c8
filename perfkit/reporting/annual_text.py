"""The sentence builders of the annual report's sections 四 取得的成效, 五 存在的问题 and 六 下一步工作计划,
and the finding counts they (and the review sentence, the annex and the letters) rest on: each item is built
from this year's figures — the largest finding types with their counts, 未完成目标仍得满分, the 待核实 share,
incomplete archives — and appears only where the data holds it (no fixed prose). Kept apart from
:mod:`perfkit.reporting.annual` (which re-exports them for the notebook's cells)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from perfkit.analyses.application import NESTED_FINDINGS, nested_rows
from perfkit.io.values import format_wan
from perfkit.reporting import display as D

if TYPE_CHECKING:
    from perfkit.reporting.annual import AnnualReport


def counts_text(counts: dict[str, int], unit: str, none: str = "") -> str:
    """“优3个、良1个” — the categories that occur, never a string of zeros (“中0个、差0个”); ``none``
    when nothing occurs."""
    shown = [f"{k}{v}{unit}" for k, v in counts.items() if v]
    return "、".join(shown) if shown else none


def top_counts(counts: pd.Series, n: int = 3) -> str:
    return "、".join(f"{k}{v}处" for k, v in counts.head(n).items())


def finding_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """问题类型 and 处数, each problem counted once: a nested type sits under its parent as "其中：…"
    and is left out of the 合计 row (``counted`` False); largest first."""
    nested = nested_rows(findings)
    kinds = findings["finding"].astype(object)
    counts = kinds[~nested].value_counts()
    inner = kinds[nested].value_counts()
    rows = []
    for kind, n in counts.items():
        rows.append({"问题类型": kind, "处数": int(n), "counted": True})
        for child, parent in NESTED_FINDINGS.items():
            if parent == kind and inner.get(child, 0):
                rows.append({"问题类型": f"其中：{child}", "处数": int(inner[child]), "counted": False})
    return pd.DataFrame(rows, columns=["问题类型", "处数", "counted"])


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """finding_counts as a table with its 合计 row (which adds only the problems counted once)."""
    c = finding_counts(findings)
    total = pd.DataFrame([{"问题类型": "合计", "处数": int(c.loc[c["counted"], "处数"].sum())}])
    return pd.concat([c.drop(columns="counted"), total], ignore_index=True)


def review_facts(findings: pd.DataFrame, projects: pd.DataFrame, n: int = 4) -> dict[str, Any]:
    """The review sentence's figures: problems counted once; the largest types, a nested type said as
    "无法复算308处（其中无法解析45处）" beside its parent (the parent named even when not among the largest)."""
    counted = findings.loc[~nested_rows(findings)]
    units = counted.merge(projects[["project_id", "unit_id"]], on="project_id", how="left")["unit_id"].nunique()
    c = finding_counts(findings)
    parts, shown = [], set()
    top = c.loc[c["counted"]].head(n)
    for row in top.itertuples():
        inner = c.loc[~c["counted"] & c.index.isin([row.Index + 1]) & c["问题类型"].str.startswith("其中：")]
        parts.append(f"{row.问题类型}{row.处数}处" + "".join(f"（{x.问题类型.replace('：', '')}{x.处数}处）"
                                                           for x in inner.itertuples()))
        shown.add(row.问题类型)
    rest = []
    for child, parent in NESTED_FINDINGS.items():
        inner = c.loc[c["问题类型"].eq(f"其中：{child}"), "处数"]
        if len(inner) and parent not in shown:
            total = int(c.loc[c["问题类型"].eq(parent), "处数"].sum())
            rest.append(f"{parent}{total}处（其中{child}{int(inner.iloc[0])}处）")
    return {"findings": len(counted), "projects": int(counted["project_id"].nunique()), "units": int(units),
            "top": "、".join(parts), "rest": "、".join(rest)}


def outcome_facts(rep: AnnualReport) -> dict[str, Any]:
    """四 成效, 五 存在的问题 and 六 下一步工作计划 from this year's figures: each item only where the data
    holds it (no fixed prose, no claim no table supports)."""
    a, f = rep.analysis, rep.facts
    out: dict[str, Any] = {"year": rep.year, "next_year": rep.year + 1, "month": rep.month}
    out["coverage"] = f["coverage"]
    out["targets"] = f.get("targets")
    out["exante"] = f.get("exante")
    if "evaluation" in f:
        v = f["evaluation"]
        good = v["grades"].get("优", 0) + v["grades"].get("良", 0)
        out["evaluation"] = {**v, "good": good, "good_share": f"{good / v['graded']:.1%}" if v["graded"] else "",
                             "pending_share": f"{v['pending'] / v['projects']:.1%}" if v["projects"] else ""}
    if "review" in f:
        c = finding_counts(a.findings)
        c = c.loc[c["counted"]].set_index("问题类型")["处数"]
        full = a.findings.loc[a.findings["finding"].astype(object).eq("未完成目标仍得满分")]
        out["review"] = {**f["review"], "top3": top_counts(c, 3), "full_marks": len(full),
                         "full_marks_projects": int(full["project_id"].nunique())}
    if "archive" in f:
        ar = f["archive"]
        out["archive"] = {**ar, "incomplete": ar["projects"] - ar["complete"],
                          "incomplete_share": f"{(ar['projects'] - ar['complete']) / max(ar['projects'], 1):.1%}"}
    if "monitoring" in f:
        out["monitoring"] = f["monitoring"]
    if "application" in f and a.proposal is not None:
        pr = a.proposal
        moved = pr["change"].astype(float).fillna(0) < 0
        out["application"] = {**f["application"], "moved": int(moved.sum()),
                              "moved_amount": format_wan((pr.loc[moved, "budget_base"] - pr.loc[moved, "proposal"]).sum()
                                                         if "budget_base" in pr else
                                                         (pr.loc[moved, "budget"] - pr.loc[moved, "proposal"]).sum())}
    out["spotcheck"] = f.get("spotcheck")
    out["yoy"] = f.get("yoy")
    return out


def _items(rep: AnnualReport, macro: str) -> None:
    """Run-in items rendered by one template macro (a list of (title, text) pairs, empty ones dropped)."""
    markup = D.render_sentence(macro, outcome_facts(rep))
    items = [x.split("::", 1) for x in markup.split("@@") if "::" in x]
    items = [(t.strip(), x.strip()) for t, x in items if x.strip()]
    if not items:
        return
    for (_, text), title in zip(items, D.subheadings([t for t, _ in items]), strict=True):
        D.runin(title, f"<p>{text}</p>")


def section_achievements(rep: AnnualReport) -> None:
    """四、取得的成效: coverage, results and their use, as this year's figures show them."""
    D.heading("四、取得的成效", 2)
    _items(rep, "achievements")


def section_problems(rep: AnnualReport) -> None:
    """五、存在的问题: the largest finding types with their counts, 未完成目标仍得满分, the 待核实 share,
    incomplete archives, warned projects — only those the data shows."""
    D.heading("五、存在的问题", 2)
    _items(rep, "problems")


def section_next_year(rep: AnnualReport) -> None:
    """六、下一步工作计划: one item per problem found this year, with the dates the plan already holds."""
    D.heading("六、下一步工作计划", 2)
    _items(rep, "next_year")
