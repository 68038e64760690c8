"""The data contract as data: the one place where the Chinese headers of the
official forms meet perfkit's internal column names.

Users fill these tables in Excel/WPS, so every header, enumeration and hint here is what they see.
Loading, validation, templates and exports all read this module; nothing else spells a header.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Kind = Literal["text", "int", "number", "money", "bool", "enum", "percent"]

CATEGORIES = ("部门整体支出", "部门项目支出", "专项转移支付项目支出", "乡村振兴资金支出")
MONITOR_CLASSES = ("一般项目", "转移支付项目")
# 决策 / 过程: the level-1 blocks of the 财预〔2020〕10号 evaluation framework, under the spellings forms use
LEVEL1 = ("产出指标", "效益指标", "满意度指标", "成本指标", "决策指标", "过程指标",
          "决策", "项目决策", "过程", "项目过程", "项目管理")
LIKELIHOOD = ("确定能", "有可能", "完全不可能")
GRADES = ("优", "良", "中", "差")
EXANTE_DIMENSIONS = ("立项必要性", "投入经济性", "绩效目标合理性", "实施方案可行性", "筹资合规性")


def _limits() -> dict[str, dict]:
    """The plausible ranges of entered values (limits.yaml: description, unit, basis and source beside each
    value): data, like the rulebook, so that an auditor reads why a cell was quarantined."""
    import yaml

    with open(Path(__file__).with_name("limits.yaml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


LIMITS = _limits()
# An amount above this (万元) is a typing error (元 entered under a 万元 header, extra zeros)
MAX_WAN = float(LIMITS["money_max"]["value"])
MAX_SCORE = float(LIMITS["score_max"]["value"])  # 分值 and 得分 are on the 100-point scale
MIN_YEAR, MAX_YEAR = (int(y) for y in LIMITS["years"]["value"])
ARCHIVE_ITEMS = ("政策制度文件", "资金拨付明细", "项目申报材料", "评审材料", "实施材料", "验收材料", "满意度调查")


# The 涉密 flag's headers on real forms . A 密级 column holds a level
# rather than 是/否: 绝密 / 机密 / 秘密 (the three levels of 《保守国家秘密法》) mean 涉密; 无 / 非密 / 公开 /
# blank mean not.
CLASSIFIED_ALIASES = ("是否涉密", "涉密项目", "是否涉密项目", "是否为涉密项目", "涉密情况", "涉密标识", "涉密属性",
                      "密级", "涉密等级", "保密等级", "项目密级")
SECRET_LEVELS = ("绝密", "机密", "秘密")
CLASSIFIED_TRUE_WORDS = frozenset({"涉密", "是涉密", "属于涉密", *SECRET_LEVELS})
CLASSIFIED_FALSE_WORDS = frozenset({"无", "非密", "非涉密", "不涉密", "公开", "不属于涉密", "-", "—", "/"})
# A header that says the opposite of 涉密 ("是否非涉密"): its 是 would mean public — never guessed at
CLASSIFIED_NEGATIONS = ("非涉密", "不涉密", "非密")


@dataclass(frozen=True)
class Column:
    """One column of a contract table: its header as printed on the form and how to read it."""

    header: str
    name: str
    kind: Kind = "text"
    required: bool = False  # the column must be present and every row must have a value
    choices: tuple[str, ...] = ()
    hint: str = ""
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    display: bool = False  # a name shown to people: trimmed, but its full-width characters kept as typed


@dataclass(frozen=True)
class Table:
    """One sheet (or one CSV/Parquet file) of the contract."""

    sheet: str
    name: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # internal names whose combination must be unique
    description: str = ""
    needs_project: bool = field(default=True)  # rows refer to 项目编码

    @property
    def by_header(self) -> dict[str, Column]:
        return {c.header: c for c in self.columns}

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_PID = Column("项目编码", "project_id", required=True, hint="与「项目」表一致的项目编码")
_L1 = Column("一级指标", "level1", "enum", choices=LEVEL1,
             hint="产出指标/效益指标/满意度指标/成本指标/决策指标/过程指标")
_L2 = Column("二级指标", "level2", hint="如 数量指标、质量指标、时效指标、社会效益指标、服务对象满意度指标")
_L3 = Column("三级指标", "indicator", required=True, hint="指标名称")

UNITS = Table("单位", "units", (
    Column("单位编码", "unit_id", required=True, hint="预算单位编码，唯一"),
    Column("单位名称", "unit_name", required=True, hint="预算单位全称", display=True),
    Column("主管部门", "department", hint="主管部门名称", display=True),
), unique=("unit_id",), description="预算单位", needs_project=False)

PROJECTS = Table("项目", "projects", (
    Column("项目编码", "project_id", required=True, hint="同一年度内唯一"),
    Column("项目名称", "project_name", required=True, hint="项目全称", display=True),
    Column("单位编码", "unit_id", hint="须在「单位」表中"),
    Column("年度", "year", "int", hint="如 2022", minimum=MIN_YEAR, maximum=MAX_YEAR),
    Column("支出类别", "category", "enum", choices=CATEGORIES, hint="四类之一"),
    Column("监控分类", "monitor_class", "enum", choices=MONITOR_CLASSES, hint="一般项目/转移支付项目"),
    Column("重点项目", "key_project", "bool", hint="是/否"),
    Column("新增重大项目", "new_major", "bool", hint="是/否"),
    Column("民生项目", "livelihood", "bool", hint="是/否"),
    Column("涉密", "classified", "bool", hint="是/否（或密级：绝密/机密/秘密，非密填 无）；涉密项目不进入任何公开文件",
           aliases=CLASSIFIED_ALIASES),
    Column("年初预算数", "budget_initial", "money", hint="万元；表头写（元）则按元读入", minimum=0, maximum=MAX_WAN),
    Column("全年预算数", "budget", "money", hint="万元", minimum=0, maximum=MAX_WAN),
    Column("全年执行数", "spent", "money", hint="万元；年度结束前可空", minimum=0, maximum=MAX_WAN),
    Column("下年度申请数", "requested", "money", hint="万元；新增重大项目申请下一年度安排的预算，事前评估关口按此计",
           minimum=0, maximum=MAX_WAN, aliases=("下年度预算申请数", "申请预算数", "申请金额")),
), unique=("project_id", "year"), description="项目", needs_project=False)

TARGETS = Table("绩效目标", "targets", (
    _PID, _L1, _L2, _L3,
    Column("指标值", "target_text", hint="按表填写：≥50个、≤90万元、100%、=0、效果明显、2022年12月31日前",
           aliases=("年度指标值", "目标值")),
    Column("分值", "weight", "number", hint="该指标分值", minimum=0, maximum=MAX_SCORE),
    Column("指标性质", "comparator_text", hint="可选：≥ ≤ = 等（比较符单列的表样）"),
    Column("计量单位", "unit_text", hint="可选：个、万元、% 等", aliases=("度量单位",)),
), description="绩效目标（三级指标）")

EXEC_MONITOR = Table("执行监控", "exec_monitor", (
    _PID,
    Column("月份", "month", "int", required=True, hint="1–12", minimum=1, maximum=12),
    Column("累计执行数", "spent_cum", "money", required=True, hint="截至该月累计，万元", minimum=0, maximum=MAX_WAN),
), unique=("project_id", "month"), description="预算执行监控（按月累计）")

IND_MONITOR = Table("指标监控", "ind_monitor", (
    _PID,
    Column("月份", "month", "int", required=True, hint="1–12", minimum=1, maximum=12),
    _L3,
    Column("累计完成值", "done_text", hint="截至该月累计完成值"),
    Column("全年预计完成值", "forecast_text", hint="可选"),
    Column("完成目标可能性", "likelihood", "enum", choices=LIKELIHOOD, hint="确定能/有可能/完全不可能"),
    Column("偏差原因", "deviation_reason", hint="可选"),
), description="绩效目标监控（按月累计）")

SELF_EVAL = Table("绩效自评", "self_eval", (
    _PID, _L1, _L2, _L3,
    Column("指标值", "target_text", hint="自评表所列年度指标值", aliases=("年度指标值",)),
    Column("实际完成值", "actual_text", hint="实际完成值"),
    Column("分值", "weight", "number", hint="该指标分值；表样无分值列时可空", minimum=0, maximum=MAX_SCORE),
    Column("得分", "unit_score", "number", hint="单位自评得分", minimum=0, maximum=MAX_SCORE),
    Column("偏差原因分析及改进措施", "deviation_reason", hint="未完成或超额 30% 以上须说明",
           aliases=("偏差原因分析", "偏差原因")),
    Column("指标性质", "comparator_text", hint="可选：≥ ≤ = 等（比较符单列的表样）"),
    Column("计量单位", "unit_text", hint="可选：个、万元、% 等", aliases=("度量单位",)),
), description="项目支出绩效自评（每个三级指标一行）")

SELF_SUMMARY = Table("自评汇总", "self_summary", (
    _PID,
    Column("执行率分值", "exec_weight", "number", hint="一般 10 分，部分省份 20 分", minimum=0, maximum=MAX_SCORE),
    Column("执行率得分", "unit_exec_score", "number", hint="单位自评的执行率得分", minimum=0, maximum=MAX_SCORE),
    # no upper bound: a total above 100 is a review finding (自评总分超过满分), not a reason to set the
    # row aside with its 执行率分值
    Column("自评总分", "unit_total", "number", hint="单位自评总分", minimum=0),
    Column("自评等级", "unit_grade", "enum", choices=GRADES, hint="优/良/中/差，可空"),
), unique=("project_id",), description="项目自评汇总（每个项目一行）")

EXANTE = Table("事前评估", "exante", (
    _PID,
    *(Column(d, f"exante_{i}", "number", hint="0–20 分（默认满分 20）", minimum=0, maximum=MAX_SCORE)
      for i, d in enumerate(EXANTE_DIMENSIONS, start=1)),
    Column("评估结论", "conclusion_text", hint="可空，由规则计算"),
), unique=("project_id",), description="新增重大项目事前绩效评估")

ARCHIVE = Table("评价档案", "archive", (
    _PID,
    *(Column(a, f"archive_{i}", "bool", hint="是/否") for i, a in enumerate(ARCHIVE_ITEMS, start=1)),
), unique=("project_id",), description="绩效评价档案清单")

CODE_CHANGES = Table("编码变更", "code_changes", (
    Column("原项目编码", "old_id", required=True, hint="以前年度使用的项目编码"),
    Column("新项目编码", "new_id", required=True, hint="本年度的项目编码"),
    Column("变更年度", "year", "int", hint="启用新编码的年度，如 2023", minimum=MIN_YEAR, maximum=MAX_YEAR),
), unique=("old_id",), description="项目编码变更（跨年度比较与连续评级按新编码衔接）", needs_project=False)

TABLES: tuple[Table, ...] = (
    UNITS, PROJECTS, TARGETS, EXEC_MONITOR, IND_MONITOR, SELF_EVAL, SELF_SUMMARY, EXANTE, ARCHIVE, CODE_CHANGES,
)
BY_SHEET: dict[str, Table] = {t.sheet: t for t in TABLES}
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Booleans as users type them: 是/否, Y/N, 1/0, TRUE/FALSE, ✓/空.
TRUE_WORDS = frozenset({"是", "y", "yes", "1", "1.0", "true", "✓", "√", "✔", "对"})
FALSE_WORDS = frozenset({"否", "n", "no", "0", "0.0", "false", "", "×", "✗", "x"})


# Characters that change nothing a reader sees (zero-width space/joiners, soft hyphen, BOM, bidi marks) and
# the traditional forms of the characters that say 涉密 (機密, 絕密, 祕密, 密級): folded away before any
# 涉密 header, value, sheet name or project name is compared, so 「機 密」 reads as 机密
_INVISIBLE = re.compile(r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u2028-\u202e"
                        r"\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]+")
_TRADITIONAL = str.maketrans({"機": "机", "絕": "绝", "祕": "秘", "級": "级", "項": "项", "編": "编", "碼": "码",
                              "單": "单", "無": "无", "號": "号", "稱": "称", "涉": "涉", "屬": "属", "於": "于",
                              "開": "开", "淸": "清", "絶": "绝"})


def fold(text: object) -> str:
    """Text as the 涉密 checks compare it: NFKC (full-width, compatibility forms), without white space or
    invisible characters, traditional 涉密 characters as simplified, an Excel text apostrophe dropped."""
    t = _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(text)))
    return t.translate(_TRADITIONAL).removeprefix("'")


def classified_state(value: object) -> Literal["blank", "secret", "clear", "unreadable"]:
    """One 涉密 / 是否涉密 / 密级 cell: blank, 涉密, not 涉密, or unreadable (a word that says neither).

    Reads 是/否 as every boolean does, and a 密级 as above: a value carrying 绝密 / 机密 / 秘密
    (``秘密★5年``, ``机密级``) is 涉密 unless it negates (非涉密)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType") or (isinstance(value, float) and value != value):
        return "blank"
    text = fold(value)
    key = text.lower()
    if key == "":
        return "blank"
    if key in FALSE_WORDS or key in CLASSIFIED_FALSE_WORDS or any(n in text for n in CLASSIFIED_NEGATIONS):
        return "clear"
    if key in TRUE_WORDS or key in CLASSIFIED_TRUE_WORDS or any(w in text for w in SECRET_LEVELS):
        return "secret"
    return "unreadable"


def classified_flag(value: object) -> bool | None:
    """The loader's reading of a 涉密 cell: 涉密 → True, not 涉密 or blank → False, unreadable → None
    (quarantined). Disclosure reads blank cells more strictly (perfkit.reporting.disclosure)."""
    state = classified_state(value)
    return None if state == "unreadable" else state == "secret"


def headers(table: Table) -> list[str]:
    """The Chinese headers of a table, in form order."""
    return [c.header for c in table.columns]
