"""One year of a demo district: units and projects from the catalog (names, owners, categories and
amounts that fit), monthly execution, declared targets, self-evaluation with the anomalies real tables
show (each recorded in ``planted``), monitoring, ex-ante assessments and archives — vectorized with
numpy, so the same code makes the million-project benchmark data."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from perfkit.demo.catalog import (
    amounts_of,
    categories_of,
    cn_ordinal,
    fit_counts,
    major_works,
    make_units,
    project_names,
    project_stems,
    unit_capacity,
)
from perfkit.demo.districts import GAOXIN, DemoDistrict
from perfkit.demo.noise import (
    Noise,
    cell_noise,
    choose,
    distinct,
    first_in_project,
    fmt_num,
    framework_rows,
    noise_log,
    noise_log_rows,
)
from perfkit.io.contract import ARCHIVE_ITEMS, CATEGORIES
from perfkit.io.values import FEN_PER_WAN

# The indicator bank: (一级, 二级, 三级, kind, comparator, unit, target choices). kinds:
#   qty  forward quantity     rate  forward rate (%)   cost  reverse amount    zero  "=0"
#   date deadline             qual  qualitative phrase
BANK: list[tuple[str, str, str, str, str, str, tuple]] = [
    ("产出指标", "数量指标", "培训人次", "qty", "≥", "人次", (200, 500, 800, 1200, 3000)),
    ("产出指标", "数量指标", "覆盖服务对象人数", "qty", "≥", "人", (300, 1000, 2500, 6000)),
    ("产出指标", "数量指标", "维修改造面积", "qty", "≥", "平方米", (1500, 3000, 8000, 12000)),
    ("产出指标", "数量指标", "采购设备数量", "qty", "≥", "台", (20, 50, 120, 300)),
    ("产出指标", "数量指标", "开展活动次数", "qty", "≥", "次", (6, 12, 24, 48)),
    ("产出指标", "数量指标", "建设服务站点数量", "qty", "≥", "个", (5, 10, 20, 36)),
    ("产出指标", "数量指标", "道路养护长度", "qty", "≥", "公里", (15, 40, 85, 120)),
    ("产出指标", "数量指标", "补助发放户数", "qty", "≥", "户", (150, 420, 900, 2000)),
    ("产出指标", "数量指标", "检查抽检批次", "qty", "≥", "批次", (100, 300, 650)),
    ("产出指标", "质量指标", "验收合格率", "rate", "≥", "%", (95, 98, 100)),
    ("产出指标", "质量指标", "设备完好率", "rate", "≥", "%", (90, 95, 98)),
    ("产出指标", "质量指标", "资金使用合规率", "rate", "=", "%", (100,)),
    ("产出指标", "时效指标", "项目完成时间", "date", "", "", ("{y}年12月31日前", "{y}年11月30日前", "{y}年10月底前")),
    ("产出指标", "时效指标", "资金拨付及时率", "rate", "≥", "%", (90, 95, 100)),
    ("产出指标", "成本指标", "项目总成本", "cost", "≤", "万元", ()),
    ("产出指标", "成本指标", "人均培训成本", "cost_unit", "≤", "元/人", (300, 500, 800)),
    ("效益指标", "社会效益指标", "群众知晓率", "rate", "≥", "%", (85, 90, 95)),
    ("效益指标", "社会效益指标", "保障困难群众基本生活", "qual", "", "", ("效果明显", "达成预期指标")),
    ("效益指标", "社会效益指标", "公共服务水平", "qual", "", "", ("显著提升", "有效提升")),
    ("效益指标", "社会效益指标", "安全事故发生次数", "zero", "=", "次", (0,)),
    ("效益指标", "社会效益指标", "群众投诉次数", "qty_rev", "≤", "次", (5, 10, 20)),
    ("效益指标", "经济效益指标", "带动农户增收", "qty", "≥", "元/户", (500, 1200, 3000)),
    ("效益指标", "生态效益指标", "空气质量优良天数", "qty", "≥", "天", (260, 280, 300)),
    ("效益指标", "生态效益指标", "生活垃圾无害化处理率", "rate", "≥", "%", (95, 98, 100)),
    ("效益指标", "可持续影响指标", "长效管理机制", "qual", "", "", ("健全", "有效")),
    ("效益指标", "可持续影响指标", "持续发挥作用年限", "qty", "≥", "年", (3, 5, 10)),
    ("满意度指标", "服务对象满意度指标", "服务对象满意度", "rate", "≥", "%", (85, 90, 95)),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "rate", "≥", "%", (80, 85, 90)),
]
_L1 = np.array([b[0] for b in BANK])
OUTPUT_IDX = np.flatnonzero(_L1 == "产出指标")
OUTCOME_IDX = np.flatnonzero(_L1 == "效益指标")
SATIS_IDX = np.flatnonzero(_L1 == "满意度指标")
QUAL_PARTIAL = "部分达成年度指标并具有一定效果"
UNREADABLE = ("详见附件", "见佐证材料", "/")


@dataclass
class Demo:
    """The generated district: contract tables (internal names, money in 分) and the planted anomalies."""

    tables: dict[str, pd.DataFrame]
    planted: pd.DataFrame = field(default_factory=pd.DataFrame)
    ind_month: Callable[[int], pd.DataFrame] | None = None  # 指标监控 of one month (for streaming writes)
    months: int = 12
    noise: pd.DataFrame = field(default_factory=pd.DataFrame)  # every noisy cell: project_id, indicator, kind
    rates: Noise = field(default_factory=Noise)  # the rates the noise was drawn at


def _first_requests(projects: pd.DataFrame, chosen: np.ndarray, request: np.ndarray, rng: np.random.Generator,
                    year: int) -> pd.DataFrame:
    """新增重大项目: next year's first-time requests, one beside each chosen project of the same unit and
    kind (code: the unit's next free sequence, from 900; name: next year's, marked 新建). No budget,
    execution or self-evaluation this year; one in ten without a filled request, as units send them."""
    base = projects.loc[chosen].copy()
    # from 900, or after the unit's own projects where it has more (a province-size unit): never a code
    # the unit already uses (项目编码 is unique within a year)
    own = projects.groupby("unit_id").size()
    start = np.maximum(900, own.reindex(base["unit_id"]).to_numpy() + 1)
    seq = base.groupby("unit_id").cumcount().to_numpy() + start
    base["project_id"] = (str(year) + base["unit_id"].astype(str)
                          + pd.Series(seq.astype(str), index=base.index, dtype=object))  # (≥ 900: three digits or more)
    base["project_name"] = (base["project_name"].str.replace(f"^{year}年", f"{year + 1}年", regex=True)
                            .str.replace(r"（[^）]*）$", "", regex=True))
    rep = base.groupby("project_name").cumcount().to_numpy() + 1  # beside two phases of one work: 二期 of the new
    base["project_name"] = base["project_name"].where(
        rep == 1, base["project_name"].str.replace(r"项目$", "", regex=True)
        + pd.Series([f"{cn_ordinal(k)}期项目" for k in rep], index=base.index, dtype=object)) + "（新建）"
    base["new_major"] = True
    base["key_project"] = False
    for c in ("budget_initial", "budget", "spent"):
        base[c] = pd.array([pd.NA] * len(base), dtype="Int64")
    asked = rng.random(len(base)) >= 0.1
    base["requested"] = pd.array(np.where(asked, request[chosen] * 2, 0), dtype="Int64")
    base["requested"] = base["requested"].where(asked)
    return base


def generate(seed: int = 2022, year: int = 2022, n_projects: int | None = None,
             months: int = 12, units_total: int = 132, indicators: int | None = None,
             stream_months: bool = False, clean: bool = False, noise: Noise | None = None,
             district: DemoDistrict = GAOXIN, outcomes: int | list[int] | None = None) -> Demo:
    """Generate the demo district. ``n_projects`` defaults to a seed-dependent 1,500–2,500;
    ``indicators`` fixes the number per project (5 output, 2 outcome, 1 satisfaction when 8), as the
    benchmarks ask, instead of the realistic 5–12. With ``stream_months`` the 指标监控 table (the bulk at
    scale: indicators × 12) is left out of ``tables`` and produced month by month by ``ind_month``.
    ``clean`` leaves out the real-form noise (``noise`` sets its rates; default :class:`Noise`).
    ``district`` gives the names of the district and its places (default: the first demo district).
    ``outcomes`` seeds the year's results on their own — completion, self-scores, planted anomalies,
    monitoring, ex-ante scores, archives — over the same units, projects, amounts and targets (an
    earlier year of the district: :func:`perfkit.demo.years.generate_years`); None draws them on from
    ``seed``."""
    rng = np.random.default_rng(seed)
    rates = Noise.none() if clean else (noise or Noise())
    rng_n = np.random.default_rng([seed, 11])  # the noise has its own stream: clean and noisy share the rest
    log: list[pd.DataFrame] = []
    # ---------------------------------------------------------------- units (kinds and places: the catalog)
    units = make_units(district, units_total)
    # ---------------------------------------------------------------- projects
    nu = len(units)
    n_projects = int(n_projects or rng.integers(1500, 2501))
    per_unit = np.maximum(1, rng.multinomial(n_projects - nu, rng.dirichlet(np.full(nu, 3.0))) + 1)
    per_unit = fit_counts(per_unit, unit_capacity(units))  # no unit beyond what its kind can name
    p_unit = np.repeat(np.arange(nu), per_unit)
    np_ = len(p_unit)
    seq = np.arange(np_) - np.repeat(np.r_[0, np.cumsum(per_unit)[:-1]], per_unit)
    unit_id = units["unit_id"].to_numpy()[p_unit]
    dept_idx = units["dept_idx"].to_numpy()[p_unit]
    project_id = np.char.add(np.char.add(str(year), unit_id.astype(str)), np.char.zfill(seq.astype(str), 3))
    # names: the first project of each unit is its 部门整体支出; a unit runs through its kind's stems
    # (from a random start) before it repeats one
    pick = rng.integers(0, 1000, np_)
    start = pick[np.r_[0, np.cumsum(per_unit)[:-1]]][p_unit]
    stem = project_stems(units, p_unit, seq, start, per_unit)
    unit_names = units["unit_name"].to_numpy()[p_unit]
    short = np.char.replace(unit_names.astype(str), district.name, "")
    rng.choice(np.array(CATEGORIES[1:]), np_, p=[0.72, 0.2, 0.08])  # (draws kept: the stream stays in step)
    whole = seq == 0
    category = categories_of(stem, whole, rng.random(np_))  # the stem's categories (catalog)
    place = units["place"].to_numpy()[p_unit]
    place_kind = units["place_kind"].to_numpy()[p_unit]
    name = project_names(stem, short, whole, pick, year, place, place_kind, district)
    monitor_class = np.where(np.isin(category, ["专项转移支付项目支出", "乡村振兴资金支出"]), "转移支付项目", "一般项目")
    # amounts in 万元, to the 100 元 (2 decimals of 万元), inside the range the catalog gives the stem (or
    # the unit kind's 部门整体支出), placed by a normal draw
    unit_kind = units["kind"].to_numpy()[p_unit]
    budget_wan = amounts_of(stem, whole, unit_kind, dept_idx, rng.normal(0.0, 1.0, np_))
    budget = np.round(budget_wan * FEN_PER_WAN).astype(np.int64)
    initial = np.where(rng.random(np_) < 0.8, budget,
                       np.round(budget * rng.uniform(0.7, 1.0, np_) / 10_000).astype(np.int64) * 10_000)
    # execution: most spend nearly all; a laggard group spends late; a few spend little. 执行数 to the 分.
    profile = rng.choice(3, np_, p=[0.84, 0.12, 0.04])
    final_rate = np.select([profile == 0, profile == 1], [rng.uniform(0.93, 1.0, np_),
                                                          rng.uniform(0.8, 0.98, np_)], rng.uniform(0.3, 0.75, np_))
    final_rate = np.where(rng.random(np_) < 0.35, 1.0, final_rate)
    # noise: spent above the budget (carry-over spent), among projects that spent it all (their execution
    # score, capped at 100%, stays what it was; the rate is still of all projects)
    over = choose(rng_n, final_rate >= 1.0, rates.over_execution * np_)
    final_rate = np.where(over, rng_n.uniform(1.005, 1.12, np_), final_rate)
    log.append(noise_log(project_id[over], "", "over_execution"))
    framework = choose(rng_n, whole, rates.framework * whole.sum())  # noise: 决策/过程 blocks on 部门整体支出
    spent = np.floor(budget * final_rate).astype(np.int64)
    key = rng.random(np_) < 0.04
    new_major = (~whole) & (rng.random(np_) < 0.12) & major_works(stem)  # beside a work of its kind
    livelihood = np.isin(dept_idx, [1, 2, 3, 8, 14]) & (rng.random(np_) < 0.6)
    classified = (dept_idx == 13) & (seq > 0) & (rng.random(np_) < 0.12)
    projects = pd.DataFrame({
        "project_id": project_id, "project_name": name, "unit_id": unit_id, "year": year,
        "category": category, "monitor_class": monitor_class, "key_project": key, "new_major": new_major,
        "livelihood": livelihood, "classified": classified,
        "budget_initial": initial, "budget": budget, "spent": spent,
    })
    # next year's request (下年度申请数, where the proposal starts): about this year's budget, to the 百元;
    # one project in eight gives none, as units do (own stream: the rest of the demo is unchanged)
    rng_req = np.random.default_rng(seed + 101)
    request = np.round(budget * rng_req.uniform(0.85, 1.2, np_) / 10_000).astype(np.int64) * 10_000
    asked = (rng_req.random(np_) >= 0.125) & (request > 0)
    projects["requested"] = pd.array(np.where(asked, request, 0), dtype="Int64")
    projects["requested"] = projects["requested"].where(asked)
    # 新增重大项目 are next year's first-time requests: rows of their own with no budget, execution or
    # self-evaluation this year, only a request and an ex-ante assessment (drawn where new_major fell)
    projects["new_major"] = False
    projects = pd.concat([projects, _first_requests(projects, new_major, request, rng_req, year)], ignore_index=True)
    projects["year"] = projects["year"].astype("Int64")
    for c in ("budget_initial", "budget", "spent"):
        projects[c] = projects[c].astype("Int64")
    # ---------------------------------------------------------------- monthly execution (cumulative)
    m = np.arange(1, months + 1)
    shape = np.select([profile == 0, profile == 1], [1.0, 2.6], 1.6)[:, None]  # laggards back-load spending
    noise = rng.uniform(0.9, 1.1, (np_, months))
    curve = np.minimum(1.0, ((m / 12.0) ** shape) * noise)
    curve = np.maximum.accumulate(curve, axis=1)
    curve[:, -1] = 1.0
    cum = np.floor(spent[:, None] * curve).astype(np.int64)
    exec_monitor = pd.DataFrame({
        "project_id": np.repeat(project_id, months), "month": np.tile(m, np_),
        "spent_cum": cum.ravel(),
    })
    exec_monitor["month"] = exec_monitor["month"].astype("Int64")
    exec_monitor["spent_cum"] = exec_monitor["spent_cum"].astype("Int64")
    # ---------------------------------------------------------------- indicators (declared targets)
    if indicators:
        n_sat = np.ones(np_, dtype=int)
        n_eff = np.full(np_, max(1, (indicators - 1) // 3))
        n_out = np.full(np_, indicators - 1 - n_eff[0])
    else:
        n_out = rng.integers(3, 7, np_)
        n_eff = rng.integers(2, 5, np_)
        n_sat = np.where(rng.random(np_) < 0.92, 1, 0)  # a few projects declare no satisfaction indicator
    # each block draws distinct indicators (no indicator twice in a project, except planted duplicates)
    parts = [distinct(rng, pool, n) for pool, n in ((OUTPUT_IDX, n_out), (OUTCOME_IDX, n_eff), (SATIS_IDX, n_sat))]
    owner = np.concatenate([o for o, _ in parts])
    bank_idx = np.concatenate([b for _, b in parts])
    block = np.concatenate([np.full(len(o), k) for k, (o, _) in enumerate(parts)])
    ni = len(owner)
    # weights: 50 output / 30 outcome / 10 satisfaction; with no 满意度 block its 10 go to 效益 (40)
    counts_b = np.zeros((np_, 3), dtype=int)
    np.add.at(counts_b, (owner, block), 1)
    order = np.lexsort((block, owner))
    owner, bank_idx, block = owner[order], bank_idx[order], block[order]
    block_totals = np.where(counts_b[:, 2:3] == 0, [50, 40, 0], [50, 30, 10])
    # 部门整体 forms with 决策/过程 blocks (2 × 5 points each) take those 20 points from 产出 and 效益
    block_totals = np.where(framework[:, None], block_totals - [10, 10, 0], block_totals)
    nonzero = counts_b.ravel() > 0
    weights = _block_weights(rng, counts_b.ravel()[nonzero], block_totals.ravel()[nonzero])
    bank = [BANK[i] for i in range(len(BANK))]
    kind = np.array([b[3] for b in bank])[bank_idx]
    comp = np.array([b[4] for b in bank])[bank_idx]
    unit = np.array([b[5] for b in bank])[bank_idx]
    names = np.array([b[2] for b in bank])[bank_idx]
    l1 = np.array([b[0] for b in bank])[bank_idx]
    l2 = np.array([b[1] for b in bank])[bank_idx]
    choice = rng.integers(0, 1_000_000, ni)
    target_val = np.array([_pick(bank[b][6], c) for b, c in zip(bank_idx, choice, strict=True)], dtype=object)
    cost_target = np.round(budget_wan[owner], 2)
    tnum = np.where(kind == "cost", cost_target, np.array([v if isinstance(v, int | float) else np.nan
                                                            for v in target_val], dtype=float))
    num_txt = fmt_num(np.nan_to_num(tnum))
    target_text = np.where(np.isin(kind, ["qual"]), target_val.astype(str),
                           np.where(kind == "date", np.char.replace(target_val.astype(str), "{y}", str(year)),
                                    np.char.add(np.char.add(comp, num_txt), unit)))
    targets = pd.DataFrame({
        "project_id": project_id[owner], "level1": l1, "level2": l2, "indicator": names,
        "target_text": target_text, "weight": weights.astype(float),
    })
    # ---------------------------------------------------------------- self-evaluation
    if outcomes is not None:  # this year's own results over the same structure (every table from here on)
        rng = np.random.default_rng(outcomes)
    ratio = np.select(
        [rng.random(ni) < 0.82, rng.random(ni) < 0.5],
        [rng.uniform(1.0, 1.12, ni), rng.uniform(1.3, 1.6, ni)], rng.uniform(0.55, 0.99, ni))
    low_perf = rng.random(np_) < 0.004  # the rare project that really missed most targets
    ratio = np.where(low_perf[owner], rng.uniform(0.3, 0.6, ni), ratio)
    missed = ratio < 1.0
    act = np.full(ni, "", dtype=object)
    score = weights.astype(float).copy()
    # forward quantities
    f = kind == "qty"
    a = np.round(tnum * ratio, 0)
    act[f] = fmt_num(a[f]) + unit[f]
    score[f] = np.where(a[f] >= tnum[f], weights[f], np.round(weights[f] * a[f] / tnum[f], 2))
    # rates (%, capped at 100)
    r = kind == "rate"
    ar = np.minimum(100.0, np.round(np.where(missed, tnum * ratio, np.maximum(tnum, tnum + (100 - tnum)
                                                                              * rng.random(ni))), 1))
    act[r] = fmt_num(ar[r]) + "%"
    score[r] = np.where(ar[r] >= tnum[r], weights[r], np.round(weights[r] * ar[r] / tnum[r], 2))
    # reverse: cost and complaint counts; over the cap scores proportionally
    c = np.isin(kind, ["cost", "cost_unit", "qty_rev"])
    ac = np.round(tnum * np.where(missed, 2 - ratio, rng.uniform(0.85, 1.0, ni)), 2)
    ac = np.where(kind == "qty_rev", np.round(ac), ac)
    act[c] = fmt_num(ac[c]) + unit[c]
    score[c] = np.where(ac[c] <= tnum[c], weights[c], np.round(weights[c] * tnum[c] / ac[c], 2))
    # zero targets
    z = kind == "zero"
    az = np.where(missed & (rng.random(ni) < 0.5), 1, 0)
    act[z] = az[z].astype(str) + unit[z]
    score[z] = np.where(az[z] <= 0, weights[z], 0.0)
    # deadlines
    d = kind == "date"
    act[d] = np.where(missed[d], f"{year + 1}年2月28日", f"{year}年10月25日")
    score[d] = np.where(missed[d], 0.0, weights[d])
    # qualitative
    q = kind == "qual"
    act[q] = np.where(missed[q], QUAL_PARTIAL, target_text[q])
    score[q] = np.where(missed[q], np.round(weights[q] * 0.7, 2), weights[q])
    planted: list[tuple[str, str, str]] = []
    reason = np.where(missed | (ratio >= 1.3), "受疫情影响，部分工作延后，下一年度加快推进", "")
    reason = np.where(rng.random(ni) < 0.45, "", reason)  # many units leave it blank
    sel = rng.random(ni)
    # planted: missed target still given full marks
    p_full = missed & np.isin(kind, ["qty", "rate"]) & (sel < 0.35) & (score < weights - 0.01)
    score = np.where(p_full, weights, score)
    # planted: actual copied from the target text (comparator sign included)
    p_copy = ~missed & np.isin(kind, ["qty", "rate", "cost"]) & (comp != "=") & (sel > 0.985)
    act = np.where(p_copy, target_text, act)
    # planted: qualitative score outside its tier (部分达成 but full marks)
    p_tier = q & missed & (sel > 0.5)
    score = np.where(p_tier, weights, score)
    # planted: unreadable actuals
    p_unread = ~missed & (sel > 0.9985) & ~p_copy
    act = np.where(p_unread, np.array(UNREADABLE, dtype=object)[choice % len(UNREADABLE)], act)
    # planted: self-evaluation indicator renamed relative to the declared target
    p_renamed = (sel > 0.996) & (sel <= 0.9985)
    se_names = np.where(p_renamed, np.char.add(names.astype(str), "（调整）"), names)
    p_blank = p_unread & (act == "/")  # a placeholder is a blank (not applicable), not an unreadable text
    # noise: what real forms do to cells (rows with a planted anomaly are left as planted)
    planted_row = p_full | p_copy | p_tier | p_unread | p_renamed
    cells = cell_noise(rng_n, rates, year, owner=owner, kind=kind, comp=comp, unit=unit, l1=l1, names=names,
                        tnum=tnum, target_text=target_text, act=act, score=score, weight=weights, missed=missed,
                        ar=ar, ac=ac, a=a, free=~planted_row, busy=framework)
    names, target_text, act, score, ar = cells["names"], cells["target_text"], cells["act"], cells["score"], cells["ar"]
    se_names = np.where(p_renamed, se_names, names)
    se_target, se_weight = cells["se_target"], cells["weight"]
    log.append(noise_log_rows(project_id[owner], se_names, cells["masks"]))
    for mask, label in ((p_full, "未完成目标仍得满分"), (p_copy, "实际值照抄目标值"),
                        (p_tier, "定性得分超出档次"), (p_unread & ~p_blank, "无法解析"), (p_blank, "无法复算"),
                        (p_renamed, "指标与目标不一致")):
        for i in np.flatnonzero(mask):
            planted.append((project_id[owner[i]], str(se_names[i]), label))
    # target-setting problems, in the declared targets only (the self-evaluation keeps its own copy)
    t_sel = rng.random(ni)
    t_weight = np.where(t_sel > 0.997, weights + 5, weights).astype(float)
    t_text = np.where((t_sel < 0.003) & (l2 == "数量指标"), "按计划完成", target_text)
    targets["weight"] = t_weight
    targets["target_text"] = t_text
    targets["indicator"] = names
    dup_rows = targets.loc[(t_sel > 0.4) & (t_sel < 0.4015)]
    targets = pd.concat([targets, dup_rows], ignore_index=True)
    for i in np.flatnonzero(t_sel > 0.997):
        planted.append((project_id[owner[i]], "", "分值合计不符"))
    for i in np.flatnonzero((t_sel < 0.003) & (l2 == "数量指标")):
        planted.append((project_id[owner[i]], str(names[i]), "指标未量化"))
    for pid, ind_name in zip(dup_rows["project_id"], dup_rows["indicator"], strict=True):
        planted.append((pid, ind_name, "指标重复"))
    self_eval = pd.DataFrame({
        "project_id": project_id[owner], "level1": l1, "level2": l2, "indicator": se_names,
        "target_text": se_target.astype(str), "actual_text": act.astype(str), "weight": se_weight,
        "unit_score": np.round(score.astype(float), 2), "deviation_reason": reason,
    })
    se_owner = owner
    if framework.any():  # 决策/过程 rows, first on the form as on 部门整体 self-evaluations
        fw_t, fw_se, fw_owner = framework_rows(rng_n, np.flatnonzero(framework), project_id)
        log.append(noise_log(fw_se["project_id"].to_numpy(), fw_se["indicator"].to_numpy(), "framework"))
        targets = first_in_project(fw_t, targets, project_id)
        se_owner = np.r_[fw_owner, owner]
        order = np.argsort(se_owner, kind="stable")  # owner is sorted: each project's new rows come first
        self_eval = pd.concat([fw_se, self_eval], ignore_index=True).iloc[order].reset_index(drop=True)
        se_owner = se_owner[order]
    # ---------------------------------------------------------------- self-evaluation summary
    exec_rate = np.minimum(spent / budget, 1.0)
    exec_weight = np.full(np_, 10.0)
    unit_exec = np.round(exec_rate * exec_weight, 2)
    p_exec = (rng.random(np_) < 0.02) & (unit_exec < exec_weight - 0.01)  # planted: execution score misreported
    unit_exec = np.where(p_exec, exec_weight, unit_exec)
    ind_sum = np.bincount(se_owner, self_eval["unit_score"].to_numpy(float), minlength=np_)
    total = np.round(unit_exec + ind_sum, 2)
    p_total = rng.random(np_) < 0.03  # planted: the total does not add up
    shifted = total + rng.choice([-5.0, 3.0, 8.0], np_)
    # off by a few points and never above 100, whatever the noise did to the parts (a total above 100 is
    # noise of its own, 分值合计不为100, not this planted anomaly)
    total = np.where(p_total, np.round(np.where(shifted > 100.0, np.minimum(total - 5.0, 95.0), shifted), 2), total)
    for i in np.flatnonzero(p_exec):
        planted.append((project_id[i], "", "执行率计算错误"))
    for i in np.flatnonzero(p_total):
        planted.append((project_id[i], "", "总分与分项不符"))
    # noise: 执行率分值 left blank (the unit scored on the usual 10); 全年执行数 left blank
    settled = ~(p_exec | p_total)
    no_exec_w = choose(rng_n, settled, rates.blank_exec_weight * np_)
    exec_weight = np.where(no_exec_w, np.nan, exec_weight)
    log.append(noise_log(project_id[no_exec_w], "", "blank_exec_weight"))
    no_spent = choose(rng_n, settled & ~over, rates.blank_spent * np_)
    projects["spent"] = projects["spent"].mask(np.r_[no_spent, np.zeros(len(projects) - np_, bool)])  # + requests
    log.append(noise_log(project_id[no_spent], "", "blank_spent"))
    self_summary = pd.DataFrame({
        "project_id": project_id, "exec_weight": exec_weight, "unit_exec_score": unit_exec,
        "unit_total": total,
    })
    # ---------------------------------------------------------------- indicator monitoring (cumulative)
    expo = np.select([profile == 0, profile == 1], [1.0, 2.2], 1.5)[owner]
    pace_noise = rng.uniform(0.85, 1.15, ni)
    likely = np.where(low_perf[owner], "完全不可能", np.where(missed, "有可能", "确定能"))
    mean_pace = np.mean([np.minimum(1.0, (k / 12.0) ** expo * pace_noise) for k in range(1, months + 1)], axis=0)
    partial = ac * mean_pace
    partial = np.where(kind == "qty_rev", np.round(partial), np.round(partial, 2))
    fixed = np.full(ni, "", dtype=object)  # texts that do not move with the month
    fixed[r] = fmt_num(np.round(np.minimum(ar[r], 100), 1)) + "%"
    fixed[c] = fmt_num(partial[c]) + unit[c]
    fixed[z] = "0" + unit[z]
    fixed[d] = "按计划推进"
    fixed[q] = np.where(missed[q], QUAL_PARTIAL, "达成预期指标")
    sat = cells["masks"]["qual_satisfaction"]
    fixed[sat] = act[sat]  # the qualitative satisfaction rows report the same word while monitored
    quantity = kind == "qty"
    q_target = tnum[quantity] * np.minimum(ratio, 1.1)[quantity]
    q_unit = unit[quantity]
    ind_pid, ind_names = project_id[owner], names
    # noise: units that did not report for the as-of month (no row at all from then on, or no indicator row)
    n_silent = rates.silent_units + rates.silent_indicator_units
    eligible_units = np.flatnonzero(per_unit >= 2)
    silent = rng_n.choice(eligible_units, min(n_silent, len(eligible_units)), replace=False)
    silent_all = np.isin(p_unit, silent[:rates.silent_units])
    silent_ind = np.isin(p_unit, silent[rates.silent_units:])
    log.append(noise_log(project_id[silent_all], "", "silent_units"))
    log.append(noise_log(project_id[silent_ind], "", "silent_indicator_units"))
    exec_monitor = exec_monitor[~(np.repeat(silent_all, months) & (exec_monitor["month"] >= rates.as_of_month)
                                  .to_numpy())].reset_index(drop=True)
    row_silent_all, row_silent_ind = silent_all[owner], silent_ind[owner]
    # planted: a few quantity rows whose December monitoring (the year's figure) differs from the year-end
    # actual the self-evaluation reports (an own stream, so that nothing else drawn moves)
    december = np.asarray(act, dtype=object).copy()
    p_differs = (quantity & ~planted_row & ~row_silent_all & ~missed
                 & (np.random.default_rng([seed, 12]).random(ni) < 0.004))
    december[p_differs] = np.char.add(np.round(q_target[p_differs[quantity]] * 0.8).astype(np.int64).astype(str),
                                      unit[p_differs].astype(str))
    for i in np.flatnonzero(p_differs):
        planted.append((project_id[owner[i]], str(se_names[i]), "自评与监控不一致"))

    def ind_month(month: int) -> pd.DataFrame:
        """指标监控 rows of one month (cumulative completion), built on demand to keep memory flat."""
        if month == 12:  # December's cumulative figure is the year's: the self-evaluation reports the same
            text = december.copy()  # (自评与监控不一致 is found only where they differ: the planted rows)
        else:
            pace = np.minimum(1.0, (month / 12.0) ** expo[quantity] * pace_noise[quantity])
            text = fixed.copy()
            text[quantity] = np.char.add(np.round(q_target * pace).astype(np.int64).astype(str), q_unit.astype(str))
        frame = pd.DataFrame({"project_id": ind_pid, "month": month, "indicator": ind_names,
                              "done_text": text.astype(str), "likelihood": likely})
        frame["month"] = frame["month"].astype("Int64")
        gone = (row_silent_all & (month >= rates.as_of_month)) | (row_silent_ind & (month == rates.as_of_month))
        return frame[~gone].reset_index(drop=True) if gone.any() else frame

    # ---------------------------------------------------------------- ex-ante, archives
    nm = np.flatnonzero(new_major)
    base = rng.uniform(11, 19.5, (len(nm), 5))
    base[rng.random(len(nm)) < 0.2] *= 0.6  # some fail the assessment
    exante = pd.DataFrame(np.round(base, 1), columns=[f"exante_{i}" for i in range(1, 6)])
    exante.insert(0, "project_id", projects.loc[projects["new_major"], "project_id"].to_numpy())
    arch = rng.random((np_, len(ARCHIVE_ITEMS))) < 0.93
    archive = pd.DataFrame(arch, columns=[f"archive_{i}" for i in range(1, len(ARCHIVE_ITEMS) + 1)])
    archive.insert(0, "project_id", project_id)
    tables = {
        "units": units[["unit_id", "unit_name", "department"]],
        "projects": projects, "targets": targets, "exec_monitor": exec_monitor, "ind_monitor": None,
        "self_eval": self_eval, "self_summary": self_summary, "exante": exante, "archive": archive,
    }
    if stream_months:
        del tables["ind_monitor"]
    else:
        tables["ind_monitor"] = pd.concat([ind_month(k) for k in range(1, months + 1)], ignore_index=True)
    planted_frame = pd.DataFrame(planted, columns=["project_id", "indicator", "finding"])
    planted_frame["indicator"] = planted_frame["indicator"].map(lambda x: unicodedata.normalize("NFKC", x))
    noise_frame = pd.concat(log, ignore_index=True)
    return Demo(tables, planted_frame.drop_duplicates().reset_index(drop=True), ind_month, months, noise_frame, rates)


def _pick(choices: tuple, k: int) -> object:
    return choices[k % len(choices)] if choices else np.nan


def _block_weights(rng: np.random.Generator, counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integer weights per indicator block (50/30/10 by default) that add up exactly to the block total."""
    owners = np.repeat(np.arange(len(counts)), counts)
    raw = rng.uniform(0.7, 1.3, len(owners))
    share = raw / np.bincount(owners, raw)[owners] * totals[owners]
    pts = np.floor(share).astype(int)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    pts[first] += totals - np.bincount(owners, pts, minlength=len(counts)).astype(int)
    return pts
