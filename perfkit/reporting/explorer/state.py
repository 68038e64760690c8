"""The explorer's state: what the analyst chose (:class:`Filters`), the words and columns on screen, and
the validated snapshot of the input the explorer opens from (:func:`cached_load`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from perfkit.io.load import Dataset, load
from perfkit.rules.rulebook import DEFAULT_PROFILE, Rulebook

ALL = "（全部）"
YES, NO = "是", "否"
INTERNAL_MARK = "内部资料 不得公开"  # as the report's workbook marks a file that lists 涉密 projects
INTERNAL_IN_NAME = INTERNAL_MARK.replace(" ", "_")  # the mark in a file name
COMPARE_COLUMNS = {"prev_total": "上年复核总分", "prev_grade": "上年等级"}
VIEW_COLUMNS = {"project_id": "项目编码", "project_name": "项目名称", "unit_name": "单位", "department": "主管部门",
                "category": "支出类别", "monitor_class": "监控分类", "budget": "全年预算数（万元）",
                "total": "复核总分", "grade_label": "等级", "exec_progress": "执行进度（截至月份）",
                "light": "监控灯", "warning": "预警", "warning_reason": "预警原因", "n_restated": "单位自述指标数"}
UNIT_COLUMNS = {"unit_name": "单位", "projects": "项目数", "budget": "全年预算数（万元）", "mean_total": "平均复核分",
                "warned": "预警项目数", "red": "红灯项目数", "pending": "待核实项目数"}
INDICATOR_COLUMNS = {"indicator": "三级指标", "target_text": "指标值", "actual_text": "实际完成值", "weight": "分值",
                     "score": "复核得分", "unit_score": "自评得分", "restated": "单位自述", "explanation": "说明"}
# the multi-value filters: Filters field → column of the view
FILTER_COLUMNS = {"unit": "unit_name", "department": "department", "category": "category",
                  "monitor_class": "monitor_class", "grade": "grade_filter", "light": "light"}
FILTER_LABELS = {"unit": "单位", "department": "主管部门", "category": "支出类别", "monitor_class": "监控分类",
                 "grade": "等级", "light": "监控灯", "warning": "预警", "restated": "单位自述", "search": "搜索",
                 "month": "截至月份",
                 "threshold": "预警阈值（百分点）", "profile": "规则口径"}
SEARCHED = ("project_id", "project_name", "unit_name")  # what the 搜索 box looks in
PAGE_SIZE = 50          # rows per table page: one page of HTML per update, whatever the district's size
PROJECT_LIST_LIMIT = 500  # entries in the 项目 drop-down; the note under it says when more are in view
THRESHOLD_RANGE = (0, 100)  # the deviation is between two percentages: 0–100 percentage points, not a policy


def chosen_values(value: object) -> tuple[str, ...]:
    """A filter's chosen values as a tuple (empty = all); one value or （全部） also accepted."""
    if value is None or (isinstance(value, str) and value in (ALL, "")):
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v != ALL)


@dataclass(frozen=True)
class Filters:
    """What the analyst chose. Multi-value filters hold the chosen values (empty: all); ``month`` None
    is the data's latest month and ``threshold`` None the rulebook's ``monitoring.warning_deviation``
    of ``profile`` — defaults come from the data and the rulebook in force, never from here."""

    unit: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    monitor_class: tuple[str, ...] = ()
    grade: tuple[str, ...] = ()
    light: tuple[str, ...] = ()
    warning: str = ALL
    restated: str = ALL  # 是: projects with an actual that restates its target (单位自述，无佐证); 否: none
    search: str = ""
    month: int | None = None
    threshold: float | None = None
    profile: str = DEFAULT_PROFILE


def cache_root() -> Path:
    """The per-user cache folder — the same as ``perfkit report``'s (:func:`perfkit.reporting.run.cache_dir`,
    not imported here: it pulls in the report renderer, seconds of the explorer's opening)."""
    import os
    import sys

    if os.environ.get("PERFKIT_CACHE_DIR"):
        return Path(os.environ["PERFKIT_CACHE_DIR"]).expanduser().absolute()
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "perfkit" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "perfkit"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").absolute() / "perfkit"


def cached_load(data: str | Path) -> Dataset:
    """``data`` loaded and validated once per content: the typed snapshot (every month, 涉密 rows
    included) is kept in the per-user cache, readable by its owner only, never beside the data; an
    unchanged workbook opens from it in a fraction of a second instead of being parsed again."""
    return digested_load(data)[0]


def digested_load(data: str | Path) -> tuple[Dataset, str | None]:
    """:func:`cached_load`, and the digest of the input's content
    (:func:`perfkit.pipeline.kept.input_digest`; None for a snapshot folder or a missing input) by which
    the explorer finds what ``perfkit report`` computed for the same input."""
    import hashlib
    import shutil
    import tempfile

    from perfkit import __version__
    from perfkit.io.base import SNAPSHOT_MARK
    from perfkit.io.load import save_snapshot
    from perfkit.pipeline.kept import input_digest

    path = Path(data).resolve()
    if path.is_dir() and (path / SNAPSHOT_MARK).exists():
        return load(path), None
    if not path.exists():
        return load(path), None  # its own Chinese message
    content = input_digest(path)  # every byte (and file name) of the input: content decides, not dates
    folder = cache_root() / "explorer" / hashlib.sha256(f"{__version__}|explorer|all months|{content}".encode()
                                                        ).hexdigest()[:20]
    if (folder / SNAPSHOT_MARK).exists():
        try:
            ds = load(folder)
            ds.source = str(path)
            return ds, content
        except Exception:  # noqa: BLE001 - a damaged cache entry is rebuilt, never shown
            shutil.rmtree(folder, ignore_errors=True)
    ds = load(path)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        for up in (folder.parent, folder.parent.parent):
            up.chmod(0o700)  # every row, 涉密 ones included: its owner only
        for old in sorted(folder.parent.iterdir(), key=lambda p: p.stat().st_mtime)[:-KEEP_SNAPSHOTS]:
            shutil.rmtree(old, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=folder.parent))
        save_snapshot(ds, tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except OSError:  # a read-only home: the explorer still opens, only slower next time
        pass
    return ds, content


KEEP_SNAPSHOTS = 4  # explorer snapshots kept per user (the most recent); disk use, not a rule


def title_in_file(profile: str | Path) -> str | None:
    """A profile's title read from its file without parsing the YAML (≈0.3 s a profile saved at opening)."""
    from perfkit.rules.rulebook import PROFILES_DIR

    path = Path(profile)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = PROFILES_DIR / f"{profile}.yaml"
    try:
        m = re.search(r"^title:\s*(.+?)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        return None
    return m.group(1).strip("'\"") if m else None


def profile_title(rules: Rulebook) -> str:
    """A profile's Chinese title as the analyst reads it (the part before its parenthesised detail)."""
    title = str(rules.title or rules.profile)
    return re.split(r"[（(]", title, maxsplit=1)[0].strip() or title

