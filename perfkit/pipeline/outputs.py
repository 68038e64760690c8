"""The files of ``perfkit score``: which tables, their Chinese columns, how they are written, and the
notices the command prints — one place that every executor (one process, two processes, Dask) writes
through, so that their files are the same."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from perfkit.analyses.evaluation import explain_indicators, explain_projects, grade_label
from perfkit.io.contract import BY_NAME, TABLES
from perfkit.io.load import NOT_READ
from perfkit.io.values import FEN_PER_WAN
from perfkit.io.write import EXCEL_MAX_ROWS, write_csv, write_parquet
from perfkit.pipeline.stages import STAGE_KEYS, Analysis
from perfkit.rules.rulebook import Rulebook

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


# 说明 text is built and written this many rows at a time (a CSV of more rows, too: its text is built
# per chunk). On two cores three chunks are under way beside the review: at 1M projects 100,000 rows
# kept the command's time and cut its peak (docs/performance.md)
ROWS_PER_CHUNK = 100_000
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


def warn_skipped(skipped: Collection[str], notes: Collection[str] = ()) -> None:
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


def tables_to_read(month: int | None, tables: Collection[str] | None = None) -> tuple[str, ...] | None:
    """The tables ``perfkit score`` loads for ``month`` among ``tables`` (None: all there are)."""
    if month is not None:
        return None if tables is None else tuple(tables)
    return tuple(t for t in (tables or [t.name for t in TABLES]) if t not in MONTHLY_TABLES)


def warn_unread_monitoring(unread_sheets: Collection[str], month: int | None) -> None:
    """``unread_sheets``: the sheets found but not loaded (:attr:`Dataset.unread`; of every part, partitioned)."""
    unread = [BY_NAME[t].sheet for t in MONTHLY_TABLES if BY_NAME[t].sheet in unread_sheets]
    if month is None and unread:
        warnings.warn(f"未指定 --month：{'、'.join(unread)}本次未使用，不出监控预警、也不检查{'这两张表' if len(unread) > 1 else '这张表'}"
                      "；要监控预警请加 --month 月份（只读入该月的行），要检查全部表请用 perfkit validate",
                      MonitoringNotReadWarning, stacklevel=3)



SCORE_FILES = re.compile(r"^(项目得分|指标得分|审核发现|隔离记录|目标设置审核|监控预警_\d+月|单位综合排名|评价档案)\.(csv|parquet)$")


def is_score_output(entry: Path) -> bool:
    """A file an earlier ``perfkit score`` (before output folders carried a marker) may have written."""
    return entry.is_file() and SCORE_FILES.match(entry.name) is not None


@dataclass
class ScoreOutput:
    stem: str  # the file name without its suffix
    frames: pd.DataFrame | list[Callable[[], pd.DataFrame]]  # a frame, or what builds each chunk of one
    rows: int


def chunks(frame: pd.DataFrame, build: Callable[[pd.DataFrame], pd.DataFrame]) -> list[Callable[[], pd.DataFrame]]:
    """What builds each :data:`ROWS_PER_CHUNK` rows of an output table (its 说明 text) when called."""
    return [partial(build, frame.iloc[i:i + ROWS_PER_CHUNK]) for i in range(0, max(len(frame), 1), ROWS_PER_CHUNK)]


# the tables of perfkit score, in the order it writes them and lists them
SCORE_TABLES = ("projects", "indicators", "findings", "quarantine", "targets", "monitoring", "ranking", "archive")


def score_tables(a: Analysis, keys: Collection[str] = SCORE_TABLES) -> dict[str, ScoreOutput]:
    """The tables of ``perfkit score`` among ``keys`` that the analysis has (Chinese columns); 指标得分 as
    chunks whose 说明 is built when the chunk is written."""
    out: dict[str, ScoreOutput] = {}
    if a.scores is not None and "projects" in keys:
        out["projects"] = ScoreOutput("项目得分", chunks(a.scores.projects, lambda p: chinese_columns(
            p.assign(explanation=explain_projects(p, a.rules), grade_shown=grade_label(p)), PROJECT_COLUMNS)),
            len(a.scores.projects))
    if a.scores is not None and "indicators" in keys:
        out["indicators"] = ScoreOutput("指标得分", chunks(a.scores.indicators, lambda part: chinese_columns(
            part.assign(explanation=explain_indicators(part, a.rules)), INDICATOR_COLUMNS)), len(a.scores.indicators))
    if a.scores is not None and "findings" in keys:
        out["findings"] = ScoreOutput("审核发现", chinese_columns(a.findings, FINDING_COLUMNS), len(a.findings))
    if "quarantine" in keys:
        out["quarantine"] = ScoreOutput("隔离记录", a.data.quarantine, len(a.data.quarantine))
    if a.target_findings is not None and "targets" in keys:
        out["targets"] = ScoreOutput("目标设置审核", chinese_columns(a.target_findings, FINDING_COLUMNS), len(a.target_findings))
    if a.monitoring is not None and "monitoring" in keys:
        p = a.monitoring.projects
        out["monitoring"] = ScoreOutput(f"监控预警_{a.monitoring.month}月", chinese_columns(p, MONITORING_COLUMNS), len(p))
    if a.ranking is not None and "ranking" in keys:
        out["ranking"] = ScoreOutput("单位综合排名", ranking_table(a.ranking, a.rules), len(a.ranking))
    if a.archive_completeness is not None and "archive" in keys:
        out["archive"] = ScoreOutput("评价档案", a.archive_completeness.rename(columns={"project_id": "项目编码", "completeness": "完整率",
                                                                   "missing": "缺少材料"}), len(a.archive_completeness))
    return out


def write_scores(a: Analysis, out: Path, output_format: str = "csv", keys: Collection[str] = SCORE_TABLES,
                  workers: int = 1) -> dict[str, Path]:
    """The files of ``perfkit score`` among ``keys`` into ``out`` (a staging folder); a table in chunks is
    built on ``workers`` threads."""
    tables = score_tables(a, keys)
    if output_format == "csv":
        for o in tables.values():
            if o.rows + 1 > EXCEL_MAX_ROWS:  # + the header row
                warnings.warn(f"{o.stem}.csv 有 {o.rows:,} 行，超过 Excel/WPS 单表上限 {EXCEL_MAX_ROWS:,} 行，打开时会被"
                              "截断；请改用 --format parquet，或按单位筛选数据后分别计分", ExcelRowsWarning, stacklevel=3)

    if output_format == "csv":  # a long table's CSV text built chunk by chunk (the same bytes)
        for o in tables.values():
            if isinstance(o.frames, pd.DataFrame) and o.rows > ROWS_PER_CHUNK:
                o.frames = chunks(o.frames, _as_it_is)

    def write(o: ScoreOutput, threads: int) -> Path:
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


def _as_it_is(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def ranking_table(ranking: pd.DataFrame, rules: Rulebook) -> pd.DataFrame:
    """单位综合排名 as written: Chinese columns, the mean score rounded as the rulebook says, money in 万元."""
    ranking = ranking.assign(mean_score=ranking["mean_score"].round(rules["evaluation.decimals"]),
                             budget=ranking["budget"].astype("Float64") / FEN_PER_WAN,
                             spent=ranking["spent"].astype("Float64") / FEN_PER_WAN)
    return chinese_columns(ranking, RANKING_COLUMNS)


def chinese_columns(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    keep = [c for c in columns if c in frame.columns]
    return frame[keep].rename(columns=columns)

