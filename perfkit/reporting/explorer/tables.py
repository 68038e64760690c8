"""The explorer's tables and chart: sorting and paging in the kernel, one page of escaped HTML per
change (a click on a row opens its project), the bar chart, the bundled font, and :class:`Pager`."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from perfkit.io.values import format_wan, plain_text
from perfkit.reporting.explorer.state import PAGE_SIZE


def cell_text(v: object) -> str:
    return "" if v is None or pd.isna(v) else str(v)


def cell_number(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.2f}".rstrip("0").rstrip(".")


def cell_percent(v: object) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.1%}"


FORMATS: dict[str, Callable[[object], str]] = {
    "budget": format_wan, "exec_progress": cell_percent, "total": cell_number, "mean_total": cell_number,
    "weight": cell_number, "score": cell_number, "unit_score": cell_number, "prev_total": cell_number,
    "warning": lambda v: "" if v is None or pd.isna(v) else ("是" if v else "否"),
    "restated": lambda v: "是" if isinstance(v, bool | np.bool_) and v else "",
    "n_restated": lambda v: "" if v is None or pd.isna(v) else str(int(v)),
}


def sort_frame(frame: pd.DataFrame, sort: str | None, ascending: bool = True) -> pd.DataFrame:
    """``frame`` sorted on the raw values of ``sort`` (text as text, blanks last); unchanged without one."""
    if sort not in frame.columns:
        return frame
    key = frame[sort]
    if isinstance(key.dtype, pd.CategoricalDtype) or key.dtype == object:
        key = key.astype("string")
    return frame.assign(_key=key).sort_values("_key", ascending=ascending, kind="stable",
                                              na_position="last").drop(columns="_key")


def page_of(frame: pd.DataFrame, sort: str | None = None, ascending: bool = True, page: int = 0,
            size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int, int]:
    """One page of ``frame`` sorted on its raw values (blanks last); returns (rows, page, pages).

    Sorting the raw column and formatting only the page's rows keeps an update's cost independent of
    the number of rows."""
    pages = max(1, -(-len(frame) // size))
    page = min(max(page, 0), pages - 1)
    frame = sort_frame(frame, sort, ascending)
    return frame.iloc[page * size:(page + 1) * size], page, pages


# a click on a row of the 项目 table opens that project in 「项目指标（说明）」: the row's code goes into a
# hidden text box (class pk-open) whose value the kernel observes — an HTML widget sends no events itself
ROW_CLICK = ("var r=event.target.closest('tr[data-pid]');if(!r)return;"
             "var i=this.closest('.perfkit-explorer').querySelector('.pk-open input');if(!i)return;"
             "i.value=r.getAttribute('data-pid')+'|'+Date.now();i.dispatchEvent(new Event('input',{bubbles:true}));")
# (the time makes every click a new value: the same row clicked twice opens it twice)


def html_table(frame: pd.DataFrame, columns: dict[str, str] | None = None, page: int = 0, pages: int = 1,
               total: int | None = None, row_ids: Iterable[str] | None = None) -> str:
    """An escaped HTML table (data may contain markup): 万元, %, 是/否 — never raw fractions or floats.

    With ``row_ids`` each row carries its project code and a click on it opens the project.
    Built by hand: pandas' to_html takes ~25 ms for 50 rows, this ~1 ms, and an update's budget is 50 ms."""
    shown = plain_text(frame)
    cells = []
    for c in shown.columns:
        show = FORMATS.get(c, cell_text)
        cells.append([html.escape(show(v)) for v in shown[c].tolist()])
    head = "".join(f"<th>{html.escape(str((columns or {}).get(c, c)))}</th>" for c in shown.columns)
    if row_ids is None:
        starts = ["<tr>"] * len(shown)
        table = "<table class='dataframe'>"
    else:
        starts = [f"<tr data-pid=\"{html.escape(str(i), quote=True)}\" title='单击查看该项目的指标与说明'>" for i in row_ids]
        table = f"<table class='dataframe pk-rows' onclick=\"{ROW_CLICK}\">"
    body = "".join(start + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                   for start, row in zip(starts, zip(*cells, strict=True), strict=True)) if cells else ""
    total = len(frame) if total is None else total
    where = f"，第 {page + 1} / {pages} 页" if pages > 1 else ""
    return (f"<p>共 {total} 行{where}</p>{table}<thead><tr>{head}</tr></thead>"
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
    """A <style> giving every part of the explorer — and the notebook's own headings and text around
    it — the bundled CJK font (a subset for ``text``), so a machine without CJK system fonts shows
    Chinese, not boxes, in widgets, tables, tab labels and headings."""
    from perfkit.reporting.fonts import FAMILY, font_face_css

    return (f"<style>{font_face_css(text)} .perfkit-explorer, .perfkit-explorer *, .jp-RenderedMarkdown, "
            ".jp-RenderedMarkdown *, .jp-RenderedHTMLCommon h1, .jp-RenderedHTMLCommon h2 "
            f"{{ font-family: '{FAMILY}', var(--jp-ui-font-family), sans-serif !important; }}"
            " .perfkit-explorer th { white-space: nowrap; } .perfkit-explorer .pk-rows tbody tr { cursor: pointer; }"
            " .perfkit-explorer .pk-rows tbody tr:hover { background: #f3e6e4; }</style>")


class Pager:
    """A sortable, paged table widget: all rows reachable, one page of HTML sent per change."""

    def __init__(self, columns: dict[str, str], sort: str | None, ascending: bool, clickable: bool = False):
        import ipywidgets as W

        self.columns = columns
        self.clickable = clickable
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

    def set_columns(self, columns: dict[str, str]) -> None:
        """Other columns (last year's in or out); the sort is kept when its column stays."""
        self.columns = columns
        keep = self.sort.value if self.sort.value in columns else None
        self.sort.options = [(v, k) for k, v in columns.items()]
        self.sort.value = keep if keep is not None else next(iter(columns))

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
        ids = rows["project_id"].astype(str).tolist() if self.clickable and "project_id" in rows else None
        self.html.value = html_table(rows[shown], self.columns, self.page, pages, len(self.frame), ids)
        self.prev.disabled, self.next.disabled = self.page == 0, self.page >= pages - 1

