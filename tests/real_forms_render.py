"""Render the real-forms corpus (forms.json) into the layouts the provinces print, for ``import-forms``.

Each record of the corpus is a transcription of one published form. Here it becomes a workbook (or a
Word table, or an old .xls) laid out as that province prints it: title rows, merged cells, the header
wordings of its family (年初目标值(A), 年度指标值, 当年预期实现值, 年初指标值/年终完成值, 全年实际值, 自评分…),
its budget block (项目资金 rows, 预算数(A)|执行数(B)|得分, 资金来源 rows, 年度资金总额 written as text,
元 vs 万元), blank label cells, 合计/总分 rows, a sheet with two projects (r19 + r20), copies of one form.

Nothing here reads perfkit: the layouts are written from the corpus alone, and :func:`expected_values`
lists, per record, the values a reader must bring back (or name in its report).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def corpus_path() -> Path | None:
    """forms.json: $PERFKIT_REAL_FORMS, else the shared folder beside the clone (../shared/real-forms)."""
    env = os.environ.get("PERFKIT_REAL_FORMS")
    candidates = [Path(env)] if env else []
    candidates += [up / "shared" / "real-forms" / "forms.json" for up in (ROOT.parent, ROOT.parent.parent)]
    return next((p for p in candidates if p.is_file()), None)


def records() -> list[dict]:
    path = corpus_path()
    return json.loads(path.read_text(encoding="utf-8")) if path else []


# --------------------------------------------------------------------------------------------- grids


@dataclass
class Sheet:
    """One printed table: cells by (row, column), 0-based, and merged ranges (r1, c1, r2, c2)."""

    title: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    r: int = 0

    def row(self, values: list[object], spans: dict[int, int] | None = None, at: int | None = None) -> int:
        """Write ``values`` on the next row; ``spans`` {column: width} merges cells to the right."""
        r = self.r if at is None else at
        for c, v in enumerate(values):
            if v is not None and v != "":
                self.cells[(r, c)] = v
        for c, width in (spans or {}).items():
            if width > 1:
                self.merges.append((r, c, r, c + width - 1))
        self.r = max(self.r, r + 1)
        return r

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r2, c2) != (r1, c1):
            self.merges.append((r1, c1, r2, c2))

    @property
    def width(self) -> int:
        return 1 + max([c for _, c in self.cells] + [m[3] for m in self.merges] + [0])


def write_xlsx(sheets: list[Sheet], path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for s in sheets:
        ws = wb.create_sheet(s.title[:31])
        for (r, c), v in s.cells.items():
            cell = ws.cell(r + 1, c + 1, v)
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"  # a printed "=10个" is text, not a formula
        for r1, c1, r2, c2 in s.merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_xls(sheets: list[Sheet], path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for s in sheets:
        ws = book.add_sheet(s.title[:31])
        inside = {(r, c) for r1, c1, r2, c2 in s.merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r1, c1, r2, c2 in s.merges:
            ws.write_merge(r1, r2, c1, c2, s.cells.get((r1, c1)))
        for (r, c), v in s.cells.items():
            if (r, c) not in inside:
                ws.write(r, c, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return path


def write_docx(sheets: list[Sheet], path: Path) -> Path:
    """Each sheet as a Word table under its title paragraph (merged cells merged in Word)."""
    from docx import Document

    doc = Document()
    for s in sheets:
        rows, cols = s.r, s.width
        table = doc.add_table(rows=rows, cols=cols)
        for (r, c), v in s.cells.items():
            table.cell(r, c).text = str(v)
        for r1, c1, r2, c2 in s.merges:
            keep = s.cells.get((r1, c1))
            merged = table.cell(r1, c1).merge(table.cell(r2, c2))
            merged.text = "" if keep is None else str(keep)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


WRITERS: dict[str, Callable[[list[Sheet], Path], Path]] = {".xlsx": write_xlsx, ".xls": write_xls, ".docx": write_docx}

# --------------------------------------------------------------------------------------------- helpers


def _n(v: object) -> str:
    """A number as a form prints it (no trailing .0)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _pct(v: object) -> str:
    return "" if v is None else f"{_n(v)}%"


def _title_block(s: Sheet, title: str, year: object, width: int) -> None:
    s.row([title], {0: width})
    s.row([f"（{year}年度）" if year else "（    年度）"], {0: width})


def _labels(s: Sheet, pairs: list[tuple[str, object]], width: int) -> None:
    """Label | value pairs, two per row; a blank value stays a blank cell (the next label is not a value)."""
    for i in range(0, len(pairs), 2):
        row: list[object] = []
        spans: dict[int, int] = {}
        half = width // 2
        for k, (label, value) in enumerate(pairs[i:i + 2]):
            base = k * half
            row += [label, None] + [None] * (half - 2)
            row[base + 1] = value
            spans[base + 1] = half - 1
        s.row(row, spans)


def _indicator_rows(s: Sheet, first_col: int, columns: list[tuple[str, Callable[[dict], object]]],
                    indicators: list[dict], merge_level1: bool = True, merge_level2: bool = True) -> tuple[int, int]:
    """The indicator table: header row, then one row per indicator; level-1/2 labels merged vertically
    over their rows (printed in the first row only, as Excel stores a merged cell)."""
    header = [None] * first_col + [h for h, _ in columns]
    top = s.row(header)
    names = [h for h, _ in columns]
    prev: dict[str, tuple[object, int]] = {}
    for ind in indicators:
        values = [f(ind) for _, f in columns]
        r = s.r
        for key, merge in (("一级指标", merge_level1), ("二级指标", merge_level2)):
            if key in names and merge:
                c = names.index(key)
                v = values[c]
                if key in prev and prev[key][0] == v and v not in (None, ""):
                    values[c] = None
                    start = prev[key][1]
                    s.merges = [m for m in s.merges if not (m[0] == start and m[1] == first_col + c)]
                    s.merge(start, first_col + c, r, first_col + c)
                else:
                    prev[key] = (v, r)
                    if key == "一级指标":
                        prev.pop("二级指标", None)
        s.row([None] * first_col + values)
    return top, s.r - 1


def _target(ind: dict) -> object:
    return ind.get("target")


def _parts(ind: dict, *keys: str) -> object:
    parts = ind.get("target_parts") or {}
    return next((parts[k] for k in keys if k in parts), None)


def _self_eval(rec: dict, *, budget_head: list[tuple[str, object]], money_label: str,
               sub_rows: list[tuple[str, list[object]]], columns: list[tuple[str, Callable[[dict], object]]],
               total: list[tuple[str, object]] | None, title: str = "项目支出绩效自评表",
               goals: tuple[str, str] = ("", ""), grade: object = None, extra_labels: list | None = None) -> Sheet:
    """The 自评表 family: header block, 项目资金 block, 年度总体目标, indicator table, 总分 row."""
    width = max(len(columns) + 1, len(budget_head) + 2)
    s = Sheet(rec["id"])
    _title_block(s, title, rec["year"], width)
    s.row(["项目名称", rec["project"]], {1: width - 1})
    _labels(s, [("主管部门", rec["department"]), ("实施单位", rec["unit"]), *(extra_labels or [])], width)
    top = s.row([money_label, None] + [h for h, _ in budget_head])
    s.row([None, "年度资金总额"] + [v for _, v in budget_head])
    for label, values in sub_rows:
        s.row([None, label] + values)
    s.merge(top, 0, s.r - 1, 0)
    g = s.row(["年度总体目标", "预期目标", None, None, "实际完成情况"], {1: 3, 4: width - 4})
    s.row([None, goals[0], None, None, goals[1]], {1: 3, 4: width - 4})
    s.merge(g, 0, g + 1, 0)
    t, end = _indicator_rows(s, 1, columns, rec["indicators"])
    s.cells[(t, 0)] = "绩效指标"
    s.merge(t, 0, end, 0)
    if total is not None:
        names = [h for h, _ in columns]
        row: list[object] = [None] * (len(columns) + 1)
        row[0] = "总分"
        for h, v in total:
            row[1 + names.index(h)] = v
        if grade is not None:
            row[len(columns)] = grade
        s.row(row, {0: 3})
    return s


def _target_form(rec: dict, *, title: str, columns: list[tuple[str, Callable[[dict], object]]],
                 money: list[tuple[str, object]], money_unit: str = "万元", goal: str = "",
                 labels: list[tuple[str, object]] | None = None, left_label: str | None = "年度绩效指标",
                 merge_level1: bool = True) -> Sheet:
    """The 绩效目标表/申报表 family: header block, 项目资金 label rows, 年度总体目标, indicator table."""
    width = max(len(columns) + 1, 6)
    s = Sheet(rec["id"])
    _title_block(s, title, rec["year"], width)
    s.row([f"金额单位：{money_unit}"], {0: width})
    _labels(s, labels or [("项目名称", rec["project"]), ("主管部门及代码", rec["department"]),
                          ("实施单位", rec["unit"]), ("项目属性", "延续项目")], width)
    top = s.r
    for label, value in money:
        s.row([f"项目资金（{money_unit}）" if s.r == top else None, label, value], {2: width - 2})
    if money:
        s.merge(top, 0, s.r - 1, 0)
    s.row(["年度总体目标", goal or "按计划完成年度任务"], {1: width - 1})
    t, end = _indicator_rows(s, 1, columns, rec["indicators"], merge_level1=merge_level1)
    if left_label:
        s.cells[(t, 0)] = left_label
        s.merge(t, 0, end, 0)
    return s


def _cmp_value_unit(ind: dict) -> tuple[object, object, object]:
    p = ind.get("target_parts") or {}
    return p.get("指标性质"), p.get("指标值"), p.get("度量单位")


STD_TARGET_COLUMNS: list[tuple[str, Callable[[dict], object]]] = [
    ("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
    ("指标值", _target)]

# --------------------------------------------------------------------------------------------- families


def r01(rec: dict) -> list[Sheet]:  # S1 四川 2023 自评表, split target cells, 合计 row = weight sum only
    b = rec["budget"]
    subs = [(x["label"], [x["initial"], x["full_year"], x["executed"], x["rate"], x["weight"], x["score"]])
            for x in b["sub_rows"]]
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("指标性质", lambda i: _cmp_value_unit(i)[0]), ("指标值", lambda i: _cmp_value_unit(i)[1]),
            ("度量单位", lambda i: _cmp_value_unit(i)[2]), ("完成值", lambda i: i["actual"]),
            ("权重", lambda i: i["weight"]), ("得分", lambda i: i["score_published"]),
            ("偏差原因分析及改进措施", lambda i: i["deviation_note"])]
    s = _self_eval(rec, money_label="项目资金（万元）",
                   budget_head=[("年初预算数", b["initial"]), ("全年预算数", b["full_year"]), ("全年执行数", b["executed"]),
                                ("执行率", f"{b['rate_published']:.2f}%"), ("分值", b["weight"]), ("得分", None)],
                   sub_rows=subs, columns=cols, total=[("权重", 100)], title="部门预算项目支出绩效自评表",
                   goals=("对照年度目标,说明相关任务目标的完成情况(100字以内)", ""))
    return [s]


def r21(rec: dict) -> list[Sheet]:  # N1 national 自评表: money cells carry 万, 分值 100 in the budget row
    b, p = rec["budget"], rec["budget"]["printed_cells"]
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("年度指标值", _target), ("实际完成值", lambda i: i["actual"]), ("分值", lambda i: i["weight"]),
            ("得分", lambda i: i["score_published"]), ("偏差原因分析及改进措施", lambda i: i["deviation_note"])]
    subs = [(x["label"], x["values"]) for x in b["sub_rows"]]
    return [_self_eval(rec, money_label="项目资金（万元）",
                       budget_head=[("年初预算数", p["initial"]), ("全年预算数", p["full_year"]),
                                    ("全年执行数", p["executed"]), ("分值", p["weight"]), ("执行率", p["rate"]),
                                    ("得分", p["score"])],
                       sub_rows=subs, columns=cols, total=None,
                       goals=("为更好的建设行政服务大厅窗口建设", "本年度财政拨款为150万元"))]


def _h1(rec: dict) -> list[Sheet]:  # H1 湖北 (A)/(B) 自评表: 预算数(A)|执行数(B)|执行率(B/A)|得分(20分*执行率)
    b = rec["budget"]
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("年初目标值(A)", _target), ("实际完成值(B)", lambda i: i["actual"]), ("得分", lambda i: i["score_published"]),
            ("偏差大或目标未完成原因分析", lambda i: i["deviation_note"])]
    s = Sheet(rec["id"])
    width = len(cols) + 1
    s.row([f"{rec['year'] or ''}年{rec['project']}项目自评表".replace("年年", "年")], {0: width})
    s.row(["单位名称", rec["department"], None, "填报日期", "2021年4月22日"], {1: 2, 4: 3})
    s.row(["项目名称", rec["project"]], {1: width - 1})
    s.row(["实施单位", rec["unit"]], {1: width - 1})
    top = s.row(["预算执行情况（万元）（20分）", None, "预算数(A)", "执行数(B)", "执行率(B/A)", "得分(20分*执行率)"])
    s.row([None, None, _n(b["full_year"]), _n(b["executed"]), _pct(b["rate_published"]), _n(b["score_published"])])
    s.merge(top, 0, top + 1, 1)
    s.row(["年度总体目标完成情况", "按计划完成"], {1: width - 1})
    t, end = _indicator_rows(s, 1, cols, rec["indicators"])
    s.cells[(t, 0)] = "年度绩效目标（80分）"
    s.merge(t, 0, end, 0)
    if rec["total_published"] is not None:
        s.row(["总分", None, None, None, None, None, rec["total_published"]], {0: 3})
    return [s]


def r27(rec: dict) -> list[Sheet]:  # B1 北京 2016: 分值 before 指标值, 得分计算方法 text columns
    b = rec["budget"]
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("分值", lambda i: i["weight"]), ("年度指标值(A)", _target), ("全年实际值(B)", lambda i: i["actual"]),
            ("得分计算方法", lambda i: i.get("score_method_printed")), ("得分", lambda i: i["score_published"]),
            ("未完成原因分析", lambda i: i["deviation_note"])]
    return [_self_eval(rec, money_label="项目资金（万元）",
                       budget_head=[("年初预算数(A)", b["initial"]), ("全年执行数(B)", b["executed"]),
                                    ("分值（10分）", b["weight"]), ("执行率(B/A)", _pct(b["rate_published"])),
                                    ("得分", b["score_published"]), ("得分计算方法", b["score_method_printed"])],
                       sub_rows=[("其中：本年一般公共预算拨款", [b["initial"], b["executed"]]), ("其他资金", [])],
                       columns=cols, total=None)]


def r04(rec: dict) -> list[Sheet]:  # E1 湖北 county score sheet: 项目决策/管理/绩效, 年初指标值|年终完成值|自评分
    b = rec["budget"]
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("年初指标值", _target), ("年终完成值", lambda i: i["actual"]), ("分值", lambda i: i["weight"]),
            ("自评分", lambda i: i["score_published"]), ("复核分", lambda i: i.get("review_score")),
            ("评价标准及依据", lambda i: i.get("criterion"))]
    s = Sheet(rec["id"])
    width = len(cols)
    s.row(["财政预算支出项目绩效目标自评表"], {0: width})
    s.row([f"（{rec['year']}年度）", None, None, None, None, None, "自评总分", rec["total_published"]], {0: 6})
    s.row(["项目名称", rec["project"]], {1: width - 1})
    s.row(["项目主管单位", rec["department"], None, None, "项目实施单位", rec["unit"]], {1: 3, 5: width - 5})
    top = s.row(["资金来源（万元）", "中央", "省、地", "本级", "其他", "合计", "执行数", "执行率"])
    s.row([None, None, None, None, None, _n(b["full_year"]), _n(b["executed"]), _pct(b["rate_published"])])
    s.merge(top, 0, top + 1, 0)
    s.row(["年度目标", "1.完成乡村道路建设养护里程 300 公里; 2. 3."], {1: width - 1})
    _indicator_rows(s, 0, cols, rec["indicators"])
    return [s]


def r05(rec: dict) -> list[Sheet]:  # E2 scoring only: 一级|分值|二级|分值|三级|分值|得分 (a .docx original)
    b = rec["budget"]

    def split(label: str | None) -> tuple[str | None, str | None]:
        m = re.match(r"^(.*?)\s*(\d+)$", label or "")
        return (m.group(1), m.group(2)) if m else (label, None)

    s = Sheet(rec["id"])
    s.row([f"{rec['project']}绩效自评表"], {0: 7})
    s.row(["项目名称", rec["project"]], {1: 6})
    s.row(["主管部门", rec["department"], None, "实施单位", rec["unit"]], {1: 2, 4: 3})
    s.row(["项目资金（万元）", "计划投资额", _n(b["full_year"]), "实际到位资金", _n(b["funds_arrived"]),
           "实际使用情况", _n(b["executed"])])
    s.row(["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "得分"])
    last: dict[str, object] = {}
    for ind in rec["indicators"]:
        l1, w1 = split(ind["level1"])
        l2, w2 = split(ind["level2"])
        row = [l1 if last.get("l1") != l1 else None, w1 if last.get("l1") != l1 else None,
               l2 if last.get("l2") != l2 else None, w2 if last.get("l2") != l2 else None,
               ind["name"], _n(ind["weight"]), _n(ind["score_published"])]
        last = {"l1": l1, "l2": l2}
        s.row(row)
    return [s]


def r09(rec: dict) -> list[Sheet]:  # C1 重庆 checklist 自评表: 指标解释|自评内容|完成情况|支撑材料, no scores
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("指标解释", _target), ("自评内容", lambda i: i.get("self_eval_item")),
            ("完成情况", lambda i: i["actual"]), ("未完成原因及改进措施", lambda i: i["deviation_note"]),
            ("需提供的支撑材料", lambda i: i.get("evidence_required"))]
    s = Sheet(rec["id"])
    s.row([rec["project"] + "绩效自评表"], {0: len(cols)})
    s.row(["项目名称", rec["project"]], {1: len(cols) - 1})
    s.row(["年度预算资金总额（万元）", _n(rec["budget"]["full_year"])], {1: len(cols) - 1})
    top, end = _indicator_rows(s, 0, cols, rec["indicators"])
    # the repeated 三级指标 of the second row is one merged cell in the original
    for r in range(top + 1, end + 1):
        if s.cells.get((r, 2)) == s.cells.get((r - 1, 2)) and s.cells.get((r, 2)):
            del s.cells[(r, 2)]
            s.merge(r - 1, 2, r, 2)
    return [s]


def r03(rec: dict) -> list[Sheet]:  # D1 福建 部门整体: circled-number columns; header 万元, figures in 元 (.xls)
    b = rec["budget"]
    heads = ["年初预算数①", "上年结转②", "年中调整③", "小计④=①+②+③", "执行数⑤", "支出实现率⑥=⑤/④",
             "本年度结余金额⑦=④-⑤", "资金结余率⑧=⑦/④"]
    s = Sheet(rec["id"])
    s.row([f"{rec['year']}年度部门整体支出绩效自评表"], {0: 9})
    s.row(["部门（单位）名称", rec["unit"]], {1: 8})
    top = s.row(["资金结构（万元）"] + heads)
    for x in b["sub_rows"]:
        s.row([x["label"]] + list(x["values"]))
    s.row(["年度目标", "目标1 确保本委在职及退休人员工资、福利的发放"], {1: 8})
    del top
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("指标解释", lambda i: None), ("绩效目标值", _target), ("实际完成值", lambda i: i["actual"]),
            ("指标分值", lambda i: i["weight"]), ("得分", lambda i: i["score_published"])]
    _indicator_rows(s, 0, cols, rec["indicators"])
    return [s]


def r06(rec: dict) -> list[Sheet]:  # T1 湖南 整体绩效目标表 in traditional characters with pinyin
    cols = [("一級指標(biāo)", lambda i: i["level1"]), ("二級指標(biāo)", lambda i: i["level2"]),
            ("三級指標(biāo)", lambda i: i["name"]), ("指標(biāo)值類型", lambda i: _parts(i, "指標(biāo)值類型")),
            ("*指標(biāo)值", lambda i: _parts(i, "*指標(biāo)值")), ("計量單位", lambda i: _parts(i, "計(jì)量單位")),
            ("*指標(biāo)解釋", lambda i: i.get("explanation")), ("*評(扣)分標準", lambda i: i.get("scoring_rule"))]
    s = Sheet(rec["id"])
    s.row([rec["project"]], {0: 8})
    s.row(["單位名稱", rec["unit"], None, None, "主管部門", rec["department"]], {1: 3, 5: 3})
    s.row(["年度總體績效目標", "做好涉案、價格認定工作。"], {1: 7})
    _indicator_rows(s, 0, cols, rec["indicators"])
    return [s]


def _money_rows(rec: dict, first: str = "年度资金总额") -> list[tuple[str, object]]:
    b = rec["budget"]
    rows = [(x["label"].rstrip(":：").strip(), x.get("value")) for x in b.get("sub_rows") or []]
    if not rows or not any(label.startswith(("年度资金总额", "资金总额", "年度金额", "项目总预算")) for label, _ in rows):
        rows.insert(0, (first, _n(b["initial"])))
    return rows


def r07(rec: dict) -> list[Sheet]:  # T2 四川广元 目标申报表: one mixed 指标值 column, extra 绩效指标 column
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("指标值（包含数字及文字描述）", _target)]
    return [_target_form(rec, title="项目支出绩效目标申报表", columns=cols, money=_money_rows(rec),
                         labels=[("项目名称", rec["project"]), ("主管部门", rec["department"]),
                                 ("实施单位", rec["unit"]), ("项目属性", "延续项目")],
                         left_label="绩效指标")]


def r10(rec: dict) -> list[Sheet]:  # T3 宁乡: stacked 长期 / 年度 blocks, 指标内容|指标值|备注
    b = rec["budget"]
    money = [("资金总额", f"{b['initial']}万元")] + [(x["label"], x["value"]) for x in b["sub_rows"]]
    s = Sheet(rec["id"])
    _title_block(s, "项目绩效目标表", rec["year"], 6)
    _labels(s, [("项目名称", rec["project"]), ("主管部门", rec["department"]), ("实施单位", rec["unit"]),
                ("项目起止时间", "2021年度")], 6)
    for k, (label, value) in enumerate(money):
        s.row(["项目资金" if k == 0 else None, label, value], {2: 4})
    s.row(["一级指标", "二级指标", "指标内容", "指标值", "备注"], at=None)
    section = None
    for ind in rec["indicators"]:
        if ind["section"] != section:
            section = ind["section"]
            s.row([section], {0: 5})
        s.row([ind["level1"], ind["level2"], ind["name"], ind["target"], None])
    return [s]


def r11(rec: dict) -> list[Sheet]:  # T4 湖北鄂州: cost breakdown + 绩效标准|当年预期实现值 (.docx)
    b = rec["budget"]
    s = Sheet(rec["id"])
    s.row([f"鄂州市{rec['year']}年市直部门预算项目支出绩效目标表"], {0: 6})
    s.row(["项目名称", rec["project"], None, "实施单位", rec["unit"]], {1: 2, 4: 2})
    s.row(["成本测算", "项目", "金额", "测算依据", "2020年实际执行数", "2021年实际执行数"])
    for x in b["sub_rows"]:
        s.row([None, x["label"], x["amount"], x["basis"], x["actual_2020"], x["actual_2021"]])
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("绩效标准", lambda i: i.get("standard")), ("当年预期实现值", _target)]
    _indicator_rows(s, 0, cols, rec["indicators"])
    return [s]


def r13(rec: dict) -> list[Sheet]:  # T5 重庆 目标审批表: level-1 score ranges, 分值 after 指标值
    b = rec["budget"]
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("指标值", _target), ("分值", lambda i: i["weight"]), ("指标解释", lambda i: None)]
    money = [(x["label"], x["value"]) for x in b["sub_rows"]]
    s = _target_form(rec, title="项目支出绩效目标审批表", columns=cols, money=money, left_label=None)
    s.row([None, "预算执行（10分）", None, "年度预算执行率", "100%", "10分"])
    return [s]


def _t6(rec: dict) -> list[Sheet]:  # T6 湖南 目标申报表: value + unit in one cell, money text in 万
    return [_target_form(rec, title="绩效目标申报表", columns=STD_TARGET_COLUMNS, money=_money_rows(rec),
                         labels=[("项目名称", rec["project"]), ("主管部门", rec["department"]),
                                 ("实施单位", rec["unit"]), ("项目属性", "延续项目")])]


def r18(rec: dict) -> list[Sheet]:  # R1 重庆 区域绩效目标表: 单位 column + value repeating the unit
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("三级指标", lambda i: i["name"]),
            ("单位", lambda i: _parts(i, "单位")), ("指标值", lambda i: _parts(i, "指标值"))]
    s = Sheet(rec["id"])
    _title_block(s, f"{rec['project']}区域绩效目标表", rec["year"], 6)
    s.row(["项目名称", rec["project"]], {1: 5})
    s.row(["区县主管部门", rec["department"], None, "区县财政部门", rec["unit"]], {1: 2, 4: 2})
    for label, value in _money_rows(rec):
        s.row([label, value], {1: 5})
    t, end = _indicator_rows(s, 1, cols, rec["indicators"])
    s.cells[(t, 0)] = "绩效指标"
    s.merge(t, 0, end, 0)
    return [s]


def r19_r20(recs: list[dict]) -> list[Sheet]:  # M1 四川 multi-project 目标申报表 (one sheet, two projects, 元)
    s = Sheet("目标申报表")
    heads = ["单位名称", "项目名称", "预算数", "年度目标", "一级指标", "二级指标", "三级指标", "指标性质", "指标值",
             "度量单位", "权重", "指标方向性"]
    s.row([f"部门预算项目绩效目标申报表（{recs[0]['year']}年度）"], {0: len(heads)})
    s.row(["金额单位：元"], {0: len(heads)})
    s.row(heads)
    s.row([recs[0]["department"], None, recs[0]["budget"]["department_total_printed"]])
    for rec in recs:
        start = s.r
        for k, ind in enumerate(rec["indicators"]):
            c, v, u = _cmp_value_unit(ind)
            head = [rec["unit"], rec["project"], rec["budget"]["printed_amount"],
                    "按时发放村组干部报酬" if rec["id"] == "r19" else "包括必要的办公用品费、水电费等村社区办公经费"]
            s.row((head if k == 0 else [None] * 4)
                  + [ind["level1"], ind["level2"], ind["name"], c, v, u, ind["weight"], ind.get("direction")])
        for col in range(4):
            s.merge(start, col, s.r - 1, col)
    return [s]


def r22(rec: dict) -> list[Sheet]:  # K1 湖北 监控表: 指标值|半年度执行情况|完成目标可能性, 1-6月执行数
    b = rec["budget"]
    s = Sheet(rec["id"])
    s.row([f"黄石市项目支出绩效监控表（{rec['project']}）"], {0: 7})
    s.row([f"（{rec['year']}年度）", None, None, None, None, "单位：万元"], {0: 5, 5: 2})
    s.row(["项目名称", rec["project"]], {1: 6})
    s.row(["主管部门", rec["department"], None, "实施单位", rec["unit"]], {1: 2, 4: 3})
    top = s.row(["项目资金", None, "年初预算数", "1-6月执行数", "全年预计执行数"])
    s.row([None, "年度资金总额", _n(b["initial"]), _n(b["executed_to_month"]), _n(b["full_year_forecast"])])
    s.row([None, "其中：当年一般公共预算拨款", "220", "87.57", None])
    s.merge(top, 0, top + 2, 0)
    cols = [("一级指标", lambda i: i["level1"]), ("二级指标", lambda i: i["level2"]), ("指标名称", lambda i: i["name"]),
            ("指标值", _target), ("半年度指标执行情况", lambda i: i.get("progress_actual")),
            ("完成目标可能性", lambda i: i.get("likelihood")), ("备注", lambda i: None)]
    _indicator_rows(s, 0, cols, rec["indicators"])
    return [s]


def r23(rec: dict) -> list[Sheet]:  # T7 湖北 目标表: 长期 and 年度 blocks side by side
    s = Sheet(rec["id"])
    _title_block(s, "项目支出绩效目标表", rec["year"], 7)
    _labels(s, [("项目名称", rec["project"]), ("主管部门及代码", rec["department"]),
                ("实施单位", rec["unit"]), ("项目属性", "基础建设、修缮类")], 8)
    for x in rec["budget"]["sub_rows"]:
        s.row(["项目资金" if x is rec["budget"]["sub_rows"][0] else None, x["label"].rstrip(":："), x["value"]],
              {2: 5})
    s.row([None, "长期绩效目标", None, None, "年度绩效目标"], {1: 3, 4: 3})
    s.row(["一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值"])
    for ind in rec["indicators"]:
        lt = ind["long_term"]
        s.row([ind["level1"], lt["level2"], lt["name"], lt["target"], ind["level2"], ind["name"], ind["target"]])
    return [s]


def r24(rec: dict) -> list[Sheet]:  # T8 甘肃 省级目标表: 成本指标 as level 1, 项目总投资 rows
    money = [(x["label"], x["value"]) for x in rec["budget"]["sub_rows"]]
    return [_target_form(rec, title="省级部门预算项目支出绩效目标表", columns=STD_TARGET_COLUMNS, money=money,
                         labels=[("一级项目名称", "文化事业发展专项资金"), ("二级项目名称", rec["project"].split(" / ")[-1]),
                                 ("主管部门", rec["department"]), ("实施单位", rec["unit"])])]


def r25(rec: dict) -> list[Sheet]:  # T9 安徽 目标表: qualitative targets, 不适用 row, embedded line break
    return [_target_form(rec, title="项目支出绩效目标表", columns=STD_TARGET_COLUMNS, money=_money_rows(rec),
                         labels=[("项目名称", rec["project"]), ("主管部门及代码", rec["department"]),
                                 ("实施单位", rec["unit"]), ("项目期", "3年")], merge_level1=False)]


def r12(rec: dict) -> list[Sheet]:
    return _h1(rec)


def r26(rec: dict) -> list[Sheet]:
    return _h1(rec)


def r17(rec: dict) -> list[Sheet]:  # P1 宁夏: the 附件 table of the 公示 in the national 申报表 layout
    return [_target_form(rec, title="项目绩效目标申报表", columns=STD_TARGET_COLUMNS, money=_money_rows(rec),
                         labels=[("项目名称", rec["project"]), ("主管部门", rec["department"]),
                                 ("实施单位", rec["unit"]), ("资金来源", "中央财政衔接推进乡村振兴补助资金")])]


FAMILIES = {"r01": "S1", "r03": "D1", "r04": "E1", "r05": "E2", "r06": "T1", "r07": "T2", "r08": "T2", "r09": "C1",
            "r10": "T3", "r11": "T4", "r12": "H1", "r13": "T5", "r14": "T6", "r15": "T6", "r16": "T6", "r17": "P1",
            "r18": "R1", "r19": "M1", "r20": "M1", "r21": "N1", "r22": "K1", "r23": "T7", "r24": "T8", "r25": "T9",
            "r26": "H1", "r27": "B1"}
RENDER: dict[str, Callable[[dict], list[Sheet]]] = {
    "r01": r01, "r03": r03, "r04": r04, "r05": r05, "r06": r06, "r07": r07, "r08": r07, "r09": r09, "r10": r10,
    "r11": r11, "r12": r12, "r13": r13, "r14": _t6, "r15": _t6, "r16": _t6, "r17": r17, "r18": r18, "r21": r21,
    "r22": r22, "r23": r23, "r24": r24, "r25": r25, "r26": r26, "r27": r27}
# the file kind each form was published in (an .xls original, Word tables); the rest are .xlsx
SUFFIX = {"r03": ".xls", "r05": ".docx", "r11": ".docx", "r26": ".docx"}
# files a unit also drops in the inbox: copies of one form, and kinds perfkit cannot read
COPIES = {"r21 - 副本.xlsx": "r21", "r21.xls": "r21"}
UNREADABLE = {"r04原件.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "绩效目标表.wps": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
              "自评汇总.et": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "说明.txt": "请查收".encode()}


def render_corpus(folder: Path, recs: list[dict] | None = None, only: set[str] | None = None) -> dict[str, str]:
    """Write every record into ``folder`` in its printed layout; returns {file name: record id(s)}."""
    recs = records() if recs is None else recs
    by_id = {r["id"]: r for r in recs}
    manifest: dict[str, str] = {}
    for rid, render in RENDER.items():
        if rid not in by_id or (only and rid not in only):
            continue
        suffix = SUFFIX.get(rid, ".xlsx")
        WRITERS[suffix](render(by_id[rid]), folder / f"{rid}{suffix}")
        manifest[f"{rid}{suffix}"] = rid
    if {"r19", "r20"} <= by_id.keys() and (not only or {"r19", "r20"} & only):
        write_xlsx(r19_r20([by_id["r19"], by_id["r20"]]), folder / "马踏镇_目标申报表.xlsx")
        manifest["马踏镇_目标申报表.xlsx"] = "r19,r20"
    for name, rid in COPIES.items():
        if rid in by_id and (not only or rid in only):
            WRITERS[Path(name).suffix](RENDER[rid](by_id[rid]), folder / name)
            manifest[name] = rid
    if not only:
        for name, data in UNREADABLE.items():
            (folder / name).write_bytes(data)
            manifest[name] = ""
    return manifest


# --------------------------------------------------------------------------------------------- expected


def norm(value: object) -> str:
    """Comparison key: NFKC, no spaces, no pinyin annotations."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", text)
    return re.sub(r"\s+", "", text)


def money_fen(value: object, unit: str | None) -> int | None:
    if value is None:
        return None
    per = 100 if unit == "元" else 1_000_000
    return int((Decimal(str(value)) * per).to_integral_value())


# the standard level-1 name a printed one stands for, by its key word (first match wins)
LEVEL1_WORDS = (("满意", "满意度指标"), ("产出", "产出指标"), ("完成", "产出指标"), ("效益", "效益指标"),
                ("成本", "成本指标"), ("决策", "项目决策"), ("管理", "项目管理"), ("过程", "过程指标"))
_T2S = str.maketrans({"產": "产", "指": "指", "標": "标", "效": "效", "益": "益", "滿": "满", "經": "经", "濟": "济",
                      "數": "数", "質": "质", "時": "时", "會": "会", "態": "态", "級": "级", "項": "项", "資": "资"})


def expected_values(rec: dict) -> list[tuple[str, str, object]]:
    """(what, indicator name or '', value) the reader must bring back for one record, where printed."""
    out: list[tuple[str, str, object]] = [("项目名称", "", rec["project"])]
    for key, label in (("department", "主管部门"), ("unit", "实施单位")):
        if rec.get(key):
            out.append((label, "", rec[key]))
    b = rec["budget"]
    unit = b.get("unit_of_money") or "万元"
    money = {"initial": "年初预算数", "full_year": "全年预算数", "executed": "全年执行数"}
    if rec["form"] == "目标表":
        money = {"initial": "年初预算数"}
    for key, label in money.items():
        if b.get(key) is not None and unit != "?":
            out.append((label, "", money_fen(b[key], unit)))
    if rec["form"] == "监控表" and b.get("executed_to_month") is not None:
        out.append(("累计执行数", "", money_fen(b["executed_to_month"], unit)))
    for k, ind in enumerate(rec["indicators"]):
        name = ind["name"]
        if ind.get("section", "年度绩效指标") != "年度绩效指标":
            continue
        if not name:
            if not ind.get("target"):
                continue
            name = ind["level2"] or ind["level1"]
        out.append(("三级指标", name, name))
        level1 = next((full for word, full in LEVEL1_WORDS if word in norm(ind["level1"]).translate(_T2S)), None)
        if level1:
            out.append(("一级指标", name, level1))
        if ind.get("level2"):
            out.append(("二级指标", name, re.sub(r"\d+(\.\d+)?分?$", "", norm(ind["level2"]).translate(_T2S))))
        for key, label in (("target", "指标值"), ("actual", "实际完成值"), ("weight", "分值"),
                           ("score_published", "得分")):
            v = ind.get(key)
            if rec["form"] == "监控表" and key == "actual":
                v, label = ind.get("progress_actual"), "累计完成值"
            if key == "target" and ind.get("target_parts"):  # split cells: the value as its cells compose it
                p = {norm(k): x for k, x in ind["target_parts"].items()}
                value = norm(p.get("*指標值") or p.get("指标值") or "")
                unit_ = norm(p.get("計量單位") or p.get("度量单位") or p.get("单位") or "")
                op = norm(p.get("指标性质") or "")
                v = op + value + (unit_ if value and value[-1:].isdigit() else "")
            if v is not None and v != "":
                out.append((label, name, v))
        if rec["form"] == "监控表" and ind.get("likelihood"):
            out.append(("完成目标可能性", name, ind["likelihood"]))
    return out


# --------------------------------------------------------------------------------------------- scoring


def _number_text(v: object) -> str:
    try:
        return format(Decimal(str(v)).normalize(), "f")
    except Exception:  # noqa: BLE001 - any text
        return str(v)


def evaluate(tables: dict, report, recs: list[dict], manifest: dict[str, str]) -> list[dict]:
    """Per record and value: 'right' (imported as printed), 'named' (not imported, but the report names the
    value or its whole file) or 'silent' (lost without a word). ``tables`` are import_forms' tables."""
    import pandas as pd

    projects = tables.get("projects", pd.DataFrame(columns=["project_id", "project_name", "unit_id"]))
    units = tables.get("units", pd.DataFrame(columns=["unit_id", "unit_name", "department"]))
    files_of: dict[str, list[str]] = {}
    for name, ids in manifest.items():
        for rid in ids.split(","):
            if rid:
                files_of.setdefault(rid, []).append(name)
    out = []
    for rec in recs:
        if rec["id"] not in files_of:
            continue
        files = files_of[rec["id"]]
        lines = report[report["文件"].isin(files)]
        refused = lines["结果"].eq("未导入").any() and not lines["结果"].eq("已导入").any()
        noted = " ".join(norm(x) for x in lines.loc[lines["结果"].isin(["注意", "未导入"]), "说明"])
        want = norm(rec["project"])
        match = projects[projects["project_name"].map(lambda n, w=want: bool(norm(n)) and norm(n) in w)]
        p = match.iloc[0] if len(match) else None
        pid = None if p is None else p["project_id"]
        unit = units[units["unit_id"] == (None if p is None else p["unit_id"])]

        def rows(table: str, name: str, pid: object = pid) -> pd.DataFrame:
            t = tables.get(table)
            if t is None or pid is None:
                return pd.DataFrame()
            t = t[t["project_id"] == pid]
            return t[t["indicator"].map(norm) == norm(name)]

        for what, ind, value in expected_values(rec):
            got: list[object] = []
            if what == "项目名称":
                got = [] if p is None else [value]
            elif what == "主管部门":
                got = unit["department"].tolist()
            elif what == "实施单位":
                got = [f"{c}{n}" for c, n in zip(unit["unit_id"], unit["unit_name"], strict=True)] + \
                    unit["unit_name"].tolist()
            elif what in ("年初预算数", "全年预算数", "全年执行数"):
                col = {"年初预算数": "budget_initial", "全年预算数": "budget", "全年执行数": "spent"}[what]
                got = [] if p is None or pd.isna(p[col]) else [int(p[col])]
            elif what == "累计执行数":
                em = tables.get("exec_monitor")
                got = [] if em is None else em.loc[em["project_id"] == pid, "spent_cum"].astype(int).tolist()
            else:
                table_rows = pd.concat([rows(t, ind) for t in ("self_eval", "targets", "ind_monitor")])
                col = {"三级指标": "indicator", "一级指标": "level1", "二级指标": "level2", "指标值": "target_text", "实际完成值": "actual_text", "分值": "weight",
                       "得分": "unit_score", "累计完成值": "done_text", "完成目标可能性": "likelihood"}[what]
                if col in table_rows:
                    for v in table_rows[col].dropna():
                        got += str(v).split("；") if isinstance(v, str) else [v]
            if isinstance(value, int | float) and not isinstance(value, bool):
                right = any(_number_text(g) == _number_text(value) for g in got if g is not None and g == g)
            else:
                right = any(norm(g) == norm(value) or norm(value).endswith(norm(g)) and what == "实施单位" and norm(g)
                            for g in got)
            if right:
                status = "right"
            elif refused or (norm(value) and norm(value) in noted) or (
                    isinstance(value, int | float) and _number_text(value) in noted) or (
                    what in ("年初预算数", "全年预算数", "全年执行数") and
                    any(_number_text(Decimal(value) / d) in noted for d in (100, 1_000_000))):
                status = "named"
            else:
                status = "silent"
            out.append({"record": rec["id"], "family": FAMILIES[rec["id"]], "what": what, "indicator": ind,
                        "value": value, "got": got[:3], "status": status})
    return out
