"""Showing results in a notebook: headings, sentences, tables and charts as static HTML/PNG outputs.

Everything shown is escaped HTML (data may contain ``<script>``); money is shown in 万元 from exact 分
totals; charts use the pip-installed CJK font. Outputs are static so the exported HTML/PDF needs no
widgets and no network.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from perfkit.io.values import FEN_PER_WAN, format_wan
from perfkit.reporting.fonts import set_theme

_NUMBER_CELL = re.compile(r"<td>([-+]?[\d,]*\.?\d+%?)</td>")  # numbers align right, text left
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("perfkit.reporting", "templates"), autoescape=True)
ANNUAL = "annual.html.j2"
DATA = "data.html.j2"


def _show(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


_COUNTERS = {"表": 0, "图": 0}
_NUMBERED = re.compile(r"^(表|图)\s*\d*\s+")


def numbered(caption: str) -> str:
    """“表3 …”/“图 …” numbered in the order they appear in the report (a table or chart that a dataset
    does not produce leaves no gap); numbering restarts with each report's title."""
    m = _NUMBERED.match(caption)
    if not m:
        return caption
    _COUNTERS[m.group(1)] += 1
    return f"{m.group(1)}{_COUNTERS[m.group(1)]} {caption[m.end():]}"


def heading(text: str, level: int = 2) -> None:
    """A heading; a title (level 1) may give its line breaks as "\n", placed between words so the
    title never breaks inside a word (GB/T 9704: "…工作情 / 况报告" is wrong)."""
    if level == 1:
        _COUNTERS.update(dict.fromkeys(_COUNTERS, 0))
    _show(f"<h{level}>" + "<br>".join(html.escape(line) for line in text.split("\n")) + f"</h{level}>")


def notebook_font(text: str = "") -> None:
    """The notebook's own headings, text and tables in the bundled CJK font (a subset of the
    characters of perfkit's notebooks and ``text``), so a machine without Chinese fonts shows them."""

    from perfkit import shipped_notebooks
    from perfkit.reporting.fonts import FAMILY, font_face_css

    shipped = shipped_notebooks()
    chars = text + "".join(p.read_text(encoding="utf-8") for p in sorted(shipped.glob("*.ipynb"))) \
        if shipped.is_dir() else text
    _show(f"<style>{font_face_css(''.join(set(chars + '优良中差待核实')))} .jp-RenderedMarkdown, "
          ".jp-RenderedMarkdown *, .jp-RenderedHTMLCommon, .jp-RenderedHTMLCommon * "
          f"{{ font-family: '{FAMILY}', var(--jp-content-font-family), sans-serif !important; }}</style>")


def paragraph(text: str) -> None:
    _show(f"<p>{html.escape(text)}</p>")


CN_NUMERALS = "一二三四五六七八九十"


def subheadings(titles: list[str]) -> list[str]:
    """"（一）…", "（二）…" for the level-2 headings a report actually shows, so a section a dataset does
    not produce leaves no gap in the numbering."""
    return [f"（{CN_NUMERALS[i]}）{t}" for i, t in enumerate(titles)]


def runin_markup(title: str, markup: str) -> str:
    """A level-2 heading run into its paragraph (GB/T 9704 practice): "（一）压实工作责任。通过…".

    ``markup`` is a paragraph (``<p>…</p>``, e.g. a rendered sentence) or plain text (escaped here); the
    heading ends with 。 and is set in its own face (class ``runin``: 楷体 in Word)."""
    head = f'<span class="runin">{html.escape(title.rstrip("。"))}。</span>'
    m = re.match(r"\s*<p( [^>]*)?>", markup)
    if m:
        return markup[:m.end()] + head + markup[m.end():]
    return f"<p>{head}{html.escape(markup)}</p>"


def runin(title: str, markup: str) -> None:
    _show(runin_markup(title, markup))


def attachments(titles: list[str]) -> None:
    """附件说明 after the body (GB/T 9704): "附件：1. …", further attachments aligned under the first."""
    if not titles:
        return
    items = titles if len(titles) == 1 else [f"{i}. {t}" for i, t in enumerate(titles, start=1)]
    lines = [f'<p class="attachment">附件：{html.escape(items[0])}</p>']
    lines += [f'<p class="attachment more">{html.escape(t)}</p>' for t in items[1:]]
    _show("".join(lines))


def signing_date(value: object = None, year: int | None = None) -> str:
    """成文日期, "2023年1月8日": full Arabic numerals, no padding (GB/T 9704).

    ``value`` is the date the bureau set (policy text ``date:``; a date or ISO text). Without one, the
    day of generation is used only while it can be the report's date — within the year after the year
    reported on; otherwise the line is left for the signer to fill in ("    年  月  日"), never a
    date that contradicts the report (a 2022 report dated 2026, letters with a 2023 deadline)."""
    if value:
        when = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    else:
        when = dt.date.today()
        if year is not None and when.year != int(year) + 1:
            return "　　　　年　　月　　日"
    return f"{when.year}年{when.month}月{when.day}日"


def signature(issuer: str, date: str) -> None:
    """落款 and 成文日期 at the end, right-aligned with the date under the issuing organ."""
    _show(f'<p class="signature first">{html.escape(issuer)}</p><p class="signature">{html.escape(date)}</p>')


def note(text: str) -> None:
    _show(f'<p class="noindent figure-caption note">{html.escape(text)}</p>')


def render_sentence(name: str, facts: dict[str, Any], template: str = ANNUAL) -> str:
    """A sentence from a template of ``templates/`` (a jinja2 macro), its figures escaped."""
    return str(getattr(_ENV.get_template(template).module, name)(facts))


def sentence(name: str, facts: dict[str, Any], template: str = ANNUAL) -> None:
    _show(render_sentence(name, facts, template))


def data_note(provenance: dict[str, Any]) -> None:
    """Under a report's title: how many rows failed validation and are in none of its figures (if any)."""
    if provenance["quarantined"]:
        sentence("quarantine_note", provenance, DATA)


def format_table(frame: pd.DataFrame, money: list[str] = (), percent: list[str] = (),
                 digits: dict[str, int] | None = None, total: bool = False,
                 rates: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Text for display: money (分) → 万元 with separators, rates → %, a 合计 row summed in 分.

    A rate's total is recomputed from the summed columns named in ``rates`` (执行率 = 全年执行数 ÷
    全年预算数 of the 合计 row), never summed or averaged."""
    digits = digits or {}
    out = frame.copy()
    sums = {c: out[c].sum() for c in out.columns if c in money or (pd.api.types.is_integer_dtype(out[c])
                                                                   and c not in percent)} if total else {}
    for c in out.columns:  # categoricals and nullable columns (Int64 …) cannot take the "" blank cells are shown as
        if isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype):
            out[c] = out[c].astype(object)
    if total:
        row = {c: sums.get(c, "") for c in out.columns}
        row[out.columns[0]] = "合计"
        for c in percent:
            num, den = (rates or {}).get(c, (None, None))
            row[c] = (float(sums[num]) / float(sums[den]) if num in sums and den in sums and float(sums[den])
                      else "")
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    for c in out.columns:
        if c in money:
            out[c] = out[c].map(lambda v: "" if _blank(v) else format_wan(v))
        elif c in percent:
            out[c] = out[c].map(lambda v: "" if _blank(v) or pd.isna(v) else f"{float(v):.1%}")
        elif c in digits:
            out[c] = out[c].map(lambda v, d=digits[c]: "" if _blank(v) or pd.isna(v) else f"{float(v):,.{d}f}")
    return out.astype(object).where(out.notna(), "")  # an Int64 NA (an unranked unit) cannot take ""


def _blank(v: object) -> bool:
    """The 合计 row's empty cells ("") — compared without touching pd.NA, whose truth value is ambiguous."""
    return isinstance(v, str) and v == ""


SHORT_TABLE_ROWS = 16  # layout, not policy: a table this short fits on one A4 page with its caption


def empty_sentence(caption: str | None) -> str:
    """What a table with no rows says instead: “第三方审核发现（按问题类型）：本年度无。”"""
    subject = _NUMBERED.sub("", caption or "").strip()
    subject = re.sub(r"（(?:金额单位|前\d+)[^）]*）", "", subject).strip() or "相关数据"
    return f"{subject}：本年度无。"


def table(frame: pd.DataFrame, money: list[str] = (), percent: list[str] = (), digits: dict[str, int] | None = None,
          total: bool = False, caption: str | None = None, rates: dict[str, tuple[str, str]] | None = None) -> None:
    if not len(frame):  # no table without rows: one sentence, and no table number spent on it
        _show(f'<p>{html.escape(empty_sentence(caption))}</p>')
        return
    # a 合计 under a single row repeats it: left out (a table of identical rows says nothing)
    shown = format_table(frame, money, percent, digits, total and len(frame) > 1, rates)
    # a short table is kept on one page with its caption (a lone row or two at the top of a page reads as a
    # new table); a long one keeps its caption with its first rows. The caption is a paragraph as wide as
    # the text, so it never wraps to the width of a narrow table
    short = len(shown) <= SHORT_TABLE_ROWS
    markup = shown.to_html(index=False, escape=True, classes="dataframe short" if short else "dataframe", border=0)
    cap = f'<p class="noindent figure-caption">{html.escape(numbered(caption))}</p>' if caption else ""
    box = "tablebox short" if short else "tablebox"
    markup = _NUMBER_CELL.sub(r'<td class="num">\1</td>', markup)
    _show(f'<div class="{box}">{cap}{markup}</div>')


def _figure(fig: Any) -> None:
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))


# Charts print on a black-and-white office printer: greys and hatching tell the series
# apart, one accent colour marks the exceptions (failing, warned, hardly spent) — never colour alone.
GREYS = ("#f2f2f2", "#c8c8c8", "#8c8c8c", "#4d4d4d")
ACCENT = "#b03a2e"
EDGE = "#222222"
FAIL_HATCH = "////"


def _thousands(v: float, _pos: object = None) -> str:
    return f"{v:,.0f}"


def _legend_below(ax: Any, handles: list | None = None, labels: list[str] | None = None, ncol: int = 4) -> Any:
    """The legend under the axes (below the x label), so it can never cover a bar or a line."""
    args = (handles, labels) if handles is not None else ()
    return ax.legend(*args, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=ncol, fontsize=8, frameon=False)


def figure_categories(by_cat: pd.DataFrame, projects: pd.DataFrame, light: dict[str, float]) -> Any:
    """Each 支出类别's budget split by its projects' execution rate (全年执行数 ÷ 全年预算数) into the
    execution-light bands of the rulebook (``monitoring.execution_light``: at the year's end the time
    progress is 100%, so the ratio is the rate itself). Table 1 gives each category's overall rate; this
    shows how much money sits in projects that hardly spent — which an average hides.

    Beside the whole budget (left), the money below the yellow line is drawn again on a scale of its
    own (right): against 46亿元 a band of 3,000万元 is a hairline, and the exception is what the chart
    is there to show. Its bars carry their project counts and amounts."""
    import matplotlib.pyplot as plt

    set_theme()
    cats = list(by_cat.index)
    p = projects.loc[projects["category"].astype(object).isin(cats)]
    budget = p["budget"].astype("Float64").fillna(0).astype(float)
    rate = p["spent"].astype("Float64").astype(float) / budget.where(budget > 0)
    red, yellow = float(light["red"]), float(light["yellow"])
    bands = [  # (label, mask, colour, hatch): the exception first, in the accent colour
        (f"执行率低于{red:.0%}", rate < red, ACCENT, FAIL_HATCH),
        (f"执行率{red:.0%}至{yellow:.0%}", (rate >= red) & (rate < yellow), GREYS[2], "...."),
        (f"执行率{yellow:.0%}及以上", rate >= yellow, GREYS[1], ""),
        ("无预算数或执行数", rate.isna(), GREYS[0], "xx"),
    ]
    cat = p["category"].astype(object)
    fig, (ax, low) = plt.subplots(1, 2, figsize=(7.5, 3.6), sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    for a in (ax, low):  # few ticks: the two panels' last and first labels must not run together
        a.xaxis.set_major_formatter(plt.FuncFormatter(_thousands))
        a.xaxis.set_major_locator(plt.MaxNLocator(4))
    left, low_left = np.zeros(len(cats)), np.zeros(len(cats))
    notes: list[tuple[int, float]] = []
    for k, (label, mask, colour, hatch) in enumerate(bands):
        chosen = mask.fillna(False).to_numpy(bool)
        by = budget[chosen].groupby(cat[chosen]).sum().reindex(cats, fill_value=0.0) / float(FEN_PER_WAN)
        n = (mask.fillna(False).astype(bool).groupby(cat).sum().reindex(cats, fill_value=0)).astype(int)
        if not n.sum() and label.startswith("无"):
            continue
        style = {"color": colour, "hatch": hatch, "edgecolor": EDGE, "linewidth": 0.5}
        ax.barh(cats, by.to_numpy(), left=left, label=f"{label}（{int(n.sum())}个项目）", **style)
        left += by.to_numpy()
        if k < 2:  # the two bands below the yellow line, again on their own scale
            low.barh(cats, by.to_numpy(), left=low_left, **style)
            if colour == ACCENT:
                notes = [(int(c), float(v)) for v, c in zip(by.to_numpy(), n.to_numpy(), strict=True)]
            low_left += by.to_numpy()
    for y, (c, v) in enumerate(notes):  # the exceptions carry their figures, after the bar
        if c:
            low.annotate(f"低于{red:.0%}：{c}个\n{v:,.2f}万元", (low_left[y], y), xytext=(3, 0),
                         textcoords="offset points", fontsize=7, color=ACCENT, va="center")
    ax.set_xlim(0, max(left.max(), 1.0) * 1.08)
    low.set_xlim(0, max(low_left.max(), 1.0) * 1.6)
    ax.invert_yaxis()
    ax.set_xlabel("全年预算数（万元）")
    low.set_xlabel(f"其中执行率低于{yellow:.0%}的（万元）")
    low.tick_params(axis="y", left=False)
    fig.suptitle(numbered("图 各支出类别预算按项目执行率分段"), fontsize=11)
    fig.subplots_adjust(wspace=0.12)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), bbox_transform=fig.transFigure, ncol=2,
              fontsize=8, frameon=False)
    return fig


def chart_categories(by_cat: pd.DataFrame, projects: pd.DataFrame | None = None,
                     light: dict[str, float] | None = None) -> bool:
    """图: each category's budget by its projects' execution rate (see :func:`figure_categories`).

    Without the projects and the rulebook's execution-light bands there is nothing a chart would add to
    Table 1 (which already gives each category's budget and rate), so nothing is drawn."""
    if not len(by_cat) or projects is None or light is None:
        return False
    _figure(figure_categories(by_cat, projects, light))
    return True


LIGHT_STYLE = {"绿": (GREYS[0], ""), "蓝": (GREYS[1], "...."), "黄": (GREYS[2], "\\\\\\\\"), "红": (ACCENT, FAIL_HATCH)}
OTHER_LIGHT = ("#ffffff", "xx")  # lights of the rulebook's own (未报送): white with crosses


def figure_lights(projects: pd.DataFrame) -> Any:
    """Projects by monitoring light and 监控分类; red and any light of the rulebook's own (未报送) carry
    their counts on the bar, the legend sits under the axes."""
    import matplotlib.pyplot as plt

    set_theme()
    order = list(LIGHT_STYLE)
    # lights of their own (未报送, from the rulebook) follow the four colours: never left out
    order += [str(c) for c in pd.Series(projects["light"]).astype("category").cat.categories if c not in order]
    t = pd.crosstab(projects["monitor_class"], projects["light"]).reindex(columns=order, fill_value=0)
    fig, ax = plt.subplots(figsize=(7.5, 2.9))
    left = np.zeros(len(t))
    labels = [str(i) for i in t.index]
    for light in order:
        colour, hatch = LIGHT_STYLE.get(light, OTHER_LIGHT)
        counts = t[light].to_numpy()
        ax.barh(labels, counts, left=left, color=colour, hatch=hatch, edgecolor=EDGE, linewidth=0.5,
                label=f"{light}灯" if light in LIGHT_STYLE else light)
        left += counts
    exceptions = [c for c in order if c not in ("绿", "蓝", "黄")]  # red and the rulebook's own (未报送)
    for y in range(len(t)):  # the exceptions' counts written after each bar, however thin their part
        text = "，".join(f"{c}{'灯' if c in LIGHT_STYLE else ''}{int(t.iloc[y][c])}个" for c in exceptions)
        ax.annotate(text, (left[y], y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=7.5,
                    color=ACCENT)
    ax.set_xlim(0, max(left.max(), 1) * 1.32)
    ax.invert_yaxis()
    ax.set_xlabel("项目数")
    ax.set_title(numbered("图 监控灯分布（按监控分类，项目取其最差的灯）"))
    _legend_below(ax, ncol=len(order))
    return fig


def chart_lights(projects: pd.DataFrame) -> bool:
    """Projects by monitoring light and 监控分类 (Table 3 counts only the red ones and the warnings);
    nothing is drawn when no project has both."""
    if not (projects["monitor_class"].notna() & projects["light"].notna()).any():
        return False
    _figure(figure_lights(projects))
    return True


def figure_scores(projects: pd.DataFrame, bands: dict[str, float], below: str | None = None,
                  full_marks: float | None = None) -> Any:
    """Distribution of the recomputed totals (复核分), bars shaded by grade band; the projects under the
    lowest band are drawn in the accent colour with their count over each bar and once more one by one in
    a strip under the histogram — a handful of failing projects beside a thousand good ones would
    otherwise be bars one pixel high. The units' own totals (单位自评分) are drawn as an outline. With
    ``full_marks`` (rulebook ``evaluation.total_points``) the axis ends there: a unit's own total above it
    is counted in the legend, not drawn as if a score could pass the full marks."""
    import matplotlib.pyplot as plt

    set_theme()
    totals = projects["total"].astype(float).dropna()
    own = projects["unit_total"].astype(float).dropna() if "unit_total" in projects else pd.Series(dtype=float)
    over_full = 0
    if full_marks is not None:
        over_full = int((own > full_marks).sum())
        own = own[own <= full_marks]
        totals = totals[totals <= full_marks]
    edges = sorted(bands.items(), key=lambda kv: kv[1])  # lowest band first
    lowest = float(edges[0][1])
    step = 2.5
    seen = pd.concat([totals, own])
    low = max(0.0, np.floor((min(seen.min(), lowest) - 5) / 5) * 5) if len(seen) else 0.0
    if full_marks is not None:  # the last bin closes at the full marks: 100 is in [97.5, 100]
        bins = np.arange(low, float(full_marks) + 1e-9, step)
    else:
        high = max(100.0, float(np.ceil(seen.max() / step) * step)) if len(seen) else 100.0
        bins = np.arange(low, high + step + 1e-9, step)
    fig, (ax, strip) = plt.subplots(2, 1, figsize=(7.5, 3.9), sharex=True, height_ratios=[4, 1])
    groups = [(f"{below}（低于{lowest:g}分）" if below else f"低于{lowest:g}分", totals < lowest, ACCENT, FAIL_HATCH)]
    shades = list(GREYS[:3])[::-1]  # darker for the lower bands
    for i, (grade, lo) in enumerate(edges):
        hi = edges[i + 1][1] if i + 1 < len(edges) else np.inf
        groups.append((f"{grade}（{lo:g}分及以上）" if hi == np.inf else f"{grade}（{lo:g}–{hi:g}分）",
                       (totals >= lo) & (totals < hi), shades[min(i, len(shades) - 1)], ""))
    bottom = np.zeros(len(bins) - 1)
    width = np.diff(bins)
    for label, mask, colour, hatch in groups:
        counts, _ = np.histogram(totals[mask], bins=bins)
        ax.bar(bins[:-1], counts, width=width, bottom=bottom, align="edge", color=colour, hatch=hatch,
               edgecolor=EDGE, linewidth=0.4, label=f"{label}：{int(mask.sum())}个")
        bottom += counts
    top = max(bottom.max(), 1)
    if len(own):
        counts, _ = np.histogram(own, bins=bins)
        top = max(top, counts.max())
        ax.stairs(counts, bins, color=EDGE, linewidth=1.0, linestyle="--",
                  label=f"单位自评分分布（低于{lowest:g}分：{int((own < lowest).sum())}个"
                        + (f"；超过满分{over_full}个，不在图中" if over_full else "") + "）")
    failing_counts, _ = np.histogram(totals[totals < lowest], bins=bins)
    for x, k, f in zip(bins[:-1] + width / 2, bottom, failing_counts, strict=True):
        if f or 0 < k < top * 0.03:  # bars too low to see carry their count; the failing ones in the accent
            ax.annotate(str(int(k)), (x, k), xytext=(0, 2), textcoords="offset points", ha="center",
                        fontsize=7, color=ACCENT if f else EDGE)
    ax.set_ylim(0, top * 1.12)
    for grade, lo in edges:
        ax.axvline(lo, color=EDGE, ls=":", lw=0.8)
        ax.annotate(f"{grade}≥{lo:g}", (lo, top * 1.12), xytext=(2, -10), textcoords="offset points", fontsize=7)
    ax.set_ylabel("项目数")
    ax.set_title(numbered("图 项目复核分分布（与单位自评分对照）"))
    # the strip: every project under the lowest band, one mark each, at its recomputed total
    failing = totals[totals < lowest].sort_values()
    jitter = (np.arange(len(failing)) % 3 - 1) * 0.25
    strip.scatter(failing.to_numpy(), jitter, marker="o", s=14, color=ACCENT, edgecolor=EDGE, linewidth=0.4,
                  label=f"复核分低于{lowest:g}分的项目（逐个）")
    strip.axvline(lowest, color=EDGE, ls=":", lw=0.8)
    strip.set_ylim(-0.8, 0.8)
    strip.set_yticks([])
    strip.set_ylabel(f"低于{lowest:g}分", rotation=0, ha="right", va="center", fontsize=8)
    strip.set_xlim(bins[0], bins[-1])
    strip.set_xlabel("复核分（待核实项目未评分，不在图中）")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = strip.get_legend_handles_labels()
    strip.legend(handles + h2, labels + l2, loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=2, fontsize=8,
                 frameon=False)
    return fig


def chart_scores(projects: pd.DataFrame, bands: dict[str, float], below: str | None = None,
                 full_marks: float | None = None) -> bool:
    """Distribution of recomputed totals with the grade bands and the failing projects made visible;
    ``below`` names the grade under the lowest band (rulebook ``evaluation.grade_below``). Nothing is
    drawn when no project has a recomputed total (all 待核实: the sentences and tables say so)."""
    if not projects["total"].notna().any():
        return False
    _figure(figure_scores(projects, bands, below, full_marks))
    return True


def figure_sweep(deviation: pd.Series, warned_anyway: pd.Series, threshold: float, span: list[float]) -> Any:
    """Where projects lie against the deviation threshold: a histogram of each project's deviation between
    execution progress and target completion (百分点), the projects over the rulebook's threshold in the
    accent colour, those warned whatever the threshold (red execution light, 完全不可能, 未报送) hatched, the
    threshold itself and the range the sensitivity table tries marked. The table gives the counts at each
    threshold; the chart shows how many projects sit just either side of it.

    Bars far taller than the region around the threshold are cut at the top and carry their count, so the
    few projects near the line stay visible."""
    import matplotlib.pyplot as plt

    set_theme()
    dev = deviation.astype(float)
    anyway = warned_anyway.fillna(False).astype(bool).to_numpy()
    known = dev.notna().to_numpy()
    step = 2.0
    high = max(float(np.ceil(np.nanmax(dev.to_numpy()) / step) * step) if known.any() else 0.0,
               float(max(span)) + step, float(threshold) + step)
    bins = np.arange(0.0, high + step + 1e-9, step)
    x = dev.to_numpy()
    groups = [
        (f"因其他原因已预警（红灯、完全不可能、未报送），与阈值无关：{int((known & anyway).sum())}个", known & anyway,
         GREYS[3], "xx"),
        (f"偏差超过现行阈值而预警：{int((known & ~anyway & (x > threshold)).sum())}个",
         known & ~anyway & (x > threshold), ACCENT, FAIL_HATCH),
        (f"未预警：{int((known & ~anyway & ~(x > threshold)).sum())}个", known & ~anyway & ~(x > threshold),
         GREYS[1], ""),
    ]
    fig, ax = plt.subplots(figsize=(7.5, 3.3))
    bottom = np.zeros(len(bins) - 1)
    for label, mask, colour, hatch in groups:
        counts, _ = np.histogram(x[mask], bins=bins)
        ax.bar(bins[:-1], counts, width=step, bottom=bottom, align="edge", color=colour, hatch=hatch,
               edgecolor=EDGE, linewidth=0.4, label=label)
        bottom += counts
    near = bottom[bins[:-1] >= min(span)]
    cap = max(float(near.max()) * 1.6 if len(near) else 0.0, 5.0)
    ax.set_ylim(0, cap)
    for left_edge, k in zip(bins[:-1], bottom, strict=True):
        if k > cap:  # cut at the top: the true height written on it
            ax.annotate(f"{int(k)}↑", (left_edge + step / 2, cap), xytext=(0, -3), textcoords="offset points",
                        ha="center", va="top", rotation=90, fontsize=6.5, color=EDGE,
                        bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"})
    ax.axvspan(min(span), max(span), color=GREYS[0], zorder=0,
               label=f"敏感性测算区间（{min(span):g}–{max(span):g}个百分点）")
    ax.axvline(threshold, color=ACCENT, lw=1.4, label=f"现行预警阈值：偏差超过{threshold:g}个百分点")
    ax.set_xlim(bins[0], bins[-1])
    ax.set_ylabel("项目数")
    ax.set_xlabel("执行进度与绩效目标完成率的偏差（百分点）")
    ax.set_title(numbered("图 项目偏差分布与预警阈值"))
    handles, labels = ax.get_legend_handles_labels()
    missing = int((~known).sum())
    if missing:  # counted, never silently left out
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="none", edgecolor="none"))
        gone = ~known
        warned_gone = int((gone & anyway).sum())
        labels.append(f"无可比较的完成率（不在图中）：{missing}个"
                      + (f"，其中已预警（多为未报送）{warned_gone}个" if warned_gone else ""))
    _legend_below(ax, handles, labels, ncol=1)
    return fig


def chart_sweep(deviation: pd.Series, warned_anyway: pd.Series, threshold: float, span: list[float]) -> bool:
    """Projects' deviations against the warning threshold (see :func:`figure_sweep`); nothing is drawn
    when no project has a deviation to place (the table still gives the counts)."""
    if not deviation.notna().any():
        return False
    _figure(figure_sweep(deviation, warned_anyway, threshold, span))
    return True
