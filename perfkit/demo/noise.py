"""The noise real forms carry, planted in the demo at documented rates (:class:`Noise`): blank cells,
unreadable actuals, negated wording, mixed units, OCR comparators, 决策/过程 blocks, a unit that did
not report … drawn from a random stream of its own and logged cell by cell, so that ``clean=True``
gives the same district without it."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Noise:
    """How often each kind of real-form noise appears in the demo, as a share of the rows (or projects,
    or units) it can touch. Evidence: the 26 published real forms (cited by record id) and issue 11. The
    published forms show these things as whole columns or whole forms; a district's platform export holds them as scattered cells, so the rates here are a few
    percent of the rows each, and the total of unreadable rows stays under issue 11's 2% target. The
    kinds that leave a row impossible to recompute (blank 实际完成值/指标值/分值, unreadable actual, no
    分值 column) are kept lower, at about 2% of the rows together: with ~8.5 rows a project that already
    makes about one project in ten 待核实, which is what a reviewer meets before the units correct it.
    ``Noise.none()`` is the clean demo. Every row gets at most one row-level kind."""

    # --- 绩效自评 cells (share of the eligible rows, planted-anomaly rows excluded)
    blank_actual: float = 0.005  # 实际完成值 blank: r01, r27 publish self-evaluations with the column empty
    blank_target: float = 0.002  # 指标值 blank in the restated target (pattern 6: blank ≠ 0)
    blank_weight: float = 0.003  # one 分值 cell blank (r04: 3 of 8 weights blank)
    unreadable_actual: float = 0.005  # 见附件 / 已完成 against a number (pattern 8: 完成 against ≤30万元; r09)
    bare_number: float = 0.03  # an actual without its unit, inheriting the target's (r26: 20000 vs 23333.56)
    thousands: float = 0.05  # of actuals ≥ 1,000: 1,200人 (pattern 3: 元 with thousands separators, r19)
    money_yuan_actual: float = 0.15  # of cost rows: target in 万元, actual in 元 (pattern 3: header 万元, cells 元)
    money_yuan_target: float = 0.05  # of cost rows: target in 元 (r19: 元 with commas), actual in 万元
    range_target: float = 0.04  # of forward % rows: 90%-95% / 90%~95% / 90%至95% (issue 11 §3)
    ocr_comparator: float = 0.03  # of rows with a comparator: ≧ ⩾ >= ≦ ⩽ <= ＝ (pattern 2; r15 prints >=)
    zero_words: float = 0.6  # of zero-event rows: 0起 / ≤0起 / 0件 instead of =0次 (issue 11 §3 ceilings)
    date_spelling: float = 0.10  # of deadline rows: 2022/12/31前, 2022.10.25 (issue 11 §1; pattern 8)
    qual_degree: float = 0.25  # of achieved qualitative rows: 较好 / 良好 / 很好 / 效果良好
    qual_negated: float = 0.3  # of partly achieved ones, reported as failed: 无明显提升 / 未达到预期 / 效果较差
    qual_partial_words: float = 0.4  # of partly achieved ones: 基本达标 / 一般 / 基本完成
    descriptive_target: float = 0.3  # of qualitative rows: 按规定程序执行, 资金使用规范 (r09, r12)
    qual_satisfaction: float = 0.04  # of satisfaction rows: target 满意, actual 满意 / 基本满意 / 不满意
    # --- projects (share of the projects; planted-anomaly projects excluded)
    over_execution: float = 0.015  # 全年执行数 above 全年预算数 (carry-over spent; r26 prints 执行率 100% vs 90%)
    blank_spent: float = 0.005  # 全年执行数 blank (may be empty before year end: 预算数据缺失)
    blank_exec_weight: float = 0.08  # 执行率分值 blank in 自评汇总: the form has no such cell (r26, r12)
    no_weight_column: float = 0.005  # every 分值 blank: forms without a 分值 column (r12, r26: all blank)
    weights_off: float = 0.015  # indicator weights + 10 ≠ 100 (pattern 7: weights sum to 90)
    framework: float = 0.5  # of 部门整体支出 projects: 决策/过程 blocks (r04, r05, r12; 财预〔2020〕10号 框架)
    # --- monitoring (whole units)
    silent_units: int = 1  # units with no 执行监控 / 指标监控 row from ``as_of_month`` on
    silent_indicator_units: int = 1  # units with execution but no 指标监控 row for ``as_of_month``
    as_of_month: int = 5  # the month the report is run for (Makefile MONTH=5)

    @classmethod
    def none(cls) -> Noise:
        """No noise at all: the clean demo."""
        zeros = {f.name: 0 for f in fields(cls) if f.name != "as_of_month"}
        return cls(**zeros)


# The kinds of noise as logged in ``Demo.noise`` (and in noise.csv): field of Noise → label
NOISE_KINDS = {
    "blank_actual": "实际完成值空白", "blank_target": "指标值空白", "blank_weight": "分值空白",
    "unreadable_actual": "实际完成值无法读数", "bare_number": "实际值无单位", "thousands": "千分位数字",
    "money_yuan_actual": "实际值以元计", "money_yuan_target": "指标值以元计", "range_target": "区间指标值",
    "ocr_comparator": "比较符变体", "zero_words": "零事件上限", "date_spelling": "日期写法",
    "qual_degree": "定性程度词", "qual_partial_words": "定性基本达成", "qual_negated": "定性否定措辞",
    "descriptive_target": "描述性指标值", "qual_satisfaction": "满意度定性",
    "over_execution": "执行率超过100%", "blank_spent": "全年执行数空白", "blank_exec_weight": "执行率分值空白",
    "no_weight_column": "无分值列", "weights_off": "分值合计不为100", "framework": "决策过程指标",
    "silent_units": "单位未报送监控", "silent_indicator_units": "单位未报送指标监控",
}
OCR_VARIANTS = {"≥": ("≧", "⩾", ">="), "≤": ("≦", "⩽", "<="), "=": ("＝",)}
DEGREE_WORDS = ("较好", "良好", "很好", "效果良好")
PARTIAL_WORDS = ("基本达标", "一般", "基本完成")
NEGATED_WORDS = ("无明显提升", "未达到预期", "效果较差")
# qualitative bank indicator → the descriptive norm some units state instead (issue 11 §3)
DESCRIPTIVE = {"保障困难群众基本生活": ("资金使用合规性", "资金使用规范"),
               "公共服务水平": ("项目实施规范性", "按规定程序执行"),
               "长效管理机制": ("合同履约情况", "严格按照合同约定实施")}
UNREADABLE_ACTUALS = ("见附件", "详见附件", "已完成", "完成", "见佐证材料")
# 决策 / 过程 blocks of 部门整体支出 forms (财预〔2020〕10号 附件 指标体系框架), with the headings forms print
DECISION_L1 = ("决策指标", "项目决策")
PROCESS_L1 = ("过程指标", "项目管理")
FRAMEWORK_BANK: list[tuple[int, str, str, str, str]] = [  # (0 决策 / 1 过程, 二级, 三级, 指标值, 部分达成时)
    (0, "项目立项", "立项依据充分性", "充分", "较充分"),
    (0, "项目立项", "立项程序规范性", "按规定程序执行", "基本按规定程序执行"),
    (0, "绩效目标", "绩效目标合理性", "合理", "基本合理"),
    (0, "资金投入", "预算编制科学性", "科学", "基本科学"),
    (1, "资金管理", "资金到位率", "100%", "96%"),
    (1, "资金管理", "资金使用合规性", "资金使用规范", "存在个别不规范支出"),
    (1, "组织实施", "管理制度健全性", "健全", "基本健全"),
    (1, "组织实施", "制度执行有效性", "严格按照合同约定实施", "基本按合同约定实施"),
]
FRAMEWORK_WEIGHT = 5  # two rows of 5 points in each of 决策 and 过程: the 20 points come out of 产出/效益


def fmt_num(x: np.ndarray) -> np.ndarray:
    """Numbers as users write them: 120, 96.5, 474.85 (at most 2 decimals, no trailing zeros)."""
    text = np.char.mod("%.2f", np.asarray(x, dtype=float))
    return np.char.rstrip(np.char.rstrip(text, "0"), ".")


def noise_log(project_ids: np.ndarray, indicators: np.ndarray | str, key: str) -> pd.DataFrame:
    """Rows of the noise log: which project (and indicator) carries which kind of noise."""
    return pd.DataFrame({"project_id": np.asarray(project_ids, dtype=object), "indicator": indicators,
                         "kind": NOISE_KINDS[key]}, columns=["project_id", "indicator", "kind"])


def noise_log_rows(pids: np.ndarray, names: np.ndarray, masks: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([noise_log(pids[m], np.asarray(names, dtype=object)[m], k) for k, m in masks.items()],
                     ignore_index=True)


def choose(rng: np.random.Generator, eligible: np.ndarray, count: float) -> np.ndarray:
    """Exactly ``round(count)`` of the eligible items (fewer if there are not so many), at random: the
    project-level kinds hold their documented rate exactly, not only on average."""
    pool = np.flatnonzero(eligible)
    out = np.zeros(len(eligible), dtype=bool)
    out[rng.choice(pool, min(len(pool), int(round(count))), replace=False)] = True
    return out


def cell_noise(rng: np.random.Generator, rates: Noise, year: int, *, owner: np.ndarray, kind: np.ndarray,
                comp: np.ndarray, unit: np.ndarray, l1: np.ndarray, names: np.ndarray, tnum: np.ndarray,
                target_text: np.ndarray, act: np.ndarray, score: np.ndarray, weight: np.ndarray,
                missed: np.ndarray, ar: np.ndarray, ac: np.ndarray, a: np.ndarray, free: np.ndarray,
                busy: np.ndarray) -> dict:
    """The cell-level noise of real forms on the self-evaluation rows (and the declared target text,
    which both tables share). Each row takes at most one kind; rows outside ``free`` (planted anomalies)
    are left alone, and so, for the project-level kinds, are projects holding one or ``busy`` (those
    given 决策/过程 blocks, whose weights are their own). The unit's own score stays what the unit would have given
    for the value it meant, so every noisy row is a reading problem, not a scoring one."""
    n = len(kind)
    names, target_text = names.astype(object), target_text.astype(object)
    act, score, ar = act.astype(object), score.astype(float), ar.astype(float)
    weight = weight.astype(float)
    variant = rng.integers(0, 1_000_000, n)
    taken = ~free
    masks: dict[str, np.ndarray] = {}

    def take(key: str, eligible: np.ndarray, rest: float = 0.0) -> np.ndarray:
        """Rows of kind ``key``: its rate of the eligible rows (of those left by a kind that took
        ``rest`` of the same rows before it, so that both rates hold of the whole)."""
        nonlocal taken
        m = eligible & ~taken & (rng.random(n) < getattr(rates, key) / max(1e-9, 1.0 - rest))
        taken = taken | m
        masks[key] = m
        return m

    def pick(options: tuple, m: np.ndarray) -> np.ndarray:
        return np.array(options, dtype=object)[variant[m] % len(options)]

    numeric = np.isin(kind, ["qty", "rate", "cost", "cost_unit", "qty_rev", "zero"])
    qual, achieved_qual = kind == "qual", (kind == "qual") & (act == target_text)
    # qualitative: descriptive norms, satisfaction in words, degree words, negation
    m = take("descriptive_target", qual & np.isin(names, list(DESCRIPTIVE)))
    new = [DESCRIPTIVE[x] for x in names[m]]
    was = target_text[m].copy()
    names[m] = [x[0] for x in new]
    target_text[m] = [x[1] for x in new]
    act[m] = np.where(act[m] == was, target_text[m], act[m])
    m = take("qual_satisfaction", (l1 == "满意度指标") & (kind == "rate"))
    target_text[m] = "满意"
    act[m] = np.where(missed[m], pick(("基本满意", "不满意"), m), pick(("满意", "非常满意"), m))
    score[m] = np.where(missed[m], np.where(act[m] == "不满意", 0.3, 0.7) * weight[m], weight[m]).round(2)
    m = take("qual_degree", achieved_qual)
    act[m] = pick(DEGREE_WORDS, m)
    m = take("qual_negated", qual & missed)
    act[m], score[m] = pick(NEGATED_WORDS, m), np.round(weight[m] * 0.3, 2)
    m = take("qual_partial_words", qual & missed, rest=rates.qual_negated)
    act[m] = pick(PARTIAL_WORDS, m)
    # zero-event ceilings written without "=": 0起, ≤0起, 0件
    m = take("zero_words", kind == "zero")
    forms = np.array([("0起", "起"), ("≤0起", "起"), ("0件", "件")], dtype=object)[variant[m] % 3]
    target_text[m] = forms[:, 0]
    act[m] = [x.replace("次", u) for x, u in zip(act[m], forms[:, 1], strict=True)]
    # range targets on forward percentages the project met: 90%-95%, actual inside the range
    m = take("range_target", (kind == "rate") & (comp == "≥") & (tnum <= 95) & ~missed)
    sep = pick(("-", "~", "至"), m)
    target_text[m] = fmt_num(tnum[m]) + "%" + sep + fmt_num(tnum[m] + 5) + "%"
    ar[m] = np.round(tnum[m] + 5 * rng.random(int(m.sum())), 1)
    act[m], score[m] = fmt_num(ar[m]) + "%", weight[m]
    # comparators as PDF/OCR text and other forms print them
    m = take("ocr_comparator", numeric & np.isin(comp, list(OCR_VARIANTS)))
    sym = np.array([OCR_VARIANTS[c][v % len(OCR_VARIANTS[c])] for c, v in zip(comp[m], variant[m], strict=True)],
                   dtype=object)
    target_text[m] = sym + np.array([t[1:] for t in target_text[m]], dtype=object)
    # money: target in 元 (actual in 万元), or actual in 元 under a 万元 target
    m = take("money_yuan_target", kind == "cost")
    target_text[m] = ["≤" + f"{x * 10_000:,.0f}" + "元" for x in tnum[m]]
    m = take("money_yuan_actual", kind == "cost")
    act[m] = [(f"{x * 10_000:,.2f}" if v % 2 else f"{x * 10_000:.2f}") + "元" for x, v in zip(ac[m], variant[m],
                                                                                               strict=True)]
    # deadlines as dates are typed: 2022/12/31前, 2022.10.25
    m = take("date_spelling", kind == "date")
    sep = pick(("/", ".", "-"), m)
    for arr in (target_text, act):
        parts = pd.Series(arr[m], dtype=object).str.extract(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(.*)$")
        ok = parts[0].notna().to_numpy()
        arr[np.flatnonzero(m)[ok]] = (parts[0] + sep + parts[1] + sep + parts[2] + parts[3].fillna("")).to_numpy()[ok]
    # numbers: thousands separators, bare numbers that inherit the target's unit
    m = take("thousands", (kind == "qty") & (a >= 1000) & ~missed)
    act[m] = [f"{x:,.0f}" for x in a[m]] + unit[m].astype(object)
    m = take("bare_number", np.isin(kind, ["qty", "rate", "cost"]))
    act[m] = fmt_num(np.select([kind[m] == "qty", kind[m] == "rate"], [a[m], ar[m]], ac[m]))
    # unreadable and blank cells
    m = take("unreadable_actual", numeric)
    act[m] = pick(UNREADABLE_ACTUALS, m)
    m = take("blank_actual", np.ones(n, dtype=bool))
    act[m] = ""
    se_target = target_text.copy()
    m = take("blank_target", np.ones(n, dtype=bool))
    se_target[m] = ""
    m = take("blank_weight", np.ones(n, dtype=bool))
    weight[m] = np.nan
    # whole projects: no 分值 column; weights that do not add up (one weight moved by 5 or 10 points)
    planted_project = busy.copy()
    planted_project[owner[~free | masks["blank_weight"]]] = True  # a blank weight stays a one-cell blank
    n_projects = len(planted_project)
    no_column = choose(rng, ~planted_project, rates.no_weight_column * n_projects)
    masks["no_weight_column"] = no_column[owner]
    weight[no_column[owner]] = np.nan
    off = choose(rng, ~planted_project & ~no_column, rates.weights_off * n_projects)
    rows = np.flatnonzero(off[owner] & ~taken & ~np.isnan(weight))
    first = rows[np.unique(owner[rows], return_index=True)[1]]
    delta = np.where(weight[first] > 5, np.array([5.0, -5.0, 10.0])[variant[first] % 3], 5.0)
    full = score[first] >= weight[first] - 0.005
    weight[first] += delta
    score[first] = np.where(full, weight[first], np.minimum(score[first], weight[first]))
    masks["weights_off"] = np.isin(np.arange(n), first)
    return {"names": names, "target_text": target_text, "se_target": se_target, "act": act, "score": score,
            "ar": ar, "weight": weight, "masks": masks}


def framework_rows(rng: np.random.Generator, projects: np.ndarray,
                    project_id: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """决策/过程 rows of the 部门整体 projects that use the evaluation framework: two of four indicators in
    each block, 5 points each, under the heading spelling each form uses; mostly met, a few in part."""
    own_d, pick_d = distinct(rng, np.arange(4), np.full(len(projects), 2))
    own_p, pick_p = distinct(rng, np.arange(4, 8), np.full(len(projects), 2))
    owner = np.r_[own_d, own_p]
    idx = np.r_[pick_d, pick_p]
    order = np.argsort(owner, kind="stable")
    owner, idx = projects[owner[order]], idx[order]
    spelling = rng.integers(0, 2, len(projects))
    spell = pd.Series(spelling, index=projects)[owner].to_numpy()
    block = np.array([FRAMEWORK_BANK[i][0] for i in idx])
    level1 = np.where(block == 0, np.array(DECISION_L1)[spell], np.array(PROCESS_L1)[spell])
    target = np.array([FRAMEWORK_BANK[i][3] for i in idx], dtype=object)
    partial = rng.random(len(idx)) < 0.1
    act = np.where(partial, np.array([FRAMEWORK_BANK[i][4] for i in idx], dtype=object), target)
    w = float(FRAMEWORK_WEIGHT)
    score = np.where(partial, np.where(act == "96%", 0.96, 0.7) * w, w).round(2)
    common = {"project_id": project_id[owner], "level1": level1,
              "level2": [FRAMEWORK_BANK[i][1] for i in idx], "indicator": [FRAMEWORK_BANK[i][2] for i in idx],
              "target_text": target}
    tg = pd.DataFrame({**common, "weight": w})
    se = pd.DataFrame({**common, "actual_text": act, "weight": w, "unit_score": score, "deviation_reason": ""})
    return tg, se, owner


def first_in_project(extra: pd.DataFrame, frame: pd.DataFrame, project_id: np.ndarray) -> pd.DataFrame:
    """``extra`` rows placed before each project's own rows (a stable sort on the project's position)."""
    both = pd.concat([extra, frame], ignore_index=True)
    pos = pd.Series(np.arange(len(project_id)), index=project_id)[both["project_id"]].to_numpy()
    return both.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)


def distinct(rng: np.random.Generator, pool: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each project i, ``counts[i]`` distinct entries of ``pool`` (a random permutation per row)."""
    order = np.argsort(rng.random((len(counts), len(pool))), axis=1)
    take = np.arange(len(pool))[None, :] < np.minimum(counts, len(pool))[:, None]
    return np.repeat(np.arange(len(counts)), take.sum(axis=1)), pool[order[take]]
