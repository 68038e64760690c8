"""The explorer's widgets: :class:`ExplorerUI` wires ipywidgets to an :class:`Explorer` (the year switch,
the filters, the tabs, export), and :func:`open_explorer` is what explore.ipynb calls."""

from __future__ import annotations

import datetime as dt
import html
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from perfkit.io.load import Dataset
from perfkit.io.values import format_wan, plain_text
from perfkit.pipeline.kept import BY_REPORT, Start
from perfkit.reporting.explorer.export import files_url
from perfkit.reporting.explorer.model import Explorer
from perfkit.reporting.explorer.state import (
    ALL,
    COMPARE_COLUMNS,
    FILTER_LABELS,
    INDICATOR_COLUMNS,
    INTERNAL_IN_NAME,
    NO,
    PROJECT_LIST_LIMIT,
    THRESHOLD_RANGE,
    UNIT_COLUMNS,
    VIEW_COLUMNS,
    YES,
    Filters,
    chosen_values,
)
from perfkit.reporting.explorer.tables import Pager, font_style, html_bars, html_table
from perfkit.rules.rulebook import DEFAULT_PROFILE

MULTI = ("unit", "department", "category", "monitor_class", "grade", "light")


class ExplorerUI:
    """ipywidgets over an :class:`Explorer`. Every observer is synchronous: set ``.value`` and what is on
    screen is up to date when the assignment returns (tabs not on screen are redrawn when shown)."""

    def __init__(self, explorer: Explorer, month: int | None = None, profile: str | None = None,
                 export_dir: str | Path = ".", archive: str | Path | None = None):
        import ipywidgets as W

        self.ex = explorer
        self.home = explorer  # the year of the data opened (its 编码变更 link the archived years)
        self._explorers = {explorer.year: explorer}
        self.archive = Path(archive) if archive and Path(archive).exists() else None
        self.export_dir = Path(export_dir)
        profile = explorer.add_profile(profile) if profile else DEFAULT_PROFILE if DEFAULT_PROFILE in \
            explorer.profiles else explorer.profiles[0]
        self.filters = explorer.complete(Filters(month=month, profile=profile))
        opts = explorer.options(self.filters)
        wide, label = W.Layout(width="24em"), {"description_width": "5em"}

        def multi(name: str, width: str = "24em") -> object:
            return W.SelectMultiple(options=opts[name], value=(), description=FILTER_LABELS[name], rows=4,
                                    layout=W.Layout(width=width), style=label)
        threshold = self.filters.threshold
        slider = W.IntSlider if float(threshold).is_integer() else W.FloatSlider
        self.w = {
            "unit": multi("unit", "30em"), "department": multi("department"), "category": multi("category"),
            "monitor_class": multi("monitor_class"), "grade": multi("grade"), "light": multi("light"),
            "warning": W.Dropdown(options=[ALL, YES, NO], value=ALL, description="预警", layout=W.Layout(width="14em"),
                                  style=label),
            "restated": W.Dropdown(options=[ALL, YES, NO], value=ALL, description="单位自述",
                                   layout=W.Layout(width="14em"), style=label),
            "search": W.Text(value="", placeholder="项目编码、名称或单位，回车确认", description="搜索",
                             continuous_update=False, layout=W.Layout(width="30em"), style=label),
            "month": W.IntSlider(value=self.filters.month, min=1, max=max(explorer.months() or [12]),
                                 description="截至月份", style=label),
            "threshold": slider(value=int(threshold) if slider is W.IntSlider else threshold,
                                min=THRESHOLD_RANGE[0], max=THRESHOLD_RANGE[1], description="预警阈值", style=label),
            "profile": W.Dropdown(options=self._profile_options(), value=profile, description="规则口径",
                                  layout=W.Layout(width="30em"), style=label),
        }
        # 单位自述 (an actual restating its target) where the scoring marks it
        self.has_restated = "n_restated" in explorer.base(self.filters.profile, self.filters.month)
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
        self.projects = Pager(VIEW_COLUMNS, "warning", False, clickable=True)
        self.units = Pager(UNIT_COLUMNS, "warned", False)
        self.project_search = W.Text(value="", placeholder="在列表中查找：编码或名称", description="查找",
                                     continuous_update=False, layout=W.Layout(width="24em"), style=label)
        self.project = W.Dropdown(options=[], description="项目", layout=W.Layout(width="48em"), style=label)
        self.open_w = W.Text(value="", layout=W.Layout(display="none"))
        self.open_w.add_class("pk-open")
        self.project_note = W.HTML()
        self.detail = W.HTML()
        self.chart = W.HTML()
        self.status = W.HTML()
        self.note = W.HTML()
        self.effect = W.HTML()
        self.opened = W.HTML()  # what the explorer opened from (see say_start)
        self.opened.add_class("pk-opened")
        self.export_button = W.Button(description="导出当前视图 (.xlsx)", layout=W.Layout(width="14em"))
        self.tabs = W.Tab(children=[self.projects.box, self.units.box,
                                    W.VBox([W.HBox([self.project_search, self.project]), self.project_note,
                                            self.detail])])
        for i, title in enumerate(["项目", "单位汇总", "项目指标（说明）"]):
            self.tabs.set_title(i, title)
        for out in (self.chart, self.projects.html, self.units.html, self.detail, self.project_note, self.note,
                    self.effect):
            out.add_class("pk-out")  # what an update redraws (benchmarks/bench_explorer_browser.py watches these)
        self._stale: set[int] = set()
        self._quiet = False
        self._quiet_filters = False
        for name, widget in self.w.items():
            widget.observe(lambda change, n=name: self._changed(n, change["old"], change["new"]), names="value")
        self.project.observe(lambda change: self._show_project(change["new"]), names="value")
        self.project_search.observe(lambda _c: self._project_list(), names="value")
        self.open_w.observe(lambda change: self.open_project(change["new"]), names="value")
        self.tabs.observe(lambda change: self._draw_tab(change["new"]), names="selected_index")
        self.export_button.on_click(lambda _b: self.export())
        self.view = pd.DataFrame()
        self.refresh()

    def _profile_options(self) -> list[tuple[str, str]]:
        """规则口径 by Chinese title; two profiles of the same title are told apart by their file."""
        titles = [(self.ex.title(p), p) for p in self.ex.profiles]
        seen = pd.Series([t for t, _ in titles]).duplicated(keep=False).tolist()
        return [(f"{t}（{Path(p).name}）" if dup else t, p) for (t, p), dup in zip(titles, seen, strict=True)]

    def _set_quietly(self, widget: object, **traits: object) -> None:
        self._quiet_filters = True
        try:
            for k, v in traits.items():
                setattr(widget, k, v)
        finally:
            self._quiet_filters = False

    def _sync_options(self) -> None:
        """Each multi-value filter lists what the other filters leave (sent only when it changed)."""
        opts = self.ex.options(self.filters)
        for name in MULTI:
            widget = self.w[name]
            if tuple(widget.options) != tuple(opts[name]):
                chosen = tuple(v for v in chosen_values(getattr(self.filters, name)) if v in opts[name])
                self._set_quietly(widget, options=opts[name], value=chosen)

    def _year_changed(self, year: int) -> None:
        """Another year: its explorer (the archived input, re-analysed); the filters stay where the
        other year has the same values (a value it lacks is dropped, and the note says which)."""
        from perfkit.io import archive as arc

        if year not in self._explorers:
            self.note.value = f"<i>读取 {year} 年度的档案数据……</i>"
            ex = Explorer(arc.dataset(self.archive, year), year, profiles=list(self.home.profiles))
            ex.warm(first=(self.filters.profile, self.filters.month))
            self._explorers[year] = ex
        self.ex = self._explorers[year]
        months = self.ex.months() or [12]
        month = min(int(self.filters.month), max(months))
        wide_open = replace(self.filters, month=month, **dict.fromkeys(MULTI, ()), warning=ALL, restated=ALL,
                            search="")
        everything = self.ex.options(wide_open)
        dropped = []
        kept = {}
        for name in MULTI:
            chosen = chosen_values(getattr(self.filters, name))
            kept[name] = tuple(v for v in chosen if v in everything[name])
            dropped += [f"{FILTER_LABELS[name]}「{v}」" for v in chosen if v not in kept[name]]
        self.filters = replace(self.filters, month=month, **kept)
        self._set_quietly(self.w["month"], max=max(months), value=month)
        self._compare_changed(bool(self.compare_w.value), redraw=False)
        self.refresh()
        said = f"已切换到 {year} 年度，筛选条件保留。"
        if dropped:
            said += f"该年度没有{'、'.join(dropped)}，已从筛选中去掉。"
        self.note.value = html.escape(said) + self._compare_note()

    def _compare_note(self) -> str:
        if self.compare_w is not None and self.compare_w.value and self.ex.previous is None:
            return html.escape(f"年度档案中没有 {self.ex.year - 1} 年度，上年复核总分、上年等级为空。")
        return ""

    def _compare_changed(self, on: bool, redraw: bool = True) -> None:
        self.ex.compare_with(self.archive if on else None, self.home.data.get("code_changes"))
        self.projects.set_columns({**VIEW_COLUMNS, **COMPARE_COLUMNS} if on else VIEW_COLUMNS)
        if redraw:
            self.refresh()
            self.note.value = self._compare_note()

    def _changed(self, name: str, old: object, value: object) -> None:
        if self._quiet_filters:
            return
        if name in MULTI:
            value = chosen_values(value)
        before = self.filters
        self.filters = replace(self.filters, **{name: value})
        if name == "profile" and float(before.threshold) == self.ex.default_threshold(str(old)):
            # the threshold follows the profile's own while the analyst has not moved it
            new = self.ex.default_threshold(str(value))
            self.filters = replace(self.filters, threshold=new)
            self._set_quietly(self.w["threshold"], value=int(new) if isinstance(self.w["threshold"].value, int) else new)
        busy = not self.ex.is_ready(self.filters.profile, self.filters.month)
        if busy:
            self.note.value = "<i>计算中……（该口径与月份尚未预计算，约需 1 秒）</i>"
        self.refresh()
        self.note.value = html.escape(self.ex.profile_effect(self.filters, str(old))) if name == "profile" else ""
        if name in ("profile", "threshold"):
            self.effect.value = html.escape(self.ex.proposal_effect(self.filters))

    def refresh(self) -> None:
        """Recompute the view, then redraw the chart and the tab on screen; mark the other tabs stale."""
        self._sync_options()
        self.view = self.ex.view(self.filters)
        self.status.value = ""
        warned = self.view.loc[self.view["warning"]]
        counts = warned["category"].astype(str).value_counts()
        self.chart.value = html_bars(counts, f"预警项目数（按支出类别，阈值 {self.filters.threshold:g} 个百分点，"
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

    def listed(self) -> pd.DataFrame:
        """The drill-down's projects: those in view (not 涉密), warned first — the order the note
        promises — then by code; narrowed by the 查找 box."""
        listed = self.view.loc[~self.view["classified"].fillna(False).astype(bool)]
        words = self.project_search.value.strip().lower().split()
        for w in words:
            listed = listed.loc[listed["_search"].str.contains(w, regex=False).to_numpy(bool)]
        return listed.assign(_pid=listed["project_id"].astype(str)).sort_values(
            ["warning", "_pid"], ascending=[False, True], kind="stable")

    def _project_list(self, keep: str | None = None) -> None:
        """The drill-down list, warned first; the chosen project kept while it stays in view."""
        listed = self.listed()
        hidden = int(self.view["classified"].fillna(False).astype(bool).sum())
        ids = plain_text(listed[["project_id", "project_name", "warning"]].head(PROJECT_LIST_LIMIT))
        options = [(f"{pid} {name}" + ("（预警）" if w else ""), str(pid))
                   for pid, name, w in zip(ids["project_id"], ids["project_name"], ids["warning"], strict=True)]
        keep = keep or self.project.value
        values = {v for _, v in options}
        if keep is not None and keep not in values and keep in set(listed["_pid"]):
            row = plain_text(listed.loc[listed["_pid"] == keep, ["project_id", "project_name"]]).iloc[0]
            options.insert(0, (f"{row['project_id']} {row['project_name']}", keep))  # opened from the table
            values.add(keep)
        keep = keep if keep in values else None
        notes = []
        if len(listed) > PROJECT_LIST_LIMIT:
            notes.append(f"当前筛选下共 {len(listed)} 个项目，下拉框列出按预警排序（预警项目在前）的前 "
                         f"{PROJECT_LIST_LIMIT} 个，请用「查找」或上方筛选缩小范围，或在「项目」表中单击一行")
        if hidden:
            notes.append(f"另有 {hidden} 个涉密项目未列出")
        self.project_note.value = html.escape("；".join(notes))
        self._quiet = True  # the options change resets the selection; show the project once, below
        try:
            if [tuple(o) for o in self.project.options] != options:  # 500 entries: sent only when they change
                self.project.options = options
            self.project.value = keep if keep is not None else (options[0][1] if options else None)
        finally:
            self._quiet = False
        if not options:
            self.detail.value = "<p>当前筛选下没有可查看的项目（没有项目，或只有涉密项目），请放宽筛选条件。</p>"
        else:
            self._show_project(self.project.value)

    def open_project(self, clicked: str) -> None:
        """A click on a row of the 项目 table (``<code>|<time>``, or a bare code): that project in
        「项目指标（说明）」."""
        project_id = str(clicked or "").rsplit("|", 1)[0] if "|" in str(clicked or "") else str(clicked or "")
        if not project_id:
            return
        row = self.view.loc[self.view["project_id"].astype(str) == str(project_id)]
        if row.empty:
            return
        if bool(row["classified"].fillna(False).astype(bool).iloc[0]):
            self.note.value = html.escape(f"项目 {project_id} 为涉密项目，不在此查看其指标。")
            return
        self.project_search.unobserve_all("value")
        self.project_search.value = ""
        self.project_search.observe(lambda _c: self._project_list(), names="value")
        self._stale.discard(2)
        self._project_list(keep=str(project_id))
        self.tabs.selected_index = 2

    def _show_project(self, project_id: str | None) -> None:
        if not project_id or self._quiet:
            return
        head = self.ex.project_header(project_id, self.filters)
        header = "　".join(f"<b>{html.escape(k)}</b>：{html.escape(v)}" for k, v in head.items())
        self.detail.value = f"<p>{header}</p>" + html_table(self.ex.indicators(project_id, self.filters.profile),
                                                           INDICATOR_COLUMNS)

    def export(self) -> Path:
        """The view as .xlsx (every column on screen, in the order on screen), with a busy indicator
        and a download link the browser can fetch (JupyterLab serves files under /files/)."""
        self.export_button.disabled, label = True, self.export_button.description
        self.export_button.description = "导出中……"
        self.status.value = "<i>正在导出……</i>"
        try:
            path = self.ex.export(self.view, self._new_export_path(), self.filters, self.projects.columns,
                                  (self.projects.sort.value, bool(self.projects.ascending.value)))
        finally:
            self.export_button.disabled, self.export_button.description = False, label
        where = self.export_dir.as_posix()
        href = files_url(path) or f"{where.rstrip('/')}/{path.name}"
        secret = "（含涉密项目：内部资料，不得公开）" if INTERNAL_IN_NAME in path.name else ""
        self.status.value = (f"已导出 {len(self.view)} 行{secret}：<a href='{html.escape(href, quote=True)}' "
                             f"download='{html.escape(path.name, quote=True)}' class='pk-download'>"
                             f"{html.escape(path.name)}</a>（在左侧文件浏览器的「{html.escape(where)}」文件夹中）")
        return path

    def _new_export_path(self) -> Path:
        """A file name no earlier export took: the year and the second, and _2, _3 … for a second export
        within the same second (which would otherwise overwrite the first, and keep its link)."""
        stem = f"{self.ex.year}年度_当前视图_{dt.datetime.now():%Y%m%d_%H%M%S}"
        marked = "_" + INTERNAL_IN_NAME
        n = 1
        while True:
            name = stem + (f"_{n}" if n > 1 else "")
            if not any((self.export_dir / f"{name}{mark}.xlsx").exists() for mark in ("", marked)):
                return self.export_dir / f"{name}.xlsx"
            n += 1

    def say_start(self, start: Start | None) -> None:
        """Say on screen what the explorer opened from: the result ``perfkit report`` (or an earlier
        opening) kept for the same input, year, month, rules and archive, or its own computation."""
        f = self.filters
        what = f"{self.ex.year}年度评分与截至{f.month}月的监控（规则口径「{self.ex.title(f.profile)}」）"
        if start is None:
            said = (f"打开时计算了{what}：没有 perfkit report 或上次打开留下的、数据、年度、月份、规则口径和年度档案"
                    "都相同的结果可以沿用。")
        else:
            who = " perfkit report " if start.made_by == BY_REPORT else "上次打开浏览器时"
            said = (f"打开时沿用了{who}（{start.made_at:%Y-%m-%d %H:%M}）算出的{what}：数据、规则口径和年度档案"
                    "与当时相同，未重新计算。")
        self.opened.value = f"<small>{html.escape(said)}</small>"

    def warm_progress(self, thread: threading.Thread) -> threading.Thread:
        """Show the background warm-up's progress in the note line until it is done."""
        import ipywidgets as W

        bar = W.IntProgress(min=0, max=max(self.ex.warm_total, 1), description="后台预计算",
                            style={"description_width": "initial"})
        bar.add_class("pk-warm")
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

        w = self.w
        extra = [self.progress] if hasattr(self, "progress") else []
        years = [W.HBox([self.year_w, self.compare_w])] if self.year_w is not None else []
        filters = W.VBox([*years, W.HBox([w["unit"], w["department"], w["category"]]),
                          W.HBox([w["monitor_class"], w["grade"], w["light"]]),
                          W.HBox([w["warning"], *([w["restated"]] if self.has_restated else []), w["search"]]), W.HBox([w["month"], w["threshold"], w["profile"]]),
                          W.HBox([self.export_button, self.status]), W.HBox([self.note, *extra]), self.effect,
                          self.opened, self.open_w])
        box = W.VBox([self.style, filters, self.chart, self.tabs])
        box.add_class("perfkit-explorer")
        return box


def _ui_text() -> str:
    """Every character of the explorer's own labels and sentences (this package's source) and of the
    notebooks perfkit ships (their headings render in the same font)."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parent.glob("*.py")))
    from perfkit import shipped_notebooks

    shipped = shipped_notebooks()
    if shipped.is_dir():
        text += "".join(p.read_text(encoding="utf-8") for p in sorted(shipped.glob("*.ipynb")))
    return "".join(set(text))


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
    # 说明 are built from the sentences of the evaluation module, the data and each profile's sources;
    # the profile files' text (read, not parsed) holds every source, title and word of the rules
    from perfkit.analyses import evaluation
    from perfkit.rules.rulebook import PROFILES_DIR

    parts.append(Path(evaluation.__file__).read_text(encoding="utf-8"))
    for profile in explorer.profiles:
        path = Path(profile) if Path(profile).suffix in (".yaml", ".yml") else PROFILES_DIR / f"{profile}.yaml"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8"))
    return "".join(set("".join(parts)))


def open_explorer(data: str | Path | Dataset, month: int | None = None, profile: str | None = None,
                  export_dir: str | Path = "导出", archive: str | Path | None = None,
                  profiles: Iterable[str | Path] = ()) -> ExplorerUI:
    """What explore.ipynb calls: open the data, start the background warm-up (the month and profile on
    screen first) with its progress shown, and build the UI (with a year switch and a comparison with
    last year when the archive exists — by default the one beside the data, see
    :func:`perfkit.io.archive.locate`). ``month`` None: the data's latest month; ``profile`` a name or a
    district's own .yaml file (``profiles``: more such files to offer)."""
    from perfkit.io import archive as arc

    if archive is None and not isinstance(data, Dataset):
        archive = arc.locate(data)
    explorer = Explorer.open(data, archive=archive)
    for extra in profiles:
        explorer.add_profile(extra)
    if profile:
        profile = explorer.add_profile(profile)
    f = explorer.complete(Filters(month=month, profile=profile or DEFAULT_PROFILE))
    # what perfkit report (or the last opening) computed for this very input, month, rules and archive
    start = explorer.start_from_kept(f.profile, f.month, archive)
    thread = explorer.warm(first=(f.profile, f.month))
    ui = ExplorerUI(explorer, month=f.month, profile=f.profile, export_dir=export_dir, archive=archive)
    ui.warm_progress(thread)
    ui.say_start(start)
    if start is None:  # kept for the next opening, after this one is on screen
        threading.Thread(target=explorer.keep_for_next, args=(f.profile, f.month, archive), daemon=True,
                         name="perfkit-explorer-keep").start()
    return ui
