"""Disclosure (信息公开): 涉密 projects never appear; hostile text stays inert (issue: workbench §3, §4)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from perfkit.cli import main
from perfkit.io.write import write_tables_folder

HYPERLINK = '=HYPERLINK("http://x","y")'
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def published(tmp_path_factory, demo) -> tuple[Path, pd.DataFrame]:
    tables = {k: v.copy() for k, v in demo.tables.items() if k in ("units", "projects", "self_eval", "self_summary")}
    # a dozen units (with every 涉密 project's unit) keep the test fast; the logic is per unit anyway
    pr = tables["projects"]
    keep = set(pr["unit_id"].drop_duplicates().head(12)) | set(pr.loc[pr["classified"], "unit_id"])
    tables["projects"] = pr[pr["unit_id"].isin(keep)].reset_index(drop=True)
    ids = set(tables["projects"]["project_id"])
    for k in ("self_eval", "self_summary"):
        tables[k] = tables[k][tables[k]["project_id"].isin(ids)].reset_index(drop=True)
    tables["units"] = tables["units"][tables["units"]["unit_id"].isin(keep)].reset_index(drop=True)
    p = tables["projects"]
    unit = p["unit_id"].iloc[5]
    same_unit = p.index[p["unit_id"] == unit]
    p.loc[same_unit[0], "project_name"] = HYPERLINK
    p.loc[same_unit[1], "project_name"] = SCRIPT
    p.loc[same_unit[2], ["project_name", "classified"]] = ["绝密工程甲", True]
    tables["units"].loc[tables["units"]["unit_id"] == unit, "unit_name"] = "../../逃逸单位"
    se = tables["self_eval"]
    se.loc[se["project_id"] == p.loc[same_unit[0], "project_id"], "actual_text"] = "=1+2"
    src = write_tables_folder(tables, tmp_path_factory.mktemp("src") / "d")
    out = tmp_path_factory.mktemp("pub")
    assert main(["disclose", str(src), "--out", str(out)]) == 0
    return out, p


def _all_text(folder: Path) -> str:
    parts = []
    for f in folder.rglob("*"):
        if f.suffix == ".html":
            parts.append(f.read_text(encoding="utf-8"))
        elif f.suffix == ".xlsx":
            wb = load_workbook(f)
            parts += [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(parts)


def test_classified_projects_never_appear_in_public_files(published) -> None:
    out, projects = published
    text = _all_text(out / "public")
    secret = projects[projects["classified"]]
    assert len(secret) > 1
    assert "绝密工程甲" not in text  # the planted one has a unique name; names repeat in the demo
    for pid in secret["project_id"]:
        assert pid not in text
    note = pd.read_csv(out / "internal" / "涉密项目统计_不公开.csv", encoding="utf-8-sig")
    assert note["涉密项目数"].sum() == len(secret)


def test_formula_text_is_inert_in_excel(published) -> None:
    out, _ = published
    cells = [c for f in (out / "public").rglob("*.xlsx") for ws in load_workbook(f) for row in ws.iter_rows()
             for c in row if isinstance(c.value, str)]
    hits = [c for c in cells if "HYPERLINK" in c.value or c.value.endswith("1+2")]
    assert hits and all(c.data_type == "s" and not c.value.startswith("=") for c in hits)


def test_script_is_escaped_in_html(published) -> None:
    out, _ = published
    pages = "".join(f.read_text(encoding="utf-8") for f in (out / "public").rglob("*.html"))
    assert "<script" not in pages and "&lt;script&gt;alert(1)&lt;/script&gt;" in pages


def test_output_paths_stay_inside_the_output_folder(published) -> None:
    out, _ = published
    root = (out / "public").resolve()
    files = list(out.rglob("*"))
    assert all(f.resolve().is_relative_to(out.resolve()) for f in files)
    assert any("逃逸单位" in f.name for f in root.iterdir())
    assert not list(out.parent.glob("*逃逸单位*"))


def test_official_layout(published) -> None:
    out, _ = published
    book = next((out / "public").rglob("*.xlsx"))
    ws = load_workbook(book).worksheets[0]
    values = [c.value for row in ws.iter_rows() for c in row if c.value]
    for label in ("项目支出绩效自评表", "项目名称", "主管部门", "实施单位", "年初预算数", "全年预算数", "全年执行数",
                  "一级指标", "三级指标", "年度指标值", "实际完成值", "偏差原因分析及改进措施", "总分"):
        assert label in values
    assert ws.merged_cells.ranges


def test_text_longer_than_an_excel_cell_is_cut_with_a_note(tmp_path: Path) -> None:
    """A 偏差原因 of 40,000 characters: the .xlsx cell holds 32,767 with a mark, the HTML page the whole
    text, and the run says so (issue 26 §3)."""
    from openpyxl import load_workbook

    from tests.secret_data import code, row, run, tables, write

    t = tables([row(code(1), "否")], ["涉密"])
    t["绩效自评"].loc[0, "偏差原因分析及改进措施"] = "长" * 40_000
    src = write(t, tmp_path / "d")
    rc, out, err = run("disclose", str(src), "--out", str(tmp_path / "o"))
    assert rc == 0, err
    assert "超出 Excel 单元格上限" in out
    book = next((tmp_path / "o" / "public").rglob("*.xlsx"))
    cells = [c.value for ws in load_workbook(book) for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    cut = [v for v in cells if v.startswith("长长长")]
    assert cut and len(cut[0]) <= 32_767 and cut[0].endswith("全文见同目录 HTML 页面）")
    page = next((tmp_path / "o" / "public").rglob("*.html")).read_text(encoding="utf-8")
    assert "长" * 40_000 in page
