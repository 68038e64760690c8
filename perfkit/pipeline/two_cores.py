"""``perfkit score`` on two cores: a second process (a fresh interpreter) loads the monitoring tables and
runs the stages that do not read the self-evaluation (:data:`SIDE_STAGES`), while this one scores and
reviews the self-evaluation; the ranking, which needs both, runs when both are done. An executor of
:data:`perfkit.pipeline.stages.PIPELINE`; its files are those of one process, byte for byte."""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

import pandas as pd

from perfkit.analyses import monitoring, review
from perfkit.analyses.evaluation import score_projects
from perfkit.io.contract import TABLES
from perfkit.io.load import (
    REFERENCED,
    Dataset,
    InputError,
    forget_lookups,
    load,
    needs_huge_pages,
    release_memory,
    return_large_blocks,
    unify_categories,
    with_huge_pages,
)
from perfkit.pipeline.outputs import (
    SCORE_TABLES,
    ExcelRowsWarning,
    tables_to_read,
    warn_skipped,
    warn_unread_monitoring,
    write_scores,
)
from perfkit.pipeline.stages import PIPELINE, STAGES, Analysis, analyze, run_stages, stage_tables

# perfkit score on two cores, derived from the declaration (PIPELINE): the second process runs the stages
# of perfkit score that read neither the self-evaluation nor another stage's result (monitoring, targets,
# archive), in pipeline order; this one the rest (self-evaluation, ranking). Each loads the tables its
# stages read (with 单位 and 项目, which every reference is checked against: perfkit.io.load.REFERENCED);
# a table no stage of perfkit score reads (事前评估, 编码变更) is loaded by the second one only to be
# checked and counted. Together they load every contract table.
_SCORE = tuple(s for s in PIPELINE if not s.application)
SIDE_STAGES = tuple(dict.fromkeys(s.key for s in _SCORE if s.per_unit and not s.needs and s.key != "self_eval"))
MAIN_STAGES = tuple(dict.fromkeys(s.key for s in _SCORE if s.key not in SIDE_STAGES))


def _reads(keys: tuple[str, ...], a: Analysis | None = None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for s in _SCORE if s.key in keys for t in stage_tables(s, a)))


# 编码变更 carries 涉密 from an old code to its new one (perfkit.io.secrecy): every process that loads 项目
# loads it, so that both decide 涉密 alike
_UNREAD = tuple(t.name for t in TABLES if t.name not in REFERENCED and t.name not in _reads(STAGES))
MAIN_TABLES = (*_reads(MAIN_STAGES), "code_changes")
SIDE_TABLES = tuple(dict.fromkeys([*_reads(SIDE_STAGES), *_UNREAD]))
# after each stage of the second process, the tables no later stage of it reads are freed
SIDE_FREES = {k: tuple(t for t in _reads((k,)) if t not in REFERENCED
                       and t not in _reads(SIDE_STAGES[SIDE_STAGES.index(k) + 1:])) for k in SIDE_STAGES}
SIDE_FREES[SIDE_STAGES[-1]] += tuple(t for t in SIDE_TABLES if t not in _reads(SIDE_STAGES))
SIDE_OUTPUTS = tuple(f for s in PIPELINE if s.key in SIDE_STAGES for f in s.files)
# a folder smaller than this is scored in one process: starting a second costs more than it saves
# (benchmarks/bench_command.py: at 100,000 projects the folder is 67 MB of Parquet)
SPLIT_MIN_BYTES = 32 * 2**20


def forget_decision(ds: Dataset) -> None:
    """Let go of the 涉密 decision of a load for ``perfkit score`` (a process's whole run: at 1M projects
    0.26 GB — every 项目 row's code and name, and a Python string per code). The load has written it into
    项目 (``classified``) and the command writes no project names, nor asks it again; the commands that do
    (report, disclose, explorer) load the data themselves."""
    ds.secrecy = None
    release_memory()


def jobs_for(data: str | Path | Dataset, jobs: int | None) -> int:
    if jobs is not None:
        if int(jobs) < 1:
            raise InputError("--jobs 应为正整数（使用的处理器核数）")
        return int(jobs)
    if isinstance(data, Dataset) or not Path(data).is_dir():
        return 1
    size = sum(f.stat().st_size for f in Path(data).iterdir() if f.is_file() and f.suffix.lower() in (".csv", ".parquet"))
    if size < SPLIT_MIN_BYTES or (os.cpu_count() or 1) < 2:
        return 1
    return 2 if _available_memory() >= TWO_CORES_MEMORY_PER_BYTE * size else 1


# peak memory of a two-core score per byte of input, measured on Parquet (1M projects: 0.66 GB of files;
# two cores 3.8 GB peak with --month (docs/performance.md), 2.7 GB without; one core 3.4 GB), with room to spare; CSV files are
# larger for the same rows, so the estimate errs on the safe side
TWO_CORES_MEMORY_PER_BYTE = 10


def _available_memory() -> float:
    """Bytes of memory free for use now (psutil, which Jupyter installs); unknown → assume enough."""
    try:
        import psutil
    except ImportError:
        return float("inf")
    return float(psutil.virtual_memory().available)


def restart_with_huge_pages(data: str | Path, jobs: int | None) -> None:
    """Restart this process — the ``perfkit score`` command, as the same command with the same arguments
    — with glibc's huge pages for big blocks (:data:`perfkit.io.load.HUGE_PAGES`: a fifth less system
    time at 1M projects), when it is about to score on two cores and runs on Linux with glibc without
    them. The tunable is read when a process starts, hence the restart; it happens at most once (the
    restarted process has it). Only the command calls this (:func:`perfkit.cli.command`): a Python program
    calling ``perfkit.cli.main`` or the API keeps its process."""
    import sys

    if not needs_huge_pages() or jobs_for(data, jobs) < 2:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "perfkit", *sys.argv[1:]], with_huge_pages(dict(os.environ)))


def score_on_two_cores(data: Path, stage: Path, profile: str | Path, month: int | None, year: int | None,
                        output_format: str, jobs: int) -> dict[str, Path]:
    """:func:`score` with a second process: it loads and runs monitoring, the target review and the
    archive check and writes their files, while this process loads and scores the self-evaluation and
    writes 项目得分, 指标得分 and 审核发现. The ranking, which needs both, and the quarantine list, in table
    order as one load would give it, are written when both are done.

    The second process is a fresh interpreter started on perfkit alone (not a multiprocessing child, which
    re-runs the caller's script where it has no ``if __name__ == "__main__"`` guard); it hands back its
    result, or its error, in a pickle file."""
    from concurrent.futures import ThreadPoolExecutor

    from perfkit.io.load import MissingTableError, take_records

    side, result = _start_side(data, month, year, profile, stage, output_format)
    try:
        ds = load(data, month=month, only=tables_to_read(month, MAIN_TABLES))
        forget_decision(ds)
        a = analyze(ds, year=year, month=month, profile=profile, applications=False, stages=())  # rules only
        # tables a stage reads only for some rules and months (the year-end monitoring the review compares)
        late = [t for t in tables_to_read(month, _reads(MAIN_STAGES, a)) if t not in MAIN_TABLES]
        if late:
            ds.tables.update({k: v for k, v in load(data, month=month, only=late).tables.items() if k in late})
            unify_categories(ds.tables)
        if not ds.has("self_eval"):
            raise MissingTableError(f"{ds.source} 中没有「绩效自评」表，无法计分")
        a.scores = score_projects(ds, a.rules)
        for name in ("self_eval", "self_summary"):  # scored: the review reads the scores and 绩效目标 only
            ds.tables.pop(name, None)
        forget_lookups([*ds.tables.values(), a.scores.indicators, a.scores.projects])
        release_memory()
        # 项目得分 and 指标得分 are written while the review runs: a core the second process is done with
        # has work at once (the files are the same: neither depends on the review)
        with ThreadPoolExecutor(max_workers=1) as writer:
            early = writer.submit(write_scores, a, stage, output_format, ("projects", "indicators"), jobs)
            a.findings = review.review_self_evaluation(a.scores.indicators, a.scores.projects, ds, a.rules)
            for name in ("targets", *late):  # reviewed: freed before more text is built
                ds.tables.pop(name, None)
            release_memory()
            written = write_scores(a, stage, output_format, keys=("findings",))
            # the ranking compares units: it needs both processes' results, and runs while 指标得分 is
            # still being written (it reads neither 指标得分 nor its text)
            other = _side_result(side, result)
            take_records(ds, other["records"])
            if other["warned"] is not None:
                warned = other["warned"].assign(unit_id=pd.Categorical(other["warned"]["unit_id"].astype(object),
                                                                       dtype=ds.table("projects")["unit_id"].dtype))
                a.monitoring = monitoring.Monitoring(other["month"], warned, pd.DataFrame())
            run_stages(a, ("ranking",), applications=False)
            other["skipped"] += a.skipped
            written.update(write_scores(a, stage, output_format, keys=("quarantine", "ranking")))
            written.update(early.result())
    finally:  # on any error here the second process is stopped, not waited for
        if side.poll() is None:
            side.kill()
            side.wait()
        result.unlink(missing_ok=True)
    written.update(other["written"])
    for message in other["excel"]:
        warnings.warn(message, ExcelRowsWarning, stacklevel=3)
    warn_skipped(other["skipped"], ds.notes)
    warn_unread_monitoring(ds.unread, month)
    return {k: written[k] for k in SCORE_TABLES if k in written}


def _start_side(data: Path, month: int | None, year: int | None, profile: str | Path, stage: Path,
                output_format: str) -> tuple[subprocess.Popen, Path]:
    """Start :func:`side_main` in a new interpreter; returns the process and the file its result goes to."""
    import json
    import sys
    import tempfile

    fd, name = tempfile.mkstemp(prefix="perfkit-side-", suffix=".pickle")
    os.close(fd)
    spec = json.dumps([str(data), month, year, str(profile), str(stage), output_format, name])
    package_root = str(Path(__file__).resolve().parents[1])  # perfkit importable even when not installed
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    env = with_huge_pages({**os.environ, "PYTHONPATH": path})
    process = subprocess.Popen([sys.executable, "-c", "import sys; from perfkit.pipeline.two_cores import side_main; "
                                "side_main(sys.argv[1])", spec], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, Path(name)


def _side_result(process: subprocess.Popen, result: Path) -> dict[str, object]:
    """Wait for the second process; its result, or its error raised here."""
    import pickle

    code = process.wait()
    outcome = None
    if result.exists() and result.stat().st_size:
        with result.open("rb") as fh:
            outcome = pickle.load(fh)  # noqa: S301 (written by our own child process a moment ago)
    if outcome is None:  # killed before it could write: most often by the system, out of memory
        raise InputError(f"第二个计算进程意外退出（退出码 {code}，多为内存不足）：请用 --jobs 1 重新计分"
                         "（只用一个进程，内存约为两个进程时的六成）")
    kind, value = outcome
    if kind == "error":
        raise value
    return value


def side_main(spec: str) -> None:
    """The second process of a two-core ``perfkit score`` (started by :func:`_start_side`): runs
    :func:`_score_side` and pickles its result, or the error it stopped on, into the file named in
    ``spec``."""
    import json
    import pickle

    data, month, year, profile, stage, output_format, result = json.loads(spec)
    try:
        outcome: tuple[str, object] = ("ok", _score_side(data, month, year, profile, stage, output_format))
    except Exception as exc:  # handed to the first process, which raises it as its own
        outcome = ("error", exc)
    try:
        payload = pickle.dumps(outcome)
    except Exception:  # an error that does not pickle: its message
        payload = pickle.dumps(("error", InputError(str(outcome[1]))))
    Path(result).write_bytes(payload)


def _score_side(data: str, month: int | None, year: int | None, profile: str, stage: str, output_format: str
                ) -> dict[str, object]:
    """The second process of :func:`score_on_two_cores`: returns its files, its tables' load records,
    each project's warning (for the ranking) and the Excel-rows warnings to repeat."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())  # as the command does (perfkit.cli)
    return_large_blocks()
    ds = load(data, month=month, only=tables_to_read(month, SIDE_TABLES))
    forget_decision(ds)
    # one stage at a time, each stage's tables freed when no later one reads them: this process runs
    # beside the scoring, and what it holds adds to that process's memory
    a = analyze(ds, year=year, month=month, profile=profile, applications=False, stages=())
    for step in SIDE_STAGES:
        part = run_stages(Analysis(ds, a.rules, month), (step,), applications=False)
        a.skipped += part.skipped
        for name in {f for s in PIPELINE if s.key == step for f in s.fills}:
            setattr(a, name, getattr(part, name))
        if part.monitoring is not None:  # kept: the projects' lights (the 8M indicator paces are not)
            a.monitoring = monitoring.Monitoring(part.monitoring.month, part.monitoring.projects, pd.DataFrame())
        del part  # with the paces: held until the next stage had run, they were 0.37 GB beside the target review
        for name in SIDE_FREES[step]:
            ds.tables.pop(name, None)
        forget_lookups(ds.tables.values())
        release_memory()
    ds.tables.clear()
    release_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExcelRowsWarning)
        written = write_scores(a, Path(stage), output_format, keys=SIDE_OUTPUTS)
    mine = [n for n in SIDE_TABLES if n not in MAIN_TABLES]
    return {"written": written, "records": {n: r for n, r in ds.records.items() if n in mine},
            "warned": a.monitoring.projects[["unit_id", "warning"]] if a.monitoring is not None else None,
            "month": month, "skipped": a.skipped, "excel": [str(w.message) for w in caught if issubclass(w.category, ExcelRowsWarning)]}

