"""Report charts: numbered and titled, legends that never cover the data, the exceptions (failing,
warned, hardly spent projects) drawn so they can be seen, every line drawn from the rulebook, and
greys plus one accent colour so they print in black and white."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from perfkit.reporting import display as D  # noqa: E402
from perfkit.rules.rulebook import load_rules  # noqa: E402

RULES = load_rules("mof2020", 2022)
BANDS = RULES["evaluation.grade_bands"]
LOWEST = min(BANDS.values())


def _scores(n_good: int = 1500, failing: tuple[float, ...] = (41.0, 43.5, 55.2)) -> pd.DataFrame:
    """Many good totals and a handful below the lowest band: the failing ones would be invisible bars."""
    rng = np.random.default_rng(1)
    good = np.clip(rng.normal(97, 2, n_good), LOWEST + 1, 100)
    totals = np.concatenate([good, failing, [np.nan]])  # one 待核实 project has no total
    return pd.DataFrame({"total": totals, "unit_total": np.clip(totals + 1, 0, 100)})


def _lights() -> pd.DataFrame:
    rows = [("一般项目", "绿")] * 400 + [("一般项目", "红")] * 3 + [("一般项目", "未报送")] * 1 + \
           [("转移支付项目", "黄")] * 200 + [("转移支付项目", "蓝")] * 50 + [("转移支付项目", "红")] * 2
    return pd.DataFrame(rows, columns=["monitor_class", "light"])


def _categories() -> tuple[pd.DataFrame, pd.DataFrame]:
    p = pd.DataFrame({
        "category": ["部门项目支出"] * 4 + ["部门整体支出"] * 2,
        "budget": [100_000_000, 50_000_000, 2_000_000, 3_000_000, 80_000_000, 1_000_000],  # 分
        "spent": [95_000_000, 45_000_000, 1_000_000, 2_100_000, 80_000_000, 100_000],
    })
    by_cat = p.groupby("category").agg(全年预算数=("budget", "sum")).reindex(["部门整体支出", "部门项目支出"])
    return by_cat, p


def _sweep() -> tuple[pd.Series, pd.Series]:
    dev = pd.Series([1.0] * 600 + [5.0] * 300 + [19.0, 21.0, 23.0, 29.0, 45.0, 47.0] + [np.nan] * 4)
    anyway = pd.Series([False] * 900 + [False, False, False, False, True, True] + [True, True, False, False])
    return dev, anyway


def _figures() -> dict[str, plt.Figure]:
    by_cat, p = _categories()
    dev, anyway = _sweep()
    D.heading("报告", 1)  # restarts the numbering, as each report's title does
    return {
        "categories": D.figure_categories(by_cat, p, RULES["monitoring.execution_light"]),
        "lights": D.figure_lights(_lights()),
        "scores": D.figure_scores(_scores(), BANDS, RULES["evaluation.grade_below"]),
        "sweep": D.figure_sweep(dev, anyway, float(RULES["monitoring.warning_deviation"]), [10.0, 30.0]),
    }


@pytest.fixture(scope="module")
def figures() -> dict[str, plt.Figure]:
    figs = _figures()
    for f in figs.values():
        f.canvas.draw()
    yield figs
    for f in figs.values():
        plt.close(f)


def _legend_and_data_axes(fig: plt.Figure) -> tuple[object, list]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert len(legends) == 1, "one legend per chart"
    return legends[0], fig.axes


def test_charts_are_numbered_in_order_and_titled(figures) -> None:
    titles = [f.get_suptitle() or f.axes[0].get_title() for f in figures.values()]
    assert [t.split(" ")[0] for t in titles] == ["图1", "图2", "图3", "图4"]
    assert all(len(t.split(" ", 1)[1]) >= 6 for t in titles)


@pytest.mark.parametrize("name", ["categories", "lights", "scores", "sweep"])
def test_legend_never_covers_the_data(figures, name: str) -> None:
    fig = figures[name]
    legend, axes = _legend_and_data_axes(fig)
    renderer = fig.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    for ax in axes:
        assert not box.overlaps(ax.get_window_extent(renderer)), f"{name}: the legend overlaps an axes"
    assert len(legend.get_texts()) >= 2  # several series, each named


@pytest.mark.parametrize("name", ["categories", "lights", "scores", "sweep"])
def test_colours_print_in_black_and_white(figures, name: str) -> None:
    """Every filled bar is a grey (or white) except the exceptions, in the one accent colour — and those
    are hatched too, so they stay apart from the greys on a black-and-white printer."""
    accent = mcolors.to_rgba(D.ACCENT)
    for ax in figures[name].axes:
        for patch in ax.patches:
            r, g, b, a = patch.get_facecolor()
            if a == 0:
                continue
            if np.allclose((r, g, b, a), accent):
                assert patch.get_hatch(), f"{name}: an accent bar without hatching"
            else:
                assert max(r, g, b) - min(r, g, b) < 0.02, f"{name}: a colour that is neither grey nor the accent"


def test_failing_projects_are_visible(figures) -> None:
    fig = figures["scores"]
    hist, strip = fig.axes[0], fig.axes[1]
    accent = mcolors.to_rgba(D.ACCENT)
    failing = [p for p in hist.patches if np.allclose(p.get_facecolor(), accent) and p.get_height() > 0]
    assert sum(p.get_height() for p in failing) == 3 and all(p.get_x() < LOWEST for p in failing)
    # each failing bar carries its count, in the accent colour, over a bar otherwise a pixel high
    counts = [t for t in hist.texts if np.allclose(mcolors.to_rgba(t.get_color()), accent)]
    assert sorted(int(t.get_text()) for t in counts) == [1, 1, 1]
    # and the strip draws every failing project one by one, at its score
    xs = sorted(strip.collections[0].get_offsets()[:, 0])
    assert xs == pytest.approx([41.0, 43.5, 55.2])
    legend = " ".join(t.get_text() for t in strip.get_legend().get_texts())
    assert "差（低于60分）：3个" in legend and "单位自评分" in legend


def test_score_band_lines_are_the_rulebooks(figures) -> None:
    hist = figures["scores"].axes[0]
    xs = sorted({float(line.get_xdata()[0]) for line in hist.lines})
    assert xs == sorted(float(v) for v in BANDS.values())
    labels = {t.get_text() for t in hist.texts}
    assert all(f"{g}≥{v:g}" in labels for g, v in BANDS.items())


def test_sweep_lines_come_from_the_rulebook_and_are_labelled(figures) -> None:
    ax = figures["sweep"].axes[0]
    threshold = float(RULES["monitoring.warning_deviation"])
    vertical = [line for line in ax.lines if len(set(line.get_xdata())) == 1]
    assert [float(line.get_xdata()[0]) for line in vertical] == [threshold]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(f"现行预警阈值：偏差超过{threshold:g}个百分点" == t for t in legend)
    assert any("10–30" in t for t in legend)  # the span the sensitivity table tries
    # the accent bars hold exactly the projects warned by their deviation alone (21, 23 and 29 > 20)
    accent = mcolors.to_rgba(D.ACCENT)
    assert sum(p.get_height() for p in ax.patches if np.allclose(p.get_facecolor(), accent)) == 3
    assert any("偏差超过现行阈值而预警：3个" == t for t in legend)
    assert any(t.startswith("无可比较的完成率（不在图中）：4个") for t in legend)  # counted, never silently dropped
    # bars cut at the top carry their true height
    cut = {t.get_text() for t in ax.texts}
    assert {"600↑", "300↑"} <= cut


def test_execution_bands_come_from_the_rulebook(figures) -> None:
    ax, low = figures["categories"].axes[:2]
    light = RULES["monitoring.execution_light"]
    accent = mcolors.to_rgba(D.ACCENT)
    below = [p for p in ax.patches if np.allclose(p.get_facecolor(), accent)]
    # below the rulebook's red line: 部门整体支出's 1万元 project that spent 10%, 部门项目支出's 2万元 one
    # that spent 50% (the 3万元 one at 70% is between red and yellow) — bar widths in 万元
    assert sorted(round(p.get_width(), 6) for p in below) == [1.0, 2.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"执行率低于{light['red']:.0%}（2个项目）"
    assert {t.get_text() for t in low.texts} == {f"低于{light['red']:.0%}：1个\n1.00万元", f"低于{light['red']:.0%}：1个\n2.00万元"}


def test_low_execution_band_is_visible_on_a_scale_of_its_own(figures) -> None:
    """Against the whole budget (2.36亿元 here) the 3万元 below the red line is a hairline; the panel
    beside it draws only the money below the yellow line, where the same bars fill a visible share."""
    fig = figures["categories"]
    ax, low = fig.axes[:2]
    accent = mcolors.to_rgba(D.ACCENT)
    renderer = fig.canvas.get_renderer()

    def widest(a) -> float:
        bars = [p for p in a.patches if np.allclose(p.get_facecolor(), accent)]
        return max(p.get_window_extent(renderer).width for p in bars) / a.get_window_extent(renderer).width

    assert widest(ax) < 0.02  # a hairline where the whole budget is drawn
    assert widest(low) > 0.2  # and a bar in the panel of the low bands
    # the low panel holds the red and the red-to-yellow bands only: 1 + 2 + 3 万元 in all
    assert round(sum(p.get_width() for p in low.patches), 6) == 6.0
    assert low.get_xlabel() == f"其中执行率低于{RULES['monitoring.execution_light']['yellow']:.0%}的（万元）"


def test_lights_chart_writes_the_exception_counts(figures) -> None:
    ax = figures["lights"].axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["红灯3个，未报送1个", "红灯2个，未报送0个"]


def test_categories_chart_is_left_out_without_projects() -> None:
    """Without the projects there is nothing to add to the table: nothing is drawn (no duplicate)."""
    by_cat, _ = _categories()
    before = plt.get_fignums()
    D.chart_categories(by_cat)
    assert plt.get_fignums() == before


def test_sweep_chart_agrees_with_the_sensitivity_table(demo_analysis) -> None:
    """On the demo: the projects the chart shows as warned (whatever the threshold, or by their deviation)
    plus the warned ones it cannot place are the table's count at the rulebook's threshold."""
    from perfkit.analyses.application import warning_flags_at, warning_sweep

    a = demo_analysis
    threshold = float(a.rules["monitoring.warning_deviation"])
    p = a.monitoring.projects
    anyway = warning_flags_at(a.monitoring, float("inf"), a.rules)
    fig = D.figure_sweep(p["deviation_pp"], anyway, threshold, [10.0, 30.0])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)

    def count(prefix: str) -> int:
        return int(next(t for t in legend if t.startswith(prefix)).rsplit("：", 1)[1].rstrip("个"))

    unplaced = int((p["deviation_pp"].isna() & warning_flags_at(a.monitoring, threshold, a.rules)).sum())
    expected = int(warning_sweep(a.monitoring, a.rules, [threshold])["warned"].iloc[0])
    assert count("因其他原因已预警") + count("偏差超过现行阈值而预警") + unplaced == expected
    assert count("偏差超过现行阈值而预警") > 0 and count("因其他原因已预警") > 0


EMPTY = pd.DataFrame({"monitor_class": pd.Series(dtype=object), "light": pd.Series(dtype=object),
                      "total": pd.Series(dtype=float), "unit_total": pd.Series(dtype=float),
                      "category": pd.Series(dtype=object), "budget": pd.array([], dtype="Int64"),
                      "spent": pd.array([], dtype="Int64")})
NO_VALUES = pd.DataFrame({"monitor_class": [None, "一般项目"], "light": ["红", None], "total": [np.nan, np.nan],
                          "unit_total": [80.0, np.nan], "category": ["部门项目支出", None],
                          "budget": pd.array([1, None], dtype="Int64"), "spent": pd.array([None, None], dtype="Int64")})


@pytest.mark.parametrize("frame", [EMPTY, NO_VALUES], ids=["no rows", "no usable values"])
@pytest.mark.parametrize("chart", ["lights", "scores", "sweep", "categories"])
def test_charts_with_nothing_to_show_draw_nothing(frame: pd.DataFrame, chart: str) -> None:
    """A dataset without monitoring lights, recomputed totals or deviations gets no chart — never a crash."""
    before = plt.get_fignums()
    if chart == "lights":
        D.chart_lights(frame)
    elif chart == "scores":
        D.chart_scores(frame, BANDS)
    elif chart == "sweep":
        D.chart_sweep(pd.Series(np.nan, index=frame.index), pd.Series(False, index=frame.index), 20.0, [10.0, 30.0])
    else:
        D.chart_categories(pd.DataFrame(index=pd.Index([], name="category")), frame, RULES["monitoring.execution_light"])
    assert plt.get_fignums() == before
