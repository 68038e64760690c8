"""The technical annex (技术附件（口径说明）) to the annual report: how every figure was computed.

The director's report says what happened; auditors and third-party evaluators need to check how each
figure came about. The annex carries that, in plain Chinese with each rule's document number (文号):
where the data came from and what failed validation, every scoring and warning rule with its value
read from the rulebook (``text/annex.yaml`` words them; no figure is written there), the full unit
ranking with its weighted parts, and the complete list of projects whose score could not be
recomputed. 涉密 projects are counted, never named.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import yaml

from perfkit.analyses.application import NESTED_FINDINGS, nested_rows
from perfkit.reporting import display as D
from perfkit.reporting.annual import AnnualReport, pending_gated, pending_projects
from perfkit.reporting.bases import basis, basis_parts  # noqa: F401 - re-exported: the annex's 依据
from perfkit.rules.rulebook import Rulebook

ANNEX_TEXT = Path(__file__).parent / "text" / "annex.yaml"
_RULE_KEY = re.compile(r"r\['([a-z_]+\.[a-z_0-9]+)'\]")


@cache
def wording() -> dict[str, Any]:
    """The annex's words (``text/annex.yaml``), read once."""
    return yaml.safe_load(ANNEX_TEXT.read_text(encoding="utf-8"))


def _num(v: object) -> str:
    """10.0 → "10", 0.01 → "0.01": figures as people write them."""
    f = float(v)
    return str(int(f)) if f == int(f) else f"{f:g}"


def _pct(v: object) -> str:
    return _num(round(float(v) * 100, 6)) + "%"


def _environment() -> jinja2.Environment:
    """jinja2 with filters that word rulebook values in Chinese; an unknown key fails loudly."""
    words = wording()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.update({
        "num": _num,
        "pct": _pct,
        "label": lambda v, kind: words["labels"][kind][str(v)],
        "tiers": lambda t: "、".join(f"{k}{_pct(lo)}–{_pct(hi)}" for k, (lo, hi) in t.items()),
        "shares": lambda t: "、".join(f"{k}{_pct(v)}" for k, v in t.items()),
        "pairs": lambda t, mid, end: "、".join(f"{k}{mid}{v}{end}" for k, v in t.items()),
        "bands": lambda b: "、".join(f"{_num(v)}分及以上为“{k}”" for k, v in b.items()),
        "floors": lambda b: "、".join(f"{_num(v)}分及以上为“{k}”" if v else f"其余为“{k}”" for k, v in b.items()),
        "actions": lambda a: "；".join(
            f"{g}级{x['action']}" + (f"（{'调增' if x['change'] > 0 else '调减'}{_pct(abs(x['change']))}）"
                                     if x["change"] and abs(x["change"]) < 1 else "") for g, x in a.items()),
        "weights": lambda w: " + ".join(f"{words['ranking_parts'][k]} × {_pct(v)}" for k, v in w.items()),
    })
    return env


def rule_statements(rules: Rulebook) -> list[dict[str, Any]]:
    """Every statement of the annex with its values filled from ``rules`` and its 依据:
    ``[{"group", "name", "text", "basis", "keys"}]``."""
    env = _environment()
    own = wording()["own_choice"]
    out = []
    for group in wording()["groups"]:
        for rule in group["rules"]:
            keys = list(dict.fromkeys(_RULE_KEY.findall(rule["text"])))
            text = env.from_string(rule["text"]).render(r=rules).strip()
            cited = basis(rules, keys)
            if rule.get("own") and own not in cited:  # a rule perfkit sets beyond what its parameters cite
                cited = "；".join(filter(None, [cited, own]))
            out.append({"group": group["title"], "name": rule["name"], "text": text, "basis": cited, "keys": keys})
    return out


# ------------------------------------------------------------------------------------------ sections


def title(rep: AnnualReport) -> None:
    w = wording()
    fill = {"district": rep.district, "year": rep.year, "next_year": rep.year + 1}
    D.heading(w["title"].format(**fill), 1)
    D.paragraph(w["intro"].format(**fill))


def section_data(rep: AnnualReport) -> None:
    """一、数据来源与校验: rows read, loaded and set aside per table (they always add up), what failed
    validation by sheet, column and rule (no row contents: a set-aside row may be 涉密), the loader's notes."""
    ds = rep.analysis.data
    D.heading("一、数据来源与校验", 2)
    D.sentence("data_sources", rep.facts["data"], D.DATA)
    if len(ds.counts):
        D.table(ds.counts.rename(columns={"隔离": "未通过校验"}), total=True, caption="表 各表读取与校验行数")
    q = ds.quarantine
    if len(q):
        by_rule = q.groupby(["工作表", "列", "期望"], sort=False).size().reset_index(name="行数")
        D.table(by_rule.sort_values("行数", ascending=False, kind="stable"),
                caption="表 未通过校验的数据（按表、列、规则）")
    for note in ds.notes:
        D.note(note)
    flagged = ongoing_flagged_note(rep)
    if flagged:
        D.note(flagged)
    for note in rep.analysis.skipped:  # program notes (缺少「事前评估」表，已跳过) belong here, not in the body
        D.note(note)


def ongoing_flagged_note(rep: AnnualReport) -> str:
    """The projects flagged 新增重大项目 that have a budget this year (the gate leaves them to scoring as
    ongoing ones): counted and named — 涉密 ones only counted — or "" when there are none."""
    from perfkit.analyses.evaluation import projects_of_year
    from perfkit.analyses.exante import flagged_ongoing

    ds = rep.analysis.data
    if not ds.has("projects"):
        return ""
    projects = projects_of_year(ds.table("projects"), rep.year)
    flagged = projects.loc[flagged_ongoing(projects)]
    if not len(flagged):
        return ""
    secret = flagged["classified"].fillna(False).astype(bool) if "classified" in flagged else \
        pd.Series(False, index=flagged.index)
    named = "、".join(f"{n}（{c}）" for n, c in zip(flagged.loc[~secret, "project_name"].astype(str),
                                                 flagged.loc[~secret, "project_id"].astype(str), strict=True))
    names = "：" + named + (f"，另有涉密项目{int(secret.sum())}个" if secret.any() else "") if named else \
        "（均为涉密项目，不列名称）"
    return wording()["ongoing_flagged"].format(n=len(flagged), year=rep.year, names=names)


def section_rules(rep: AnnualReport) -> None:
    """二、计分与判定口径: each rule in words, its values from the rulebook in force, and its 依据."""
    D.heading("二、计分与判定口径", 2)
    statements = rule_statements(rep.analysis.rules)
    groups = list(dict.fromkeys(s["group"] for s in statements))
    kinds = finding_types(rep)
    heads = D.subheadings(groups + ["审核发现的问题类型"] * bool(len(kinds)))
    for group, head in zip(groups, heads, strict=False):
        D.heading(head, 3)
        for i, s in enumerate((s for s in statements if s["group"] == group), start=1):
            D.runin(f"{i}. {s['name']}", f"<p>{html.escape(s['text'])}（依据：{html.escape(s['basis'])}）</p>")
    if len(kinds):  # what each finding counted in the report's tables means
        D.heading(heads[-1], 3)
        D.table(kinds, caption="表 审核发现的问题类型及处数")


def finding_types(rep: AnnualReport) -> pd.DataFrame:
    """Every finding type of this year's target review and self-evaluation review, what it means, and how
    many of each — by review, each problem counted once: a type nested in another on the same indicator
    (无法解析 within 无法复算) is a "其中：" row under its parent, left out of the 合计 row, so the total
    is the report's figure and both report tables (表2 and 表4) reconcile with this one."""
    a = rep.analysis
    parts = {"目标审核": getattr(a, "target_findings", None), "自评复核": a.findings}
    frames = {k: f for k, f in parts.items() if f is not None and len(f)}
    if not frames:
        return pd.DataFrame(columns=["问题类型", "含义", *parts, "合计"])
    nested = {k: nested_rows(f) for k, f in frames.items()}
    counted = pd.DataFrame({k: f.loc[~nested[k], "finding"].astype(object).value_counts() for k, f in frames.items()},
                           columns=list(parts)).fillna(0).astype(int)
    inner = pd.DataFrame({k: f.loc[nested[k], "finding"].astype(object).value_counts() for k, f in frames.items()},
                         columns=list(parts)).fillna(0).astype(int)
    counted["合计"] = counted.sum(axis=1)
    inner["合计"] = inner.sum(axis=1)
    counted = counted.sort_values("合计", ascending=False, kind="stable")
    meaning = wording()["finding_types"]
    rows = []
    for kind, row in counted.iterrows():
        rows.append({"问题类型": kind, "含义": meaning.get(kind, ""), **row.to_dict()})
        for child, parent in NESTED_FINDINGS.items():
            if parent == kind and child in inner.index:
                rows.append({"问题类型": f"其中：{child}", "含义": meaning.get(child, ""), **inner.loc[child].to_dict()})
    rows.append({"问题类型": "合计", "含义": "同一项目同一指标的同一问题只计一次", **counted.sum().to_dict()})
    return pd.DataFrame(rows)


RANKING_HEADS = {"rank": "名次", "unit_name": "单位", "department": "主管部门", "projects": "项目数"}
PART_HEADS = {"mean_score": "均分", "pass_rate": "合格率", "execution": "执行率", "no_warning": "非预警",
              "findings": "问题"}


def section_ranking(rep: AnnualReport) -> None:
    """三、单位综合评定排名（全部单位）: every unit with each weighted part, competition ranks. Each part's
    head carries its full marks (weight × 100), so "合格率（20分）" is not mistaken for a rate."""
    a = rep.analysis
    if a.ranking is None:
        return
    D.heading("三、单位综合评定排名（全部单位）", 2)
    D.paragraph("综合得分由复核均分、合格率、预算执行率、非预警率、审核问题五个分项加权相加，计算方法见本附件第二部分；"
                "下表各分项为加权后的分数（括号内为该分项满分），相加即为综合得分。综合得分相同的单位并列同一名次。")
    weights = a.rules["ranking.weights"]
    heads = dict(RANKING_HEADS)
    if a.monitoring is None:  # no monitoring data: no 预警 part, the others' weights scaled up (said)
        absent = weights.get("no_warning", 0)
        weights = {k: w / (1 - absent) for k, w in weights.items() if k != "no_warning"} if absent < 1 else weights
        D.paragraph("本年度未提供绩效运行监控数据，排名未含监控数据：不计非预警分项，其余分项按原权重比例放大。")
    heads.update({f"part_{k}": f"{PART_HEADS.get(k, k)}\n（{_num(w * 100)}分）" for k, w in weights.items()})
    heads["composite"] = "综合得分"
    table = a.ranking[list(heads)].rename(columns=heads)
    ranked = table["名次"].notna()
    D.table(table[ranked], digits={c: 2 for c in list(heads.values())[4:]},
            caption="表 单位综合评定排名（全部单位）")
    unranked = a.ranking.loc[~ranked.to_numpy()]
    if len(unranked):
        reason = unranked.get("unranked_reason", pd.Series("", index=unranked.index))
        if len(unranked) > 1 and reason.astype(str).nunique() == 1:  # one reason for all: a sentence, not a
            D.paragraph(f"以下{len(unranked)}家单位{reason.iloc[0]}：{'、'.join(unranked['unit_name'].astype(str))}。")
            return                                                   # table of identical rows
        D.table(pd.DataFrame({"单位": unranked["unit_name"].to_numpy(), "未排名原因": reason.to_numpy()}),
                caption="表 未参加排名的单位")


def section_pending(rep: AnnualReport) -> None:
    """四、待核实项目清单: every project whose recomputation is 待核实 (涉密 ones counted, not named)."""
    p = pending_projects(rep.analysis)
    D.heading("四、待核实项目清单", 2)
    if not len(p):
        D.paragraph("本年度所有项目的自评结果均可完整复算，没有待核实项目。")
        return
    secret = int(p["classified"].sum())
    gated = pending_gated(rep.analysis)
    D.paragraph(f"本年度{len(p)}个项目复算待核实：部分指标或预算数据无法复算（或分值合计超过满分），未评定等级，"
                "核实前不因评价结果压减、取消或收回资金"
                + (f"（其中{gated}个是未通过事前评估的新增重大项目，按事前评估关口不安排预算）" if gated else "")
                + "。" + (f"其中涉密项目{secret}个不列示，下表列出其余{len(p) - secret}个。" if secret else ""))
    shown = p[~p["classified"]].sort_values(["unit_name", "project_name"], kind="stable")
    cols = {"unit_name": "单位", "project_name": "项目", "recomputable_points": "可复算分值", "reason": "待核实原因"}
    D.table(shown[list(cols)].rename(columns=cols), digits={"可复算分值": 2}, caption="表 待核实项目")
