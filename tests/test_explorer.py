"""The analyst explorer, tested without a kernel: setting a widget's value updates the UI synchronously."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from perfkit.io.load import load
from perfkit.reporting.explorer import ALL, Explorer, ExplorerUI, Filters


@pytest.fixture(scope="module")
def explorer(demo_dir) -> Explorer:
    return Explorer.open(load(demo_dir / "csv"))


@pytest.fixture()
def ui(explorer, tmp_path) -> ExplorerUI:
    return ExplorerUI(explorer, month=5, export_dir=tmp_path)


def rows(html: str) -> int:
    return int(re.search(r"共 (\d+) 行", html).group(1))


def test_filters_narrow_the_table(ui) -> None:
    everything = rows(ui.table.value)
    ui.w["category"].value = "乡村振兴资金支出"
    narrowed = rows(ui.table.value)
    assert 0 < narrowed < everything and set(ui.view["category"]) == {"乡村振兴资金支出"}
    ui.w["grade"].value = "优"
    assert set(ui.view["grade"]) <= {"优"} and rows(ui.table.value) <= narrowed
    ui.w["category"].value = ALL
    ui.w["grade"].value = ALL
    assert rows(ui.table.value) == everything


def test_threshold_moves_the_warnings(ui) -> None:
    ui.w["threshold"].value = 10
    low = int(ui.view["warning"].sum())
    ui.w["threshold"].value = 35
    high = int(ui.view["warning"].sum())
    assert low >= high > 0
    assert "阈值 35" in ui.chart.value


def test_month_and_profile_change_the_analysis(ui, explorer) -> None:
    may = ui.view.set_index("project_id")["exec_progress"]
    ui.w["month"].value = 9
    sep = ui.view.set_index("project_id")["exec_progress"]
    assert (sep >= may - 1e-12).all() and (sep > may).any()
    ui.w["profile"].value = "bands807060"
    assert ui.view["grade"].eq("优").sum() >= explorer.view(Filters(month=9))["grade"].eq("优").sum()


def test_drill_down_from_unit_to_indicator_explanations(ui) -> None:
    unit = ui.w["unit"].options[1]
    ui.w["unit"].value = unit
    assert set(ui.view["unit_name"]) == {unit}
    project_id = ui.project.options[0][1]
    ui.project.value = project_id
    assert "说明" in ui.detail.value and ("依据" in ui.detail.value or "无法" in ui.detail.value)


def test_export_current_view(ui, tmp_path) -> None:
    ui.w["monitor_class"].value = "转移支付项目"
    path = ui.export()
    ws = load_workbook(path)["当前视图"]
    assert ws.max_row - 1 == len(ui.view) and ws.freeze_panes == "C2"
    assert "已导出" in ui.status.value


def test_markup_in_data_is_escaped(explorer) -> None:
    from perfkit.reporting.explorer import html_table

    html = html_table(pd.DataFrame({"project_name": ["<script>alert(1)</script>"]}))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_explore_notebook_runs_under_papermill(tmp_path, demo_dir) -> None:
    """The notebook an analyst opens: executed end to end (widgets are built, nothing raises)."""
    from pathlib import Path

    import papermill as pm

    nb = Path(__file__).parents[1] / "notebooks" / "explore.ipynb"
    out = pm.execute_notebook(str(nb), str(tmp_path / "explore.ipynb"), kernel_name="python3", progress_bar=False,
                              parameters={"data": str(demo_dir / "csv"), "export_dir": str(tmp_path)})
    outputs = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
