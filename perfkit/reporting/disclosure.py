"""信息公开: per unit, the 项目支出绩效自评表 in the official layout (财预〔2020〕10号 附件2) as .xlsx, and
one HTML page, ready to publish with the final accounts (决算).

涉密 projects are excluded from everything under ``public/`` and only counted in ``internal/`` for the
finance bureau. Text that Excel would run as a formula is neutralised, all text is escaped in HTML, and
file names made from data (unit names) cannot leave the output folder.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perfkit.io.load import Dataset, load
from perfkit.io.values import FEN_PER_WAN, format_wan
from perfkit.io.write import FORMULA_START, atomic_path, excel_writer, write_csv

PUBLIC, INTERNAL = "public", "internal"


@dataclass
class Disclosed:
    units: int
    projects: int
    withheld: int  # 涉密 projects left out of the public files
    folder: Path


def safe_name(text: str, limit: int = 60) -> str:
    """A file name from data: no path separators, no leading dots, no control or reserved characters."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip().lstrip(".")
    return (name or "_")[:limit]


def _cell(value: object) -> object:
    """One cell value for a published workbook: numbers stay numbers, text cannot become a formula."""
    if isinstance(value, str) and len(value) > 1 and value.startswith(FORMULA_START):
        return "'" + value
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


def disclose(data: str | Path | Dataset, out: str | Path, year: int | None = None) -> Disclosed:
    """Write ``out/public/<单位>/`` (xlsx + html per unit) and ``out/internal/涉密项目统计.csv``."""
    ds = data if isinstance(data, Dataset) else load(data)
    projects = ds.table("projects")
    self_eval = ds.table("self_eval")
    summary = ds.get("self_summary")
    summary = summary if summary is not None else pd.DataFrame(columns=["project_id"])
    units = ds.get("units")
    year = year or int(projects["year"].dropna().mode().iloc[0]) if projects["year"].notna().any() else (year or 0)
    out = Path(out)
    public = out / PUBLIC
    secret = projects["classified"].astype(bool)
    shown = projects.loc[~secret]
    unit_names = units.set_index("unit_id")["unit_name"] if units is not None else pd.Series(dtype=str)
    depts = units.set_index("unit_id")["department"] if units is not None else pd.Series(dtype=str)
    se_public = self_eval[self_eval["project_id"].isin(shown["project_id"])]
    n_units = 0
    for unit_id, group in shown.groupby("unit_id", sort=True):
        unit_name = str(unit_names.get(unit_id, unit_id))
        folder = public / safe_name(f"{unit_id}_{unit_name}")
        folder.mkdir(parents=True, exist_ok=True)
        assert folder.resolve().is_relative_to(public.resolve())
        rows = se_public[se_public["project_id"].isin(group["project_id"])]
        with atomic_path(folder / f"{year}年度项目支出绩效自评表.xlsx") as tmp, excel_writer(tmp) as xl:
            fmt = _formats(xl.book)
            for p in group.itertuples(index=False):
                ws = xl.book.add_worksheet(safe_name(str(p.project_id), 31))
                s = summary[summary["project_id"] == p.project_id]
                _project_sheet(ws, fmt, pd.Series(p._asdict()), unit_name, str(depts.get(unit_id, "")),
                               rows[rows["project_id"] == p.project_id], s.iloc[0] if len(s) else None, year)
        with atomic_path(folder / f"{year}年度项目支出绩效自评结果.html") as tmp:
            tmp.write_text(_unit_html(unit_name, year, group, rows, summary), encoding="utf-8")
        n_units += 1
    withheld = projects.loc[secret]
    counts = withheld.groupby("unit_id").agg(涉密项目数=("project_id", "size"), 全年预算数_万元=("budget", "sum"))
    counts["全年预算数_万元"] = counts["全年预算数_万元"].map(format_wan)
    write_csv(counts.reset_index().rename(columns={"unit_id": "单位编码"}), out / INTERNAL / "涉密项目统计_不公开.csv")
    return Disclosed(n_units, len(shown), len(withheld), out)
