"""Scoring, monitoring and review on a dask.distributed cluster, for a province or the whole country.

Two ways in. (1) Workers that read their own data: ``perfkit partition`` splits a Parquet province by unit
into ``part-NNNNN/`` folders on storage every worker sees; ``perfkit score PARTS --engine dask`` gives each
worker a part to load, score, review and monitor, and it writes its part of every output table as
Parquet (``<表>/part-NNNNN.parquet``). The client gathers one ranking row per unit, so its memory does not
grow with the province (:func:`score_partitioned`). (2) Any input the loader reads, loaded on the client
and broadcast (:func:`analyze_on_cluster`): the projects a dask DataFrame partitioned by unit, each
partition running the same pandas pipeline as one machine does. Both are exact because no rule looks
across units; the unit ranking, which compares units, is ranked on the client. dask is an optional extra:
``pip install -e '.[dask]'``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from perfkit.analyses import monitoring
from perfkit.analyses.evaluation import Scores
from perfkit.io.load import Dataset, InputError, load
from perfkit.io.years import check_year, select_year
from perfkit.pipeline.outputs import ranking_table, score_tables, tables_to_read
from perfkit.pipeline.stages import (
    PIPELINE,
    Analysis,
    analyze,
    missing_tables,
    run_stages,
    selected,
    skipped_note,
    with_settings,
    year_of,
    year_without_data,
)
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook, load_rules

# the stages run on each partition: those of perfkit score that are exact on any set of whole units
UNIT_STAGES = tuple(dict.fromkeys(s.key for s in PIPELINE if s.per_unit and not s.application))
UNIT_FIELDS = tuple(dict.fromkeys(f for s in PIPELINE if s.key in UNIT_STAGES for f in s.fills))


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


def run_units(part: pd.DataFrame, ds: Dataset, rules: Rulebook, month: int | None, keys: tuple[str, ...]
              ) -> dict[str, object]:
    """The one-process executor on the projects of one partition's units: the stages ``keys``; returns
    the fields they fill (monitoring: its projects' lights)."""
    a = run_stages(Analysis(subset(ds, pd.Index(part["project_id"])), rules, month), keys, applications=False)
    out = {name: getattr(a, name) for name in UNIT_FIELDS}
    out["scores"] = a.scores and {"projects": a.scores.projects, "indicators": a.scores.indicators}
    out["monitoring"] = a.monitoring and a.monitoring.projects
    return out


def _gather(results: list[dict[str, object]], key: str, part: str | None = None) -> pd.DataFrame | None:
    """One field of every partition's result, concatenated (None when no partition ran its stage)."""
    frames = [r[key] if part is None else r[key][part] for r in results if r[key] is not None]
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0] if frames else None


def analyze_on_cluster(a: Analysis, scheduler: str | None = None, partitions: int | None = None) -> Analysis:
    """The per-unit stages of ``perfkit score`` (:data:`UNIT_STAGES`) on the cluster at ``scheduler``
    (``tcp://host:8786``), or on a LocalCluster when none is given, the projects partitioned by unit;
    their results gathered into ``a``. A stage whose table is missing is noted and not sent."""
    dask, dd, Client, LocalCluster = _require_dask()
    keys = []
    for stage in PIPELINE:
        if stage.key in UNIT_STAGES and selected(stage, a, None, applications=False):
            missing = missing_tables(a, stage)
            if missing:
                a.skipped.append(skipped_note(stage.title, missing))
            else:
                keys.append(stage.key)
    ds = a.data
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
        tasks = [dask.delayed(run_units)(part.reset_index(), ds_future, a.rules, a.month, tuple(keys))
                 for part in frame.to_delayed()]
        results = client.compute(tasks, sync=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if "self_eval" in keys:
        a.scores = Scores(_order(_gather(results, "scores", "indicators"), ["_row"]),
                          _order(_gather(results, "scores", "projects"), ["project_id"], ds, "self_eval"))
        a.findings = _gather(results, "findings")
    if "monitoring" in keys:
        a.monitoring = monitoring.Monitoring(a.month, _order(_gather(results, "monitoring"), ["project_id"], ds,
                                                             "projects"), pd.DataFrame())
    for name in ("target_findings", "archive_completeness"):
        if any(s.key in keys for s in PIPELINE if name in s.fills):
            setattr(a, name, _gather(results, name))
    return a


def _order(frame: pd.DataFrame, by: list[str], ds: Dataset | None = None, table: str | None = None) -> pd.DataFrame:
    """Rows gathered from the partitions in the order one process gives them: by source row, or by each
    project's first row in ``table``."""
    if ds is None:
        return frame.sort_values(by, kind="stable").reset_index(drop=True)
    first = pd.Series(range(len(ds.table(table))), index=ds.table(table)["project_id"].to_numpy())
    first = first[~first.index.duplicated()]
    where = first.reindex(frame["project_id"].to_numpy()).to_numpy()
    return frame.iloc[where.argsort(kind="stable")].reset_index(drop=True)


def analyze_distributed(data: str | Path | Dataset, year: int | None = None, month: int | None = None,
                        profile: str | Path = DEFAULT_PROFILE, scheduler: str | None = None) -> Analysis:
    """:func:`~perfkit.pipeline.stages.analyze` (without the applications) on a dask cluster: the
    per-unit stages on partitions of whole units, then the stages that compare units (the ranking) on
    the gathered results — the same tables as one process."""
    ds = data if isinstance(data, Dataset) else load(data, month=month)
    year = year_of(ds, year)
    ds = select_year(ds, year)
    a = Analysis(ds, with_settings(load_rules(profile, year)), month)
    analyze_on_cluster(a, scheduler)
    return run_stages(a, tuple(s.key for s in PIPELINE if not s.per_unit), applications=False)


# ------------------------------------------------------------------ workers that read their own data

PARTITIONS_MARK = "_perfkit_partitions.json"  # a partitioned dataset: part-00000/ … each a contract folder
PART_GLOB = "part-*"


def is_partitioned(path: str | Path) -> bool:
    return Path(path).is_dir() and (Path(path) / PARTITIONS_MARK).exists()


def _balanced(sizes: pd.Series, parts: int) -> dict[object, int]:
    """Units → parts, the largest first into the part with the fewest projects (greedy; each unit whole)."""
    load = [0] * parts
    out: dict[object, int] = {}
    for unit, n in sizes.sort_values(ascending=False, kind="stable").items():
        i = min(range(parts), key=load.__getitem__)
        out[unit] = i
        load[i] += int(n)
    return out


def partition_dataset(source: str | Path, out: str | Path, parts: int, batch_rows: int = 2_000_000) -> Path:
    """Split a Parquet folder in the contract's form into ``parts`` folders of whole units, each itself a
    contract folder (``part-00000/项目.parquet`` …), for workers that each read their own.

    Streamed a batch at a time, so that the machine doing it never holds a whole table (a province's
    指标监控 is ~100M rows). Rows are assigned by 单位编码 — directly (单位, 项目) or through their
    项目编码; a row whose 项目编码 or 单位编码 is in no 项目 row goes to part 0, where the loader
    quarantines it as it would in one piece; a table with neither column is copied to every part."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, out = Path(source), Path(out)
    files = sorted(source.glob("*.parquet"))
    by_name = {f.stem.strip(): f for f in files}
    if "项目" not in by_name or "绩效自评" not in by_name:
        raise InputError(f"{source}：分区需要 Parquet 格式的合同表文件夹（至少 项目.parquet、绩效自评.parquet）")
    if parts < 1:
        raise InputError("--parts 应为正整数")
    proj = pq.read_table(by_name["项目"], columns=["项目编码", "单位编码"]).to_pandas()
    first = proj.dropna(subset=["项目编码"]).drop_duplicates("项目编码")
    unit_part = _balanced(first.groupby("单位编码", dropna=True).size(), parts)
    project_part = pd.Series(first["单位编码"].map(unit_part).fillna(0).astype(int).to_numpy(),
                             index=pd.Index(first["项目编码"].astype(str)))
    unit_part_s = pd.Series(unit_part, dtype=int)
    unit_part_s.index = unit_part_s.index.astype(str)
    out.mkdir(parents=True, exist_ok=True)
    folders = [out / f"part-{i:05d}" for i in range(parts)]
    for f in folders:
        f.mkdir(exist_ok=True)
    for file in by_name.values():
        pf = pq.ParquetFile(file)
        cols = pf.schema_arrow.names
        key = "项目编码" if "项目编码" in cols else "单位编码" if "单位编码" in cols else None
        writers = [pq.ParquetWriter(folder / file.name, pf.schema_arrow) for folder in folders]
        try:
            for batch in pf.iter_batches(batch_size=batch_rows):
                table = pa.Table.from_batches([batch])
                if key is None:
                    for w in writers:
                        w.write_table(table)
                    continue
                codes = pd.Series(table.column(key).to_pandas()).astype("string")
                lookup = project_part if key == "项目编码" else unit_part_s
                where = lookup.reindex(codes.str.strip().fillna("").to_numpy()).fillna(0).astype(int).to_numpy()
                for i, w in enumerate(writers):
                    sel = where == i
                    if sel.any():
                        w.write_table(table.filter(pa.array(sel)))
        finally:
            for w in writers:
                w.close()
    (out / PARTITIONS_MARK).write_text(json.dumps({"parts": parts, "by": "单位编码", "source": str(source.absolute()),
                                                   "tables": sorted(by_name)}, ensure_ascii=False), encoding="utf-8")
    return out


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux VmHWM; elsewhere ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_partition(folder: str, stage: str, index: int, year: int, month: int | None, profile: str
                    ) -> dict[str, object]:
    """On a worker: load one partition from shared storage, run the one-machine pipeline, write its part
    of every output table as ``<stage>/<table>/part-NNNNN.parquet``; return only what the client needs —
    the units' ranking components (whole units: exact), row counts, notes and this worker's peak memory."""
    import os
    import socket

    from perfkit.io.write import write_parquet

    ds = load(folder, month=month, only=tables_to_read(month))  # as one process: no month, no monitoring read
    a = analyze(ds, year=year, month=month, profile=profile, applications=False)
    ds.tables.clear()  # what is written next needs the results only
    rows: dict[str, int] = {}
    stems: dict[str, str] = {}
    if a.scores is not None:
        for key, o in score_tables(a).items():
            if key == "ranking":
                continue
            target = Path(stage) / o.stem
            target.mkdir(exist_ok=True)
            write_parquet(o.frames, target / f"part-{index:05d}.parquet")
            rows[key], stems[key] = o.rows, o.stem
    return {"ranking": a.ranking, "rows": rows, "stems": stems, "quarantined": len(ds.quarantine), "notes": ds.notes,
            "unread": list(ds.unread),
            "skipped": a.skipped, "worker": f"{socket.gethostname()}:{os.getpid()}", "peak_mb": peak_rss_mb()}


@dataclass
class PartitionedRun:
    written: dict[str, Path]
    rows: dict[str, int]
    client_peak_mb: float
    worker_peak_mb: dict[str, float]
    seconds: float
    unread: list[str]  # sheets some part holds but no worker loaded (no --month: the monitoring tables)
    skipped: list[str]  # stages a part skipped for a missing table (one note each, as analyze words it)
    notes: list[str] = dataclasses.field(default_factory=list)  # what was assumed (the year of data without 年度)


def score_partitioned(data: str | Path, stage: Path, year: int | None, month: int | None, profile: str,
                      scheduler: str | None = None, workers: int = 2) -> PartitionedRun:
    """Every partition scored by a worker that reads it itself; the client holds only the units' ranking
    parts (one row per unit) and counts. Outputs are Parquet datasets: ``<table>/part-*.parquet``."""
    import time

    import pyarrow.parquet as pq

    from perfkit.io.write import write_parquet

    t0 = time.perf_counter()
    _, _, Client, LocalCluster = _require_dask()
    data = Path(data).absolute()
    folders = sorted(p for p in data.glob(PART_GLOB) if p.is_dir())
    if not folders:
        raise InputError(f"{data}：分区数据集中没有 part-* 文件夹")
    # the year is checked against the 年度 of every part, as one process checks it (perfkit.io.years): one
    # column of each part is read
    found = [pq.read_table(f / "项目.parquet", columns=["年度"]).to_pandas()["年度"] for f in folders
             if (f / "项目.parquet").exists() and "年度" in pq.read_schema(f / "项目.parquet").names]
    years = pd.to_numeric(pd.concat(found), errors="coerce").dropna() if found else pd.Series(dtype=float)
    year_notes: list[str] = []
    year = check_year(sorted(int(y) for y in years.unique()), year, data.name)
    if year is None:
        year = year_without_data(year_notes)
    rules = load_rules(profile, year)
    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                  dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        futures = [client.submit(score_partition, str(f), str(stage), i, year, month, str(profile), pure=False)
                   for i, f in enumerate(folders)]
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rows: dict[str, int] = {}
    for r in results:
        for k, n in r["rows"].items():
            rows[k] = rows.get(k, 0) + n
    if "projects" not in rows:
        from perfkit.io.load import MissingTableError
        raise MissingTableError(f"{data} 中没有「绩效自评」表，无法计分")
    written = {k: stage / stem for r in results for k, stem in r["stems"].items()}
    ranking = pd.concat([r["ranking"] for r in results if r["ranking"] is not None], ignore_index=True)
    if len(ranking):
        # each part ranked its own whole units; the ranks across all units, as unit_ranking assigns them
        ranking["rank"] = ranking["composite"].rank(method="min", ascending=False).astype("Int64")
        ranking = ranking.sort_values(["rank", "unit_id"], na_position="last").reset_index(drop=True)
        written["ranking"] = write_parquet(ranking_table(ranking, rules), stage / "单位综合排名.parquet")
        rows["ranking"] = len(ranking)
    peaks = {str(r["worker"]): float(r["peak_mb"]) for r in results}
    for r in results:  # a worker ran several partitions: its peak is its largest
        peaks[str(r["worker"])] = max(peaks[str(r["worker"])], float(r["peak_mb"]))
    unread = sorted({s for r in results for s in r["unread"]})
    skipped = list(dict.fromkeys(s for r in results for s in r["skipped"]))
    return PartitionedRun(written, rows, peak_rss_mb(), peaks, time.perf_counter() - t0, unread, skipped, year_notes)

