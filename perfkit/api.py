"""The Python API. Each ``perfkit`` sub-command is one function here (:data:`COMMANDS`; the CLI mirrors
the API, papermill-style), and a few functions are the API's own (:data:`API_ONLY`):

    >>> import perfkit.api as pk
    >>> result = pk.analyze("data/demo/demo.xlsx", year=2022, month=5)
    >>> pk.score("data/demo/demo.xlsx", out="out/")        # perfkit score DATA --out DIR

The API is the top floor with the CLI: it chooses an executor of the pipeline (:mod:`perfkit.pipeline`)
and the reporting module that writes a document; nothing below imports it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from perfkit.io.load import Dataset, InputError, load, release_memory
from perfkit.io.outputs import check_output_folder, replaced_folder
from perfkit.io.years import check_month, latest_month
from perfkit.pipeline.distributed import analyze_distributed, is_partitioned
from perfkit.pipeline.outputs import (  # noqa: F401 (the score's tables and notices, part of the API)
    FINDING_COLUMNS,
    FORMATS,
    INDICATOR_COLUMNS,
    MONITORING_COLUMNS,
    MONTHLY_TABLES,
    PROJECT_COLUMNS,
    RANKING_COLUMNS,
    SCORE_TABLES,
    ExcelRowsWarning,
    MonitoringNotReadWarning,
    ScoreNotice,
    StageSkippedWarning,
    is_score_output,
    score_tables,
    tables_to_read,
    warn_skipped,
    warn_unread_monitoring,
    write_scores,
)
from perfkit.pipeline.stages import STAGES, Analysis, analyze, archive_results  # noqa: F401
from perfkit.pipeline.two_cores import (  # noqa: F401
    MAIN_TABLES,
    SIDE_FREES,
    SIDE_STAGES,
    SIDE_TABLES,
    jobs_for,
    score_on_two_cores,
)
from perfkit.rules.rulebook import DEFAULT_PROFILE

# each ``perfkit`` sub-command and the API function it calls (tests/test_api_mirror.py holds the two to this
# table). Functions that live on a lower floor are offered here by name and imported when first used, so
# that ``import perfkit.api`` stays light (a report's notebook machinery is not loaded to score a file).
COMMANDS = {
    "init": "init_workspace", "validate": "load", "score": "score",
    "partition": "partition_dataset", "rules": "load_rules", "rules --check": "run_cases", "report": "report",
    "render": "render", "disclose": "disclose", "import-forms": "import_forms", "feedback": "feedback",
    "archive add": "archive_add", "archive list": "archive_years", "archive drop": "archive_drop",
    "template": "write_template", "template --forms": "write_form_templates",
}
# what the API offers beyond the commands (docs/architecture.md): the analysis itself, for notebooks and
# programs, and the score's tables as frames
API_ONLY = {"analyze": "the analysis as an object, for notebooks and programs: every command that reads data "
                       "calls it; no command prints it whole",
            "score_frames": "perfkit score's tables as frames in memory, for a program that goes on with them",
            "score_partitioned": "perfkit score on a partitioned dataset (the command chooses it by the data)",
            "write_import": "perfkit import-forms' second half: the imported tables and their report written"}
# the one command without an API function of its own: sample data, not a step of the work
CLI_ONLY = {"demo": "writes a demo district's workspace: perfkit.demo.generate_district, then write_workspace"}
_LOWER = {"init_workspace": "perfkit.io.settings", "load": "perfkit.io.load",
          "partition_dataset": "perfkit.pipeline.distributed", "load_rules": "perfkit.rules.rulebook",
          "run_cases": "perfkit.analyses.cases", "report": "perfkit.reporting.run", "render": "perfkit.reporting.run",
          "disclose": "perfkit.reporting.disclosure", "import_forms": "perfkit.io.forms",
          "write_import": "perfkit.io.forms", "archive_years": "perfkit.io.archive:years",
          "archive_drop": "perfkit.io.archive:drop_year", "write_template": "perfkit.io.templates",
          "write_form_templates": "perfkit.io.templates"}
__all__ = sorted({*COMMANDS.values(), *API_ONLY})


def __getattr__(name: str):
    """The API functions of lower floors, imported on first use (PEP 562)."""
    if name not in _LOWER:
        raise AttributeError(f"module 'perfkit.api' has no attribute {name!r}")
    import importlib

    module, _, attr = _LOWER[name].partition(":")
    return getattr(importlib.import_module(module), attr or name)


def archive_add(data: str | Path | Dataset, year: int | None = None, archive: str | Path = "data/perfkit.duckdb",
                month: int | None = None, profile: str | Path = DEFAULT_PROFILE) -> Analysis:
    """``perfkit archive add``: analyse one year and store its validated input and results in the
    archive, replacing that year if it is there (one transaction)."""
    from perfkit.io import archive as arc

    ds = data if isinstance(data, Dataset) else load(data)  # every month, for monitoring by month
    month = check_month(month) or latest_month(ds)  # the as-of month stored: asked for, or the latest reported
    a = analyze(ds, year=year, month=month, profile=profile, archive=archive)
    arc.add_year(archive, a.rules.year, a.data.tables, archive_results(a), profile=a.rules.profile,
                 profile_version=a.rules.fingerprint(), source=str(a.data.source), as_of_month=month)
    return a


def feedback(data: str | Path | Dataset, out: str | Path, year: int | None = None, month: int | None = None,
             profile: str | Path = DEFAULT_PROFILE, deadline: str | None = None, district: str = "",
             archive: str | Path | None = None, progress=None, issuer: str | None = None,
             contact: dict[str, object] | None = None):
    """``perfkit feedback``: a Word letter (绩效评价结果反馈及整改通知) and an Excel list for every unit.
    Without ``month``, the latest month present in 执行监控 (none: the letters carry no warnings)."""
    from perfkit.reporting.feedback import write_feedback

    if not district:
        from perfkit.io.settings import DISTRICT_PLACEHOLDER

        district = DISTRICT_PLACEHOLDER
    ds = data if isinstance(data, Dataset) else load(data)
    month = check_month(month) or latest_month(ds)
    a = analyze(ds, year=year, month=month, profile=profile, archive=archive)
    if a.scores is None:
        from perfkit.io.load import MissingTableError
        raise MissingTableError(f"{a.data.source} 中没有「绩效自评」表，无法反馈评价结果")
    return write_feedback(a, out, deadline=deadline, district=district, progress=progress, issuer=issuer,
                          contact=contact)


def score(data: str | Path | Dataset, out: str | Path, profile: str | Path = DEFAULT_PROFILE,
          month: int | None = None, year: int | None = None, engine: str = "pandas",
          scheduler: str | None = None, output_format: str | None = None, jobs: int | None = None
          ) -> dict[str, Path]:
    """``perfkit score``: the three files of docs/data-contract.md (UTF-8 with BOM) and useful extras.

    ``engine="dask"`` runs scoring, review and monitoring on a dask.distributed cluster (``scheduler``
    address, or a LocalCluster); the files written are the same. ``output_format="parquet"`` writes the
    same tables, the same columns, as ``.parquet`` (province scale: an 8M-row 指标得分 is beyond what
    Excel opens; a CSV that long gets an :class:`ExcelRowsWarning` saying so). ``data`` may be a dataset
    that ``perfkit partition`` split by unit: with ``engine="dask"`` every worker then reads its own
    part and writes its part of each table (:func:`score_partitioned`).

    Without ``month`` the two monthly monitoring tables are not read (there is no monitoring to compute,
    and at province scale they are most of the input): a :class:`MonitoringNotReadWarning` says so.

    ``jobs`` is how many cores to use (default: two where there are two, when ``data`` is a folder of
    more than :data:`SPLIT_MIN_BYTES` and the free memory is enough for two; one otherwise): with two, a
    second process loads the monitoring tables and writes 监控预警, 目标设置审核 and 评价档案 while this
    one scores the self-evaluation, and the 说明 of 指标得分 is built on two threads. The files are the
    same, byte for byte.
    """
    partitioned = not isinstance(data, Dataset) and is_partitioned(data)
    output_format = output_format or ("parquet" if partitioned else "csv")
    if output_format not in FORMATS:
        raise InputError(f"未知的输出格式「{output_format}」（可用：csv、parquet）")
    inputs = (Path(data),) if not isinstance(data, Dataset) else (Path(data.source),)
    check_output_folder(Path(out).absolute(), "score", is_score_output, inputs)  # before minutes of work
    if partitioned:
        return score_partitioned(data, out, profile, month, year, engine, scheduler, output_format).written
    jobs = jobs_for(data, jobs)
    split = engine == "pandas" and jobs > 1 and not isinstance(data, Dataset) and Path(data).is_dir()
    a = None if split else _analysis_for_score(data, profile, month, year, engine, scheduler)
    out = Path(out)
    # the output set is one unit: built aside and swapped in whole, so no file of an earlier run (another
    # --month's 监控预警) stays behind and a killed run leaves the previous set as it was
    with replaced_folder(out, "score", ours=is_score_output, inputs=inputs) as staging:
        written = (score_on_two_cores(Path(data), staging, profile, month, year, output_format, jobs) if split
                   else write_scores(a, staging, output_format, workers=jobs))
    if a is not None:  # after the files' own notices, as with two cores
        warn_skipped(a.skipped, a.data.notes)
        warn_unread_monitoring(a.data.unread, month)
    return {k: out / p.name for k, p in written.items()}



def score_partitioned(data: str | Path, out: str | Path, profile: str | Path = DEFAULT_PROFILE,
                      month: int | None = None, year: int | None = None, engine: str = "dask",
                      scheduler: str | None = None, output_format: str = "parquet", workers: int = 2):
    """``perfkit score PARTS --engine dask`` on a dataset split by ``perfkit partition``: each worker loads
    its own part from storage every worker sees and writes ``<表>/part-NNNNN.parquet`` into ``out``; the
    client gathers only the units' ranking parts. Returns the run (files, rows, client's and workers'
    peak memory, seconds)."""
    from perfkit.pipeline.distributed import score_partitioned as run

    if engine != "dask":
        raise InputError(f"{data} 是按单位分区的数据集（perfkit partition 写出），请用 --engine dask 计分，"
                         "或对分区前的原数据计分")
    if output_format != "parquet":
        raise InputError("分区数据集的计分结果由各 worker 按分区写成 Parquet，请用 --format parquet")
    inputs = (Path(data),)
    with replaced_folder(Path(out), "score", ours=is_score_output, inputs=inputs) as staging:
        r = run(data, staging, year, month, str(profile), scheduler, workers)
    warn_skipped(r.skipped, r.notes)
    warn_unread_monitoring(r.unread, month)
    r.written = {k: Path(out) / p.name for k, p in r.written.items()}
    return r


def score_frames(data: str | Path | Dataset, profile: str | Path = DEFAULT_PROFILE, month: int | None = None,
                 year: int | None = None, engine: str = "pandas", scheduler: str | None = None
                 ) -> dict[str, pd.DataFrame]:
    """What ``perfkit score`` writes, as frames (keys as in :func:`score`'s result: projects, indicators,
    findings, …; Chinese column names; text as it is — neutralising formulas is for files Excel opens)."""
    a = _analysis_for_score(data, profile, month, year, engine, scheduler)
    warn_skipped(a.skipped, a.data.notes)
    warn_unread_monitoring(a.data.unread, month)
    return {k: (o.frames if isinstance(o.frames, pd.DataFrame) else pd.concat([b() for b in o.frames], ignore_index=True))
            for k, o in score_tables(a).items()}


def _analysis_for_score(data: str | Path | Dataset, profile: str | Path, month: int | None, year: int | None,
                        engine: str, scheduler: str | None) -> Analysis:
    if engine not in ("pandas", "dask"):
        raise InputError(f"未知的计算引擎「{engine}」（可用：pandas、dask）")
    ds = data if isinstance(data, Dataset) else load(data, month=month, only=tables_to_read(month))
    if engine == "dask":
        a = analyze_distributed(ds, year=year, month=month, profile=profile, scheduler=scheduler)
    else:
        a = analyze(ds, year=year, month=month, profile=profile, applications=False)
    if a.scores is None:
        from perfkit.io.load import MissingTableError
        raise MissingTableError(f"{a.data.source} 中没有「绩效自评」表，无法计分")
    if not isinstance(data, Dataset):  # loaded here: the input tables are not written, free them before the text
        a.data.tables.clear()
        release_memory()
    return a

