"""Wording of published forms: how a label, a header or a level name is matched (simplified,
without spacing, points or pinyin), the words each field goes by, and amounts as units write them
(854万, 1,234.50元, 壹佰贰拾万元整, 12.5%)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from decimal import Decimal

import numpy as np

from perfkit.io import values as V
from perfkit.io.contract import LEVEL1
from perfkit.io.values import FEN_PER_WAN, FEN_PER_YUAN

# ------------------------------------------------------------------------------------------ wording

# traditional → simplified for the characters of form headers and level names (r06-style pages)
_T2S = str.maketrans(dict(zip(
    "級標項稱單類實際預數資績評經濟質時會態護務門設計劃總額價認證鑒區產員業與對滿聯識體報號專傳統覽館紀現達導發準構開關內觀結屬種據場長選償動勞勵協書續應屆歷擔爭環節築變讓進運適還邊鄉醫針錢鐘鎮問間隊陽險隨雜雙難電頁領題風養點齊補釋說調論議財貨費賬購車農億萬們來個備勢圖團處夠學寬將層幹廣後從復戶擴斷條東檢樣機權檔歡歲歸沒減測無為現畫療監盡確積穩範簡紅紙組細終給綜綠維網緊線練縣義職聽興舉藝衛衝裝製複見規視覺記許詳語請談讀負責貧貫賦賽趕這遷遺鐵閱陸陳離雖靈響頭願顯飛飲驗黨證",
    "级标项称单类实际预数资绩评经济质时会态护务门设计划总额价认证鉴区产员业与对满联识体报号专传统览馆纪现达导发准构开关内观结属种据场长选偿动劳励协书续应届历担争环节筑变让进运适还边乡医针钱钟镇问间队阳险随杂双难电页领题风养点齐补释说调论议财货费账购车农亿万们来个备势图团处够学宽将层干广后从复户扩断条东检样机权档欢岁归没减测无为现画疗监尽确积稳范简红纸组细终给综绿维网紧线练县义职听兴举艺卫冲装制复见规视觉记许详语请谈读负责贫贯赋赛赶这迁遗铁阅陆陈离虽灵响头愿显飞饮验党证", strict=True)))
_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_CIRCLED = re.compile(r"[①-⑳]")


def cell_raw(value: object) -> str:
    """A cell as the unit wrote it: trimmed, nothing else changed (「职业技能 培训」 keeps its space)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return (V.cell_text(value) or "").strip()


def plain_text(value: object) -> str:
    """A label or level name as matched: NFKC, pinyin annotations dropped, simplified, no spaces."""
    text = unicodedata.normalize("NFKC", cell_raw(value))
    return re.sub(r"\s+", "", _PINYIN.sub("", text)).translate(_T2S)


def header_key(value: object) -> str:
    """A header as matched: :func:`plain_text`, without (A)/(B), （万元）, circled numbers, formulas, * and ★."""
    text = plain_text(_CIRCLED.sub("", cell_raw(value))).lstrip("*★")
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)
    text = text.split("=")[0]
    return text.rstrip(":：")


def points_in(value: object) -> float:
    """Points printed in a header or level name: 分值（10分）→ 10, 得分(20分*执行率) → 20, 产出指标(60分) → 60."""
    m = re.search(r"(\d+(?:\.\d+)?)分", plain_text(value))
    return float(m.group(1)) if m else np.nan


# indicator-table headers → field (keys as :func:`header_key` gives them)
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



class FormError(Exception):
    """A sheet or file is not a readable form; the message says why in the user's terms."""


class BlankForm(FormError):
    """A form nobody filled in (a blank template sheet, a 填表说明 sheet): skipped, and reported as such."""


def stable_id(prefix: str, *parts: str) -> str:
    return prefix + hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:10].upper()


def split_code(text: str) -> tuple[str, str]:
    """A code printed in front of a name: [607001]某单位 / 820001-某单位 / 51000021R000000019951-工资性支出."""
    m = re.match(r"^[\[【(（]\s*([0-9A-Za-z]{3,})\s*[\]】)）]\s*(.+)$", text) or \
        re.match(r"^([0-9][0-9A-Za-z]{2,})\s*[-－—_]\s*(.+)$", text)
    return (m.group(1), m.group(2).strip()) if m else ("", text)


def level1_name(value: object) -> tuple[str | None, bool]:
    """A printed level-1 name → one of the contract's (产出指标(60分), 项目决策2分, 項目完成指標 …), and
    whether more than points or spacing changed. Unknown names → (None, True): the caller names them."""
    text = re.sub(r"\(?(\d+(\.\d+)?\s*[-–~至]\s*)?\d+(\.\d+)?\)?分|\(分\)|\(\)", "", plain_text(value))
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
    text = re.sub(r"\(?\d+(\.\d+)?\)?分|\(分\)", "", plain_text(value))
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
    text = unicodedata.normalize("NFKC", cell_raw(value)).replace(" ", "").replace("\u3000", "")
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


def form_number(value: object) -> float:
    """A score or weight cell: 10, '10', '10分', '二十' → a number; blank or '/' → NaN."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = plain_text(value).removesuffix("分")
    if not text or text in ("/", "-", "—", "——"):
        return np.nan
    number = V.parse_number(text)
    if np.isnan(number):
        cn = chinese_amount(text)
        number = float(cn) if cn is not None else np.nan
    return number


def month_of(key: str, what: str) -> int | None:
    """The month a monitoring header runs to: 1-6月执行数, 1-9月累计执行数, 截至6月底执行数, 6月末累计执行数 → 6."""
    m = re.fullmatch(rf"(?:\d{{1,2}}-|截至|截止|至)?(\d{{1,2}})月(?:底|末|份)?(?:累计)?{what}", key)
    return int(m.group(1)) if m and 1 <= int(m.group(1)) <= 12 else None


def form_rate(value: object) -> float:
    text = plain_text(value)
    number = V.parse_number(text.rstrip("%"))
    return number / 100 if text.endswith("%") else number
