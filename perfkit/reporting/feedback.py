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
from perfkit.io.outputs import replaced_folder
from perfkit.io.values import format_wan, map_unique, plain_text
from perfkit.io.write import excel_writer
from perfkit.reporting import word as W
from perfkit.reporting.display import signing_date
from perfkit.reporting.workbook import write_table
from perfkit.rules import formulas as F

TEXT = Path(__file__).parent / "text" / "feedback.yaml"
FONTS = {"title": W.FONTS["Title"][0], "h1": W.FONTS["Heading 1"][0], "h2": W.FONTS["Heading 2"][0],
         "body": W.FONTS["Normal"][0]}  # the official fonts the letters name (perfkit.reporting.word)
UNASSIGNED = "未能归属单位"
FEEDBACK_SUFFIXES = ("_绩效评价结果反馈及整改通知.docx", "_绩效评价结果明细.xlsx", "_审核发现.xlsx")


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
    projects = plain_text(ds.table("projects")[["project_id", "project_name", "unit_id", "category", "budget",
                                                "spent", "classified"]])
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
        plan = plain_text(a.proposal[["project_id", "action", "change", "proposal", "recovered"]]
                          ).drop_duplicates("project_id").set_index("project_id")
        for col in ("action", "change", "proposal", "recovered"):
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


def write_letter(path: Path, unit_name: str, year: int, month: int | None, deadline: str, district: str,
                 projects: pd.DataFrame, warned: pd.DataFrame, findings: pd.DataFrame, rank: tuple[str, str, int],
                 grades: Iterable[str], gap: float) -> None:
    """One unit's letter as .docx, typeset as a 公文 (:func:`perfkit.reporting.word.new_document`): the
    official fonts named, every line on the 28 pt pitch, body paragraphs two characters in, page numbers,
    heading styles (Word's navigation pane shows the structure), real Word tables sized by content whose
    head row repeats on every page, the 落款 and date four characters in from the right.
    ``gap``: the rulebook's ``review.letter_divergence``."""
    w = wording()
    title_text = w["title"].format(year=year)
    doc = W.new_document(f"{district}{w['signature']}", title_text)  # GB/T 9704 page, styles, page numbers
    h1 = doc.styles["Heading 1"]
    doc.add_paragraph(title_text, style=doc.styles["Title"])
    W.blank_line(doc)
    W.body(doc, f"{unit_name}：", indent=False)  # 主送机关: flush left
    W.body(doc, w["opening"].format(year=year).replace(" ", ""))

    counts = projects["grade"].value_counts() if "grade" in projects else pd.Series(dtype=int)
    pending = int(projects["status"].eq("待核实").sum()) if "status" in projects else 0
    diverge = int((projects["difference"].abs() >= gap).sum()) if "difference" in projects else 0
    doc.add_paragraph(w["sections"]["results"], style=h1)
    W.body(doc, w["results_summary"].replace(" ", "").format(
        projects=len(projects), budget=_wan(projects["budget"].sum()), diverge=diverge, gap=gap,
        pending=w["pending"].format(n=pending) if pending else "", **{g: int(counts.get(g, 0)) for g in grades}))
    _table(doc, ["项目名称", "单位自评分", "复核分", "复核等级"],
           [[r.project_name, _score(r.unit_total), _score(r.total),
             r.grade if isinstance(r.grade, str) else ("待核实" if getattr(r, "status", "") == "待核实" else "")]
            for r in projects.itertuples()])
    if "change" in projects:  # what the results mean for next year's budget, said in the letter itself
        moved = projects.loc[projects["change"].astype(float).fillna(0) < 0]
        if len(moved):
            W.body(doc, w["budget_changes"].format(
                next_year=year + 1, n=len(moved),
                projects="；".join(f"{r.project_name}（{r.action}，本年预算{_wan(r.budget)}万元，下年度建议安排"
                                  f"{_wan(r.proposal)}万元）" for r in moved.itertuples())))
        else:
            W.body(doc, w["budget_kept"].format(next_year=year + 1))
        back = projects.loc[projects["recovered"].astype("Float64").fillna(0) > 0]
        if len(back):
            W.body(doc, w["recovered"].format(
                n=len(back), amount=_wan(back["recovered"].astype("Int64").sum()),
                projects="、".join(f"{r.project_name}（{_wan(r.recovered)}万元）" for r in back.itertuples())))
    if pending:
        W.body(doc, w["pending_note"].format(n=pending, deadline=deadline))

    doc.add_paragraph(w["sections"]["warnings"], style=h1)
    if warned.empty:
        W.body(doc, w["no_warnings"].format(month=month or ""))
    else:
        W.body(doc, w["warnings_summary"].format(month=month or "", n=len(warned),
                                                       amount=_wan(warned["budget"].sum())))
        _table(doc, ["项目名称", "全年预算数（万元）", "预警原因"],
               [[r.project_name, _wan(r.budget), r.warning_reason] for r in warned.itertuples()])

    doc.add_paragraph(w["sections"]["findings"], style=h1)
    if findings.empty:
        W.body(doc, w["no_findings"])
    else:
        W.body(doc, w["findings_summary"].format(n=len(findings)))
        by_type = findings["finding"].value_counts()
        _table(doc, ["问题类型", "处数", "涉及项目数"],
               [[t, str(int(n)), str(int(findings.loc[findings["finding"] == t, "project_id"].nunique()))]
                for t, n in by_type.items()])

    doc.add_paragraph(w["sections"]["rank"], style=h1)
    rank_text, composite, total = rank
    if rank_text.startswith("未排名："):  # nothing recomputable yet: said as a pending state, not a verdict
        W.body(doc, w["rank_pending"].format(reason=rank_text.removeprefix("未排名：")))
    elif rank_text:
        W.body(doc, w["rank"].format(score=composite, total=total, rank=rank_text))

    doc.add_paragraph(w["sections"]["rectify"], style=h1)
    types = list(dict.fromkeys(findings["finding"])) if not findings.empty else []
    if not types and warned.empty:  # nothing to rectify: said so, not "具体要求：" followed by nothing
        W.body(doc, w["rectify_none"])
    else:
        W.body(doc, w["rectify_intro"].format(deadline=deadline))
    for i, t in enumerate(types, start=1):
        W.body(doc, f"{i}. {t}：{w['rectify'].get(t, w['rectify_default'])}")
    if not warned.empty:
        W.body(doc, f"{len(types) + 1}. {w['rectify_warned']}")
    W.blank_line(doc)  # 附件说明: one empty line under the text, two characters in
    W.body(doc, f"附件：{unit_name}{year}年度绩效评价结果明细（Excel）")
    W.signature(doc, f"{district}{w['signature']}", signing_date(w.get("date"), year))  # 右空四字, date under it
    doc.save(str(path))


def _table(doc, head: list[str], rows: list[list[str]], widths: list | None = None) -> None:
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
               unit_name: str = "", department: str = "", year: int | None = None) -> None:
    """The letter's attachment: the row-level lists (万元, 是/否, inert text) for the unit's staff, in the
    shared layout of :mod:`perfkit.reporting.workbook` (title, widths, A4 landscape print setup, totals
    exact in 分); the project sheet names the unit and its 主管部门 on every row."""
    w = wording()
    project_sheet = _sheet(projects, PROJECT_SHEET)
    project_sheet.insert(2, "单位名称", unit_name)
    project_sheet.insert(3, "主管部门", department)
    sheets = {
        "项目评价结果": (project_sheet, {"decimals": ["单位自评分", "复核分", "差异"], "total": True}),
        "审核发现": (_sheet(findings.assign(requirement=findings["finding"].map(w["rectify"])
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
    (re.compile(r"design choice"), "本局设定口径"),
    (re.compile(r"\s*→\s*"), "，"),
    (re.compile(r"依据\s+本局设定口径"), "按本局设定口径"),
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
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", text).strip(" .") or "单位"
    name = _cut_bytes(name[:60], STEM_BYTES).rstrip(" .") or "单位"
    base, i = name, 2
    while name.lower() in used:
        name, i = f"{base}_{i}", i + 1
    used.add(name.lower())
    return name


def write_feedback(a, out: str | Path, deadline: str | None = None, district: str = "高新区（新市区）",
                   progress: Callable[[Iterable], Iterable] | None = None) -> Feedback:
    """One .docx letter and one .xlsx list per unit into ``out`` (built aside and swapped in whole:
    perfkit.io.outputs)."""
    out = Path(out)
    with replaced_folder(out, "feedback", ours=lambda e: e.name.endswith(FEEDBACK_SUFFIXES)) as stage:
        done = write_letters(a, stage, deadline, district, progress)
    return Feedback(out, done.units, [out / p.name for p in done.letters], done.unassigned_findings)


def write_letters(a, folder: Path, deadline: str | None = None, district: str = "高新区（新市区）",
                  progress: Callable[[Iterable], Iterable] | None = None) -> Feedback:
    """The letters and lists written straight into ``folder`` (which the caller builds aside: ``perfkit
    report`` puts them in its own staging folder, ``perfkit feedback`` in one of its own)."""
    year = a.rules.year
    deadline = deadline or wording()["default_deadline"].format(next_year=year + 1)
    projects, warned, findings = unit_tables(a)
    units = a.data.get("units")
    info = (plain_text(units[[c for c in ("unit_id", "unit_name", "department") if c in units.columns]])
            .drop_duplicates("unit_id").set_index("unit_id") if units is not None else pd.DataFrame())
    names = info["unit_name"] if "unit_name" in info else pd.Series(dtype=object)
    departments = info["department"] if "department" in info else pd.Series(dtype=object)
    unit_ids = sorted(set(projects["unit_id"].dropna().astype(str)))
    grades = list(GRADES)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    letters, used = [], set()
    for uid in (progress or (lambda x: x))(unit_ids):
        name = str(names.get(uid, uid))
        mine = projects["unit_id"].astype(str).eq(uid)
        p, wr = projects.loc[mine], warned.loc[warned["unit_id"].astype(str).eq(uid)]
        f = findings.loc[findings["unit_id"].astype(str).eq(uid)]
        stem = _file_name(f"{uid}_{name}", used)
        letter = folder / f"{stem}_绩效评价结果反馈及整改通知.docx"
        write_letter(letter, name, year, a.month, deadline, district, p, wr, f, _rank_text(a.ranking, uid), grades,
                     a.rules["review.letter_divergence"])
        dept = departments.get(uid)
        write_list(folder / f"{stem}_绩效评价结果明细.xlsx", p, wr, f, name,
                   "" if dept is None or pd.isna(dept) else str(dept), year)
        letters.append(letter)
    lost = findings.loc[findings["unit_id"].isna()]
    if len(lost):  # findings on projects absent from 项目: listed, never dropped
        write_list(folder / f"{UNASSIGNED}_审核发现.xlsx", projects.iloc[0:0], warned.iloc[0:0], lost, UNASSIGNED,
                   year=year)
    return Feedback(folder, len(unit_ids), letters, len(lost))
