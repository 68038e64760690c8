"""A synthetic district shaped like the seed report's (乌鲁木齐 高新区（新市区）, 132 budget units).

Deterministic for a seed. It plants the anomalies real self-evaluation tables show (DOMAIN.md §5) and
records each one in ``planted`` so that tests can check the review finds them. Generation is vectorized
with numpy so the same code makes the million-project benchmark data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io.contract import ARCHIVE_ITEMS, CATEGORIES
from perfkit.io.values import FEN_PER_WAN

DISTRICT = "高新区（新市区）"

# (department, how many budget units, unit-name stems, project-name stems)
DEPARTMENTS: list[tuple[str, int, list[str], list[str]]] = [
    ("教育局", 22, ["第{n}中学", "第{n}小学", "第{n}幼儿园"],
     ["义务教育学校公用经费", "校舍维修改造", "学生营养改善计划", "教师培训", "教育信息化设备购置", "课后服务经费"]),
    ("卫生健康委员会", 12, ["社区卫生服务中心{n}", "第{n}人民医院", "疾病预防控制中心"],
     ["基本公共卫生服务", "家庭医生签约服务", "医疗设备购置", "重大传染病防控", "妇幼健康服务"]),
    ("民政局", 6, ["社会福利中心", "救助管理站", "养老服务中心{n}"],
     ["城乡低保资金", "特困人员救助供养", "社区养老服务补贴", "临时救助资金", "残疾人两项补贴"]),
    ("农业农村局", 9, ["农业技术推广站", "安宁渠镇农业服务中心", "动物疫病防控中心", "二工乡农业服务中心"],
     ["高标准农田建设", "乡村振兴衔接资金", "农村人居环境整治", "动物防疫补助", "农业产业化发展"]),
    ("住房和城乡建设局", 8, ["建设工程质量安全监督站", "房产服务中心", "市政工程管理所{n}"],
     ["老旧小区改造", "保障性住房维修", "市政道路维护", "燃气安全检查", "建筑工地扬尘治理"]),
    ("城市管理局", 10, ["环境卫生管理所{n}", "园林绿化管理站", "综合执法大队{n}"],
     ["城市道路清扫保洁", "园林绿化养护", "垃圾分类推进", "公厕运维", "户外广告整治"]),
    ("交通运输局", 5, ["公路管理所", "交通运输综合行政执法大队", "客运服务中心"],
     ["农村公路养护", "公交线路补贴", "道路安全设施完善", "交通信号维护"]),
    ("文化体育广电和旅游局", 7, ["图书馆", "文化馆", "全民健身中心", "文物保护中心"],
     ["公共文化服务", "全民健身活动", "文物保护修缮", "旅游宣传推广", "广播电视村村通运维"]),
    ("人力资源和社会保障局", 6, ["就业服务中心", "社会保险服务中心", "劳动保障监察大队"],
     ["就业创业补贴", "职业技能培训", "公益性岗位补贴", "根治欠薪专项"]),
    ("生态环境分局", 4, ["环境监测站", "生态环境保护综合执法大队"],
     ["大气污染防治", "水污染防治", "环境监测设备运维", "土壤污染防治"]),
    ("应急管理局", 5, ["应急救援中心", "安全生产监察大队", "消防救援保障中心"],
     ["应急物资储备", "安全生产检查", "应急演练", "森林草原防火"]),
    ("市场监督管理局", 6, ["食品药品检验所", "市场监管所{n}", "特种设备检验站"],
     ["食品安全抽检", "特种设备安全检查", "市场主体培育", "计量检定"]),
    ("科学技术局", 4, ["科技创新服务中心", "科技馆"],
     ["科技型企业补助", "科普活动", "创新平台建设", "科技成果转化奖励"]),
    ("公安分局", 14, ["派出所{n}", "交通警察大队", "刑事侦查大队"],
     ["社会治安防控体系建设", "视频监控运维", "禁毒宣传", "交通秩序整治", "警务装备购置"]),
    ("退役军人事务局", 14, ["退役军人服务站{n}", "光荣院", "军供站"],
     ["优抚对象补助", "退役军人就业培训", "烈士纪念设施维护", "双拥共建活动"]),
]
GENERIC_PROJECTS = ["办公设备购置", "信息化系统运维", "人员培训经费", "网格化管理经费", "安全保卫服务", "档案数字化"]

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
QUAL_FAILED = "未达成年度指标且效果较差"
UNREADABLE = ("详见附件", "见佐证材料", "/")


@dataclass
class Demo:
    """The generated district: contract tables (internal names, money in 分) and the planted anomalies."""

    tables: dict[str, pd.DataFrame]
    planted: pd.DataFrame = field(default_factory=pd.DataFrame)
    ind_month: Callable[[int], pd.DataFrame] | None = None  # 指标监控 of one month (for streaming writes)
    months: int = 12


def _fmt_num(x: np.ndarray) -> np.ndarray:
    """Numbers as users write them: 120, 96.5, 474.85 (at most 2 decimals, no trailing zeros)."""
    text = np.char.mod("%.2f", np.asarray(x, dtype=float))
    return np.char.rstrip(np.char.rstrip(text, "0"), ".")


def generate(seed: int = 2022, year: int = 2022, n_projects: int | None = None,
             months: int = 12, units_total: int = 132, indicators: int | None = None,
             stream_months: bool = False) -> Demo:
    """Generate the demo district. ``n_projects`` defaults to a seed-dependent 1,500–2,500;
    ``indicators`` fixes the number per project (5 output, 2 outcome, 1 satisfaction when 8), as the
    benchmarks ask, instead of the realistic 5–12. With ``stream_months`` the 指标监控 table (the bulk at
    scale: indicators × 12) is left out of ``tables`` and produced month by month by ``ind_month``."""
    rng = np.random.default_rng(seed)
    # ---------------------------------------------------------------- units
    unit_rows = []
    scale = units_total / sum(d[1] for d in DEPARTMENTS)
    for d_i, (dept, n_units, stems, _) in enumerate(DEPARTMENTS, start=101):
        n = max(1, round(n_units * scale))
        for k in range(n):
            stem = stems[k % len(stems)]
            name = dept if k == 0 else DISTRICT + stem.format(n=k // len(stems) + 1)
            if any(r[1] == name for r in unit_rows):
                name = f"{name}第{k // len(stems) + 1}分部"
            unit_rows.append((f"{d_i}{k + 1:03d}", name, dept, d_i - 101))
    units = pd.DataFrame(unit_rows, columns=["unit_id", "unit_name", "department", "dept_idx"])
    units = units.drop_duplicates("unit_name").head(units_total).reset_index(drop=True)
    # ---------------------------------------------------------------- projects
    nu = len(units)
    n_projects = int(n_projects or rng.integers(1500, 2501))
    per_unit = np.maximum(1, rng.multinomial(n_projects - nu, rng.dirichlet(np.full(nu, 3.0))) + 1)
    p_unit = np.repeat(np.arange(nu), per_unit)
    np_ = len(p_unit)
    seq = np.arange(np_) - np.repeat(np.r_[0, np.cumsum(per_unit)[:-1]], per_unit)
    unit_id = units["unit_id"].to_numpy()[p_unit]
    dept_idx = units["dept_idx"].to_numpy()[p_unit]
    project_id = np.char.add(np.char.add(str(year), unit_id.astype(str)), np.char.zfill(seq.astype(str), 3))
    # names: the first project of each unit is its 部门整体支出
    stems_by_dept = [d[3] + GENERIC_PROJECTS for d in DEPARTMENTS]
    pick = rng.integers(0, 1000, np_)
    stem = np.array([stems_by_dept[d][k % len(stems_by_dept[d])] for d, k in zip(dept_idx, pick, strict=True)])
    unit_names = units["unit_name"].to_numpy()[p_unit]
    short = np.char.replace(unit_names.astype(str), DISTRICT, "")
    category = rng.choice(np.array(CATEGORIES[1:]), np_, p=[0.72, 0.2, 0.08])
    rural_dept = np.isin(dept_idx, [3, 2])  # 农业农村局, 民政局 hold most 乡村振兴 money
    category = np.where(rural_dept & (rng.random(np_) < 0.45), "乡村振兴资金支出", category)
    whole = seq == 0
    category = np.where(whole, "部门整体支出", category)
    name = np.where(whole, np.char.add(short, "部门整体支出"),
                    np.char.add(np.char.add(np.char.add(short, str(year)), "年"), stem))
    name = pd.Series(name).str.cat(pd.Series(np.where(seq > 0, "（" + pd.Series(seq).astype(str) + "）", "")))
    name = np.where(pd.Series(name).duplicated(), name, pd.Series(name).str.replace(r"（\d+）$", "", regex=True))
    monitor_class = np.where(np.isin(category, ["专项转移支付项目支出", "乡村振兴资金支出"]), "转移支付项目", "一般项目")
    # amounts: lognormal in 万元, to the 100 元 (2 decimals of 万元), whole-department spending larger
    budget_wan = np.round(np.exp(rng.normal(4.3, 1.25, np_)) + 3, 2)
    budget_wan = np.where(whole, np.round(budget_wan * 4 + 200, 2), budget_wan)
    budget = np.round(budget_wan * FEN_PER_WAN).astype(np.int64)
    initial = np.where(rng.random(np_) < 0.8, budget,
                       np.round(budget * rng.uniform(0.7, 1.0, np_) / 10_000).astype(np.int64) * 10_000)
    # execution: most spend nearly all; a laggard group spends late; a few spend little. 执行数 to the 分.
    profile = rng.choice(3, np_, p=[0.84, 0.12, 0.04])
    final_rate = np.select([profile == 0, profile == 1], [rng.uniform(0.93, 1.0, np_),
                                                          rng.uniform(0.8, 0.98, np_)], rng.uniform(0.3, 0.75, np_))
    final_rate = np.where(rng.random(np_) < 0.35, 1.0, final_rate)
    spent = np.floor(budget * final_rate).astype(np.int64)
    key = rng.random(np_) < 0.04
    new_major = (~whole) & (rng.random(np_) < 0.035)
    livelihood = np.isin(dept_idx, [1, 2, 3, 8, 14]) & (rng.random(np_) < 0.6)
    classified = (dept_idx == 13) & (seq > 0) & (rng.random(np_) < 0.12)
    projects = pd.DataFrame({
        "project_id": project_id, "project_name": name, "unit_id": unit_id, "year": year,
        "category": category, "monitor_class": monitor_class, "key_project": key, "new_major": new_major,
        "livelihood": livelihood, "classified": classified,
        "budget_initial": initial, "budget": budget, "spent": spent,
    })
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
    parts = [_distinct(rng, pool, n) for pool, n in ((OUTPUT_IDX, n_out), (OUTCOME_IDX, n_eff), (SATIS_IDX, n_sat))]
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
    num_txt = _fmt_num(np.nan_to_num(tnum))
    target_text = np.where(np.isin(kind, ["qual"]), target_val.astype(str),
                           np.where(kind == "date", np.char.replace(target_val.astype(str), "{y}", str(year)),
                                    np.char.add(np.char.add(comp, num_txt), unit)))
    targets = pd.DataFrame({
        "project_id": project_id[owner], "level1": l1, "level2": l2, "indicator": names,
        "target_text": target_text, "weight": weights.astype(float),
    })
    # ---------------------------------------------------------------- self-evaluation
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
    act[f] = _fmt_num(a[f]) + unit[f]
    score[f] = np.where(a[f] >= tnum[f], weights[f], np.round(weights[f] * a[f] / tnum[f], 2))
    # rates (%, capped at 100)
    r = kind == "rate"
    ar = np.minimum(100.0, np.round(np.where(missed, tnum * ratio, np.maximum(tnum, tnum + (100 - tnum)
                                                                              * rng.random(ni))), 1))
    act[r] = _fmt_num(ar[r]) + "%"
    score[r] = np.where(ar[r] >= tnum[r], weights[r], np.round(weights[r] * ar[r] / tnum[r], 2))
    # reverse: cost and complaint counts; over the cap scores proportionally
    c = np.isin(kind, ["cost", "cost_unit", "qty_rev"])
    ac = np.round(tnum * np.where(missed, 2 - ratio, rng.uniform(0.85, 1.0, ni)), 2)
    ac = np.where(kind == "qty_rev", np.round(ac), ac)
    act[c] = _fmt_num(ac[c]) + unit[c]
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
        "target_text": target_text, "actual_text": act.astype(str), "weight": weights.astype(float),
        "unit_score": np.round(score.astype(float), 2), "deviation_reason": reason,
    })
    # ---------------------------------------------------------------- self-evaluation summary
    exec_rate = np.minimum(spent / budget, 1.0)
    exec_weight = np.full(np_, 10.0)
    unit_exec = np.round(exec_rate * exec_weight, 2)
    p_exec = (rng.random(np_) < 0.02) & (unit_exec < exec_weight - 0.01)  # planted: execution score misreported
    unit_exec = np.where(p_exec, exec_weight, unit_exec)
    ind_sum = np.bincount(owner, score.astype(float), minlength=np_)
    total = np.round(unit_exec + ind_sum, 2)
    p_total = rng.random(np_) < 0.03  # planted: the total does not add up
    total = np.where(p_total, np.minimum(100.0, np.round(total + rng.choice([-5.0, 3.0, 8.0], np_), 2)), total)
    p_total = p_total & (np.abs(total - np.round(unit_exec + ind_sum, 2)) > 0.01)
    for i in np.flatnonzero(p_exec):
        planted.append((project_id[i], "", "执行率计算错误"))
    for i in np.flatnonzero(p_total):
        planted.append((project_id[i], "", "总分与分项不符"))
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
    fixed[r] = _fmt_num(np.round(np.minimum(ar[r], 100), 1)) + "%"
    fixed[c] = _fmt_num(partial[c]) + unit[c]
    fixed[z] = "0" + unit[z]
    fixed[d] = "按计划推进"
    fixed[q] = np.where(missed[q], QUAL_PARTIAL, "达成预期指标")
    quantity = kind == "qty"
    q_target = tnum[quantity] * np.minimum(ratio, 1.1)[quantity]
    q_unit = unit[quantity]
    ind_pid, ind_names = project_id[owner], names

    def ind_month(month: int) -> pd.DataFrame:
        """指标监控 rows of one month (cumulative completion), built on demand to keep memory flat."""
        pace = np.minimum(1.0, (month / 12.0) ** expo[quantity] * pace_noise[quantity])
        text = fixed.copy()
        text[quantity] = np.char.add(np.round(q_target * pace).astype(np.int64).astype(str), q_unit.astype(str))
        frame = pd.DataFrame({"project_id": ind_pid, "month": month, "indicator": ind_names,
                              "done_text": text.astype(str), "likelihood": likely})
        frame["month"] = frame["month"].astype("Int64")
        return frame

    # ---------------------------------------------------------------- ex-ante, archives
    nm = np.flatnonzero(new_major)
    base = rng.uniform(11, 19.5, (len(nm), 5))
    base[rng.random(len(nm)) < 0.2] *= 0.6  # some fail the assessment
    exante = pd.DataFrame(np.round(base, 1), columns=[f"exante_{i}" for i in range(1, 6)])
    exante.insert(0, "project_id", project_id[nm])
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
    return Demo(tables, planted_frame.drop_duplicates().reset_index(drop=True), ind_month, months)


def _distinct(rng: np.random.Generator, pool: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each project i, ``counts[i]`` distinct entries of ``pool`` (a random permutation per row)."""
    order = np.argsort(rng.random((len(counts), len(pool))), axis=1)
    take = np.arange(len(pool))[None, :] < np.minimum(counts, len(pool))[:, None]
    return np.repeat(np.arange(len(counts)), take.sum(axis=1)), pool[order[take]]


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


def write_demo(demo: Demo, out: Path) -> dict[str, Path]:
    """Write the district as one workbook and as a CSV folder (both load back to the same tables)."""
    from perfkit.io.write import write_csv, write_tables_folder, write_tables_xlsx

    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "workbook": write_tables_xlsx(demo.tables, out / "demo.xlsx"),
        "csv": write_tables_folder(demo.tables, out / "csv"),
        "planted": write_csv(demo.planted.rename(columns={"project_id": "项目编码", "indicator": "三级指标",
                                                          "finding": "问题类型"}), out / "planted.csv"),
    }
    return paths
