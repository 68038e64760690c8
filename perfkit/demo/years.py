"""Several years of a demo district, and the district written as a workspace (设置.yaml, 政策表述.yaml,
the workbook and its CSV folder, earlier years beside it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from perfkit.demo.districts import DEMO_TEXT, GAOXIN, DemoDistrict
from perfkit.demo.generate import Demo, generate
from perfkit.demo.noise import Noise


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
# units, projects, amounts and targets (the same seed), each year's project codes carrying that year (as
# the codes above do) and linked to the next year's in a 编码变更 sheet of the last year's workbook. Each
# year draws its own results (completion, self-scores, planted anomalies, monitoring: ``outcomes`` of
# :func:`generate`) and spends at its own pace, so self-scores and grades differ from year to year and
# some projects are unsatisfactory one, two or three years running by chance, as in a real district.
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
        demo = generate(seed=seed, year=y, clean=clean, n_projects=n_projects, outcomes=[seed, y, 25], **kwargs)
        rng = np.random.default_rng([seed, y])
        ids = demo.tables["projects"]["project_id"].to_numpy()
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
