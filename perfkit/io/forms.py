"""Importing published budget-performance forms (自评表, 绩效目标表/申报表/审批表, 监控表, 部门整体自评表)
into the contract's tables, in the layouts provinces print them.

A form is read as a grid of cells, by its wording, never by positions: the title says which form it is;
labels (项目名称, 主管部门, 实施单位, 项目编码 …) are followed by their value — a blank value cell stays
blank (the next label is never taken as a value); a budget block is either a row of money headers
(年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分, or 预算数(A) | 执行数(B) | 得分(20分*执行率), or
资金来源 中央 | 省、地 | 本级 | 合计 | 执行数) with the 年度资金总额/合计 row under it, or label rows
(年度资金总额 | 854万(…)); the indicator table is found by its header row, whatever the province calls
its columns (年度指标值, 年初目标值(A), 当年预期实现值, 年初指标值 | 年终完成值, 全年实际值, 自评分 …).

The contract with the user: every value a form carries is imported, or named in the import report
(导入报告.csv, 结果 注意) with where it stands — never lost silently. Every cell the reader did not use is
listed there. One unreadable file never stops the batch.

This module holds the files (which files are read, how, the batch and its 导入报告, the workbook
written); the wording and amounts are :mod:`perfkit.io.form_words`, one grid's layout (header block,
indicator table, budget block) :mod:`perfkit.io.form_grid`, one form's projects and rows
:mod:`perfkit.io.form_read`. Their public names are importable from here as before.
"""

from __future__ import annotations

import errno
import html
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from perfkit.io.base import InputError
from perfkit.io.contract import BY_NAME
from perfkit.io.form_grid import LABEL_KEYS, Grid, indicator_header_row
from perfkit.io.form_read import form_signature, leftovers, read_grid, read_stacked, tables_of
from perfkit.io.form_words import BlankForm, FormError, chinese_amount, level1_name, level2_name, parse_amount

__all__ = ["BlankForm", "FormError", "Grid", "Imported", "chinese_amount", "import_forms", "level1_name",
           "level2_name", "parse_amount", "read_form", "read_grid", "tables_of", "write_import"]

REPORT_COLUMNS = ["文件", "工作表", "结果", "说明"]
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE container: .xls, .doc, .wps, .et, or an encrypted .xlsx
EXCEL = (".xlsx", ".xlsm", ".xls")
WORD = (".docx",)
# files a unit may send that perfkit does not read, and what to do with each
NOT_READ_ADVICE = {
    ".wps": "WPS 文字文件无法直接读取：请在 WPS 中“另存为” Word 文档（.docx）后再导入",
    ".et": "WPS 表格文件无法直接读取：请在 WPS 中“另存为” Excel 工作簿（.xlsx）后再导入",
    ".ett": "WPS 表格模板无法直接读取：请“另存为” Excel 工作簿（.xlsx）后再导入",
    ".doc": "旧版 Word 文件（.doc）无法直接读取：请“另存为” .docx 后再导入",
    ".pdf": "PDF 中的表格无法可靠读取（单元格会粘连、错位）：请向单位索取 Excel/Word 原件，"
            "或请单位按 perfkit template --forms 的空白表重新填写",
    ".ofd": "OFD 版式文件无法读取表格：请向单位索取 Excel/Word 原件",
    ".jpg": "图片无法读取：请向单位索取 Excel/Word 原件", ".jpeg": "图片无法读取：请向单位索取 Excel/Word 原件",
    ".png": "图片无法读取：请向单位索取 Excel/Word 原件",
    ".csv": "CSV 不是表样文件：整理好的数据表请直接用 perfkit validate/score 读取，不必导入",
    ".zip": "压缩包：请先解压到收件文件夹再导入", ".rar": "压缩包：请先解压到收件文件夹再导入",
}
OTHER_ADVICE = "不是 Excel（.xlsx/.xls）或 Word（.docx）表格文件，未读取；如是绩效表，请另存为 .xlsx 或 .docx"
EXCEL_CELL_MAX = 32_767  # characters one Excel cell holds (Microsoft, "Excel specifications and limits")
OUTPUT_PROPERTY = "perfkit-import-forms"  # custom property of the workbook import-forms writes


@dataclass
class Imported:
    """What a batch produced: the contract tables (internal names) and one report row per file/sheet/note."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    report: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPORT_COLUMNS))



# ------------------------------------------------------------------------------------------ files


def _open_problem(exc: OSError) -> str:
    """Why a file could not be opened, in the user's terms."""
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是工作簿"
    if isinstance(exc, FileNotFoundError):
        return "快捷方式（符号链接）指向的文件不存在"
    if exc.errno == errno.ELOOP:
        return "快捷方式（符号链接）循环指向自身，无法打开"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return f"无法打开（系统错误 {exc.errno}）"


def _regular(path: Path) -> None:
    """Only regular files are opened: a pipe would block the batch forever, a device never ends."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise FormError(_open_problem(exc)) from exc
    if stat.S_ISDIR(mode):
        raise FormError("这是一个文件夹，不是工作簿")
    if not stat.S_ISREG(mode):
        raise FormError("不是普通文件（管道、设备或套接字），未读取")


def _sheets(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of one workbook as a grid of cells. calamine keeps a merged cell's value in its first
    cell only, which is what the label lookups expect. A sheet declaring a used range too large to read
    is refused first."""
    from python_calamine import CalamineWorkbook

    from perfkit.io.read_xlsx import calamine_reason, check_dimension, sheet_members

    _regular(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise FormError(_open_problem(exc)) from exc
    if not head:
        raise FormError("文件是空的（0 字节）")
    if path.suffix.lower() in (".xlsx", ".xlsm") and head == CFB_MAGIC:
        raise FormError("文件有密码保护（已加密），请另存为不加密的工作簿后再导入")
    is_zip = zipfile.is_zipfile(path)
    if path.suffix.lower() in (".xlsx", ".xlsm") and not is_zip:
        raise FormError("文件已损坏或不完整（不是有效的 .xlsx）")
    try:
        if is_zip:
            with zipfile.ZipFile(path) as z:
                for name, member in sheet_members(z).items():
                    check_dimension(z, member, name, path.name)
        book = CalamineWorkbook.from_path(str(path))
        grids = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
        if is_zip:
            with zipfile.ZipFile(path) as z:
                members = sheet_members(z)
                for name, grid in grids.items():
                    if name in members:
                        _percent_as_typed(grid, _percent_cells(z, members[name]))
        return grids
    except InputError as exc:
        raise FormError(str(exc).removeprefix(path.name)) from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise FormError("文件已损坏或不完整") from exc
    except Exception as exc:  # calamine's error types are private
        raise FormError(f"无法读取：{calamine_reason(exc)}") from exc


def _percent_cells(z: zipfile.ZipFile, member: str) -> set[tuple[int, int]]:
    """Cells of one sheet shown as a percentage (Excel stores 97% typed into a cell as 0.97 with a percent
    format): their (row, column)."""
    from perfkit.io.read_xlsx import column_index

    try:
        styles = z.read("xl/styles.xml").decode("utf-8", "replace")
    except KeyError:
        return set()
    codes = dict(re.findall(r'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', styles))
    xfs_block = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", styles, re.S)
    percent = set()
    for i, attrs in enumerate(re.findall(r"<xf\b([^>]*)", xfs_block.group(1) if xfs_block else "")):
        m = re.search(r'numFmtId="(\d+)"', attrs)
        code = re.sub(r'"[^"]*"|\\.', "", html.unescape(codes.get(m.group(1), ""))) if m else ""
        if m and (m.group(1) in ("9", "10") or "%" in code):
            percent.add(str(i))
    if not percent:
        return set()
    xml = z.read(member).decode("utf-8", "replace")
    cells = set()
    for attrs in re.findall(r"<c\b([^>]*)>", xml):
        ref, style = re.search(r'\br="([A-Z]+)(\d+)"', attrs), re.search(r'\bs="(\d+)"', attrs)
        kind = re.search(r'\bt="(\w+)"', attrs)
        if ref and style and style.group(1) in percent and (kind is None or kind.group(1) == "n"):
            cells.add((int(ref.group(2)) - 1, column_index(ref.group(1))))
    return cells


def _percent_as_typed(grid: list[list[object]], cells: set[tuple[int, int]]) -> None:
    """A number shown as a percentage reads as the unit typed it: 0.97 → 97%, 0.835 → 83.5%."""
    for r, c in cells:
        if r < len(grid) and c < len(grid[r]):
            v = grid[r][c]
            if isinstance(v, int | float) and not isinstance(v, bool) and v == v:
                grid[r][c] = f"{(Decimal(repr(float(v))) * 100).normalize():f}%"


def _docx_tables(path: Path) -> dict[str, list[list[object]]]:
    """Every table of a Word file as a grid; a merged cell keeps its text in its first cell only, and the
    title paragraphs printed above a table become its first rows."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    _regular(path)
    if path.stat().st_size == 0:
        raise FormError("文件是空的（0 字节）")
    try:
        doc = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FormError("文件已损坏，或不是 Word（.docx）文件") from exc
    out: dict[str, list[list[object]]] = {}
    body = doc.element.body
    titles: list[str] = []
    k = 0
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")).strip()
            if text:
                titles = (titles + [text])[-3:]
        elif tag == "tbl":
            from docx.table import Table

            table = Table(child, doc)
            k += 1
            grid: list[list[object]] = [[t] for t in titles]
            above: list[object] = []
            for row in table.rows:
                cells = row.cells
                tcs = [cell._tc for cell in cells]
                values: list[object] = []
                for c, cell in enumerate(cells):
                    same_left = c > 0 and tcs[c - 1] is tcs[c]
                    same_above = c < len(above) and above[c] is tcs[c]
                    values.append(None if same_left or same_above else cell.text)
                above = tcs
                grid.append(values)
            probe = Grid(grid, "", "")
            if out and indicator_header_row(probe) is None and not any(
                    key in LABEL_KEYS for row in probe.keys for key in row):
                # a table cut by a page break: the headless rest continues the table above
                out[next(reversed(out))].extend(grid)
                k -= 1
            else:
                out[f"表{k}"] = grid
            titles = []
    if not out:
        raise FormError("Word 文件中没有表格")
    return out


def _grids(path: Path) -> dict[str, list[list[object]]]:
    suffix = path.suffix.lower()
    if suffix in EXCEL:
        return _sheets(path)
    if suffix in WORD:
        return _docx_tables(path)
    _regular(path)
    raise FormError(NOT_READ_ADVICE.get(suffix, OTHER_ADVICE))


def _files(folder: Path) -> list[Path]:
    """Every entry of the folder a unit could have meant as a form: files of any kind (so that each is in
    the report), folders only when named like a workbook; hidden and Office lock files (~$) left out."""
    out = []

    def order(p: Path) -> tuple:  # an original before its copies (r21.xlsx before "r21 - 副本.xlsx", r21.xls)
        copy = bool(re.search(r"副本|复件|copy|\(\d+\)$|（\d+）$", p.stem, re.IGNORECASE))
        return (str(p.parent), copy, p.suffix.lower() != ".xlsx", p.name)

    for p in sorted(folder.rglob("*"), key=order):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or p.name.startswith("~$"):
            continue
        if p.is_dir() and not p.is_symlink() and p.suffix.lower() not in (*EXCEL, *WORD):
            continue
        if p.name in ("导入报告.csv",) or p.name.endswith("_导入报告.csv"):
            continue
        out.append(p)
    return out


def import_forms(folder: str | Path, progress: Callable[[Iterable], Iterable] | None = None) -> Imported:
    """Every form in ``folder`` (one project per sheet, per Word table, or per block of a several-project
    sheet) → the contract tables, and a report naming every file, every project and everything not imported.

    One file that cannot be read is reported and the batch goes on. Copies of one form (the same project,
    unit, money and indicators — r21.xlsx, "r21 - 副本.xlsx", r21.xls) are imported once and reported. A
    项目编码 already imported from a different form is reported and that form left out: two forms' indicators
    are never merged under one code."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"找不到文件夹：{folder}")
    if not folder.is_dir():
        raise InputError(f"{folder}：不是文件夹（请给出存放绩效表的文件夹）")
    parts: dict[str, list[pd.DataFrame]] = {}
    report: list[list[str]] = []
    seen_code: dict[str, tuple[str, str, str, set[str]]] = {}  # 项目编码 → (where, signature, kind, tables)
    project_rows: dict[str, dict[str, object]] = {}
    for path in (progress or (lambda x: x))(_files(folder)):
        rel = str(path.relative_to(folder))
        try:
            grids = _grids(path)
        except FormError as exc:
            report.append([rel, "", "未导入", str(exc)])
            continue
        for sheet, cells in grids.items():
            g = Grid(cells, rel, sheet)
            if not any(v is not None for row in g.cells for v in row):
                report.append([rel, sheet, "跳过", "空工作表"])
                continue
            try:
                entries = read_stacked(g)
            except BlankForm as exc:
                report.append([rel, sheet, "跳过", str(exc)])
                continue
            except FormError as exc:
                report.append([rel, sheet, "未导入", str(exc)])
                continue
            lines: list[list[str]] = []
            for entry in entries:
                rows = tables_of(entry, rel, sheet)
                code = str(rows["projects"]["project_id"].iloc[0])
                sig = form_signature(entry)
                where = f"{rel}「{sheet}」"
                if code in seen_code and seen_code[code][2] != entry["kind"] and not (
                        set(rows) - {"projects", "units"}) & seen_code[code][3]:
                    # the same project's 目标表 and 自评表 (as the blank forms pair them): one project, both tables
                    first = seen_code[code][0]
                    merged = project_rows[code]
                    for k, v in rows["projects"].iloc[0].items():
                        if merged.get(k) is None or (not isinstance(merged.get(k), str) and pd.isna(merged.get(k))):
                            merged[k] = v
                    seen_code[code][3].update(set(rows) - {"projects", "units"})
                    for k, v in rows.items():
                        if k != "projects":
                            parts.setdefault(k, []).append(v)
                    lines.append([rel, sheet, "已导入", f"{entry['kind']}表：项目「{entry['name']}」与 {first} 是同一项目"
                                                      f"（编码 {code}），{len(entry['frame'])} 个指标 → "
                                                      f"{'绩效自评' if entry['kind'] == '自评' else '绩效目标'}"])
                    continue
                if code in seen_code:
                    first, first_sig = seen_code[code][:2]
                    if first_sig == sig:
                        lines.append([rel, sheet, "副本", f"项目「{entry['name']}」与 {first} 内容相同，视为同一张表的副本，"
                                                        "未重复导入"])
                    else:
                        lines.append([rel, sheet, "未导入", f"项目编码 {code} 已在 {first} 导入：两张表的指标不合并，"
                                                          "请核对项目编码后单独导入"])
                    continue
                seen_code[code] = (where, sig, entry["kind"], set(rows) - {"projects", "units"})
                project_rows[code] = rows["projects"].iloc[0].to_dict()
                for k, v in rows.items():
                    if k != "projects":
                        parts.setdefault(k, []).append(v)
                kind = {"自评": "绩效自评", "目标": "绩效目标", "监控": "绩效目标、监控"}[entry["kind"]]
                n = len(entry["frame"])
                how = "（编码为表上所印）" if entry["code"] else f"（表上没有项目编码，生成编码 {code}）"
                lines.append([rel, sheet, "已导入", f"{'部门整体' if entry['whole'] else ''}{entry['kind']}表："
                                                  f"项目「{entry['name']}」{how}，{n} 个指标 → {kind}"])
            notes = list(dict.fromkeys(g.notes + leftovers(g)))
            report.extend(lines)
            if any(line[2] == "已导入" for line in lines):
                report.extend([rel, sheet, "注意", n] for n in notes)
    if project_rows:
        parts["projects"] = [pd.DataFrame(list(project_rows.values()))]
    tables = {k: pd.concat(v, ignore_index=True) for k, v in parts.items() if v}
    order = ["units", "projects", "targets", "exec_monitor", "ind_monitor", "self_eval", "self_summary"]
    tables = {k: tables[k] for k in order if k in tables}
    if "units" in tables:
        tables["units"] = tables["units"].drop_duplicates("unit_id")
    if "projects" in tables:
        for c in ("budget_initial", "budget", "spent"):
            tables["projects"][c] = pd.array(tables["projects"][c].tolist(), dtype="Int64")
        tables["projects"]["year"] = pd.array(tables["projects"]["year"].tolist(), dtype="Int64")
    for name in ("exec_monitor",):
        if name in tables:
            tables[name]["spent_cum"] = pd.array(tables[name]["spent_cum"].tolist(), dtype="Int64")
    return Imported(tables, pd.DataFrame(report, columns=REPORT_COLUMNS))


def read_form(frame: pd.DataFrame | list[list[object]], file: str, sheet: str,
              problems: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """One project's form (a grid of cells, or a frame read with its first row as header) → rows of the
    contract tables. Cells that could not be read are described in ``problems``."""
    if isinstance(frame, pd.DataFrame):
        cells = [[None if str(c).startswith("Unnamed") else c for c in frame.columns]]
        cells += [list(r) for r in frame.itertuples(index=False, name=None)]
    else:
        cells = [list(r) for r in frame]
    g = Grid(cells, file, sheet)
    entries = read_grid(g)
    entries[0]["grid"] = g
    out = tables_of(entries[0], file, sheet)
    if problems is not None:
        problems.extend(g.notes)
    return out


# ------------------------------------------------------------------------------------------ writing


def _ours_xlsx(path: Path) -> bool:
    """Was this workbook written by import-forms (its custom property), so that it may be replaced?"""
    try:
        with zipfile.ZipFile(path) as z:
            return OUTPUT_PROPERTY.encode() in z.read("docProps/custom.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def write_import(result: Imported, out: str | Path) -> Path:
    """Write the imported tables and 导入报告.csv by the rules of every perfkit output: a folder is
    built aside and swapped in whole (with its marker), a workbook is replaced only if import-forms wrote
    it, a path that is not a regular file or folder is refused. Returns the report's path."""
    from perfkit.io.outputs import replaced_folder
    from perfkit.io.write import atomic_path, excel_writer, to_contract_frame, write_csv, write_tables_folder

    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        if out.exists() or out.is_symlink():
            try:
                mode = os.stat(out).st_mode
            except OSError as exc:
                raise InputError(f"--out {out} 无法写入：{_open_problem(exc)}") from exc
            if not stat.S_ISREG(mode):
                raise InputError(f"--out {out} 不是普通文件（文件夹、管道或设备），不会覆盖；请另选输出文件名")
            if not _ours_xlsx(out):
                raise InputError(f"--out {out} 是已有的工作簿，不是 perfkit import-forms 写出的，不会覆盖；"
                                 "请另选输出文件名")
        report_path = out.with_name(out.stem + "_导入报告.csv")
        if report_path.exists() and not report_path.is_file():
            raise InputError(f"{report_path} 不是普通文件，不会覆盖；请另选输出文件名")
        for name, frame in result.tables.items():  # an Excel cell holds at most 32 767 characters
            long = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, str) and len(v) > EXCEL_CELL_MAX).any()]
            if long:
                raise InputError(f"「{BY_NAME[name].sheet}」表的「{long[0]}」列有超过 {EXCEL_CELL_MAX} 个字符的内容，"
                                 "Excel 单元格放不下；请用文件夹作 --out（写出 CSV，不截断）")
        if result.tables:
            with atomic_path(out) as tmp, excel_writer(tmp) as xl:
                xl.book.set_custom_property(OUTPUT_PROPERTY, "1")
                for name, frame in result.tables.items():
                    table = BY_NAME[name]
                    to_contract_frame(frame, table).to_excel(xl, sheet_name=table.sheet, index=False)
                    ws = xl.sheets[table.sheet]
                    ws.freeze_panes(1, 0)
                    ws.set_column(0, 10, 14)
        write_csv(result.report, report_path)
        return report_path
    names = {f"{t.sheet}.csv" for t in BY_NAME.values()} | {"导入报告.csv"}
    with replaced_folder(out, "import-forms", ours=lambda e: e.name in names) as staging:
        if result.tables:
            write_tables_folder(result.tables, staging)
        write_csv(result.report, staging / "导入报告.csv")
    return out / "导入报告.csv"
