"""``perfkit report``: both notebooks executed by papermill in one process, exported to offline HTML
and A4 PDF, written atomically into ``reports/<year>/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from perfkit.io.load import InputError, load
from perfkit.reporting.render import Rendered, render_all

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TITLES = {"annual_report": "{district}{year}年预算绩效管理工作情况报告",
          "budget_allocation": "{district}{next_year}年度预算安排与绩效评价结果挂钩分析"}


def report(data: str | Path, year: int, out: str | Path, month: int = 5, profile: str = "mof2020",
           district: str = "高新区（新市区）", notebooks: str | Path | None = None,
           progress: Callable[[str], None] = print) -> list[Rendered]:
    """Run the annual report and the allocation analysis; returns the files written."""
    data = Path(data).resolve()
    nb_dir = Path(notebooks or NOTEBOOKS)
    missing = [n for n in TITLES if not (nb_dir / f"{n}.ipynb").exists()]
    if missing:
        raise InputError(f"找不到报告笔记本：{nb_dir}/{missing[0]}.ipynb（用 --notebooks 指定 notebooks 文件夹）")
    ds = load(data)  # fail fast with a one-line message before any kernel starts
    for needed, sheet in (("projects", "项目"), ("self_eval", "绩效自评"), ("exec_monitor", "执行监控")):
        if not ds.has(needed):
            raise InputError(f"{data.name} 中没有「{sheet}」表，年度报告需要它")
    params = {"data": str(data), "year": int(year), "month": int(month), "district": district, "profile": str(profile)}
    fill = {"district": district, "year": year, "next_year": int(year) + 1}
    jobs = [(nb_dir / f"{name}.ipynb", name, params) for name in TITLES]
    return render_all(jobs, Path(out).resolve(), lambda stem: TITLES[stem].format(**fill), str(profile), progress)
