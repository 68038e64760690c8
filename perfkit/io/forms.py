"""Importing the published 项目支出绩效自评表 (财预〔2020〕10号 附件2 layout) into the contract's tables.

Units still hand in one workbook per project (or one sheet per project): a header block (项目名称,
主管部门, 实施单位, the 项目资金 row with 年初预算数/全年预算数/全年执行数/分值/执行率/得分, 年度总体目标)
and then the indicator table with merged cells. Variants seen on real forms are handled by reading
headers, not positions: 分值 before 年度指标值; 指标性质 | 指标值 | 度量单位 in cells of their own; a
20-point execution row written "20分×执行率"; no 分值 column; sub-indicator rows; amounts in 元; a 总分
row; 自评等级. One unreadable file never stops the batch: it is reported and the rest go through.
"""

from __future__ import annotations

import errno
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io import values as V
from perfkit.io.base import InputError
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
    """A label as matched (项目名称, 一级指标 …): NFKC, every space dropped."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _text(value: object) -> str:
    """A value as the unit wrote it (names, indicators, free text): trimmed, nothing else changed —
    「职业技能 培训」 keeps its space, a date cell reads 2022-12-31."""
    return (V.cell_text(value) or "").strip()


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
                        if text:
                            out[f + "_text"] = _text(v)
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
        target = table["target_value"].map(_text)
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


MONEY_LABELS = {"budget_initial": "年初预算数", "budget": "全年预算数", "spent": "全年执行数"}


def _score_numbers(values: pd.Series, label: str, problems: list[str]) -> pd.Series:
    """分值 / 得分 cells → numbers; one written in words (二十) is read, one that cannot be read is
    reported (the row keeps its place with the value blank, so the engine flags it 无法复算)."""
    out = []
    for v in values:
        text = _text(v)
        number = parse_number(text)
        if np.isnan(number) and text:
            number = V.chinese_number(text.removesuffix("分"))
            if np.isnan(number):
                problems.append(f"{label}「{text}」无法读取为数字，已留空，请核对")
        out.append(number)
    return pd.Series(out, index=values.index, dtype="float64")


def read_form(frame: pd.DataFrame | list[list[object]], file: str, sheet: str,
              problems: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """One project's 自评表 (one sheet, as a grid of cells or a frame read with its first row as header)
    → rows of the contract tables. Cells that could not be read are described in ``problems``."""
    problems = [] if problems is None else problems
    if isinstance(frame, pd.DataFrame):
        grid = _grid(frame)
        # the header row of pandas' read is part of the form too
        grid.insert(0, [None if str(c).startswith("Unnamed") else c for c in frame.columns])
    else:
        grid = [list(r) for r in frame]
    name = _text(_right_of(grid, "项目名称"))
    if not name:
        raise FormError("没有找到「项目名称」")
    dept = _text(_right_of(grid, "主管部门"))
    unit = _text(_right_of(grid, "实施单位")) or dept
    code = _text(_right_of(grid, "项目编码")) or _stable_id("F", file, sheet, name)
    year_text = next((_norm(v) for row in grid[:4] for v in row if re.search(r"\d{4}年度", _norm(v))), "")
    year = int(re.search(r"(\d{4})年度", year_text).group(1)) if year_text else None
    funds = _funds(grid)
    per_unit = _money_factor(grid)
    table, tail = _indicator_table(grid)
    unit_id = _stable_id("U", unit)
    project = {"project_id": code, "project_name": name, "unit_id": unit_id, "year": year}
    for key, label in MONEY_LABELS.items():
        value, fen_per = funds.get(key, np.nan), per_unit
        text = funds.get(key + "_text", "")
        if (value is None or np.isnan(value)) and text:  # 一百二十万, 120万元, 壹佰贰拾万元整
            value, in_yuan = V.amount_in_words(text)
            fen_per = FEN_PER_YUAN if in_yuan else per_unit
            if np.isnan(value):
                problems.append(f"{label}「{text}」无法读取为金额，已留空，请核对")
        project[key] = pd.NA if value is None or np.isnan(value) else int(np.floor(value * fen_per + 0.5))
    self_eval = pd.DataFrame({
        "project_id": code, "level1": table.get("level1"), "level2": table.get("level2"),
        "indicator": table["indicator"].map(_text), "target_text": table.get("target_text"),
        "actual_text": table["actual_text"].map(_text) if "actual_text" in table else None,
        "weight": _score_numbers(table["weight"], "分值", problems) if "weight" in table else np.nan,
        "unit_score": _score_numbers(table["unit_score"], "得分", problems) if "unit_score" in table else np.nan,
        "deviation_reason": table["deviation_reason"].map(_text) if "deviation_reason" in table else "",
    })
    grade = tail.get("unit_grade") or (_norm(_right_of(grid, "自评等级")) or None)
    summary = pd.DataFrame([{"project_id": code, "exec_weight": funds.get("exec_weight", np.nan),
                             "unit_exec_score": funds.get("unit_exec_score", np.nan),
                             "unit_total": tail.get("unit_total", np.nan), "unit_grade": grade}])
    units = pd.DataFrame([{"unit_id": unit_id, "unit_name": unit, "department": dept}])
    return {"units": units, "projects": pd.DataFrame([project]), "self_eval": self_eval, "self_summary": summary}


def _open_problem(exc: OSError) -> str:
    """Why a file could not be opened, in the user's terms."""
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是工作簿"
    if isinstance(exc, FileNotFoundError):
        return "快捷方式（符号链接）指向的文件不存在"
    if exc.errno == errno.ELOOP:
        return "快捷方式（符号链接）循环指向自身，无法打开"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return f"无法打开（系统错误 {exc.errno}）"


def _sheets(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of one form workbook as a grid of cells (Excel row r, column c at ``grid[r][c]``).

    calamine reads a form in milliseconds; merged cells keep their value in the first cell only, which
    is what the label lookups expect. A sheet declaring a used range too large to read is refused first."""
    from python_calamine import CalamineWorkbook

    from perfkit.io.load import _calamine_reason, _sheet_members, check_dimension

    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "directory", str(path))
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise FormError(_open_problem(exc)) from exc
    if not head:
        raise FormError("文件是空的（0 字节）")
    if path.suffix.lower() == ".xlsx" and head == CFB_MAGIC:
        raise FormError("文件有密码保护（已加密），请另存为不加密的工作簿后再导入")
    is_zip = zipfile.is_zipfile(path)
    if path.suffix.lower() == ".xlsx" and not is_zip:
        raise FormError("文件已损坏或不完整（不是有效的 .xlsx）")
    try:
        if is_zip:
            with zipfile.ZipFile(path) as z:
                for name, member in _sheet_members(z).items():
                    check_dimension(z, member, name, path.name)
        book = CalamineWorkbook.from_path(str(path))
        return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    except InputError as exc:
        raise FormError(str(exc).removeprefix(path.name)) from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormError("文件已损坏或不完整") from exc
    except Exception as exc:  # calamine's error types are private
        raise FormError(f"无法读取：{_calamine_reason(exc)}") from exc


def import_forms(folder: str | Path, progress: Callable[[Iterable], Iterable] | None = None) -> Imported:
    """Every .xlsx/.xls in ``folder`` (one project per sheet or per file) → the contract tables.

    One file that cannot be read (broken, encrypted, a folder or a dead link named *.xlsx) is reported
    and the batch goes on. A 项目编码 already imported from another form is reported and that form left
    out — two forms' indicators are never merged under one code (their weights would add up to 160)."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"找不到文件夹：{folder}")
    if not folder.is_dir():
        raise InputError(f"{folder}：不是文件夹（请给出存放自评表的文件夹）")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".xlsx", ".xls") and not p.name.startswith("~$"))
    parts: dict[str, list[pd.DataFrame]] = {"units": [], "projects": [], "self_eval": [], "self_summary": []}
    report = []
    seen: dict[str, str] = {}  # 项目编码 → where it was first imported
    for path in (progress or (lambda x: x))(files):
        rel = str(path.relative_to(folder))
        try:
            sheets = _sheets(path)
        except FormError as exc:
            report.append([rel, "", "未导入", str(exc)])
            continue
        for sheet, grid in sheets.items():
            if not any(_norm(v) for row in grid for v in row):
                report.append([rel, sheet, "跳过", "空工作表"])
                continue
            problems: list[str] = []
            try:
                rows = read_form(grid, rel, sheet, problems)
            except FormError as exc:
                report.append([rel, sheet, "未导入", str(exc)])
                continue
            code = str(rows["projects"]["project_id"].iloc[0])
            if code in seen:
                report.append([rel, sheet, "未导入", f"项目编码 {code} 已在 {seen[code]} 导入：两张表的指标不合并，"
                                                      "请核对项目编码后单独导入"])
                continue
            seen[code] = f"{rel}「{sheet}」"
            for k, v in rows.items():
                parts[k].append(v)
            n = len(rows["self_eval"])
            report.append([rel, sheet, "已导入", f"项目「{rows['projects']['project_name'].iloc[0]}」，{n} 个指标"])
            report.extend([rel, sheet, "注意", p] for p in problems)
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items() if v}
    if "units" in tables:
        tables["units"] = tables["units"].drop_duplicates("unit_id")
    if "projects" in tables:
        for c in ("budget_initial", "budget", "spent"):
            tables["projects"][c] = tables["projects"][c].astype("Int64")
        tables["projects"]["year"] = tables["projects"]["year"].astype("Int64")
    return Imported(tables, pd.DataFrame(report, columns=REPORT_COLUMNS))
