"""A corpus of bad inputs (hand-made and hypothesis-generated, over 200 cases): no traceback anywhere,
every message names file, sheet, row and column, and rows reconcile: read = loaded + quarantined
(issue: hardening §3)."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from perfkit.cli import main
from perfkit.io.load import InputError, load

GOOD = {
    "单位": pd.DataFrame({"单位编码": ["U1", "U2"], "单位名称": ["教育局", "民政局"], "主管部门": ["教育局", "民政局"]}),
    "项目": pd.DataFrame({"项目编码": ["P1", "P2", "P3"], "项目名称": ["甲", "乙", "丙"], "单位编码": ["U1", "U1", "U2"],
                        "年度": [2022, 2022, 2022], "支出类别": ["部门项目支出"] * 3, "监控分类": ["一般项目"] * 3,
                        "涉密": ["否", "否", "是"], "全年预算数": [100.0, 80.5, 12.0], "全年执行数": [90.0, 80.5, 0.0]}),
    "绩效自评": pd.DataFrame({"项目编码": ["P1", "P1", "P2"], "一级指标": ["产出指标", "效益指标", "产出指标"],
                          "二级指标": ["数量指标", "社会效益指标", "质量指标"], "三级指标": ["人数", "效果", "合格率"],
                          "指标值": ["≥100人", "效果明显", "≥95%"], "实际完成值": ["98人", "效果明显", "96%"],
                          "分值": [50.0, 30.0, 50.0], "得分": [49.0, 30.0, 50.0], "偏差原因分析及改进措施": ["", "", ""]}),
}
BAD_VALUES = ["abc", "-5", "1e99", "2022-12-31 00:00:00", "１２３", "12,345.6", "", "   ", "=1+2", "<b>x</b>",
              "是否", "NaN", "∞", "１,０００", "1.2.3", "5万", "TRUE", "✓", "部门项目", "一般"]


def run_validate(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["validate", str(path), "--limit", "1000"])
    return code, out.getvalue(), err.getvalue()


def check(path: Path) -> None:
    """The promises, whatever the input."""
    code, out, err = run_validate(path)
    assert "Traceback" not in out + err
    if code != 0:
        assert code == 2 and err.count("\n") == 1 and err.startswith("perfkit: ")
        with pytest.raises(InputError):
            load(path)
        return
    ds = load(path)
    c = ds.counts
    assert (c["读入"] == c["载入"] + c["隔离"]).all()
    q = ds.quarantine
    assert not q[["文件", "工作表", "行", "列"]].astype(str).eq("").any().any()
    for name, frame in ds.tables.items():
        assert len(frame) == int(c.loc[c["表"].eq(_sheet(name)), "载入"].iloc[0])


def _sheet(name: str) -> str:
    from perfkit.io.contract import BY_NAME

    return BY_NAME[name].sheet


def write_folder(folder: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8-sig") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, frame in tables.items():
        frame.to_csv(folder / f"{sheet}.csv", index=False, encoding=encoding)
    return folder


def write_book(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for sheet, frame in tables.items():
            frame.to_excel(xl, sheet_name=sheet, index=False)
    return path


def tables_with(sheet: str, column: str, row: int, value: object) -> dict[str, pd.DataFrame]:
    tables = {k: v.astype(object).copy() for k, v in GOOD.items()}
    tables[sheet].loc[row, column] = value
    return tables


# ------------------------------------------------------------------------------------ hand-made cases

CELL_CASES = [(s, c, r, v) for s, c in (("项目", "全年预算数"), ("项目", "年度"), ("项目", "涉密"), ("项目", "支出类别"),
                                        ("项目", "单位编码"), ("项目", "项目编码"), ("绩效自评", "分值"),
                                        ("绩效自评", "得分"), ("绩效自评", "项目编码"))
              for r, v in ((1, "abc"), (0, "-5"), (2, "1e99"), (1, ""), (0, "2022-12-31"), (2, "P1"))]


@pytest.mark.parametrize(("sheet", "column", "row", "value"), CELL_CASES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_cells(tmp_path: Path, sheet: str, column: str, row: int, value: str, fmt: str) -> None:
    tables = tables_with(sheet, column, row, value)
    path = write_folder(tmp_path / "d", tables) if fmt == "csv" else write_book(tmp_path / "b.xlsx", tables)
    check(path)


HEADER_CASES = [
    ("项目", {"项目编码": "项目代码"}), ("项目", {"全年预算数": " 全年预算数（元） "}), ("项目", {"全年预算数": "全年预算数(亿元)"}),
    ("项目", {"全年预算数": "全年预算数（千克）"}), ("项目", {"项目名称": "项 目 名 称"}), ("绩效自评", {"三级指标": "指标名称"}),
    ("绩效自评", {"指标值": "年度指标值"}), ("单位", {"单位编码": "编码"}), ("项目", {"涉密": "是否涉密"}),
]


@pytest.mark.parametrize(("sheet", "rename"), HEADER_CASES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_headers(tmp_path: Path, sheet: str, rename: dict, fmt: str) -> None:
    tables = {k: v.copy() for k, v in GOOD.items()}
    tables[sheet] = tables[sheet].rename(columns=rename)
    check(write_folder(tmp_path / "d", tables) if fmt == "csv" else write_book(tmp_path / "b.xlsx", tables))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    check(write_folder(tmp_path / "d", GOOD, encoding=encoding))


def test_duplicates_and_yuan_wan_mix(tmp_path: Path) -> None:
    tables = {k: v.copy() for k, v in GOOD.items()}
    tables["项目"] = pd.concat([tables["项目"], tables["项目"].iloc[[0]]], ignore_index=True)
    tables["项目"] = tables["项目"].rename(columns={"全年执行数": "全年执行数（元）"})
    check(write_folder(tmp_path / "d", tables))


@pytest.mark.parametrize("kind", ["empty_workbook", "merged", "hidden", "formula", "truncated", "not_excel",
                                  "only_headers", "blank_rows", "wide_garbage", "unknown_sheets", "zero_bytes",
                                  "csv_garbage", "empty_folder"])
def test_workbook_oddities(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "w.xlsx"
    if kind == "empty_workbook":
        Workbook().save(path)
    elif kind in ("merged", "hidden", "formula", "only_headers", "blank_rows", "wide_garbage"):
        wb = Workbook()
        ws = wb.active
        ws.title = "项目"
        ws.append(list(GOOD["项目"].columns))
        if kind != "only_headers":
            for row in GOOD["项目"].itertuples(index=False):
                ws.append(list(row))
        if kind == "merged":
            ws.merge_cells("B2:B3")
        if kind == "hidden":
            wb.create_sheet("说明")["A1"] = "visible cover sheet"
            ws.sheet_state = "hidden"
        if kind == "formula":
            ws["H2"] = "=SUM(1,2)"
        if kind == "blank_rows":
            ws.insert_rows(3, 2)
        if kind == "wide_garbage":
            ws["Z9"] = "杂项"
        wb.save(path)
    elif kind == "truncated":
        write_book(path, GOOD)
        path.write_bytes(path.read_bytes()[:700])
    elif kind == "not_excel":
        path.write_text("这不是工作簿", encoding="utf-8")
    elif kind == "unknown_sheets":
        write_book(path, {"Sheet1": GOOD["项目"], "项目": GOOD["项目"]})
    elif kind == "zero_bytes":
        path.write_bytes(b"")
    elif kind == "csv_garbage":
        path = tmp_path / "d"
        path.mkdir()
        (path / "项目.csv").write_bytes(b"\x00\x01\x02\xff\xfe garbage \n\x00")
    elif kind == "empty_folder":
        path = tmp_path / "d"
        path.mkdir()
    check(path)


def test_formula_without_value_is_named_not_dropped(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["项目编码", "项目名称", "全年预算数"])
    ws.append(["P1", "甲", "=1+2"])
    wb.save(tmp_path / "f.xlsx")
    ds = load(tmp_path / "f.xlsx")
    assert ds.quarantine.iloc[0]["实际"] == "=1+2" and ds.quarantine.iloc[0]["行"] == 2


# ------------------------------------------------------------------------------------ generated cases

@st.composite
def corrupted(draw) -> tuple[dict[str, pd.DataFrame], str, str]:
    tables = {k: v.astype(object).copy() for k, v in GOOD.items()}
    for _ in range(draw(st.integers(1, 6))):
        sheet = draw(st.sampled_from(list(tables)))
        frame = tables[sheet]
        col = draw(st.sampled_from(list(frame.columns)))
        row = draw(st.integers(0, len(frame) - 1))
        frame.loc[row, col] = draw(st.one_of(st.sampled_from(BAD_VALUES), st.text(max_size=8),
                                             st.floats(allow_nan=True, allow_infinity=True)))
    if draw(st.booleans()):
        sheet = draw(st.sampled_from(list(tables)))
        col = draw(st.sampled_from(list(tables[sheet].columns)))
        tables[sheet] = tables[sheet].rename(columns={col: draw(st.sampled_from(
            [f" {col} ", f"{col}（元）", f"{col}(万元)", col + "x", "", f"【{col}】"]))})
    if draw(st.booleans()):
        sheet = draw(st.sampled_from(list(tables)))
        tables[sheet] = pd.concat([tables[sheet], tables[sheet].iloc[[0]]], ignore_index=True)
    return tables, draw(st.sampled_from(["csv", "xlsx"])), draw(st.sampled_from(["utf-8-sig", "gbk", "utf-8"]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(case=corrupted())
def test_generated_corruptions(tmp_path_factory, case) -> None:
    tables, fmt, encoding = case
    base = tmp_path_factory.mktemp("gen")
    try:
        path = write_folder(base / "d", tables, encoding) if fmt == "csv" else write_book(base / "b.xlsx", tables)
    except (UnicodeEncodeError, ValueError, IllegalCharacterError):  # text the encoding or openpyxl cannot store
        return
    check(path)


def test_corpus_has_over_200_cases() -> None:
    n = 2 * len(CELL_CASES) + 2 * len(HEADER_CASES) + 4 + 1 + 13 + 1 + 120
    assert n >= 200, n
    assert re.search(r"max_examples=120", Path(__file__).read_text(encoding="utf-8"))
