"""``perfkit report``: both notebooks executed by papermill in one process, exported to offline HTML
and A4 PDF, written atomically into ``reports/<year>/``.

The validated snapshot of the input (all rows, 涉密 ones included) is cached per user, never beside the
reports a user might publish: ``$PERFKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/perfkit`` (``~/.cache/perfkit``;
``%LOCALAPPDATA%\\perfkit`` on Windows, ``~/Library/Caches/perfkit`` on macOS), readable by its owner only.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import perfkit
from perfkit.io.base import SNAPSHOT_MARK, InputError
from perfkit.io.outputs import check_output_folder, process_alive
from perfkit.reporting.render import Rendered, render_all, report_output
from perfkit.rules import DEFAULT_PROFILE

CACHE_ENV = "PERFKIT_CACHE_DIR"
KEEP_SNAPSHOTS = 8  # the most recently used snapshots kept; older ones are deleted (disk use)
LEGACY_CACHE = ".perfkit-cache"  # where versions before 2026-11-28 kept snapshots: beside the reports


def cache_dir() -> Path:
    """The per-user cache folder (see the module docstring)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser().absolute()
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "perfkit" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "perfkit"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").absolute() / "perfkit"

TITLES = {"annual_report": "{district}{year}年预算绩效管理工作情况报告",
          "budget_allocation": "{district}{next_year}年度预算安排与绩效评价结果挂钩分析",
          "technical_annex": "{district}{year}年预算绩效管理工作技术附件（口径说明）"}


def report(data: str | Path | None = None, year: int | None = None, out: str | Path | None = None,
           month: int | None = None, profile: str | None = None, district: str | None = None,
           notebooks: str | Path | None = None, archive: str | Path | None = None,
           progress: Callable[[str], None] = print, workspace: str | Path | None = None) -> list[Rendered]:
    """Run the annual report, the technical annex and the allocation analysis; returns the files written.

    What is not given comes from the district's workspace (perfkit.io.settings: 设置.yaml found from the
    current folder, ``$PERFKIT_WORKSPACE`` or ``workspace``): data, year, as-of month, district name,
    rule profile, archive and the year's report folder. The year is checked against the data's 年度;
    the month is the one given or set, else the latest month present in 执行监控 (printed); without
    monitoring data the report says so."""
    from perfkit.io.settings import DISTRICT_PLACEHOLDER, NO_DISTRICT_NOTE, active

    settings = active(workspace)
    data = data or (settings.data_path if settings else None)
    if not data:
        raise InputError("没有指定数据：用 --data 指定工作簿或文件夹，或在工作区设置（设置.yaml）中填写「数据」"
                         "（perfkit init 创建工作区）")
    district = district or (settings.district if settings else "")
    if not district:
        district = DISTRICT_PLACEHOLDER
        progress(NO_DISTRICT_NOTE)
    profile = str(profile or (settings.profile if settings else DEFAULT_PROFILE))
    if settings and profile.endswith(".yaml") and settings.path(profile).exists():
        profile = str(settings.path(profile))
    if archive is None and settings is not None:
        archive = settings.archive_path
    year = year or (settings.year if settings else None)
    month = month or (settings.month if settings else None)
    data = Path(data).resolve()
    if not data.exists():
        raise InputError(f"找不到数据：{data}")
    nb_dir = Path(notebooks or perfkit.shipped_notebooks())
    missing = [n for n in TITLES if not (nb_dir / f"{n}.ipynb").exists()]
    if missing:
        raise InputError(f"找不到报告笔记本：{nb_dir}/{missing[0]}.ipynb（用 --notebooks 指定 notebooks 文件夹）")
    if out is None and settings is None and year is None:
        raise InputError("没有指定输出文件夹：用 --out 指定，或在工作区中运行（perfkit init）")
    out_given = out is not None
    if out_given:
        out = Path(out).absolute()
        check_output_folder(out, "report", report_output, (data,))
    snapshot = cached_snapshot(data, month, cache_dir() / "snapshots", progress)
    year, month = year_and_month(snapshot, year, month, data.name, progress)
    if not out_given:
        out = (settings.reports_path(year) if settings else Path.cwd() / "reports" / str(year)).absolute()
        check_output_folder(out, "report", report_output, (data,))
    _remove_legacy_cache(out.parent, progress)
    fill = {"district": district, "year": year, "next_year": int(year) + 1}
    params = {"data": str(snapshot), "year": int(year), "month": month, "district": district,
              "profile": str(profile), "workspace": str(settings.folder) if settings else None,
              "archive": str(Path(archive).resolve()) if archive and Path(archive).exists() else None}
    from perfkit.reporting.annual import load_policy

    issuer = load_policy(None, settings, **fill).get("issuer")  # the Word files' author: the organ that signs them
    staging = _analyse_once(snapshot, params, progress, data)
    try:
        jobs = [(nb_dir / f"{name}.ipynb", name, params) for name in TITLES]
        return render_all(jobs, out, lambda stem: TITLES[stem].format(**fill), str(profile), progress, issuer)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _analyse_once(snapshot: Path, params: dict, progress: Callable[[str], None],
                  data: Path | None = None) -> Path | None:
    """Analyse the snapshot once and point ``params["data"]`` at the result, which each notebook's
    ``analyze`` call (same settings) reads instead of analysing again; returns the private folder that
    holds it. When the analysis fails, the notebooks get the snapshot and say why as before.

    The scores and the monitoring at the report's month are also kept, by the content of ``data``, for
    the explorer to open from (:mod:`perfkit.pipeline.kept`) instead of computing them again."""
    from perfkit.pipeline import kept
    from perfkit.pipeline.stages import analyze, materialise

    settings = {k: params[k] for k in ("year", "month", "profile", "archive")}
    progress("分析（三份文档共用一次分析结果）…")
    try:
        a = analyze(snapshot, **settings, workspace=params.get("workspace"))
    except Exception:  # noqa: BLE001 (the notebook raises it again, in its own words)
        return None
    if data is not None and params["month"] is not None and a.scores is not None and a.monitoring is not None:
        k = kept.key(kept.input_digest(data), params["year"], params["month"], params["profile"], params["archive"])
        kept.keep(cache_dir() / kept.FOLDER, k, a.scores, a.monitoring, kept.BY_REPORT)
    staging = Path(tempfile.mkdtemp(prefix=f".snapshot-{os.getpid()}-analysis-", dir=snapshot.parent))
    params["data"] = str(materialise(a, staging, **settings))
    return staging


def year_and_month(snapshot: Path, year: int | None, month: int | None, source: str,
                   progress: Callable[[str], None] = print) -> tuple[int, int | None]:
    """The year and as-of month of the report, checked against the snapshot's data (read from its
    Parquet columns, without loading the tables) and printed."""
    import pyarrow.parquet as pq

    from perfkit.io.years import check_month, check_year

    def column(table: str, name: str) -> list[int]:
        path = snapshot / f"{table}.parquet"
        if not path.exists():
            return []
        values = pq.read_table(path, columns=[name]).column(0).drop_null().to_pylist()
        return sorted({int(v) for v in values if v is not None})

    years = column("projects", "year")
    found = check_year(years, year, source)
    if found is None:
        raise InputError(f"{source} 中没有年度：请用 --year 指定报告年度（或在工作区设置中填写「报告年度」）")
    if len(years) > 1:
        others = "、".join(str(y) for y in years if y != found)
        progress(f"数据含多个年度（{'、'.join(map(str, years))}）：只分析 {found} 年度，{others} 年度的项目未使用")
    month = check_month(month)
    months = [m for m in column("exec_monitor", "month") if 1 <= m <= 12]
    if month is None:
        month = max(months) if months else None
        how = "取自执行监控中最新的月份"
    else:
        how = "按设置" if months else "但数据中没有执行监控"
    if month is None:
        progress(f"报告年度 {found}；数据中没有执行监控：报告说明未提供监控数据，不作预警分析")
    else:
        progress(f"报告年度 {found}；监控截至 {month} 月（{how}）")
    return found, month


def _remove_legacy_cache(folder: Path, progress: Callable[[str], None]) -> None:
    """Earlier versions cached the snapshot (涉密 rows included) in ``.perfkit-cache/`` beside the reports,
    where it could be published with them: removed once it is certain to hold only snapshots."""
    legacy = folder / LEGACY_CACHE
    if not legacy.is_dir() or legacy.is_symlink():
        return
    entries = list(legacy.iterdir())
    if all(e.is_dir() and ((e / SNAPSHOT_MARK).exists() or e.name.startswith(".snapshot-")) for e in entries):
        shutil.rmtree(legacy, ignore_errors=True)
        progress(f"已删除旧版本放在报告旁的数据快照 {legacy}（含涉密项目；快照现存于 {cache_dir()}）")


def _fingerprint(data: Path, month: int | None) -> str:
    """Content hash of the input (a file, or every file of a folder: a 涉密项目清单.xlsx beside the CSVs
    changes what may be named), the month read and the program's version."""
    from perfkit.pipeline.kept import input_digest

    return hashlib.sha256(f"{perfkit.__version__}|{month}|{input_digest(data)}".encode()).hexdigest()[:20]


def cached_snapshot(data: Path, month: int | None, cache: Path, progress: Callable[[str], None]) -> Path:
    """Load and validate the input once per content: the notebooks read this typed snapshot, and an
    unchanged input is not parsed again on the next run (interim data; the raw input is never touched)."""
    folder = cache / _fingerprint(data, month)
    if (folder / SNAPSHOT_MARK).exists():
        progress(f"数据未变，使用已校验的快照 {folder.name}")
        os.utime(folder / SNAPSHOT_MARK)  # recently used: kept by the pruning below
        return folder
    from perfkit.io.load import load, save_snapshot

    progress(f"读取并校验 {data.name} …")
    ds = load(data, month=month)  # fail fast with a one-line message before any kernel starts
    for needed, sheet in (("projects", "项目"), ("self_eval", "绩效自评")):
        if not ds.has(needed):
            raise InputError(f"{data.name} 中没有「{sheet}」表，年度报告需要它")
    cache.mkdir(parents=True, exist_ok=True)
    for up in (cache, cache.parent):
        if up.name in ("snapshots", "perfkit"):
            up.chmod(0o700)  # the snapshot holds every row, 涉密 ones included: its owner only
    _prune(cache)
    tmp = Path(tempfile.mkdtemp(prefix=f".snapshot-{os.getpid()}-", dir=cache))
    try:
        save_snapshot(ds, tmp)
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _prune(cache: Path) -> None:
    """Delete staging folders of killed runs and all but the :data:`KEEP_SNAPSHOTS` most recent snapshots."""
    snapshots = []
    for entry in cache.iterdir():
        m = re.match(r"^\.snapshot-(\d+)-", entry.name)
        if m:
            if not process_alive(int(m[1]), entry):
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_dir() and (entry / SNAPSHOT_MARK).exists():
            snapshots.append(entry)
    snapshots.sort(key=lambda p: (p / SNAPSHOT_MARK).stat().st_mtime, reverse=True)
    for old in snapshots[KEEP_SNAPSHOTS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def render(executed: str | Path, out: str | Path | None = None, workspace: str | Path | None = None,
           profile: str | None = None) -> Rendered:
    """``perfkit render``: a report notebook run by papermill's own CLI exported as ``perfkit report``
    exports it (HTML, A4 PDF, Word), the Word files' author the district's issuing organ from its settings."""
    from perfkit.io.settings import active
    from perfkit.reporting.annual import load_policy
    from perfkit.reporting.render import render_notebook

    settings = active(workspace)
    author = None
    if settings is not None and settings.district:
        year = settings.year or 0
        author = load_policy(None, settings, district=settings.district, year=year, next_year=year + 1).get("issuer")
    return render_notebook(executed, out, author, str(profile or (settings.profile if settings else DEFAULT_PROFILE)))
