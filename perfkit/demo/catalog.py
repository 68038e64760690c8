"""The demo's units and project names as data (``data/catalog.yaml``): which kinds of budget unit each
主管部门 has, which projects each kind runs, and for each project name its 支出类别 and a plausible
amount range — so a 市场监管所 does not run a 2,000万元 printing project, 烈士纪念设施 are not
乡村振兴 money, and a street's cleaning belongs to that street's own 环卫所."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from perfkit.demo.districts import GAOXIN, DemoDistrict

CATALOG = Path(__file__).parent / "data" / "catalog.yaml"
OWN = "本级"  # the kind of a department's own budget unit (named as the department)
# stems that already read as the name of a fund; the others take 项目
FUND_ENDINGS = ("经费", "资金", "补贴", "补助", "计划", "专项")
CN_DIGITS = "零一二三四五六七八九"


@dataclass(frozen=True)
class Stem:
    """One project name of the catalog: the categories it may be filed under (the first the usual one),
    its amount range in 万元, and whether it is named after a street or township."""

    name: str
    categories: tuple[str, ...]
    amount: tuple[float, float]
    place: str = ""  # "", "street" or "town"


@dataclass(frozen=True)
class Catalog:
    generic: tuple[str, ...]
    whole: dict[str, tuple[float, float]]  # 部门整体支出 ranges: 本级, 单位 (the default for a kind)
    stems: dict[str, Stem]
    departments: tuple[dict, ...]  # name, units, own, kinds [{unit, projects, whole}]

    def kind(self, dept: int, kind: str) -> dict:
        """One kind of unit of department ``dept`` (its position), or the department's own (本级)."""
        d = self.departments[dept]
        if kind == OWN:
            return {"unit": OWN, "projects": d["own"], "whole": self.whole[OWN]}
        return next(k for k in d["kinds"] if k["unit"] == kind)

    def unit_stems(self, dept: int, kind: str) -> list[str]:
        """The project names a unit of this kind runs: its own, then the generic ones every unit has."""
        return list(self.kind(dept, kind)["projects"]) + list(self.generic)


@cache
def catalog() -> Catalog:
    doc = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    stems = {name: Stem(name, tuple(s["categories"]), (float(s["amount"][0]), float(s["amount"][1])),
                        s.get("place", "")) for name, s in doc["projects"].items()}
    departments = tuple(doc["departments"])
    for d in departments:  # a catalog that names a project it does not describe fails here, not later
        for k in [{"projects": d["own"]}, *d["kinds"]]:
            missing = [p for p in k["projects"] if p not in stems]
            if missing:
                raise ValueError(f"{CATALOG}：{d['name']} 的项目「{'」「'.join(missing)}」未在 projects 中设定")
    return Catalog(tuple(doc["generic"]), {k: tuple(map(float, v)) for k, v in doc["whole"].items()}, stems,
                   departments)


MAJOR_FROM = 300.0  # 万元: a 新增重大项目 is a work whose range reaches this far (not a recurring fund)


def major_works(stem: np.ndarray) -> np.ndarray:
    """Stems a 新增重大项目 can be: works (not recurring funds, 经费/资金/补贴…) whose amount range reaches
    ``MAJOR_FROM`` 万元 — a new 校舍维修改造 or 高标准农田建设, not a new 宣传印刷经费."""
    cat = catalog()
    ok = {s for s, v in cat.stems.items() if v.amount[1] >= MAJOR_FROM and not s.endswith(FUND_ENDINGS)}
    return np.isin(stem, list(ok))


def cn_ordinal(n: int) -> str:
    """1 → 一, 12 → 十二, 35 → 三十五 (ordinals in unit and batch names); arabic from 100 on."""
    if n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones or not tens else "")


def make_units(district: DemoDistrict, units_total: int) -> pd.DataFrame:
    """The district's budget units: each 主管部门's own unit first, then its kinds in turn (a second unit
    of a kind without a place in its name is named after a street). Columns: unit_id, unit_name,
    department, dept_idx, kind, place (the street or township in its name, "" if none), place_kind."""
    cat = catalog()
    rows: list[tuple] = []
    scale = units_total / sum(d["units"] for d in cat.departments)
    streets, towns = district.streets, district.towns
    for d_i, dept in enumerate(cat.departments, start=101):
        kinds = [k["unit"] for k in dept["kinds"]]
        for k in range(max(1, round(dept["units"] * scale))):
            template, rep = kinds[k % len(kinds)], k // len(kinds)  # rep: units of this kind before it
            street = streets[(rep + 3 * d_i) % len(streets)]
            town, town2 = towns[rep % len(towns)], towns[(rep + 1) % len(towns)]
            name = template.format(cn=cn_ordinal(rep + 1), p=street, t=town, t2=town2)
            place, place_kind = ((street, "street") if "{p}" in template else (town, "town") if "{t}" in template
                                 else (town2, "town") if "{t2}" in template else ("", ""))
            if "{" not in template and rep > 0:  # a second 交通警察大队 is named after its place
                name, place, place_kind = street + name, street, "street"
            kind = template
            if k == 0:
                name, kind, place, place_kind = dept["name"], OWN, "", ""
            else:
                name = district.name + name
            if any(r[1] == name for r in rows):
                name = f"{name}第{cn_ordinal(rep + 1)}分部"
            rows.append((f"{d_i}{k + 1:03d}", name, dept["name"], d_i - 101, kind, place, place_kind))
    units = pd.DataFrame(rows, columns=["unit_id", "unit_name", "department", "dept_idx", "kind", "place",
                                        "place_kind"])
    return units.drop_duplicates("unit_name").head(units_total).reset_index(drop=True)


GENERIC_SHARE = 0.3  # of a unit's projects (besides its 部门整体支出): the everyday ones, each at most once
OWN_REPEATS = 3  # a unit's own kind of project runs to a 三期 / 第三批 before everyday ones fill the rest


def _own_table(units: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per unit, the indices (into the catalog's stem names) of its kind's own projects, padded, and
    how many there are; with the stem names."""
    cat = catalog()
    names = list(cat.stems)
    pos = {s: i for i, s in enumerate(names)}
    own = [[pos[s] for s in cat.kind(d, k)["projects"]] for d, k in zip(units["dept_idx"], units["kind"], strict=True)]
    width = max(len(x) for x in own)
    table = np.array([x + [x[0]] * (width - len(x)) for x in own], dtype=np.int64)
    return table, np.array([len(x) for x in own]), names


def unit_capacity(units: pd.DataFrame) -> np.ndarray:
    """How many projects a unit can hold without an everyday project twice or its own beyond 三期:
    its 部门整体支出, ``OWN_REPEATS`` of each of its own and one of each everyday project."""
    _, n_own, _ = _own_table(units)
    return 1 + OWN_REPEATS * n_own + len(catalog().generic)


def fit_counts(per_unit: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Projects per unit within each unit's capacity, the excess moved to the units with most room left
    (the total kept); unchanged when the district holds more projects than all units can."""
    counts = per_unit.astype(np.int64).copy()
    if counts.sum() > capacity.sum():
        return counts
    excess = int(np.maximum(counts - capacity, 0).sum())
    counts = np.minimum(counts, capacity)
    while excess:
        room = capacity - counts
        order = np.argsort(-room, kind="stable")[:excess]
        order = order[room[order] > 0]
        counts[order] += 1
        excess -= len(order)
    return counts


def project_stems(units: pd.DataFrame, p_unit: np.ndarray, seq: np.ndarray, start: np.ndarray,
                  per_unit: np.ndarray) -> np.ndarray:
    """Each project's name stem. The first project (seq 0) is the unit's 部门整体支出 (its stem is not
    used); of the rest, about ``GENERIC_SHARE`` — more where the unit has many projects and few kinds of
    its own — are everyday projects (办公设备购置 …, each at most once), and the others run through the
    unit kind's own projects from a random ``start`` (a repeat is its 二期 or 第二批). Vectorized: the
    benchmarks generate a million projects with it."""
    table, n_own, names = _own_table(units)
    pos = {s: i for i, s in enumerate(names)}
    generic = np.array([pos[s] for s in catalog().generic], dtype=np.int64)
    n = per_unit[p_unit] - 1  # projects besides the 部门整体支出
    own_n = n_own[p_unit]
    n_generic = np.minimum(len(generic), np.maximum(np.floor(n * GENERIC_SHARE).astype(np.int64), n - OWN_REPEATS * own_n))
    j = seq - 1
    own = table[p_unit, (start + np.maximum(j, 0)) % own_n]
    every = generic[(start + j) % len(generic)]
    return np.array(names, dtype=object)[np.where(j < n - n_generic, own, every)]


def categories_of(stem: np.ndarray, whole: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """The 支出类别 of each project: its stem's usual category three times in four, otherwise one of the
    others it may be filed under (``draw``: uniform in [0, 1)); 部门整体支出 for the whole unit."""
    cat = catalog()
    names = list(cat.stems)
    codes = pd.Categorical(stem, categories=names).codes
    options = [cat.stems[s].categories for s in names]
    width = max(len(o) for o in options)
    table = np.array([list(o) + [o[0]] * (width - len(o)) for o in options], dtype=object)
    n = np.array([len(o) for o in options])[codes]
    other = 1 + np.minimum(np.maximum(n - 2, 0), ((draw - 0.75) / 0.25 * np.maximum(n - 1, 1)).astype(np.int64))
    choice = np.where((draw < 0.75) | (n == 1), 0, other)
    return np.where(whole, "部门整体支出", table[codes, choice])


def amounts_of(stem: np.ndarray, whole: np.ndarray, kind: np.ndarray, dept_idx: np.ndarray,
               z: np.ndarray) -> np.ndarray:
    """Budgets in 万元 (2 decimals) inside each stem's range — or the unit kind's 部门整体支出 range —
    log-uniformly placed by ``z`` (a standard normal draw, squashed to (0, 1))."""
    cat = catalog()
    names = list(cat.stems)
    ranges = np.array([cat.stems[s].amount for s in names], dtype=float)[pd.Categorical(stem, categories=names).codes]
    pairs = pd.DataFrame({"d": dept_idx, "k": kind})
    keys = pairs.drop_duplicates()
    whole_of = {(d, k): cat.kind(d, k).get("whole") or cat.whole["单位"] for d, k in zip(keys["d"], keys["k"],
                                                                                       strict=True)}
    whole_ranges = np.array([whole_of[(d, k)] for d, k in zip(keys["d"], keys["k"], strict=True)], dtype=float)
    at = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(pairs))
    ranges = np.where(np.asarray(whole)[:, None], whole_ranges[at], ranges)
    u = 1.0 / (1.0 + np.exp(-1.702 * z))  # ≈ the normal distribution function
    lo, hi = np.log(ranges[:, 0]), np.log(ranges[:, 1])
    return np.clip(np.round(np.exp(lo + u * (hi - lo)), 2), ranges[:, 0], ranges[:, 1])


def project_names(stem: np.ndarray, short: np.ndarray, whole: np.ndarray, pick: np.ndarray, year: int,
                  place: np.ndarray, place_kind: np.ndarray, district: DemoDistrict = GAOXIN) -> np.ndarray:
    """Project names as units write them, unique within the year: 2022年北京路街道老旧小区改造项目,
    2022年第三中学课后服务经费, 北京路派出所2022年度部门整体支出. A street- or township-bound work is named
    after the unit's own place (a 环卫所 cleans its own street); a unit with a place of the other kind
    names it after itself; a unit with no place in its name (a 局 itself) after any of the district's
    streets or townships. The rest are named after the unit; a repeat takes （二期） or （第二批）."""
    cat = catalog()
    stem_s = pd.Series(stem, dtype=object)
    bound = stem_s.map(lambda s: cat.stems[s].place if s in cat.stems else "").to_numpy()
    streets, towns = np.array(district.streets), np.array(district.towns)
    own_place = np.asarray(place, dtype=object)
    own_kind = np.asarray(place_kind, dtype=object)
    drawn_street = streets[(pick // 7) % len(streets)]
    drawn_town = towns[(pick // 7) % len(towns)]
    street = np.where(own_kind == "street", own_place, drawn_street)
    town = np.where(own_kind == "town", own_place, drawn_town)
    elsewhere = own_kind != ""  # a unit bound to a place never names another one
    where = np.asarray(short, dtype=object).copy()
    urban = (bound == "street") & ((own_kind == "street") | ~elsewhere)
    rural = (bound == "town") & ((own_kind == "town") | ~elsewhere)
    where[urban] = (street[urban].astype(object) + "街道")
    where[rural] = town[rural]
    where = pd.Series(where, dtype=object)
    fund = stem_s.str.endswith(FUND_ENDINGS).to_numpy()
    body = f"{year}年" + where + stem_s + np.where(fund, "", "项目")
    counted = body.where(~np.asarray(whole), "\0" + pd.Series(np.arange(len(body)), dtype=str))  # 部门整体支出 apart
    rep = body.groupby(counted, sort=False).cumcount().to_numpy() + 1
    ordinal = pd.Series(rep).map({k: cn_ordinal(k) for k in np.unique(rep)})
    tail = np.where(rep == 1, "", np.where(fund, "（第" + ordinal + "批）", "（" + ordinal + "期）"))
    name = body + tail
    return name.where(~np.asarray(whole), pd.Series(short, dtype=object) + f"{year}年度部门整体支出").to_numpy()
