"""Loading the official forms: good and bad inputs (issue: foundation §1, §6)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from perfkit.cli import main
from perfkit.io.load import InputError, MissingTableError, load
from tests.conftest import rows_reconcile, write_folder

UNITS = pd.DataFrame({"单位编码": ["U1", "U2"], "单位名称": ["教育局", "民政局"], "主管部门": ["教育局", "民政局"]})


def projects(**overrides: list) -> pd.DataFrame:
    base = {
        "项目编码": ["P1", "P2", "P3"], "项目名称": ["甲", "乙", "丙"], "单位编码": ["U1", "U1", "U2"],
        "年度": ["2022", "2022", "2022"], "支出类别": ["部门项目支出"] * 3, "监控分类": ["一般项目"] * 3,
        "涉密": ["否", "是", ""], "全年预算数": ["100", "80,178.66", "１００"], "全年执行数": ["99.5", "80000", "0"],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def reconciled(ds) -> bool:
    rows_reconcile(ds)
    return True


def test_good_folder_loads_every_row_and_reconciles(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"单位": UNITS, "项目": projects()}))
    p = ds.table("projects")
    assert len(p) == 3 and ds.quarantine.empty and reconciled(ds)
    # thousands separators and full-width digits; money held exactly in 分
    assert p["budget"].tolist() == [100_000_000, 80_178_660_000, 100_000_000]
    assert p["classified"].tolist() == [False, True, False]


def test_yuan_header_is_converted_to_wan(tmp_path: Path) -> None:
    frame = projects().rename(columns={"全年预算数": "全年预算数（元）"})
    frame["全年预算数（元）"] = ["1,000,000.01", "5", "0"]
    ds = load(write_folder(tmp_path / "d", {"项目": frame}))
    assert ds.table("projects")["budget"].tolist() == [100_000_001, 500, 0]


def test_forgiving_headers_spaces_and_fullwidth_brackets(tmp_path: Path) -> None:
    frame = projects().rename(columns={"全年预算数": " 全年预算数（万元） ", "项目名称": "项目 名称"})
    ds = load(write_folder(tmp_path / "d", {"项目": frame}))
    assert ds.table("projects")["budget"].iloc[0] == 100_000_000


def test_text_in_number_column_is_quarantined_with_excel_row(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"项目": projects(全年预算数=["100", "一百万", "50"])}))
    q = ds.quarantine
    assert len(ds.table("projects")) == 2 and reconciled(ds)
    row = q.iloc[0]
    assert (row["文件"], row["工作表"], row["行"], row["列"]) == ("项目.csv", "项目", 3, "全年预算数")
    assert row["实际"] == "一百万" and "数字" in row["期望"]


def test_duplicate_project_code_is_quarantined(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"项目": projects(项目编码=["P1", "P1", "P3"])}))
    assert ds.table("projects")["project_id"].tolist() == ["P1", "P3"]
    assert ds.quarantine["期望"].str.contains("唯一").any() and reconciled(ds)


def test_unknown_unit_code_is_quarantined(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"单位": UNITS, "项目": projects(单位编码=["U1", "U9", "U2"])}))
    q = ds.quarantine
    assert len(ds.table("projects")) == 2
    assert q.iloc[0]["列"] == "单位编码" and q.iloc[0]["实际"] == "U9" and "单位" in q.iloc[0]["期望"]


def test_renamed_required_header_quarantines_the_table_with_a_clear_message(tmp_path: Path) -> None:
    frame = projects().rename(columns={"项目编码": "项目代码"})
    ds = load(write_folder(tmp_path / "d", {"单位": UNITS, "项目": frame}))
    assert not ds.has("projects") and reconciled(ds)
    msg = ds.quarantine.iloc[0]["说明"]
    assert "项目编码" in msg and "项目代码" in msg and "3 行" in msg


def test_missing_sheet_is_a_one_line_error_only_when_needed(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"项目": projects()}))
    with pytest.raises(MissingTableError, match="绩效自评"):
        ds.table("self_eval")


def test_gbk_csv_as_saved_by_chinese_excel(tmp_path: Path) -> None:
    ds = load(write_folder(tmp_path / "d", {"单位": UNITS, "项目": projects()}, encoding="gbk"))
    assert ds.table("units")["unit_name"].tolist() == ["教育局", "民政局"]


def test_workbook_with_bad_cells(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    with pd.ExcelWriter(path) as xl:
        projects(全年预算数=[100, "abc", 3.5]).to_excel(xl, sheet_name="项目", index=False)
        UNITS.to_excel(xl, sheet_name=" 单位 ", index=False)
    ds = load(path)
    assert ds.counts.set_index("表").loc["项目", "隔离"] == 1 and reconciled(ds)
    assert ds.quarantine.iloc[0]["行"] == 3 and ds.quarantine.iloc[0]["工作表"] == "项目"


def test_xls_workbook(tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for sheet, frame in (("单位", UNITS), ("项目", projects(全年预算数=["100", "abc", "3"]))):
        ws = book.add_sheet(sheet)
        for c, h in enumerate(frame.columns):
            ws.write(0, c, h)
        for r, row in enumerate(frame.itertuples(index=False), start=1):
            for c, v in enumerate(row):
                ws.write(r, c, v)
    book.save(str(tmp_path / "old.xls"))
    ds = load(tmp_path / "old.xls")
    assert len(ds.table("projects")) == 2 and reconciled(ds)
    assert ds.quarantine.iloc[0]["行"] == 3 and ds.quarantine.iloc[0]["文件"] == "old.xls"


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("empty.xlsx", b"", "空"),
    ("broken.xlsx", b"not a zip", "不是有效的 Excel"),
    ("data.docx", b"PK", "不支持的文件类型"),
])
def test_unreadable_files_raise_one_line(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=expected) as info:
        load(path)
    assert "\n" not in str(info.value)


def test_empty_csv_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "项目.csv").write_bytes(b"")
    with pytest.raises(InputError, match="空"):
        load(tmp_path / "d")


def test_cli_validate_exit_codes_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    good = write_folder(tmp_path / "d", {"项目": projects(全年预算数=["1", "x", "2"])})
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert "第 3 行" in out and "全年预算数" in out
    assert main(["validate", str(tmp_path / "nope.xlsx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "找不到" in err


def test_demo_workbook_and_csv_load_to_the_same_tables(demo_dir: Path) -> None:
    a, b = load(demo_dir / "demo.xlsx"), load(demo_dir / "csv")
    assert a.quarantine.empty and b.quarantine.empty
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name].drop(columns="_row"), b.tables[name].drop(columns="_row"),
                                      check_dtype=False, obj=name)


def test_demo_round_trip_keeps_money_exact(demo, demo_dir: Path) -> None:
    loaded = load(demo_dir / "csv").table("projects")
    assert loaded["spent"].sum() == demo.tables["projects"]["spent"].sum()
    assert loaded["budget"].tolist() == demo.tables["projects"]["budget"].tolist()
