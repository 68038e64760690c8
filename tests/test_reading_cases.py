"""How a cell is read, tested against text no one here wrote (issue 24).

``tests/data/reading_cases.csv`` lists (指标值, 实际完成值, expected reading) cases drawn from the real-forms
corpus (record ids in 来源) and from the probes of an independent review — not from the demo generator.
Then: one reading everywhere — scoring and monitoring agree on every distinct (target, actual) pair of
the demo and of the real-forms corpus; the probes never get full marks; no row of the corpus is scored
达成 through a word inside a longer sentence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from perfkit.analyses.evaluation import RESTATED, explain_indicators, score_indicators
from perfkit.analyses.monitoring import _pace_rows
from perfkit.rules.rulebook import load_rules
from perfkit.rules.targets import TIERS, Vocabulary, _read_tier
from perfkit.rules.targets import clean_text as _clean

CASES = Path(__file__).parent / "data" / "reading_cases.csv"
RULES = load_rules("mof2020", 2022)
WEIGHT = 10.0


def _cases() -> pd.DataFrame:
    return pd.read_csv(CASES, dtype=str, keep_default_na=False)


def _frame(targets: pd.Series, actuals: pd.Series, level2: pd.Series, names: pd.Series | None = None) -> pd.DataFrame:
    n = len(targets)
    return pd.DataFrame({
        "project_id": [f"P{i:04d}" for i in range(n)], "level1": "产出指标", "level2": level2.to_numpy(),
        "indicator": (names if names is not None else pd.Series([f"指标{i}" for i in range(n)])).to_numpy(),
        "target_text": targets.to_numpy(), "actual_text": actuals.to_numpy(), "weight": WEIGHT,
        "unit_score": np.nan, "deviation_reason": "", "_row": np.arange(n) + 2,
    }).replace({"target_text": {"": None}, "actual_text": {"": None}, "level2": {"": None}})


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, pd.DataFrame]:
    cases = _cases()
    return cases, score_indicators(_frame(cases["指标值"], cases["实际完成值"], cases["二级指标"], cases["三级指标"]), RULES)


def test_every_case_reads_as_the_table_says(table: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    cases, ind = table
    got = pd.DataFrame({"读法": ind["case"].astype(str).to_numpy(),
                        "档次": ind["tier"].astype(object).fillna("").astype(str).to_numpy(),
                        "单位自述": np.where(ind["restated"].to_numpy(bool), "是", "否")})
    expected = cases[["读法", "档次", "单位自述"]].copy()
    expected.loc[~expected["读法"].isin(["qual", "date_qual"]), "档次"] = ""
    got.loc[~got["读法"].isin(["qual", "date_qual"]), "档次"] = ""
    wrong = (got != expected).any(axis=1)
    listing = pd.concat([cases[["指标值", "实际完成值"]], expected.add_prefix("应为"), got.add_prefix("实为")], axis=1)
    assert not wrong.any(), listing.loc[wrong].to_string()


def test_probes_never_score_full_marks(table: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The review's probes: negated, in progress, planned, a norm for a deadline, 必要性不足, 基本…"""
    cases, ind = table
    probes = cases["来源"].eq("审计复核").to_numpy() & ~cases["读法"].isin(["fwd", "rev", "eq", "date"]).to_numpy()
    restated_full = cases["实际完成值"].eq(cases["指标值"]).to_numpy()  # the unit's claim, at its tier
    score = ind["score"].to_numpy(float)
    assert probes.sum() >= 9
    assert not (probes & ~restated_full & (score >= WEIGHT)).any(), cases.loc[probes & (score >= WEIGHT)]


def test_restated_rows_say_so_in_their_explanation(table: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, ind = table
    text = explain_indicators(ind, RULES)
    restated = ind["restated"].to_numpy(bool)
    assert restated.sum() >= 8
    assert text[restated].str.contains(RESTATED, regex=False).all()
    assert not text[~restated].str.contains(RESTATED, regex=False).any()


def test_a_deadline_answered_with_a_norm_says_why(table: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    cases, ind = table
    row = cases.index[cases["实际完成值"].eq("严格按照合同约定实施") & cases["指标值"].str.contains("前")][0]
    assert np.isnan(ind.loc[row, "score"])
    assert "按时完成" in explain_indicators(ind.loc[[row]], RULES).iloc[0]


def _agreement(frame: pd.DataFrame) -> None:
    """Scoring and monitoring read each row alike: no case ⇔ no light; words get the light of their tier."""
    ind = score_indicators(frame, RULES)
    pace = _pace_rows(frame.reset_index(drop=True), RULES, 12)
    none = ind["case"].astype(str).eq("none").to_numpy()
    reported = frame["actual_text"].notna().to_numpy() & frame["target_text"].notna().to_numpy()
    light = pace["light"].astype(object)
    no_light = light.isna().to_numpy()
    bad = reported & (none != no_light)
    assert not bad.any(), frame.loc[bad, ["target_text", "actual_text"]].head(20).to_string()
    qual = ind["case"].astype(str).isin(["qual", "date_qual"]).to_numpy()
    lights = RULES["monitoring.tier_lights"]
    expected = ind["tier"].astype(object).map(lights).to_numpy()
    assert (light.to_numpy()[qual] == expected[qual]).all()
    # 无法判断 in monitoring is exactly a row both cells of which are filled and that scoring cannot recompute
    assert (pace["undecidable"].to_numpy() == (reported & none & ~ind["actual_kind"].astype(str).eq("空").to_numpy())).all()


def test_one_reading_on_every_demo_pair(demo) -> None:  # noqa: ANN001 — the session fixture
    se = demo.tables["self_eval"]
    pairs = se.drop_duplicates(["target_text", "actual_text", "level2"]).reset_index(drop=True)
    assert len(pairs) > 200
    _agreement(_frame(pairs["target_text"].astype(object), pairs["actual_text"].astype(object),
                      pairs["level2"].astype(object), pairs["indicator"].astype(object)))


def test_one_reading_on_every_real_forms_pair() -> None:
    from tests.test_real_forms import _records, corpus_rows

    rows = corpus_rows(_records())
    pairs = rows.drop_duplicates(["target_text", "actual_text", "level2"]).reset_index(drop=True)
    frame = _frame(pairs["target_text"].astype(object), pairs["actual_text"].astype(object),
                   pairs["level2"].astype(object), pairs["indicator"].astype(object))
    _agreement(frame)


def test_no_real_forms_row_is_scored_achieved_through_a_word_inside_a_sentence() -> None:
    """A 达成 comes from a statement that is the whole cell (or a whole clause) or from a restatement of
    the target — never from a word standing inside a longer sentence. Measured on the corpus."""
    from tests.test_real_forms import _records, corpus_rows

    rows = corpus_rows(_records())
    ind = score_indicators(rows.assign(_row=np.arange(len(rows)) + 2), RULES)
    achieved = ind["case"].astype(str).isin(["qual", "date_qual"]).to_numpy() & ind["tier"].astype(object).eq("达成").to_numpy()
    vocab = Vocabulary.from_rules(RULES)
    for text, restated in zip(ind.loc[achieved, "actual_text"], ind.loc[achieved, "restated"], strict=True):
        if restated:
            continue
        tier, _, why = _read_tier(_clean(str(text)), vocab)
        assert tier == "达成" and why.strip("「」").split("」")[0] in _clean(str(text))
    # and the sentences that hold a tier word but no statement are not scored at all
    sentences = rows["actual_text"].isin(["有利于推动企业走出去", "已按要求完成预算"]).to_numpy()
    assert sentences.sum() == 2 and ind.loc[sentences, "score"].isna().all()
    assert set(TIERS) >= set(ind["tier"].astype(object).dropna()) - {""}
