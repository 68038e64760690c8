"""The Python API. Each function is one ``perfkit`` sub-command (the CLI mirrors it, papermill-style):

    >>> import perfkit.api as pk
    >>> result = pk.analyze("data/demo/demo.xlsx", year=2022, month=5)
    >>> pk.score("data/demo/demo.xlsx", out="out/")        # perfkit score DATA --out DIR
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from perfkit.analyses import application, exante, monitoring, review
from perfkit.analyses.evaluation import (
    Scores,
    explain_indicators,
    explain_projects,
    grade_label,
    score_projects,
)
from perfkit.io.contract import BY_NAME, TABLES
from perfkit.io.load import NOT_READ, Dataset, InputError, load, release_memory
from perfkit.io.outputs import check_output_folder, replaced_folder
from perfkit.io.values import FEN_PER_WAN
from perfkit.io.write import EXCEL_MAX_ROWS, write_csv, write_parquet
from perfkit.io.years import check_month, check_year, latest_month, select_year, years_in
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook, load_rules

# 项目得分.csv / 指标得分.csv / 审核发现.csv: the contract's columns first, then useful extras
# 总分 is the recomputed total, blank for 待核实 (whose 已复算部分 is the sum of what could be recomputed,
# out of 可复算分值 — a partial sum beside a grade would read as a failure to anyone filtering 总分); 等级 the
# recomputed grade or, for 待核实, the unit's own marked provisional; 执行率得分来源 says whether the
# execution score was recomputed or is the unit's own (docs/data-contract.md)
PROJECT_COLUMNS = {"project_id": "项目编码", "exec_rate": "执行率", "exec_score": "执行率得分",
                   "indicator_score": "指标得分", "total": "总分", "grade_shown": "等级",
                   "unit_total": "自评总分", "difference": "差异", "recomputable_points": "可复算分值",
                   "status": "复算状态", "recomputed_total": "已复算部分", "exec_source": "执行率得分来源",
                   "n_restated": "单位自述指标数", "completion": "指标总体完成率", "explanation": "说明"}
INDICATOR_COLUMNS = {"project_id": "项目编码", "indicator": "三级指标", "cmp": "比较方式", "target": "目标值",
                     "actual": "实际值", "unit": "单位", "weight": "分值", "score": "得分", "unit_score": "自评得分",
                     "explanation": "说明", "target_text": "指标值", "actual_text": "实际完成值", "_row": "源表行号",
                     "restated": "单位自述", "rule_key": "规则编号"}
FINDING_COLUMNS = {"project_id": "项目编码", "indicator": "三级指标", "finding": "问题类型", "explanation": "说明"}
# 单位综合排名.csv: the rank, the composite and every weighted part (rulebook ranking.weights), money in 万元
RANKING_COLUMNS = {"rank": "名次", "unit_id": "单位编码", "unit_name": "单位名称", "department": "主管部门",
                   "composite": "综合得分", "projects": "项目数", "mean_score": "自评复核平均分", "fail_rate": "不合格率",
                   "budget": "全年预算数（万元）", "spent": "全年执行数（万元）", "execution": "预算执行率",
                   "warning_rate": "预警率", "findings": "审核问题数", "findings_per_project": "每项目审核问题数",
                   "part_mean_score": "平均分分项", "part_pass_rate": "合格率分项", "part_execution": "执行分项",
                   "part_no_warning": "非预警分项", "part_findings": "审核分项", "unranked_reason": "未排名原因",
                   "ranking_basis": "排名口径"}
# 监控预警_<M>月.csv: every input of the warning rule, so that an auditor re-derives it from the file alone:
# 偏差（百分点） = |执行进度（相对序时，封顶）− 目标总体完成率| × 100, where 执行进度（相对序时，封顶）
# = min(执行进度 ÷ 序时进度, 1); 预警 = 执行灯红 or 偏差 > the rulebook's threshold or 完全不可能 or 未报送
MONITORING_COLUMNS = {"project_id": "项目编码", "unit_id": "单位编码",
                      "monitor_class": "监控分类", "time_progress": "序时进度", "exec_progress": "执行进度",
                      "exec_ratio": "执行进度÷序时进度", "exec_pace": "执行进度（相对序时，封顶）",
                      "exec_light": "执行灯", "target_completion": "目标总体完成率", "indicator_light": "指标灯",
                      "deviation_pp": "偏差（百分点）", "impossible": "自报完全不可能", "unreported": "未报送",
                      "n_undecidable": "无法判断指标数",
                      "light": "项目灯", "warning": "预警", "warning_reason": "预警原因"}


# analyze's stages, by the name its skipped-stage note uses
STAGE_KEYS = {"绩效自评复核": "self_eval", "绩效运行监控": "monitoring", "绩效目标设置审核": "targets",
              "事前绩效评估": "exante", "评价档案": "archive", "单位排名与结果应用": "ranking"}
STAGES = tuple(STAGE_KEYS.values())


@dataclass
class Analysis:
    """Everything the annual report and the allocation analysis show, computed once."""

    data: Dataset
    rules: Rulebook
    month: int | None
    scores: Scores | None = None
    monitoring: monitoring.Monitoring | None = None
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(FINDING_COLUMNS)))
    target_findings: pd.DataFrame | None = None
    exante: pd.DataFrame | None = None
    gate: pd.DataFrame | None = None
    archive: pd.DataFrame | None = None
    spot_checks: pd.DataFrame | None = None
    ranking: pd.DataFrame | None = None
    proposal: pd.DataFrame | None = None
    history: pd.DataFrame | None = None  # earlier years' grades (project_id, year, grade), for escalation
    skipped: list[str] = field(default_factory=list)


def analyze(data: str | Path | Dataset, year: int | None = None, month: int | None = None,
            profile: str | Path = DEFAULT_PROFILE, history: pd.DataFrame | None = None,
            archive: str | Path | None = None, applications: bool = True,
            stages: Collection[str] | None = None, workspace: str | Path | None = None) -> Analysis:
    """Run every stage the data allows. A stage whose table is absent is skipped with a one-line note.

    Earlier years' grades (for the multi-year rule) come from ``history`` or, when it is not given, from
    the ``archive`` file (:mod:`perfkit.io.archive`), project codes carried through the 编码变更 table.
    ``applications=False`` leaves out what ``perfkit score`` does not write (ex-ante assessment and gate,
    spot-check plan, budget proposal). ``stages`` (of :data:`STAGES`) runs only those — ``perfkit score``
    on two cores runs the self-evaluation in one process and monitoring, targets and archive in another."""
    ds = data if isinstance(data, Dataset) else load(data, month=month)
    if ds.secrecy is not None and archive is not None and Path(archive).is_file():
        from perfkit.io.secrecy import decide

        decide(ds, archive)  # 涉密 in an archived year (or under an earlier code) is 涉密 in every listing
    year = _year_of(ds, year)
    ds = select_year(ds, year)  # several years in the data: this year's projects only, said in a note
    rules = _with_settings(load_rules(profile, year), workspace)
    if history is None and archive is not None and Path(archive).exists():
        from perfkit.io import archive as arc

        history = arc.grade_history(archive, before=year, code_map=ds.get("code_changes"))
    a = Analysis(ds, rules, month, history=history)

    def need(*tables: str, stage: str) -> bool:
        if stages is not None and STAGE_KEYS[stage] not in stages:
            return False
        missing = [t for t in tables if not ds.has(t)]
        if missing:
            a.skipped.append(skipped_note(stage, missing))
        return not missing

    if need("self_eval", stage="绩效自评复核"):
        a.scores = score_projects(ds, rules)
        a.findings = review.review_self_evaluation(a.scores.indicators, a.scores.projects, ds, rules)
    if month is not None and need("projects", "exec_monitor", stage="绩效运行监控"):
        a.monitoring = monitoring.monitor(ds, rules, month)
    if need("targets", stage="绩效目标设置审核"):
        a.target_findings = review.review_targets(ds, rules)
    if applications and need("exante", stage="事前绩效评估"):
        a.exante = exante.assess(ds, rules)
    if applications and ds.has("projects") and (stages is None or "exante" in stages):
        a.gate = exante.gate(ds, rules)
    if need("archive", stage="评价档案"):
        a.archive = review.archive_completeness(ds)
    if applications and a.monitoring is not None and (stages is None or "monitoring" in stages):
        a.spot_checks = application.spot_check_plan(ds, a.monitoring, rules,
                                                     a.scores.projects if a.scores is not None else None)
    if a.scores is not None and need("projects", stage="单位排名与结果应用"):
        a.ranking = application.unit_ranking(ds, a.scores.projects, a.monitoring, a.findings, rules)
        if applications:
            a.proposal = application.budget_proposal(ds, a.scores.projects, a.monitoring, rules, history)
    return a


def analyze_distributed(data: str | Path | Dataset, year: int | None = None, month: int | None = None,
                        profile: str | Path = DEFAULT_PROFILE, scheduler: str | None = None) -> Analysis:
    """:func:`analyze`'s scoring, review and monitoring on a dask cluster (partitioned by unit); the
    unit ranking and the proposal are then computed on the gathered results."""
    from perfkit.analyses.distributed import analyze_on_cluster

    ds = data if isinstance(data, Dataset) else load(data, month=month)
    year = _year_of(ds, year)
    ds = select_year(ds, year)
    rules = _with_settings(load_rules(profile, year))
    a = Analysis(ds, rules, month)
    r = analyze_on_cluster(ds, rules, month, scheduler)
    a.scores = Scores(r.indicators, r.projects)
    a.findings = r.findings
    if r.monitoring is not None:
        a.monitoring = monitoring.Monitoring(month, r.monitoring, pd.DataFrame())
    a.ranking = application.unit_ranking(ds, a.scores.projects, a.monitoring, a.findings, rules)
    return a


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
             archive: str | Path | None = None, progress=None, issuer: str | None = None, contact: str = ""):
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


def _year_of(ds: Dataset, year: int | None = None) -> int:
    """The year analysed: checked against the 年度 of 项目 (perfkit.io.years). Data without any 年度 take
    the year asked for, else the workspace's 报告年度, else last calendar year — with a note, never silently."""
    found = check_year(years_in(ds), year, Path(str(ds.source)).name)
    if found is not None:
        return found
    settings = _settings()
    if settings is not None and settings.year:
        ds.notes.append(f"数据中没有年度：按工作区设置的报告年度 {settings.year} 适用规则")
        return settings.year
    import datetime as dt

    fallback = dt.date.today().year - 1
    ds.notes.append(f"数据中没有年度：按上一年度 {fallback} 适用规则（用 --year 指定）")
    return fallback


def _settings(workspace: str | Path | None = None):
    """The workspace in force (perfkit.io.settings), or None; a broken settings file is the user's
    error, said once by the command that reads it, not here."""
    from perfkit.io.settings import active

    try:
        return active(workspace, needed=False)
    except InputError:
        return None


def _with_settings(rules: Rulebook, workspace: str | Path | None = None) -> Rulebook:
    """The workspace's own spot-check capacity (现场抽查能力) replaces the profile's."""
    settings = _settings(workspace)
    if settings is not None and settings.capacity:
        rules = rules.with_value("spotcheck.capacity", dict(settings.capacity),
                                 source=f"本局设定（工作区设置「现场抽查能力」，{settings.folder.name}/设置.yaml）")
    return rules


ROWS_PER_CHUNK = 200_000  # 说明 text is built and written this many indicator rows at a time
FORMATS = ("csv", "parquet")


class ScoreNotice(UserWarning):
    """Something ``perfkit score`` tells its user once the files are written (the command prints it as
    one line, 注意：…)."""


class ExcelRowsWarning(ScoreNotice):
    """A CSV longer than an Excel/WPS sheet: it opens cut off."""


class MonitoringNotReadWarning(ScoreNotice):
    """``perfkit score`` without a month: the monitoring tables were not read (nor checked)."""


class StageSkippedWarning(ScoreNotice):
    """A table that one of the files needs is missing: that file is not written (the rest are)."""


SCORE_STAGE_FILES = {"monitoring": "监控预警", "targets": "目标设置审核", "archive": "评价档案",
                     "ranking": "单位综合排名"}


def skipped_note(stage: str, missing: Collection[str]) -> str:
    """The note for a stage left out because tables are missing (``missing``: table names)."""
    return f"{stage}：缺少「{'」「'.join(BY_NAME[t].sheet for t in missing)}」表，已跳过"


def _warn_skipped(skipped: Collection[str], notes: Collection[str] = ()) -> None:
    """``analyze``'s skipped-stage notes (``绩效运行监控：缺少「执行监控」表，已跳过``) for the files
    ``perfkit score`` writes: a --month with no 执行监控 is said, not met with a missing file — and
    first the load's note on a table file the folder holds in a format it does not read (执行监控.pq)."""
    for note in notes:
        if NOT_READ in note:
            warnings.warn(note, StageSkippedWarning, stacklevel=3)
    for note in dict.fromkeys(skipped):
        file = SCORE_STAGE_FILES.get(STAGE_KEYS.get(note.split("：")[0], ""))
        if file:
            warnings.warn(f"{note}，本次不写{file}", StageSkippedWarning, stacklevel=3)


# without a month there is no monitoring to compute, and the two monthly tables — at province scale
# twelve months of 8M indicator rows, most of the input — would be read only to be checked: score leaves
# them out and says so (perfkit validate checks every table; --month reads that month's rows)
MONTHLY_TABLES = ("exec_monitor", "ind_monitor")


def _tables_to_read(month: int | None, tables: Collection[str] | None = None) -> tuple[str, ...] | None:
    """The tables ``perfkit score`` loads for ``month`` among ``tables`` (None: all there are)."""
    if month is not None:
        return None if tables is None else tuple(tables)
    return tuple(t for t in (tables or [t.name for t in TABLES]) if t not in MONTHLY_TABLES)


def _warn_unread_monitoring(unread_sheets: Collection[str], month: int | None) -> None:
    """``unread_sheets``: the sheets found but not loaded (:attr:`Dataset.unread`; of every part, partitioned)."""
    unread = [BY_NAME[t].sheet for t in MONTHLY_TABLES if BY_NAME[t].sheet in unread_sheets]
    if month is None and unread:
        warnings.warn(f"未指定 --month：{'、'.join(unread)}本次未使用，不出监控预警、也不检查{'这两张表' if len(unread) > 1 else '这张表'}"
                      "；要监控预警请加 --month 月份（只读入该月的行），要检查全部表请用 perfkit validate",
                      MonitoringNotReadWarning, stacklevel=3)


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
    from perfkit.analyses.distributed import is_partitioned

    partitioned = not isinstance(data, Dataset) and is_partitioned(data)
    output_format = output_format or ("parquet" if partitioned else "csv")
    if output_format not in FORMATS:
        raise InputError(f"未知的输出格式「{output_format}」（可用：csv、parquet）")
    inputs = (Path(data),) if not isinstance(data, Dataset) else (Path(data.source),)
    check_output_folder(Path(out).absolute(), "score", _score_output, inputs)  # before minutes of work
    if partitioned:
        return score_partitioned(data, out, profile, month, year, engine, scheduler, output_format).written
    jobs = _jobs(data, jobs)
    split = engine == "pandas" and jobs > 1 and not isinstance(data, Dataset) and Path(data).is_dir()
    a = None if split else _analysis_for_score(data, profile, month, year, engine, scheduler)
    out = Path(out)
    # the output set is one unit: built aside and swapped in whole, so no file of an earlier run (another
    # --month's 监控预警) stays behind and a killed run leaves the previous set as it was
    with replaced_folder(out, "score", ours=_score_output, inputs=inputs) as stage:
        written = (_score_on_two_cores(Path(data), stage, profile, month, year, output_format, jobs) if split
                   else _write_scores(a, stage, output_format, workers=jobs))
    if a is not None:  # after the files' own notices, as with two cores
        _warn_skipped(a.skipped, a.data.notes)
        _warn_unread_monitoring(a.data.unread, month)
    return {k: out / p.name for k, p in written.items()}


# perfkit score on two cores: the tables each process loads (with 单位 and 项目, which every reference is
# checked against), and what the second one runs and writes. Together they load every contract table.
MAIN_TABLES = ("targets", "self_eval", "self_summary", "code_changes")
SIDE_TABLES = ("targets", "exec_monitor", "ind_monitor", "exante", "archive")
SIDE_STAGES = ("monitoring", "targets", "archive")  # in this order; after each, the tables no later one reads
SIDE_FREES = {"monitoring": ("exec_monitor", "ind_monitor"), "targets": ("targets",), "archive": ("archive", "exante")}
SIDE_OUTPUTS = ("targets", "monitoring", "archive")
# a folder smaller than this is scored in one process: starting a second costs more than it saves
# (benchmarks/bench_command.py: at 100,000 projects the folder is 67 MB of Parquet)
SPLIT_MIN_BYTES = 32 * 2**20


def _jobs(data: str | Path | Dataset, jobs: int | None) -> int:
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
# two cores 5.5 GB peak with --month, 3.6 GB without; one core 3.4 GB), with room to spare; CSV files are
# larger for the same rows, so the estimate errs on the safe side
TWO_CORES_MEMORY_PER_BYTE = 10


def _available_memory() -> float:
    """Bytes of memory free for use now (psutil, which Jupyter installs); unknown → assume enough."""
    try:
        import psutil
    except ImportError:
        return float("inf")
    return float(psutil.virtual_memory().available)


def _score_on_two_cores(data: Path, stage: Path, profile: str | Path, month: int | None, year: int | None,
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
        ds = load(data, month=month, only=_tables_to_read(month, MAIN_TABLES))
        a = analyze(ds, year=year, month=month, profile=profile, applications=False, stages=())  # rules only
        if not ds.has("self_eval"):
            raise MissingTableError(f"{ds.source} 中没有「绩效自评」表，无法计分")
        a.scores = score_projects(ds, a.rules)
        for name in ("self_eval", "self_summary"):  # scored: the review reads the scores and 绩效目标 only
            ds.tables.pop(name, None)
        release_memory()
        # 项目得分 and 指标得分 are written while the review runs: a core the second process is done with
        # has work at once (the files are the same: neither depends on the review)
        with ThreadPoolExecutor(max_workers=1) as writer:
            early = writer.submit(_write_scores, a, stage, output_format, ("projects", "indicators"), jobs)
            a.findings = review.review_self_evaluation(a.scores.indicators, a.scores.projects, ds, a.rules)
            ds.tables.pop("targets", None)  # reviewed: free it before more text is built
            release_memory()
            written = _write_scores(a, stage, output_format, keys=("findings",))
            written.update(early.result())
        other = _side_result(side, result)
    finally:  # on any error here the second process is stopped, not waited for
        if side.poll() is None:
            side.kill()
            side.wait()
        result.unlink(missing_ok=True)
    take_records(ds, other["records"])
    if other["warned"] is not None:
        warned = other["warned"].assign(unit_id=pd.Categorical(other["warned"]["unit_id"].astype(object),
                                                               dtype=ds.table("projects")["unit_id"].dtype))
        a.monitoring = monitoring.Monitoring(other["month"], warned, pd.DataFrame())
    if ds.has("projects"):
        a.ranking = application.unit_ranking(ds, a.scores.projects, a.monitoring, a.findings, a.rules)
    else:
        other["skipped"].append(skipped_note("单位排名与结果应用", ["projects"]))
    written.update(_write_scores(a, stage, output_format, keys=("quarantine", "ranking")))
    written.update(other["written"])
    for message in other["excel"]:
        warnings.warn(message, ExcelRowsWarning, stacklevel=3)
    _warn_skipped(other["skipped"], ds.notes)
    _warn_unread_monitoring(ds.unread, month)
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
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
    process = subprocess.Popen([sys.executable, "-c", "import sys; from perfkit.api import side_main; "
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
    """The second process of :func:`_score_on_two_cores`: returns its files, its tables' load records,
    each project's warning (for the ranking) and the Excel-rows warnings to repeat."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())  # as the command does (perfkit.cli)
    ds = load(data, month=month, only=_tables_to_read(month, SIDE_TABLES))
    # one stage at a time, each stage's tables freed when no later one reads them: this process runs
    # beside the scoring, and what it holds adds to that process's memory
    a = analyze(ds, year=year, month=month, profile=profile, applications=False, stages=())
    for step in SIDE_STAGES:
        part = analyze(ds, year=year, month=month, profile=profile, applications=False, stages=(step,))
        a.skipped += part.skipped
        if part.monitoring is not None:  # written: the projects' lights (the 8M indicator paces are not)
            a.monitoring = monitoring.Monitoring(part.monitoring.month, part.monitoring.projects, pd.DataFrame())
        a.target_findings = part.target_findings if step == "targets" else a.target_findings
        a.archive = part.archive if step == "archive" else a.archive
        for name in SIDE_FREES[step]:
            ds.tables.pop(name, None)
        release_memory()
    ds.tables.clear()
    release_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExcelRowsWarning)
        written = _write_scores(a, Path(stage), output_format, keys=SIDE_OUTPUTS)
    mine = [n for n in SIDE_TABLES if n not in MAIN_TABLES]
    return {"written": written, "records": {n: r for n, r in ds.records.items() if n in mine},
            "warned": a.monitoring.projects[["unit_id", "warning"]] if a.monitoring is not None else None,
            "month": month, "skipped": a.skipped, "excel": [str(w.message) for w in caught if issubclass(w.category, ExcelRowsWarning)]}


def score_partitioned(data: str | Path, out: str | Path, profile: str | Path = DEFAULT_PROFILE,
                      month: int | None = None, year: int | None = None, engine: str = "dask",
                      scheduler: str | None = None, output_format: str = "parquet", workers: int = 2):
    """``perfkit score PARTS --engine dask`` on a dataset split by ``perfkit partition``: each worker loads
    its own part from storage every worker sees and writes ``<表>/part-NNNNN.parquet`` into ``out``; the
    client gathers only the units' ranking parts. Returns the run (files, rows, client's and workers'
    peak memory, seconds)."""
    from perfkit.analyses.distributed import score_partitioned as run

    if engine != "dask":
        raise InputError(f"{data} 是按单位分区的数据集（perfkit partition 写出），请用 --engine dask 计分，"
                         "或对分区前的原数据计分")
    if output_format != "parquet":
        raise InputError("分区数据集的计分结果由各 worker 按分区写成 Parquet，请用 --format parquet")
    inputs = (Path(data),)
    with replaced_folder(Path(out), "score", ours=_score_output, inputs=inputs) as stage:
        r = run(data, stage, year, month, str(profile), scheduler, workers)
    _warn_skipped(r.skipped)
    _warn_unread_monitoring(r.unread, month)
    r.written = {k: Path(out) / p.name for k, p in r.written.items()}
    return r


def score_frames(data: str | Path | Dataset, profile: str | Path = DEFAULT_PROFILE, month: int | None = None,
                 year: int | None = None, engine: str = "pandas", scheduler: str | None = None
                 ) -> dict[str, pd.DataFrame]:
    """What ``perfkit score`` writes, as frames (keys as in :func:`score`'s result: projects, indicators,
    findings, …; Chinese column names; text as it is — neutralising formulas is for files Excel opens)."""
    a = _analysis_for_score(data, profile, month, year, engine, scheduler)
    _warn_skipped(a.skipped, a.data.notes)
    _warn_unread_monitoring(a.data.unread, month)
    return {k: (o.frames if isinstance(o.frames, pd.DataFrame) else pd.concat([b() for b in o.frames], ignore_index=True))
            for k, o in _score_tables(a).items()}


def _analysis_for_score(data: str | Path | Dataset, profile: str | Path, month: int | None, year: int | None,
                        engine: str, scheduler: str | None) -> Analysis:
    if engine not in ("pandas", "dask"):
        raise InputError(f"未知的计算引擎「{engine}」（可用：pandas、dask）")
    ds = data if isinstance(data, Dataset) else load(data, month=month, only=_tables_to_read(month))
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


SCORE_FILES = re.compile(r"^(项目得分|指标得分|审核发现|隔离记录|目标设置审核|监控预警_\d+月|单位综合排名|评价档案)\.(csv|parquet)$")


def _score_output(entry: Path) -> bool:
    """A file an earlier ``perfkit score`` (before output folders carried a marker) may have written."""
    return entry.is_file() and SCORE_FILES.match(entry.name) is not None


@dataclass
class _Output:
    stem: str  # the file name without its suffix
    frames: pd.DataFrame | list[Callable[[], pd.DataFrame]]  # a frame, or what builds each chunk of one
    rows: int


def _chunks(frame: pd.DataFrame, build: Callable[[pd.DataFrame], pd.DataFrame]) -> list[Callable[[], pd.DataFrame]]:
    """What builds each :data:`ROWS_PER_CHUNK` rows of an output table (its 说明 text) when called."""
    return [partial(build, frame.iloc[i:i + ROWS_PER_CHUNK]) for i in range(0, max(len(frame), 1), ROWS_PER_CHUNK)]


# the tables of perfkit score, in the order it writes them and lists them
SCORE_TABLES = ("projects", "indicators", "findings", "quarantine", "targets", "monitoring", "ranking", "archive")


def _score_tables(a: Analysis, keys: Collection[str] = SCORE_TABLES) -> dict[str, _Output]:
    """The tables of ``perfkit score`` among ``keys`` that the analysis has (Chinese columns); 指标得分 as
    chunks whose 说明 is built when the chunk is written."""
    out: dict[str, _Output] = {}
    if a.scores is not None and "projects" in keys:
        out["projects"] = _Output("项目得分", _chunks(a.scores.projects, lambda p: _chinese(
            p.assign(explanation=explain_projects(p, a.rules), grade_shown=grade_label(p)), PROJECT_COLUMNS)),
            len(a.scores.projects))
    if a.scores is not None and "indicators" in keys:
        out["indicators"] = _Output("指标得分", _chunks(a.scores.indicators, lambda part: _chinese(
            part.assign(explanation=explain_indicators(part, a.rules)), INDICATOR_COLUMNS)), len(a.scores.indicators))
    if a.scores is not None and "findings" in keys:
        out["findings"] = _Output("审核发现", _chinese(a.findings, FINDING_COLUMNS), len(a.findings))
    if "quarantine" in keys:
        out["quarantine"] = _Output("隔离记录", a.data.quarantine, len(a.data.quarantine))
    if a.target_findings is not None and "targets" in keys:
        out["targets"] = _Output("目标设置审核", _chinese(a.target_findings, FINDING_COLUMNS), len(a.target_findings))
    if a.monitoring is not None and "monitoring" in keys:
        p = a.monitoring.projects
        out["monitoring"] = _Output(f"监控预警_{a.monitoring.month}月", _chinese(p, MONITORING_COLUMNS), len(p))
    if a.ranking is not None and "ranking" in keys:
        ranking = a.ranking.assign(mean_score=a.ranking["mean_score"].round(a.rules["evaluation.decimals"]),
                                   budget=a.ranking["budget"].astype("Float64") / FEN_PER_WAN,
                                   spent=a.ranking["spent"].astype("Float64") / FEN_PER_WAN)
        out["ranking"] = _Output("单位综合排名", _chinese(ranking, RANKING_COLUMNS), len(ranking))
    if a.archive is not None and "archive" in keys:
        out["archive"] = _Output("评价档案", a.archive.rename(columns={"project_id": "项目编码", "completeness": "完整率",
                                                                   "missing": "缺少材料"}), len(a.archive))
    return out


def _write_scores(a: Analysis, out: Path, output_format: str = "csv", keys: Collection[str] = SCORE_TABLES,
                  workers: int = 1) -> dict[str, Path]:
    """The files of ``perfkit score`` among ``keys`` into ``out`` (a staging folder); a table in chunks is
    built on ``workers`` threads."""
    tables = _score_tables(a, keys)
    if output_format == "csv":
        for o in tables.values():
            if o.rows + 1 > EXCEL_MAX_ROWS:  # + the header row
                warnings.warn(f"{o.stem}.csv 有 {o.rows:,} 行，超过 Excel/WPS 单表上限 {EXCEL_MAX_ROWS:,} 行，打开时会被"
                              "截断；请改用 --format parquet，或按单位筛选数据后分别计分", ExcelRowsWarning, stacklevel=3)

    def write(o: _Output, threads: int) -> Path:
        if output_format == "parquet":
            return write_parquet(o.frames, out / f"{o.stem}.parquet", workers=threads)
        return write_csv(o.frames, out / f"{o.stem}.csv", workers=threads)

    chunked = {k for k, o in tables.items() if isinstance(o.frames, list) and len(o.frames) > 1}
    if workers <= 1 or not chunked:
        return {k: write(o, workers) for k, o in tables.items()}
    # the long tables on ``workers`` threads, the others one after another on a thread beside them
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as beside:
        others = {k: beside.submit(write, o, 1) for k, o in tables.items() if k not in chunked}
        written = {k: write(o, workers) for k, o in tables.items() if k in chunked}
        written.update({k: f.result() for k, f in others.items()})
    return {k: written[k] for k in tables}


def _chinese(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    keep = [c for c in columns if c in frame.columns]
    return frame[keep].rename(columns=columns)


def validate(data: str | Path) -> Dataset:
    """``perfkit validate``: load and report what was quarantined."""
    return load(data)
