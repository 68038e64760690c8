"""Small raw datasets for the 涉密 tests: one row per project-year with any 涉密 headers and values, and
a scan of everything under public/ (the bytes of every .xlsx's XML and every .html, and the paths)."""

from __future__ import annotations

import html
import io
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd

from perfkit.cli import main


def code(i: int) -> str:
    """Codes of one width with a closing letter, so no code is part of another (XM0001Z ⊄ XM0011Z)."""
    return f"XM{i:04d}Z"


def tables(rows: list[dict], flags: list[str]) -> dict[str, pd.DataFrame]:
    """Raw contract tables (Chinese headers). Each row: code, name, unit, year, and one value per header
    in ``flags`` under the key ``flags`` (a list). Each indicator's 偏差原因 carries the code, so
    a leaked indicator of a 涉密 project shows up in a scan for its code."""
    proj = pd.DataFrame({
        "项目编码": [r["code"] for r in rows], "项目名称": [r["name"] for r in rows],
        "单位编码": [r.get("unit", "DW01") for r in rows], "年度": [r.get("year", 2022) for r in rows],
        "支出类别": "部门项目支出", "监控分类": "一般项目", "全年预算数": 100.0, "全年执行数": 90.0,
    })
    values = [r.get("flags", []) for r in rows]
    frame = proj.copy()
    for j, header in enumerate(flags):  # duplicates allowed: built column by column
        frame = pd.concat([frame, pd.DataFrame({header: [v[j] for v in values]})], axis=1)
    codes = list(dict.fromkeys(r["code"] for r in rows))
    units = sorted({r.get("unit", "DW01") for r in rows} - {None})
    self_eval = pd.DataFrame({
        "项目编码": [c for c in codes for _ in range(2)], "一级指标": ["产出指标", "效益指标"] * len(codes),
        "二级指标": ["数量指标", "社会效益指标"] * len(codes), "三级指标": ["人数", "效果"] * len(codes),
        "指标值": ["≥100人", "效果明显"] * len(codes),
        "实际完成值": ["98人", "效果明显"] * len(codes),
        "分值": [50.0, 30.0] * len(codes), "得分": [49.0, 30.0] * len(codes),
        "偏差原因分析及改进措施": [f"说明{c}" for c in codes for _ in range(2)],
    })
    return {"单位": pd.DataFrame({"单位编码": units, "单位名称": [f"单位{u}" for u in units],
                                "主管部门": "财政局"}),
            "项目": frame, "绩效自评": self_eval}


def write(tables_: dict[str, pd.DataFrame], target: Path) -> Path:
    """As a CSV folder (``target`` without suffix) or one workbook (``target`` ending .xlsx)."""
    if target.suffix == ".xlsx":
        target.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(target, engine="openpyxl") as xl:
            for sheet, frame in tables_.items():
                frame.to_excel(xl, sheet_name=sheet, index=False)
        return target
    target.mkdir(parents=True, exist_ok=True)
    for sheet, frame in tables_.items():
        frame.to_csv(target / f"{sheet}.csv", index=False, encoding="utf-8-sig")
    return target


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


def public_text(folder: Path) -> str:
    """Everything a reader of public/ can see, case-folded: paths, the XML of every .xlsx (sheet names,
    shared strings, cells) and every .html, entities decoded."""
    parts: list[str] = []
    for f in sorted(folder.rglob("*")):
        parts.append(str(f.relative_to(folder)))
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as z:
                parts += [html.unescape(z.read(n).decode("utf-8", "replace")) for n in z.namelist()]
        elif f.suffix == ".html":
            parts.append(html.unescape(f.read_text(encoding="utf-8")))
        elif f.is_file():
            parts.append(f.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts).casefold()


def sheet_rows(ws, rows: list[list[object]], merges: tuple[str, ...] = ()) -> None:
    """Write ``rows`` (row 1 first) into an openpyxl sheet and merge the ranges given (A2:A4 …)."""
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)


def workbook(path: Path, sheets: dict[str, tuple[list[list[object]], tuple[str, ...]]]) -> Path:
    """A workbook from raw rows per sheet (with merged ranges): structures pandas cannot write."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, (rows, merges) in sheets.items():
        sheet_rows(wb.create_sheet(name), rows, merges)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def frame_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A frame as rows with its header first."""
    return [list(frame.columns)] + frame.astype(object).where(frame.notna(), None).values.tolist()


def classified_everywhere(src: Path, archive: Path | None = None) -> dict[str, set[str]]:
    """The classified codes as each door sees them: the loader's 项目 table (report, annex, allocation,
    letters and explorer read its ``classified`` column through the analysis), the analysis itself, the
    decision disclose asks."""
    from perfkit.api import analyze
    from perfkit.io.load import load
    from perfkit.io.secrecy import classified_codes, decide
    from perfkit.io.years import years_in

    ds = load(src)
    sec = decide(ds, archive)
    doors = {"loader": classified_codes(ds.tables), "decision": set(sec.secret) & _codes(ds)}
    # the analysis is of one year (a year is a fact of the data): every year's analysis, together
    for year in years_in(ds) or [None]:
        a = analyze(ds, year=year, archive=archive)
        scored = a.proposal  # the budget proposal: what the allocation workbook and report tables list
        if scored is not None and "classified" in scored:
            doors.setdefault("analysis", set()).update(
                str(c).casefold() for c in scored.loc[scored["classified"].astype(bool), "project_id"])
    if not ds.has("exec_monitor"):  # the explorer opens data with monitoring only
        return doors
    from perfkit.reporting.explorer import Explorer, Filters

    ex = Explorer.open(src, year=2022, cache=False, archive=archive)
    view = ex.view(ex.complete(Filters()))
    doors["explorer"] = {str(c).casefold() for c in view.loc[view["classified"].fillna(False).astype(bool), "project_id"]}
    return doors


def _codes(ds) -> set[str]:
    from perfkit.io.secrecy import keys_of

    return set(keys_of(ds.table("projects")["project_id"]))


def row(c: str, *flags: str, name: str | None = None, year: int | None = 2022, unit: str | None = "DW01") -> dict:
    """One project-year row for :func:`tables`."""
    return {"code": c, "name": name or f"项目{c}号", "year": year, "unit": unit, "flags": list(flags)}
