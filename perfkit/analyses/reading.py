"""Reading the indicator rows of 绩效自评 for scoring: each 指标值 and 实际完成值 parsed
(:mod:`perfkit.rules.targets`), the pair read together (direction, units that compare, a restated
target), which scoring case each row falls in, and why a row cannot be read."""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.analyses.wording import concat_text
from perfkit.io.values import codes_of, lookup, pick, same_text, with_values
from perfkit.rules.rulebook import Rulebook
from perfkit.rules.target_columns import combine_target_parts, parse_texts, per_combination, resolve_direction
from perfkit.rules.targets import (
    BAD,
    DATE,
    EMPTY,
    EQ,
    GE,
    LE,
    NUMERIC_KINDS,
    QUAL,
    RANGE,
    TIERS,
    Vocabulary,
    is_deadline,
    restatement,
    says_on_time,
)

RESTATED = "单位自述（无佐证）"  # an actual that restates a qualitative target: the unit's claim, not evidence


def read_indicators(frame: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """Parse 指标值 and 实际完成值 of a self-evaluation (or monitoring) table and reconcile the two sides.

    Returns the target reading (t_*), the actual reading (a_*) — kind, value, value_hi (base units), unit
    (base), scale and shown (the unit as written: 万元 × 10000), tier, has_comparator, absence, note —
    the direction, and per row: ``unit``/``unit_scale``/``unit_shown`` (the row's unit as written on the
    target side, for printing 212.61万元), ``unit_mismatch``, ``actual_has_comparator``, ``a_inherited`` /
    ``t_inherited`` (a bare number took the other side's unit and scale), ``target_read`` (the target text
    as read: 指标性质 | 指标值 | 计量单位 cells joined) and ``read_reason`` (why a side cannot be read, in
    a clerk's words; empty when both read).

    Rules (docs/rules.md): a bare number takes the unit and scale of the other side (≤90万元 vs "120" is
    120万元; "10万人次" vs "9.5" is 9.5万人次; a bare % actual of at most
    ``evaluation.percent_bare_fraction_max`` is a fraction); a text that states no degree of completion is
    no actual; "未发生" / "无" against a zero ceiling is 0.
    """
    vocab = Vocabulary.from_rules(rules)
    target_text = frame["target_read"] if "target_read" in frame else \
        combine_target_parts(frame["target_text"], frame.get("comparator_text"), frame.get("unit_text"), vocab)
    t = parse_texts(target_text, vocab, rules.year).add_prefix("t_")
    a = parse_texts(frame["actual_text"], vocab, rules.year).add_prefix("a_")
    out = pd.concat([t, a], axis=1)
    out["target_read"] = target_text
    # a cost block (二级 成本指标 / 一级 成本指标) names the indicator as less-is-better too
    named = [frame[c] for c in ("indicator", "level2", "level1") if c in frame]
    out["direction"] = resolve_direction(t.rename(columns=lambda c: c[2:]), named,
                                         rules["evaluation.reverse_keywords"],
                                         bool(rules["evaluation.zero_target_is_ceiling"]))
    numeric = list(NUMERIC_KINDS)
    numeric_t = out["direction"].isin([GE, LE, EQ, RANGE])
    # a bad event that did not happen ("未发生安全事故", "无") against a ceiling of 0 is the number 0
    zero_cap = (out["direction"].eq(LE) & out["t_kind"].isin(numeric) & (out["t_value"] == 0)).to_numpy()
    absent = zero_cap & out["a_absence"].to_numpy(bool) & out["a_kind"].isin([QUAL, EMPTY]).to_numpy()
    if absent.any():
        out["a_kind"] = with_values(out["a_kind"], [""]).mask(absent, "")
        out.loc[absent, ["a_value", "a_scale"]] = [0.0, 1.0]
        out["a_note"] = pick(absent, pd.Series("不良事件未发生，按 0 读", index=out.index), out["a_note"])
    # the pair: an actual restating a qualitative target (单位自述), and a 时效 target answered in words
    _read_pair(frame, target_text, out, vocab)
    # an actual in words that says nothing about completion is no actual
    qual_a = out["a_kind"].eq(QUAL).to_numpy()
    no_tier = out["a_tier"].isna().to_numpy() | out["a_tier"].eq("").to_numpy()
    wordy = qual_a & no_tier & ~out["deadline_words"].to_numpy(bool)
    if wordy.any():
        why = per_combination(lambda v, note: "" if v is None else (
            str(note) if note and "句中" in str(note) else "为「" + str(v).strip()[:40]
            + "」，未写明完成程度，不是可比较的数值或定性表述"),
            [frame["actual_text"].where(wordy), out["a_note"].where(wordy)], out.index)
        out["a_kind"] = with_values(out["a_kind"], [BAD]).mask(wordy, BAD)
        out["a_note"] = pick(wordy, why, out["a_note"])
    numeric_a = out["a_kind"].isin(numeric)
    t_value, t_hi, a_value = (out[c].to_numpy(float).copy() for c in ("t_value", "t_value_hi", "a_value"))
    t_scale, a_scale = out["t_scale"].to_numpy(float).copy(), out["a_scale"].to_numpy(float).copy()
    # the base units compared on the categoricals' codes (an 8M-row array of unit strings costs seconds)
    t_bare, a_bare = out["t_unit"].eq("").to_numpy(bool), out["a_unit"].eq("").to_numpy(bool)
    t_pct, a_pct = out["t_unit"].eq("%").to_numpy(bool), out["a_unit"].eq("%").to_numpy(bool)
    t_has, a_has = ~t_bare | (t_scale != 1), ~a_bare | (a_scale != 1)
    frac_max = rules["evaluation.percent_bare_fraction_max"]
    # the actual: a bare number takes the target's unit and scale (a bare % of at most frac_max is a fraction)
    inherit_a = (numeric_t & numeric_a).to_numpy() & ~a_has & t_has
    pct = inherit_a & t_pct & (a_value <= frac_max)
    a_value = np.where(pct, a_value * 100, np.where(inherit_a, a_value * t_scale, a_value))
    # 125万 against ≤150万元: the scale was written, the base unit is the target's
    only_scale_a = (numeric_t & numeric_a).to_numpy() & a_bare & (a_scale != 1) & ~t_bare
    # the target: a bare number takes the actual's unit and scale
    inherit_t = (numeric_t & numeric_a).to_numpy() & ~t_has & a_has & ~inherit_a
    pct_t = inherit_t & a_pct & (np.nan_to_num(np.fmax(t_value, t_hi), nan=np.inf) <= frac_max)
    factor_t = np.where(pct_t, 100.0, np.where(inherit_t, a_scale, 1.0))
    t_value, t_hi = t_value * factor_t, t_hi * factor_t
    only_scale_t = (numeric_t & numeric_a).to_numpy() & t_bare & (t_scale != 1) & ~a_bare & ~inherit_t
    out["a_value"], out["t_value"], out["t_value_hi"] = a_value, t_value, t_hi
    a_unit = pick(inherit_a | only_scale_a, out["t_unit"], out["a_unit"])
    t_unit = pick(inherit_t | only_scale_t, out["a_unit"], out["t_unit"])
    a_shown = pick(inherit_a, out["t_shown"], pick(only_scale_a, concat_text(out["a_shown"], out["t_unit"]), out["a_shown"]))
    t_shown = pick(inherit_t, out["a_shown"], pick(only_scale_t, concat_text(out["t_shown"], out["a_unit"]), out["t_shown"]))
    out["a_scale"] = np.where(inherit_a & ~pct, t_scale, a_scale)
    out["t_scale"] = np.where(inherit_t & ~pct_t, a_scale, t_scale)
    out["a_unit"], out["t_unit"], out["a_shown"], out["t_shown"] = a_unit, t_unit, a_shown, t_shown
    out["a_inherited"], out["t_inherited"] = inherit_a, inherit_t
    target_side = t_has | inherit_t | only_scale_t
    out["unit"] = pick(target_side, out["t_unit"], out["a_unit"])
    out["unit_shown"] = pick(target_side, out["t_shown"], out["a_shown"])
    out["unit_scale"] = np.where(target_side, out["t_scale"], out["a_scale"])
    out["unit_mismatch"] = numeric_t & numeric_a & out["t_unit"].ne("") & ~same_text(out["a_unit"], out["t_unit"])
    out["actual_has_comparator"] = numeric_a & out["a_has_comparator"]
    out["read_reason"] = _read_reason(out)
    return out


def _read_pair(frame: pd.DataFrame, target_text: pd.Series, out: pd.DataFrame, vocab: Vocabulary) -> None:
    """Readings that need both cells of a row, added to ``out`` in place (once per distinct pair):

    - ``restated``: the actual restates a qualitative target as a whole cell (the same text, or a degree
      word + the same text); it is read as the unit's own claim at the tier of its degree word and marked
      单位自述（无佐证） — scored as such, counted, and listed for the spot check;
    - ``deadline_words``: a 时效 target (a date, an on-time word, a 时效 block) answered in words that
      state no date and no on-time word (「严格按照合同约定实施」): no tier can be read for it;
    - ``pair_note``: the sentence that says so."""
    n = len(out)
    out["restated"] = np.zeros(n, dtype=bool)
    out["deadline_words"] = np.zeros(n, dtype=bool)
    out["pair_note"] = pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[""]),
                                 index=out.index)
    t_kind, a_kind = out["t_kind"], out["a_kind"]
    qual_pair = (t_kind.eq(QUAL) & a_kind.eq(QUAL)).to_numpy()
    words_vs_date = (t_kind.eq(DATE) & a_kind.eq(QUAL)).to_numpy()
    if not (qual_pair.any() or words_vs_date.any()):
        return
    level2 = frame["level2"] if "level2" in frame else None

    late_mark = "时效"

    def judge(target: object, actual: object, block: object, date_target: object) -> str:
        """The restated tier, ``late_mark`` for a 时效 target without a date or on-time word in the
        actual, or ""."""
        if actual is None:
            return ""
        deadline = date_target == DATE or is_deadline(target, block, vocab)
        restated = restatement(target, actual, vocab) if date_target == QUAL else ""
        if deadline and not says_on_time(actual, vocab):
            return late_mark
        return restated

    pairs = per_combination(lambda *args: judge(*args), [target_text.where(qual_pair | words_vs_date),
                            frame["actual_text"].where(qual_pair | words_vs_date), level2,
                            t_kind.where(qual_pair | words_vs_date)], out.index)
    codes, verdicts = codes_of(pairs)
    verdict = np.array([v if isinstance(v, str) else "" for v in verdicts] + [""], dtype=object)[codes]
    late = verdict == late_mark
    tiers = np.where(late, "", verdict)
    restated = tiers != ""
    if restated.any():
        rank = {t: float(i) for i, t in enumerate(TIERS)}
        # the worse of the restated tier and what the words themselves say (基本满意 against 满意)
        worst = np.fmin(lookup(pd.Series(tiers, index=out.index), rank, float), lookup(out["a_tier"], rank, float))
        shown = np.array([*TIERS, ""], dtype=object)[np.where(np.isnan(worst), len(TIERS), worst).astype(int)]
        out["a_tier"] = pick(restated, pd.Series(shown, index=out.index).astype("category"), out["a_tier"])
        out["restated"] = restated
        out["pair_note"] = pick(restated, pd.Series(RESTATED + "：实际完成值复述指标值，按所述档次计分",
                                                    index=out.index), out["pair_note"])
    if late.any():
        out["deadline_words"] = late
        out["pair_note"] = pick(late, pd.Series("时效指标的实际完成值须写明完成日期或「按时完成」等表述，"
                                                "所填文字不能据以计分", index=out.index), out["pair_note"])


def reading_cases(r: pd.DataFrame) -> dict[str, pd.Series]:
    """Which rule a row is read by — the one reading shared by scoring, monitoring, the target review
    and the explorer: numbers by their comparison (fwd/rev/eq/range), a date against a deadline, words
    against a qualitative target (qual) or against a deadline that the words say was met on time
    (date_qual). Anything else (a word against a number, a norm sentence against a deadline) is no case:
    无法复算 in scoring, 无法判断 in monitoring — never complete."""
    d, a_kind = r["direction"], r["a_kind"]
    numeric_a = a_kind.isin(["", GE, LE, EQ]) & ~r["unit_mismatch"]
    words = a_kind.eq(QUAL) & ~r["deadline_words"].astype(bool)
    return {
        "fwd": (d == GE) & numeric_a,
        "rev": (d == LE) & numeric_a,
        "eq": (d == EQ) & numeric_a,
        "range": (d == RANGE) & numeric_a,
        "date": (d == DATE) & (a_kind == DATE),
        "date_qual": (d == DATE) & words,
        "qual": (d == QUAL) & words,
    }


def _read_reason(r: pd.DataFrame) -> pd.Series:
    """Why a row cannot be read, in a clerk's words ("" when both sides read and their units agree)."""
    reason = pd.Series(pd.Categorical.from_codes(np.zeros(len(r), dtype=np.int8), categories=[""]), index=r.index)
    mism = r["unit_mismatch"].to_numpy(bool)
    if mism.any():
        reason = pick(mism, concat_text("单位不一致：指标值为 ", r["t_shown"], "，实际完成值为 ", r["a_shown"], "，无法比较"),
                      reason)
    bad_a = r["a_kind"].isin([BAD, EMPTY]).to_numpy()
    if bad_a.any():
        reason = pick(bad_a, concat_text("实际完成值", r["a_note"]), reason)
    bad_t = r["t_kind"].isin([BAD, EMPTY]).to_numpy()
    if bad_t.any():
        reason = pick(bad_t, concat_text("指标值", r["t_note"]), reason)
    return reason
