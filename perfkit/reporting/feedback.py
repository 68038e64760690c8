"""绩效评价结果反馈及整改通知: one Word letter and one Excel list per budget unit (REPORT_STYLE.md,
the seed's 反馈整改 / 通报).

Each letter carries the unit's own projects only — its grades as the unit gave them and as recomputed,
its warned projects with amounts, the review findings that concern it grouped by type, its rank, and
what must be rectified by when — so a unit's 涉密 projects appear in its own letter and nowhere else.
Every figure comes from the :class:`~perfkit.api.Analysis`; the wording lives in text/feedback.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from perfkit.io.contract import GRADES
from perfkit.io.outputs import replaced_folder, safe_name
from perfkit.io.settings import DISTRICT_PLACEHOLDER
from perfkit.io.values import format_wan, map_unique, plain_text
from perfkit.io.write import excel_writer
from perfkit.reporting import word as W
from perfkit.reporting.bases import basis
from perfkit.reporting.display import signing_date
from perfkit.reporting.workbook import write_table
from perfkit.rules import formulas as F
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook, load_rules

TEXT = Path(__file__).parent / "text" / "feedback.yaml"
FONTS = {"title": W.FONTS["Title"][0], "h1": W.FONTS["Heading 1"][0], "h2": W.FONTS["Heading 2"][0],
         "body": W.FONTS["Normal"][0]}  # the official fonts the letters name (perfkit.reporting.word)
UNASSIGNED = "未能归属单位"
LETTER_SUFFIX = {True: "_绩效评价结果反馈及整改通知.docx", False: "_绩效评价结果反馈通知.docx"}  # by kind
FEEDBACK_SUFFIXES = (*LETTER_SUFFIX.values(), "_绩效评价结果明细.xlsx", "_审核发现.xlsx")


@cache
def wording() -> dict:
    return yaml.safe_load(TEXT.read_text(encoding="utf-8"))


@dataclass
class Feedback:
    folder: Path
    units: int
    letters: list[Path]
    unassigned_findings: int


def unit_tables(a) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(projects, warned, findings) of the whole district, each with unit_id, for splitting by unit."""
    ds, rules = a.data, a.rules
    from perfkit.analyses.exante import first_requests, flagged_ongoing

    table = ds.table("projects")
    flagged = flagged_ongoing(table)
    table = table.loc[~first_requests(table)]  # next year's first-time requests: the gate part of the letter
    projects = plain_text(table[["project_id", "project_name", "unit_id", "category", "budget", "spent",
                                 "classified"]])
    projects["ongoing_flag"] = flagged.loc[table.index].to_numpy()  # 新增重大项目 with a budget: said, not skipped
    if a.scores is not None:
        s = a.scores.projects
        cols = [c for c in ("project_id", "unit_total", "total", "grade", "difference", "status") if c in s.columns]
        projects = projects.merge(plain_text(s[cols]), on="project_id", how="left")
        own = ds.get("self_summary")
        own_grade = (plain_text(own[["project_id", "unit_grade"]]).drop_duplicates("project_id")
                     if own is not None and "unit_grade" in own.columns else None)
        computed = pd.Series(F.grade(projects["unit_total"].astype(float), rules["evaluation.grade_bands"], rules["evaluation.grade_below"]),
                             index=projects.index).where(projects["unit_total"].notna())
        if own_grade is not None:
            given = projects["project_id"].map(own_grade.set_index("project_id")["unit_grade"])
            projects["unit_grade"] = given.where(given.notna() & given.ne(""), computed)
        else:
            projects["unit_grade"] = computed
    if a.proposal is not None:
        cols = [c for c in ("project_id", "action", "change", "proposal", "recovered", "base", "base_source",
                            "needs_exante") if c in a.proposal]
        plan = plain_text(a.proposal[cols]).drop_duplicates("project_id").set_index("project_id")
        for col in cols[1:]:
            projects[col] = projects["project_id"].map(plan[col])
    warned = pd.DataFrame(columns=["project_id", "unit_id", "budget", "warning_reason"])
    if a.monitoring is not None:
        m = plain_text(a.monitoring.projects)
        warned = m.loc[m["warning"].astype(bool), ["project_id", "project_name", "unit_id", "budget",
                                                    "exec_progress", "warning_reason"]]
        projects["warning"] = projects["project_id"].isin(warned["project_id"])
    findings = plain_text(a.findings).merge(projects[["project_id", "project_name", "unit_id"]], on="project_id",
                                            how="left")
    return projects, warned, findings


def _rank_text(ranking: pd.DataFrame | None, unit_id: str) -> tuple[str, str, int]:
    if ranking is None or unit_id not in set(ranking["unit_id"].astype(str)):
        return "", "", 0
    r = ranking.assign(unit_id=ranking["unit_id"].astype(str)).set_index("unit_id")
    if pd.isna(r.loc[unit_id, "rank"]):  # no recomputed total: listed unranked, with the ranking's reason
        return f"未排名：{r.loc[unit_id, 'unranked_reason']}", "—", len(r)
    rank = int(r.loc[unit_id, "rank"])
    tied = int((r["rank"] == rank).sum()) > 1
    return f"{'并列' if tied else ''}第{rank}名", f"{float(r.loc[unit_id, 'composite']):.2f}", len(r)


def _wan(fen: object) -> str:
    return format_wan(fen) if fen is not None and not pd.isna(fen) else "—"


def _score(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.2f}"


@dataclass
class Letter:
    """What one letter says: the unit, its (non-classified) projects, warned projects, findings, rank,
    its first-time requests at the ex-ante gate, and — for a 主管部门 — its subordinate units."""

    unit_name: str
    projects: pd.DataFrame
    warned: pd.DataFrame
    findings: pd.DataFrame
    rank: tuple[str, str, int]
    requests: pd.DataFrame  # next year's first-time requests (新增重大项目) with their gate result
    classified: int = 0  # 涉密 projects left out of this letter (sent through the secrecy channel)
    subordinates: pd.DataFrame | None = None  # a 主管部门's letter: one row per subordinate unit
    internal: bool = False  # the classified part, for the secrecy channel


def needs_rectification(letter: Letter) -> bool:
    """A letter asks for rectification only where there is something to rectify: findings, warned or
    待核实 projects, a request stopped at the gate, a project to redesign, or (主管部门) subordinates
    that must rectify."""
    p = letter.projects
    own = (len(letter.findings) or len(letter.warned) or ("status" in p and p["status"].eq("待核实").any())
           or ("ongoing_flag" in p and p["ongoing_flag"].fillna(False).astype(bool).any())
           or ("needs_exante" in p and p["needs_exante"].fillna(False).astype(bool).any())
           or (len(letter.requests) and letter.requests["gate"].eq("不安排预算").any()))
    subs = letter.subordinates is not None and len(letter.subordinates) and letter.subordinates["rectify"].any()
    return bool(own or subs)


def write_letter(path: Path, letter: Letter, year: int, month: int | None, deadline: str, district: str,
                 grades: Iterable[str], gap: float, contact: dict[str, object] | None = None,
                 issuer: str | None = None, rules: Rulebook | None = None) -> None:
    """One unit's letter as .docx, laid out as a 公文 (GB/T 9704): the official fonts named with no theme
    font over them, 28 pt line pitch and no paragraph spacing, first lines indented two characters,
    page numbers "— 1 —" (4号 宋体, odd pages right, even pages left), the 落款 four characters from the
    right, table heads repeated on every page. A unit with nothing to rectify gets a 反馈结果的通知 without
    a deadline; a 主管部门's letter summarises its subordinate units and asks it to supervise them.
    ``gap``: the rulebook's ``review.letter_divergence``; ``contact``: 联系人、联系电话、抄送 (the district's
    settings; lines left out where empty, never invented); ``rules``: the rulebook whose values and 依据
    the requirements quote (default: the package's rulebook for ``year``)."""
    w = wording()
    required = requirements(rules if rules is not None else load_rules(DEFAULT_PROFILE, year))
    contact = contact or {}
    projects, warned, findings = letter.projects, letter.warned, letter.findings
    rectify = needs_rectification(letter)
    title_text = w["title" if rectify else "title_result"].format(year=year)
    issuer = issuer or f"{district or DISTRICT_PLACEHOLDER}{w['signature']}"  # the workspace's 发文机关
    doc = W.new_document(issuer, title_text)  # GB/T 9704 page, styles, page numbers
    h1 = doc.styles["Heading 1"]

    def para(text: str, indent: bool = True):
        return W.body(doc, text, indent=indent)

    doc.add_paragraph(title_text, style=doc.styles["Title"])
    if letter.internal:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        para(w["internal_mark"], indent=False).alignment = WD_ALIGN_PARAGRAPH.CENTER
    W.blank_line(doc)
    para(f"{letter.unit_name}：", indent=False)  # 主送机关: flush left
    para(w["opening" if rectify else "opening_result"].format(year=year).replace(" ", ""))

    heads = iter(["一、", "二、", "三、", "四、", "五、", "六、", "七、"])
    counts = projects["grade"].value_counts() if "grade" in projects else pd.Series(dtype=int)
    pending = int(projects["status"].eq("待核实").sum()) if "status" in projects else 0
    diverge = int((projects["difference"].abs() >= gap).sum()) if "difference" in projects else 0
    doc.add_paragraph(next(heads) + w["sections"]["results"], style=h1)
    grade_text = counts_text({g: int(counts.get(g, 0)) for g in grades}, "个")
    para(w["results_summary"].replace(" ", "").format(
        projects=len(projects), budget=_wan(projects["budget"].sum()),
        grades=f"复核等级为{grade_text}" if grade_text else "暂无可评定等级的项目",
        pending=w["pending"].format(n=pending) if pending else "",
        diverge=w["diverge"].format(gap=_num(gap), n=diverge) if diverge else ""))
    if letter.classified:
        para(w["classified_note"].format(n=letter.classified))
    _table(doc, ["项目名称", "单位自评分", "复核分", "复核等级"],
           [[r.project_name, _score(r.unit_total), _score(r.total),
             r.grade if isinstance(r.grade, str) else ("待核实" if getattr(r, "status", "") == "待核实" else "")]
            for r in projects.itertuples()])
    if "change" in projects:  # what the results mean for next year's budget, said in the letter itself
        moved = projects.loc[projects["change"].astype(float).fillna(0) < 0]
        if len(moved):
            para(w["budget_changes"].format(
                next_year=year + 1, n=len(moved),
                projects="；".join(f"{r.project_name}（{r.action}，{_base_words(r)}，下年度建议安排"
                                  f"{_wan(r.proposal)}万元）" for r in moved.itertuples())))
        elif len(projects):
            para(w["budget_kept"].format(next_year=year + 1))
        back = projects.loc[projects["recovered"].astype("Float64").fillna(0) > 0]
        if len(back):
            para(w["recovered"].format(
                n=len(back), amount=_wan(back["recovered"].astype("Int64").sum()),
                projects="、".join(f"{r.project_name}（{_wan(r.recovered)}万元）" for r in back.itertuples())))
    if pending:
        para(w["pending_note"].format(n=pending, deadline=deadline))
    if len(letter.requests):
        passed = letter.requests.loc[letter.requests["gate"].ne("不安排预算")]
        blocked = letter.requests.loc[letter.requests["gate"].eq("不安排预算")]
        para(w["requests"].format(next_year=year + 1, n=len(letter.requests),
                                  passed=w["requests_passed"].format(n=len(passed)) if len(passed) else "",
                                  blocked=w["requests_blocked"].format(
                                      n=len(blocked), projects="、".join(blocked["project_name"].astype(str)))
                                  if len(blocked) else ""))
    ongoing = _flagged(projects)
    if len(ongoing):
        para(w["ongoing_flagged"].format(n=len(ongoing), year=year,
                                         projects="、".join(ongoing["project_name"].astype(str))))

    doc.add_paragraph(next(heads) + w["sections"]["warnings"], style=h1)
    if month is None:  # no 执行监控 in the data: said, never "截至月，无预警项目"
        para(w.get("no_monitoring", "本年度未提供绩效运行监控数据，本通知不含监控预警内容。"))
    elif warned.empty:
        para(w["no_warnings"].format(month=month or ""))
    else:
        para(w["warnings_summary"].format(month=month or "", n=len(warned), amount=_wan(warned["budget"].sum())))
        _table(doc, ["项目名称", "全年预算数（万元）", "预警原因"],
               [[r.project_name, _wan(r.budget), r.warning_reason] for r in warned.itertuples()])

    doc.add_paragraph(next(heads) + w["sections"]["findings"], style=h1)
    if findings.empty:
        para(w["no_findings"])
    else:
        table = finding_rows(findings)
        para(w["findings_summary"].format(n=int(table.loc[table["counted"], "处数"].sum())))
        _table(doc, ["问题类型", "处数", "涉及项目数"],
               [[r.问题类型, str(r.处数), str(r.项目数)] for r in table.itertuples()])

    rank_text, composite, total = letter.rank
    if not letter.internal:  # the rank is the unit's, said in its ordinary letter
        doc.add_paragraph(next(heads) + w["sections"]["rank"], style=h1)
        if rank_text.startswith("未排名："):  # nothing recomputable yet: said as a pending state, not a verdict
            para(w["rank_pending"].format(reason=rank_text.removeprefix("未排名：")))
        elif rank_text:
            para(w["rank"].format(score=composite, total=total, rank=rank_text))
        else:
            para(w["rank_none"])

    subs = letter.subordinates
    if subs is not None and len(subs):
        doc.add_paragraph(next(heads) + w["sections"]["subordinates"], style=h1)
        para(w["subordinates_summary"].format(n=len(subs), rectify=int(subs["rectify"].sum()),
                                              projects=int(subs["projects"].sum())))
        _table(doc, ["单位", "项目数", "复核等级", "预警项目", "审核问题（处）", "需整改"],
               [[r.unit_name, str(r.projects), r.grades or "—", str(r.warned), str(r.findings),
                 "是" if r.rectify else "否"] for r in subs.itertuples()])

    if rectify:
        doc.add_paragraph(next(heads) + w["sections"]["rectify"], style=h1)
        para(w["rectify_intro"].format(deadline=deadline))
        items = [f"{t}：{required.get(t, w['rectify_default'])}" for t in dict.fromkeys(findings["finding"])] \
            if not findings.empty else []
        if not warned.empty:
            items.append(w["rectify_warned"])
        if pending:
            items.append(w["rectify_pending"].format(deadline=deadline))
        if len(letter.requests) and letter.requests["gate"].eq("不安排预算").any():
            items.append(w["rectify_gate"].format(deadline=deadline, next_year=year + 1))
        if len(ongoing):
            items.append(w["rectify_ongoing_flagged"].format(deadline=deadline))
        if "needs_exante" in projects and projects["needs_exante"].fillna(False).astype(bool).any():
            names = "、".join(projects.loc[projects["needs_exante"].fillna(False).astype(bool), "project_name"].astype(str))
            items.append(w["rectify_redesign"].format(deadline=deadline, projects=names))
        if subs is not None and len(subs) and subs["rectify"].any():
            items.append(w["rectify_supervise"].format(deadline=deadline, n=int(subs["rectify"].sum())))
        for i, item in enumerate(items, start=1):
            para(f"{i}. {item}")
    else:
        para(w["rectify_none"])
    reach = [w[key].format(**{field: contact[field]}) for key, field in (("contact_person", "contact"),
                                                                         ("contact_phone", "phone"))
             if contact.get(field)]  # only what the settings hold: a missing 联系人 is left out, not blank
    if reach:
        para("，".join(reach) + "。")
    W.blank_line(doc)  # 附件说明: one empty line under the text, two characters in
    para(w["attachment"].format(unit=letter.unit_name, year=year))
    W.signature(doc, issuer, signing_date(w.get("date"), year))  # 右空四字, date under it
    copy_to = contact.get("copy_to") or []
    if copy_to and not letter.internal:  # 版记: 抄送 after the signature
        W.blank_line(doc)
        para("抄送：" + "，".join(map(str, copy_to)) + "。", indent=False)
    doc.save(str(path))


def _flagged(projects: pd.DataFrame) -> pd.DataFrame:
    """The letter's projects flagged 新增重大项目 although they have a budget this year."""
    if "ongoing_flag" not in projects:
        return projects.iloc[0:0]
    return projects.loc[projects["ongoing_flag"].fillna(False).astype(bool)]


def requirements(rules: Rulebook) -> dict[str, str]:
    """问题类型 → what the unit must do, with the rulebook's values where a requirement quotes one (缺少偏差说明:
    ``review.explain_below`` and ``evaluation.overachievement_ratio``, with their 依据), never a literal."""

    keys = ["review.explain_below", "evaluation.overachievement_ratio"]
    fill = {"below": f"{_num(rules[keys[0]] * 100)}%", "over": _num(rules[keys[1]]),
            "basis": basis(rules, keys)}
    return {kind: text.format(**fill) for kind, text in wording()["rectify"].items()}


def _num(v: object) -> str:
    f = float(v)
    return str(int(f)) if f == int(f) else f"{f:g}"


def _base_words(r) -> str:
    """“下年度申请数120.00万元” or, where the unit sent none, the assumption said as such."""
    from perfkit.analyses.application import BASE_CARRIED

    if getattr(r, "base_source", "") == BASE_CARRIED:
        return f"未填报下年度申请数，按本年预算{_wan(r.base)}万元结转"
    return f"下年度申请数{_wan(r.base)}万元"


def counts_text(counts: dict[str, int], unit: str) -> str:
    """“优3个、良1个”: the categories that occur, never a string of zeros."""
    return "、".join(f"{k}{v}{unit}" for k, v in counts.items() if v)


def finding_rows(findings: pd.DataFrame) -> pd.DataFrame:
    """问题类型, 处数, 项目数 — each problem once; a nested type (无法解析 within 无法复算) as "其中：" under
    its parent, not added to the total (``counted``)."""
    from perfkit.analyses.application import NESTED_FINDINGS, nested_rows

    nested = nested_rows(findings)
    kinds = findings["finding"].astype(object)
    rows = []
    for kind, n in kinds[~nested].value_counts().items():
        rows.append({"问题类型": kind, "处数": int(n), "counted": True,
                     "项目数": int(findings.loc[~nested & kinds.eq(kind), "project_id"].nunique())})
        for child, parent in NESTED_FINDINGS.items():
            inner = nested & kinds.eq(child)
            if parent == kind and inner.any():
                rows.append({"问题类型": f"其中：{child}", "处数": int(inner.sum()), "counted": False,
                             "项目数": int(findings.loc[inner, "project_id"].nunique())})
    return pd.DataFrame(rows, columns=["问题类型", "处数", "counted", "项目数"])


def _table(doc, head: list[str], rows: list[list[str]]) -> None:
    """A table of the letter: columns sized by content, numbers right-aligned, the head row repeated on
    every page a long table runs over (:func:`perfkit.reporting.word.add_table`)."""
    cells = [["" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text) for text in row]
             for row in rows]
    numeric = re.compile(r"[-+]?[\d,]*\.?\d+%?|—")
    W.add_table(doc, [head, *cells], 1, [[False] * len(head)] + [[bool(numeric.fullmatch(c)) for c in row]
                                                                  for row in cells])


PROJECT_SHEET = {"project_id": "项目编码", "project_name": "项目名称", "category": "支出类别",
                 "budget": "全年预算数（万元）", "spent": "全年执行数（万元）", "unit_total": "单位自评分",
                 "unit_grade": "单位自评等级", "total": "复核分", "grade": "复核等级", "difference": "差异",
                 "status": "复算状态", "warning": "预警", "action": "下年度预算建议"}
FINDING_SHEET = {"project_id": "项目编码", "project_name": "项目名称", "indicator": "三级指标", "finding": "问题类型",
                 "explanation": "说明", "requirement": "整改要求"}
WARNING_SHEET = {"project_id": "项目编码", "project_name": "项目名称", "budget": "全年预算数（万元）",
                 "exec_progress": "执行进度", "warning_reason": "预警原因"}


def write_list(path: Path, projects: pd.DataFrame, warned: pd.DataFrame, findings: pd.DataFrame,
               unit_name: str = "", department: str = "", year: int | None = None,
               rules: Rulebook | None = None) -> None:
    """The letter's attachment: the row-level lists (万元, 是/否, inert text) for the unit's staff, in the
    shared layout of :mod:`perfkit.reporting.workbook` (title, widths, A4 landscape print setup, totals
    exact in 分); the project sheet names the unit and its 主管部门 on every row."""
    w = wording()
    required = requirements(rules if rules is not None else load_rules(DEFAULT_PROFILE, year or 2022))
    project_sheet = _sheet(projects, PROJECT_SHEET)
    project_sheet.insert(2, "单位名称", unit_name)
    project_sheet.insert(3, "主管部门", department)
    sheets = {
        "项目评价结果": (project_sheet, {"decimals": ["单位自评分", "复核分", "差异"], "total": True}),
        "审核发现": (_sheet(findings.assign(requirement=findings["finding"].map(required)
                                          .fillna(w["rectify_default"])), FINDING_SHEET), {}),
        "预警项目": (_sheet(warned, WARNING_SHEET), {"percent": ["执行进度"], "total": True}),
    }
    head = f"{unit_name}{'' if year is None else f'{year}年度'}绩效评价结果明细"
    with excel_writer(path, in_memory=True) as xl:
        for name, (frame, layout) in sheets.items():
            write_table(xl, name, frame, f"{head}（{name}）", money=[c for c in frame.columns if "万元" in c],
                        **layout)


_FOR_UNITS = [  # the 说明 of a finding as a unit's staff read it: no rulebook keys, no design notes
    (re.compile(r"[，,]\s*规则\s+[a-z_]+\.[a-z_0-9.]+"), ""),
    (re.compile(r"\s*规则\s+[a-z_]+\.[a-z_0-9.]+"), ""),
    (re.compile(r"（?\s*(?:DOMAIN|DATA_CONTRACT)\.md[^）；，]*）?"), ""),
    (re.compile(r"design choice"), "本局设定"),
    (re.compile(r"\s*→\s*"), "，"),
    (re.compile(r"依据\s+本局设定"), "按本局设定"),
    (re.compile(r"（\s*）"), ""),
]


def for_units(text: object) -> object:
    """One explanation worded for the unit that receives it (each distinct text is rewritten once)."""
    if not isinstance(text, str):
        return text
    for pattern, repl in _FOR_UNITS:
        text = pattern.sub(repl, text)
    return text


def _sheet(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Internal columns → the list's Chinese heads; money stays in 分 (written in 万元 by the layout)."""
    out = frame[[c for c in columns if c in frame.columns]].copy()
    if "warning" in out:
        out["warning"] = np.where(out["warning"].fillna(False).astype(bool), "是", "否")
    for text in ("explanation", "warning_reason"):
        if text in out:
            out[text] = map_unique(out[text], for_units)
    return out.rename(columns=columns)


# a file name is at most 255 bytes on every common disk (ext4, NTFS in UTF-16 units, APFS): the stem is cut
# by its UTF-8 bytes — 60 emoji or 𠮷 are 240 bytes — leaving room for the longest suffix and a 「_99」
STEM_BYTES = 255 - max(len(s.encode("utf-8")) for s in FEEDBACK_SUFFIXES) - len("_999")


def _cut_bytes(text: str, limit: int) -> str:
    """The longest prefix of ``text`` (whole characters) whose UTF-8 form fits in ``limit`` bytes."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _file_name(text: str, used: set[str]) -> str:
    name = safe_name(text) if text.strip(" ._") else "单位"  # the one sanitiser (perfkit.io.outputs)
    name = _cut_bytes(name, STEM_BYTES).rstrip(" .") or "单位"
    base, i = name, 2
    while name.lower() in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name.lower())
    return name


INTERNAL_FOLDER = "涉密项目反馈_内部_经保密渠道传递"


def write_feedback(a, out: str | Path, deadline: str | None = None, district: str = "",
                   progress: Callable[[Iterable], Iterable] | None = None,
                   contact: dict[str, object] | None = None, issuer: str | None = None) -> Feedback:
    """One .docx letter and one .xlsx list per unit into ``out`` (built aside and swapped in whole:
    perfkit.io.outputs); the 涉密 part of a unit's results in ``out/涉密项目反馈_内部…``."""
    out = Path(out)
    with replaced_folder(out, "feedback", ours=lambda e: e.name.endswith(FEEDBACK_SUFFIXES)
                         or e.name == INTERNAL_FOLDER) as stage:
        done = write_letters(a, stage, deadline, district, progress, contact, issuer=issuer)
    return Feedback(out, done.units, [out / p.name for p in done.letters], done.unassigned_findings)


def subordinate_summary(projects: pd.DataFrame, warned: pd.DataFrame, findings: pd.DataFrame,
                        info: pd.DataFrame, department: str, own: str, grades: list[str]) -> pd.DataFrame:
    """A 主管部门's subordinate units (same 主管部门, not itself): projects, grades said without zeros,
    warned projects, problems counted once, and whether the unit must rectify. 涉密 projects are left
    out (they go through the secrecy channel)."""
    from perfkit.analyses.application import nested_rows

    if "department" not in info:
        return pd.DataFrame()
    ids = [u for u in info.index[info["department"].astype(str).eq(department)] if str(u) != own]
    if not ids:
        return pd.DataFrame()
    open_ = ~projects["classified"].astype(bool)
    rows = []
    counted = findings.loc[~nested_rows(findings)]
    for uid in ids:
        p = projects.loc[open_ & projects["unit_id"].astype(str).eq(str(uid))]
        if not len(p):
            continue
        mine = set(p["project_id"])
        g = p["grade"].value_counts() if "grade" in p else pd.Series(dtype=int)
        n_warned = int(warned["project_id"].isin(mine).sum())
        n_find = int(counted["project_id"].isin(mine).sum())
        pending = bool(p["status"].eq("待核实").any()) if "status" in p else False
        rows.append({"unit_id": str(uid), "unit_name": str(info.loc[uid, "unit_name"]), "projects": len(p),
                     "grades": counts_text({k: int(g.get(k, 0)) for k in grades}, "个"), "warned": n_warned,
                     "findings": n_find, "rectify": bool(n_warned or n_find or pending)})
    return pd.DataFrame(rows)


def write_letters(a, folder: Path, deadline: str | None = None, district: str = "",
                  progress: Callable[[Iterable], Iterable] | None = None,
                  contact: dict[str, object] | None = None, issuer: str | None = None) -> Feedback:
    """The letters and lists written straight into ``folder`` (which the caller builds aside: ``perfkit
    report`` puts them in its own staging folder, ``perfkit feedback`` in one of its own).

    An ordinary letter and list leave the unit's 涉密 projects out and say, in one sentence, that their
    results are sent separately; that part is written to ``folder/涉密项目反馈_内部…`` for the secrecy
    channel. A 主管部门 (a unit named as its own 主管部门) also gets its subordinate units' results."""
    year = a.rules.year
    deadline = deadline or wording()["default_deadline"].format(next_year=year + 1)
    projects, warned, findings = unit_tables(a)
    secret_ids = set(projects.loc[projects["classified"].astype(bool), "project_id"])
    requests = (plain_text(a.gate[["project_id", "project_name", "unit_id", "classified", "gate", "conclusion"]])
                if a.gate is not None and len(a.gate) else pd.DataFrame(columns=["project_id", "project_name", "unit_id",
                                                                                  "classified", "gate", "conclusion"]))
    secret_ids |= set(requests.loc[requests["classified"].astype(bool), "project_id"])
    units = a.data.get("units")
    info = (plain_text(units[[c for c in ("unit_id", "unit_name", "department") if c in units.columns]])
            .drop_duplicates("unit_id").set_index("unit_id") if units is not None else pd.DataFrame())
    names = info["unit_name"] if "unit_name" in info else pd.Series(dtype=object)
    departments = info["department"] if "department" in info else pd.Series(dtype=object)
    unit_ids = sorted(set(projects["unit_id"].dropna().astype(str)) | set(requests["unit_id"].dropna().astype(str)))
    grades = list(GRADES)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    letters, used = [], set()
    gap = a.rules["review.letter_divergence"]
    for uid in (progress or (lambda x: x))(unit_ids):
        name = str(names.get(uid, uid))
        mine = projects["unit_id"].astype(str).eq(uid)
        p, wr = projects.loc[mine], warned.loc[warned["unit_id"].astype(str).eq(uid)]
        f = findings.loc[findings["unit_id"].astype(str).eq(uid)]
        req = requests.loc[requests["unit_id"].astype(str).eq(uid)]
        dept = departments.get(uid)
        dept = "" if dept is None or pd.isna(dept) else str(dept)
        subs = subordinate_summary(projects, warned, findings, info, dept, uid, grades) if dept == name else None
        hidden = lambda frame: frame["project_id"].isin(secret_ids)  # noqa: E731
        n_secret = int(hidden(p).sum() + hidden(req).sum())
        stem = _file_name(f"{uid}_{name}", used)
        rank = _rank_text(a.ranking, uid)
        content = Letter(name, p.loc[~hidden(p)], wr.loc[~hidden(wr)], f.loc[~hidden(f)], rank, req.loc[~hidden(req)],
                         n_secret, subs)
        letter = folder / f"{stem}{LETTER_SUFFIX[needs_rectification(content)]}"
        write_letter(letter, content, year, a.month, deadline, district, grades, gap, contact, issuer, a.rules)
        write_list(folder / f"{stem}_绩效评价结果明细.xlsx", p.loc[~hidden(p)], wr.loc[~hidden(wr)], f.loc[~hidden(f)],
                   name, dept, year, a.rules)
        letters.append(letter)
        if n_secret:  # the classified part: its own letter and list, for the secrecy channel only
            internal = folder / INTERNAL_FOLDER
            internal.mkdir(exist_ok=True)
            write_letter(internal / f"{stem}_涉密项目_绩效评价结果反馈.docx",
                         Letter(name, p.loc[hidden(p)], wr.loc[hidden(wr)], f.loc[hidden(f)], ("", "", 0),
                                req.loc[hidden(req)], 0, None, internal=True), year, a.month, deadline, district,
                         grades, gap, contact, issuer, a.rules)
            write_list(internal / f"{stem}_涉密项目_绩效评价结果明细.xlsx", p.loc[hidden(p)], wr.loc[hidden(wr)],
                       f.loc[hidden(f)], name, dept, year, a.rules)
    lost = findings.loc[findings["unit_id"].isna()]
    if len(lost):  # findings on projects absent from 项目: listed, never dropped
        write_list(folder / f"{UNASSIGNED}_审核发现.xlsx", projects.iloc[0:0], warned.iloc[0:0], lost, UNASSIGNED,
                   year=year, rules=a.rules)
    return Feedback(folder, len(unit_ids), letters, len(lost))
