"""信息公开: per unit, the 项目支出绩效自评表 in the official layout (财预〔2020〕10号 附件2) as .xlsx, and
one HTML page, ready to publish with the final accounts (决算).

Disclosure fails closed (the decision is :mod:`perfkit.io.secrecy`, the same every command asks): 涉密 projects
— a code 涉密 in any row, table or year — are excluded from everything under ``public/`` and only counted
in ``internal/``; projects whose flag is unclear are held back and listed in ``internal/`` for
confirmation; only the requested year is published; with no recognisable 涉密 column nothing is. The
whole output folder is built aside and swapped in, so ``public/`` holds exactly this run's files.
Text that Excel would run as a formula is neutralised, all text is escaped in HTML, and file and sheet
names made from data are valid, distinct (also on case-blind Windows disks) and stay inside the folder.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from perfkit.io.base import SNAPSHOT_MARK
from perfkit.io.load import Dataset, load
from perfkit.io.outputs import check_output_folder, replaced_folder, safe_name
from perfkit.io.values import FEN_PER_WAN, format_wan
from perfkit.io.write import FORMULA_START, excel_writer, write_csv
from perfkit.reporting.classified import DisclosureRefused, Secrecy, code_key, decide, keys_of, name_has
from perfkit.reporting.workbook import EXCEL_CELL_LIMIT, fit_cell
from perfkit.rules.rulebook import DEFAULT_PROFILE, load_rules

PUBLIC, INTERNAL = "public", "internal"


PENDING_FILE = "待确认项目_不公开.csv"
COUNTS_FILE = "涉密项目统计_不公开.csv"
NOTES_FILE = "公开说明_不公开.txt"


@dataclass
class Disclosed:
    units: int
    projects: int
    withheld: int  # 涉密 projects of the year left out of the public files
    folder: Path
    held: int = 0  # projects of the year held back for confirmation (internal/待确认项目_不公开.csv)
    notes: list[str] = field(default_factory=list)


def distinct_names(wanted: list[str], limit: int, valid: Callable[[str, int], str]) -> list[str]:
    """Names made valid by ``valid`` and distinct without regard to case (Excel sheet names, and folder
    names once copied to a Windows or macOS disk, are case-blind): a clash gets ``~2``, ``~3`` … so two
    units or projects never overwrite each other. Deterministic for the same input order."""
    used: set[str] = set()
    out = []
    for w in wanted:
        base = valid(w, limit)
        name, n = base, 1
        while name.casefold() in used:
            n += 1
            tail = f"~{n}"
            name = valid(base[: limit - len(tail)], limit) + tail
        used.add(name.casefold())
        out.append(name)
    return out


def sheet_name(text: str, limit: int = 31) -> str:
    """A valid Excel sheet name: none of ``[ ] : * ? / \\``, at most 31 characters, no apostrophe at
    either end, not blank, not the reserved ``History``."""
    name = re.sub(r"[\[\]:*?/\\\x00-\x1f]", "_", str(text)).strip().strip("'")[:limit].strip("'") or "_"
    return "_History" if name.casefold() == "history" else name


CUT_MARK = "…（超出 Excel 单元格上限，全文见同目录 HTML 页面）"  # the cut of the shared helper, disclose's words


def _cell(value: object) -> object:
    """One cell value for a published workbook: numbers stay numbers, text cannot become a formula, text
    longer than a cell holds is cut with a mark saying where the whole text is (never silently)."""
    if isinstance(value, str) and len(value) > 1 and value.startswith(FORMULA_START):
        value = "'" + value
    if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
        return fit_cell(value, CUT_MARK)
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    return value


def _project_sheet(ws, fmt: dict, project: pd.Series, unit_name: str, dept: str, rows: pd.DataFrame,
                   summary: pd.Series | None, year: int) -> None:
    """Write one 项目支出绩效自评表 in the official layout, merged cells included."""
    put = ws.write
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 12)
    ws.set_column(3, 3, 22)
    ws.set_column(4, 5, 16)
    ws.set_column(6, 7, 8)
    ws.set_column(8, 8, 28)
    ws.merge_range(0, 0, 0, 8, "项目支出绩效自评表", fmt["title"])
    ws.merge_range(1, 0, 1, 8, f"（{year}年度）", fmt["center"])
    ws.merge_range(2, 0, 2, 1, "项目名称", fmt["head"])
    ws.merge_range(2, 2, 2, 8, _cell(project["project_name"]), fmt["text"])
    ws.merge_range(3, 0, 3, 1, "主管部门", fmt["head"])
    ws.merge_range(3, 2, 3, 4, _cell(dept), fmt["text"])
    put(3, 5, "实施单位", fmt["head"])
    ws.merge_range(3, 6, 3, 8, _cell(unit_name), fmt["text"])
    ws.merge_range(4, 0, 5, 1, "项目资金（万元）", fmt["head"])
    for c, h in enumerate(["", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], start=2):
        put(4, c, h, fmt["head"])
    money = [project.get(k) for k in ("budget_initial", "budget", "spent")]
    rate = (project["spent"] / project["budget"]) if pd.notna(project["budget"]) and project["budget"] else None
    put(5, 2, "年度资金总额", fmt["head"])
    for c, v in enumerate(money, start=3):
        put(5, c, "" if pd.isna(v) else v / FEN_PER_WAN, fmt["money"])
    put(5, 6, _cell(summary["exec_weight"]) if summary is not None else "", fmt["num"])
    put(5, 7, "" if rate is None or pd.isna(rate) else min(float(rate), 9.99), fmt["pct"])
    put(5, 8, _cell(summary["unit_exec_score"]) if summary is not None else "", fmt["num"])
    header = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    ws.merge_range(6, 0, 7 + max(len(rows), 1) - 1, 0, "绩效指标", fmt["head"])
    for c, h in enumerate(header, start=1):
        put(6, c, h, fmt["head"])
    r = 7
    for item in rows.itertuples(index=False):
        for c, v in enumerate([item.level1, item.level2, item.indicator, item.target_text, item.actual_text,
                               item.weight, item.unit_score, item.deviation_reason], start=1):
            put(r, c, _cell(v), fmt["num"] if c in (6, 7) else fmt["text"])
        r += 1
    r = max(r, 8)
    ws.merge_range(r, 0, r, 5, "总分", fmt["head"])
    put(r, 6, 100, fmt["num"])
    put(r, 7, _cell(summary["unit_total"]) if summary is not None else "", fmt["num"])
    put(r, 8, _cell(summary.get("unit_grade", "")) if summary is not None else "", fmt["text"])


def _formats(book) -> dict:
    border = {"border": 1, "valign": "vcenter", "text_wrap": True, "font_size": 10}
    return {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center"}),
        "center": book.add_format({"align": "center"}),
        "head": book.add_format({**border, "align": "center", "bg_color": "#F1E6E6"}),
        "text": book.add_format(border),
        "num": book.add_format({**border, "num_format": "0.00"}),
        "money": book.add_format({**border, "num_format": "#,##0.00"}),
        "pct": book.add_format({**border, "num_format": "0.00%"}),
    }


def _unit_html(unit_name: str, year: int, projects: pd.DataFrame, self_eval: pd.DataFrame,
               summary: pd.DataFrame) -> str:
    esc = html.escape
    parts = [f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{esc(unit_name)}{year}年度项目支出绩效自评结果"
             "</title><style>body{font-family:'Noto Sans SC',sans-serif;max-width:60em;margin:2em auto}"
             "table{border-collapse:collapse;margin:1em 0;width:100%}td,th{border:1px solid #999;padding:3px 6px}"
             "th{background:#f1e6e6;font-weight:normal}</style></head><body>",
             f"<h1>{esc(unit_name)}{year}年度项目支出绩效自评结果</h1>"]
    se = self_eval.groupby("project_id")
    sm = summary.set_index("project_id") if len(summary) else pd.DataFrame()
    for p in projects.itertuples(index=False):
        total = sm["unit_total"].get(p.project_id, "") if "unit_total" in sm else ""
        parts.append(f"<h2>{esc(str(p.project_name))}</h2><p>全年预算数 {esc(format_wan(p.budget))} 万元，"
                     f"全年执行数 {esc(format_wan(p.spent))} 万元，自评总分 {esc(str(total))}</p>")
        parts.append("<table><tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>年度指标值</th><th>实际完成值</th>"
                     "<th>分值</th><th>得分</th><th>偏差原因分析及改进措施</th></tr>")
        if p.project_id in se.groups:
            for r in se.get_group(p.project_id).itertuples(index=False):
                cells = [r.level1, r.level2, r.indicator, r.target_text, r.actual_text, r.weight, r.unit_score,
                         r.deviation_reason]
                parts.append("<tr>" + "".join(f"<td>{esc('' if pd.isna(v) else str(v))}</td>" for v in cells)
                             + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _year_to_publish(projects: pd.DataFrame, year: int | None) -> tuple[int, bool]:
    """The year to publish, and whether the 项目 table carries years at all. Several years without
    ``--year`` is refused: publishing one of them by guess could put the wrong year online."""
    years = sorted(int(y) for y in projects["year"].dropna().unique())
    if year is not None:
        if years and int(year) not in years:
            raise DisclosureRefused(f"「项目」表没有 {year} 年度的项目（有 {'、'.join(map(str, years))}），未公开任何文件")
        return int(year), bool(years)
    if len(years) == 1:
        return years[0], True
    if not years:
        raise DisclosureRefused("「项目」表没有年度：请用 --year 指定公开哪一年度，未公开任何文件")
    raise DisclosureRefused(f"「项目」表有 {len(years)} 个年度（{'、'.join(map(str, years))}）：请用 --year 指定公开哪一年度，"
                            "未公开任何文件")


def _check_screen(sc: Secrecy, no_classified: bool) -> list[str]:
    """Refuse when nothing in the data says which projects are 涉密 (unless the caller declared there
    are none); returns notes for the user. A refusal never advises ``--no-classified`` when a 涉密
    column was read: that would publish whatever the column marks."""
    notes = list(sc.notes)
    if not sc.columns:
        if not no_classified:
            raise DisclosureRefused(
                "数据中没有可识别的涉密列（涉密 / 是否涉密 / 涉密项目 / 密级）：为防止涉密项目被公开，未公开任何文件。"
                "请在「项目」表加「涉密」列（是/否）；确认本数据没有涉密项目时，加 --no-classified 再运行")
        notes.append("数据中没有涉密列，按 --no-classified 的确认视为没有涉密项目（名称含涉密字样的仍不公开）")
    elif not sc.filled:
        if not no_classified:
            raise DisclosureRefused(
                f"涉密列全部为空（{sc.columns[0]}）：无法确认哪些项目涉密，未公开任何文件。请逐项填写 是/否 后再运行")
        notes.append("涉密列全部为空，按 --no-classified 的确认视为没有涉密项目")
    elif no_classified and sc.secret:
        notes.append("数据中有标为涉密的项目，--no-classified 不适用：这些项目仍不公开")
    return notes


def _held_back(projects: pd.DataFrame, keys: pd.Series, sc: Secrecy, words: list[str], has_years: bool,
               declared: bool) -> pd.Series:
    """Why each project (of any year) must wait for confirmation; "" where nothing stands in the way."""
    why = pd.Series("", index=projects.index, dtype=object)
    first = sc.pending.drop_duplicates("_key").set_index("_key")
    if len(first):
        where = first["原因"] + "（" + first["文件"] + "「" + first["工作表"] + "」第 " + first["行"].astype(str) + " 行）"
        why = keys.map(where).fillna("").astype(object)
    if sc.columns and not (declared and not sc.filled):
        unflagged = ~keys.isin(sc.flagged) & ~keys.isin(sc.secret) & ~keys.isin(first.index)
        why = why.mask(unflagged & why.eq(""), "没有任何一行标明是否涉密")
    if words:
        worded = name_has(projects["project_name"], words)
        why = why.mask(worded & why.eq(""), "项目名称含涉密字样而未标为涉密")
    if has_years:
        why = why.mask(projects["year"].isna() & why.eq(""), "年度为空，无法确认属于公开年度")
    return why.mask(projects["unit_id"].isna() & why.eq(""), "单位编码为空，无法归入单位的公开文件")


def _disclose_output(entry: Path) -> bool:
    """What an earlier ``perfkit disclose`` (before output folders carried a marker) wrote into --out."""
    return entry.is_dir() and entry.name in (PUBLIC, INTERNAL)


def disclose(data: str | Path | Dataset, out: str | Path, year: int | None = None,
             no_classified: bool = False, archive: str | Path | None = None) -> Disclosed:
    """Write ``out/public/<单位>/`` (xlsx + html per unit) and ``out/internal/`` (涉密 counts, projects held
    for confirmation, what was done), the whole folder swapped in at the end.

    ``no_classified`` declares that the dataset has no 涉密 projects; it is needed only when the data has
    no 涉密 column (or only empty ones) — without it such data is refused, nothing written. ``archive``
    (the annual archive, when there is one): codes 涉密 in any archived year, or linked to one through
    编码变更, are held too."""
    out = Path(out)
    inputs = (Path(data.source) if isinstance(data, Dataset) else Path(data),)
    check_output_folder(out.absolute(), "disclose", _disclose_output, inputs)  # before loading, not after
    ds = data if isinstance(data, Dataset) else load(data)
    if ds.secrecy is None or ds.secrecy.from_snapshot:
        what = f"perfkit 的内部数据快照（{SNAPSHOT_MARK}）" if ds.secrecy is not None else "不是由 perfkit 读入的原始数据"
        raise DisclosureRefused(f"{Path(ds.source).name}：这是{what}；信息公开只依据原始数据逐格核对涉密标识，"
                                "未公开任何文件；请指定原始数据（工作簿或表格文件夹）")
    projects = ds.table("projects")
    self_eval = ds.table("self_eval")
    summary = ds.get("self_summary")
    summary = summary if summary is not None else pd.DataFrame(columns=["project_id"])
    units = ds.get("units")
    year, has_years = _year_to_publish(projects, year)
    words = list(load_rules(DEFAULT_PROFILE, year)["disclosure.secret_name_words"])
    sc = decide(ds, archive)  # the one decision every door asks
    notes = _check_screen(sc, no_classified)

    keys = keys_of(projects["project_id"])
    secret = keys.isin(sc.secret) | projects["classified"].fillna(False).astype(bool)
    why = _held_back(projects, keys, sc, words, has_years, no_classified).where(~secret, "")
    in_year = projects["year"].eq(year).fillna(False) if has_years else pd.Series(True, index=projects.index)
    in_year = in_year | (projects["year"].isna() & has_years)  # a blank 年度 is held, not silently dropped
    shown_mask = in_year & ~secret & why.eq("")
    shown = projects.loc[shown_mask]
    other_years = int((~in_year).sum())
    if other_years:
        notes.append(f"只公开 {year} 年度；其他年度的 {other_years} 行未公开")

    unit_names = units.set_index("unit_id")["unit_name"] if units is not None else pd.Series(dtype=str)
    depts = units.set_index("unit_id")["department"] if units is not None else pd.Series(dtype=str)
    se_public = self_eval[self_eval["project_id"].isin(shown["project_id"])]
    long_cells = sum(int(se_public[c].astype(object).map(lambda v: isinstance(v, str) and len(v) > EXCEL_CELL_LIMIT
                                                          - 1).sum())
                     for c in ("target_text", "actual_text", "deviation_reason", "indicator") if c in se_public)
    if long_cells:
        notes.append(f"{long_cells} 个单元格的文字超出 Excel 单元格上限（{EXCEL_CELL_LIMIT} 字），xlsx 中已截断并注明，"
                     "HTML 页面为全文")
    groups = [(u, g) for u, g in shown.groupby("unit_id", sort=True, observed=True) if len(g)]
    wanted = [f"{u}_{unit_names.get(u, u)}" for u, _ in groups]
    folders = distinct_names(wanted, 60, safe_name)
    renamed = [f"{w} → {f}" for w, f in zip(wanted, folders, strict=True) if safe_name(w) != f]
    if renamed:
        notes.append(f"{len(renamed)} 个单位的文件夹名与其他单位相同（不分大小写），已加序号区分：" + "；".join(renamed[:5]))

    with replaced_folder(out, "disclose", ours=_disclose_output, inputs=inputs) as stage:
        public = stage / PUBLIC
        public.mkdir()
        for (unit_id, group), folder_name in zip(groups, folders, strict=True):
            unit_name = str(unit_names.get(unit_id, unit_id))
            folder = public / folder_name
            folder.mkdir()
            assert folder.resolve().parent == public.resolve()
            rows = se_public[se_public["project_id"].isin(group["project_id"])]
            sheets = distinct_names([str(p) for p in group["project_id"]], 31, sheet_name)
            with excel_writer(folder / f"{year}年度项目支出绩效自评表.xlsx") as xl:
                fmt = _formats(xl.book)
                for p, name in zip(group.itertuples(index=False), sheets, strict=True):
                    ws = xl.book.add_worksheet(name)
                    s = summary[summary["project_id"] == p.project_id]
                    _project_sheet(ws, fmt, pd.Series(p._asdict()), unit_name, str(depts.get(unit_id, "")),
                                   rows[rows["project_id"] == p.project_id], s.iloc[0] if len(s) else None, year)
            (folder / f"{year}年度项目支出绩效自评结果.html").write_text(
                _unit_html(unit_name, year, group, rows, summary), encoding="utf-8")
        internal = stage / INTERNAL
        withheld = projects.loc[in_year & secret]
        counts = withheld.groupby("unit_id", observed=True).agg(涉密项目数=("project_id", "size"),
                                                                全年预算数_万元=("budget", "sum"))
        counts["全年预算数_万元"] = counts["全年预算数_万元"].map(format_wan)
        write_csv(counts.reset_index().rename(columns={"unit_id": "单位编码"}), internal / COUNTS_FILE)
        held = projects.loc[in_year & ~secret & why.ne("")]
        listing = pd.DataFrame({"项目编码": held["project_id"].astype(object), "项目名称": held["project_name"].astype(object),
                                "单位编码": held["unit_id"].astype(object), "年度": held["year"].astype("Int64"),
                                "原因": why.loc[held.index]})
        # rows the loader set aside (an unreadable flag, a duplicate …) are not among the projects: listed
        # from the raw screen, for this year or of unknown year, unless 涉密 or listed already
        named = sc.names[~sc.names["_key"].isin(keys)].reset_index(drop=True)  # 项目 rows the loader set aside
        named = named[name_has(named["项目名称"], words).to_numpy()].assign(原因="项目名称含涉密字样而未标为涉密")
        pending = pd.concat([sc.pending, named[sc.pending.columns]], ignore_index=True) if len(named) else sc.pending
        raw = pending[~pending["_key"].isin(sc.secret) & ~pending["_key"].isin(keys.loc[held.index])
                      & (pending["年度"].isna() | pending["年度"].eq(year))].drop_duplicates("_key")
        if len(raw):
            where = raw["原因"] + "（" + raw["文件"] + "「" + raw["工作表"] + "」第 " + raw["行"].astype(str) + " 行，该行未载入）"
            listing = pd.concat([listing, pd.DataFrame({
                "项目编码": raw["项目编码"].astype(object), "项目名称": raw["项目名称"].astype(object), "单位编码": None,
                "年度": raw["年度"].round().astype("Int64"), "原因": where})], ignore_index=True)
        write_csv(listing, internal / PENDING_FILE)
        lines = [f"公开年度：{year}", f"公开：{len(groups)} 个单位、{len(shown)} 个项目",
                 f"涉密未公开：{len(withheld)} 个项目（按单位统计见 {COUNTS_FILE}）",
                 f"待确认未公开：{len(listing)} 个项目（清单见 {PENDING_FILE}）",
                 "涉密标识来自：" + ("；".join(sc.columns) if sc.columns else "（无，按 --no-classified 确认）"),
                 *notes]
        (internal / NOTES_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return Disclosed(len(groups), len(shown), len(withheld), out, held=len(listing), notes=notes)


__all__ = ["Disclosed", "DisclosureRefused", "code_key", "disclose", "safe_name", "sheet_name"]
