"""``perfkit report``: both notebooks executed by papermill in one process, exported to offline HTML
and A4 PDF, written atomically into ``reports/<year>/``."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import perfkit
from perfkit.io.base import SNAPSHOT_MARK, InputError
from perfkit.reporting.render import Rendered, render_all

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TITLES = {"annual_report": "{district}{year}年预算绩效管理工作情况报告",
          "budget_allocation": "{district}{next_year}年度预算安排与绩效评价结果挂钩分析"}


def report(data: str | Path, year: int, out: str | Path, month: int = 5, profile: str = "mof2020",
           district: str = "高新区（新市区）", notebooks: str | Path | None = None,
           archive: str | Path | None = "data/perfkit.duckdb",
           progress: Callable[[str], None] = print) -> list[Rendered]:
    """Run the annual report and the allocation analysis; returns the files written."""
    data = Path(data).resolve()
    if not data.exists():
        raise InputError(f"找不到数据：{data}")
    nb_dir = Path(notebooks or NOTEBOOKS)
    missing = [n for n in TITLES if not (nb_dir / f"{n}.ipynb").exists()]
    if missing:
        raise InputError(f"找不到报告笔记本：{nb_dir}/{missing[0]}.ipynb（用 --notebooks 指定 notebooks 文件夹）")
    out = Path(out).resolve()
    snapshot = cached_snapshot(data, month, out.parent / ".perfkit-cache", progress)
    fill = {"district": district, "year": year, "next_year": int(year) + 1}
    params = {"data": str(snapshot), "year": int(year), "month": int(month), "district": district,
              "profile": str(profile),
              "archive": str(Path(archive).resolve()) if archive and Path(archive).exists() else None}
    jobs = [(nb_dir / f"{name}.ipynb", name, params) for name in TITLES]
    return render_all(jobs, out, lambda stem: TITLES[stem].format(**fill), str(profile), progress)


def _fingerprint(data: Path, month: int) -> str:
    """Content hash of the input (a file, or every contract file of a folder) and the month read."""
    digest = hashlib.sha256(f"{perfkit.__version__}|{month}".encode())
    files = [data] if data.is_file() else sorted(p for p in data.iterdir() if p.suffix in (".csv", ".parquet"))
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
        return folder
    from perfkit.io.load import load, save_snapshot

    progress(f"读取并校验 {data.name} …")
    ds = load(data, month=month)  # fail fast with a one-line message before any kernel starts
    for needed, sheet in (("projects", "项目"), ("self_eval", "绩效自评"), ("exec_monitor", "执行监控")):
        if not ds.has(needed):
            raise InputError(f"{data.name} 中没有「{sheet}」表，年度报告需要它")
    tmp = Path(tempfile.mkdtemp(prefix=".snapshot-", dir=cache.mkdir(parents=True, exist_ok=True) or cache))
    save_snapshot(ds, tmp)
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder
