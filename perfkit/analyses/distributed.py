"""Scoring, monitoring and review on a dask.distributed cluster, for a province or the whole country.

The projects are a dask DataFrame partitioned by unit (each partition holds whole units); every
partition runs the same pandas pipeline as one machine does — score, review, monitor — on the rows of
its units, which is exact because no rule looks across units. The unit ranking, which compares units,
is computed afterwards on the gathered results. dask is an optional extra: ``pip install -e '.[dask]'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from perfkit.analyses import monitoring, review
from perfkit.analyses.evaluation import score_projects
from perfkit.io.load import Dataset, InputError
from perfkit.rules.rulebook import Rulebook

PARTS = ("projects", "indicators", "findings", "monitoring")


@dataclass
class DistributedResult:
    projects: pd.DataFrame
    indicators: pd.DataFrame
    findings: pd.DataFrame
    monitoring: pd.DataFrame | None


def _require_dask():
    try:
        import dask
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError("--engine dask 需要可选组件：pip install -e '.[dask]'（dask、distributed）") from exc
    return dask, dd, Client, LocalCluster


def subset(ds: Dataset, project_ids: pd.Index) -> Dataset:
    """The dataset restricted to some projects (and their units)."""
    out = Dataset(ds.source)
    for name, frame in ds.tables.items():
        if "project_id" in frame:
            out.tables[name] = frame[frame["project_id"].isin(project_ids)]
        else:
            out.tables[name] = frame
    return out


def run_units(part: pd.DataFrame, ds: Dataset, rules: Rulebook, month: int | None) -> dict[str, pd.DataFrame]:
    """The one-machine pipeline on the projects of one partition's units."""
    sub = subset(ds, pd.Index(part["project_id"]))
    scores = score_projects(sub, rules)
    findings = review.review_self_evaluation(scores.indicators, scores.projects, sub, rules)
    mon = monitoring.monitor(sub, rules, month).projects if month is not None else None
    return {"projects": scores.projects, "indicators": scores.indicators, "findings": findings, "monitoring": mon}


def analyze_on_cluster(ds: Dataset, rules: Rulebook, month: int | None = None, scheduler: str | None = None,
                       partitions: int | None = None) -> DistributedResult:
    """Run on the cluster at ``scheduler`` (``tcp://host:8786``), or on a LocalCluster when none is given."""
    dask, dd, Client, LocalCluster = _require_dask()
    projects = ds.table("projects")[["project_id", "unit_id"]]
    n_units = projects["unit_id"].nunique()
    cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                                  dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        frame = dd.from_pandas(projects.sort_values("unit_id").set_index("unit_id"),
                               npartitions=max(1, min(partitions or 2 * len(client.scheduler_info()["workers"]),
                                                      n_units)), sort=True)
        ds_future = client.scatter(ds, broadcast=True)
        tasks = [dask.delayed(run_units)(part.reset_index(), ds_future, rules, month) for part in frame.to_delayed()]
        results = client.compute(tasks, sync=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    def gather(key: str) -> pd.DataFrame | None:
        frames = [r[key] for r in results if r[key] is not None and len(r[key])]
        return pd.concat(frames, ignore_index=True) if frames else None

    findings = gather("findings")
    return DistributedResult(gather("projects"), gather("indicators"),
                             findings if findings is not None else pd.DataFrame(columns=review.FINDING_COLUMNS),
                             gather("monitoring"))
