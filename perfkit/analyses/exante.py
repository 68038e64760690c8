"""事前绩效评估 (docs/rules.md): five dimensions, a conclusion, and the gate for new major projects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from perfkit.io.contract import EXANTE_DIMENSIONS
from perfkit.io.load import Dataset
from perfkit.rules.rulebook import Rulebook

NOT_SUPPORTED = "不予支持"  # a total below every band of exante.conclusion_bands (or none at all)
DIMENSION_COLUMNS = [f"exante_{i}" for i in range(1, len(EXANTE_DIMENSIONS) + 1)]


def assess(ds: Dataset, rules: Rulebook) -> pd.DataFrame:
    """Total and conclusion per assessed project; scores above a dimension's maximum are findings."""
    ex = ds.table("exante").drop_duplicates("project_id").copy()
    cap = rules["exante.dimension_max"]
    dims = ex[DIMENSION_COLUMNS].astype(float)
    ex["exante_total"] = dims.sum(axis=1, min_count=1).round(2)
    ex["over_cap"] = (dims > cap).any(axis=1)
    bands = rules["exante.conclusion_bands"]
    ordered = sorted(bands.items(), key=lambda kv: -kv[1])
    ex["conclusion"] = np.select([ex["exante_total"] >= lo for _, lo in ordered], [k for k, _ in ordered],
                                 NOT_SUPPORTED)
    ex["passed"] = ex["conclusion"].isin(rules["exante.passing_conclusions"])
    return ex


def first_requests(projects: pd.DataFrame) -> pd.Series:
    """新增重大项目 as the data hold them: projects that ask for money for the first time next year —
    flagged 新增重大项目, with no budget this year (no execution or self-evaluation to look at). A
    flagged project that already has a budget is an ongoing one, not a first-time request."""
    if "new_major" not in projects:
        return pd.Series(False, index=projects.index)
    budget = (projects["budget"] if "budget" in projects else pd.Series(pd.NA, index=projects.index)).astype("Float64")
    return (projects["new_major"].fillna(False).astype(bool) & (budget.isna() | budget.eq(0)).fillna(True)).astype(bool)


def flagged_ongoing(projects: pd.DataFrame) -> pd.Series:
    """Projects flagged 新增重大项目 that already have a budget this year: not first-time requests, so the
    gate does not act on them — they are scored as ongoing projects, and the annex and the unit's letter
    say so (the flag is the unit's to correct), never passed over in silence."""
    if "new_major" not in projects:
        return pd.Series(False, index=projects.index)
    return (projects["new_major"].fillna(False).astype(bool) & ~first_requests(projects)).astype(bool)


def gate(ds: Dataset, rules: Rulebook) -> pd.DataFrame:
    """The ex-ante gate on next year's first-time requests: a 新增重大项目 without a passed assessment
    gets none of its 下年度申请数 (``application.gate_change``); one row per new major project. The gate
    does not rest on the self-evaluation (a first-time request has none)."""
    from perfkit.analyses.evaluation import projects_of_year

    projects = projects_of_year(ds.table("projects"), rules.year)  # a code may recur in other years
    cols = ["project_id", "project_name", "unit_id", "budget", "classified"]
    new = projects.loc[first_requests(projects), cols + ["requested"] * ("requested" in projects.columns)]
    if "requested" not in new.columns:  # the gate is about next year's request; without it, say so
        new = new.assign(requested=pd.Series(pd.NA, index=new.index, dtype="Int64"))
    result = assess(ds, rules)[["project_id", "exante_total", "conclusion", "passed"]] if ds.has("exante") \
        else pd.DataFrame(columns=["project_id", "exante_total", "conclusion", "passed"])
    out = new.merge(result, on="project_id", how="left")
    out["conclusion"] = out["conclusion"].fillna("未开展事前评估")
    out["passed"] = out["passed"].fillna(False).astype(bool)
    out["gate"] = np.where(out["passed"], "准予安排预算", "不安排预算")
    return out
