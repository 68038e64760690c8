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

CACHE_ENV = "PERFKIT_CACHE_DIR"
KEEP_SNAPSHOTS = 8  # the most recently used snapshots kept; older ones are deleted (design choice: disk use)
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


def report(data: str | Path, year: int, out: str | Path, month: int = 5, profile: str = "mof2020",
           district: str = "高新区（新市区）", notebooks: str | Path | None = None,
           archive: str | Path | None = "data/perfkit.duckdb",
           progress: Callable[[str], None] = print) -> list[Rendered]:
    """Run the annual report and the allocation analysis; returns the files written."""
    data = Path(data).resolve()
    if not data.exists():
        raise InputError(f"找不到数据：{data}")
    nb_dir = Path(notebooks or perfkit.shipped_notebooks())
    missing = [n for n in TITLES if not (nb_dir / f"{n}.ipynb").exists()]
    if missing:
        raise InputError(f"找不到报告笔记本：{nb_dir}/{missing[0]}.ipynb（用 --notebooks 指定 notebooks 文件夹）")
    out = Path(out).absolute()
    check_output_folder(out, "report", report_output, (data,))
    _remove_legacy_cache(out.parent, progress)
    snapshot = cached_snapshot(data, month, cache_dir() / "snapshots", progress)
    fill = {"district": district, "year": year, "next_year": int(year) + 1}
    params = {"data": str(snapshot), "year": int(year), "month": int(month), "district": district,
              "profile": str(profile),
              "archive": str(Path(archive).resolve()) if archive and Path(archive).exists() else None}
    from perfkit.reporting.annual import load_policy

    issuer = load_policy(None, **fill).get("issuer")  # the Word files' author: the organ that signs them
    staging = _analyse_once(snapshot, params, progress)
    try:
        jobs = [(nb_dir / f"{name}.ipynb", name, params) for name in TITLES]
        return render_all(jobs, out, lambda stem: TITLES[stem].format(**fill), str(profile), progress, issuer)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _analyse_once(snapshot: Path, params: dict, progress: Callable[[str], None]) -> Path | None:
    """Analyse the snapshot once and point ``params["data"]`` at the result, which each notebook's
    ``analyze`` call (same settings) reads instead of analysing again; returns the private folder that
    holds it. When the analysis fails, the notebooks get the snapshot and say why as before."""
    from perfkit.pipeline.stages import analyze, materialise

    settings = {k: params[k] for k in ("year", "month", "profile", "archive")}
    progress("分析（三份文档共用一次分析结果）…")
    try:
        a = analyze(snapshot, **settings)
    except Exception:  # noqa: BLE001 (the notebook raises it again, in its own words)
        return None
    staging = Path(tempfile.mkdtemp(prefix=f".snapshot-{os.getpid()}-analysis-", dir=snapshot.parent))
    params["data"] = str(materialise(a, staging, **settings))
    return staging


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


def _fingerprint(data: Path, month: int) -> str:
    """Content hash of the input (a file, or every contract file of a folder) and the month read."""
    digest = hashlib.sha256(f"{perfkit.__version__}|{month}".encode())
    # every file of a folder: a 涉密项目清单.xlsx beside the CSVs changes what may be named
    files = [data] if data.is_file() else sorted(p for p in data.iterdir() if p.is_file() and not p.name.startswith("."))
    for f in files:
        digest.update(f.name.encode())
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:20]


def cached_snapshot(data: Path, month: int, cache: Path, progress: Callable[[str], None]) -> Path:
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
    for needed, sheet in (("projects", "项目"), ("self_eval", "绩效自评"), ("exec_monitor", "执行监控")):
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
