"""The analyst explorer, tested without a kernel: setting a widget's value updates the UI synchronously."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from perfkit.io.load import load
from perfkit.reporting.explorer import (
    PAGE_SIZE,
    Explorer,
    ExplorerUI,
    Filters,
    html_bars,
    html_table,
    page_of,
)
from perfkit.reporting.notebooks import strip_outputs_hook

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


@pytest.fixture(scope="module")
def explorer(demo_dir) -> Explorer:
    return Explorer.open(load(demo_dir / "csv"))


@pytest.fixture()
def ui(explorer, tmp_path) -> ExplorerUI:
    return ExplorerUI(explorer, month=5, export_dir=tmp_path)


def rows(html: str) -> int:
    return int(re.search(r"共 (\d+) 行", html).group(1))


def test_filters_narrow_the_table(ui) -> None:
    everything = rows(ui.projects.html.value)
    units = len(ui.w["unit"].options)
    ui.w["category"].value = ("乡村振兴资金支出",)
    narrowed = rows(ui.projects.html.value)
    assert 0 < narrowed < everything and set(ui.view["category"]) == {"乡村振兴资金支出"}
    # the unit list follows the category: only units with such projects, and every one of them
    assert set(ui.w["unit"].options) == set(ui.view["unit_name"].astype(str)) and len(ui.w["unit"].options) < units
    ui.w["grade"].value = ("优",)
    assert set(ui.view["grade"]) <= {"优"} and rows(ui.projects.html.value) <= narrowed
    ui.w["category"].value = ("乡村振兴资金支出", "部门项目支出")  # several values: either
    both = set(ui.view["category"].astype(str))
    assert both == {"乡村振兴资金支出", "部门项目支出"} and rows(ui.projects.html.value) > 0
    ui.w["category"].value = ()
    ui.w["grade"].value = ()
    assert rows(ui.projects.html.value) == everything and len(ui.w["unit"].options) == units


def test_warning_filter_and_reason_column(ui) -> None:
    ui.w["warning"].value = "是"
    assert ui.view["warning"].all() and len(ui.view) > 0
    assert ui.view["warning_reason"].astype(str).str.len().gt(0).all()  # every warned row says why
    assert "预警原因" in ui.projects.html.value
    ui.w["threshold"].value = 10
    restated = ui.view["warning_reason"].astype(str)
    assert restated.str.contains("超过10个百分点").any() and not restated.str.contains("超过20个百分点").any()
    ui.w["warning"].value = "否"
    assert not ui.view["warning"].any() and ui.view["warning_reason"].astype(str).eq("").all()


def test_pending_projects_are_labelled_and_filtered(ui) -> None:
    pending = ui.view["status"].eq("待核实")
    assert pending.any()
    assert ui.view.loc[pending, "grade_label"].astype(str).str.contains("待核实").all()  # never a blank grade
    assert "待核实" in ui.w["grade"].options
    ui.w["grade"].value = ("待核实",)
    assert ui.view["status"].eq("待核实").all() and len(ui.view) == int(pending.sum())
    ui.tabs.selected_index = 1
    assert "待核实项目数" in ui.units.html.value


def test_search_narrows_every_table(ui) -> None:
    pid = str(ui.view["project_id"].iloc[7])
    ui.w["search"].value = pid
    assert ui.view["project_id"].astype(str).tolist() == [pid] and rows(ui.projects.html.value) == 1
    name = str(ui.view["unit_name"].iloc[0])
    ui.w["search"].value = name
    assert name in set(ui.view["unit_name"].astype(str)) and ui.view["_search"].str.contains(name.lower()).all()
    ui.w["search"].value = ""


def test_every_row_is_reachable_by_paging_and_sorting(ui) -> None:
    seen = []
    ui.projects.sort.value = "budget"
    ui.projects.ascending.value = False
    pages = int(re.search(r"第 1 / (\d+) 页", ui.projects.html.value).group(1))
    assert pages == -(-len(ui.view) // PAGE_SIZE) > 1
    for _ in range(pages):
        seen += re.findall(r"<tr[^>]*><td>([^<]+)</td>", ui.projects.html.value)
        ui.projects.next.click()
    assert ui.projects.next.disabled and sorted(seen) == sorted(ui.view["project_id"].astype(str))
    ui.projects.first_page()
    first = re.findall(r"<tr[^>]*><td>([^<]+)</td>", ui.projects.html.value)[0]
    assert first == str(ui.view.sort_values("budget", ascending=False)["project_id"].iloc[0])
    ui.tabs.selected_index = 1  # all units too, not only the first 30
    assert rows(ui.units.html.value) == ui.view["unit_name"].nunique() > PAGE_SIZE


def test_table_shows_money_percent_and_yes_no(ui) -> None:
    page = ui.projects.html.value
    assert re.search(r"<td>\d{1,3}(,\d{3})*\.\d{2}</td>", page)  # 万元, two decimals
    assert re.search(r"<td>\d+\.\d%</td>", page)                  # 执行进度 as a percentage
    assert "<td>是</td>" in page or "<td>否</td>" in page
    assert "True" not in page and "False" not in page and "e+" not in page


def test_every_default_comes_from_the_rulebook_in_force(explorer, tmp_path) -> None:
    """The threshold starts at the profile's own; a district's profile file outside the package can be
    chosen (by its title) and brings its own threshold."""
    from perfkit.rules.rulebook import PROFILES_DIR, load_rules

    ui = ExplorerUI(explorer, month=5, export_dir=tmp_path)
    assert ui.w["threshold"].value == load_rules("mof2020", 2022)["monitoring.warning_deviation"]
    own = tmp_path / "本区口径.yaml"
    own.write_text("profile: qu2024\ntitle: 本区 2024 口径（阈值 15）\nextends: mof2020\nparameters:\n"
                   "  monitoring.warning_deviation:\n    description: 预警偏差阈值\n    unit: 百分点\n"
                   "    source: 本局设定\n    values: {2020-01-01: 15}\n", encoding="utf-8")
    assert not (PROFILES_DIR / own.name).exists()
    mine = ExplorerUI(explorer, month=5, profile=str(own), export_dir=tmp_path)  # no TraitError
    assert mine.w["profile"].value == str(own) and mine.w["threshold"].value == 15
    assert ("本区 2024 口径", str(own)) in mine.w["profile"].options
    assert ("财政部 2020 默认口径", "mof2020") in mine.w["profile"].options  # titles, not codes
    mine.w["profile"].value = "mof2020"  # the threshold follows the profile while untouched
    assert mine.w["threshold"].value == 20 and "本区 2024 口径" in mine.note.value
    mine.w["threshold"].value = 12
    mine.w["profile"].value = str(own)
    assert mine.w["threshold"].value == 12  # a threshold the analyst chose stays


def test_threshold_moves_the_warnings(ui) -> None:
    ui.w["threshold"].value = 10
    low = int(ui.view["warning"].sum())
    ui.w["threshold"].value = 35
    high = int(ui.view["warning"].sum())
    assert low >= high > 0
    assert isinstance(ui.w["threshold"].value, int) and "阈值 35 个百分点" in ui.chart.value
    # and its effect on next year's budget proposal, beside the rulebook's own threshold
    assert "预算安排建议" in ui.effect.value and "阈值 20 个百分点" in ui.effect.value
    ui.w["threshold"].value = 5
    low, high = ui.ex.proposal(ui.filters), ui.ex.proposal(replace(ui.filters, threshold=35))
    assert low[2] >= high[2] and low[3] >= high[3]  # more warnings, more recovered


def test_chart_has_no_zero_bars() -> None:
    html = html_bars(pd.Series({"部门项目支出": 3, "乡村振兴资金支出": 0}), "预警")
    assert "部门项目支出" in html and "乡村振兴资金支出" not in html
    assert "没有预警项目" in html_bars(pd.Series({"部门项目支出": 0}), "预警")


def test_month_and_profile_change_the_analysis(ui, explorer, demo) -> None:
    may = ui.view.set_index("project_id")["exec_progress"]
    ui.w["month"].value = 9
    sep = ui.view.set_index("project_id")["exec_progress"]
    # the demo's unit that stopped reporting from May on has no progress to compare (未报送)
    silent = set(demo.noise.loc[demo.noise["kind"] == "单位未报送监控", "project_id"])
    reported = ~may.index.isin(silent)
    assert reported.sum() > 0.9 * len(may)
    assert (sep[reported] >= may[reported] - 1e-12).all() and (sep > may).any()
    ui.w["profile"].value = "bands807060"
    assert ui.view["grade"].eq("优").sum() >= explorer.view(Filters(month=9))["grade"].eq("优").sum()
    assert "规则口径由「财政部 2020 默认口径」改为「等级 80/70/60 口径」" in ui.note.value
    assert "mof2020" not in ui.note.value and "bands807060" not in ui.note.value


def test_a_profile_change_without_effect_says_so(explorer) -> None:
    f = Filters(profile="mof2020")
    assert "均无变化" in explorer.profile_effect(f, "mof2020") or explorer.profile_effect(f, "mof2020") == ""
    said = explorer.profile_effect(Filters(profile="exec20"), "mof2020")
    assert "均无变化" in said or re.search(r"\d+ 个项目复核总分变化", said)


def test_drill_down_from_unit_to_indicator_explanations(ui) -> None:
    unit = ui.w["unit"].options[1]
    ui.w["unit"].value = (unit,)
    assert set(ui.view["unit_name"]) == {unit}
    ui.tabs.selected_index = 2
    project_id = ui.project.options[0][1]
    ui.project.value = project_id
    assert "说明" in ui.detail.value and ("依据" in ui.detail.value or "无法" in ui.detail.value)
    for word in ("复核总分", "等级", "执行率（全年）", "执行进度（截至5月）", project_id):
        assert word in ui.detail.value


def test_drill_down_lists_warned_first_finds_and_opens_from_a_row(ui) -> None:
    ui.tabs.selected_index = 2
    listed = ui.listed()
    warned = listed["warning"].to_numpy(bool)
    assert warned.any() and not (warned[1:] & ~warned[:-1]).any()  # warned first, as the note says
    shown = [v for _, v in ui.project.options]
    assert shown[:int(warned.sum())] == listed["project_id"].astype(str).tolist()[:int(warned.sum())][:500]
    last = listed["project_id"].astype(str).iloc[-1]  # beyond the 500 listed: found by 查找
    ui.project_search.value = last
    assert [v for _, v in ui.project.options] == [last] and last in ui.detail.value
    ui.project_search.value = ""
    ui.tabs.selected_index = 0
    pid = listed["project_id"].astype(str).iloc[-2]
    page = ui.projects.html.value
    assert page.count("data-pid=") == min(len(ui.view), PAGE_SIZE) and "onclick" in page  # rows carry their code
    ui.open_w.value = f"{pid}|1765000000000"  # what a click on its row does (code and the click's time)
    assert ui.tabs.selected_index == 2 and ui.project.value == pid and pid in ui.detail.value
    ui.tabs.selected_index = 0
    other = listed["project_id"].astype(str).iloc[0]
    ui.open_w.value = f"{other}|1765000000001"
    assert ui.tabs.selected_index == 2 and ui.project.value == other and other in ui.detail.value


def test_selection_is_kept_while_in_view_and_cleared_when_nothing_is(ui) -> None:
    ui.tabs.selected_index = 2
    chosen = ui.project.options[3][1]
    ui.project.value = chosen
    category = str(ui.view.set_index("project_id").loc[chosen, "category"])
    ui.w["category"].value = (category,)
    assert ui.project.value == chosen and chosen in ui.detail.value
    ui.w["search"].value = "没有这样的项目"
    assert ui.view.empty and ui.project.value is None and not ui.project.options
    assert chosen not in ui.detail.value and "没有可查看的项目" in ui.detail.value


def test_the_project_list_says_what_it_leaves_out(ui) -> None:
    ui.tabs.selected_index = 2
    listed = len(ui.project.options)
    assert listed <= 500
    if len(ui.view) - int(ui.view["classified"].sum()) > 500:
        assert "前 500 个" in ui.project_note.value
    if ui.view["classified"].any():
        assert f"另有 {int(ui.view['classified'].sum())} 个涉密项目未列出" in ui.project_note.value


def test_export_current_view(ui, tmp_path) -> None:
    ui.w["monitor_class"].value = ("转移支付项目",)
    ui.w["warning"].value = "是"
    ui.projects.sort.value = "budget"
    ui.projects.ascending.value = False
    path = ui.export()
    assert path.parent == tmp_path and re.fullmatch(r"2022年度_当前视图_\d{8}_\d{6}(_内部资料_不得公开)?\.xlsx", path.name)
    book = load_workbook(path)
    ws = book["当前视图"]  # the shared layout (tests/test_workbook.py): title, heads, rows, 合计, note
    assert ws.max_row - 4 == len(ui.view) and ws.freeze_panes == "C3" and ws.print_title_rows == "$1:$2"
    assert ws.cell(ws.max_row - 1, 1).value == "合计" and "2022年度" in ws.cell(1, 1).value
    head = [c.value for c in ws[2]]
    on_screen = [label for c, label in ui.projects.columns.items() if c in ui.view]
    assert head[:len(on_screen)] == on_screen and f"<th>{on_screen[-1]}</th>" in ui.projects.html.value
    progress, warned, budget, reason = (head.index(h) + 1 for h in ("执行进度（截至月份）", "预警",
                                                                    "全年预算数（万元）", "预警原因"))
    assert ws.cell(3, progress).number_format == "0.0%" and ws.cell(3, budget).number_format == "#,##0.00"
    assert {ws.cell(r, warned).value for r in range(3, ws.max_row - 1)} == {"是"}
    assert all(ws.cell(r, reason).value for r in range(3, ws.max_row - 1))
    amounts = [ws.cell(r, budget).value or 0 for r in range(3, ws.max_row - 1)]
    assert amounts == sorted(amounts, reverse=True)  # the order on screen
    conditions = dict(row for row in book["筛选条件"].iter_rows(min_row=3, values_only=True))
    assert conditions["监控分类"] == "转移支付项目" and conditions["截至月份"] == "5" and conditions["年度"] == "2022年"
    assert conditions["规则口径"] == "财政部 2020 默认口径" and conditions["项目数"] == str(len(ui.view))
    assert conditions["排序"] == "全年预算数（万元）（降序）" and conditions["预警"] == "是"
    assert "已导出" in ui.status.value and path.name in ui.status.value and "download" in ui.status.value
    assert not ui.export_button.disabled and "导出当前视图" in ui.export_button.description
    ui.w["grade"].value = ("优",)
    assert ui.status.value == ""  # the message does not outlive the view it describes


def test_export_marks_classified_rows_internal(ui, tmp_path) -> None:
    """A view with 涉密 projects: 内部资料 不得公开 in the file name, the title and every printed page, and
    those rows say 涉密 (the explorer's file is internal, as the report's workbook)."""
    assert ui.view["classified"].any()
    path = ui.export()
    assert "内部资料_不得公开" in path.name and "内部资料" in ui.status.value
    ws = load_workbook(path)["当前视图"]
    head = [c.value for c in ws[2]]
    secret = head.index("涉密") + 1
    marked = sum(ws.cell(r, secret).value == "是" for r in range(3, ws.max_row - 1))
    assert marked == int(ui.view["classified"].sum()) and "内部资料 不得公开" in ws.cell(1, 1).value
    assert "内部资料 不得公开" in ws.oddHeader.center.text


def test_two_exports_in_one_second_keep_both_files(ui, monkeypatch) -> None:
    """A second export within the same second gets a name of its own (it overwrote the first, and the
    link on screen stayed the same, so the browser never saw a new file)."""
    import perfkit.reporting.explorer.ui as ui_mod

    frozen = dt.datetime(2026, 12, 7, 9, 30, 15)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN206 - the clock stands still
            return frozen
    monkeypatch.setattr(ui_mod.dt, "datetime", Frozen)
    first, second, third = ui.export(), ui.export(), ui.export()
    assert len({first, second, third}) == 3 and all(p.exists() for p in (first, second, third))
    assert second.stem.startswith(first.stem.split("_内部资料")[0] + "_2")
    assert third.stem.startswith(first.stem.split("_内部资料")[0] + "_3") and third.name in ui.status.value


def test_markup_in_data_is_escaped() -> None:
    html = html_table(pd.DataFrame({"project_name": ["<script>alert(1)</script>"]}))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_page_of_sorts_blanks_last() -> None:
    frame = pd.DataFrame({"x": [2.0, None, 1.0, 3.0]})
    rows_, page, pages = page_of(frame, "x", True, page=0, size=2)
    assert rows_["x"].tolist() == [1.0, 2.0] and (page, pages) == (0, 2)
    assert page_of(frame, "x", True, page=5, size=2)[0]["x"].isna().tolist() == [False, True]


def test_the_explorer_carries_its_own_cjk_font(ui) -> None:
    style = ui.style.value
    assert "@font-face" in style and "base64," in style and ".perfkit-explorer" in style
    assert "perfkit-explorer" in ui.widget()._dom_classes
    shown = []
    ui.w["profile"].value = "exec20"
    shown.append(ui.note.value)
    ui.tabs.selected_index = 2
    shown += [ui.project_note.value, ui.detail.value, ui.chart.value]
    ui.export()
    shown.append(ui.status.value)
    ui.w["unit"].value = (ui.w["unit"].options[1],)
    ui.w["search"].value = "没有这样的项目"
    shown += [ui.detail.value, ui.projects.html.value]
    for widget in ui.w.values():
        shown.append(widget.description)
    missing = {c for c in re.sub(r"<[^>]+>", "", "".join(shown)) if ord(c) > 0x2000} - set(ui.font_chars)
    assert not missing  # no character the explorer shows falls outside its font (boxes on a bare machine)


def test_saving_a_notebook_from_the_lab_drops_outputs() -> None:
    nb = json.loads((NOTEBOOKS / "explore.ipynb").read_text(encoding="utf-8"))
    nb["cells"][2]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    nb["cells"][2]["execution_count"] = 3
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    model = {"type": "notebook", "content": nb}
    strip_outputs_hook(model, path="notebooks/explore.ipynb")
    assert nb["cells"][2]["outputs"] == [] and nb["cells"][2]["execution_count"] is None
    assert "widgets" not in nb["metadata"]
    mine = {"type": "notebook", "content": {"cells": [{"cell_type": "code", "outputs": [1]}], "metadata": {}}}
    strip_outputs_hook(mine, path="my_analysis.ipynb")
    assert mine["content"]["cells"][0]["outputs"] == [1]  # an analyst's own notebook keeps its outputs


@pytest.mark.parametrize("name", ["explore.ipynb", "archive_sql.ipynb", "annual_report.ipynb"])
def test_saving_from_the_lab_leaves_git_clean(name: str) -> None:
    """What JupyterLab adds on save (kernel and language details, cell execution times, scroll state)
    is taken out again: the saved file equals the committed one, byte for byte through the filter."""
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    nb = json.loads(text)
    nb["metadata"]["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb["metadata"]["language_info"] = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                                       "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                                       "pygments_lexer": "ipython3", "version": "3.11.2"}
    for cell in nb["cells"]:
        cell["metadata"]["execution"] = {"iopub.status.idle": "2026-12-07T10:00:00Z"}
        cell["metadata"]["scrolled"] = True
    model = {"type": "notebook", "content": nb}
    strip_outputs_hook(model, path=f"notebooks/{name}")
    run = [sys.executable, "-m", "perfkit.reporting.notebooks"]
    saved = json.dumps(nb, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    assert saved == text
    assert subprocess.run(run, input=saved, capture_output=True, text=True, check=True).stdout == text
    assert any(c["metadata"].get("tags") == ["parameters"] for c in nb["cells"])  # papermill's tag kept


@pytest.mark.parametrize("name", ["annual_report.ipynb", "budget_allocation.ipynb", "explore.ipynb"])
def test_git_clean_filter_leaves_committed_notebooks_unchanged_and_strips_outputs(name: str) -> None:
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    run = [sys.executable, "-m", "perfkit.reporting.notebooks"]
    assert subprocess.run(run, input=text, capture_output=True, text=True, check=True).stdout == text
    nb = json.loads(text)
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]
    dirty = json.dumps(nb, ensure_ascii=False)
    assert subprocess.run(run, input=dirty, capture_output=True, text=True, check=True).stdout == text
    assert (Path(__file__).parents[1] / ".gitattributes").read_text().count("perfkit-strip-outputs") == 1


def test_explore_notebook_runs_under_papermill(tmp_path, demo_dir) -> None:
    """The notebook an analyst opens: executed end to end (widgets are built, nothing raises)."""
    import papermill as pm

    out = pm.execute_notebook(str(NOTEBOOKS / "explore.ipynb"), str(tmp_path / "explore.ipynb"),
                              kernel_name="python3", progress_bar=False,
                              parameters={"data": str(demo_dir / "csv"), "export_dir": str(tmp_path)})
    outputs = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_year_switch_and_comparison_from_the_archive(explorer, demo_dir, tmp_path) -> None:
    """With an archive: a 年度 drop-down (archived years re-analysed from their stored input) and last
    year's total and grade beside each project; a year switch keeps the filters; the first archived
    year keeps the comparison's columns and says why they are blank."""
    from perfkit.api import analyze, archive_results
    from perfkit.io import archive as arc

    ds = explorer.data
    db = tmp_path / "perfkit.duckdb"
    arc.add_year(db, 2021, ds.tables, archive_results(analyze(ds, year=2022, month=5)))
    ui = ExplorerUI(explorer, month=5, export_dir=tmp_path, archive=db)
    assert [v for _, v in ui.year_w.options] == [2021, 2022] and ui.year_w.value == 2022
    ui.compare_w.value = True
    assert "上年复核总分" in ui.projects.html.value and "prev_total" in ui.view
    same = ui.view.dropna(subset=["total"])
    assert (same["prev_total"].astype(float) - same["total"].astype(float)).abs().max() < 1e-9
    ui.w["category"].value = ("乡村振兴资金支出",)
    ui.w["warning"].value = "是"
    ui.year_w.value = 2021
    assert ui.ex.year == 2021 and ui.w["category"].value == ("乡村振兴资金支出",) and ui.w["warning"].value == "是"
    assert set(ui.view["category"].astype(str)) == {"乡村振兴资金支出"} and ui.view["warning"].all()
    assert "已切换到 2021 年度" in ui.note.value and "筛选条件保留" in ui.note.value
    # no 2020 in the archive: the columns stay (blank) and the note says why
    assert "上年复核总分" in ui.projects.html.value and "年度档案中没有 2020 年度" in ui.note.value
    assert ui.view["prev_total"].isna().all()
    ui.year_w.value = 2022
    assert ui.ex is explorer and ui.view["prev_total"].notna().any()


def test_comparison_follows_code_chains(explorer, tmp_path) -> None:
    """Codes change every year: last year's results are found through 编码变更 — the archived year's
    own sheet (X→Y) and this year's (Y→current), chained."""
    from perfkit.api import analyze, archive_results
    from perfkit.io import archive as arc
    from perfkit.io.load import Dataset

    ds = explorer.data
    results = archive_results(analyze(ds, year=2022, month=5))
    ids = results["projects"]["project_id"].astype(str)
    results["projects"] = results["projects"].assign(project_id="X" + ids)
    db = tmp_path / "perfkit.duckdb"
    archived_map = pd.DataFrame({"old_id": "X" + ids, "new_id": "Y" + ids, "year": 2021})
    arc.add_year(db, 2021, {"code_changes": archived_map}, results)
    this_map = pd.DataFrame({"old_id": "Y" + ids, "new_id": ids, "year": 2022})
    renamed = Explorer(Dataset("renamed", {**ds.tables, "code_changes": this_map}), 2022)
    ui = ExplorerUI(renamed, month=5, export_dir=tmp_path, archive=db)
    ui.compare_w.value = True
    scored = ui.view.dropna(subset=["total"])
    assert scored["prev_total"].notna().all() and (scored["prev_total"] - scored["total"]).abs().max() < 1e-9
    assert ui.view["prev_grade"].notna().sum() == ui.view["grade"].notna().sum() > 0.8 * len(ui.view)
    plain = Explorer(ds, 2022)
    plain.compare_with(db, code_map=pd.DataFrame(columns=["old_id", "new_id", "year"]))
    assert plain.view(Filters(month=5))["prev_total"].isna().all()  # without the chain nothing matches


def test_the_shipped_notebooks_find_the_demo_archive_where_make_builds_it() -> None:
    from perfkit.io import archive as arc

    root = Path(__file__).parents[1]
    assert arc.locate("data/demo/demo.xlsx") == Path("data/demo/perfkit.duckdb")
    assert arc.locate("data/2023.xlsx") == Path("data/perfkit.duckdb")
    for name in ("explore.ipynb", "archive_sql.ipynb"):
        text = (NOTEBOOKS / name).read_text(encoding="utf-8")
        assert "../data/perfkit.duckdb" not in text and "locate" in text or "archive = None" in text
    assert "$(DEMO)/perfkit.duckdb" in (root / "Makefile").read_text()


def test_make_lab_gives_jupyterlab_chinese_menus() -> None:
    """`make lab` writes the locale the browser test starts JupyterLab with; the language pack is a
    dependency of the project."""
    from lab_browser import LAB_OVERRIDES

    root = Path(__file__).parents[1]
    lab = (root / "Makefile").read_text().split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert f"echo '{LAB_OVERRIDES}' > $(VENV)/share/jupyter/lab/settings/overrides.json" in lab
    assert '"jupyterlab-language-pack-zh-cn' in (root / "pyproject.toml").read_text()


def test_the_explorer_opens_from_a_snapshot_of_unchanged_input(demo_dir, tmp_path, monkeypatch) -> None:
    """The second opening reads the validated snapshot (the CSV files are not parsed again); it sits in
    the per-user cache, owner only, and a changed input gets a snapshot of its own."""
    import shutil
    import stat

    import perfkit.io.load as L
    from perfkit.reporting.explorer import cached_load

    monkeypatch.setenv("PERFKIT_CACHE_DIR", str(tmp_path / "cache"))
    data = shutil.copytree(demo_dir / "csv", tmp_path / "csv")
    first = cached_load(data)
    cache = tmp_path / "cache" / "explorer"
    assert len(list(cache.iterdir())) == 1 and stat.S_IMODE(cache.stat().st_mode) == 0o700
    with monkeypatch.context() as m:
        m.setattr(L, "read_folder", lambda *a, **k: pytest.fail("the input was parsed again"))
        again = cached_load(data)
    assert set(again.tables) == set(first.tables)
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, check_categorical=False)
    (data / "项目.csv").write_text((data / "项目.csv").read_text(encoding="utf-8-sig") + "\n", encoding="utf-8")
    cached_load(data)
    assert len(list(cache.iterdir())) == 2


def test_the_proposal_line_equals_the_full_proposal_at_each_threshold(explorer) -> None:
    """The explorer's budget-proposal figures (computed once, then per threshold from the warning flags)
    equal the proposal the allocation analysis computes at that threshold."""
    from perfkit.analyses.application import budget_proposal

    for threshold in (8, 20, 35):
        f = explorer.complete(Filters(month=5, threshold=threshold))
        explorer.base(f.profile, f.month)
        mon = explorer._monitorings[(f.profile, f.month)]
        mon = replace(mon, projects=mon.projects.assign(warning=explorer.warning_flags(f).to_numpy()))
        p = budget_proposal(explorer.data, explorer.scores(f.profile).projects, mon, explorer.rules(f.profile))
        cut = (p["budget"].astype("Int64").fillna(0) - p["proposal"].astype("Int64").fillna(0)).clip(lower=0)
        rec = p["recovered"].astype("Int64").fillna(0)
        assert explorer.proposal(f) == (int((cut > 0).sum()), int(cut.sum()), int((rec > 0).sum()), int(rec.sum()))


def test_the_proposal_is_computed_once_per_profile_and_month(explorer, monkeypatch) -> None:
    """Moving the threshold does not compute the budget proposal again (its cache key held a NaN, which
    equals nothing, so every threshold step recomputed the whole proposal: 90 ms a step)."""
    import perfkit.reporting.explorer.model as model

    f = explorer.complete(Filters(month=5))
    explorer._proposal_parts(f.profile, f.month)
    monkeypatch.setattr(model, "budget_proposal", lambda *a, **k: pytest.fail("the proposal was computed again"))
    for threshold in (8, 20, 35):
        explorer.proposal(replace(f, threshold=threshold))


def test_restated_actuals_are_visible_and_filtered(ui) -> None:
    """单位自述 (an actual restating its qualitative target): counted per project in the table, a filter of
    its own, and marked on each indicator of the drill-down."""
    if "n_restated" not in ui.view:
        pytest.skip("the scoring does not mark 单位自述 rows in this version")
    assert ui.has_restated and "单位自述指标数" in ui.projects.html.value
    ui.w["restated"].value = "是"
    assert len(ui.view) > 0 and (ui.view["n_restated"] > 0).all()
    ui.tabs.selected_index = 2
    pid = ui.project.value
    ind = ui.ex.indicators(pid, ui.filters.profile)
    assert ind["restated"].any() and "单位自述" in ui.detail.value
    ui.w["restated"].value = "否"
    assert (ui.view["n_restated"].fillna(0) == 0).all()


def _opened(monkeypatch, data, month: int = 5, profile: str | None = None):
    """open_explorer on ``data``, recording which (profile, month) it computed itself."""
    import threading

    import perfkit.reporting.explorer.model as M
    from perfkit.reporting.explorer import open_explorer

    computed: list[tuple[str, object]] = []
    score, monitor = M.score_projects, M.monitoring.monitor
    monkeypatch.setattr(M, "score_projects", lambda ds, rules: computed.append(("score", rules.profile)) or score(ds, rules))
    monkeypatch.setattr(M.monitoring, "monitor", lambda ds, rules, m: computed.append((rules.profile, m)) or monitor(ds, rules, m))
    ui = open_explorer(data, month=month, profile=profile, export_dir=data.parent / "导出")
    first = list(computed)  # before the background warm-up goes on to other months and profiles
    ui.ex.stop_warm()  # no thread left computing (and calling the patched functions) beside later tests
    for t in threading.enumerate():
        if t.name == "perfkit-explorer-keep":
            t.join()
    return ui, first


def test_the_explorer_opens_from_what_perfkit_report_computed(demo_dir, tmp_path, monkeypatch) -> None:
    """perfkit report keeps the scores and the month's monitoring it computed; the explorer opened on the
    same input, month, rules and archive starts from them (and says so), with the same view as computed;
    a different month, profile or input is computed again — and says that."""
    import shutil

    from perfkit.io.values import plain_text
    from perfkit.pipeline import kept
    from perfkit.reporting import run

    monkeypatch.setenv("PERFKIT_CACHE_DIR", str(tmp_path / "cache"))
    data = shutil.copytree(demo_dir / "csv", tmp_path / "区" / "csv")
    snapshot = run.cached_snapshot(data, 5, run.cache_dir() / "snapshots", lambda _s: None)
    params = {"data": str(snapshot), "year": 2022, "month": 5, "profile": "mof2020", "archive": None, "workspace": None}
    staging = run._analyse_once(snapshot, params, lambda _s: None, data)
    shutil.rmtree(staging)
    (folder,) = [p for p in (tmp_path / "cache").iterdir() if p.name == kept.FOLDER]
    assert [p.suffixes[-2:] for p in folder.iterdir()] == [[".start", ".pickle"]]
    assert oct(folder.stat().st_mode & 0o777) == "0o700" and oct(next(folder.iterdir()).stat().st_mode & 0o777) == "0o600"

    ui, computed = _opened(monkeypatch, data)
    assert ("mof2020", 5) not in computed and ("score", "mof2020") not in computed
    assert "沿用了 perfkit report" in ui.opened.value
    fresh = Explorer.open(load(data))  # a Dataset: nothing kept is used
    f = ui.filters
    def values(frame: pd.DataFrame) -> pd.DataFrame:  # the same values (categories may list other codes)
        return plain_text(frame).astype(object).reset_index(drop=True)
    pd.testing.assert_frame_equal(values(ui.ex.view(f)), values(fresh.view(f)))
    assert ui.ex.proposal(f) == fresh.proposal(f)

    ui, computed = _opened(monkeypatch, data, month=4)  # another month: computed, and said
    assert ("mof2020", 4) in computed and "打开时计算了" in ui.opened.value
    ui, computed = _opened(monkeypatch, data, month=4)  # the explorer kept its own for the next opening
    assert ("mof2020", 4) not in computed and "上次打开浏览器时" in ui.opened.value
    ui, computed = _opened(monkeypatch, data, profile="exec20")
    assert ("exec20", 5) in computed and "打开时计算了" in ui.opened.value
    (data / "项目.csv").write_text((data / "项目.csv").read_text(encoding="utf-8-sig") + "\n", encoding="utf-8")
    ui, computed = _opened(monkeypatch, data)  # the input changed: nothing kept fits
    assert ("mof2020", 5) in computed and "打开时计算了" in ui.opened.value
