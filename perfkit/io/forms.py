"""Importing published budget-performance forms (自评表, 绩效目标表/申报表/审批表, 监控表, 部门整体自评表)
into the contract's tables, in the layouts provinces print them.

A form is read as a grid of cells, by its wording, never by positions: the title says which form it is;
labels (项目名称, 主管部门, 实施单位, 项目编码 …) are followed by their value — a blank value cell stays
blank (the next label is never taken as a value); a budget block is either a row of money headers
(年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分, or 预算数(A) | 执行数(B) | 得分(20分*执行率), or
资金来源 中央 | 省、地 | 本级 | 合计 | 执行数) with the 年度资金总额/合计 row under it, or label rows
(年度资金总额 | 854万(…)); the indicator table is found by its header row, whatever the province calls
its columns (年度指标值, 年初目标值(A), 当年预期实现值, 年初指标值 | 年终完成值, 全年实际值, 自评分 …).

The contract with the user: every value a form carries is imported, or named in the import report
(导入报告.csv, 结果 注意) with where it stands — never lost silently. Every cell the reader did not use is
listed there. One unreadable file never stops the batch.
"""

from __future__ import annotations

import errno
import hashlib
import html
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io import values as V
from perfkit.io.base import InputError
from perfkit.io.contract import BY_NAME, LEVEL1
from perfkit.io.values import FEN_PER_WAN, FEN_PER_YUAN

REPORT_COLUMNS = ["文件", "工作表", "结果", "说明"]
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: .xls, .doc, .wps, .et, or an encrypted .xlsx
EXCEL = (".xlsx", ".xlsm", ".xls")
WORD = (".docx",)
# files a unit may send that perfkit does not read, and what to do with each
NOT_READ_ADVICE = {
    ".wps": "WPS 文字文件无法直接读取：请在 WPS 中“另存为” Word 文档（.docx）后再导入",
    ".et": "WPS 表格文件无法直接读取：请在 WPS 中“另存为” Excel 工作簿（.xlsx）后再导入",
    ".ett": "WPS 表格模板无法直接读取：请“另存为” Excel 工作簿（.xlsx）后再导入",
    ".doc": "旧版 Word 文件（.doc）无法直接读取：请“另存为” .docx 后再导入",
    ".pdf": "PDF 中的表格无法可靠读取（单元格会粘连、错位）：请向单位索取 Excel/Word 原件，"
            "或请单位按 perfkit template --forms 的空白表重新填写",
    ".ofd": "OFD 版式文件无法读取表格：请向单位索取 Excel/Word 原件",
    ".jpg": "图片无法读取：请向单位索取 Excel/Word 原件", ".jpeg": "图片无法读取：请向单位索取 Excel/Word 原件",
    ".png": "图片无法读取：请向单位索取 Excel/Word 原件",
    ".csv": "CSV 不是表样文件：整理好的数据表请直接用 perfkit validate/score 读取，不必导入",
    ".zip": "压缩包：请先解压到收件文件夹再导入", ".rar": "压缩包：请先解压到收件文件夹再导入",
}
OTHER_ADVICE = "不是 Excel（.xlsx/.xls）或 Word（.docx）表格文件，未读取；如是绩效表，请另存为 .xlsx 或 .docx"
EXCEL_CELL_MAX = 32_767  # characters one Excel cell holds (Microsoft, "Excel specifications and limits")
OUTPUT_PROPERTY = "perfkit-import-forms"  # custom property of the workbook import-forms writes

# ------------------------------------------------------------------------------------------ wording

# traditional → simplified for the characters of form headers and level names (r06-style pages)
_T2S = str.maketrans(dict(zip(
    "級標項稱單類實際預數資績評經濟質時會態護務門設計劃總額價認證鑒區產員業與對滿聯識體報號專傳統覽館紀現達導發準構開關內觀結屬種據場長選償動勞勵協書續應屆歷擔爭環節築變讓進運適還邊鄉醫針錢鐘鎮問間隊陽險隨雜雙難電頁領題風養點齊補釋說調論議財貨費賬購車農億萬們來個備勢圖團處夠學寬將層幹廣後從復戶擴斷條東檢樣機權檔歡歲歸沒減測無為現畫療監盡確積穩範簡紅紙組細終給綜綠維網緊線練縣義職聽興舉藝衛衝裝製複見規視覺記許詳語請談讀負責貧貫賦賽趕這遷遺鐵閱陸陳離雖靈響頭願顯飛飲驗黨證",
    "级标项称单类实际预数资绩评经济质时会态护务门设计划总额价认证鉴区产员业与对满联识体报号专传统览馆纪现达导发准构开关内观结属种据场长选偿动劳励协书续应届历担争环节筑变让进运适还边乡医针钱钟镇问间队阳险随杂双难电页领题风养点齐补释说调论议财货费账购车农亿万们来个备势图团处够学宽将层干广后从复户扩断条东检样机权档欢岁归没减测无为现画疗监尽确积稳范简红纸组细终给综绿维网紧线练县义职听兴举艺卫冲装制复见规视觉记许详语请谈读负责贫贯赋赛赶这迁遗铁阅陆陈离虽灵响头愿显飞饮验党证", strict=True)))
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_CIRCLED = re.compile(r"[①-⑳]")


def _raw(value: object) -> str:
    """A cell as the unit wrote it: trimmed, nothing else changed (「职业技能 培训」 keeps its space)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return (V.cell_text(value) or "").strip()


def _plain(value: object) -> str:
    """A label or level name as matched: NFKC, pinyin annotations dropped, simplified, no spaces."""
    text = unicodedata.normalize("NFKC", _raw(value))
    return re.sub(r"\s+", "", _PINYIN.sub("", text)).translate(_T2S)


def _key(value: object) -> str:
    """A header as matched: :func:`_plain`, without (A)/(B), （万元）, circled numbers, formulas, * and ★."""
    text = _plain(_CIRCLED.sub("", _raw(value))).lstrip("*★")
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)
    text = text.split("=")[0]
    return text.rstrip(":：")


def _points(value: object) -> float:
    """Points printed in a header or level name: 分值（10分）→ 10, 得分(20分*执行率) → 20, 产出指标(60分) → 60."""
    m = re.search(r"(\d+(?:\.\d+)?)分", _plain(value))
    return float(m.group(1)) if m else np.nan


# indicator-table headers → field (keys as :func:`_key` gives them)
IND_FIELDS: dict[str, tuple[str, ...]] = {
    "level1": ("一级指标",),
    "level2": ("二级指标",),
    "indicator": ("三级指标", "指标名称", "指标内容", "绩效指标名称", "三级指标名称"),
    "target": ("年度指标值", "指标值", "目标值", "年初目标值", "年初指标值", "当年预期实现值", "预期实现值", "绩效目标值",
               "年度目标值", "预期目标值", "计划完成值", "全年指标值", "年度绩效指标值"),
    "comparator": ("指标性质", "指标值类型", "比较方式"),
    "unit": ("度量单位", "计量单位", "单位"),
    "actual": ("实际完成值", "完成值", "全年实际值", "全年实际完成值", "年终完成值", "实际完成情况", "完成情况", "实际值",
               "全年完成值", "实际完成"),
    "progress": ("半年度指标执行情况", "指标执行情况", "累计完成值", "执行情况", "截至目前完成情况", "1-6月完成情况",
                 "半年完成情况"),
    "forecast": ("全年预计完成值", "全年预计完成情况", "预计全年完成值"),
    "likelihood": ("完成目标可能性",),
    "weight": ("分值", "权重", "指标分值", "标准分值", "权重分"),
    "score": ("得分", "自评分", "自评得分", "评分"),
    "deviation": ("偏差原因分析及改进措施", "偏差原因分析", "未完成原因分析", "偏差原因", "偏差大或目标未完成原因分析",
                  "未完成原因及改进措施", "偏差或不能完成目标原因分析", "原因分析及改进措施"),
    # the several-projects-per-sheet layout
    "p_unit": ("单位名称", "预算单位"), "p_name": ("项目名称",), "p_budget": ("预算数", "预算金额", "项目金额"),
    "p_code": ("项目编码", "项目代码"), "p_goal": ("年度目标",),
}
# a separate 指标性质 cell → the comparator written before the value
COMPARATOR_WORDS = {"定性": "", "定量": "", "正向": "≥", "正向指标": "≥", "反向": "≤", "反向指标": "≤",
                    "≧": "≥", "≦": "≤", ">=": "≥", "<=": "≤", "＝": "=", "等于": "=", "大于等于": "≥", "小于等于": "≤"}
LIKELIHOOD_WORDS = {"确定能": "确定能", "能": "确定能", "有可能": "有可能", "可能": "有可能", "不可能": "完全不可能",
                    "完全不可能": "完全不可能"}

# labels of the header block → field (first listed wins within a field)
LABELS: dict[str, tuple[str, ...]] = {
    "project": ("项目名称", "二级项目名称", "项目全称", "项目名称(全称)"),
    "project_parent": ("一级项目名称",),
    "project_code": ("项目编码", "项目代码", "项目编号"),
    "department": ("主管部门", "主管部门及代码", "项目主管单位", "区县主管部门", "主管单位", "项目主管部门"),
    "unit": ("实施单位", "项目实施单位", "单位名称", "部门(单位)名称", "部门单位名称", "部门名称", "预算单位",
             "区县财政部门"),
    "unit_code": ("单位编码", "单位代码"),
    "total": ("自评总分",),
    "grade": ("自评等级", "评价等级"),
}
# money given as label | value rows (target forms, 资金 blocks written line by line) → field
MONEY_LABELS: dict[str, tuple[str, ...]] = {
    "total": ("年度资金总额", "当年资金总额", "当年年度预算", "年度金额", "预算申报数", "年度预算资金总额", "资金总额",
              "项目总预算", "项目总投资", "计划投资额", "申报数", "项目预算数", "年度预算数"),
    "spent": ("实际使用情况", "实际支出数", "实际使用资金"),
}
# money headers of a budget row → field
MONEY_HEADS: dict[str, str] = {
    "年初预算数": "budget_initial", "年初预算": "budget_initial", "年初预算金额": "budget_initial",
    "全年预算数": "budget", "全年预算": "budget", "调整后预算数": "budget", "预算数": "budget", "合计": "budget",
    "小计": "budget", "全年预算金额": "budget",
    "全年执行数": "spent", "执行数": "spent", "实际执行数": "spent", "全年实际执行数": "spent",
    "分值": "exec_weight", "执行率": "exec_rate", "支出实现率": "exec_rate", "得分": "exec_score", "全年预计执行数": "forecast",
}
TOTAL_ROWS = ("总分", "合计", "总计", "综合得分", "自评总分")
ROW_TOTAL_LABELS = ("年度资金总额", "合计", "资金总额", "总计", "项目资金总额")
# level-1 names forms print beside the standard ones → the standard one
LEVEL1_SYNONYMS = {"项目完成指标": "产出指标", "完成指标": "产出指标", "项目效益指标": "效益指标",
                   "社会公众或服务对象满意度指标": "满意度指标", "服务对象满意度指标": "满意度指标",
                   "服务对象满意度": "满意度指标", "满意度": "满意度指标", "项目预算管理": "项目管理",
                   "预算管理": "项目管理", "项目产出": "产出指标", "项目效益": "效益指标"}


@dataclass
class Imported:
    """What a batch produced: the contract tables (internal names) and one report row per file/sheet/note."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    report: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))


class FormError(Exception):
    """A sheet or file is not a readable form; the message says why in the user's terms."""


class BlankForm(FormError):
    """A form nobody filled in (a blank template sheet, a 填表说明 sheet): skipped, and reported as such."""


def _has_label(g: Grid, stop: int, name: str) -> bool:
    return any(k in LABELS[name] for row in g.keys[:stop] for k in row)


def _stable_id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:10].upper()


def _split_code(text: str) -> tuple[str, str]:
    """A code printed in front of a name: [607001]某单位 / 820001-某单位 / 51000021R000000019951-工资性支出."""
    m = re.match(r"^[\[【(（]\s*([0-9A-Za-z]{3,})\s*[\]】)）]\s*(.+)$", text) or \
        re.match(r"^([0-9][0-9A-Za-z]{2,})\s*[-－—_]\s*(.+)$", text)
    return (m.group(1), m.group(2).strip()) if m else ("", text)


def level1_name(value: object) -> tuple[str | None, bool]:
    """A printed level-1 name → one of the contract's (产出指标(60分), 项目决策2分, 項目完成指標 …), and
    whether more than points or spacing changed. Unknown names → (None, True): the caller names them."""
    text = re.sub(r"\(?(\d+(\.\d+)?\s*[-–~至]\s*)?\d+(\.\d+)?\)?分|\(分\)|\(\)", "", _plain(value))
    text = text.replace("/", "").strip()
    if not text:
        return None, False
    if text in LEVEL1:
        return text, False
    if text in LEVEL1_SYNONYMS:
        return LEVEL1_SYNONYMS[text], True
    found = [(text.rfind(w), len(w), w) for w in (*LEVEL1, *LEVEL1_SYNONYMS) if w in text]
    if found:
        w = max(found)[2]
        return LEVEL1_SYNONYMS.get(w, w), True
    return None, True


def level2_name(value: object) -> str | None:
    """A level-2 name without points and spacing (数量指 标 15 分 → 数量指标), simplified characters."""
    text = re.sub(r"\(?\d+(\.\d+)?\)?分|\(分\)", "", _plain(value))
    text = re.sub(r"\d+(\.\d+)?$", "", text)
    return text or None


# ------------------------------------------------------------------------------------------ amounts

_CN_DIGIT = {"零": 0, "〇": 0, "○": 0, "Ｏ": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3,
             "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7,
             "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}


def _cn_section(text: str) -> Decimal | None:
    """Below 10 000: 一百二十 → 120, 一二〇 → 120 (digits written one by one), 十五 → 15, 一千零五 → 1005,
    一千二 → 1200 (the last unit's tenth, as people say it)."""
    if not text:
        return Decimal(0)
    if all(ch in _CN_DIGIT for ch in text):
        return Decimal("".join(str(_CN_DIGIT[ch]) for ch in text))
    total, number, last_unit, zero = Decimal(0), None, None, False
    for ch in text:
        if ch in _CN_DIGIT:
            if number is not None and _CN_DIGIT[ch] != 0:
                return None  # 一二百: two digits before a unit
            zero = zero or _CN_DIGIT[ch] == 0
            number = None if _CN_DIGIT[ch] == 0 else _CN_DIGIT[ch]
        elif ch in _CN_SMALL:
            unit = _CN_SMALL[ch]
            if last_unit is not None and unit >= last_unit:
                return None
            total += Decimal(number if number is not None else 1) * unit
            number, last_unit, zero = None, unit, False
        else:
            return None
    if number is not None:
        total += Decimal(number) * (Decimal(last_unit) / 10 if last_unit and not zero else 1)
    return total


def chinese_amount(text: str) -> Decimal | None:
    """Chinese numerals as amounts are written: 一百二十万 → 1 200 000, 一二〇万 → 1 200 000, 一一八万五千 →
    1 185 000, 两万三 → 23 000 (the 万's tenth), 壹佰贰拾万 → 1 200 000, 三点五万 → 35 000. None when the
    text is not such a number (the caller reports it)."""
    text = (text or "").strip()
    if not text:
        return None
    whole, _, frac = text.partition("点")
    big = None
    if frac and frac[-1] in _CN_BIG:
        big, frac = frac[-1], frac[:-1]
    parts = re.split(f"([{''.join(_CN_BIG)}])", whole)
    total, section_total = Decimal(0), Decimal(0)
    pieces = list(zip(parts[0::2], [*parts[1::2], ""], strict=True))
    for k, (section, unit) in enumerate(pieces):
        value = _cn_section(section)
        if value is None:
            return None
        last = k == len(pieces) - 1
        if last and not unit and section and len(section) == 1 and k > 0 and pieces[k - 1][1] and \
                section in _CN_DIGIT and _CN_DIGIT[section]:  # 两万三: the digit after 万 is thousands
            value = Decimal(_CN_DIGIT[section]) * _CN_BIG[pieces[k - 1][1]] / 10
        if unit == "亿" or unit == "億":
            total = (total + section_total + value) * _CN_BIG[unit]
            section_total = Decimal(0)
        elif unit:
            section_total += value * _CN_BIG[unit]
        else:
            section_total += value
    value = total + section_total
    if frac:
        if any(ch not in _CN_DIGIT for ch in frac):
            return None
        value += Decimal("0." + "".join(str(_CN_DIGIT[ch]) for ch in frac))
    if big:
        value *= _CN_BIG[big]
    if not re.search(f"[{''.join(_CN_DIGIT)}{''.join(_CN_SMALL)}]", text):
        return None
    return value


_AMOUNT = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(亿元|亿|万元|万|元)?")


def parse_amount(value: object, fen_per_unit: int) -> tuple[int | None, str, str]:
    """One money cell → (分, what follows the amount, problem). The amount may carry its own unit (150万,
    854万(…), 1185000元, 3,309,840.00) or be written in words (一二〇万元, 壹佰壹拾捌万伍仟元整); a bare
    number is in the form's unit (``fen_per_unit``). What follows the amount is returned for the report."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if np.isnan(value):
            return None, "", ""
        return int((Decimal(repr(float(value))) * fen_per_unit).to_integral_value()), "", ""
    text = unicodedata.normalize("NFKC", _raw(value)).replace(" ", "").replace("\u3000", "")
    if not text or text in ("/", "-", "—", "——", "无"):
        return None, "", ""
    text = text.removeprefix("人民币").removeprefix("¥").removeprefix("￥")
    m = _AMOUNT.match(text)
    if m and not re.match(r"^[,.]?\d*[一二三四五六七八九十百千]", text[m.end():]):
        number = Decimal(m.group(1).replace(",", ""))
        unit = m.group(2) or ""
        per = {"亿元": 10_000 * FEN_PER_WAN, "亿": 10_000 * FEN_PER_WAN, "万元": FEN_PER_WAN, "万": FEN_PER_WAN,
               "元": FEN_PER_YUAN, "": fen_per_unit}[unit]
        rest = text[m.end():].removeprefix("整")
        if re.match(r"^[,.，．]\d", rest):  # 1,5 / 1 234,5 / 1.234,56: a comma that is not a thousands separator
            return None, text, f"「{text}」中的逗号或小数点不是千分位写法，无法确定金额"
        return int((number * per).to_integral_value()), rest, ""
    words = re.sub(r"(元|圆)整?$|整$|正$", "", text)
    amount = chinese_amount(words)
    if amount is None:
        return None, text, f"「{text}」无法读取为金额"
    # words that name a unit (一二〇万元, 两万三, 壹佰元) are in 元; bare words (一百二十) in the form's unit
    in_yuan = words != text or any(ch in _CN_BIG for ch in words)
    return int((amount * (FEN_PER_YUAN if in_yuan else fen_per_unit)).to_integral_value()), "", ""


def _number(value: object) -> float:
    """A score or weight cell: 10, '10', '10分', '二十' → a number; blank or '/' → NaN."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _plain(value).removesuffix("分")
    if not text or text in ("/", "-", "—", "——"):
        return np.nan
    number = V.parse_number(text)
    if np.isnan(number):
        cn = chinese_amount(text)
        number = float(cn) if cn is not None else np.nan
    return number


def _month_of(key: str, what: str) -> int | None:
    """The month a monitoring header runs to: 1-6月执行数, 1-9月累计执行数, 截至6月底执行数, 6月末累计执行数 → 6."""
    m = re.fullmatch(rf"(?:\d{{1,2}}-|截至|截止|至)?(\d{{1,2}})月(?:底|末|份)?(?:累计)?{what}", key)
    return int(m.group(1)) if m and 1 <= int(m.group(1)) <= 12 else None


def _rate(value: object) -> float:
    text = _plain(value)
    number = V.parse_number(text.rstrip("%"))
    return number / 100 if text.endswith("%") else number


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
        self.cells = [[None if _raw(v) == "" else v for v in row] for row in self.cells]
        self.keys = [[_key(v) for v in row] for row in self.cells]
        self.end = len(self.cells)  # where the last indicator table read ended
        self.progress_month: int | None = None  # the month a monitoring column header names (1-6月完成情况)
        # a label and its value in one cell (项目名称：某项目, 年度资金总额：854万): the label's key, the value aside
        self.inline: dict[tuple[int, int], str] = {}
        for r, row in enumerate(self.cells):
            for c, v in enumerate(row):
                if v is None or self.keys[r][c] in LABEL_KEYS:
                    continue
                m = re.match(r"^\s*([^:：]{2,12}?)\s*[:：]\s*(\S.*)$", _raw(v), re.S)
                if m and _key(m.group(1)) in INLINE_LABEL_KEYS:
                    self.keys[r][c] = _key(m.group(1))
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


def _label_value(g: Grid, r: int, c: int) -> tuple[object, int | None]:
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


def _labels(g: Grid, stop: int) -> dict[str, tuple[str, tuple[int, int]]]:
    """{field: (value, position)} of the header-block labels above row ``stop``."""
    found: dict[str, tuple[str, tuple[int, int]]] = {}
    for r in range(min(stop, g.rows)):
        for c, key in enumerate(g.keys[r]):
            for name, words in LABELS.items():
                if key in words:
                    g.used.add((r, c))
                    value, vc = _label_value(g, r, c)
                    rank = words.index(key)
                    if value is not None and (name not in found or found[name][2] > rank):
                        found[name] = (_raw(value), (r, vc), rank)  # type: ignore[assignment]
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
                    value, vc = _label_value(g, r, c)
                    if value is not None:
                        g.used.add((r, vc))
                        out["department"] = (_raw(value), (r, vc))
    return out


def _form_kind(g: Grid, columns: dict[str, int]) -> str:
    """自评 / 目标 / 监控 from the title rows; failing that, from the indicator columns."""
    title = "".join(_plain(v) for row in g.top(3) for v in row if v is not None) + _plain(g.sheet)
    if "监控" in title:
        return "监控"
    if "自评" in title or "评价" in title:
        return "自评"
    if any(w in title for w in ("目标表", "申报表", "审批表", "目标申报", "绩效目标")):
        return "目标"
    if "progress" in columns or "likelihood" in columns:
        return "监控"
    return "自评" if {"actual", "score"} & columns.keys() else "目标"


def _year(g: Grid) -> int | None:
    """The budget year: a 年度 label (年度 | 2022, 预算年度：2022), else (2022年度) or 2022年 in the title rows."""
    for r, row in enumerate(g.keys[:20]):
        for c, key in enumerate(row):
            if key in ("年度", "预算年度", "所属年度", "填报年度", "评价年度"):
                value, vc = _label_value(g, r, c)
                m = re.fullmatch(r"((?:19|20)\d{2})(?:年|年度)?(?:\.0)?", _plain(value))
                if m:
                    g.used.update({(r, c), (r, vc)})
                    return int(m.group(1))
    for row in g.top(8):
        for v in row:
            m = re.search(r"(?:预算|所属|填报)?年度[:：]\s*((?:19|20)\d{2})", _plain(v))
            if m:
                return int(m.group(1))
    for row in g.top(6):
        for v in row:
            m = re.search(r"((?:19|20)\d{2})\s*年度", _plain(v))
            if m:
                return int(m.group(1))
    for row in g.top(2):
        for v in row:
            m = re.search(r"((?:19|20)\d{2})\s*年", _plain(v))
            if m:
                return int(m.group(1))
    return None


def _fen_per_unit(g: Grid, stop: int) -> int:
    """元 if the block says so (金额单位：元, 项目资金（元）, 预算数(元)), else 万元."""
    for r in range(min(stop, g.rows)):
        for v in g.cells[r]:
            text = _plain(v)
            if re.search(r"单位[:：]?元$|\(元\)|（元）|单位:元", text) and "万元" not in text:
                return FEN_PER_YUAN
    return FEN_PER_WAN


# ------------------------------------------------------------------------------------------ indicator table


def _header_row(g: Grid, start: int = 0) -> int | None:
    for r in range(start, g.rows):
        keys = set(g.keys[r])
        if keys & set(IND_FIELDS["indicator"]) and keys & {"一级指标", "二级指标"}:
            return r
    return None


def _columns(g: Grid, r: int) -> tuple[dict[str, int], dict[int, str]]:
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
            g.progress_month = _month_of(re.sub(r"(?:指标)?(?:完成|执行)(?:情况|值|数)?$", "执行数", key), "执行数")
    if "target" not in candidates:  # a checklist's 指标解释 / 绩效标准 is its standard
        for c, key in enumerate(g.keys[r]):
            if key in ("指标解释", "绩效标准", "评价标准"):
                candidates["target"] = [c]
                g.notes.append(f"没有「指标值」列，以「{_raw(g.cells[r][c])}」列作为指标值")
                break

    def group(c: int) -> str:
        if r == 0:
            return ""
        for cc in range(c, -1, -1):
            if g.cells[r - 1][cc] if cc < len(g.cells[r - 1]) else None:
                return _plain(g.cells[r - 1][cc])
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
            before = next((_raw(g.cells[r][cc]) for cc in range(c - 1, -1, -1) if g.cells[r][cc] is not None), "")
            repeated = sum(1 for x in g.keys[r] if x == g.keys[r][c]) > 1
            others[c] = f"{before}」后的「{_raw(v)}" if repeated and before else _raw(v)
    for c in range(len(g.cells[r])):
        g.used.add((r, c))
    return columns, others


def _is_section(g: Grid, r: int) -> str | None:
    texts = {_plain(v) for v in g.cells[r] if v is not None}
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


def _table(g: Grid, hr: int, columns: dict[str, int], others: dict[int, str]
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
        if r > hr + 1 and (_header_row(g, r) == r or _starts_form(g, r)):
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
        if not any(_raw(v) for v in rec.values()):
            continue
        if multi and (_raw(rec.get("p_name")) or _raw(rec.get("p_unit")) and not _raw(rec.get("indicator"))):
            if not _raw(rec.get("p_name")) and not _raw(rec.get("indicator")):  # a 部门合计 row
                texts = "、".join(_raw(v) for v in g.cells[r] if v is not None)
                g.notes.append(f"第{r + 1}行「{texts}」是部门合计行（无项目、无指标）：其部门作为以下项目的主管部门，"
                               "合计金额未导入")
                department = _raw(rec.get("p_unit"))
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
            if _raw(blocks[-1].head.get("p_goal")):
                g.notes.append(f"第{r + 1}行项目「{_raw(blocks[-1].head.get('p_name'))}」的年度目标"
                               f"「{_raw(blocks[-1].head['p_goal'])}」未导入（数据表没有年度目标）")
        level1_text = _plain(rec.get("level1"))
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
    texts = {_plain(v) for v in g.cells[r] if v is not None}
    return len(texts) == 1 and bool(re.search(r"绩效.*表", next(iter(texts))))


def _total_row(g: Grid, r: int, columns: dict[str, int]) -> dict[str, object]:
    """The 总分/合计 row: a score in the 得分 column is the unit's total; a number only under 分值/权重 is a
    weight sum (checked, never a self-score)."""
    tail: dict[str, object] = {"row": r}
    for c, key in enumerate(g.keys[r]):  # the 总分 label; what else the row holds is used below or named
        if key in TOTAL_ROWS:
            g.used.add((r, c))
    if "score" in columns and not np.isnan(_number(g.get(r, columns["score"]))):
        tail["total"] = _number(g.take(r, columns["score"]))
    if "weight" in columns and not np.isnan(_number(g.get(r, columns["weight"]))):
        tail["weight_sum"] = _number(g.take(r, columns["weight"]))
    if "total" not in tail and "weight_sum" not in tail:
        numbers = [(c, _number(v)) for c, v in enumerate(g.cells[r]) if not np.isnan(_number(v))]
        if numbers:
            tail["total"] = numbers[-1][1]
            g.used.add((r, numbers[-1][0]))
    grade = next(((c, _plain(v)) for c, v in enumerate(g.cells[r]) if _plain(v) in ("优", "良", "中", "差")), None)
    if grade:
        tail["grade"] = grade[1]
        g.used.add((r, grade[0]))
    return tail


# ------------------------------------------------------------------------------------------ budget block


def _budget_header(g: Grid, stop: int, fen: int) -> dict[str, object]:
    """A row of money headers with the 年度资金总额/合计 row under it."""
    for r in range(min(stop, g.rows)):
        heads: dict[int, str] = {}
        for c, key in enumerate(g.keys[r]):
            name = MONEY_HEADS.get(key)
            if name is None and _month_of(key, "执行数") is not None:
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
            if name == "exec_weight" and not np.isnan(_points(g.cells[r][c])):
                out["exec_weight"] = _points(g.cells[r][c])
            if name == "exec_score" and not np.isnan(_points(g.cells[r][c])):
                out.setdefault("exec_weight", _points(g.cells[r][c]))
            if name == "month_spent":
                out["month"] = _month_of(g.keys[r][c], "执行数")
        first = min(heads)
        data_rows = []
        for rr in range(r + 1, min(stop, g.rows)):
            label = next((_key(v) for v in g.cells[rr][:first] if _raw(v)), "")
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
                    g.notes.append(f"第{rr + 1}行「{_raw(g.cells[r][c])}」{problem}，已留空，请核对")
                elif rest:
                    g.notes.append(f"第{rr + 1}行「{_raw(g.cells[r][c])}」金额后的文字「{rest}」未导入")
            elif name == "exec_rate":
                out[name] = _rate(v)
                out["exec_rate_text"] = _plain(v)
            else:
                number = _number(v)
                if np.isnan(number):
                    m = re.match(r"^(\d+(?:\.\d+)?)分?[×xX*]", _plain(v))  # 20分×执行率
                    number = float(m.group(1)) if m and name == "exec_weight" else np.nan
                    if np.isnan(number):
                        g.notes.append(f"第{rr + 1}行「{_raw(g.cells[r][c])}」「{_raw(v)}」无法读取为数字，已留空，请核对")
                out[name] = number
        subs = [x for x in data_rows if x[0] != rr]
        carried = [x for x in subs if any(_raw(g.get(x[0], c)) not in ("", "/", "—", "-") for c in heads)]
        if carried:
            names = "、".join(_raw(next((v for v in g.cells[x[0]][:first] if v is not None), f"第{x[0] + 1}行"))
                             for x in carried)
            g.notes.append(f"资金分项（{names}）未导入：项目表只记总额")
        for x in subs:
            for c, v in enumerate(g.cells[x[0]]):
                if v is not None:
                    g.used.add((x[0], c))
        return out
    return {}


def _budget_labels(g: Grid, stop: int, fen: int) -> dict[str, object]:
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
            value, vc = _label_value(g, r, c)
            g.used.add((r, c))
            if value is None:
                continue
            g.used.add((r, vc))
            if name is not None:
                found.append((name, MONEY_LABELS[name].index(key), r, c, value))
            else:
                subs.append(f"{_raw(g.cells[r][c])} {_raw(value)}")
    # the most specific label of each field (当年年度预算 before 项目总预算); the others are named
    best = {name: min((f for f in found if f[0] == name), key=lambda f: (f[1], f[2])) for name, *_ in found}
    for name, _rank, r, c, value in found:
        if best[name][2:4] != (r, c):
            subs.append(f"{_raw(g.cells[r][c])} {_raw(value)}")
            continue
        amount, rest, problem = parse_amount(value, fen)
        if problem:
            g.notes.append(f"第{r + 1}行「{_raw(g.cells[r][c])}」{problem}，已留空，请核对")
            out[name] = None
            continue
        out[name] = amount
        if rest:
            g.notes.append(f"第{r + 1}行「{_raw(g.cells[r][c])}」金额后的文字「{rest}」未导入（项目表只记总额）")
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
                            g.notes.append(f"表上没有年度资金总额，以第{rr + 1}行成本测算「合计」{_raw(g.get(rr, c))} 作预算数")
                        break
                break
    return out


# ------------------------------------------------------------------------------------------ one form


def _target_text(rec: dict[str, object], g: Grid | None = None, r: int = 0) -> str:
    """指标性质 | 指标值 | 度量单位 in cells of their own → one target (≥95%); a unit already written in
    the value (% | ≥95%) is not written twice; a unit that contradicts the value (28.8万元 | %) is named."""
    value = _raw(rec.get("target"))
    comparator = _plain(rec.get("comparator"))
    comparator = COMPARATOR_WORDS.get(comparator, comparator)
    unit = _plain(rec.get("unit"))
    if comparator and not value.startswith(("≥", "≤", ">", "<", "=", "＝", comparator)):
        value = comparator + value
    if unit and value and not value.endswith(unit):
        if re.search(r"\d$", value):
            value += unit
        elif g is not None:
            g.notes.append(f"第{r + 1}行计量单位「{_raw(rec.get('unit'))}」与指标值「{value}」不一致，未并入指标值")
    elif unit and not value and g is not None:
        g.notes.append(f"第{r + 1}行只填了计量单位「{_raw(rec.get('unit'))}」，没有指标值")
    return value


def _rows_frame(g: Grid, rows: list[dict[str, object]], kind: str) -> pd.DataFrame:
    """Indicator rows → one frame: levels inherited from merged cells, a blank 三级指标 either continuing the
    row above (a merged cell) or named after its level 2 (with a note)."""
    out: list[dict[str, object]] = []
    level1 = level2 = None
    for rec in rows:
        r = rec["_row"]
        raw1, raw2 = rec.get("level1"), rec.get("level2")
        if _raw(raw1):
            name, changed = level1_name(raw1)
            if name is None and _raw(raw2):  # 项目绩效 | 项目产出: the level-2 name says which block
                name, _ = level1_name(raw2)
                if name is not None:
                    g.notes.append(f"第{r + 1}行一级指标「{_raw(raw1)}」按其二级指标「{_raw(raw2)}」作「{name}」导入")
                    changed = False
            if changed and name is None:
                g.notes.append(f"第{r + 1}行一级指标「{_raw(raw1)}」不是标准一级指标，已留空；原文请见原表")
            elif changed and _plain(raw1).rstrip("指标") not in (name or ""):
                g.notes.append(f"第{r + 1}行一级指标「{_raw(raw1)}」按「{name}」导入")
            if name != level1 or _raw(raw2):  # a level 1 printed again on every row keeps the merged level 2
                level2 = None
            level1 = name
        if _raw(raw2):
            level2 = level2_name(raw2)
        indicator = _raw(rec.get("indicator"))
        values = {"target_text": _target_text(rec, g, r), "actual_text": _raw(rec.get("actual")),
                  "progress": _raw(rec.get("progress")), "forecast": _raw(rec.get("forecast")),
                  "likelihood": _raw(rec.get("likelihood")), "deviation_reason": _raw(rec.get("deviation")),
                  "weight_raw": rec.get("weight"), "score_raw": rec.get("score")}
        if not indicator:
            if not any(_raw(v) for k, v in values.items()):
                continue
            if out and not _raw(raw2) and not _raw(raw1):  # a merged 三级指标 over two rows
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
        number = _number(v)
        if np.isnan(number) and _raw(v) and _plain(v) not in ("/", "-", "—", "——"):
            g.notes.append(f"第{r + 1}行{label}「{_raw(v)}」无法读取为数字，已留空，请核对")
        result.append(number)
    return pd.Series(result, index=frame.index, dtype="float64")


def read_grid(g: Grid) -> list[dict[str, object]]:
    """One table of a form → one entry per project: {kind, project, unit, tables…}. Cells that could not be
    read, and cells the reader did not use, go to ``g.notes``."""
    hr = _header_row(g)
    if hr is None and ("说明" in g.sheet or "说明" in _plain(g.get(0, 0))):
        raise BlankForm("填表说明，不是绩效表")
    if hr is None:
        raise FormError("没有找到指标表（缺少「一级指标/二级指标」与「三级指标/指标名称」表头）")
    columns, others = _columns(g, hr)
    kind = _form_kind(g, columns)
    title_text = "".join(_plain(v) for row in g.top(3) for v in row if v is not None)
    whole = "整体" in title_text or "部门整体" in _plain(g.sheet)
    labels = _labels(g, hr)
    fen = _fen_per_unit(g, hr)
    year = _year(g)
    budget = _budget_header(g, hr, fen)
    money = _budget_labels(g, hr, fen)
    blocks, tail, end = _table(g, hr, columns, others)
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
        name = _raw(head.get("p_name")) or labels.get("project", ("", None))[0]
        if not name and _has_label(g, hr, "project"):
            if not any(_raw(r.get("indicator")) or _raw(r.get("target")) for r in b.rows):
                raise BlankForm("空白表样（项目名称和指标都未填写）")
            raise FormError("「项目名称」一格为空，请填写后再导入")
        if not name:
            name = _untitled_name(g, labels, whole)
        code, name = (_raw(head.get("p_code")), name) if _raw(head.get("p_code")) else \
            (labels.get("project_code", ("", None))[0], name)
        printed_code, bare = _split_code(name)
        if not code and printed_code:
            code, name = printed_code, bare
        dept = _raw(head.get("p_dept")) or labels.get("department", ("", None))[0]
        unit = _raw(head.get("p_unit")) or labels.get("unit", ("", None))[0]
        if head and not _raw(head.get("p_unit")) and prev_unit:
            unit = prev_unit
            g.notes.append(f"第{head['row'] + 1}行项目「{name}」的单位名称为空，沿用上一项目的单位「{unit}」")
        prev_unit = unit or prev_unit
        unit_code = labels.get("unit_code", ("", None))[0]
        unit_printed_code, unit_name = _split_code(unit) if unit else ("", "")
        unit_code = unit_code or unit_printed_code
        if not unit_name and dept:
            _, unit_name = _split_code(dept)
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
        texts = list(dict.fromkeys(_raw(v) for v in row if v is not None))
        if len(texts) == 1 and len(texts[0]) > 4:
            return texts[0]
    return ""


def _untitled_name(g: Grid, labels: dict, whole: bool) -> str:
    """A form without a 项目名称 label (部门整体 forms, unit-wide target tables): the title when it names the
    unit, else 部门整体支出（单位）, else the title; the report says so."""
    title = _title(g)
    unit = labels.get("unit", ("", None))[0] or labels.get("department", ("", None))[0]
    if title and unit and _plain(_split_code(unit)[1]) in _plain(title):
        name = title
    elif whole and unit:
        name = f"部门整体支出（{_split_code(unit)[1]}）"
    elif title:
        name = title
    else:
        raise FormError("没有找到「项目名称」，表上也没有标题")
    g.notes.append(f"表上没有「项目名称」，以「{name}」作项目名称导入")
    return name


def _read_stacked(g: Grid) -> list[dict[str, object]]:
    """Every form of one sheet: a page can hold several forms one under another. Each further form is
    read from a copy of the grid with the rows above it blanked (row numbers stay those of the sheet)."""
    entries = read_grid(g)
    for entry in entries:
        entry["grid"] = g
    start = g.end
    while start < g.rows and _header_row(g, start) is not None:
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
                    value, vc = _label_value(g, r, c)
                    if value is not None:
                        g.used.add((r, vc))
                        found[name] = (_raw(value), (r, vc))
    return found


def _exec_rows(g: Grid, tail: dict[str, object], columns: dict[str, int], projects: list[dict], kind: str) -> None:
    """A 预算执行 row inside the indicator table (年度预算执行率 | 100% | 10分): the execution weight."""
    for r in tail.get("exec_rows", []) or []:  # type: ignore[union-attr]
        texts = [_raw(v) for v in g.cells[r] if v is not None]
        for c, v in enumerate(g.cells[r]):
            if v is not None:
                g.used.add((r, c))
        weight = next((_points(t) for t in texts if not np.isnan(_points(t))), np.nan)
        if kind == "自评" and projects:
            projects[0].setdefault("budget", {}).setdefault("exec_weight", weight)
        g.notes.append(f"第{r + 1}行预算执行目标「{' '.join(texts)}」未作为指标导入"
                       + (f"（执行率分值 {weight:g} 分）" if not np.isnan(weight) else ""))


def _leftovers(g: Grid) -> list[str]:
    """Every non-empty cell the reader did not use, by row: the report names them all."""
    notes = []
    titled = False
    for r, row in enumerate(g.cells):
        left = [(c, _raw(v)) for c, v in enumerate(row) if v is not None and (r, c) not in g.used]
        if not left:
            continue
        if not titled and r < 3 and len(left) == 1 and re.search(r"表|年度", left[0][1]):
            titled = True
            continue  # the title
        if len(left) == 1 and re.fullmatch(r"[（(]?\s*(\d{4})?\s*年度\s*[)）]?|金额单位[:：]\s*万?元|单位[:：]\s*万?元",
                                           _plain(left[0][1])):
            continue
        texts = [t for _, t in left if t not in ("/", "—", "-", "——", "无")]
        if all(_key(t) in LABEL_KEYS or _key(t).startswith("项目资金") for t in texts):
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
    unit_id = entry["unit_code"] or (_stable_id("U", entry["unit_name"]) if entry["unit_name"] else None)
    code = entry["code"] or _stable_id("F", entry["unit_name"] or entry["dept"], entry["name"], str(entry["year"] or ""))
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
        filled = f[f[col].map(_raw) != ""]
        if not filled.empty:
            g.notes.append(f"「{label}」{len(filled)} 格（第{filled['row'].iloc[0] + 1}行起）未导入："
                           f"{entry['kind']}表的这一项没有对应的数据表")
    words = sorted({_plain(x.get("comparator")) for x in entry.get("rows_raw") or []} & {"定性", "定量"})
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
        printed = _number(entry["total_label"]) if entry.get("total_label") else np.nan
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
                like = rows["likelihood"].map(lambda t: LIKELIHOOD_WORDS.get(_plain(t)))
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


def _signature(entry: dict) -> str:
    """What makes two files one form: the project, its unit and year, its money and its indicator rows."""
    f = entry["frame"]
    rows = []
    if not f.empty:
        for rec in f.drop(columns=["row"]).to_dict("records"):
            rows.append({k: (_number(v) if k.endswith("_raw") else _plain(v)) for k, v in rec.items()})
        rows = [{k: ("" if isinstance(v, float) and np.isnan(v) else str(v)) for k, v in r.items()} for r in rows]
    money = _money_fields(entry)
    return hashlib.sha1(json.dumps([entry["name"], entry["unit_name"], entry["year"], entry["kind"],
                                    {k: str(v) for k, v in money.items()}, rows],
                                   ensure_ascii=False).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------ files


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


def _regular(path: Path) -> None:
    """Only regular files are opened: a pipe would block the batch forever, a device never ends."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise FormError(_open_problem(exc)) from exc
    if stat.S_ISDIR(mode):
        raise FormError("这是一个文件夹，不是工作簿")
    if not stat.S_ISREG(mode):
        raise FormError("不是普通文件（管道、设备或套接字），未读取")


def _sheets(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of one workbook as a grid of cells. calamine keeps a merged cell's value in its first
    cell only, which is what the label lookups expect. A sheet declaring a used range too large to read
    is refused first."""
    from python_calamine import CalamineWorkbook

    from perfkit.io.read_xlsx import calamine_reason, check_dimension, sheet_members

    _regular(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise FormError(_open_problem(exc)) from exc
    if not head:
        raise FormError("文件是空的（0 字节）")
    if path.suffix.lower() in (".xlsx", ".xlsm") and head == CFB_MAGIC:
        raise FormError("文件有密码保护（已加密），请另存为不加密的工作簿后再导入")
    is_zip = zipfile.is_zipfile(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") and not is_zip:
        raise FormError("文件已损坏或不完整（不是有效的 .xlsx）")
    try:
        if is_zip:
            with zipfile.ZipFile(path) as z:
                for name, member in sheet_members(z).items():
                    check_dimension(z, member, name, path.name)
        book = CalamineWorkbook.from_path(str(path))
        grids = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
        if is_zip:
            with zipfile.ZipFile(path) as z:
                members = sheet_members(z)
                for name, grid in grids.items():
                    if name in members:
                        _percent_as_typed(grid, _percent_cells(z, members[name]))
        return grids
    except InputError as exc:
        raise FormError(str(exc).removeprefix(path.name)) from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormError("文件已损坏或不完整") from exc
    except Exception as exc:  # calamine's error types are private
        raise FormError(f"无法读取：{calamine_reason(exc)}") from exc


def _percent_cells(z: zipfile.ZipFile, member: str) -> set[tuple[int, int]]:
    """Cells of one sheet shown as a percentage (Excel stores 97% typed into a cell as 0.97 with a percent
    format): their (row, column)."""
    from perfkit.io.read_xlsx import column_index

    try:
        styles = z.read("xl/styles.xml").decode("utf-8", "replace")
    except KeyError:
        return set()
    codes = dict(re.findall(r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', styles))
    xfs_block = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles, re.S)
    percent = set()
    for i, attrs in enumerate(re.findall(r"<xf\b([^>]*)", xfs_block.group(1) if xfs_block else "")):
        m = re.search(r'numFmtId="(\d+)"', attrs)
        code = re.sub(r'"[^"]*"|\\.', "", html.unescape(codes.get(m.group(1), ""))) if m else ""
        if m and (m.group(1) in ("9", "10") or "%" in code):
            percent.add(str(i))
    if not percent:
        return set()
    xml = z.read(member).decode("utf-8", "replace")
    cells = set()
    for attrs in re.findall(r"<c\b([^>]*)>", xml):
        ref, style = re.search(r'\br="([A-Z]+)(\d+)"', attrs), re.search(r'\bs="(\d+)"', attrs)
        kind = re.search(r'\bt="(\w+)"', attrs)
        if ref and style and style.group(1) in percent and (kind is None or kind.group(1) == "n"):
            cells.add((int(ref.group(2)) - 1, column_index(ref.group(1))))
    return cells


def _percent_as_typed(grid: list[list[object]], cells: set[tuple[int, int]]) -> None:
    """A number shown as a percentage reads as the unit typed it: 0.97 → 97%, 0.835 → 83.5%."""
    for r, c in cells:
        if r < len(grid) and c < len(grid[r]):
            v = grid[r][c]
            if isinstance(v, int | float) and not isinstance(v, bool) and v == v:
                grid[r][c] = f"{(Decimal(repr(float(v))) * 100).normalize():f}%"


def _docx_tables(path: Path) -> dict[str, list[list[object]]]:
    """Every table of a Word file as a grid; a merged cell keeps its text in its first cell only, and the
    title paragraphs printed above a table become its first rows."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    _regular(path)
    if path.stat().st_size == 0:
        raise FormError("文件是空的（0 字节）")
    try:
        doc = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FormError("文件已损坏，或不是 Word（.docx）文件") from exc
    out: dict[str, list[list[object]]] = {}
    body = doc.element.body
    titles: list[str] = []
    k = 0
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")).strip()
            if text:
                titles = (titles + [text])[-3:]
        elif tag == "tbl":
            from docx.table import Table

            table = Table(child, doc)
            k += 1
            grid: list[list[object]] = [[t] for t in titles]
            above: list[object] = []
            for row in table.rows:
                cells = row.cells
                tcs = [cell._tc for cell in cells]
                values: list[object] = []
                for c, cell in enumerate(cells):
                    same_left = c > 0 and tcs[c - 1] is tcs[c]
                    same_above = c < len(above) and above[c] is tcs[c]
                    values.append(None if same_left or same_above else cell.text)
                above = tcs
                grid.append(values)
            probe = Grid(grid, "", "")
            if out and _header_row(probe) is None and not any(
                    key in LABEL_KEYS for row in probe.keys for key in row):
                # a table cut by a page break: the headless rest continues the table above
                out[next(reversed(out))].extend(grid)
                k -= 1
            else:
                out[f"表{k}"] = grid
            titles = []
    if not out:
        raise FormError("Word 文件中没有表格")
    return out


def _grids(path: Path) -> dict[str, list[list[object]]]:
    suffix = path.suffix.lower()
    if suffix in EXCEL:
        return _sheets(path)
    if suffix in WORD:
        return _docx_tables(path)
    _regular(path)
    raise FormError(NOT_READ_ADVICE.get(suffix, OTHER_ADVICE))


def _files(folder: Path) -> list[Path]:
    """Every entry of the folder a unit could have meant as a form: files of any kind (so that each is in
    the report), folders only when named like a workbook; hidden and Office lock files (~$) left out."""
    out = []

    def order(p: Path) -> tuple:  # an original before its copies (r21.xlsx before "r21 - 副本.xlsx", r21.xls)
        copy = bool(re.search(r"副本|复件|copy|\(\d+\)$|（\d+）$", p.stem, re.IGNORECASE))
        return (str(p.parent), copy, p.suffix.lower() != ".xlsx", p.name)

    for p in sorted(folder.rglob("*"), key=order):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or p.name.startswith("~$"):
            continue
        if p.is_dir() and not p.is_symlink() and p.suffix.lower() not in (*EXCEL, *WORD):
            continue
        if p.name in ("导入报告.csv",) or p.name.endswith("_导入报告.csv"):
            continue
        out.append(p)
    return out


def import_forms(folder: str | Path, progress: Callable[[Iterable], Iterable] | None = None) -> Imported:
    """Every form in ``folder`` (one project per sheet, per Word table, or per block of a several-project
    sheet) → the contract tables, and a report naming every file, every project and everything not imported.

    One file that cannot be read is reported and the batch goes on. Copies of one form (the same project,
    unit, money and indicators — r21.xlsx, "r21 - 副本.xlsx", r21.xls) are imported once and reported. A
    项目编码 already imported from a different form is reported and that form left out: two forms' indicators
    are never merged under one code."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"找不到文件夹：{folder}")
    if not folder.is_dir():
        raise InputError(f"{folder}：不是文件夹（请给出存放绩效表的文件夹）")
    parts: dict[str, list[pd.DataFrame]] = {}
    report: list[list[str]] = []
    seen_code: dict[str, tuple[str, str, str, set[str]]] = {}  # 项目编码 → (where, signature, kind, tables)
    project_rows: dict[str, dict[str, object]] = {}
    for path in (progress or (lambda x: x))(_files(folder)):
        rel = str(path.relative_to(folder))
        try:
            grids = _grids(path)
        except FormError as exc:
            report.append([rel, "", "未导入", str(exc)])
            continue
        for sheet, cells in grids.items():
            g = Grid(cells, rel, sheet)
            if not any(v is not None for row in g.cells for v in row):
                report.append([rel, sheet, "跳过", "空工作表"])
                continue
            try:
                entries = _read_stacked(g)
            except BlankForm as exc:
                report.append([rel, sheet, "跳过", str(exc)])
                continue
            except FormError as exc:
                report.append([rel, sheet, "未导入", str(exc)])
                continue
            lines: list[list[str]] = []
            for entry in entries:
                rows = tables_of(entry, rel, sheet)
                code = str(rows["projects"]["project_id"].iloc[0])
                sig = _signature(entry)
                where = f"{rel}「{sheet}」"
                if code in seen_code and seen_code[code][2] != entry["kind"] and not (
                        set(rows) - {"projects", "units"}) & seen_code[code][3]:
                    # the same project's 目标表 and 自评表 (as the blank forms pair them): one project, both tables
                    first = seen_code[code][0]
                    merged = project_rows[code]
                    for k, v in rows["projects"].iloc[0].items():
                        if merged.get(k) is None or (not isinstance(merged.get(k), str) and pd.isna(merged.get(k))):
                            merged[k] = v
                    seen_code[code][3].update(set(rows) - {"projects", "units"})
                    for k, v in rows.items():
                        if k != "projects":
                            parts.setdefault(k, []).append(v)
                    lines.append([rel, sheet, "已导入", f"{entry['kind']}表：项目「{entry['name']}」与 {first} 是同一项目"
                                                      f"（编码 {code}），{len(entry['frame'])} 个指标 → "
                                                      f"{'绩效自评' if entry['kind'] == '自评' else '绩效目标'}"])
                    continue
                if code in seen_code:
                    first, first_sig = seen_code[code][:2]
                    if first_sig == sig:
                        lines.append([rel, sheet, "副本", f"项目「{entry['name']}」与 {first} 内容相同，视为同一张表的副本，"
                                                        "未重复导入"])
                    else:
                        lines.append([rel, sheet, "未导入", f"项目编码 {code} 已在 {first} 导入：两张表的指标不合并，"
                                                          "请核对项目编码后单独导入"])
                    continue
                seen_code[code] = (where, sig, entry["kind"], set(rows) - {"projects", "units"})
                project_rows[code] = rows["projects"].iloc[0].to_dict()
                for k, v in rows.items():
                    if k != "projects":
                        parts.setdefault(k, []).append(v)
                kind = {"自评": "绩效自评", "目标": "绩效目标", "监控": "绩效目标、监控"}[entry["kind"]]
                n = len(entry["frame"])
                how = "（编码为表上所印）" if entry["code"] else f"（表上没有项目编码，生成编码 {code}）"
                lines.append([rel, sheet, "已导入", f"{'部门整体' if entry['whole'] else ''}{entry['kind']}表："
                                                  f"项目「{entry['name']}」{how}，{n} 个指标 → {kind}"])
            notes = list(dict.fromkeys(g.notes + _leftovers(g)))
            report.extend(lines)
            if any(line[2] == "已导入" for line in lines):
                report.extend([rel, sheet, "注意", n] for n in notes)
    if project_rows:
        parts["projects"] = [pd.DataFrame(list(project_rows.values()))]
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items() if v}
    order = ["units", "projects", "targets", "exec_monitor", "ind_monitor", "self_eval", "self_summary"]
    tables = {k: tables[k] for k in order if k in tables}
    if "units" in tables:
        tables["units"] = tables["units"].drop_duplicates("unit_id")
    if "projects" in tables:
        for c in ("budget_initial", "budget", "spent"):
            tables["projects"][c] = pd.array(tables["projects"][c].tolist(), dtype="Int64")
        tables["projects"]["year"] = pd.array(tables["projects"]["year"].tolist(), dtype="Int64")
    for name in ("exec_monitor",):
        if name in tables:
            tables[name]["spent_cum"] = pd.array(tables[name]["spent_cum"].tolist(), dtype="Int64")
    return Imported(tables, pd.DataFrame(report, columns=REPORT_COLUMNS))


def read_form(frame: pd.DataFrame | list[list[object]], file: str, sheet: str,
              problems: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """One project's form (a grid of cells, or a frame read with its first row as header) → rows of the
    contract tables. Cells that could not be read are described in ``problems``."""
    if isinstance(frame, pd.DataFrame):
        cells = [[None if str(c).startswith("Unnamed") else c for c in frame.columns]]
        cells += [list(r) for r in frame.itertuples(index=False, name=None)]
    else:
        cells = [list(r) for r in frame]
    g = Grid(cells, file, sheet)
    entries = read_grid(g)
    entries[0]["grid"] = g
    out = tables_of(entries[0], file, sheet)
    if problems is not None:
        problems.extend(g.notes)
    return out


# ------------------------------------------------------------------------------------------ writing


def _ours_xlsx(path: Path) -> bool:
    """Was this workbook written by import-forms (its custom property), so that it may be replaced?"""
    try:
        with zipfile.ZipFile(path) as z:
            return OUTPUT_PROPERTY.encode() in z.read("docProps/custom.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def write_import(result: Imported, out: str | Path) -> Path:
    """Write the imported tables and 导入报告.csv by the rules of every perfkit output: a folder is
    built aside and swapped in whole (with its marker), a workbook is replaced only if import-forms wrote
    it, a path that is not a regular file or folder is refused. Returns the report's path."""
    from perfkit.io.outputs import replaced_folder
    from perfkit.io.write import atomic_path, excel_writer, to_contract_frame, write_csv, write_tables_folder

    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        if out.exists() or out.is_symlink():
            try:
                mode = os.stat(out).st_mode
            except OSError as exc:
                raise InputError(f"--out {out} 无法写入：{_open_problem(exc)}") from exc
            if not stat.S_ISREG(mode):
                raise InputError(f"--out {out} 不是普通文件（文件夹、管道或设备），不会覆盖；请另选输出文件名")
            if not _ours_xlsx(out):
                raise InputError(f"--out {out} 是已有的工作簿，不是 perfkit import-forms 写出的，不会覆盖；"
                                 "请另选输出文件名")
        report_path = out.with_name(out.stem + "_导入报告.csv")
        if report_path.exists() and not report_path.is_file():
            raise InputError(f"{report_path} 不是普通文件，不会覆盖；请另选输出文件名")
        for name, frame in result.tables.items():  # an Excel cell holds at most 32 767 characters
            long = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, str) and len(v) > EXCEL_CELL_MAX).any()]
            if long:
                raise InputError(f"「{BY_NAME[name].sheet}」表的「{long[0]}」列有超过 {EXCEL_CELL_MAX} 个字符的内容，"
                                 "Excel 单元格放不下；请用文件夹作 --out（写出 CSV，不截断）")
        if result.tables:
            with atomic_path(out) as tmp, excel_writer(tmp) as xl:
                xl.book.set_custom_property(OUTPUT_PROPERTY, "1")
                for name, frame in result.tables.items():
                    table = BY_NAME[name]
                    to_contract_frame(frame, table).to_excel(xl, sheet_name=table.sheet, index=False)
                    ws = xl.sheets[table.sheet]
                    ws.freeze_panes(1, 0)
                    ws.set_column(0, 10, 14)
        write_csv(result.report, report_path)
        return report_path
    names = {f"{t.sheet}.csv" for t in BY_NAME.values()} | {"导入报告.csv"}
    with replaced_folder(out, "import-forms", ours=lambda e: e.name in names) as staging:
        if result.tables:
            write_tables_folder(result.tables, staging)
        write_csv(result.report, staging / "导入报告.csv")
    return out / "导入报告.csv"


