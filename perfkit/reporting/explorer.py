"""The analyst's explorer (notebooks/explore.ipynb): filters, the as-of month, the warning threshold and
the rule profile; a table and a chart that update; drill-down unit → projects → one project's
indicators with each score's 说明; export of the current view to .xlsx.

:class:`Explorer` holds the logic and caches one analysis per (profile, month); :class:`ExplorerUI`
wires ipywidgets to it. Setting a widget's ``.value`` runs the update synchronously, so the whole UI is
tested in pytest without a kernel. Filters and the threshold only re-slice cached results (fast);
a (profile, month) is computed once, and all of them are warmed in a background thread.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from perfkit.analyses import monitoring
from perfkit.analyses.application import warned_at
from perfkit.analyses.evaluation import Scores, explain_indicators, score_projects
from perfkit.io.load import Dataset, load
from perfkit.io.values import FEN_PER_WAN, format_wan
from perfkit.io.write import atomic_path, excel_writer, inert_frame
from perfkit.rules.rulebook import available_profiles, load_rules

ALL = "（全部）"
VIEW_COLUMNS = {"project_id": "项目编码", "project_name": "项目名称", "unit_name": "单位", "department": "主管部门",
                "category": "支出类别", "monitor_class": "监控分类", "budget": "全年预算数", "total": "复核总分",
                "grade": "等级", "exec_progress": "执行进度", "light": "监控灯", "warning": "预警"}


@dataclass(frozen=True)
class Filters:
    unit: str = ALL
    department: str = ALL
    category: str = ALL
    monitor_class: str = ALL
    grade: str = ALL
    light: str = ALL
    month: int = 5
    threshold: float = 20
    profile: str = "mof2020"


@dataclass
class Explorer:
    """Cached analyses of one dataset, sliced by :class:`Filters`."""

    data: Dataset
    year: int
    _scores: dict[str, Scores] = field(default_factory=dict)
    _monitors: dict[tuple[str, int], pd.DataFrame] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, data: str | Path | Dataset, year: int | None = None) -> Explorer:
        ds = data if isinstance(data, Dataset) else load(data)
        if year is None:
            year = int(ds.table("projects")["year"].dropna().mode().iloc[0])
        return cls(ds, year)

    def months(self) -> list[int]:
        return sorted(int(m) for m in self.data.table("exec_monitor")["month"].dropna().unique())

    def scores(self, profile: str) -> Scores:
        with self._lock:
            if profile not in self._scores:
                self._scores[profile] = score_projects(self.data, load_rules(profile, self.year))
            return self._scores[profile]

    def base(self, profile: str, month: int) -> pd.DataFrame:
        """Projects with scores and monitoring for (profile, month), computed once."""
        key = (profile, month)
        if key not in self._monitors:
            rules = load_rules(profile, self.year)
            scores = self.scores(profile).projects[["project_id", "total", "grade", "completion"]]
            mon = monitoring.monitor(self.data, rules, month)
            frame = mon.projects.merge(scores, on="project_id", how="left")
            units = self.data.get("units")
            if units is not None:
                frame = frame.merge(units[["unit_id", "unit_name", "department"]], on="unit_id", how="left")
            else:
                frame["unit_name"], frame["department"] = frame["unit_id"], ""
            frame.attrs["monitoring"] = mon
            with self._lock:
                self._monitors[key] = frame
        return self._monitors[key]

    def warm(self, profiles: list[str] | None = None) -> threading.Thread:
        """Compute every (profile, month) in the background so later switches are instant."""
        def run() -> None:
            for profile in profiles or available_profiles():
                for month in self.months():
                    self.base(profile, month)
        thread = threading.Thread(target=run, daemon=True, name="perfkit-explorer-warm")
        thread.start()
        return thread

    def view(self, f: Filters) -> pd.DataFrame:
        """The projects that pass the filters, with the warning re-applied at the chosen threshold."""
        frame = self.base(f.profile, f.month)
        rules = load_rules(f.profile, self.year)
        mon = frame.attrs["monitoring"]
        warned = warned_at(replace(mon, projects=frame), f.threshold, rules)
        mask = pd.Series(True, index=frame.index)
        for column, value in (("unit_name", f.unit), ("department", f.department), ("category", f.category),
                              ("monitor_class", f.monitor_class), ("grade", f.grade), ("light", f.light)):
            if value != ALL:
                mask &= frame[column].eq(value)
        return frame.loc[mask].assign(warning=warned[mask])

    def options(self, f: Filters) -> dict[str, list[str]]:
        frame = self.base(f.profile, f.month)
        opts = {c: [ALL, *sorted(frame[c].dropna().astype(str).unique())]
                for c in ("unit_name", "department", "category", "monitor_class")}
        opts["grade"] = [ALL, "优", "良", "中", "差"]
        opts["light"] = [ALL, "绿", "蓝", "黄", "红"]
        return opts

    def unit_summary(self, view: pd.DataFrame) -> pd.DataFrame:
        g = view.groupby("unit_name")
        red = view["light"].eq("红").groupby(view["unit_name"]).sum()
        return pd.DataFrame({"项目数": g.size(), "全年预算数": g["budget"].sum(), "平均分": g["total"].mean().round(2),
                             "预警项目数": g["warning"].sum(), "红灯项目数": red,
                             }).sort_values("预警项目数", ascending=False).reset_index().rename(columns={"unit_name": "单位"})

    def indicators(self, project_id: str, profile: str) -> pd.DataFrame:
        """One project's indicators with their recomputed scores and 说明."""
        ind = self.scores(profile).indicators
        rows = ind[ind["project_id"] == project_id]
        shown = rows.assign(explanation=explain_indicators(rows, load_rules(profile, self.year)))
        return shown[["indicator", "target_text", "actual_text", "weight", "score", "unit_score", "explanation"]].rename(
            columns={"indicator": "三级指标", "target_text": "指标值", "actual_text": "实际完成值", "weight": "分值",
                     "score": "复核得分", "unit_score": "自评得分", "explanation": "说明"})

    def export(self, view: pd.DataFrame, path: str | Path) -> Path:
        """The current view as .xlsx (万元, inert text) for the analyst to keep working in Excel/WPS."""
        out = view[list(VIEW_COLUMNS)].rename(columns=VIEW_COLUMNS).copy()
        out["全年预算数"] = out["全年预算数"].astype("Float64") / FEN_PER_WAN
        out = out.rename(columns={"全年预算数": "全年预算数（万元）"})
        path = Path(path)
        with atomic_path(path) as tmp, excel_writer(tmp) as xl:
            inert_frame(out).to_excel(xl, sheet_name="当前视图", index=False)
            ws = xl.sheets["当前视图"]
            ws.freeze_panes(1, 2)
            ws.set_column(0, len(out.columns) - 1, 14)
        return path


def html_table(frame: pd.DataFrame, limit: int = 200) -> str:
    """An escaped HTML table (data may contain markup), money in 万元."""
    shown = frame.head(limit).copy()
    for c in shown.columns:
        if c in ("budget", "全年预算数"):
            shown[c] = shown[c].map(format_wan)
        elif c == "exec_progress":
            shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    shown = shown.rename(columns=VIEW_COLUMNS)
    more = f"<p>共 {len(frame)} 行，显示前 {limit} 行</p>" if len(frame) > limit else f"<p>共 {len(frame)} 行</p>"
    return more + shown.to_html(index=False, escape=True, border=0, classes="dataframe")


def html_bars(counts: pd.Series, title: str) -> str:
    """A bar chart in plain HTML/CSS: instant to redraw, nothing to load."""
    peak = max(int(counts.max()) if len(counts) else 0, 1)
    rows = "".join(
        f"<div style='display:flex;align-items:center;margin:1px 0'><span style='width:11em'>{html.escape(str(k))}"
        f"</span><span style='background:#b03a2e;height:0.9em;width:{int(300 * v / peak)}px'></span>"
        f"<span style='margin-left:4px'>{int(v)}</span></div>" for k, v in counts.items())
    return f"<div><b>{html.escape(title)}</b>{rows}</div>"


class ExplorerUI:
    """ipywidgets over an :class:`Explorer`. Every observer is synchronous: set ``.value`` and the
    table, chart and drill-down are up to date when the assignment returns."""

    def __init__(self, explorer: Explorer, month: int = 5, profile: str = "mof2020", export_dir: str | Path = "."):
        import ipywidgets as W

        self.ex = explorer
        self.export_dir = Path(export_dir)
        self.filters = Filters(month=month, profile=profile)
        opts = explorer.options(self.filters)
        self.w = {
            "unit": W.Dropdown(options=opts["unit_name"], description="单位"),
            "department": W.Dropdown(options=opts["department"], description="主管部门"),
            "category": W.Dropdown(options=opts["category"], description="支出类别"),
            "monitor_class": W.Dropdown(options=opts["monitor_class"], description="监控分类"),
            "grade": W.Dropdown(options=opts["grade"], description="等级"),
            "light": W.Dropdown(options=opts["light"], description="监控灯"),
            "month": W.IntSlider(value=month, min=1, max=max(explorer.months() or [12]), description="截至月份"),
            "threshold": W.FloatSlider(value=20, min=5, max=40, step=1, description="预警阈值"),
            "profile": W.Dropdown(options=available_profiles(), value=profile, description="规则口径"),
        }
        self.project = W.Dropdown(options=[], description="项目")
        self.table = W.HTML()
        self.units = W.HTML()
        self.chart = W.HTML()
        self.detail = W.HTML()
        self.status = W.HTML()
        self.export_button = W.Button(description="导出当前视图 (.xlsx)")
        for name, widget in self.w.items():
            widget.observe(lambda change, n=name: self._changed(n, change["new"]), names="value")
        self.project.observe(lambda change: self._show_project(change["new"]), names="value")
        self.export_button.on_click(lambda _b: self.export())
        self.view = pd.DataFrame()
        self.refresh()

    def _changed(self, name: str, value: object) -> None:
        self.filters = replace(self.filters, **{name: value})
        self.refresh()

    def refresh(self) -> None:
        self.view = self.ex.view(self.filters)
        cols = list(VIEW_COLUMNS)
        self.table.value = html_table(self.view[cols])
        self.units.value = html_table(self.ex.unit_summary(self.view), limit=30)
        self.chart.value = html_bars(self.view.loc[self.view["warning"], "category"].value_counts(),
                                     f"预警项目数（阈值 {self.filters.threshold:g} 个百分点）")
        ids = self.view.loc[~self.view["classified"], "project_id"].head(500).tolist()
        labels = self.view.set_index("project_id")["project_name"]
        self.project.options = [(f"{pid} {labels[pid]}", pid) for pid in ids]

    def _show_project(self, project_id: str | None) -> None:
        if project_id:
            self.detail.value = html_table(self.ex.indicators(project_id, self.filters.profile))

    def export(self) -> Path:
        path = self.ex.export(self.view, self.export_dir / "perfkit_当前视图.xlsx")
        self.status.value = html.escape(f"已导出 {path}")
        return path

    def widget(self):
        import ipywidgets as W

        filters = W.VBox([W.HBox(list(self.w.values())[:3]), W.HBox(list(self.w.values())[3:6]),
                          W.HBox(list(self.w.values())[6:]), W.HBox([self.export_button, self.status])])
        tabs = W.Tab(children=[self.table, self.units, W.VBox([self.project, self.detail])])
        for i, title in enumerate(["项目", "单位汇总", "项目指标（说明）"]):
            tabs.set_title(i, title)
        return W.VBox([filters, self.chart, tabs])
