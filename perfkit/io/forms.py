"""Importing the published 项目支出绩效自评表 (财预〔2020〕10号 附件2 layout) into the contract's tables.

Units still hand in one workbook per project (or one sheet per project): a header block (项目名称,
主管部门, 实施单位, the 项目资金 row with 年初预算数/全年预算数/全年执行数/分值/执行率/得分, 年度总体目标)
and then the indicator table with merged cells. Variants seen on real forms are handled by reading
headers, not positions: 分值 before 年度指标值; 指标性质 | 指标值 | 度量单位 in cells of their own; a
20-point execution row written "20分×执行率"; no 分值 column; sub-indicator rows; amounts in 元; a 总分
row; 自评等级. One unreadable file never stops the batch: it is reported and the rest go through.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io.values import FEN_PER_WAN, FEN_PER_YUAN, parse_number

REPORT_COLUMNS = ["文件", "工作表", "结果", "说明"]
# what a separate 指标性质 cell may say → the comparator written before the value
COMPARATOR_WORDS = {"定性": "", "定量": "", "正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤",
                    "≧": "≥", "≦": "≤", ">=": "≥", "<=": "≤", "＝": "=", "等于": "="}
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: .xls, or an encrypted .xlsx

# indicator-table headers → field (first match wins; order matters for 指标值 vs 年度指标值)
IND_HEADERS = {
    "一级指标": "level1", "二级指标": "level2", "三级指标": "indicator",
    "年度指标值": "target_value", "指标值": "target_value", "目标值": "target_value",
    "指标性质": "comparator", "度量单位": "unit", "计量单位": "unit",
    "实际完成值": "actual_text", "全年实际值": "actual_text",
    "分值": "weight", "权重": "weight", "得分": "unit_score",
    "偏差原因分析及改进措施": "deviation_reason", "偏差原因分析": "deviation_reason", "未完成原因分析": "deviation_reason",
}


@dataclass
class Imported:
    """What a batch produced: the contract tables (internal names) and one report row per file/sheet."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    report: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))


class FormError(Exception):
    """A sheet is not a readable 自评表; the message says why in the user's terms."""


def _norm(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _grid(frame: pd.DataFrame) -> list[list[object]]:
    return [[None if (isinstance(v, float) and np.isnan(v)) else v for v in row]
            for row in frame.itertuples(index=False, name=None)]


def _right_of(grid: list[list[object]], label: str) -> object:
    """The first non-empty cell to the right of the cell whose text starts with ``label``."""
    for row in grid:
        for c, v in enumerate(row):
            if _norm(v).startswith(label):
                for w in row[c + 1:]:
                    if _norm(w):
                        return w
    return None


def _money_factor(grid: list[list[object]]) -> int:
    """分 per unit of the amounts printed: 元 if the funds label or a header says 元, else 万元."""
    for row in grid:
        for v in row:
            text = _norm(v)
            if text.startswith("项目资金") or text in ("年初预算数(元)", "全年预算数(元)"):
                if "(元)" in text:
                    return FEN_PER_YUAN
    return FEN_PER_WAN


def _funds(grid: list[list[object]]) -> dict[str, float]:
    """The 项目资金 row: 年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分."""
    wanted = {"年初预算数": "budget_initial", "全年预算数": "budget", "全年执行数": "spent", "分值": "exec_weight",
              "执行率": "exec_rate", "得分": "unit_exec_score"}
    for r, row in enumerate(grid):
        cols = {}
        for c, v in enumerate(row):
            name = re.sub(r"\(.*?\)", "", _norm(v))
            if name in wanted and wanted[name] not in cols.values():
                cols[c] = wanted[name]
        if {"budget", "spent"} <= set(cols.values()):
            for data_row in grid[r + 1:r + 4]:
                values = {f: data_row[c] if c < len(data_row) else None for c, f in cols.items()}
                if any(_norm(v) for v in values.values()):
                    out = {}
                    for f, v in values.items():
                        text = _norm(v)
                        m = re.match(r"^(\d+(?:\.\d+)?)分?[×xX*]", text)  # "20分×执行率"
                        out[f] = float(m.group(1)) if m and f == "exec_weight" else parse_number(text.rstrip("%分"))
                        if f == "exec_rate" and text.endswith("%"):
                            out[f] = out[f] / 100
                    return out
    return {}


def _indicator_table(grid: list[list[object]]) -> tuple[pd.DataFrame, dict[str, object]]:
    """The indicator rows under the header row that names 一级指标 and 三级指标; the 总分 row ends it."""
    header_row = None
    for r, row in enumerate(grid):
        names = {_norm(v) for v in row}
        if "三级指标" in names and ("一级指标" in names or "二级指标" in names):
            header_row = r
            break
    if header_row is None:
        raise FormError("没有找到指标表（缺少「一级指标」「三级指标」表头）")
    columns: dict[int, str] = {}
    for c, v in enumerate(grid[header_row]):
        name = re.sub(r"\(.*?\)", "", _norm(v))
        if name in IND_HEADERS and IND_HEADERS[name] not in columns.values():
            columns[c] = IND_HEADERS[name]
    rows, tail = [], {}
    for row in grid[header_row + 1:]:
        texts = [_norm(v) for v in row]
        if any(t in ("总分", "合计") for t in texts[:4]):
            score_col = next((c for c, f in columns.items() if f == "unit_score"), None)
            tail["unit_total"] = parse_number(row[score_col]) if score_col is not None else np.nan
            if np.isnan(tail["unit_total"]):
                numbers = [parse_number(v) for v in row if not np.isnan(parse_number(v))]
                tail["unit_total"] = numbers[-1] if numbers else np.nan
            grade = next((t for t in texts if t in ("优", "良", "中", "差")), None)
            if grade:
                tail["unit_grade"] = grade
            break
        record = {f: (row[c] if c < len(row) else None) for c, f in columns.items()}
        if not any(_norm(v) for v in record.values()):
            continue
        rows.append(record)
    if not rows:
        raise FormError("指标表没有数据行")
    table = pd.DataFrame(rows, columns=list(dict.fromkeys(columns.values())))
    for merged in ("level1", "level2"):  # merged cells carry their value in the first row only
        if merged in table:
            table[merged] = table[merged].map(lambda v: _norm(v) or None).ffill()
    table = table[table.get("indicator", pd.Series(dtype=object)).map(_norm).ne("")]
    if "target_value" in table:
        target = table["target_value"].map(_norm)
        if "comparator" in table:
            target = table["comparator"].map(lambda c: COMPARATOR_WORDS.get(_norm(c), _norm(c))) + target
        if "unit" in table:
            unit = table["unit"].map(_norm)
            target = target + unit.where(~pd.Series([t.endswith(u) and u != "" for t, u in zip(target, unit, strict=True)],
                                                     index=unit.index), "")
        table["target_text"] = target
    return table, tail


def _stable_id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:10].upper()


def read_form(frame: pd.DataFrame, file: str, sheet: str) -> dict[str, pd.DataFrame]:
    """One project's 自评表 (one sheet) → rows of the contract tables."""
    grid = _grid(frame)
    # the header row of pandas' read is part of the form too
    grid.insert(0, [None if str(c).startswith("Unnamed") else c for c in frame.columns])
    name = _norm(_right_of(grid, "项目名称"))
    if not name:
        raise FormError("没有找到「项目名称」")
    dept = _norm(_right_of(grid, "主管部门"))
    unit = _norm(_right_of(grid, "实施单位")) or dept
    code = _norm(_right_of(grid, "项目编码")) or _stable_id("F", file, sheet, name)
    year_text = next((_norm(v) for row in grid[:4] for v in row if re.search(r"\d{4}年度", _norm(v))), "")
    year = int(re.search(r"(\d{4})年度", year_text).group(1)) if year_text else None
    funds = _funds(grid)
    per_unit = _money_factor(grid)
    table, tail = _indicator_table(grid)
    unit_id = _stable_id("U", unit)
    project = {"project_id": code, "project_name": name, "unit_id": unit_id, "year": year}
    for key in ("budget_initial", "budget", "spent"):
        value = funds.get(key, np.nan)
        project[key] = pd.NA if value is None or np.isnan(value) else int(np.floor(value * per_unit + 0.5))
    self_eval = pd.DataFrame({
        "project_id": code, "level1": table.get("level1"), "level2": table.get("level2"),
        "indicator": table["indicator"].map(_norm), "target_text": table.get("target_text"),
        "actual_text": table["actual_text"].map(_norm) if "actual_text" in table else None,
        "weight": table["weight"].map(parse_number) if "weight" in table else np.nan,
        "unit_score": table["unit_score"].map(parse_number) if "unit_score" in table else np.nan,
        "deviation_reason": table["deviation_reason"].map(_norm) if "deviation_reason" in table else "",
    })
    grade = tail.get("unit_grade") or (_norm(_right_of(grid, "自评等级")) or None)
    summary = pd.DataFrame([{"project_id": code, "exec_weight": funds.get("exec_weight", np.nan),
                             "unit_exec_score": funds.get("unit_exec_score", np.nan),
                             "unit_total": tail.get("unit_total", np.nan), "unit_grade": grade}])
    units = pd.DataFrame([{"unit_id": unit_id, "unit_name": unit, "department": dept}])
    return {"units": units, "projects": pd.DataFrame([project]), "self_eval": self_eval, "self_summary": summary}


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    head = path.read_bytes()[:8] if path.stat().st_size else b""
    if not head:
        raise FormError("文件是空的（0 字节）")
    if path.suffix.lower() == ".xlsx" and head == CFB_MAGIC:
        raise FormError("文件有密码保护（已加密），请另存为不加密的工作簿后再导入")
    if path.suffix.lower() == ".xlsx" and not zipfile.is_zipfile(path):
        raise FormError("文件已损坏或不完整（不是有效的 .xlsx）")
    try:
        return pd.read_excel(path, sheet_name=None, engine="calamine", header=0)
    except Exception as exc:  # calamine's error types are private
        raise FormError(f"无法读取：{(str(exc).splitlines() or [type(exc).__name__])[0][:120]}") from exc


def import_forms(folder: str | Path, progress: Callable[[Iterable], Iterable] | None = None) -> Imported:
    """Every .xlsx/.xls in ``folder`` (one project per sheet or per file) → the contract tables."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".xlsx", ".xls") and not p.name.startswith("~$"))
    parts: dict[str, list[pd.DataFrame]] = {"units": [], "projects": [], "self_eval": [], "self_summary": []}
    report = []
    for path in (progress or (lambda x: x))(files):
        rel = str(path.relative_to(folder))
        try:
            sheets = _sheets(path)
        except FormError as exc:
            report.append([rel, "", "未导入", str(exc)])
            continue
        for sheet, frame in sheets.items():
            if frame.empty and len(frame.columns) == 0:
                report.append([rel, sheet, "跳过", "空工作表"])
                continue
            try:
                rows = read_form(frame, rel, sheet)
            except FormError as exc:
                report.append([rel, sheet, "未导入", str(exc)])
                continue
            for k, v in rows.items():
                parts[k].append(v)
            n = len(rows["self_eval"])
            report.append([rel, sheet, "已导入", f"项目「{rows['projects']['project_name'].iloc[0]}」，{n} 个指标"])
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items() if v}
    if "units" in tables:
        tables["units"] = tables["units"].drop_duplicates("unit_id")
    if "projects" in tables:
        dup = tables["projects"].duplicated("project_id", keep="first")
        for pid in tables["projects"].loc[dup, "project_id"]:
            report.append(["", "", "注意", f"项目编码 {pid} 在多个表中出现，保留第一次"])
        tables["projects"] = tables["projects"].loc[~dup]
        for c in ("budget_initial", "budget", "spent"):
            tables["projects"][c] = tables["projects"][c].astype("Int64")
        tables["projects"]["year"] = tables["projects"]["year"].astype("Int64")
    return Imported(tables, pd.DataFrame(report, columns=REPORT_COLUMNS))
