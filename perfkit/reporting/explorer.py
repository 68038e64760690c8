"""The analyst's explorer (notebooks/explore.ipynb): filters, the as-of month, the warning threshold and
the rule profile; a table and a chart that update; drill-down unit → projects → one project's
indicators with each score's 说明; export of the current view to .xlsx.

:class:`Explorer` holds the logic and caches one analysis per (profile, month); :class:`ExplorerUI`
wires ipywidgets to it. Setting a widget's ``.value`` runs the update synchronously, so the whole UI is
tested in pytest without a kernel.

What keeps an update fast in the browser (benchmarks/bench_explorer_browser.py measures it there):
tables are paged and sorted in the kernel, so each change sends one small page of HTML rather than every
row; only the visible tab is redrawn (the others are marked stale and redrawn when shown); the warning
flags are cached per (profile, month, threshold); and every (profile, month) is computed once, in a
background thread whose progress the UI shows.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.analyses import monitoring
from perfkit.analyses.application import warned_at
from perfkit.analyses.evaluation import Scores, explain_indicators, score_projects
from perfkit.io.load import Dataset, load
from perfkit.io.values import format_wan, plain_text
from perfkit.io.write import atomic_path, excel_writer
from perfkit.reporting.workbook import write_table
from perfkit.rules.formulas import LIGHTS
from perfkit.rules.rulebook import Rulebook, available_profiles, load_rules

ALL = "（全部）"
COMPARE_COLUMNS = {"prev_total": "上年复核总分", "prev_grade": "上年等级"}
VIEW_COLUMNS = {"project_id": "项目编码", "project_name": "项目名称", "unit_name": "单位", "department": "主管部门",
                "category": "支出类别", "monitor_class": "监控分类", "budget": "全年预算数（万元）",
                "total": "复核总分", "grade": "等级", "exec_progress": "执行进度", "light": "监控灯", "warning": "预警"}
UNIT_COLUMNS = {"unit_name": "单位", "projects": "项目数", "budget": "全年预算数（万元）", "mean_total": "平均复核分",
                "warned": "预警项目数", "red": "红灯项目数"}
INDICATOR_COLUMNS = {"indicator": "三级指标", "target_text": "指标值", "actual_text": "实际完成值", "weight": "分值",
                     "score": "复核得分", "unit_score": "自评得分", "explanation": "说明"}
FILTER_LABELS = {"unit": "单位", "department": "主管部门", "category": "支出类别", "monitor_class": "监控分类",
                 "grade": "等级", "light": "监控灯", "month": "截至月份", "threshold": "预警阈值（百分点）",
                 "profile": "规则口径"}
PAGE_SIZE = 50          # rows per table page: one page of HTML per update, whatever the district's size
PROJECT_LIST_LIMIT = 500  # entries in the 项目 drop-down; the note under it says when more are in view

@dataclass(frozen=True)
class Filters:
    unit: str = ALL
    department: str = ALL
    category: str = ALL
    monitor_class: str = ALL
    grade: str = ALL
    light: str = ALL
    month: int = 5
    threshold: int = 20
    profile: str = "mof2020"


@dataclass
class Explorer:
    """Cached analyses of one dataset, sliced by :class:`Filters`."""

    data: Dataset
    year: int
    _scores: dict[str, Scores] = field(default_factory=dict)
    _monitors: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    _monitorings: dict[tuple[str, int], monitoring.Monitoring] = field(default_factory=dict)
    _warned: dict[tuple[str, int, int], pd.Series] = field(default_factory=dict)
    _rules: dict[str, Rulebook] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    warm_done: int = 0
    warm_total: int = 0
    previous: pd.DataFrame | None = None  # last year's total and grade per project (from the archive), to compare

    @classmethod
    def open(cls, data: str | Path | Dataset, year: int | None = None) -> Explorer:
        ds = data if isinstance(data, Dataset) else load(data)
        if year is None:
            year = int(ds.table("projects")["year"].dropna().mode().iloc[0])
        return cls(ds, year)

    def months(self) -> list[int]:
        return sorted(int(m) for m in self.data.table("exec_monitor")["month"].dropna().unique())

    def rules(self, profile: str) -> Rulebook:
        """The rulebook of ``profile`` for the year, read once (parsing the YAML costs ~0.1 s)."""
        if profile not in self._rules:
            self._rules[profile] = load_rules(profile, self.year)
        return self._rules[profile]

    def scores(self, profile: str) -> Scores:
        with self._lock:
            if profile not in self._scores:
                self._scores[profile] = score_projects(self.data, self.rules(profile))
            return self._scores[profile]

    def is_ready(self, profile: str, month: int) -> bool:
        return (profile, month) in self._monitors

    def base(self, profile: str, month: int) -> pd.DataFrame:
        """Projects with scores and monitoring for (profile, month), computed once."""
        key = (profile, month)
        if key not in self._monitors:
            rules = self.rules(profile)
            scores = self.scores(profile).projects[["project_id", "total", "grade", "completion"]]
            mon = monitoring.monitor(self.data, rules, month)
            frame = mon.projects.merge(scores, on="project_id", how="left")
            units = self.data.get("units")
            if units is not None:
                frame = frame.merge(units[["unit_id", "unit_name", "department"]], on="unit_id", how="left")
            else:
                frame["unit_name"], frame["department"] = frame["unit_id"], ""
            with self._lock:
                self._monitorings[key] = mon  # not in frame.attrs: pandas deep-copies attrs on every operation
                self._monitors[key] = frame
        return self._monitors[key]

    def warm(self, profiles: list[str] | None = None, first: tuple[str, int] | None = None) -> threading.Thread:
        """Compute every (profile, month) in the background so later switches are instant.

        ``first`` (the profile and month on screen) goes first, then its profile's other months, so the
        switches an analyst makes first are the ones ready first. ``warm_done``/``warm_total`` report progress.
        """
        order = [(p, m) for p in profiles or available_profiles() for m in self.months()]
        if first is not None:
            order.sort(key=lambda pm: (pm != first, pm[0] != first[0], abs(pm[1] - first[1])))
        self.warm_total, self.warm_done = len(order), 0

        def run() -> None:
            for profile, month in order:
                self.base(profile, month)
                self.warm_done += 1
        thread = threading.Thread(target=run, daemon=True, name="perfkit-explorer-warm")
        thread.start()
        return thread

    def warned(self, f: Filters) -> pd.Series:
        """The seed's warning rule at the chosen threshold, cached per (profile, month, threshold)."""
        key = (f.profile, f.month, int(f.threshold))
        if key not in self._warned:
            frame = self.base(f.profile, f.month)
            mon = self._monitorings[(f.profile, f.month)]
            self._warned[key] = warned_at(replace(mon, projects=frame), f.threshold,
                                          self.rules(f.profile)).astype(bool)
        return self._warned[key]

    def view(self, f: Filters) -> pd.DataFrame:
        """The projects that pass the filters, with the warning re-applied at the chosen threshold."""
        frame = self.base(f.profile, f.month)
        mask = np.ones(len(frame), dtype=bool)
        for column, value in (("unit_name", f.unit), ("department", f.department), ("category", f.category),
                              ("monitor_class", f.monitor_class), ("grade", f.grade), ("light", f.light)):
            if value != ALL:
                mask &= frame[column].eq(value).to_numpy(dtype=bool, na_value=False)
        out = frame.loc[mask].assign(warning=self.warned(f)[mask])
        if self.previous is not None:
            ids = out["project_id"].astype(str)
            out = out.assign(prev_total=ids.map(self.previous["total"]), prev_grade=ids.map(self.previous["grade"]))
        return out

    def compare_with(self, archive: str | Path | None) -> bool:
        """Show last year's recomputed total and grade beside each project (None: stop comparing);
        returns whether the archive has last year."""
        from perfkit.io import archive as arc

        prev = arc.read(archive, "result_projects", only=[self.year - 1]) if archive else None
        if prev is None or prev.empty:
            self.previous = None
            return False
        self.previous = prev.assign(project_id=prev["project_id"].astype(str)).drop_duplicates("project_id") \
            .set_index("project_id")[["total", "grade"]]
        return True

    def options(self, f: Filters) -> dict[str, list[str]]:
        frame = self.base(f.profile, f.month)
        opts = {c: [ALL, *sorted(frame[c].dropna().astype(str).unique())]
                for c in ("unit_name", "department", "category", "monitor_class")}
        rules = self.rules(f.profile)
        grades = rules["evaluation.grade_bands"]
        opts["grade"] = [ALL, *grades, *sorted(set(frame["grade"].dropna().astype(str)) - set(grades))]
        lights = [*LIGHTS, rules["monitoring.unreported"]["light"]]  # 未报送 is a light of its own (rulebook)
        opts["light"] = [ALL, *lights, *sorted(set(frame["light"].dropna().astype(str)) - set(lights))]
        return opts

    def unit_summary(self, view: pd.DataFrame) -> pd.DataFrame:
        """Per unit: projects, budget (分), mean recomputed score, warned and red-light projects."""
        g = view.groupby("unit_name", observed=True)
        return pd.DataFrame({
            "projects": g.size(), "budget": g["budget"].sum(), "mean_total": g["total"].mean().round(2),
            "warned": g["warning"].sum(), "red": view["light"].eq("红").groupby(view["unit_name"], observed=True).sum(),
        }).sort_values("warned", ascending=False, kind="stable").reset_index()

    def project_header(self, project_id: str, f: Filters) -> dict[str, str]:
        """What the drill-down shows above a project's indicators: name, total, grade, execution rate."""
        row = self.base(f.profile, f.month).set_index("project_id").loc[project_id]
        scores = self.scores(f.profile).projects.set_index("project_id")
        rate = scores.loc[project_id, "exec_rate"] if "exec_rate" in scores else np.nan
        out = {"项目": f"{project_id} {row['project_name']}", "复核总分": _number(row["total"]),
               "等级": _text(row["grade"]), "执行率": _percent(rate)}
        if "status" in scores:
            out["复算状态"] = _text(scores.loc[project_id, "status"])
        return out

    def indicators(self, project_id: str, profile: str) -> pd.DataFrame:
        """One project's indicators with their recomputed scores and 说明 (columns: INDICATOR_COLUMNS)."""
        ind = self.scores(profile).indicators
        rows = ind[ind["project_id"] == project_id]
        shown = rows.assign(explanation=explain_indicators(rows, self.rules(profile)))
        return shown[list(INDICATOR_COLUMNS)]

    def profile_effect(self, f: Filters, before: str) -> str:
        """A sentence on what switching the rule profile from ``before`` changed in the current view."""
        now, then = self.view(f), self.view(replace(f, profile=before))
        if before == f.profile or now.empty:
            return ""
        then = then.set_index("project_id").reindex(now["project_id"])
        now = now.set_index("project_id")
        total = ~np.isclose(now["total"].astype(float), then["total"].astype(float), equal_nan=True)
        grade = now["grade"].astype(str).to_numpy() != then["grade"].astype(str).to_numpy()
        warn = now["warning"].to_numpy(bool) != then["warning"].to_numpy(bool)
        if not (total.any() or grade.any() or warn.any()):
            return (f"规则口径由「{before}」改为「{f.profile}」：当前筛选下的 {len(now)} 个项目，"
                    "复核总分、等级和预警均无变化。")
        return (f"规则口径由「{before}」改为「{f.profile}」：{int(total.sum())} 个项目复核总分变化，"
                f"{int(grade.sum())} 个等级变化，{int(warn.sum())} 个预警状态变化。")

    def export(self, view: pd.DataFrame, path: str | Path, f: Filters | None = None) -> Path:
        """The current view as .xlsx for the analyst to keep working in Excel/WPS: 万元 and % as number
        formats, 预警 as 是/否, text inert, and a second sheet recording the filters that made the view."""
        out = plain_text(view[list(VIEW_COLUMNS)]).rename(columns=VIEW_COLUMNS)
        out["预警"] = np.where(view["warning"].to_numpy(bool), "是", "否")
        f = f or Filters()
        now = dt.datetime.now()
        conditions = pd.DataFrame(
            [(FILTER_LABELS[x.name], str(getattr(f, x.name))) for x in fields(f)]
            + [("导出时间", now.strftime("%Y-%m-%d %H:%M:%S")), ("项目数", str(len(out)))],
            columns=["条件", "取值"])
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, excel_writer(tmp) as xl:  # the shared layout: reporting/workbook.py
            write_table(xl, "当前视图", out, f"当前视图（{len(out)}个项目，{now.year}年{now.month}月{now.day}日 {now:%H:%M}导出）",
                        money=["全年预算数（万元）"], percent=["执行进度"], decimals=["复核总分"], total=True)
            write_table(xl, "筛选条件", conditions, "当前视图的筛选条件", freeze_columns=1)
        return path


def _text(v: object) -> str:
    return "" if v is None or pd.isna(v) else str(v)


def _number(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.2f}".rstrip("0").rstrip(".")


def _percent(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.1%}"


FORMATS: dict[str, Callable[[object], str]] = {
    "budget": format_wan, "exec_progress": _percent, "total": _number, "mean_total": _number,
    "weight": _number, "score": _number, "unit_score": _number, "prev_total": _number,
    "warning": lambda v: "" if v is None or pd.isna(v) else ("是" if v else "否"),
}


def page_of(frame: pd.DataFrame, sort: str | None = None, ascending: bool = True, page: int = 0,
            size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int, int]:
    """One page of ``frame`` sorted on its raw values (blanks last); returns (rows, page, pages).

    Sorting the raw column and formatting only the page's rows keeps an update's cost independent of
    the number of rows."""
    pages = max(1, -(-len(frame) // size))
    page = min(max(page, 0), pages - 1)
    if sort in frame.columns:
        key = frame[sort]
        if isinstance(key.dtype, pd.CategoricalDtype):
            key = key.astype("string")
        frame = frame.assign(_key=key).sort_values("_key", ascending=ascending, kind="stable", na_position="last")
    return frame.iloc[page * size:(page + 1) * size], page, pages


def html_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, page: int = 0, pages: int = 1,
               total: int | None = None) -> str:
    """An escaped HTML table (data may contain markup): 万元, %, 是/否 — never raw fractions or floats.

    Built by hand: pandas' to_html takes ~25 ms for 50 rows, this ~1 ms, and an update's budget is 50 ms."""
    shown = plain_text(frame)
    cells = []
    for c in shown.columns:
        show = FORMATS.get(c, _text)
        cells.append([html.escape(show(v)) for v in shown[c].tolist()])
    head = "".join(f"<th>{html.escape(str((columns or {}).get(c, c)))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in zip(*cells, strict=True))
    total = len(frame) if total is None else total
    where = f"，第 {page + 1} / {pages} 页" if pages > 1 else ""
    return (f"<p>共 {total} 行{where}</p><table class='dataframe'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def html_bars(counts: pd.Series, title: str) -> str:
    """A bar chart in plain HTML/CSS: instant to redraw, nothing to load. Zero bars are left out."""
    counts = counts[counts > 0]
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    rows = "".join(
        f"<div style='display:flex;align-items:center;margin:1px 0'><span style='width:13em'>{html.escape(str(k))}"
        f"</span><span style='background:#b03a2e;height:0.9em;width:{int(300 * v / peak)}px'></span>"
        f"<span style='margin-left:4px'>{int(v)}</span></div>" for k, v in counts.items())
    empty = "" if len(counts) else "<div>当前筛选下没有预警项目</div>"
    return f"<div><b>{html.escape(title)}</b>{rows}{empty}</div>"


def font_style(text: str) -> str:
    """A <style> giving every part of the explorer the bundled CJK font (a subset for ``text``), so a
    machine without CJK system fonts shows Chinese, not boxes, in widgets, tables and tab labels."""
    from perfkit.reporting.fonts import FAMILY, font_face_css

    return (f"<style>{font_face_css(text)} .perfkit-explorer, .perfkit-explorer * "
            f"{{ font-family: '{FAMILY}', var(--jp-ui-font-family), sans-serif !important; }}"
            " .perfkit-explorer th { white-space: nowrap; }</style>")


class Pager:
    """A sortable, paged table widget: all rows reachable, one page of HTML sent per change."""

    def __init__(self, columns: dict[str, str], sort: str | None, ascending: bool):
        import ipywidgets as W

        self.columns = columns
        self.frame = pd.DataFrame(columns=list(columns))
        self.page = 0
        self.sort = W.Dropdown(options=[(v, k) for k, v in columns.items()], value=sort, description="排序",
                               layout=W.Layout(width="16em"), style={"description_width": "initial"})
        self.ascending = W.ToggleButtons(options=[("升序", True), ("降序", False)], value=ascending,
                                         style={"button_width": "4em"})
        self.prev = W.Button(description="上一页", layout=W.Layout(width="6em"))
        self.next = W.Button(description="下一页", layout=W.Layout(width="6em"))
        self.html = W.HTML()
        self.prev.on_click(lambda _b: self.turn(-1))
        self.next.on_click(lambda _b: self.turn(+1))
        self.sort.observe(lambda _c: self.first_page(), names="value")
        self.ascending.observe(lambda _c: self.first_page(), names="value")
        self.box = W.VBox([W.HBox([self.sort, self.ascending, self.prev, self.next]), self.html])

    def first_page(self) -> None:
        self.page = 0
        self.render()

    def turn(self, step: int) -> None:
        self.page += step
        self.render()

    def show(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.render()

    def render(self) -> None:
        rows, self.page, pages = page_of(self.frame, self.sort.value, self.ascending.value, self.page)
        shown = [c for c in self.columns if c in rows.columns]  # columns may change before the rows do
        self.html.value = html_table(rows[shown], self.columns, self.page, pages, len(self.frame))
        self.prev.disabled, self.next.disabled = self.page == 0, self.page >= pages - 1


class ExplorerUI:
    """ipywidgets over an :class:`Explorer`. Every observer is synchronous: set ``.value`` and what is on
    screen is up to date when the assignment returns (tabs not on screen are redrawn when shown)."""

    def __init__(self, explorer: Explorer, month: int = 5, profile: str = "mof2020", export_dir: str | Path = ".",
                 archive: str | Path | None = None):
        import ipywidgets as W

        self.ex = explorer
        self._explorers = {explorer.year: explorer}
        self.archive = Path(archive) if archive and Path(archive).exists() else None
        self.export_dir = Path(export_dir)
        self.filters = Filters(month=month, profile=profile)
        opts = explorer.options(self.filters)
        wide, label = W.Layout(width="24em"), {"description_width": "5em"}
        self.w = {
            "unit": W.Dropdown(options=opts["unit_name"], description="单位", layout=W.Layout(width="30em"),
                               style=label),
            "department": W.Dropdown(options=opts["department"], description="主管部门", layout=wide, style=label),
            "category": W.Dropdown(options=opts["category"], description="支出类别", layout=wide, style=label),
            "monitor_class": W.Dropdown(options=opts["monitor_class"], description="监控分类", layout=wide, style=label),
            "grade": W.Dropdown(options=opts["grade"], description="等级", layout=wide, style=label),
            "light": W.Dropdown(options=opts["light"], description="监控灯", layout=wide, style=label),
            "month": W.IntSlider(value=month, min=1, max=max(explorer.months() or [12]), description="截至月份",
                                 style=label),
            "threshold": W.IntSlider(value=20, min=5, max=40, step=1, description="预警阈值", style=label),
            "profile": W.Dropdown(options=available_profiles(), value=profile, description="规则口径", layout=wide,
                                  style=label),
        }
        self.year_w = self.compare_w = None
        if self.archive is not None:
            from perfkit.io import archive as arc

            years = sorted(set(arc.years(self.archive)["year"].astype(int)) | {explorer.year})
            self.year_w = W.Dropdown(options=[(f"{y}年" + ("（当前数据）" if y == explorer.year else "（年度档案）"), y)
                                              for y in years], value=explorer.year, description="年度",
                                     layout=wide, style=label)
            self.compare_w = W.Checkbox(value=False, description="与上年对比（年度档案）", indent=False)
            self.year_w.observe(lambda change: self._year_changed(change["new"]), names="value")
            self.compare_w.observe(lambda change: self._compare_changed(change["new"]), names="value")
        self.font_chars = _ui_text() + _dataset_text(explorer)
        self.style = W.HTML(font_style(self.font_chars))
        self.projects = Pager(VIEW_COLUMNS, "warning", False)
        self.units = Pager(UNIT_COLUMNS, "warned", False)
        self.project = W.Dropdown(options=[], description="项目", layout=W.Layout(width="48em"), style=label)
        self.project_note = W.HTML()
        self.detail = W.HTML()
        self.chart = W.HTML()
        self.status = W.HTML()
        self.note = W.HTML()
        self.export_button = W.Button(description="导出当前视图 (.xlsx)", layout=W.Layout(width="14em"))
        self.tabs = W.Tab(children=[self.projects.box, self.units.box,
                                    W.VBox([self.project, self.project_note, self.detail])])
        for i, title in enumerate(["项目", "单位汇总", "项目指标（说明）"]):
            self.tabs.set_title(i, title)
        for out in (self.chart, self.projects.html, self.units.html, self.detail, self.project_note, self.note):
            out.add_class("pk-out")  # what an update redraws (benchmarks/bench_explorer_browser.py watches these)
        self._stale: set[int] = set()
        self._quiet = False
        for name, widget in self.w.items():
            widget.observe(lambda change, n=name: self._changed(n, change["old"], change["new"]), names="value")
        self.project.observe(lambda change: self._show_project(change["new"]), names="value")
        self.tabs.observe(lambda change: self._draw_tab(change["new"]), names="selected_index")
        self.export_button.on_click(lambda _b: self.export())
        self.view = pd.DataFrame()
        self.refresh()

    def _year_changed(self, year: int) -> None:
        """Another year: its explorer (the archived input, re-analysed) with every filter reset."""
        from perfkit.io import archive as arc

        if year not in self._explorers:
            self.note.value = f"<i>读取 {year} 年度的档案数据……</i>"
            ex = Explorer(arc.dataset(self.archive, year), year)
            ex.warm(first=(self.filters.profile, self.filters.month))
            self._explorers[year] = ex
        self.ex = self._explorers[year]
        opts = self.ex.options(self.filters)
        self._quiet_filters = True
        try:
            for name, key in (("unit", "unit_name"), ("department", "department"), ("category", "category"),
                              ("monitor_class", "monitor_class"), ("grade", "grade"), ("light", "light")):
                self.w[name].options = opts[key]
                self.w[name].value = ALL
            months = self.ex.months() or [12]
            self.w["month"].max = max(months)
            self.w["month"].value = min(self.filters.month, max(months))
        finally:
            self._quiet_filters = False
        self.filters = replace(Filters(), month=self.w["month"].value, threshold=self.filters.threshold,
                               profile=self.filters.profile)
        self._compare_changed(bool(self.compare_w.value))
        self.note.value = f"已切换到 {year} 年度。"

    def _compare_changed(self, on: bool) -> None:
        has = self.ex.compare_with(self.archive if on else None)
        columns = {**VIEW_COLUMNS, **COMPARE_COLUMNS} if has else VIEW_COLUMNS
        self.projects.columns = columns
        self.projects.sort.options = [(v, k) for k, v in columns.items()]
        self.refresh()
        if on and not has:
            self.note.value = f"年度档案中没有 {self.ex.year - 1} 年度，无法对比。"

    def _changed(self, name: str, old: object, value: object) -> None:
        if getattr(self, "_quiet_filters", False):
            return
        self.filters = replace(self.filters, **{name: value})
        busy = not self.ex.is_ready(self.filters.profile, self.filters.month)
        if busy:
            self.note.value = "<i>计算中……（该口径与月份尚未预计算，约需 1 秒）</i>"
        self.refresh()
        self.note.value = self.ex.profile_effect(self.filters, str(old)) if name == "profile" else ""

    def refresh(self) -> None:
        """Recompute the view, then redraw the chart and the tab on screen; mark the other tabs stale."""
        self.view = self.ex.view(self.filters)
        self.status.value = ""
        warned = self.view.loc[self.view["warning"]]
        counts = warned["category"].astype(str).value_counts()
        self.chart.value = html_bars(counts, f"预警项目数（按支出类别，阈值 {self.filters.threshold} 个百分点，"
                                             f"共 {len(warned)} 个，{format_wan(warned['budget'].sum())} 万元）")
        self._stale = {0, 1, 2}
        self._draw_tab(self.tabs.selected_index or 0)

    def _draw_tab(self, index: int | None) -> None:
        if index is None or index not in self._stale:
            return
        self._stale.discard(index)
        if index == 0:
            self.projects.page = 0
            self.projects.show(self.view)
        elif index == 1:
            self.units.page = 0
            self.units.show(self.ex.unit_summary(self.view))
        else:
            self._project_list()

    def _project_list(self) -> None:
        """The drill-down list: projects in view (not 涉密), the chosen one kept while it stays in view."""
        listed = self.view.loc[~self.view["classified"].fillna(False).astype(bool)]
        hidden = len(self.view) - len(listed)
        ids = plain_text(listed[["project_id", "project_name"]].head(PROJECT_LIST_LIMIT))
        options = [(f"{pid} {name}", pid) for pid, name in zip(ids["project_id"], ids["project_name"], strict=True)]
        keep = self.project.value if self.project.value in set(ids["project_id"]) else None
        notes = []
        if len(listed) > PROJECT_LIST_LIMIT:
            notes.append(f"当前筛选下共 {len(listed)} 个项目，下拉框列出按预警排序的前 {PROJECT_LIST_LIMIT} 个，"
                         "请用上方筛选缩小范围")
        if hidden:
            notes.append(f"另有 {hidden} 个涉密项目未列出")
        self.project_note.value = "；".join(notes)
        self._quiet = True  # the options change resets the selection; show the project once, below
        try:
            self.project.options = options
            self.project.value = keep if keep is not None else (options[0][1] if options else None)
        finally:
            self._quiet = False
        if not options:
            self.detail.value = "<p>当前筛选下没有可查看的项目（没有项目，或只有涉密项目），请放宽筛选条件。</p>"
        else:
            self._show_project(self.project.value)

    def _show_project(self, project_id: str | None) -> None:
        if not project_id or self._quiet:
            return
        head = self.ex.project_header(project_id, self.filters)
        header = "　".join(f"<b>{html.escape(k)}</b>：{html.escape(v)}" for k, v in head.items())
        self.detail.value = f"<p>{header}</p>" + html_table(self.ex.indicators(project_id, self.filters.profile),
                                                           INDICATOR_COLUMNS)

    def export(self) -> Path:
        name = f"当前视图_{dt.datetime.now():%Y%m%d_%H%M%S}.xlsx"
        path = self.ex.export(self.view, self.export_dir / name, self.filters)
        href = html.escape(f"{self.export_dir.as_posix().rstrip('/')}/{name}")
        self.status.value = (f"已导出 {len(self.view)} 行：<a href='{href}' download>{html.escape(name)}</a>"
                             f"（在左侧文件浏览器的「{html.escape(self.export_dir.as_posix())}」文件夹中）")
        return path

    def warm_progress(self, thread: threading.Thread) -> threading.Thread:
        """Show the background warm-up's progress in the note line until it is done."""
        import ipywidgets as W

        bar = W.IntProgress(min=0, max=max(self.ex.warm_total, 1), description="后台预计算",
                            style={"description_width": "initial"})
        self.progress = bar

        def follow() -> None:
            while thread.is_alive():
                bar.value = self.ex.warm_done
                thread.join(0.5)
            bar.value = bar.max
            bar.description = "预计算完成"
            bar.layout.display = "none"
        watcher = threading.Thread(target=follow, daemon=True, name="perfkit-explorer-progress")
        watcher.start()
        return watcher

    def widget(self):
        import ipywidgets as W

        ws = list(self.w.values())
        extra = [self.progress] if hasattr(self, "progress") else []
        years = [W.HBox([self.year_w, self.compare_w])] if self.year_w is not None else []
        filters = W.VBox([*years, W.HBox(ws[:3]), W.HBox(ws[3:6]), W.HBox(ws[6:]),
                          W.HBox([self.export_button, self.status]), W.HBox([self.note, *extra])])
        box = W.VBox([self.style, filters, self.chart, self.tabs])
        box.add_class("perfkit-explorer")
        return box


def _ui_text() -> str:
    """Every character of the explorer's own labels and sentences: those of this module's source."""
    return "".join(set(Path(__file__).read_text(encoding="utf-8")))


def _dataset_text(explorer: Explorer) -> str:
    """Every character the explorer may show from the data, for the font subset (computed once)."""
    parts = []
    for frame in explorer.data.tables.values():
        for c in frame.columns:
            col = frame[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                parts.append("".join(map(str, col.cat.categories)))
            elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
                parts.append("".join(map(str, col.dropna().unique())))
    for profile in available_profiles():  # 说明 cite each profile's sources
        parts.append("".join(explorer.rules(profile).table().astype(str).to_numpy().ravel()))
    ind = explorer.scores("mof2020").indicators
    parts.append("".join(explain_indicators(ind, explorer.rules("mof2020")).unique()))
    return "".join(set("".join(parts)))


def open_explorer(data: str | Path | Dataset, month: int = 5, profile: str = "mof2020",
                  export_dir: str | Path = "导出", archive: str | Path | None = None) -> ExplorerUI:
    """What explore.ipynb calls: open the data, start the background warm-up (the month and profile on
    screen first) with its progress shown, and build the UI (with a year switch and a comparison with
    last year when an ``archive`` file exists)."""
    explorer = Explorer.open(data)
    thread = explorer.warm(first=(profile, month))
    ui = ExplorerUI(explorer, month=month, profile=profile, export_dir=export_dir, archive=archive)
    ui.warm_progress(thread)
    return ui
