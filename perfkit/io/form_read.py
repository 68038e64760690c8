"""Reading one form: the projects a grid holds (one form, or several stacked on one sheet), every
cell it did not use named, and its rows as the contract's tables."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

import numpy as np
import pandas as pd

from perfkit.io.form_grid import (
    LABEL_KEYS,
    Grid,
    block_labels,
    budget_from_header,
    budget_from_labels,
    form_kind,
    form_year,
    has_label,
    indicator_columns,
    indicator_header_row,
    indicator_table,
    label_value,
    money_unit_of,
)
from perfkit.io.form_words import (
    COMPARATOR_WORDS,
    LABELS,
    LIKELIHOOD_WORDS,
    BlankForm,
    FormError,
    cell_raw,
    form_number,
    header_key,
    level1_name,
    level2_name,
    parse_amount,
    plain_text,
    points_in,
    split_code,
    stable_id,
)
from perfkit.io.values import FEN_PER_WAN

# ------------------------------------------------------------------------------------------ one form


def _target_text(rec: dict[str, object], g: Grid | None = None, r: int = 0) -> str:
    """指标性质 | 指标值 | 度量单位 in cells of their own → one target (≥95%); a unit already written in
    the value (% | ≥95%) is not written twice; a unit that contradicts the value (28.8万元 | %) is named."""
    value = cell_raw(rec.get("target"))
    comparator = plain_text(rec.get("comparator"))
    comparator = COMPARATOR_WORDS.get(comparator, comparator)
    unit = plain_text(rec.get("unit"))
    if comparator and not value.startswith(("≥", "≤", ">", "<", "=", "＝", comparator)):
        value = comparator + value
    if unit and value and not value.endswith(unit):
        if re.search(r"\d$", value):
            value += unit
        elif g is not None:
            g.notes.append(f"第{r + 1}行计量单位「{cell_raw(rec.get('unit'))}」与指标值「{value}」不一致，未并入指标值")
    elif unit and not value and g is not None:
        g.notes.append(f"第{r + 1}行只填了计量单位「{cell_raw(rec.get('unit'))}」，没有指标值")
    return value


def _rows_frame(g: Grid, rows: list[dict[str, object]], kind: str) -> pd.DataFrame:
    """Indicator rows → one frame: levels inherited from merged cells, a blank 三级指标 either continuing the
    row above (a merged cell) or named after its level 2 (with a note)."""
    out: list[dict[str, object]] = []
    level1 = level2 = None
    for rec in rows:
        r = rec["_row"]
        raw1, raw2 = rec.get("level1"), rec.get("level2")
        if cell_raw(raw1):
            name, changed = level1_name(raw1)
            if name is None and cell_raw(raw2):  # 项目绩效 | 项目产出: the level-2 name says which block
                name, _ = level1_name(raw2)
                if name is not None:
                    g.notes.append(f"第{r + 1}行一级指标「{cell_raw(raw1)}」按其二级指标「{cell_raw(raw2)}」作「{name}」导入")
                    changed = False
            if changed and name is None:
                g.notes.append(f"第{r + 1}行一级指标「{cell_raw(raw1)}」不是标准一级指标，已留空；原文请见原表")
            elif changed and plain_text(raw1).rstrip("指标") not in (name or ""):
                g.notes.append(f"第{r + 1}行一级指标「{cell_raw(raw1)}」按「{name}」导入")
            if name != level1 or cell_raw(raw2):  # a level 1 printed again on every row keeps the merged level 2
                level2 = None
            level1 = name
        if cell_raw(raw2):
            level2 = level2_name(raw2)
        indicator = cell_raw(rec.get("indicator"))
        values = {"target_text": _target_text(rec, g, r), "actual_text": cell_raw(rec.get("actual")),
                  "progress": cell_raw(rec.get("progress")), "forecast": cell_raw(rec.get("forecast")),
                  "likelihood": cell_raw(rec.get("likelihood")), "deviation_reason": cell_raw(rec.get("deviation")),
                  "weight_raw": rec.get("weight"), "score_raw": rec.get("score")}
        if not indicator:
            if not any(cell_raw(v) for k, v in values.items()):
                continue
            if out and not cell_raw(raw2) and not cell_raw(raw1):  # a merged 三级指标 over two rows
                prev = out[-1]
                for k in ("target_text", "actual_text", "progress", "forecast", "deviation_reason"):
                    if values[k]:
                        prev[k] = "；".join(x for x in (prev[k], values[k]) if x)
                g.notes.append(f"第{r + 1}行三级指标为空（合并单元格），其内容并入上一行「{prev['indicator']}」")
                continue
            indicator = level2 or level1 or "未命名指标"
            g.notes.append(f"第{r + 1}行三级指标为空，以「{indicator}」作指标名称导入")
        out.append({"row": r, "level1": level1, "level2": level2, "indicator": indicator, **values})
    frame = pd.DataFrame(out)
    return frame


def _scores(g: Grid, frame: pd.DataFrame, col: str, label: str) -> pd.Series:
    result = []
    for r, v in zip(frame["row"], frame[col], strict=True):
        number = form_number(v)
        if np.isnan(number) and cell_raw(v) and plain_text(v) not in ("/", "-", "—", "——"):
            g.notes.append(f"第{r + 1}行{label}「{cell_raw(v)}」无法读取为数字，已留空，请核对")
        result.append(number)
    return pd.Series(result, index=frame.index, dtype="float64")


def read_grid(g: Grid) -> list[dict[str, object]]:
    """One table of a form → one entry per project: {kind, project, unit, tables…}. Cells that could not be
    read, and cells the reader did not use, go to ``g.notes``."""
    hr = indicator_header_row(g)
    if hr is None and ("说明" in g.sheet or "说明" in plain_text(g.get(0, 0))):
        raise BlankForm("填表说明，不是绩效表")
    if hr is None:
        raise FormError("没有找到指标表（缺少「一级指标/二级指标」与「三级指标/指标名称」表头）")
    columns, others = indicator_columns(g, hr)
    kind = form_kind(g, columns)
    title_text = "".join(plain_text(v) for row in g.top(3) for v in row if v is not None)
    whole = "整体" in title_text or "部门整体" in plain_text(g.sheet)
    labels = block_labels(g, hr)
    fen = money_unit_of(g, hr)
    year = form_year(g)
    budget = budget_from_header(g, hr, fen)
    money = budget_from_labels(g, hr, fen)
    blocks, tail, end = indicator_table(g, hr, columns, others)
    g.end = end
    if not blocks:
        raise FormError("指标表没有数据行")
    labels_after = _labels_after(g, end)
    for k, v in labels_after.items():
        labels.setdefault(k, v)
    projects = []
    prev_unit = None
    for b in blocks:
        head = b.head
        name = cell_raw(head.get("p_name")) or labels.get("project", ("", None))[0]
        if not name and has_label(g, hr, "project"):
            if not any(cell_raw(r.get("indicator")) or cell_raw(r.get("target")) for r in b.rows):
                raise BlankForm("空白表样（项目名称和指标都未填写）")
            raise FormError("「项目名称」一格为空，请填写后再导入")
        if not name:
            name = _untitled_name(g, labels, whole)
        code, name = (cell_raw(head.get("p_code")), name) if cell_raw(head.get("p_code")) else \
            (labels.get("project_code", ("", None))[0], name)
        printed_code, bare = split_code(name)
        if not code and printed_code:
            code, name = printed_code, bare
        dept = cell_raw(head.get("p_dept")) or labels.get("department", ("", None))[0]
        unit = cell_raw(head.get("p_unit")) or labels.get("unit", ("", None))[0]
        if head and not cell_raw(head.get("p_unit")) and prev_unit:
            unit = prev_unit
            g.notes.append(f"第{head['row'] + 1}行项目「{name}」的单位名称为空，沿用上一项目的单位「{unit}」")
        prev_unit = unit or prev_unit
        unit_code = labels.get("unit_code", ("", None))[0]
        unit_printed_code, unit_name = split_code(unit) if unit else ("", "")
        unit_code = unit_code or unit_printed_code
        if not unit_name and dept:
            _, unit_name = split_code(dept)
            g.notes.append("实施单位为空，以主管部门作为单位")
        if not unit_name and not dept:
            g.notes.append("主管部门、实施单位均为空：项目未关联单位，请补填「项目」表的单位编码")
        frame = _rows_frame(g, b.rows, kind)
        rows_raw = b.rows
        if frame.empty:
            g.notes.append(f"项目「{name}」没有可导入的指标行")
        entry = {"kind": kind, "whole": whole, "name": name, "code": code, "dept": dept, "unit_name": unit_name,
                 "unit_code": unit_code, "year": year, "frame": frame, "fen": fen, "rows_raw": rows_raw}
        if head.get("p_budget") is not None:
            amount, rest, problem = parse_amount(head["p_budget"], fen)
            entry["money"] = {"total": amount}
            if problem:
                g.notes.append(f"第{head['row'] + 1}行预算数{problem}，已留空，请核对")
        else:
            entry["money"] = money
            entry["budget"] = budget
        entry["tail"] = tail
        entry["total_label"] = labels.get("total", ("", None))[0]
        entry["grade_label"] = labels.get("grade", ("", None))[0]
        if "project_parent" in labels:
            g.notes.append(f"一级项目名称「{labels['project_parent'][0]}」未导入（项目表只记本项目名称）")
        projects.append(entry)
    _exec_rows(g, tail, columns, projects, kind)
    return projects


def _title(g: Grid) -> str:
    """The form's title: the first of its top rows holding one text only (a merged title cell)."""
    for row in g.top(3):
        texts = list(dict.fromkeys(cell_raw(v) for v in row if v is not None))
        if len(texts) == 1 and len(texts[0]) > 4:
            return texts[0]
    return ""


def _untitled_name(g: Grid, labels: dict, whole: bool) -> str:
    """A form without a 项目名称 label (部门整体 forms, unit-wide target tables): the title when it names the
    unit, else 部门整体支出（单位）, else the title; the report says so."""
    title = _title(g)
    unit = labels.get("unit", ("", None))[0] or labels.get("department", ("", None))[0]
    if title and unit and plain_text(split_code(unit)[1]) in plain_text(title):
        name = title
    elif whole and unit:
        name = f"部门整体支出（{split_code(unit)[1]}）"
    elif title:
        name = title
    else:
        raise FormError("没有找到「项目名称」，表上也没有标题")
    g.notes.append(f"表上没有「项目名称」，以「{name}」作项目名称导入")
    return name


def read_stacked(g: Grid) -> list[dict[str, object]]:
    """Every form of one sheet: a page can hold several forms one under another. Each further form is
    read from a copy of the grid with the rows above it blanked (row numbers stay those of the sheet)."""
    entries = read_grid(g)
    for entry in entries:
        entry["grid"] = g
    start = g.end
    while start < g.rows and indicator_header_row(g, start) is not None:
        rest = Grid([row if r >= start else [None] * len(row) for r, row in enumerate(g.cells)], g.file, g.sheet)
        try:
            more = read_grid(rest)
        except FormError as exc:
            g.notes.append(f"第{start + 1}行起的另一张表未导入：{exc}")
            break
        finally:
            g.used |= rest.used
            g.notes.extend(rest.notes)
        for entry in more:
            entry["grid"] = g
        entries += more
        if rest.end <= start:
            break
        start = rest.end
    return entries


def _labels_after(g: Grid, end: int) -> dict[str, tuple[str, tuple[int, int]]]:
    """Labels printed below the indicator table (自评等级, 自评总分 at the foot of some forms)."""
    found: dict[str, tuple[str, tuple[int, int]]] = {}
    for r in range(end, g.rows):
        for c, key in enumerate(g.keys[r]):
            for name in ("grade", "total"):
                if key in LABELS[name]:
                    g.used.add((r, c))
                    value, vc = label_value(g, r, c)
                    if value is not None:
                        g.used.add((r, vc))
                        found[name] = (cell_raw(value), (r, vc))
    return found


def _exec_rows(g: Grid, tail: dict[str, object], columns: dict[str, int], projects: list[dict], kind: str) -> None:
    """A 预算执行 row inside the indicator table (年度预算执行率 | 100% | 10分): the execution weight."""
    for r in tail.get("exec_rows", []) or []:  # type: ignore[union-attr]
        texts = [cell_raw(v) for v in g.cells[r] if v is not None]
        for c, v in enumerate(g.cells[r]):
            if v is not None:
                g.used.add((r, c))
        weight = next((points_in(t) for t in texts if not np.isnan(points_in(t))), np.nan)
        if kind == "自评" and projects:
            projects[0].setdefault("budget", {}).setdefault("exec_weight", weight)
        g.notes.append(f"第{r + 1}行预算执行目标「{' '.join(texts)}」未作为指标导入"
                       + (f"（执行率分值 {weight:g} 分）" if not np.isnan(weight) else ""))


def leftovers(g: Grid) -> list[str]:
    """Every non-empty cell the reader did not use, by row: the report names them all."""
    notes = []
    titled = False
    for r, row in enumerate(g.cells):
        left = [(c, cell_raw(v)) for c, v in enumerate(row) if v is not None and (r, c) not in g.used]
        if not left:
            continue
        if not titled and r < 3 and len(left) == 1 and re.search(r"表|年度", left[0][1]):
            titled = True
            continue  # the title
        if len(left) == 1 and re.fullmatch(r"[（(]?\s*(\d{4})?\s*年度\s*[)）]?|金额单位[:：]\s*万?元|单位[:：]\s*万?元",
                                           plain_text(left[0][1])):
            continue
        texts = [t for _, t in left if t not in ("/", "—", "-", "——", "无")]
        if all(header_key(t) in LABEL_KEYS or header_key(t).startswith("项目资金") for t in texts):
            continue  # labels whose value cells are blank: nothing to import
        if not texts:
            continue
        shown = "｜".join(t if len(t) <= 80 else t[:80] + "…" for t in texts)
        notes.append(f"第{r + 1}行未导入的内容：{shown}")
    return notes


# ------------------------------------------------------------------------------------------ rows of tables


# A 万元 amount this large (100 亿元) on one project's form is almost surely 元 typed under a 万元 header:
# imported as printed, and named in the report for the analyst to check.
SUSPECT_WAN_FEN = 1_000_000 * FEN_PER_WAN


def _money_fields(entry: dict) -> dict[str, object]:
    b, m = entry.get("budget") or {}, entry.get("money") or {}
    initial, budget, spent = b.get("budget_initial"), b.get("budget"), b.get("spent")
    if entry["kind"] == "目标" or (initial is None and budget is None and m.get("total") is not None
                                 and entry["kind"] != "自评"):
        initial = initial if initial is not None else m.get("total")
    elif budget is None and m.get("total") is not None:
        budget = m.get("total")
    if spent is None and m.get("spent") is not None:
        spent = m.get("spent")
    return {"budget_initial": initial, "budget": budget, "spent": spent}


def tables_of(entry: dict, file: str, sheet: str) -> dict[str, pd.DataFrame]:
    """One project read from a form → rows of the contract tables (internal names)."""
    unit_id = entry["unit_code"] or (stable_id("U", entry["unit_name"]) if entry["unit_name"] else None)
    code = entry["code"] or stable_id("F", entry["unit_name"] or entry["dept"], entry["name"], str(entry["year"] or ""))
    project = {"project_id": code, "project_name": entry["name"], "unit_id": unit_id, "year": entry["year"],
               **_money_fields(entry)}
    if entry["whole"]:
        project["category"] = "部门整体支出"
    if entry["fen"] == FEN_PER_WAN:
        for key, label in (("budget_initial", "年初预算数"), ("budget", "全年预算数"), ("spent", "全年执行数")):
            v = project[key]
            if v is not None and v >= SUSPECT_WAN_FEN:
                entry["grid"].notes.append(f"{label}按表头的万元读作 {Decimal(v) / FEN_PER_WAN:f} 万元（逾百亿元），"
                                           "数字像是以元填写，请核对金额单位")
    out: dict[str, pd.DataFrame] = {"projects": pd.DataFrame([project])}
    if unit_id:
        out["units"] = pd.DataFrame([{"unit_id": unit_id, "unit_name": entry["unit_name"] or entry["dept"],
                                      "department": entry["dept"] or None}])
    f = entry["frame"]
    g = entry["grid"]
    b = entry.get("budget") or {}
    if b.get("forecast") is not None:
        g.notes.append(f"全年预计执行数 {Decimal(b['forecast']) / FEN_PER_WAN:f} 万元未导入（执行监控只记累计执行数）")
    if entry["kind"] != "自评":
        shown = {"exec_weight": "预算执行分值", "exec_score": "预算执行得分", "exec_rate": "执行率"}
        for key, label in shown.items():
            v = b.get(key)
            if v is not None and not (isinstance(v, float) and np.isnan(v)):
                shown_value = f"{v * 100:g}%" if key == "exec_rate" else f"{v:g}"
                g.notes.append(f"{label} {shown_value} 未导入（{entry['kind']}表只记目标和金额）")
    if f.empty:
        return out
    dropped = {"目标": {"actual_text": "实际完成值", "deviation_reason": "偏差原因", "progress": "执行情况",
                        "forecast": "全年预计完成值", "likelihood": "完成目标可能性", "score_raw": "得分"},
               "监控": {"actual_text": "实际完成值", "score_raw": "得分"},
               "自评": {"progress": "执行情况", "forecast": "全年预计完成值", "likelihood": "完成目标可能性"}}
    for col, label in dropped[entry["kind"]].items():
        filled = f[f[col].map(cell_raw) != ""]
        if not filled.empty:
            g.notes.append(f"「{label}」{len(filled)} 格（第{filled['row'].iloc[0] + 1}行起）未导入："
                           f"{entry['kind']}表的这一项没有对应的数据表")
    words = sorted({plain_text(x.get("comparator")) for x in entry.get("rows_raw") or []} & {"定性", "定量"})
    if words:
        g.notes.append(f"指标值类型（{'、'.join(words)}）未导入：定性/定量由指标值判断")
    weight = _scores(g, f, "weight_raw", "分值")
    base = pd.DataFrame({"project_id": code, "level1": f["level1"], "level2": f["level2"],
                         "indicator": f["indicator"], "target_text": f["target_text"]})
    kind = entry["kind"]
    if kind == "自评":
        out["self_eval"] = base.assign(actual_text=f["actual_text"], weight=weight,
                                       unit_score=_scores(g, f, "score_raw", "得分"),
                                       deviation_reason=f["deviation_reason"])
        b, tail = entry.get("budget") or {}, entry.get("tail") or {}
        total = tail.get("total", np.nan)
        printed = form_number(entry["total_label"]) if entry.get("total_label") else np.nan
        if np.isnan(total):
            total = printed
        elif not np.isnan(printed) and printed != total:
            g.notes.append(f"表头的自评总分 {printed:g} 与总分行 {total:g} 不一致，导入总分行的数")
        grade = tail.get("grade") or (entry.get("grade_label") or None)
        exec_weight = b.get("exec_weight", np.nan)
        if "weight_sum" in tail and "total" not in tail:
            printed = tail["weight_sum"]
            computed = float(np.nansum(weight)) + (0 if np.isnan(exec_weight) else exec_weight)
            if abs(printed - computed) > 1e-9 and not np.isnan(weight).all():
                g.notes.append(f"合计行只印了分值合计 {printed:g}（不是自评得分），与各项分值之和 {computed:g} 不符")
        _check_rate(g, b, _money_fields(entry))
        out["self_summary"] = pd.DataFrame([{"project_id": code, "exec_weight": exec_weight,
                                             "unit_exec_score": b.get("exec_score", np.nan),
                                             "unit_total": total, "unit_grade": grade}])
    else:
        out["targets"] = base.assign(weight=weight)
        if kind == "监控":
            month = (entry.get("budget") or {}).get("month") or g.progress_month
            rows = f[(f["progress"] != "") | (f["likelihood"] != "") | (f["forecast"] != "")]
            if month and not rows.empty:
                like = rows["likelihood"].map(lambda t: LIKELIHOOD_WORDS.get(plain_text(t)))
                for r, t, lk in zip(rows["row"], rows["likelihood"], like, strict=True):
                    if t and lk is None:
                        g.notes.append(f"第{r + 1}行完成目标可能性「{t}」不是 确定能/有可能/完全不可能，已留空")
                out["ind_monitor"] = pd.DataFrame({
                    "project_id": code, "month": month, "indicator": rows["indicator"],
                    "done_text": rows["progress"].replace("", None), "forecast_text": rows["forecast"].replace("", None),
                    "likelihood": like, "deviation_reason": rows["deviation_reason"].replace("", None)})
            spent = (entry.get("budget") or {}).get("month_spent")
            if month and spent is not None:
                out["exec_monitor"] = pd.DataFrame([{"project_id": code, "month": month, "spent_cum": spent}])
            if not month and not rows.empty:
                g.notes.append("监控表没有写明截至月份（如「1-6月执行数」），执行情况未导入监控表，请补填月份")

    return out


def _check_rate(g: Grid, b: dict, money: dict) -> None:
    """The printed 执行率 is not imported (scoring recomputes it from 全年执行数 ÷ 全年预算数); where it
    disagrees with that quotient beyond its own rounding, the report says so."""
    text = b.get("exec_rate_text") or ""
    budget, spent = money.get("budget") or money.get("budget_initial"), money.get("spent")
    m = re.fullmatch(r"(\d+(?:\.(\d+))?)%", text)
    if not m or not budget or spent is None:
        return
    decimals = len(m.group(2) or "")
    computed = Decimal(spent) / Decimal(budget) * 100
    if abs(computed - Decimal(m.group(1))) > Decimal(5) / Decimal(10) ** (decimals + 1):
        g.notes.append(f"表上执行率 {text} 与 全年执行数÷全年预算数 = {computed:.2f}% 不符，评分按后者重算")


def form_signature(entry: dict) -> str:
    """What makes two files one form: the project, its unit and year, its money and its indicator rows."""
    f = entry["frame"]
    rows = []
    if not f.empty:
        for rec in f.drop(columns=["row"]).to_dict("records"):
            rows.append({k: (form_number(v) if k.endswith("cell_raw") else plain_text(v)) for k, v in rec.items()})
        rows = [{k: ("" if isinstance(v, float) and np.isnan(v) else str(v)) for k, v in r.items()} for r in rows]
    money = _money_fields(entry)
    return hashlib.sha1(json.dumps([entry["name"], entry["unit_name"], entry["year"], entry["kind"],
                                    {k: str(v) for k, v in money.items()}, rows],
                                   ensure_ascii=False).encode("utf-8")).hexdigest()
