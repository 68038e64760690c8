"""One form as a grid of cells: its header block (labels and their values, the form's kind and year,
the money unit), its indicator table found by its header row, and its budget block (a row of money
headers or label rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from perfkit.io.form_words import (
    IND_FIELDS,
    LABELS,
    MONEY_HEADS,
    MONEY_LABELS,
    ROW_TOTAL_LABELS,
    TOTAL_ROWS,
    cell_raw,
    form_number,
    form_rate,
    header_key,
    month_of,
    parse_amount,
    plain_text,
    points_in,
)
from perfkit.io.values import FEN_PER_WAN, FEN_PER_YUAN

# ------------------------------------------------------------------------------------------ one grid


@dataclass
class Grid:
    """One table of a form as cells (row r, column c), and which cells the reader used."""

    cells: list[list[object]]
    file: str
    sheet: str
    used: set[tuple[int, int]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cells = [[None if cell_raw(v) == "" else v for v in row] for row in self.cells]
        self.keys = [[header_key(v) for v in row] for row in self.cells]
        self.end = len(self.cells)  # where the last indicator table read ended
        self.progress_month: int | None = None  # the month a monitoring column header names (1-6月完成情况)
        # a label and its value in one cell (项目名称：某项目, 年度资金总额：854万): the label's key, the value aside
        self.inline: dict[tuple[int, int], str] = {}
        for r, row in enumerate(self.cells):
            for c, v in enumerate(row):
                if v is None or self.keys[r][c] in LABEL_KEYS:
                    continue
                m = re.match(r"^\s*([^:：]{2,12}?)\s*[:：]\s*(\S.*)$", cell_raw(v), re.S)
                if m and header_key(m.group(1)) in INLINE_LABEL_KEYS:
                    self.keys[r][c] = header_key(m.group(1))
                    self.inline[(r, c)] = m.group(2).strip()

    def top(self, n: int) -> list[list[object]]:
        """The first ``n`` rows that hold anything (the title rows of a form further down a sheet)."""
        return [row for row in self.cells if any(v is not None for v in row)][:n]

    @property
    def rows(self) -> int:
        return len(self.cells)

    def get(self, r: int, c: int) -> object:
        row = self.cells[r] if 0 <= r < len(self.cells) else []
        return row[c] if 0 <= c < len(row) else None

    def take(self, r: int, c: int) -> object:
        self.used.add((r, c))
        return self.get(r, c)

    def where(self) -> str:
        return f"{self.file}「{self.sheet}」"


def _all_label_keys() -> set[str]:
    keys = {k for words in LABELS.values() for k in words}
    keys |= {k for words in MONEY_LABELS.values() for k in words}
    keys |= set(MONEY_HEADS) | {"项目属性", "项目类型", "项目类别", "项目期", "资金来源", "项目起止时间", "年度总体目标",
                                "预期目标", "实际完成情况", "联系电话", "联系人", "填报日期", "项目负责人", "项目责任人"}
    return keys


LABEL_KEYS = _all_label_keys()
INLINE_LABEL_KEYS = {k for words in (*LABELS.values(), *MONEY_LABELS.values()) for k in words} | {"填报日期", "填报单位"}
# labels that start another block of the form (a budget block ends there)
BLOCK_LABEL_KEYS = {k for words in LABELS.values() for k in words} | {"项目属性", "项目类型", "项目类别", "联系电话"}


def _is_label(key: str) -> bool:
    return key in LABEL_KEYS or key.startswith("其中")


def label_value(g: Grid, r: int, c: int) -> tuple[object, int | None]:
    """The value right of the label at (r, c): the next non-empty cell, unless that is itself a label
    (a blank value cell) — then nothing."""
    if (r, c) in g.inline:
        return g.inline[(r, c)], c
    row = g.cells[r]
    for cc in range(c + 1, len(row)):
        if row[cc] is not None:
            if _is_label(g.keys[r][cc]) or g.keys[r][cc] in IND_FIELDS["indicator"]:
                return None, None
            return row[cc], cc
    return None, None


def block_labels(g: Grid, stop: int) -> dict[str, tuple[str, tuple[int, int]]]:
    """{field: (value, position)} of the header-block labels above row ``stop``."""
    found: dict[str, tuple[str, tuple[int, int]]] = {}
    for r in range(min(stop, g.rows)):
        for c, key in enumerate(g.keys[r]):
            for name, words in LABELS.items():
                if key in words:
                    g.used.add((r, c))
                    value, vc = label_value(g, r, c)
                    rank = words.index(key)
                    if value is not None and (name not in found or found[name][2] > rank):
                        found[name] = (cell_raw(value), (r, vc), rank)  # type: ignore[assignment]
    out = {}
    for name, (value, pos, _rank) in found.items():  # type: ignore[misc]
        g.used.add(pos)
        out[name] = (value, pos)
    if "department" not in out and "unit" in out:  # 部门（单位）名称: one name for both
        r, c = out["unit"][1]
        label = next((g.keys[r][cc] for cc in range(c - 1, -1, -1) if g.keys[r][cc]), "")
        if (r, c) in g.inline:
            label = g.keys[r][c]
        if label in ("部门名称", "部门单位名称"):
            out["department"] = out["unit"]
    # 单位名称 beside 实施单位: the first names the unit filling in (the department), the second the implementer
    if "unit" in found and found["unit"][2] <= 1 and "department" not in found:
        for r in range(min(stop, g.rows)):
            for c, key in enumerate(g.keys[r]):
                if key == "单位名称":
                    value, vc = label_value(g, r, c)
                    if value is not None:
                        g.used.add((r, vc))
                        out["department"] = (cell_raw(value), (r, vc))
    return out


def form_kind(g: Grid, columns: dict[str, int]) -> str:
    """自评 / 目标 / 监控 from the title rows; failing that, from the indicator columns."""
    title = "".join(plain_text(v) for row in g.top(3) for v in row if v is not None) + plain_text(g.sheet)
    if "监控" in title:
        return "监控"
    if "自评" in title or "评价" in title:
        return "自评"
    if any(w in title for w in ("目标表", "申报表", "审批表", "目标申报", "绩效目标")):
        return "目标"
    if "progress" in columns or "likelihood" in columns:
        return "监控"
    return "自评" if {"actual", "score"} & columns.keys() else "目标"


def form_year(g: Grid) -> int | None:
    """The budget year: a 年度 label (年度 | 2022, 预算年度：2022), else (2022年度) or 2022年 in the title rows."""
    for r, row in enumerate(g.keys[:20]):
        for c, key in enumerate(row):
            if key in ("年度", "预算年度", "所属年度", "填报年度", "评价年度"):
                value, vc = label_value(g, r, c)
                m = re.fullmatch(r"((?:19|20)\d{2})(?:年|年度)?(?:\.0)?", plain_text(value))
                if m:
                    g.used.update({(r, c), (r, vc)})
                    return int(m.group(1))
    for row in g.top(8):
        for v in row:
            m = re.search(r"(?:预算|所属|填报)?年度[:：]\s*((?:19|20)\d{2})", plain_text(v))
            if m:
                return int(m.group(1))
    for row in g.top(6):
        for v in row:
            m = re.search(r"((?:19|20)\d{2})\s*年度", plain_text(v))
            if m:
                return int(m.group(1))
    for row in g.top(2):
        for v in row:
            m = re.search(r"((?:19|20)\d{2})\s*年", plain_text(v))
            if m:
                return int(m.group(1))
    return None


def money_unit_of(g: Grid, stop: int) -> int:
    """元 if the block says so (金额单位：元, 项目资金（元）, 预算数(元)), else 万元."""
    for r in range(min(stop, g.rows)):
        for v in g.cells[r]:
            text = plain_text(v)
            if re.search(r"单位[:：]?元$|\(元\)|（元）|单位:元", text) and "万元" not in text:
                return FEN_PER_YUAN
    return FEN_PER_WAN


# ------------------------------------------------------------------------------------------ indicator table


def indicator_header_row(g: Grid, start: int = 0) -> int | None:
    for r in range(start, g.rows):
        keys = set(g.keys[r])
        if keys & set(IND_FIELDS["indicator"]) and keys & {"一级指标", "二级指标"}:
            return r
    return None


def indicator_columns(g: Grid, r: int) -> tuple[dict[str, int], dict[int, str]]:
    """{field: column} of the indicator header row; repeated headers: 分值 right after the indicator
    column, else the block under a 年度 group label, else the first. {column: header} of the others."""
    candidates: dict[str, list[int]] = {}
    for c, key in enumerate(g.keys[r]):
        for name, words in IND_FIELDS.items():
            if key in words:
                candidates.setdefault(name, []).append(c)
                break
    for c, key in enumerate(g.keys[r]):  # 1-6月完成情况, 截至9月累计完成值 …: a monitoring column
        if "progress" not in candidates and re.fullmatch(
                r"(?:\d{1,2}-|截至|截止)?\d{1,2}月(?:底|末)?(?:累计)?(?:指标)?(?:完成|执行)(?:情况|值|数)?", key):
            candidates["progress"] = [c]
            g.progress_month = month_of(re.sub(r"(?:指标)?(?:完成|执行)(?:情况|值|数)?$", "执行数", key), "执行数")
    if "target" not in candidates:  # a checklist's 指标解释 / 绩效标准 is its standard
        for c, key in enumerate(g.keys[r]):
            if key in ("指标解释", "绩效标准", "评价标准"):
                candidates["target"] = [c]
                g.notes.append(f"没有「指标值」列，以「{cell_raw(g.cells[r][c])}」列作为指标值")
                break

    def group(c: int) -> str:
        if r == 0:
            return ""
        for cc in range(c, -1, -1):
            if g.cells[r - 1][cc] if cc < len(g.cells[r - 1]) else None:
                return plain_text(g.cells[r - 1][cc])
        return ""

    columns: dict[str, int] = {}
    ind = candidates.get("indicator", [None])
    for name, cols in candidates.items():
        if len(cols) == 1:
            columns[name] = cols[0]
        elif name == "weight":
            after = [c for c in cols if ind[0] is not None and c > max(i for i in ind if i is not None)]
            columns[name] = after[0] if after else cols[-1]
        else:
            yearly = [c for c in cols if "年度" in group(c)]
            columns[name] = yearly[0] if yearly else cols[0]
    others = {}
    for c, v in enumerate(g.cells[r]):
        if v is not None and c not in columns.values():
            before = next((cell_raw(g.cells[r][cc]) for cc in range(c - 1, -1, -1) if g.cells[r][cc] is not None), "")
            repeated = sum(1 for x in g.keys[r] if x == g.keys[r][c]) > 1
            others[c] = f"{before}」后的「{cell_raw(v)}" if repeated and before else cell_raw(v)
    for c in range(len(g.cells[r])):
        g.used.add((r, c))
    return columns, others


def _is_section(g: Grid, r: int) -> str | None:
    texts = {plain_text(v) for v in g.cells[r] if v is not None}
    if len(texts) == 1:
        text = texts.pop()
        if any(w in text for w in ("长期", "中期", "年度绩效", "年度指标")) and len(text) <= 12:
            return text
    return None


@dataclass
class Block:
    """One project's rows of an indicator table (a sheet holds one, or several in the multi-project layout)."""

    rows: list[dict[str, object]] = field(default_factory=list)
    head: dict[str, object] = field(default_factory=dict)
    start: int = 0


def indicator_table(g: Grid, hr: int, columns: dict[str, int], others: dict[int, str]
           ) -> tuple[list[Block], dict[str, object], int]:
    """The rows under the header row: blocks of indicator rows, the 总分/合计 row, where the table ends."""
    blocks = [Block(start=hr + 1)]
    tail: dict[str, object] = {}
    section = None
    skipped_sections: list[str] = []
    multi = "p_name" in columns
    department = None
    level_cols = [columns.get(k) for k in ("level1", "level2", "indicator") if k in columns]
    end = g.rows
    for r in range(hr + 1, g.rows):
        row_keys = g.keys[r]
        if r > hr + 1 and (indicator_header_row(g, r) == r or _starts_form(g, r)):
            end = r
            break
        first = [k for k in row_keys[: max(level_cols, default=0) + 1] if k]
        if first and first[0] in TOTAL_ROWS or (row_keys and any(k in TOTAL_ROWS for k in row_keys[:4])):
            tail = _total_row(g, r, columns)
            end = r + 1
            break
        sec = _is_section(g, r)
        if sec is not None:
            section = sec
            for c, v in enumerate(g.cells[r]):
                if v is not None:
                    g.used.add((r, c))
            continue
        rec = {name: g.get(r, c) for name, c in columns.items()}
        if not any(cell_raw(v) for v in rec.values()):
            continue
        if multi and (cell_raw(rec.get("p_name")) or cell_raw(rec.get("p_unit")) and not cell_raw(rec.get("indicator"))):
            if not cell_raw(rec.get("p_name")) and not cell_raw(rec.get("indicator")):  # a 部门合计 row
                texts = "、".join(cell_raw(v) for v in g.cells[r] if v is not None)
                g.notes.append(f"第{r + 1}行「{texts}」是部门合计行（无项目、无指标）：其部门作为以下项目的主管部门，"
                               "合计金额未导入")
                department = cell_raw(rec.get("p_unit"))
                for c, v in enumerate(g.cells[r]):
                    if v is not None:
                        g.used.add((r, c))
                continue
            if blocks[-1].rows or blocks[-1].head:
                blocks.append(Block(start=r))
            blocks[-1].head = {k: g.take(r, columns[k]) for k in ("p_unit", "p_name", "p_budget", "p_code", "p_goal")
                               if k in columns}
            blocks[-1].head["row"] = r
            blocks[-1].head["p_dept"] = department
            if cell_raw(blocks[-1].head.get("p_goal")):
                g.notes.append(f"第{r + 1}行项目「{cell_raw(blocks[-1].head.get('p_name'))}」的年度目标"
                               f"「{cell_raw(blocks[-1].head['p_goal'])}」未导入（数据表没有年度目标）")
        level1_text = plain_text(rec.get("level1"))
        if level1_text.startswith(("预算执行", "预算资金执行", "资金执行")):
            tail.setdefault("exec_rows", []).append(r)  # type: ignore[union-attr]
            continue
        if section is not None and "年度" not in section:
            skipped_sections.append(f"第{r + 1}行")
            continue
        rec["_row"] = r
        for name, c in columns.items():
            if not name.startswith("p_") and g.get(r, c) is not None:
                g.used.add((r, c))
        blocks[-1].rows.append(rec)
    if skipped_sections:
        g.notes.append(f"「{section if section and '年度' not in section else '长期绩效指标'}」等非年度指标 "
                       f"{len(skipped_sections)} 行（{skipped_sections[0]}起）未导入：绩效目标只记年度指标")
        for r in range(hr + 1, end):
            if f"第{r + 1}行" in skipped_sections:
                for c, v in enumerate(g.cells[r]):
                    if v is not None:
                        g.used.add((r, c))
    for c, header in others.items():
        filled = [r for r in range(hr + 1, end) if g.get(r, c) is not None and (r, c) not in g.used]
        if filled:
            g.notes.append(f"「{header}」列（{len(filled)} 格，第{filled[0] + 1}–{filled[-1] + 1}行）未导入：数据表没有此列，"
                           "请在原表查看")
            g.used.update((r, c) for r in filled)
    return [b for b in blocks if b.rows or b.head], tail, end


def _starts_form(g: Grid, r: int) -> bool:
    """A row that begins another form further down the sheet: its 项目名称 label, or a title row."""
    if any(k in LABELS["project"] for k in g.keys[r][:3]):
        return True
    texts = {plain_text(v) for v in g.cells[r] if v is not None}
    return len(texts) == 1 and bool(re.search(r"绩效.*表", next(iter(texts))))


def _total_row(g: Grid, r: int, columns: dict[str, int]) -> dict[str, object]:
    """The 总分/合计 row: a score in the 得分 column is the unit's total; a number only under 分值/权重 is a
    weight sum (checked, never a self-score)."""
    tail: dict[str, object] = {"row": r}
    for c, key in enumerate(g.keys[r]):  # the 总分 label; what else the row holds is used below or named
        if key in TOTAL_ROWS:
            g.used.add((r, c))
    if "score" in columns and not np.isnan(form_number(g.get(r, columns["score"]))):
        tail["total"] = form_number(g.take(r, columns["score"]))
    if "weight" in columns and not np.isnan(form_number(g.get(r, columns["weight"]))):
        tail["weight_sum"] = form_number(g.take(r, columns["weight"]))
    if "total" not in tail and "weight_sum" not in tail:
        numbers = [(c, form_number(v)) for c, v in enumerate(g.cells[r]) if not np.isnan(form_number(v))]
        if numbers:
            tail["total"] = numbers[-1][1]
            g.used.add((r, numbers[-1][0]))
    grade = next(((c, plain_text(v)) for c, v in enumerate(g.cells[r]) if plain_text(v) in ("优", "良", "中", "差")), None)
    if grade:
        tail["grade"] = grade[1]
        g.used.add((r, grade[0]))
    return tail


# ------------------------------------------------------------------------------------------ budget block


def budget_from_header(g: Grid, stop: int, fen: int) -> dict[str, object]:
    """A row of money headers with the 年度资金总额/合计 row under it."""
    for r in range(min(stop, g.rows)):
        heads: dict[int, str] = {}
        for c, key in enumerate(g.keys[r]):
            name = MONEY_HEADS.get(key)
            if name is None and month_of(key, "执行数") is not None:
                name = "month_spent"
            if name is not None and name not in heads.values():
                heads[c] = name
        if not ({"budget", "budget_initial", "month_spent"} & set(heads.values()) and
                {"spent", "exec_rate", "exec_score", "month_spent"} & set(heads.values())):
            continue
        out: dict[str, object] = {"row": r}
        for c in range(len(g.cells[r])):
            if g.cells[r][c] is not None:
                g.used.add((r, c))
        for c, name in heads.items():
            if name == "exec_weight" and not np.isnan(points_in(g.cells[r][c])):
                out["exec_weight"] = points_in(g.cells[r][c])
            if name == "exec_score" and not np.isnan(points_in(g.cells[r][c])):
                out.setdefault("exec_weight", points_in(g.cells[r][c]))
            if name == "month_spent":
                out["month"] = month_of(g.keys[r][c], "执行数")
        first = min(heads)
        data_rows = []
        for rr in range(r + 1, min(stop, g.rows)):
            label = next((header_key(v) for v in g.cells[rr][:first] if cell_raw(v)), "")
            if label in BLOCK_LABEL_KEYS or "目标" in label:
                break  # the next block of the form (年度总体目标 …)
            if any(g.get(rr, c) is not None for c in heads):
                data_rows.append((rr, label))
        if not data_rows:
            return out
        main = next((x for x in data_rows if x[1] in ROW_TOTAL_LABELS), data_rows[0])
        rr = main[0]
        for c in range(first):
            if g.get(rr, c) is not None:
                g.used.add((rr, c))
        for c, name in heads.items():
            v = g.take(rr, c)
            if v is None:
                continue
            if name in ("budget_initial", "budget", "spent", "month_spent", "forecast"):
                fen_value, rest, problem = parse_amount(v, fen)
                out[name] = fen_value
                if problem:
                    g.notes.append(f"第{rr + 1}行「{cell_raw(g.cells[r][c])}」{problem}，已留空，请核对")
                elif rest:
                    g.notes.append(f"第{rr + 1}行「{cell_raw(g.cells[r][c])}」金额后的文字「{rest}」未导入")
            elif name == "exec_rate":
                out[name] = form_rate(v)
                out["exec_rate_text"] = plain_text(v)
            else:
                number = form_number(v)
                if np.isnan(number):
                    m = re.match(r"^(\d+(?:\.\d+)?)分?[×xX*]", plain_text(v))  # 20分×执行率
                    number = float(m.group(1)) if m and name == "exec_weight" else np.nan
                    if np.isnan(number):
                        g.notes.append(f"第{rr + 1}行「{cell_raw(g.cells[r][c])}」「{cell_raw(v)}」无法读取为数字，已留空，请核对")
                out[name] = number
        subs = [x for x in data_rows if x[0] != rr]
        carried = [x for x in subs if any(cell_raw(g.get(x[0], c)) not in ("", "/", "—", "-") for c in heads)]
        if carried:
            names = "、".join(cell_raw(next((v for v in g.cells[x[0]][:first] if v is not None), f"第{x[0] + 1}行"))
                             for x in carried)
            g.notes.append(f"资金分项（{names}）未导入：项目表只记总额")
        for x in subs:
            for c, v in enumerate(g.cells[x[0]]):
                if v is not None:
                    g.used.add((x[0], c))
        return out
    return {}


def budget_from_labels(g: Grid, stop: int, fen: int) -> dict[str, object]:
    """Money written as label | value (年度资金总额 | 854万(…), 其中：财政拨款 | …, 计划投资额 | 570)."""
    out: dict[str, object] = {}
    subs: list[str] = []
    found: list[tuple[str, int, int, int, object]] = []  # (field, rank, row, column, value)
    for r in range(min(stop, g.rows)):
        for c, key in enumerate(g.keys[r]):
            if not key or (r, c) in g.used:  # a row of a header-style budget block is read there
                continue
            name = next((n for n, words in MONEY_LABELS.items() if key in words), None)
            is_sub = key.startswith("其中") or key in ("其他资金", "财政拨款", "自有资金", "上年结转资金", "实际到位资金",
                                                    "中央补助", "地方资金", "省级财政安排", "中央补助安排", "当年财政拨款",
                                                    "资金性质")
            if name is None and not is_sub:
                continue
            value, vc = label_value(g, r, c)
            g.used.add((r, c))
            if value is None:
                continue
            g.used.add((r, vc))
            if name is not None:
                found.append((name, MONEY_LABELS[name].index(key), r, c, value))
            else:
                subs.append(f"{cell_raw(g.cells[r][c])} {cell_raw(value)}")
    # the most specific label of each field (当年年度预算 before 项目总预算); the others are named
    best = {name: min((f for f in found if f[0] == name), key=lambda f: (f[1], f[2])) for name, *_ in found}
    for name, _rank, r, c, value in found:
        if best[name][2:4] != (r, c):
            subs.append(f"{cell_raw(g.cells[r][c])} {cell_raw(value)}")
            continue
        amount, rest, problem = parse_amount(value, fen)
        if problem:
            g.notes.append(f"第{r + 1}行「{cell_raw(g.cells[r][c])}」{problem}，已留空，请核对")
            out[name] = None
            continue
        out[name] = amount
        if rest:
            g.notes.append(f"第{r + 1}行「{cell_raw(g.cells[r][c])}」金额后的文字「{rest}」未导入（项目表只记总额）")
    if subs:
        g.notes.append("资金分项未导入（项目表只记总额）：" + "；".join(subs))
    if "total" not in out:  # a cost breakdown (项目 | 金额 | 测算依据 …) whose 合计 row is the budget
        for r in range(min(stop, g.rows)):
            if "金额" in g.keys[r]:
                c = g.keys[r].index("金额")
                for rr in range(r + 1, min(stop, g.rows)):
                    if "合计" in g.keys[rr][:c] and g.get(rr, c) is not None:
                        amount, _, problem = parse_amount(g.get(rr, c), fen)
                        if not problem:
                            out["total"] = amount
                            g.used.update({(rr, c), *((rr, cc) for cc in range(c) if g.keys[rr][cc] == "合计")})
                            g.notes.append(f"表上没有年度资金总额，以第{rr + 1}行成本测算「合计」{cell_raw(g.get(rr, c))} 作预算数")
                        break
                break
    return out



def has_label(g: Grid, stop: int, name: str) -> bool:
    return any(k in LABELS[name] for row in g.keys[:stop] for k in row)
