"""The demo districts: what makes one differ from another (name, streets and townships, documents,
settings, size) — data, not code. The first is shaped like the seed report's (高新区（新市区）, 132
budget units); the second, 青溪区, is of another province, year and as-of month."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


DEMO_TEXT = Path(__file__).parents[1] / "demo_districts"
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

