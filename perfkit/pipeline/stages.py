"""The stages of the management cycle, declared once, and the one-process executor that runs them.

Each :class:`Stage` says what it reads (input tables; results of earlier stages), what it fills in the
:class:`Analysis`, which files of ``perfkit score`` come from it, and whether it is exact on any set of
whole units (then Dask runs it on each partition; a stage that compares units — the ranking — runs once
on the gathered results). The executors — one process (:func:`run_stages`), two processes
(:mod:`perfkit.pipeline.two_cores`) and Dask (:mod:`perfkit.pipeline.distributed`) — all run this list;
adding a stage means adding one entry here (and its file in :mod:`perfkit.pipeline.outputs`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from perfkit.analyses import application, exante, monitoring, review
from perfkit.analyses.evaluation import Scores, score_projects
from perfkit.io.contract import BY_NAME
from perfkit.io.load import Dataset, InputError, load
from perfkit.io.years import check_year, select_year, years_in
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook, load_rules


@dataclass
class Analysis:
    """Everything the annual report and the allocation analysis show, computed once."""

    data: Dataset
    rules: Rulebook
    month: int | None
    scores: Scores | None = None
    monitoring: monitoring.Monitoring | None = None
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=review.FINDING_COLUMNS))
    target_findings: pd.DataFrame | None = None
    exante: pd.DataFrame | None = None
    gate: pd.DataFrame | None = None
    archive_completeness: pd.DataFrame | None = None  # this year's 评价档案 (the table), not the yearly archive file
    spot_checks: pd.DataFrame | None = None
    ranking: pd.DataFrame | None = None
    proposal: pd.DataFrame | None = None
    history: pd.DataFrame | None = None  # earlier years' grades (project_id, year, grade), for escalation
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stage:
    """One stage of the cycle. ``key`` is what ``stages=`` selects it by (several steps may share one);
    ``title`` its name in the note when a table it needs is missing (None: left out without a note, as a
    step whose main stage has already said so); ``tables`` the input tables it needs; ``needs`` the
    :class:`Analysis` fields of earlier stages it reads (not there: not run, without a note); ``fills``
    the fields it sets; ``files`` the ``perfkit score`` tables made from them; ``monthly``: runs only at a
    month; ``application``: not part of ``perfkit score``; ``per_unit``: exact on any set of whole units.
    ``reads``: the other tables it reads when they are there (it runs without them); ``reads_at``: tables
    it reads only for some analyses (given the rules and the month) — an executor that loads tables per
    stage (:mod:`perfkit.pipeline.two_cores`) loads, and frees, what these say."""

    key: str
    title: str | None
    tables: tuple[str, ...]
    run: Callable[[Analysis], None]
    fills: tuple[str, ...]
    needs: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    reads_at: Callable[[Analysis], tuple[str, ...]] | None = None
    files: tuple[str, ...] = ()
    monthly: bool = False
    application: bool = False
    per_unit: bool = True


def _self_evaluation(a: Analysis) -> None:
    a.scores = score_projects(a.data, a.rules)
    a.findings = review.review_self_evaluation(a.scores.indicators, a.scores.projects, a.data, a.rules)


def _monitoring(a: Analysis) -> None:
    a.monitoring = monitoring.monitor(a.data, a.rules, a.month)


def _targets(a: Analysis) -> None:
    a.target_findings = review.review_targets(a.data, a.rules)


def _exante(a: Analysis) -> None:
    a.exante = exante.assess(a.data, a.rules)


def _gate(a: Analysis) -> None:
    a.gate = exante.gate(a.data, a.rules)


def _archive(a: Analysis) -> None:
    a.archive_completeness = review.archive_completeness(a.data)


def _spot_checks(a: Analysis) -> None:
    a.spot_checks = application.spot_check_plan(a.data, a.monitoring, a.rules,
                                                 a.scores.projects if a.scores is not None else None)


def _ranking(a: Analysis) -> None:
    a.ranking = application.unit_ranking(a.data, a.scores.projects, a.monitoring, a.findings, a.rules)


def _proposal(a: Analysis) -> None:
    a.proposal = application.budget_proposal(a.data, a.scores.projects, a.monitoring, a.rules, a.history)


# the pipeline, in the order the stages run (a stage reads only what an earlier one fills)
def _year_end_monitoring(a: Analysis) -> tuple[str, ...]:
    """The review compares the self-evaluation with the monitoring only at a year-end month (its rule)."""
    return review.MONITORING_TABLES if review.compares_monitoring(a.rules, a.month) else ()


PIPELINE: tuple[Stage, ...] = (
    Stage("self_eval", "绩效自评复核", ("self_eval",), _self_evaluation, ("scores", "findings"),
          files=("projects", "indicators", "findings"), reads=("projects", "self_summary", "targets"),
          reads_at=_year_end_monitoring),
    Stage("monitoring", "绩效运行监控", ("projects", "exec_monitor"), _monitoring, ("monitoring",),
          files=("monitoring",), monthly=True, reads=("ind_monitor", "targets")),
    Stage("targets", "绩效目标设置审核", ("targets",), _targets, ("target_findings",), files=("targets",),
          reads=("self_summary",)),
    Stage("exante", "事前绩效评估", ("exante",), _exante, ("exante",), application=True),
    Stage("exante", None, ("projects",), _gate, ("gate",), application=True, reads=("exante",)),
    Stage("archive", "评价档案", ("archive",), _archive, ("archive_completeness",), files=("archive",)),
    Stage("monitoring", None, (), _spot_checks, ("spot_checks",), needs=("monitoring",), application=True),
    Stage("ranking", "单位排名与结果应用", ("projects",), _ranking, ("ranking",), needs=("scores",),
          files=("ranking",), per_unit=False, reads=("units",)),
    Stage("ranking", None, ("projects",), _proposal, ("proposal",), needs=("scores",), application=True,
          per_unit=False, reads=("units", "exante")),
)


def stage_tables(stage: Stage, a: Analysis | None = None) -> tuple[str, ...]:
    """Every table ``stage`` reads (for ``a``'s rules and month; without ``a``: those it always may)."""
    extra = stage.reads_at(a) if a is not None and stage.reads_at is not None else ()
    return tuple(dict.fromkeys((*stage.tables, *stage.reads, *extra)))

# analyze's stages, by the name its skipped-stage note uses
STAGE_KEYS = {s.title: s.key for s in PIPELINE if s.title}
STAGES = tuple(STAGE_KEYS.values())


def skipped_note(stage: str, missing: Collection[str]) -> str:
    """The note for a stage left out because tables are missing (``missing``: table names)."""
    return f"{stage}：缺少「{'」「'.join(BY_NAME[t].sheet for t in missing)}」表，已跳过"


def missing_tables(a: Analysis, stage: Stage) -> list[str]:
    return [t for t in stage.tables if not a.data.has(t)]


def selected(stage: Stage, a: Analysis, keys: Collection[str] | None, applications: bool) -> bool:
    """Whether ``stage`` is among those asked for and has what it reads from earlier stages."""
    return ((keys is None or stage.key in keys) and (applications or not stage.application)
            and (a.month is not None or not stage.monthly) and all(getattr(a, n) is not None for n in stage.needs))


def run_stages(a: Analysis, keys: Collection[str] | None = None, applications: bool = True) -> Analysis:
    """The one-process executor: every stage of :data:`PIPELINE` among ``keys`` (None: all), in order;
    a stage whose table is absent is skipped with a one-line note in ``a.skipped``."""
    for stage in PIPELINE:
        if not selected(stage, a, keys, applications):
            continue
        missing = missing_tables(a, stage)
        if missing:
            if stage.title:
                a.skipped.append(skipped_note(stage.title, missing))
            continue
        stage.run(a)
    return a


def year_of(ds: Dataset, year: int | None = None) -> int:
    """The year analysed: checked against the 年度 of 项目 (perfkit.io.years). Data without any 年度 take
    the year asked for, else the workspace's 报告年度, else last calendar year — with a note, never silently."""
    found = check_year(years_in(ds), year, Path(str(ds.source)).name)
    return found if found is not None else year_without_data(ds.notes)


def year_without_data(notes: list[str]) -> int:
    """The year of data that carry no 年度 and were given none: the workspace's 报告年度, else last
    calendar year — with a note in ``notes``, never silently."""
    settings = workspace_settings()
    if settings is not None and settings.year:
        notes.append(f"数据中没有年度：按工作区设置的报告年度 {settings.year} 适用规则")
        return settings.year
    import datetime as dt

    fallback = dt.date.today().year - 1
    notes.append(f"数据中没有年度：按上一年度 {fallback} 适用规则（用 --year 指定）")
    return fallback


def workspace_settings(workspace: str | Path | None = None):
    """The district workspace in force (perfkit.io.settings), or None; a broken settings file is the
    user's error, said once by the command that reads it, not here."""
    from perfkit.io.settings import active

    try:
        return active(workspace, needed=False)
    except InputError:
        return None


def with_settings(rules: Rulebook, workspace: str | Path | None = None) -> Rulebook:
    """The workspace's own spot-check capacity (现场抽查能力) replaces the profile's."""
    settings = workspace_settings(workspace)
    if settings is not None and settings.capacity:
        rules = rules.with_value("spotcheck.capacity", dict(settings.capacity),
                                 source=f"本局设定（工作区设置「现场抽查能力」，{settings.folder.name}/设置.yaml）")
    return rules


def analyze(data: str | Path | Dataset, year: int | None = None, month: int | None = None,
            profile: str | Path = DEFAULT_PROFILE, history: pd.DataFrame | None = None,
            archive: str | Path | None = None, applications: bool = True,
            stages: Collection[str] | None = None, workspace: str | Path | None = None) -> Analysis:
    """Run every stage the data allows. A stage whose table is absent is skipped with a one-line note.

    Earlier years' grades (for the multi-year rule) come from ``history`` or, when it is not given, from
    the ``archive`` file (:mod:`perfkit.io.archive`), project codes carried through the 编码变更 table.
    ``applications=False`` leaves out what ``perfkit score`` does not write (ex-ante assessment and gate,
    spot-check plan, budget proposal). ``stages`` (of :data:`STAGES`) runs only those — ``perfkit score``
    on two cores runs the self-evaluation in one process and monitoring, targets and archive in another.

    ``data`` may be an analysis :func:`materialise` wrote (``perfkit report`` analyses once for its three
    documents): asked with the settings it was made with, it is returned as it is."""
    key = _settings(year, month, profile, history, archive, applications, stages)
    if not isinstance(data, Dataset) and str(data).endswith(MATERIALISED):
        stored_key, stored = read_materialised(data)
        if stored_key == key:
            return stored
        data = stored.data  # asked with other settings: analysed again from the same validated input
    ds = data if isinstance(data, Dataset) else load(data, month=month)
    if ds.secrecy is not None and archive is not None and Path(archive).is_file():
        from perfkit.io.secrecy import decide

        decide(ds, archive)  # 涉密 in an archived year (or under an earlier code) is 涉密 in every listing
    year = year_of(ds, year)
    ds = select_year(ds, year)  # several years in the data: this year's projects only, said in a note
    rules = with_settings(load_rules(profile, year), workspace)
    if history is None and archive is not None and Path(archive).exists():
        from perfkit.io import archive as arc

        history = arc.grade_history(archive, before=year, code_map=ds.get("code_changes"))
    return run_stages(Analysis(ds, rules, month, history=history), stages, applications)


def archive_results(a: Analysis) -> dict[str, pd.DataFrame]:
    """What the archive keeps of one year's run: scores, findings, monitoring at every month the data
    has, ranking and proposal (internal column names; money in 分)."""
    out: dict[str, pd.DataFrame] = {}
    if a.scores is not None:
        out["projects"], out["indicators"] = a.scores.projects, a.scores.indicators
        out["findings"] = a.findings
    if a.target_findings is not None:
        out["target_findings"] = a.target_findings
    if a.data.has("projects") and a.data.has("exec_monitor"):
        months = sorted({int(m) for m in a.data.table("exec_monitor")["month"].dropna().unique() if 1 <= m <= 12})
        out["monitoring"] = pd.concat([monitoring.monitor(a.data, a.rules, m).projects.assign(month=m)
                                       for m in months], ignore_index=True) if months else None
    for kind in ("ranking", "proposal"):
        if getattr(a, kind) is not None:
            out[kind] = getattr(a, kind)
    return {k: v for k, v in out.items() if v is not None}


# perfkit report analyses once and its three notebooks (three kernels) read the result from this file
MATERIALISED = ".analysis.pickle"


def _settings(year: int | None, month: int | None, profile: str | Path, history: pd.DataFrame | None,
              archive: str | Path | None, applications: bool, stages: Collection[str] | None) -> tuple | None:
    """What an analysis depends on beside its input (None: not reproducible from settings alone)."""
    if history is not None:
        return None
    return (None if year is None else int(year), None if month is None else int(month), str(profile),
            None if archive is None else str(archive), bool(applications), None if stages is None else tuple(stages))


def materialise(a: Analysis, folder: str | Path, year: int | None = None, month: int | None = None,
                profile: str | Path = DEFAULT_PROFILE, archive: str | Path | None = None) -> Path:
    """Write ``a`` (made by :func:`analyze` with these settings) into ``folder`` — a private folder of the
    user's cache: it holds every row, 涉密 ones included — for :func:`analyze` to read back."""
    import pickle

    path = Path(folder) / f"analysis{MATERIALISED}"
    key = _settings(year, month, profile, None, archive, True, None)
    with path.open("wb") as fh:
        pickle.dump((key, a), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def private_file(path: Path) -> bool:
    """Whether ``path`` and its folder belong to this user and no one else may write them — the only
    pickles perfkit reads (a pickle runs code when read)."""
    info = path.stat()
    folder = path.parent.stat()
    return not (hasattr(os, "getuid") and (info.st_uid != os.getuid() or folder.st_uid != os.getuid()
                                           or (info.st_mode | folder.st_mode) & (stat.S_IWGRP | stat.S_IWOTH)))


def read_materialised(path: str | Path) -> tuple[tuple | None, Analysis]:
    """An analysis :func:`materialise` wrote: only from a file of this user's that no one else may
    change (a pickle runs code when read; this one is written by perfkit report a moment earlier)."""
    import pickle

    path = Path(path)
    if not private_file(path):
        raise InputError(f"{path} 不是本用户私有的分析结果文件，不读取")
    with path.open("rb") as fh:
        return pickle.load(fh)  # noqa: S301 (checked above: the user's own private file)
