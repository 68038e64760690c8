"""A demo that reads like a district (issue 25 §5): every project's name, owner, 支出类别 and amount fit
the catalog (``perfkit/demo/data/catalog.yaml``) — checked here from the names themselves, independently
of how the generator chose them — and earlier years of ``perfkit demo --years N`` draw their own
self-scores while each year stays internally consistent. Both demo districts."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from perfkit.demo import CATALOG, GAOXIN, QINGXI, DemoDistrict, generate, generate_district

CN = "[一二三四五六七八九十]+"


def _table() -> dict:
    return yaml.safe_load(CATALOG.read_text(encoding="utf-8"))


def _kind_patterns(dept: dict, district: DemoDistrict) -> list[tuple[re.Pattern, dict]]:
    """Each kind of unit of a department as a pattern over the unit's name (without the district's
    name): its template with the district's places; a second unit of a placeless kind may carry a
    street before it, a duplicate name a 第N分部 after it."""
    streets, towns = "|".join(district.streets), "|".join(district.towns)
    out = []
    for kind in dept["kinds"]:
        body = re.escape(kind["unit"]).replace(r"\{cn\}", CN).replace(r"\{p\}", f"(?P<street>{streets})")
        body = body.replace(r"\{t\}", f"(?P<town>{towns})").replace(r"\{t2\}", f"(?P<town>{towns})")
        lead = "" if "{" in kind["unit"] else f"(?P<street>{streets})?"
        out.append((re.compile(f"^{lead}{body}(?:第{CN}分部)?$"), kind))
    return out


def misfits(demo, district: DemoDistrict) -> pd.DataFrame:
    """Projects whose name, owner, category, amount or place do not fit the catalog, one row per problem
    (empty when all fit). The unit's kind is read from its name, the stem from the project's name."""
    cat = _table()
    stems = sorted(cat["projects"], key=len, reverse=True)
    units = demo.tables["units"].set_index("unit_id")
    p = demo.tables["projects"].merge(units, left_on="unit_id", right_index=True, how="left")
    departments = {d["name"]: d for d in cat["departments"]}
    place_re = re.compile("|".join(map(re.escape, sorted(district.streets + district.towns, key=len, reverse=True))))
    problems = []
    for r in p.itertuples():
        dept = departments[r.department]
        if r.unit_name == r.department:
            kind, unit_place = {"projects": dept["own"], "whole": cat["whole"]["本级"]}, None
        else:
            short = r.unit_name.removeprefix(district.name)
            found = [(m, k) for pat, k in _kind_patterns(dept, district) if (m := pat.match(short))]
            if not found:
                problems.append((r.project_id, "单位类别无法识别", r.unit_name))
                continue
            m, kind = found[0]
            unit_place = next((g for g in (m.groupdict().get("street"), m.groupdict().get("town")) if g), None)
        whole = r.project_name.endswith("年度部门整体支出")
        if whole:
            lo, hi = kind.get("whole") or cat["whole"]["单位"]
            if r.category != "部门整体支出":
                problems.append((r.project_id, "部门整体支出的类别", r.category))
        else:
            stem = next((s for s in stems if s in r.project_name), None)
            if stem is None or stem not in list(kind["projects"]) + list(cat["generic"]):
                problems.append((r.project_id, "项目与单位不符", f"{r.unit_name}：{r.project_name}"))
                continue
            spec = cat["projects"][stem]
            lo, hi = spec["amount"]
            if r.category not in spec["categories"]:
                problems.append((r.project_id, "项目与类别不符", f"{r.project_name}：{r.category}"))
            places = set(place_re.findall(r.project_name.removesuffix("（新建）")))
            if unit_place is not None and places - {unit_place}:
                problems.append((r.project_id, "地点不是本单位的", f"{r.unit_name}：{r.project_name}"))
        amount = r.budget if not pd.isna(r.budget) else None
        if amount is not None and not lo * 1_000_000 <= amount <= hi * 1_000_000:
            problems.append((r.project_id, "金额超出范围", f"{r.project_name}：{amount / 1e6:.2f}万元（{lo}–{hi}）"))
    return pd.DataFrame(problems, columns=["project_id", "problem", "detail"])


@pytest.fixture(scope="module", params=["gaoxin", "qingxi"])
def district_demo(request):
    district = {"gaoxin": GAOXIN, "qingxi": QINGXI}[request.param]
    demos = generate_district(district)
    return district, demos[max(demos)]


def test_names_owners_categories_and_amounts_fit_the_catalog(district_demo) -> None:
    district, demo = district_demo
    bad = misfits(demo, district)
    assert bad.empty, bad.head(20).to_string()
    p = demo.tables["projects"]
    # the cases the issue names, said directly
    assert not p.loc[p["project_name"].str.contains("烈士纪念设施"), "category"].eq("乡村振兴资金支出").any()
    printing = p.loc[p["project_name"].str.contains("宣传印刷经费"), "budget"]
    assert len(printing) and printing.max() <= 20 * 1_000_000
    # every category occurs, and 乡村振兴 money is the rural works' and funds' only
    assert set(p["category"]) == {"部门整体支出", "部门项目支出", "专项转移支付项目支出", "乡村振兴资金支出"}


def test_the_checker_catches_what_does_not_fit(district_demo) -> None:
    """Precision of the check above: a wrong category, an amount out of range, a project of another
    unit's kind and a street of another 环卫所 are each caught."""
    district, demo = district_demo
    p = demo.tables["projects"].copy()
    units = demo.tables["units"].set_index("unit_id")["unit_name"]
    spoiled = demo.tables | {"projects": p}
    plain = p.index[~p["project_name"].str.endswith("部门整体支出") & p["budget"].notna()]
    i, j, k = plain[0], plain[1], plain[2]
    p.loc[i, "category"] = "乡村振兴资金支出" if p.loc[i, "category"] != "乡村振兴资金支出" else "部门项目支出"
    p.loc[j, "budget"] = 10_000 * 1_000_000
    p.loc[k, "project_name"] = f"{district.year}年{units[p.loc[k, 'unit_id']].removeprefix(district.name)}烈士纪念设施维护项目"
    cleaners = p.index[p["unit_id"].map(units).str.contains("环境卫生管理所") & p["project_name"].str.contains("清扫保洁")]
    if len(cleaners):
        own = next(s for s in district.streets if s in units[p.loc[cleaners[0], "unit_id"]])
        other = next(s for s in district.streets if s != own and s not in own and own not in s)
        p.loc[cleaners[0], "project_name"] = p.loc[cleaners[0], "project_name"].replace(own, other)
    found = misfits(type(demo)(spoiled), district)
    caught = set(found["project_id"])
    assert {p.loc[i, "project_id"], p.loc[j, "project_id"]} <= caught
    if not units[p.loc[k, "unit_id"]].endswith(("退役军人事务局",)):
        assert p.loc[k, "project_id"] in caught
    if len(cleaners):
        assert p.loc[cleaners[0], "project_id"] in caught


def _consistent(demo) -> None:
    """One year's self-evaluation adds up: each project's self total is its execution score plus its
    indicator scores, except the planted 总分与分项不符 projects (which the review must find)."""
    se = demo.tables["self_eval"]
    summary = demo.tables["self_summary"].set_index("project_id")
    parts = se.groupby("project_id")["unit_score"].sum()
    total = (summary["unit_exec_score"] + parts.reindex(summary.index).fillna(0)).round(2)
    off = summary.index[(total - summary["unit_total"]).abs() > 0.005]
    planted = set(demo.planted.loc[demo.planted["finding"].eq("总分与分项不符"), "project_id"])
    assert set(off) <= planted and planted <= set(summary.index)


@pytest.mark.parametrize("district", [GAOXIN, QINGXI], ids=["gaoxin", "qingxi"])
def test_each_year_draws_its_own_self_scores(district: DemoDistrict) -> None:
    """``--years 3``: the same units, projects and amounts every year, self-scores that differ from year
    to year (most projects), and every year consistent in itself."""
    demos = generate_district(district, years=3, n_projects=300)
    years = sorted(demos)
    assert len(years) == 3
    last = demos[years[-1]]
    totals = {}
    for y in years:
        d = demos[y]
        _consistent(d)
        s = d.tables["self_summary"].assign(key=lambda f: f["project_id"].astype(str).str.slice(4))
        totals[y] = s.set_index("key")["unit_total"]
        p = d.tables["projects"].assign(key=lambda f: f["project_id"].astype(str).str.slice(4))
        lp = last.tables["projects"].assign(key=lambda f: f["project_id"].astype(str).str.slice(4))
        both = p.merge(lp, on="key", suffixes=("", "_last"))
        assert len(both) == len(p) == len(lp)
        assert (both["budget"].fillna(-1) == both["budget_last"].fillna(-1)).all()
        year_free = [both[c].str.replace(r"20\d\d", "Y", regex=True) for c in ("project_name", "project_name_last")]
        assert (year_free[0] == year_free[1]).all()
    for a, b in zip(years, years[1:], strict=False):
        common = totals[a].index.intersection(totals[b].index)
        differ = (totals[a][common] - totals[b][common]).abs() > 0.005
        assert differ.mean() > 0.3, (a, b, differ.mean())
    # the grades move too: not one year's distribution copied to the next
    assert not np.array_equal(totals[years[0]].sort_index().to_numpy(), totals[years[1]].sort_index().to_numpy())


def test_a_seed_still_gives_the_same_district() -> None:
    a, b = generate_district(QINGXI, years=2, n_projects=120), generate_district(QINGXI, years=2, n_projects=120)
    for y in a:
        for name in a[y].tables:
            pd.testing.assert_frame_equal(a[y].tables[name], b[y].tables[name])
    assert generate(seed=5, n_projects=200).tables["projects"]["project_name"].is_unique
