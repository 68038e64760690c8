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

The package, by what each part holds (imports run one way: state → tables → export → model → ui):

- :mod:`.state`: the filters, the columns and words on screen, the input's validated snapshot;
- :mod:`.tables`: sorting, paging, the escaped HTML tables and chart, the font;
- :mod:`.export`: the view as .xlsx and its download link;
- :mod:`.model`: :class:`Explorer`, the cached analyses, the view, last year beside this year;
- :mod:`.ui`: :class:`ExplorerUI` and :func:`open_explorer`, the widgets.
"""

from perfkit.reporting.explorer.export import export_view, files_url
from perfkit.reporting.explorer.model import Explorer
from perfkit.reporting.explorer.state import (
    ALL,
    COMPARE_COLUMNS,
    FILTER_COLUMNS,
    FILTER_LABELS,
    INDICATOR_COLUMNS,
    INTERNAL_MARK,
    KEEP_SNAPSHOTS,
    NO,
    PAGE_SIZE,
    PROJECT_LIST_LIMIT,
    SEARCHED,
    THRESHOLD_RANGE,
    UNIT_COLUMNS,
    VIEW_COLUMNS,
    YES,
    Filters,
    cache_root,
    cached_load,
    profile_title,
)
from perfkit.reporting.explorer.tables import (
    FORMATS,
    Pager,
    font_style,
    html_bars,
    html_table,
    page_of,
    sort_frame,
)
from perfkit.reporting.explorer.ui import MULTI, ExplorerUI, open_explorer

__all__ = ["ALL", "COMPARE_COLUMNS", "FILTER_COLUMNS", "FILTER_LABELS", "FORMATS", "INDICATOR_COLUMNS",
           "INTERNAL_MARK", "KEEP_SNAPSHOTS", "MULTI", "NO", "PAGE_SIZE", "PROJECT_LIST_LIMIT", "SEARCHED",
           "THRESHOLD_RANGE", "UNIT_COLUMNS", "VIEW_COLUMNS", "YES", "Explorer", "ExplorerUI", "Filters", "Pager",
           "cache_root", "cached_load", "export_view", "files_url", "font_style", "html_bars", "html_table",
           "open_explorer", "page_of", "profile_title", "sort_frame"]
