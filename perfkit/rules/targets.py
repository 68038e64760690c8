"""Reading indicator texts as units write them on real forms: ``≥50个``, ``不低于95%``, ``≤90万元``, ``=0``,
``1.2万人次``, ``90%-95%``, ``2022年12月31日前``, ``9月前``, ``效果明显``, ``无明显提升``, ``基本达标``,
``按规定程序执行``, ``/``, ``见附件`` …

Every word list (comparators and their OCR look-alikes, suffixes, units, qualitative tiers, negation and
degree words, placeholders) comes from the rulebook (``parsing.*`` and ``evaluation.qualitative_phrases``)
through a :class:`Vocabulary`; nothing here is a policy word.

A text ends in exactly one of: a number with its comparison (≥ ≤ = or bare ""), a range, a date, 定性
(with its tier, or a descriptive norm with none), 空 (blank or a placeholder such as ``/`` or template hint
text — never 0), or 无法解析 with a reason a clerk understands. Values are kept in base units (元, 米 …)
for comparison *and* with the unit as written and its scale (``万元`` × 10000), so that explanations can
print 212.61万元 rather than 2126100元.

:func:`perfkit.rules.target_columns.parse_texts` parses each distinct string once and broadcasts the result, so a table of millions
of rows with a few thousand distinct texts costs a few thousand parses.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

GE, LE, EQ, RANGE, DATE, QUAL, BAD, EMPTY = "≥", "≤", "=", "区间", "日期", "定性", "无法解析", "空"
TIERS = ("未达成", "部分达成", "达成")  # worst first
NUMERIC_KINDS = ("", GE, LE, EQ)
COLUMNS = ["kind", "value", "value_hi", "unit", "scale", "shown", "tier", "has_comparator", "absence", "note"]

NUMBER_RE = r"(?:\d+(?:\.\d*)?|\.\d+)"
_CJK = r"\u4e00-\u9fff"
_SYMBOLS = set("≥≤=<>≧≦⩾⩽≮≯《》〈〉≻≺")
_PINYIN = re.compile(r"\((?=[^)]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ])[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}\)")
_TRADITIONAL = str.maketrans({"萬": "万", "億": "亿", "個": "个", "項": "项", "點": "点", "噸": "吨", "畝": "亩",
                              "為": "为", "於": "于", "內": "内"})
_RANGE_SEP = r"(?:-|~|至|到|—|–|−|－)+"
_UNIT_TAIL = re.compile(rf"[{_CJK}A-Za-z²³]{{1,4}}(?:[·*×/][{_CJK}A-Za-z²³]{{1,4}})*")  # 元/人·月, 元/人*月
_PLAIN_UNIT = re.compile(rf"[{_CJK}]{{1,3}}|个[{_CJK}]{{1,3}}|[A-Za-z]{{1,4}}")
_DATE = re.compile(r"^(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月份?(?:(?P<d>\d{1,2})[日号])?(?P<end>底|末|中旬|上旬|下旬)?"
                   r"|(?P<ye>年?底|年?末|年内|年度内))(?P<rest>.*)$")
_ISO_DATE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:T?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                       r"(?P<rest>.*)$")  # a date cell read as text: 2022-12-31 00:00:00
_PERIOD = re.compile(rf"^(?:(?P<y1>\d{{4}})年)?(?P<m1>\d{{1,2}})(?:月份?)?{_RANGE_SEP}(?:(?P<y2>\d{{4}})年)?"
                     r"(?P<m2>\d{1,2})月份?(?P<end>底|末)?(?P<rest>.*)$")
_DATE_MARKERS = re.compile(r"^(?:每年|每季度|于|在|截至|截止到|截止至|截止|不晚于|最迟于|最迟)")


@dataclass(frozen=True)
class Reading:
    """What a text says: its comparison, value(s) in base units, unit (base, scale, as written), qualitative
    tier, and why (``note``: for 空 / 无法解析 a phrase that reads after 「指标值」/「实际完成值」)."""

    kind: str  # ≥ ≤ = "" 区间 日期 定性 无法解析 空
    value: float = np.nan
    value_hi: float = np.nan
    unit: str = ""  # base unit: 元, 米, %, 人次 …
    scale: float = 1.0  # the written unit in base units: 万元 → 10000
    shown: str = ""  # the unit as written: 万元, 公里, 万人次
    tier: str = ""
    has_comparator: bool = False
    absence: bool = False  # "未发生" / "无": a bad event that did not happen (0 against a zero ceiling)
    note: str = ""


@dataclass(frozen=True)
class Vocabulary:
    """The rulebook's word lists for reading texts, with their compiled patterns."""

    tier_words: tuple[tuple[str, str], ...]
    negations: tuple[str, ...]
    partial_degrees: tuple[str, ...]
    absences: tuple[str, ...]
    absence_markers: tuple[str, ...]
    bad_events: tuple[str, ...]
    ignore: tuple[str, ...]
    exact: Mapping[str, str]
    placeholder_exact: frozenset[str]
    placeholder_fragments: tuple[str, ...]
    placeholder_patterns: tuple[str, ...]
    references: tuple[str, ...]
    comparators: Mapping[str, str]
    ocr_comparators: Mapping[str, str]
    suffixes: Mapping[str, str]
    deadline_words: tuple[str, ...]
    trailing_words: tuple[str, ...]
    units: Mapping[str, tuple[str, float]]
    descriptive_min_chars: int = 2
    label_max_chars: int = 6
    progress_words: tuple[str, ...] = ()
    plan_words: tuple[str, ...] = ()
    unfinished_tiers: Mapping[str, str] = field(default_factory=dict)
    unfinished_exceptions: tuple[str, ...] = ()
    statement_prefixes: tuple[str, ...] = ()
    intensifiers: tuple[str, ...] = ()
    restatement_degrees: tuple[tuple[str, str], ...] = ()
    equivalents: Mapping[str, str] = field(default_factory=dict)
    ontime_words: tuple[str, ...] = ()
    deadline_level2: tuple[str, ...] = ()
    absence_window: int = 4
    period_days: Mapping[str, int] = field(default_factory=lambda: {"上旬": 10, "中旬": 20})
    _compiled: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_rules(cls, rules: Any, phrases: Mapping[str, list[str]] | None = None) -> Vocabulary:
        """From a :class:`~perfkit.rules.rulebook.Rulebook` (``phrases`` may replace the tier word list)."""
        phrases = phrases if phrases is not None else rules["evaluation.qualitative_phrases"]
        ph = rules["parsing.placeholders"]
        return cls(
            tier_words=tuple((w, tier) for tier in TIERS for w in phrases.get(tier, [])),
            negations=tuple(rules["parsing.negations"]), partial_degrees=tuple(rules["parsing.partial_degrees"]),
            absences=tuple(rules["parsing.absence_phrases"]), ignore=tuple(rules["parsing.ignore_words"]),
            absence_markers=tuple(rules["parsing.absence_markers"]), bad_events=tuple(rules["parsing.bad_events"]),
            exact=dict(rules["parsing.exact_words"]),
            placeholder_exact=frozenset(clean_text(str(w)) for w in ph.get("exact", [])),
            placeholder_fragments=tuple(ph.get("fragments", [])), placeholder_patterns=tuple(ph.get("patterns", [])),
            references=tuple(rules["parsing.references"]),
            comparators={clean_text(s): cmp for cmp, spellings in rules["parsing.comparators"].items() for s in spellings},
            ocr_comparators=dict(rules["parsing.ocr_comparators"]),
            suffixes={s: cmp for cmp, spellings in rules["parsing.comparator_suffixes"].items() for s in spellings},
            deadline_words=tuple(rules["parsing.deadline_words"]),
            trailing_words=tuple(rules["parsing.value_trailing_words"]),
            units={k: (str(v[0]), float(v[1])) for k, v in rules["parsing.units"].items()},
            descriptive_min_chars=int(rules["parsing.descriptive_min_chars"]),
            label_max_chars=int(rules["parsing.label_max_chars"]),
            progress_words=tuple(rules["parsing.progress_words"]), plan_words=tuple(rules["parsing.plan_words"]),
            unfinished_tiers=dict(rules["parsing.unfinished_tiers"]),
            unfinished_exceptions=tuple(rules["parsing.unfinished_exceptions"]),
            statement_prefixes=tuple(rules["parsing.statement_prefixes"]),
            intensifiers=tuple(rules["parsing.intensifiers"]),
            restatement_degrees=tuple((w, tier) for tier in TIERS
                                      for w in rules["parsing.restatement"].get(tier, [])),
            equivalents=dict(rules["parsing.restatement"].get("equivalents", {})),
            ontime_words=tuple(rules["parsing.ontime_words"]), deadline_level2=tuple(rules["parsing.deadline_level2"]),
            absence_window=int(rules["parsing.absence_window"]),
            period_days={k: int(v) for k, v in rules["parsing.period_days"].items()},
        )

    def pattern(self, name: str) -> re.Pattern:
        """Compiled patterns, built once per vocabulary."""
        if name not in self._compiled:
            self._compiled.update(self._compile())
        return self._compiled[name]

    def _compile(self) -> dict[str, re.Pattern]:
        def alt(words: object) -> str:
            return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w) or "(?!)"

        words = alt(w for w, _ in self.tier_words)
        return {
            "statement": re.compile(rf"^(?:{alt(self.statement_prefixes)})?(?P<deg>{alt(self.partial_degrees)})?"
                                    rf"(?:{alt(self.intensifiers)})?(?P<word>{words})了?$"),
            "progress": re.compile(alt(self.progress_words)),
            "not_unfinished": re.compile(alt(self.unfinished_exceptions)),
            "plan": re.compile(alt(self.plan_words)),
            "ontime": re.compile(alt(self.ontime_words)),
            "restatement_degrees": re.compile(alt(w for w, _ in self.restatement_degrees)),
            "prefix": re.compile(rf"^(?:{alt(self.comparators)})"),
            "ocr": re.compile(rf"^(?:{alt(self.ocr_comparators)})(?=\d)"),
            "suffix": re.compile(rf"(?:{alt(self.suffixes)})$"),
            "trailing": re.compile(rf"(?:{alt(self.trailing_words)})$"),
            "tier": re.compile(rf"(?P<word>{words})"),
            "absence": re.compile(rf"{alt(self.absences)}|(?:{alt(self.absence_markers)})"
                                  rf"[^,;。]{{0,{self.absence_window}}}?"
                                  rf"(?:{alt(self.bad_events)})(?:发生)?"),
            "ignore": re.compile(alt(self.ignore)),
            "negation": re.compile(alt(self.negations)),
            "reference": re.compile(alt(self.references)),
            "placeholder": re.compile("|".join(f"(?:{p})" for p in self.placeholder_patterns) or "(?!)"),
        }


@functools.lru_cache(maxsize=8)
def _default_vocabulary() -> Vocabulary:
    from perfkit.rules.rulebook import load_rules

    return Vocabulary.from_rules(load_rules())


def vocabulary(source: Any) -> Vocabulary:
    """A :class:`Vocabulary` from a rulebook, an existing vocabulary, or a bare tier→phrases mapping (the
    default profile's other word lists then apply)."""
    if isinstance(source, Vocabulary):
        return source
    if isinstance(source, Mapping):
        base = _default_vocabulary()
        return Vocabulary(**{**{f: getattr(base, f) for f in base.__dataclass_fields__ if f != "_compiled"},
                             "tier_words": tuple((w, t) for t in TIERS for w in source.get(t, []))})
    return Vocabulary.from_rules(source)


def clean_text(text: str) -> str:
    """NFKC (full-width digits, ＞ ＝ ％ → > = %), pinyin annotations after traditional characters
    (``區(qū)``) dropped, 萬 → 万, no white space, thousands separators removed."""
    text = _PINYIN.sub("", unicodedata.normalize("NFKC", text)).translate(_TRADITIONAL)
    text = _SPACE.sub("", text)
    text = _YUAN.sub(r"\1元", text).replace("¥", "")  # ￥1,200.00 is 1200元
    return _THOUSANDS.sub("", text).replace("%%", "%")


_SPACE = re.compile(r"\s+")
_YUAN = re.compile(r"¥([\d.,]+)$")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")


def times_scale(number: float, factor: float) -> float:
    """number × factor without binary noise (46.16 × 10000 is 461600, not 461599.99999999994)."""
    return number if factor == 1 else float(f"{number * factor:.15g}")


def unit_of(text: str, units: Mapping[str, tuple[str, float]]) -> tuple[str, float, str] | None:
    """A written unit → (base unit, factor to base, unit as shown), or None if ``text`` is not a unit.

    '万元' → ('元', 10000, '万元'); '万人次' → ('人次', 10000, '万人次'); '万' → ('', 10000, '万');
    '元/亩' → ('元/亩', 1, '元/亩'); '百分比' → ('%', 1, '%'); '%到位' → None."""
    if text == "":
        return "", 1.0, ""
    if "/" in text:
        head, _, tail = text.partition("/")
        first = unit_of(head, units)
        if first is None or not _UNIT_TAIL.fullmatch(tail):
            return None
        tail = re.sub(r"[*×]", "·", tail)  # 元/人*月 (ASCII on printed forms) is 元/人·月
        return f"{first[0]}/{tail}", first[1], f"{first[2]}/{tail}"
    if text in units:
        base, factor = units[text]
        return base, factor, base if base == "%" and factor == 1 else text
    for prefix, factor in (("万", 1e4), ("亿", 1e8)):
        if text.startswith(prefix):
            rest = unit_of(text[len(prefix):], units)
            if rest is not None:
                return rest[0], rest[1] * factor, prefix + rest[2]
    if _PLAIN_UNIT.fullmatch(text):
        return text, 1.0, text
    return None


def _show(raw: str, limit: int = 40) -> str:
    text = re.sub(r"\s+", " ", raw).strip()
    return "「" + (text if len(text) <= limit else text[:limit] + "…") + "」"


def _date_value(y: int, m: int, d: int | None, end: str | None, period_days: Mapping[str, int] | None = None
                ) -> float:
    """yyyymmdd as a number; a month without a day means its last day; 上旬/中旬 end on the rulebook's day
    (parsing.period_days: 10th, 20th)."""
    if not 1 <= m <= 12:
        return np.nan
    last = calendar.monthrange(y, m)[1]
    d = d if d is not None else last
    if end in (period_days or {}):
        d = min(d, int(period_days[end]))
    if not 1 <= d <= last:
        return np.nan
    return float(y * 10000 + m * 100 + d)


def _deadline_rest(rest: str, vocab: Vocabulary) -> tuple[bool, bool]:
    """(is a date shape, is a deadline) for what follows a date: nothing, 前/到位/完成…, or 前 + what is done."""
    if rest == "":
        return True, False
    if rest in vocab.deadline_words:
        return True, True
    if re.match(r"^(?:之前|以前|前)", rest):
        return True, True
    return False, False


def _read_date(body: str, cmp: str, vocab: Vocabulary, year: int, raw: str) -> Reading | None:
    marker = _DATE_MARKERS.match(body)
    if marker:
        body = body[marker.end():]
    p = _PERIOD.match(body)
    if p:
        shape, _ = _deadline_rest(p["rest"], vocab)
        if shape:
            y = int(p["y2"] or p["y1"] or year)
            value = _date_value(y, int(p["m2"]), None, None)
            if np.isnan(value):
                return Reading(BAD, note=f"为{_show(raw)}，日期无法识别")
            return Reading(DATE, value, unit="日期", shown="日期", has_comparator=True,
                           note=f"期间 {_show(raw)} 按期末读")
    d = _ISO_DATE.match(body) or _DATE.match(body)
    if not d:
        return None
    shape, deadline = _deadline_rest(d["rest"], vocab)
    if not shape:
        return None
    groups = d.groupdict()
    y = int(d["y"]) if d["y"] else year
    if groups.get("ye"):
        value = _date_value(y, 12, 31, None)
        deadline = True
    else:
        value = _date_value(y, int(d["m"]), int(d["d"]) if d["d"] else None, groups.get("end"), vocab.period_days)
        deadline = deadline or bool(groups.get("end"))
    if np.isnan(value):
        return Reading(BAD, note=f"为{_show(raw)}，日期无法识别")
    note = f"期限之后的「{d['rest']}」为完成内容" if len(d["rest"]) > 2 else ""
    return Reading(DATE, value, unit="日期", shown="日期", has_comparator=bool(cmp) or deadline or bool(marker),
                   note=note)


def _read_number(body: str, cmp: str, vocab: Vocabulary) -> Reading | None:
    """'95%' / '1.2万人次' / '90%-95%' (with the comparator already taken off)."""
    if not cmp:  # 90%-95%, 90%~95%, 90%至95%, 90%≤x≤95%
        r = re.match(rf"^(?P<lo>{NUMBER_RE})(?P<u1>[^\d]*?){_RANGE_SEP}(?P<hi>{NUMBER_RE})(?P<u2>[^\d]*)$", body) \
            or re.match(rf"^(?P<lo>{NUMBER_RE})(?P<u1>[^\d≤<]*)[≤<][A-Za-z{_CJK}]{{0,4}}[≤<](?P<hi>{NUMBER_RE})(?P<u2>\D*)$", body)
    else:  # ≥90%且≤95%
        r = re.match(rf"^(?P<lo>{NUMBER_RE})(?P<u1>[^\d]*?)(?:且|并且|,|、|;)[≤<](?P<hi>{NUMBER_RE})(?P<u2>\D*)$", body) \
            if cmp == GE else None
    if r:
        u1, u2 = unit_of(r["u1"], vocab.units), unit_of(r["u2"], vocab.units)
        if u1 is not None and u2 is not None and (not r["u1"] or not r["u2"] or u1[0] in ("", u2[0])):
            base, factor, shown = u2 if r["u2"] else u1
            lo, hi = times_scale(float(r["lo"]), u1[1] if r["u1"] else factor), times_scale(float(r["hi"]), factor)
            return Reading(RANGE, min(lo, hi), max(lo, hi), base, factor, shown, has_comparator=True)
    v = re.match(rf"^(?P<num>[+-]?{NUMBER_RE})(?P<unit>.*)$", body)
    if v:
        unit = unit_of(v["unit"], vocab.units)
        if unit is not None:
            return Reading(cmp, times_scale(float(v["num"]), unit[1]), unit=unit[0], scale=unit[1], shown=unit[2],
                           has_comparator=bool(cmp))
    return None


def _comparator(text: str, vocab: Vocabulary) -> tuple[str, str, str, str]:
    """(comparison, rest of the text, the spelling found, a word after the value that was set aside) for a
    comparator written before the value or a comparison word after it (100人左右, 3个工作日内完成)."""
    cmp, spelled, trailing = "", "", ""
    m = vocab.pattern("prefix").match(text) or vocab.pattern("ocr").match(text)
    if m:
        spelled = m.group(0)
        cmp = vocab.comparators.get(spelled) or vocab.ocr_comparators[spelled]
        text = text[m.end():]
        again = vocab.pattern("prefix").match(text)  # a comparator cell joined to a value that has its own: ≥≥95%
        if again and vocab.comparators[again.group(0)] == cmp and set(spelled) <= _SYMBOLS:
            text = text[again.end():]
    t = vocab.pattern("trailing").search(text)
    if t and re.search(r"\d", text[:t.start()]):
        trailing, text = t.group(0), text[:t.start()]
    s = vocab.pattern("suffix").search(text)
    if s and re.search(r"\d", text[:s.start()]):
        cmp = cmp or vocab.suffixes[s.group(0)]
        text = text[:s.start()]
    return cmp, text, spelled, trailing


def _read_quantity(text: str, vocab: Vocabulary, year: int, raw: str) -> Reading | None:
    """A comparison, date, range or number — or None if the text is none of these."""
    cmp, body, spelled, trailing = _comparator(text, vocab)
    reading = _read_date(body, cmp, vocab, year, raw) or _read_number(body, cmp, vocab)
    if reading is not None and spelled in vocab.ocr_comparators:
        reading = Reading(**{**reading.__dict__, "note": f"「{spelled}」按 OCR 误识的「{cmp}」读"})
    if reading is not None and trailing and reading.kind != BAD:
        reading = Reading(**{**reading.__dict__, "note": "；".join(filter(None, [
            reading.note, f"其后的「{trailing}」不影响读数"]))})
    return reading


def _read_in_context(raw: str, vocab: Vocabulary, year: int, text: str) -> Reading | None:
    """A quantity once what surrounds it is set aside: end punctuation, a remark in brackets
    (≥95%(含)), a short label before it (年度预算220万元, 力争达到95%)."""
    reading = _read_quantity(raw, vocab, year, text)
    if reading is not None:
        return reading
    body, notes = raw, []
    for _ in range(3):
        peeled = re.sub(r"[,.;:。；、!！]+$", "", body)
        remark = re.match(r"^(?P<core>.*\d\D{0,4})[(\[【](?P<remark>[^()\[\]【】]*)[)\]】]$", peeled)
        if remark and remark["remark"].lstrip("万亿") in vocab.units:
            peeled = remark["core"] + remark["remark"]  # 100(万元): a unit in brackets
        elif remark:
            peeled = remark["core"]
            notes.append(f"括号内「{remark['remark']}」为说明")
        if peeled == body:
            break
        body = peeled
        reading = _read_quantity(body, vocab, year, text)
        if reading is not None and reading.kind != BAD:
            return Reading(**{**reading.__dict__, "note": "；".join(filter(None, [reading.note, *notes]))})
    label = re.match(rf"^(?P<label>[{_CJK}:]+?)(?=[\d≥≤=<>≧≦])", body)
    if label and len(label["label"]) <= vocab.label_max_chars and not vocab.pattern("negation").search(label["label"]):
        name = label["label"]
        said = next((w for w in sorted(vocab.comparators, key=len, reverse=True) if name.endswith(w)), "")
        inner = _read_quantity(said + body[label.end():], vocab, year, text)
        if inner is not None and inner.kind != BAD:
            shown = name[: len(name) - len(said)] or name
            what = "日期" if inner.kind == DATE else "数值"
            return Reading(**{**inner.__dict__, "note": "；".join(filter(None, [
                inner.note, f"取「{shown}」后的{what}", *notes]))})
    return None


CLAUSE_BREAK = re.compile(r"[,，;；。、!！?？]+")
UNFINISHED = (("否定", "negation"), ("进行中", "progress"), ("计划", "plan"))  # rulebook parsing.unfinished_tiers


def _unfinished(text: str, vocab: Vocabulary) -> tuple[int, str] | None:
    """The worst tier a negation, progress or plan word anywhere in ``text`` caps it at (its index in
    TIERS, the wording), or None: such a cell is never 达成 (未按合同约定实施, 正在实施, 拟实施, 必要性不足)."""
    found = []
    text = vocab.pattern("not_unfinished").sub("", text)
    for label, name in UNFINISHED:
        m = vocab.pattern(name).search(text)
        tier = vocab.unfinished_tiers.get(label)
        if m and tier in TIERS:
            found.append((TIERS.index(tier), f"「{m.group(0)}」（{label}）"))
    return min(found) if found else None


def _read_tier(text: str, vocab: Vocabulary) -> tuple[str, bool, str]:
    """(worst tier found, whether it is an absence of bad events, the wording that decided it).

    A tier is decided only by a statement that is the whole cell or a whole clause between punctuation:
    a tier word with at most a prefix (已, 均已, 按要求 …), a degree word (基本 → 部分达成) and an
    intensifier (非常满意). A word inside a longer sentence never decides (「严格按照合同约定实施」 holds no
    statement). A negation, progress or plan word anywhere caps the cell below 达成 (rulebook
    parsing.unfinished_tiers); several statements in one cell take the worst."""
    if text in vocab.exact:
        return vocab.exact[text], False, f"「{text}」"
    found: list[tuple[int, str]] = []
    absence = vocab.pattern("absence").search(text)
    if absence:
        found.append((TIERS.index("达成"), f"「{absence.group(0)}」（不良事件未发生）"))
        text = vocab.pattern("absence").sub("，", text)
    text = vocab.pattern("ignore").sub("", text)
    unfinished = _unfinished(text, vocab)
    if unfinished is not None:
        found.append(unfinished)
    words = dict(vocab.tier_words[::-1])  # first listing of a word wins
    for clause in CLAUSE_BREAK.split(text):
        m = vocab.pattern("statement").fullmatch(clause) if clause else None
        if m is None:
            continue
        tier = words[m["word"]]
        if m["deg"] and tier == "达成":
            tier, why = "部分达成", "（程度）"
        else:
            why = ""
        found.append((TIERS.index(tier), f"「{clause}」{why}"))
    if not found:
        return "", False, ""
    worst = min(found)
    return TIERS[worst[0]], bool(absence) and worst[0] == TIERS.index("达成"), worst[1]


def inner_tier_word(text: str, vocab: Vocabulary) -> str:
    """A tier word standing inside a longer sentence (which does not decide a tier), for the 说明."""
    m = vocab.pattern("tier").search(vocab.pattern("ignore").sub("，", clean_text(text)))
    return m.group(0) if m else ""


def _core(text: str, vocab: Vocabulary) -> str:
    """A qualitative text for comparing with another: remarks in brackets and punctuation dropped, the
    rulebook's equivalent spellings unified (按照 → 按)."""
    t = re.sub(r"[(（\[【][^()（）\[\]【】]*[)）\]】]", "", clean_text(text))
    t = re.sub(r"[,，;；。、:：!！?？\"“”'‘’「」《》\s]", "", t)
    for a, b in sorted(vocab.equivalents.items(), key=lambda kv: -len(kv[0])):
        t = t.replace(a, b)
    return t


def restatement(target: object, actual: object, vocab: Any) -> str:
    """The tier at which ``actual`` restates a qualitative ``target`` as a whole cell, or "".

    The same text (after :func:`_core`), or the same text with the rulebook's degree words added
    (parsing.restatement: 基本按合同约定实施 against 严格按照合同约定实施 → 部分达成; 较充分 against 充分 →
    达成). A cell with a negation, progress or plan word is never a restatement."""
    if target is None or actual is None or not isinstance(target, str) or not isinstance(actual, str):
        return ""
    vocab = vocabulary(vocab)
    t, a = _core(target, vocab), _core(actual, vocab)
    if len(re.findall(rf"[{_CJK}]", t)) < 1 or not a:
        return ""
    if _unfinished(vocab.pattern("ignore").sub("", clean_text(actual)), vocab) is not None:
        return ""
    if a == t:
        return "达成"
    degrees = vocab.pattern("restatement_degrees")
    t_rest, a_rest = degrees.sub("", t), degrees.sub("", a)
    if a_rest != t_rest or len(re.findall(rf"[{_CJK}]", t_rest)) < 2:
        return ""
    tiers = dict(vocab.restatement_degrees[::-1])
    added = [w for w in degrees.findall(a)]
    for w in degrees.findall(t):
        if w in added:
            added.remove(w)
    return TIERS[min((TIERS.index(tiers[w]) for w in added), default=TIERS.index("达成"))]


def is_deadline(target: object, level2: object, vocab: Any) -> bool:
    """A 时效 target in words: its 二级指标 is a 时效 block or its text has an on-time word (按时完成)."""
    vocab = vocabulary(vocab)
    in_block = isinstance(level2, str) and any(w in level2 for w in vocab.deadline_level2)
    return in_block or (isinstance(target, str) and bool(vocab.pattern("ontime").search(clean_text(target))))


def says_on_time(actual: object, vocab: Any) -> bool:
    """Whether a qualitative actual says the work was done on time (按时完成, 如期, 及时)."""
    return isinstance(actual, str) and bool(vocabulary(vocab).pattern("ontime").search(clean_text(actual)))


def _is_placeholder(text: str, vocab: Vocabulary) -> bool:
    return (text in vocab.placeholder_exact or any(f in text for f in vocab.placeholder_fragments)
            or bool(vocab.pattern("placeholder").search(text)))


def parse_text(text: object, phrases: Any, year: int) -> Reading:
    """Read one indicator text. ``phrases``: a :class:`Vocabulary`, a rulebook, or tier → wordings."""
    vocab = vocabulary(phrases)
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return Reading(EMPTY, note="未填写")
    raw = clean_text(str(text))
    if not raw:
        return Reading(EMPTY, note="未填写")
    if _is_placeholder(raw, vocab):
        return Reading(EMPTY, absence=raw in ("无", "零"), note=f"为{_show(str(text))}（不适用或未填写，不作 0 读）")
    reading = _read_in_context(raw, vocab, year, str(text))
    if reading is not None:
        return reading
    cmp, body, spelled, _ = _comparator(raw, vocab)
    if spelled and set(spelled) <= _SYMBOLS:
        rest = "，只有比较符，没有数值" if not body else f"，比较符「{spelled}」之后不是可读的数值"
        return Reading(BAD, note=f"为{_show(str(text))}{rest}")
    if vocab.pattern("reference").search(raw):
        return Reading(BAD, note=f"为{_show(str(text))}，引用其他材料，不是可比较的数值或定性表述")
    tier, absence, why = _read_tier(raw, vocab)
    if tier:
        return Reading(QUAL, tier=tier, absence=absence, note=f"{why}→{tier}")
    inner = inner_tier_word(raw, vocab)
    if inner:
        return Reading(QUAL, note=f"为{_show(str(text))}，句中的「{inner}」不单独决定档次，未写明完成程度")
    if len(re.findall(rf"[{_CJK}]", raw)) >= vocab.descriptive_min_chars:
        return Reading(QUAL, note=f"{_show(str(text))}为描述性表述，按定性读")
    return Reading(BAD, note=f"为{_show(str(text))}，不是可比较的数值或定性表述")


