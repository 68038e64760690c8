"""Showing results in a notebook: headings, sentences, tables and charts as static HTML/PNG outputs.

Everything shown is escaped HTML (data may contain ``<script>``); money is shown in 万元 from exact 分
totals; charts use the pip-installed CJK font. Outputs are static so the exported HTML/PDF needs no
widgets and no network.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from perfkit.io.values import format_wan
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


def table(frame: pd.DataFrame, money: list[str] = (), percent: list[str] = (), digits: dict[str, int] | None = None,
          total: bool = False, caption: str | None = None, rates: dict[str, tuple[str, str]] | None = None) -> None:
    shown = format_table(frame, money, percent, digits, total, rates)
    # a short table is kept on one page (a lone row or two at the top of a page reads as a new table)
    classes = "dataframe short" if len(shown) <= SHORT_TABLE_ROWS else "dataframe"
    markup = shown.to_html(index=False, escape=True, classes=classes, border=0)
    if caption:  # the caption inside the table, so a page break never parts them
        markup = re.sub(r"(<table[^>]*>)", lambda m: m.group(1) + f'<caption class="figure-caption">'
                        f"{html.escape(numbered(caption))}</caption>", markup, count=1)
    _show(_NUMBER_CELL.sub(r'<td class="num">\1</td>', markup))


def _figure(fig: Any) -> None:
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))


def chart_categories(by_cat: pd.DataFrame) -> None:
    """Budget by 支出类别 with the execution rate."""
    import matplotlib.pyplot as plt

    if not len(by_cat):  # no project carries a 支出类别: the table above says so, nothing to draw
        return
    set_theme()
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    budget = by_cat["全年预算数"].astype(float).fillna(0) / 1e6
    ax.barh(by_cat.index, budget, color="#b03a2e")
    for y, (b, r) in enumerate(zip(budget, by_cat["执行率"], strict=True)):
        ax.text(b, y, f"  {b:,.0f} 万元（执行率 {r:.1%}）", va="center", fontsize=8)
    ax.set_xlabel("全年预算数（万元）")
    ax.invert_yaxis()
    ax.set_xlim(0, max(budget.max(), 1.0) * 1.45)
    ax.set_title(numbered("图1 四类支出预算规模与执行率"))
    _figure(fig)


def chart_lights(projects: pd.DataFrame) -> None:
    """Projects by monitoring light and 监控分类."""
    import matplotlib.pyplot as plt

    set_theme()
    order = ["绿", "蓝", "黄", "红"]
    colors = {"绿": "#3c8d40", "蓝": "#2f6db5", "黄": "#e0a800", "红": "#c0392b"}
    # lights of their own (未报送, from the rulebook) follow the four colours, in grey: never left out
    order += [str(c) for c in pd.Series(projects["light"]).astype("category").cat.categories if c not in order]
    t = pd.crosstab(projects["monitor_class"], projects["light"]).reindex(columns=order, fill_value=0)
    fig, ax = plt.subplots(figsize=(7.5, 2.6))
    left = np.zeros(len(t))
    for light in order:
        ax.barh(t.index, t[light], left=left, color=colors.get(light, "#9e9e9e"),
                label=f"{light}灯" if light in colors else light)
        left += t[light].to_numpy()
    ax.legend(ncol=4, fontsize=8, loc="lower right")
    ax.set_xlabel("项目数")
    ax.set_title(numbered("图2 监控灯分布（按监控分类，项目取其最差的灯）"))
    _figure(fig)


def chart_scores(projects: pd.DataFrame, bands: dict[str, float]) -> None:
    """Distribution of recomputed self-evaluation totals with the grade bands."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    set_theme()
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    totals = projects["total"].dropna()
    low = max(0.0, np.floor((min(totals.min(), min(bands.values())) - 5) / 5) * 5) if len(totals) else 0.0
    sns.histplot(totals, bins=np.arange(low, 101, 2.5), ax=ax, color="#b03a2e")
    ax.set_xlim(low, 101)
    for g, lo in bands.items():
        ax.axvline(lo, color="#555", ls="--", lw=0.8)
        ax.text(lo, ax.get_ylim()[1] * 0.92, f" {g}≥{lo:g}", fontsize=8)
    ax.set_xlabel("复核总分")
    ax.set_ylabel("项目数")
    ax.set_title(numbered("图3 项目自评复核得分分布"))
    _figure(fig)


def chart_sweep(sweep: pd.DataFrame) -> None:
    """Warned projects and their amount as the deviation threshold moves."""
    import matplotlib.pyplot as plt

    set_theme()
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    ax.plot(sweep["threshold"], sweep["warned"], marker="o", color="#b03a2e")
    ax.set_xlabel("偏差阈值（百分点）")
    ax.set_ylabel("预警项目数")
    ax2 = ax.twinx()
    ax2.plot(sweep["threshold"], sweep["warned_budget"].astype(float) / 1e6, marker="s", color="#2f6db5")
    ax2.set_ylabel("预警金额（万元）")
    ax2.grid(False)
    ax.set_title(numbered("图 预警项目数与金额随偏差阈值变化"))
    _figure(fig)
