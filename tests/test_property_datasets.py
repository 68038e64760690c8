"""No internal error, ever, on input that loads (issue 11 §1): datasets generated from the contract.

A hypothesis strategy builds datasets the way users' files come — any subset of the contract's sheets,
any column left out, any cell blank, header-only tables, text where numbers go, NA words, dates written
as text or as real date cells, codes repeated across years, codes and units that do not exist, months
from none to every one and an as-of month beyond the data — written as a CSV folder, a Parquet folder
or one .xlsx workbook. Each dataset then goes through what a user runs:

* ``perfkit validate`` (:func:`perfkit.io.load.load`), with and without the month;
* ``perfkit score`` (:func:`perfkit.api.score` into a temporary folder, ``--month`` included);
* the report: the typed snapshot the notebooks read, :func:`perfkit.api.analyze` at the month, and every
  function the two notebooks call (annual report and allocation analysis, charts drawn, the Excel
  workbook written) — without papermill, so that hundreds of datasets run in seconds.

The only exception allowed is perfkit's own :class:`InputError` with a one-line message. Examples per
run: ``EXAMPLES`` below (``make test``); ``PERFKIT_HYPOTHESIS_EXAMPLES=500`` for a longer search. The
search is derandomized, so CI sees the same datasets every run.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import warnings
from pathlib import Path
from unittest import mock

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as _event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import perfkit.api as pk
from perfkit.io.base import InputError
from perfkit.io.contract import TABLES, Column, Table
from perfkit.io.load import Dataset, load, load_snapshot, save_snapshot
from tests.conftest import rows_reconcile

matplotlib.use("Agg")

EXAMPLES = int(os.environ.get("PERFKIT_HYPOTHESIS_EXAMPLES", "30"))

# ------------------------------------------------------------------------------------------ cell pools
# Values users put in cells: valid ones, blanks and NA words, text where numbers go, dates as text.
BLANKS = ["", " ", None, "NA", "N/A", "None", "null", "nan", "#N/A", "-"]
PROJECT_CODES = ["P1", "P2", "P3", "2022101001000", "NA", "P 1", "Ｐ２"]
UNIT_CODES = ["U1", "U2", "U9", "None"]
NAMES = ["项目甲", "NA", "None", "派出所2022年经费", "=SUM(A1)", "机密工程", "项目甲 "]
INDICATORS = ["人数", "满意度", "完成时限", "成本", "NA", "事故"]
TARGETS = ["≥50个", "≤90万元", "100%", "=0", "达成预期指标", "效果明显", "90%-95%", "1000-1200人",
           "2022年12月31日前", "2022/12/31前", "见附件", "≧80%", "120", "0件", "不低于90%", "≤0.5%", "=100%",
           "按规定程序执行"]
ACTUALS = ["60个", "85万元", "98%", "0", "达成", "无明显提升", "93%", "1100人", "2022年11月30日", "2022/12/31前",
           "见附件", "已完成", "120", "0.98", "≥50个", "-5", "1e400", "2022-11-30 00:00:00",
           dt.datetime(2022, 11, 30), dt.datetime(2023, 3, 1)]
NUMBERS = ["10", "20", "50", "0", "abc", "-5", "150", "1e3", "１００", "12.345", "inf", "NaN", 30, 7.5]
MONEY = ["100", "0", "1,000.5", "-1", "1e12", "abc", "0.004", "１２０", 250, 80178.66, "一百二十万"]
YEARS = ["2022", "2021", "2023", "二〇二二", "2022.0", "1999", 2022, 2021]
MONTHS = [str(m) for m in range(1, 13)] + ["13", "0", "5月", "5.5", 5, 12]
BOOLS = ["是", "否", "Y", "N", "1", "0", "TRUE", "✓", "maybe"]
LIKELIHOOD = ["确定能", "有可能", "完全不可能", "不确定"]
TEXT = ["x", "说明", "NA", "=1+1", "'=A1"]

BY_COLUMN: dict[str, list] = {
    "project_id": PROJECT_CODES, "unit_id": UNIT_CODES, "project_name": NAMES, "unit_name": NAMES,
    "department": ["教育局", "NA"], "indicator": INDICATORS, "target_text": TARGETS, "actual_text": ACTUALS,
    "done_text": ACTUALS, "forecast_text": ACTUALS, "year": YEARS, "month": MONTHS, "likelihood": LIKELIHOOD,
    "comparator_text": ["≥", "≤", "=", "≧", "＞", "x"], "unit_text": ["个", "万元", "%", "元", "人次"],
}
BY_KIND: dict[str, list] = {"money": MONEY, "number": NUMBERS, "int": YEARS, "bool": BOOLS, "text": TEXT}


CORE = {"项目": 95, "绩效自评": 95, "执行监控": 90}  # % of datasets holding the table; others 50%


def _pool(table: Table, col: Column) -> list:
    if col.name in BY_COLUMN:
        return BY_COLUMN[col.name]
    if col.kind == "enum":
        return [*col.choices, "其他"]
    return BY_KIND.get(col.kind, TEXT)


@st.composite
def cells(draw: st.DrawFn, table: Table, col: Column) -> object:
    """One cell: mostly a value of the column's own pool, sometimes blank or an NA word."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(BLANKS))
    return draw(st.sampled_from(_pool(table, col)))


@st.composite
def sheets(draw: st.DrawFn, table: Table) -> pd.DataFrame:
    """One sheet: its contract columns (any of them may be missing), 0–5 rows (0 = header only)."""
    # each column may be missing: a required one 3% of the time (the whole table is then set aside), others 15%
    columns = [c for c in table.columns if draw(st.integers(0, 99)) >= (3 if c.required else 15)]
    n = draw(st.integers(0, 5))
    rows = [[draw(cells(table, c)) for c in columns] for _ in range(n)]
    return pd.DataFrame(rows, columns=[c.header for c in columns], dtype=object)


@st.composite
def datasets(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], str, int | None, int]:
    """(sheets by name, file format, as-of month or None, report year)."""
    # the tables every step needs come most of the time (so most datasets reach the report), the rest half
    chosen = [t for t in TABLES if draw(st.integers(0, 99)) < CORE.get(t.sheet, 50)]
    if not chosen:
        chosen = [draw(st.sampled_from(TABLES))]
    tables = {t.sheet: draw(sheets(t)) for t in chosen}
    if "项目" in tables and len(tables["项目"]) and "项目编码" in tables["项目"] and draw(st.booleans()):
        # the same code in two years (the contract allows it)
        again = tables["项目"].iloc[:1].copy()
        again["年度"] = "2021" if str(again.get("年度", pd.Series(["2022"])).iloc[0]) != "2021" else "2022"
        tables["项目"] = pd.concat([tables["项目"], again], ignore_index=True)
    fmt = draw(st.sampled_from(["csv", "csv", "parquet", "xlsx"]))
    month = draw(st.one_of(st.none(), st.integers(1, 12)))
    year = draw(st.sampled_from([2021, 2022, 2023]))
    return tables, fmt, month, year


# ------------------------------------------------------------------------------------------ writing


def _number_or_text(value: object) -> object:
    """A cell as Excel would hold it: numbers that users type as numbers become number cells."""
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return value
        return f if value.strip() == value and value.lower() not in ("nan", "inf", "1e400") else value
    return value


def write(tables: dict[str, pd.DataFrame], fmt: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = folder / "data.xlsx"
        with pd.ExcelWriter(path, engine="xlsxwriter") as xl:
            for sheet, frame in tables.items():
                frame.map(_number_or_text).to_excel(xl, sheet_name=sheet, index=False)
        return path
    for sheet, frame in tables.items():
        text = frame.map(lambda v: v if v is None else str(v))
        if fmt == "csv":
            text.to_csv(folder / f"{sheet}.csv", index=False, encoding="utf-8-sig")
        else:
            typed = text.copy()
            for c in typed.columns:  # a column whose every value is an integer is stored as integers
                as_int = pd.to_numeric(typed[c], errors="coerce")
                if len(typed) and np.isfinite(as_int).all() and (as_int == as_int.round()).all():
                    typed[c] = as_int.astype("int64")
            typed.to_parquet(folder / f"{sheet}.parquet", index=False)
    return folder


# ------------------------------------------------------------------------------------------ running


def event(name: str) -> None:
    """How far a dataset got (hypothesis statistics: ``--hypothesis-show-statistics``); a no-op when the
    runner is called outside a hypothesis test."""
    try:
        _event(name)
    except InvalidArgument:
        pass


def _expected(exc: InputError, stage: str = "") -> None:
    """perfkit's own error: a message, on one line, for a finance analyst."""
    event(f"{stage}: InputError {type(exc).__name__}")
    message = str(exc).strip()
    assert message and "\n" not in message, repr(exc)


def _quietly() -> mock._patch:
    """The notebooks' display calls without a kernel: markup is dropped, figures are drawn (so that
    a chart that cannot be drawn still fails) and closed."""
    from perfkit.reporting import display as D

    def draw(fig: object) -> None:
        import matplotlib.pyplot as plt

        fig.canvas.draw()
        plt.close(fig)

    return mock.patch.multiple(D, _show=lambda markup: None, _figure=draw)


def run_report(ds: Dataset, month: int, year: int, tmp: Path) -> None:
    """What ``perfkit report`` runs on the data loaded at ``month``: the typed snapshot, then each
    notebook's calls (papermill aside)."""
    from perfkit.reporting import allocation as B
    from perfkit.reporting import annex as X
    from perfkit.reporting import annual as R

    if not all(ds.has(t) for t in ("projects", "self_eval", "exec_monitor")):
        event("report: refused (needs 项目, 绩效自评, 执行监控)")
        return  # `perfkit report` refuses such data with one line (reporting.run.cached_snapshot)
    snapshot = load_snapshot(save_snapshot(ds, tmp / "snapshot"))
    with _quietly():
        try:  # each notebook calls analyze() on the snapshot; the result is the same, so it is computed once
            a = pk.analyze(snapshot, year=year, month=month)
        except InputError as exc:
            return _expected(exc, "analyze")
        try:
            policy = R.load_policy(None, district="测试区", year=year, next_year=year + 1)
            rep = R.AnnualReport(a, "测试区", year, month, policy)
            rep.facts = R.report_facts(a, "测试区", year, month, policy)
            for section in (R.title, R.section_requirements, R.section_supervision, R.section_analysis,
                            R.section_achievements, R.section_next_year, R.closing, X.title, X.section_data,
                            X.section_rules, X.section_ranking, X.section_pending):
                section(rep)
            R.unit_letters(rep, tmp)
            event("annual report: ran")
        except InputError as exc:
            _expected(exc, "annual report")
        if a.proposal is None:
            return  # allocation.build refuses such data with a MissingTableError
        try:
            al = B.Allocation(a, "测试区", year, month, [0.1, 0.2, 0.3], [15, 20, 25])
            al.facts = B.allocation_facts(al)
            for section in (B.title, B.section_proposal, B.section_recovery, B.section_gate, B.section_scenarios,
                            B.section_sweep):
                section(al)
            B.export_note(B.export_workbook(al, tmp))
            event("allocation: ran")
        except InputError as exc:
            _expected(exc, "allocation")


def run_everything(tables: dict[str, pd.DataFrame], fmt: str, month: int | None, year: int) -> None:
    """validate, score (at ``month``) and the report (at ``month``, or 5 as ``perfkit report`` defaults)."""
    with tempfile.TemporaryDirectory(prefix="perfkit-prop-") as tmp_name, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas/matplotlib warnings are not what this test looks for
        tmp = Path(tmp_name)
        path = write(tables, fmt, tmp / "in")
        try:
            ds = load(path)  # perfkit validate
        except InputError as exc:
            return _expected(exc, "validate")
        rows_reconcile(ds)
        # `perfkit score DATA --month M` and the report load DATA at the month (what pk.score(path) does)
        at_month = load(path, month=month or 5)
        try:
            written = pk.score(at_month if month else ds, tmp / "out", month=month)
            event("score: ran" + (" with monitoring" if "monitoring" in written else ""))
        except InputError as exc:
            _expected(exc, "score")
        run_report(at_month, month or 5, year, tmp)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(datasets())
def test_no_generated_dataset_ends_in_an_internal_error(case) -> None:
    tables, fmt, month, year = case
    run_everything(tables, fmt, month, year)


# ------------------------------------------------------------------------------------------ the crash list
# Issue 11 §1, each case as a user met it (each ended in 内部错误 before): made from a small valid dataset.


def _valid() -> dict[str, pd.DataFrame]:
    ids = ["P1", "P2"]
    return {
        "单位": pd.DataFrame({"单位编码": ["U1"], "单位名称": ["单位一"]}),
        "项目": pd.DataFrame({"项目编码": ids, "项目名称": ["项目一", "项目二"], "单位编码": "U1", "年度": "2022",
                              "全年预算数": ["100", "200"], "全年执行数": ["90", "150"], "新增重大项目": ["是", "否"]}),
        "绩效目标": pd.DataFrame({"项目编码": ids, "一级指标": "产出指标", "三级指标": "人数", "指标值": "≥100人",
                                  "分值": "90"}),
        "执行监控": pd.DataFrame({"项目编码": ids * 4, "月份": [str(m) for m in (1, 1, 2, 2, 3, 3, 4, 4)],
                                  "累计执行数": [str(10 * m) for m in range(1, 9)]}),
        "指标监控": pd.DataFrame({"项目编码": ids * 4, "月份": [str(m) for m in (1, 1, 2, 2, 3, 3, 4, 4)],
                                  "三级指标": "人数", "累计完成值": [f"{10 * m}人" for m in range(1, 9)]}),
        "绩效自评": pd.DataFrame({"项目编码": ids, "一级指标": "产出指标", "三级指标": "人数", "指标值": "≥100人",
                                  "实际完成值": ["100人", "80人"], "分值": "90", "得分": ["90", "72"]}),
        "自评汇总": pd.DataFrame({"项目编码": ids, "执行率分值": "10", "执行率得分": ["9", "7.5"],
                                  "自评总分": ["99", "79.5"]}),
        "事前评估": pd.DataFrame({"项目编码": ["P1"], "立项必要性": "18", "投入经济性": "18", "绩效目标合理性": "18",
                                  "实施方案可行性": "18", "筹资合规性": "18"}),
    }


def _blank_actual(t: dict) -> None:
    t["绩效自评"].loc[0, "实际完成值"] = ""
    t["绩效自评"].loc[1, "指标值"] = ""


def _forms_only(t: dict) -> None:
    for sheet in ("单位", "绩效目标", "执行监控", "指标监控", "事前评估", "自评汇总"):
        del t[sheet]
    t["项目"] = t["项目"].drop(columns=["全年预算数", "全年执行数"])
    t["绩效自评"]["分值"] = ""


def _header_only(t: dict) -> None:
    t["事前评估"] = t["事前评估"].iloc[:0]


def _two_years(t: dict) -> None:
    again = t["项目"].iloc[:1].assign(年度="2021", 全年预算数="50")
    t["项目"] = pd.concat([t["项目"], again], ignore_index=True)


def _na_names(t: dict) -> None:
    t["项目"]["项目名称"] = ["NA", "None"]


def _dates(t: dict) -> None:
    t["绩效自评"]["指标值"] = ["2022/12/31前", "2022年12月31日前"]
    t["绩效自评"]["实际完成值"] = ["2022/12/31前", dt.datetime(2022, 11, 30)]


CRASHES = {
    "blank 实际完成值 and 指标值": _blank_actual,
    "self-evaluation forms only, no amounts and no 分值": _forms_only,
    "header-only 事前评估": _header_only,
    "the same 项目编码 in two years": _two_years,
    "projects named NA and None": _na_names,
    "date texts and a real date cell in 实际完成值": _dates,
}


@pytest.mark.parametrize(("case", "fmt"), [
    *((case, "csv") for case in CRASHES),
    ("header-only 事前评估", "parquet"),  # the arrow path of a header-only table
    ("date texts and a real date cell in 实际完成值", "xlsx"),  # a real date cell exists only in a workbook
    ("projects named NA and None", "xlsx"),
])
def test_each_case_of_the_crash_list_runs_through(case: str, fmt: str) -> None:
    tables = _valid()
    CRASHES[case](tables)
    run_everything(tables, fmt, 5, 2022)  # --month 5 is beyond the data (months 1–4 only)
