"""Reading indicator texts as printed on real forms: ``≥50个``, ``不低于95%``, ``≤90万元``, ``=0``,
``1.2万人次``, ``90%-95%``, ``2022年12月31日前``, ``9月前``, ``效果明显``, ``部分达成年度指标…``.

:func:`parse_texts` parses each distinct string once and broadcasts the result, so a table of millions
of rows with a few thousand distinct texts costs a few thousand parses. Anything it cannot read is
classed ``无法解析`` with the reason — never dropped and never guessed silently.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from perfkit.io.values import codes_of, matches, with_values

GE, LE, EQ, RANGE, DATE, QUAL, BAD, EMPTY = "≥", "≤", "=", "区间", "日期", "定性", "无法解析", "空"

_GE_PREFIX = r"≥|≧|⩾|>=|不低于|不少于|不小于|大于等于|大于或等于|至少|达到|>|大于|高于|多于|超过"
_LE_PREFIX = r"≤|≦|⩽|<=|不高于|不超过|不多于|不大于|小于等于|小于或等于|控制在|低于|少于|<|小于"
_EQ_PREFIX = r"=|等于"
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_PREFIX = re.compile(rf"^(?P<le>{_LE_PREFIX})|^(?P<ge>{_GE_PREFIX})|^(?P<eq>{_EQ_PREFIX})")
_SUFFIX = re.compile(r"(?P<ge>及以上|以上|或以上)$|(?P<le>及以内|以内|及以下|以下|或以下)$")
_VALUE = re.compile(rf"^(?P<num>{_NUM})(?P<mag>万|亿)?(?P<unit>[^\d]*)$")
_RANGE = re.compile(rf"^(?P<lo>{_NUM})(?P<u1>[^\d\-~至到]*)(?:-|~|至|到|—)(?P<hi>{_NUM})(?P<u2>[^\d]*)$")
_DATE = re.compile(r"^(?:(?P<y>\d{4})?年)?(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})[日号])?(?P<end>底|末|中旬|上旬|下旬)?"
                   r"|(?P<ye>底|末))(?P<before>之?前|以前|前完成|完成)?$")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$")

# unit → (base unit, factor to base)
_UNITS: dict[str, tuple[str, float]] = {
    "元": ("元", 1.0), "千元": ("元", 1e3), "万元": ("元", 1e4), "亿元": ("元", 1e8),
    "%": ("%", 1.0), "‰": ("%", 0.1), "百分比": ("%", 1.0),
    "米": ("米", 1.0), "公里": ("米", 1e3), "千米": ("米", 1e3), "km": ("米", 1e3), "m": ("米", 1.0),
    "平方米": ("平方米", 1.0), "㎡": ("平方米", 1.0), "m2": ("平方米", 1.0), "平方公里": ("平方米", 1e6),
    "亩": ("亩", 1.0), "公顷": ("亩", 15.0), "吨": ("吨", 1.0), "千克": ("吨", 1e-3), "公斤": ("吨", 1e-3),
    "天": ("天", 1.0), "日": ("天", 1.0), "个工作日": ("天", 1.0), "工作日": ("天", 1.0),
    "月": ("月", 1.0), "个月": ("月", 1.0), "年": ("年", 1.0),
}


@dataclass(frozen=True)
class Reading:
    """What a text says: its comparison, value(s) in base units, unit, qualitative tier, and why."""

    kind: str  # ≥ ≤ = 区间 日期 定性 无法解析 空
    value: float = np.nan
    value_hi: float = np.nan
    unit: str = ""
    tier: str = ""
    has_comparator: bool = False
    note: str = ""


def normalize_unit(unit: str) -> tuple[str, float]:
    """'万元' → ('元', 10000); '万人次' → ('人次', 10000); '元/人·月' → ('元/人·月', 1)."""
    unit = unit.strip()
    if not unit:
        return "", 1.0
    if "/" in unit:
        head, _, tail = unit.partition("/")
        base, factor = normalize_unit(head)
        return f"{base}/{tail}", factor
    if unit in _UNITS:
        return _UNITS[unit]
    if unit.startswith("万") and len(unit) > 1:
        base, factor = normalize_unit(unit[1:])
        return base, factor * 1e4
    if unit.startswith("亿") and len(unit) > 1:
        base, factor = normalize_unit(unit[1:])
        return base, factor * 1e8
    return unit, 1.0


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).replace(",", "").replace("，", "")


def _date(match: re.Match, year: int, deadline: bool) -> float:
    """yyyymmdd as a number; a month without a day means its last day, 年底 means 12月31日."""
    y = int(match["y"]) if match["y"] else year
    if match["ye"]:
        m, d = 12, 31
    else:
        m = int(match["m"])
        if not 1 <= m <= 12:
            return np.nan
        last = calendar.monthrange(y, m)[1]
        d = int(match["d"]) if match["d"] else last
        if match["end"] in ("上旬",):
            d = min(d, 10)
        elif match["end"] == "中旬":
            d = min(d, 20)
        if not 1 <= d <= last:
            return np.nan
    return float(y * 10000 + m * 100 + d)


def parse_text(text: object, phrases: dict[str, list[str]], year: int) -> Reading:
    """Read one indicator text. ``phrases`` maps each qualitative tier to its wordings (rulebook)."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return Reading(EMPTY, note="未填写")
    raw = _clean(str(text))
    if not raw:
        return Reading(EMPTY, note="未填写")
    body, cmp = raw, ""
    m = _PREFIX.match(body)
    if m:
        cmp = LE if m["le"] else GE if m["ge"] else EQ
        body = body[m.end():]
    s = _SUFFIX.search(body)
    if s and not cmp:
        cmp = GE if s["ge"] else LE
    if s:
        body = body[:s.start()]
    # deadlines and dates
    d = _DATE.match(body) or _ISO_DATE.match(body)
    if d and ("月" in body or "年" in body or _ISO_DATE.match(body)):
        is_deadline = bool(d.groupdict().get("before")) or cmp == LE or bool(d.groupdict().get("end"))
        if _ISO_DATE.match(body):
            value = float(int(d["y"]) * 10000 + int(d["m"]) * 100 + int(d["d"]))
        else:
            value = _date(d, year, is_deadline)
        if np.isnan(value):
            return Reading(BAD, note=f"日期无法识别：{text}")
        return Reading(DATE, value, unit="日期", has_comparator=bool(cmp) or is_deadline)
    r = _RANGE.match(body)
    if r and not cmp:
        unit, factor = normalize_unit(r["u2"] or r["u1"])
        lo, hi = float(r["lo"]) * factor, float(r["hi"]) * factor
        return Reading(RANGE, min(lo, hi), max(lo, hi), unit, has_comparator=True)
    v = _VALUE.match(body)
    if v:
        unit_text = v["unit"]
        if unit_text and re.search(r"[\u4e00-\u9fff]{4,}", unit_text):
            return Reading(BAD, note=f"数值后跟文字，无法判断单位：{text}")
        unit, factor = normalize_unit(unit_text)
        mag = {"万": 1e4, "亿": 1e8}.get(v["mag"] or "", 1.0)
        value = float(v["num"]) * factor * mag
        return Reading(cmp or "", value, unit=unit, has_comparator=bool(cmp))
    for tier in ("未达成", "部分达成", "达成"):
        for phrase in phrases.get(tier, []):
            if phrase in raw:
                return Reading(QUAL, tier=tier, note=f"「{phrase}」→{tier}")
    return Reading(BAD, note=f"无法识别：{text}")


# The plain shape "comparator? number unit?" read by one arrow regex over all distinct texts. Units that
# could mean something else to the full parser (dates 月/日, suffixes 以上/以内, long words) are left to it.
_FAST = r"^(?P<cmp>≥|>=|>|≤|<=|<|=)?(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?P<unit>[^\d月日号前底末旬以及或至到~\-—]{0,4})$"
_FAST_CMP = {"≥": GE, ">=": GE, ">": GE, "≤": LE, "<=": LE, "<": LE, "=": EQ, "": ""}


def _fast_readings(uniques: pd.Index) -> pd.DataFrame:
    """Readings for the distinct texts of the plain shape; ``fast`` is False where the full parser must run."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from perfkit.io.values import clean_values

    text = pc.replace_substring_regex(clean_values(uniques), r"[\s,，]", "")
    text = pc.replace_substring(pc.replace_substring(text, "≧", "≥"), "≦", "≤")
    parts = pc.extract_regex(text, _FAST)
    ok = pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False)
    cmp = pc.fill_null(pc.struct_field(parts, "cmp"), "").to_numpy(zero_copy_only=False)
    num = pc.cast(pc.struct_field(parts, "num"), pa.float64()).to_numpy(zero_copy_only=False)
    unit_raw = pd.Series(pc.fill_null(pc.struct_field(parts, "unit"), "").to_numpy(zero_copy_only=False), dtype=object)
    long_word = unit_raw.str.contains(r"[\u4e00-\u9fff]{4,}", regex=True).to_numpy()
    normalized = {u: normalize_unit(u) for u in set(unit_raw)}
    base = unit_raw.map(lambda u: normalized[u][0]).to_numpy(dtype=object)
    factor = unit_raw.map(lambda u: normalized[u][1]).to_numpy(dtype=float)
    kind = np.array([_FAST_CMP.get(c, "") for c in cmp], dtype=object)
    return pd.DataFrame({"fast": ok & ~long_word, "kind": kind, "value": num * factor, "value_hi": np.nan,
                         "unit": base, "tier": "", "has_comparator": kind != "", "note": ""})


def parse_texts(texts: pd.Series, phrases: dict[str, list[str]], year: int) -> pd.DataFrame:
    """Vectorized :func:`parse_text`: one parse per distinct string, results aligned to ``texts``."""
    codes, uniques = codes_of(texts)
    columns = ["kind", "value", "value_hi", "unit", "tier", "has_comparator", "note"]
    if len(uniques):
        table = _fast_readings(pd.Index(uniques))
        slow = np.flatnonzero(~table["fast"].to_numpy())
        readings = [parse_text(uniques[i], phrases, year) for i in slow]
        table = table[columns]
        if len(slow):
            table.iloc[slow] = pd.DataFrame([[getattr(r, c) for c in columns] for r in readings],
                                            columns=columns, index=table.index[slow]).astype(table.dtypes.to_dict())
    else:
        table = pd.DataFrame(columns=columns)
    empty = parse_text(None, phrases, year)
    table.loc[len(table)] = [getattr(empty, c) for c in columns]
    # code −1 takes the last row: the empty reading. Text readings (kind, unit, tier, note) come out
    # categorical — one small integer per row over the few distinct readings — numbers as float arrays.
    out = {}
    for c in columns:
        values = table[c].to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(table[c].dtype):
            reading_codes, readings = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
            small = np.int8 if len(readings) < 127 else np.int16 if len(readings) < 32_767 else np.int32
            out[c] = pd.Categorical.from_codes(reading_codes.astype(small)[codes],
                                               categories=pd.Index(readings, dtype=object), validate=False)
        else:
            out[c] = values[codes]
    return pd.DataFrame(out, index=texts.index)


def resolve_direction(target: pd.DataFrame, indicator: pd.Series, reverse_keywords: list[str]) -> pd.Series:
    """The comparison a target asks for. A bare number is forward unless the indicator's name marks it
    as less-is-better (成本, 投诉, 事故 … from the rulebook)."""
    kind = with_values(target["kind"].copy(), [LE, GE])
    bare = kind.eq("")
    if bare.any():
        pattern = "|".join(map(re.escape, reverse_keywords)) or "(?!)"
        reverse = pd.Series(matches(indicator, pattern), index=indicator.index)
        kind = kind.mask(bare & reverse, LE).mask(bare & ~reverse, GE)
    return kind
