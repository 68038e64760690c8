"""Synthetic districts: the first shaped like the seed report's (高新区（新市区）, 132 budget units), a
second of another province (青溪区, 60 units, another year and as-of month) — each a :class:`DemoDistrict`
whose name, places, documents and settings are data, not code; ``perfkit demo`` writes either as a
workspace (设置.yaml, 政策表述.yaml, the workbook).

Deterministic for a seed. It plants the anomalies real self-evaluation tables show and
records each one in ``planted`` so that tests can check the review finds them. On top of that it adds the
noise that real forms carry (blank cells, unreadable actuals, negated wording, mixed units, OCR
comparators, 决策/过程 blocks, a unit that did not report …) at the rates of :class:`Noise`, drawn from a
random stream of its own, and logs every noisy cell in ``noise``. ``clean=True`` leaves the noise out and
gives the same district otherwise (same units, projects, amounts and planted anomalies): the perfect
version, for tests that re-derive exact figures. Generation is vectorized with numpy so the same code
makes the million-project benchmark data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.io.contract import ARCHIVE_ITEMS, CATEGORIES
from perfkit.io.values import FEN_PER_WAN


@dataclass(frozen=True)
class DemoDistrict:
    """What makes one demo district differ from another: its name and places (unit and project names),
    its settings (issuer, local documents, contact, year, as-of month, size) and its policy passages
    (a file of ``demo_districts/``)."""

    key: str
    name: str
    streets: tuple[str, ...]
    towns: tuple[str, ...]
    documents: tuple[tuple[str, str], ...]
    policy: str  # file in perfkit/demo_districts/
    year: int = 2022
    month: int = 5  # the as-of month of its settings (the seed reports 1-5月)
    months: int = 12  # months of monitoring its data hold
    units: int = 132
    projects: int | None = None  # None: a seed-dependent 1,500–2,500
    seed: int = 2022
    issuer: str = ""
    contact: str = ""
    phone: str = ""
    copy_to: tuple[str, ...] = ()  # 抄送 of its letters (none: the letters carry no 抄送 line)
    capacity: tuple[int, int] = (8, 21)  # (units, projects) of a spot-check round


DEMO_TEXT = Path(__file__).parent / "demo_districts"
GAOXIN = DemoDistrict(
    key="gaoxin", name="高新区（新市区）",
    # streets and townships of 新市区: unit names (北京路派出所) and place-bound projects
    streets=("北京路", "二工", "三工", "石油新村", "迎宾路", "喀什东路", "北站西路", "银川路", "杭州路", "长春中路",
             "天津北路", "高新街", "六道湾", "七道湾", "鲤鱼山"),
    towns=("安宁渠镇", "二工乡", "青格达湖乡", "地窝堡乡", "六十户乡"),
    documents=(("中共中央 国务院关于全面实施预算绩效管理的意见", "中发〔2018〕34号"),
               ("自治区党委 自治区人民政府关于全面实施预算绩效管理的实施意见", "新党发〔2018〕30号"),
               ("乌鲁木齐市全面实施预算绩效管理工作的实施方案", "乌党发〔2019〕28号")),
    policy="gaoxin_policy.yaml", issuer="高新区（新市区）财政局")
# a second, invented district of another province: other places, documents, year, month and size
QINGXI = DemoDistrict(
    key="qingxi", name="青溪区",
    streets=("溪东", "溪西", "青园", "清波", "湖滨", "望江", "白云", "凤山", "柳营", "南星", "翠苑", "文新"),
    towns=("青溪镇", "石门镇", "梅林乡", "龙坞镇"),
    documents=(("中共中央 国务院关于全面实施预算绩效管理的意见", "中发〔2018〕34号"),
               ("财政部关于印发〈项目支出绩效评价管理办法〉的通知", "财预〔2020〕10号"),
               ("浙江省全面实施预算绩效管理的实施意见（示例）", "")),
    policy="qingxi_policy.yaml", year=2023, month=9, months=9, units=60, projects=620, seed=2031,
    issuer="青溪区财政局", contact="周敏", phone="0571-0000000", copy_to=("区人大常委会预算工委", "区审计局"),
    capacity=(5, 12))
DEMO_DISTRICTS = {d.key: d for d in (GAOXIN, QINGXI)}
DISTRICT = GAOXIN.name  # the first demo district's name (kept for callers of earlier versions)

# (department, how many budget units, unit-name stems, project-name stems)
DEPARTMENTS: list[tuple[str, int, list[str], list[str]]] = [
    ("教育局", 22, ["第{cn}中学", "第{cn}小学", "第{cn}幼儿园"],
     ["义务教育学校公用经费", "校舍维修改造", "学生营养改善计划", "教师培训", "教育信息化设备购置", "课后服务经费"]),
    ("卫生健康委员会", 12, ["{p}街道社区卫生服务中心", "第{cn}人民医院", "疾病预防控制中心"],
     ["基本公共卫生服务", "家庭医生签约服务", "医疗设备购置", "重大传染病防控", "妇幼健康服务"]),
    ("民政局", 6, ["社会福利中心", "救助管理站", "{p}街道养老服务中心"],
     ["城乡低保资金", "特困人员救助供养", "社区养老服务补贴", "临时救助资金", "残疾人两项补贴"]),
    ("农业农村局", 9, ["农业技术推广站", "{t}农业服务中心", "动物疫病防控中心", "{t2}农业服务中心"],
     ["高标准农田建设", "乡村振兴衔接资金", "农村人居环境整治", "动物防疫补助", "农业产业化发展"]),
    ("住房和城乡建设局", 8, ["建设工程质量安全监督站", "房产服务中心", "第{cn}市政工程管理所"],
     ["老旧小区改造", "保障性住房维修", "市政道路维护", "燃气安全检查", "建筑工地扬尘治理"]),
    ("城市管理局", 10, ["{p}环境卫生管理所", "园林绿化管理站", "{p}综合执法中队"],
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
    ("市场监督管理局", 6, ["食品药品检验所", "{p}市场监管所", "特种设备检验站"],
     ["食品安全抽检", "特种设备安全检查", "市场主体培育", "计量检定"]),
    ("科学技术局", 4, ["科技创新服务中心", "科技馆"],
     ["科技型企业补助", "科普活动", "创新平台建设", "科技成果转化奖励"]),
    ("公安分局", 14, ["{p}派出所", "交通警察大队", "刑事侦查大队"],
     ["社会治安防控体系建设", "视频监控运维", "禁毒宣传", "交通秩序整治", "警务装备购置"]),
    ("退役军人事务局", 14, ["{p}街道退役军人服务站", "光荣院", "军供站"],
     ["优抚对象补助", "退役军人就业培训", "烈士纪念设施维护", "双拥共建活动"]),
]
STREETS, TOWNS = GAOXIN.streets, GAOXIN.towns  # the first district's places (earlier callers)
# project stems named after the place they are built in, not the unit (2022年北京路街道老旧小区改造项目)
URBAN_STEMS = ("老旧小区改造", "市政道路维护", "城市道路清扫保洁", "园林绿化养护", "公厕运维", "燃气安全检查")
RURAL_STEMS = ("高标准农田建设", "农村人居环境整治", "农村公路养护", "乡村振兴衔接资金", "动物防疫补助")
# stems that already read as the name of a fund; the others take 项目
FUND_ENDINGS = ("经费", "资金", "补贴", "补助", "计划", "专项")
CN_DIGITS = "零一二三四五六七八九"
GENERIC_PROJECTS = ["办公设备购置", "信息化系统运维", "人员培训经费", "网格化管理经费", "安全保卫服务", "档案数字化",
                    "党建工作经费", "志愿服务活动", "宣传印刷经费", "公务用车运行维护", "物业管理服务", "政府购买服务"]

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
    kind (code: the unit's next free sequence from 900; name: next year's, marked 新建). No budget,
    execution or self-evaluation this year; one in ten without a filled request, as units send them."""
    base = projects.loc[chosen].copy()
    seq = base.groupby("unit_id").cumcount().to_numpy() + 900
    base["project_id"] = base["project_id"].str.slice(0, -3) + pd.Series(seq, index=base.index).astype(str)
    base["project_name"] = (base["project_name"].str.replace(f"^{year}年", f"{year + 1}年", regex=True)
                            .str.replace(r"（[^）]*）$", "", regex=True).str.replace(r"项目$|经费$", "", regex=True)
                            + "（新建）")
    base["new_major"] = True
    base["key_project"] = False
    for c in ("budget_initial", "budget", "spent"):
        base[c] = pd.array([pd.NA] * len(base), dtype="Int64")
    asked = rng.random(len(base)) >= 0.1
    base["requested"] = pd.array(np.where(asked, request[chosen] * 2, 0), dtype="Int64")
    base["requested"] = base["requested"].where(asked)
    return base


def _fmt_num(x: np.ndarray) -> np.ndarray:
    """Numbers as users write them: 120, 96.5, 474.85 (at most 2 decimals, no trailing zeros)."""
    text = np.char.mod("%.2f", np.asarray(x, dtype=float))
    return np.char.rstrip(np.char.rstrip(text, "0"), ".")


def generate(seed: int = 2022, year: int = 2022, n_projects: int | None = None,
             months: int = 12, units_total: int = 132, indicators: int | None = None,
             stream_months: bool = False, clean: bool = False, noise: Noise | None = None,
             district: DemoDistrict = GAOXIN) -> Demo:
    """Generate the demo district. ``n_projects`` defaults to a seed-dependent 1,500–2,500;
    ``indicators`` fixes the number per project (5 output, 2 outcome, 1 satisfaction when 8), as the
    benchmarks ask, instead of the realistic 5–12. With ``stream_months`` the 指标监控 table (the bulk at
    scale: indicators × 12) is left out of ``tables`` and produced month by month by ``ind_month``.
    ``clean`` leaves out the real-form noise (``noise`` sets its rates; default :class:`Noise`).
    ``district`` gives the names of the district and its places (default: the first demo district)."""
    rng = np.random.default_rng(seed)
    rates = Noise.none() if clean else (noise or Noise())
    rng_n = np.random.default_rng([seed, 11])  # the noise has its own stream: clean and noisy share the rest
    log: list[pd.DataFrame] = []
    # ---------------------------------------------------------------- units
    unit_rows = []
    scale = units_total / sum(d[1] for d in DEPARTMENTS)
    for d_i, (dept, n_units, stems, _) in enumerate(DEPARTMENTS, start=101):
        n = max(1, round(n_units * scale))
        for k in range(n):
            stem, rep = stems[k % len(stems)], k // len(stems)  # rep: how many units of this stem came before
            place = district.streets[(rep + 3 * d_i) % len(district.streets)]
            towns = district.towns
            name = stem.format(cn=_cn(rep + 1), p=place, t=towns[rep % len(towns)], t2=towns[(rep + 1) % len(towns)])
            if "{" not in stem and rep > 0:  # a second 交通警察大队 is named after its place
                name = place + name
            name = dept if k == 0 else district.name + name
            if any(r[1] == name for r in unit_rows):
                name = f"{name}第{_cn(rep + 1)}分部"
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
    # a unit runs through its department's stems (from a random start) before it repeats one
    start = pick[np.r_[0, np.cumsum(per_unit)[:-1]]][p_unit]
    stem = np.array([stems_by_dept[d][k % len(stems_by_dept[d])] for d, k in zip(dept_idx, start + seq, strict=True)])
    unit_names = units["unit_name"].to_numpy()[p_unit]
    short = np.char.replace(unit_names.astype(str), district.name, "")
    category = rng.choice(np.array(CATEGORIES[1:]), np_, p=[0.72, 0.2, 0.08])
    rural_dept = np.isin(dept_idx, [3, 2])  # 农业农村局, 民政局 hold most 乡村振兴 money
    category = np.where(rural_dept & (rng.random(np_) < 0.45), "乡村振兴资金支出", category)
    whole = seq == 0
    category = np.where(whole, "部门整体支出", category)
    name = _project_names(stem, short, whole, pick, year, district)
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
    # noise: spent above the budget (carry-over spent), among projects that spent it all (their execution
    # score, capped at 100%, stays what it was; the rate is still of all projects)
    over = _choose(rng_n, final_rate >= 1.0, rates.over_execution * np_)
    final_rate = np.where(over, rng_n.uniform(1.005, 1.12, np_), final_rate)
    log.append(_log(project_id[over], "", "over_execution"))
    framework = _choose(rng_n, whole, rates.framework * whole.sum())  # noise: 决策/过程 blocks on 部门整体支出
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
    # noise: what real forms do to cells (rows with a planted anomaly are left as planted)
    planted_row = p_full | p_copy | p_tier | p_unread | p_renamed
    cells = _cell_noise(rng_n, rates, year, owner=owner, kind=kind, comp=comp, unit=unit, l1=l1, names=names,
                        tnum=tnum, target_text=target_text, act=act, score=score, weight=weights, missed=missed,
                        ar=ar, ac=ac, a=a, free=~planted_row, busy=framework)
    names, target_text, act, score, ar = cells["names"], cells["target_text"], cells["act"], cells["score"], cells["ar"]
    se_names = np.where(p_renamed, se_names, names)
    se_target, se_weight = cells["se_target"], cells["weight"]
    log.append(_log_rows(project_id[owner], se_names, cells["masks"]))
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
        fw_t, fw_se, fw_owner = _framework_rows(rng_n, np.flatnonzero(framework), project_id)
        log.append(_log(fw_se["project_id"].to_numpy(), fw_se["indicator"].to_numpy(), "framework"))
        targets = _first_in_project(fw_t, targets, project_id)
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
    no_exec_w = _choose(rng_n, settled, rates.blank_exec_weight * np_)
    exec_weight = np.where(no_exec_w, np.nan, exec_weight)
    log.append(_log(project_id[no_exec_w], "", "blank_exec_weight"))
    no_spent = _choose(rng_n, settled & ~over, rates.blank_spent * np_)
    projects["spent"] = projects["spent"].mask(np.r_[no_spent, np.zeros(len(projects) - np_, bool)])  # + requests
    log.append(_log(project_id[no_spent], "", "blank_spent"))
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
    log.append(_log(project_id[silent_all], "", "silent_units"))
    log.append(_log(project_id[silent_ind], "", "silent_indicator_units"))
    exec_monitor = exec_monitor[~(np.repeat(silent_all, months) & (exec_monitor["month"] >= rates.as_of_month)
                                  .to_numpy())].reset_index(drop=True)
    row_silent_all, row_silent_ind = silent_all[owner], silent_ind[owner]

    def ind_month(month: int) -> pd.DataFrame:
        """指标监控 rows of one month (cumulative completion), built on demand to keep memory flat."""
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


def _log(project_ids: np.ndarray, indicators: np.ndarray | str, key: str) -> pd.DataFrame:
    """Rows of the noise log: which project (and indicator) carries which kind of noise."""
    return pd.DataFrame({"project_id": np.asarray(project_ids, dtype=object), "indicator": indicators,
                         "kind": NOISE_KINDS[key]}, columns=["project_id", "indicator", "kind"])


def _log_rows(pids: np.ndarray, names: np.ndarray, masks: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat([_log(pids[m], np.asarray(names, dtype=object)[m], k) for k, m in masks.items()],
                     ignore_index=True)


def _choose(rng: np.random.Generator, eligible: np.ndarray, count: float) -> np.ndarray:
    """Exactly ``round(count)`` of the eligible items (fewer if there are not so many), at random: the
    project-level kinds hold their documented rate exactly, not only on average."""
    pool = np.flatnonzero(eligible)
    out = np.zeros(len(eligible), dtype=bool)
    out[rng.choice(pool, min(len(pool), int(round(count))), replace=False)] = True
    return out


def _cell_noise(rng: np.random.Generator, rates: Noise, year: int, *, owner: np.ndarray, kind: np.ndarray,
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
    target_text[m] = _fmt_num(tnum[m]) + "%" + sep + _fmt_num(tnum[m] + 5) + "%"
    ar[m] = np.round(tnum[m] + 5 * rng.random(int(m.sum())), 1)
    act[m], score[m] = _fmt_num(ar[m]) + "%", weight[m]
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
    act[m] = _fmt_num(np.select([kind[m] == "qty", kind[m] == "rate"], [a[m], ar[m]], ac[m]))
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
    no_column = _choose(rng, ~planted_project, rates.no_weight_column * n_projects)
    masks["no_weight_column"] = no_column[owner]
    weight[no_column[owner]] = np.nan
    off = _choose(rng, ~planted_project & ~no_column, rates.weights_off * n_projects)
    rows = np.flatnonzero(off[owner] & ~taken & ~np.isnan(weight))
    first = rows[np.unique(owner[rows], return_index=True)[1]]
    delta = np.where(weight[first] > 5, np.array([5.0, -5.0, 10.0])[variant[first] % 3], 5.0)
    full = score[first] >= weight[first] - 0.005
    weight[first] += delta
    score[first] = np.where(full, weight[first], np.minimum(score[first], weight[first]))
    masks["weights_off"] = np.isin(np.arange(n), first)
    return {"names": names, "target_text": target_text, "se_target": se_target, "act": act, "score": score,
            "ar": ar, "weight": weight, "masks": masks}


def _framework_rows(rng: np.random.Generator, projects: np.ndarray,
                    project_id: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """决策/过程 rows of the 部门整体 projects that use the evaluation framework: two of four indicators in
    each block, 5 points each, under the heading spelling each form uses; mostly met, a few in part."""
    own_d, pick_d = _distinct(rng, np.arange(4), np.full(len(projects), 2))
    own_p, pick_p = _distinct(rng, np.arange(4, 8), np.full(len(projects), 2))
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


def _first_in_project(extra: pd.DataFrame, frame: pd.DataFrame, project_id: np.ndarray) -> pd.DataFrame:
    """``extra`` rows placed before each project's own rows (a stable sort on the project's position)."""
    both = pd.concat([extra, frame], ignore_index=True)
    pos = pd.Series(np.arange(len(project_id)), index=project_id)[both["project_id"]].to_numpy()
    return both.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)


def _cn(n: int) -> str:
    """1 → 一, 12 → 十二, 35 → 三十五 (ordinals in unit and batch names); arabic from 100 on."""
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones or not tens else "")


def _project_names(stem: np.ndarray, short: np.ndarray, whole: np.ndarray, pick: np.ndarray,
                   year: int, district: DemoDistrict = GAOXIN) -> np.ndarray:
    """Project names as units write them, unique within the year: 2022年北京路街道老旧小区改造项目,
    2022年第三中学课后服务经费, 北京路派出所2022年度部门整体支出. Place-bound works are named after a
    street or township, the rest after the unit; a repeat takes （二期） or （第二批）, never a glued digit."""
    stem_s = pd.Series(stem, dtype=object)
    streets, towns = np.array(district.streets), np.array(district.towns)
    street = pd.Series(streets[(pick // 7) % len(streets)], dtype=object) + "街道"
    town = pd.Series(towns[(pick // 7) % len(towns)], dtype=object)
    where = pd.Series(short, dtype=object).mask(stem_s.isin(URBAN_STEMS), street).mask(stem_s.isin(RURAL_STEMS), town)
    fund = stem_s.str.endswith(FUND_ENDINGS).to_numpy()
    body = f"{year}年" + where + stem_s + np.where(fund, "", "项目")
    rep = body.groupby(body, sort=False).cumcount().to_numpy() + 1
    ordinal = pd.Series(rep).map({k: _cn(k) for k in np.unique(rep)})
    tail = np.where(rep == 1, "", np.where(fund, "（第" + ordinal + "批）", "（" + ordinal + "期）"))
    name = body + tail
    return name.where(~np.asarray(whole), pd.Series(short, dtype=object) + f"{year}年度部门整体支出").to_numpy()


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
        "noise": write_csv(demo.noise.rename(columns={"project_id": "项目编码", "indicator": "三级指标",
                                                      "kind": "噪声类型"}), out / "noise.csv"),
    }
    return paths


# ---------------------------------------------------------------------------------------------- years
# Earlier years of the same district, for the archive's comparisons and the multi-year rule: the same
# units and projects (the same seed), each year's project codes carrying that year (as the codes above
# do) and linked to the next year's in a 编码变更 sheet of the last year's workbook. Grades evolve: in
# each earlier year a share of the projects met every target (those that are weak now improved since
# or got worse), so some projects are unsatisfactory one, two or three years running.
EARLIER_YEAR_MET_SHARE = {1: 0.2, 2: 0.35}  # years before the last → share of projects that met all targets


def _met_all_targets(self_eval: pd.DataFrame, chosen: np.ndarray) -> pd.DataFrame:
    """The chosen projects' actuals as if every target was met: the target's value without its
    comparator (a number, a range's upper end, a deadline), or 达成预期指标 for a qualitative target."""
    out = self_eval.copy()
    rows = out["project_id"].isin(chosen).to_numpy()
    target = out.loc[rows, "target_text"].astype("string").fillna("")
    value = target.str.replace(r"^\s*(?:[≥≤=＞＜><≧≦⩾⩽＝﹦]=?|不低于|不少于|不高于|不超过|达到)\s*", "", regex=True)
    value = value.str.replace(r"^.*?[-~～至—]\s*", "", regex=True)  # a range: its upper end
    numeric = value.str.match(r"^[\d.,]+")
    dated = target.str.contains(r"\d{4}年|\d{4}[/.-]\d", regex=True)
    out.loc[rows, "actual_text"] = value.where(numeric | dated, "达成预期指标").to_numpy()
    return out


EARLIER_YEAR_PACE = (0.92, 1.25)  # an earlier year's in-year spending, per project, relative to the last year's


def _other_pace(exec_monitor: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """An earlier year spends at its own pace through the year (same year-end 执行数): each project's
    cumulative spending before December scaled by its own factor, capped at the year's total, never
    falling from one month to the next — so each year's in-year warnings differ, as real years' do."""
    em = exec_monitor.sort_values(["project_id", "month"], kind="stable").reset_index(drop=True)
    pid = em["project_id"].astype(object)
    codes, uniques = pd.factorize(pid)
    factor = rng.uniform(*EARLIER_YEAR_PACE, len(uniques))[codes]
    cum = em["spent_cum"].astype("Float64").to_numpy(float, na_value=np.nan)
    final = em.groupby(codes)["spent_cum"].transform("last").astype("Float64").to_numpy(float, na_value=np.nan)
    last_month = em["month"].eq(em.groupby(codes)["month"].transform("max")).to_numpy()
    paced = np.where(last_month, cum, np.minimum(np.floor(cum * factor), final))
    paced = pd.Series(paced).groupby(codes).cummax().to_numpy()
    em["spent_cum"] = pd.array(np.where(np.isnan(cum), np.nan, paced), dtype="Float64").round().astype("Int64")
    return em


def generate_years(seed: int = 2022, year: int = 2022, years: int = 3, clean: bool = False,
                   n_projects: int | None = None, **kwargs) -> dict[int, Demo]:
    """``years`` consecutive years of the same district, the last one ``year`` (which carries the
    编码变更 sheet linking every earlier code to the next year's); ``kwargs`` go to :func:`generate`."""
    out: dict[int, Demo] = {}
    last = generate(seed=seed, year=year, clean=clean, n_projects=n_projects, **kwargs)
    changes = []
    for back in range(years - 1, 0, -1):
        y = year - back
        demo = generate(seed=seed, year=y, clean=clean, n_projects=n_projects, **kwargs)
        rng = np.random.default_rng([seed, y])
        ids = demo.tables["projects"]["project_id"].to_numpy()
        met = ids[rng.random(len(ids)) < EARLIER_YEAR_MET_SHARE.get(back, 0.35)]
        demo.tables["self_eval"] = _met_all_targets(demo.tables["self_eval"], met)
        demo.tables["exec_monitor"] = _other_pace(demo.tables["exec_monitor"], rng)
        out[y] = demo
        nxt = generate_codes(ids, y, y + 1)
        changes.append(pd.DataFrame({"old_id": ids, "new_id": nxt, "year": y + 1}))
    last.tables["code_changes"] = pd.concat(changes, ignore_index=True) if changes else \
        pd.DataFrame(columns=["old_id", "new_id", "year"])
    out[year] = last
    return out


def generate_codes(ids: np.ndarray, old_year: int, new_year: int) -> np.ndarray:
    """The same project's code in another year: the codes start with their year."""
    rest = pd.Series(np.asarray(ids).astype(str)).str.slice(len(str(old_year)))
    return (str(new_year) + rest).to_numpy()


# ---------------------------------------------------------------------------------------------- workspace
def generate_district(district: DemoDistrict = GAOXIN, years: int = 1, clean: bool = False,
                      seed: int | None = None, year: int | None = None,
                      n_projects: int | None = None) -> dict[int, Demo]:
    """A demo district's data, one :class:`Demo` per year (the last is the year reported on)."""
    kwargs = {"district": district, "months": district.months, "units_total": district.units,
              "noise": Noise(as_of_month=min(district.month, district.months))}
    return generate_years(seed=district.seed if seed is None else seed, year=year or district.year,
                          years=years, clean=clean, n_projects=n_projects or district.projects, **kwargs)


def write_workspace(district: DemoDistrict, demos: dict[int, Demo], out: Path) -> dict[str, Path]:
    """Write the demo district as a workspace: its 设置.yaml and 政策表述.yaml (what ``perfkit init``
    writes, filled in for this district), the last year's workbook ``demo.xlsx`` (and CSV folder), each
    earlier year's in ``<out>/<year>/``; the archive (``perfkit.duckdb``) is built by ``perfkit archive
    add`` from the earlier years."""
    from perfkit.io.settings import init_workspace, settings_text

    out = Path(out)
    last = max(demos)
    for y, demo in demos.items():
        if y != last:
            write_demo(demo, out / str(y))
    paths = write_demo(demos[last], out)
    policy = (DEMO_TEXT / district.policy).read_text(encoding="utf-8")
    fields_ = {"issuer": district.issuer, "documents": [{"名称": n, "文号": d} for n, d in district.documents],
               "contact": district.contact, "phone": district.phone, "copy_to": list(district.copy_to), "year": last, "month": district.month,
               "units": district.capacity[0], "projects": district.capacity[1], "data": "demo.xlsx",
               "archive": "perfkit.duckdb"}
    settings_file = out / "设置.yaml"
    if settings_file.exists():  # a demo regenerated in place: its settings are the demo's, rewritten
        settings_file.write_text(settings_text(district=district.name, **fields_), encoding="utf-8")
        (out / "政策表述.yaml").write_text(policy, encoding="utf-8")
    else:
        init_workspace(out, district=district.name, policy_text=policy, **fields_)
    return {**paths, "settings": settings_file}
