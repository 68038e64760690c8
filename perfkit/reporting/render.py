"""Notebook → executed notebook → offline HTML → A4 PDF, in one process (~2× faster
than chaining CLI calls).

The HTML has no code, no CDN scripts and the CJK font inlined; the PDF is WeasyPrint's, with the font
embedded and "第 N 页 / 共 M 页" footers. Outputs are written atomically: a failed run leaves earlier
reports intact and says which cell failed and why.
"""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
import nbformat

from perfkit.io.base import InputError
from perfkit.io.outputs import replaced_folder
from perfkit.reporting.fonts import BOLD_SERIF, FAMILY, SERIF, bold_face_css, font_face_css
from perfkit.reporting.pdf import to_pdf
from perfkit.reporting.word import TABLE_PT, common_prefix, fit_table, html_to_docx

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)


class ReportError(InputError):
    """A notebook failed; the message names the notebook, the cell and the error in one line."""


@dataclass
class Rendered:
    notebook: Path
    html: Path
    pdf: Path
    docx: Path


def execute(notebook: Path, output: Path, parameters: dict) -> nbformat.NotebookNode:
    """Run a parameterized notebook with papermill in this process and return the executed notebook.

    No ``cwd``: papermill would ``chdir`` the whole process, which races when two notebooks run in
    parallel threads; parameters carry absolute paths instead.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        # papermill formats both paths with the parameters (str.format): braces in a folder name such as
        # 报告{终稿} are escaped so that the path is used as written
        return pm.execute_notebook(_literal(notebook), _literal(output), parameters=parameters, kernel_name="python3",
                                   progress_bar=False, log_output=False, kernel_manager_class=_local_kernel_manager())
    except PapermillExecutionError as exc:
        # the count is the executed notebook's (papermill's injected parameters cell included), so the
        # cell's first line is named too: that is what the user finds in the notebook they opened
        cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
        first = next((line.strip() for line in str(exc.source or "").splitlines() if line.strip()), "")
        where = f"（{first[:40]}{'…' if len(first) > 40 else ''}）" if first else ""
        reason = (str(exc.evalue).strip().splitlines() or [""])[0]
        raise ReportError(f"{notebook.name} 第 {cell} 个代码单元格{where}出错：{exc.ename}: {reason}") from exc


def _literal(path: Path) -> str:
    """A path papermill's ``str.format`` leaves as it is."""
    return str(path).replace("{", "{{").replace("}", "}}")


@cache
def _local_kernel_manager() -> type:
    """A kernel manager whose kernel talks over Unix sockets instead of TCP ports on localhost, and is
    not interrupted on its way out.

    With TCP, ipykernel 7 prints a warning about unencrypted traffic into the user's terminal for every
    notebook, and two kernels starting at once can pick the same free port ("Address already in use"),
    which costs a restart. Unix sockets need neither a port nor encryption (the socket files are private
    to the user and removed when the kernel shuts down). Windows has no such sockets: TCP stays there.
    """
    import os
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    if os.name == "nt":
        return AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client sends SIGINT before every shutdown; a kernel still finishing its last reply
            # then logs "ERROR | KeyboardInterrupt caught in kernel" into the user's terminal. Our kernels
            # are idle when shut down (a hung cell is ended by the kill that follows an unanswered request)
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:  # the socket files' prefix (a path, at most ~100 bytes for Unix sockets)
            return os.path.join(tempfile.gettempdir(), f"perfkit-kernel-{uuid.uuid4().hex[:12]}")

    return LocalKernelManager


def to_html(nb: nbformat.NotebookNode, title: str, profile: str = "") -> str:
    """An executed notebook as a self-contained page: outputs and narrative only, the font inlined."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return page(typeset(_strip_papermill_noise(body)), title, profile)


def page(body: str, title: str, profile: str = "") -> str:
    """A report's body in the page of ``templates/page.html.j2`` (A4, fonts, page numbers), the CJK font
    subset for its text inlined."""
    import perfkit

    fill = {"title": title, "running_title": title, "body": jinja2.utils.markupsafe.Markup(body), "family": FAMILY,
            "serif": SERIF, "bold_serif": BOLD_SERIF,
            "version": perfkit.__version__, "profile": profile,
            "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
    # the font subset must hold every character the page shows — body, footer line, page headers and
    # footers — or WeasyPrint draws .notdef boxes and falls back to an encoding whose text does not
    # extract: so the page is rendered once without the font and its text (entities decoded) collected
    template = _ENV.get_template("page.html.j2")
    text = html_module.unescape(re.sub(r"<[^>]+>", "", template.render(font_css="", **fill)))
    css = font_face_css(text, (SERIF, FAMILY))
    runin = html_module.unescape("".join(re.findall(r'<span class="runin">([^<]*)</span>', body)))
    if runin:  # run-in "（一）" headings in a bold serif made for their characters
        css += "\n" + bold_face_css(runin)
    return template.render(font_css=jinja2.utils.markupsafe.Markup(css), **fill)


UNIT_HEADS = ("单位", "部门")  # a column of unit or department names: its head contains one of these
CELL_PAD_PT = 6 + 1.0  # the PDF's cell padding (2 × 4 px = 6 pt, page.html.j2), its rule and a margin for error
_HEAD_BREAK = re.compile(r"(?<=/)(?=\S)|(?<=\S)(?=（)")  # after a slash, before an opening bracket
_MONTH_RANGE = re.compile(r"(?<=\d)\s*[-－–]\s*(?=\d{1,2}\s*月)")  # "1-5月" → "1—5月"


def typeset(body: str) -> str:
    """What the PDF and the Word file need beyond the notebook's output, done once on the exported body:

    - a range of months is written with a dash ("1—5月"), never a hyphen;
    - in a column of unit names, the place name most of them begin with ("高新区（新市区）") is dropped,
      and a note under the table says so — the column then fits and no name breaks in three lines;
    - each table's columns are sized by content (:func:`perfkit.reporting.word.column_widths`): a column
      whose longest cell fits is kept on one line (class ``keep``), only the widest columns wrap, so a
      label such as "专项转移支付项目支出" or "1个指标无法复算" is never broken; a table whose columns
      fit whole only in 小五 is set in 小五 (class ``small``); where the table still does not fit, a long
      head is broken after a slash or before a bracket ("压减/" "取消项目数") if that keeps more columns whole.
    """
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(body, "html.parser")
    for text in soup.find_all(string=_MONTH_RANGE):
        if isinstance(text, NavigableString) and text.parent.name not in ("style", "script"):
            text.replace_with(_MONTH_RANGE.sub("—", str(text)))
    for table in soup.find_all("table"):
        rows = [r.find_all(["th", "td"]) for r in table.find_all("tr")]
        if not rows or any(c.get("colspan") or c.get("rowspan") for r in rows for c in r):
            continue
        _drop_common_prefix(soup, table, rows)
        texts = [[c.get_text().strip() if c.name == "th" else re.sub(r"\s+", " ", c.get_text()).strip()
                  for c in r] for r in rows]
        size, _, keep = fit_table(texts, CELL_PAD_PT)
        if not all(keep):  # a long head may break where its words allow ("压减/取消项目数", "…（万元）")
            heads = [[_HEAD_BREAK.sub("\n", t) if c.name == "th" else t for c, t in zip(r, row, strict=True)]
                     for r, row in zip(rows, texts, strict=True)]
            size2, _, keep2 = fit_table(heads, CELL_PAD_PT)
            if sum(keep2) > sum(keep):
                size, keep, texts = size2, keep2, heads
                for r, row in zip(rows, texts, strict=True):
                    for c, t in zip(r, row, strict=True):
                        if c.name == "th" and "\n" in t:
                            c.string = t
        if size != TABLE_PT:
            table["class"] = [*(table.get("class") or []), "small"]
        for r in rows:
            for j, cell in enumerate(r):
                if j < len(keep) and keep[j]:
                    cell["class"] = [*(cell.get("class") or []), "keep"]
    return str(soup)


def _drop_common_prefix(soup, table, rows) -> None:
    """Unit and department names without the place name most of them carry, said in a note."""
    head = next((r for r in rows if r and all(c.name == "th" for c in r)), None)
    if head is None:
        return
    cols = [j for j, c in enumerate(head) if any(h in c.get_text() for h in UNIT_HEADS)]
    body_rows = [r for r in rows if r is not head and not all(c.name == "th" for c in r)]
    dropped = []
    for j in cols:
        cells = [r[j] for r in body_rows if j < len(r) and "num" not in (r[j].get("class") or [])]
        prefix = common_prefix([c.get_text().strip() for c in cells if c.get_text().strip() != "合计"])
        if not prefix:
            continue
        for c in cells:
            name = c.get_text().strip()
            if name.startswith(prefix) and len(name) > len(prefix):
                c.string = name[len(prefix):]
        if prefix not in dropped:
            dropped.append(prefix)
    if dropped:
        note = soup.new_tag("p", attrs={"class": "noindent figure-caption note"})
        note.string = "注：表中单位名称略去“" + "”“".join(dropped) + "”字样。"
        table.insert_after(note)


def _strip_papermill_noise(body: str) -> str:
    """Drop empty output wrappers that papermill's parameter cells leave behind."""
    return re.sub(r'<div class="cell border-box-sizing code_cell rendered"[^>]*>\s*</div>', "", body)


_REPORT_FILES = re.compile(r"^(annual_report|budget_allocation|technical_annex)\.(ipynb|html|pdf|docx)$|^\d{4}年度预算安排建议.*\.xlsx$")


def report_output(entry: Path) -> bool:
    """A file an earlier ``perfkit report`` (before output folders carried a marker) wrote."""
    return (entry.is_file() and _REPORT_FILES.match(entry.name) is not None) or entry.name == ".ipynb_checkpoints"


def render_all(jobs: list[tuple[Path, str, dict]], out: Path, title_of: Callable[[str], str], profile: str,
               progress: Callable[[str], None] = print, author: str | None = None) -> list[Rendered]:
    """Execute each ``(notebook, stem, parameters)`` and export HTML and PDF into ``out`` atomically.

    Everything is built in a hidden staging folder beside ``out`` and swapped in whole only when every
    notebook succeeded (:func:`perfkit.io.outputs.replaced_folder`), so a failure or a kill leaves the
    previous reports as they were, and the next run removes what a killed one left. ``author``: the
    issuing organ, written into each Word file's properties.
    """
    out = Path(out).absolute()
    with replaced_folder(out, "report", ours=report_output) as staging:
        def run_and_export(job: tuple[Path, str, dict], worker: PdfWorker) -> None:
            notebook, stem, params = job
            progress(f"[{stem}] 执行 {notebook.name} …")
            nb = execute(notebook, staging / f"{stem}.ipynb", {**params, "output_dir": str(staging)})
            progress(f"[{stem}] 导出 HTML、PDF、Word …")
            html = to_html(nb, title_of(stem), profile)
            (staging / f"{stem}.html").write_text(html, encoding="utf-8")
            worker.make(staging / f"{stem}.html", staging / f"{stem}.pdf", staging)
            html_to_docx(html, staging / f"{stem}.docx", author)  # while the PDF worker lays out the same HTML

        # kernels run in parallel (threads in one process). WeasyPrint holds the GIL, so each
        # PDF is laid out by a worker process started now (importing WeasyPrint while the kernels run) and
        # handed its HTML as soon as that notebook is done
        workers = [PdfWorker() for _ in jobs]
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = [pool.submit(run_and_export, job, w) for job, w in zip(jobs, workers, strict=True)]
                for f in futures:
                    f.result()
            for w, (_, stem, _) in zip(workers, jobs, strict=True):
                w.wait(stem)
        finally:
            for w in workers:
                w.stop()
    results = [Rendered(out / f"{stem}.ipynb", out / f"{stem}.html", out / f"{stem}.pdf", out / f"{stem}.docx")
               for _, stem, _ in jobs]
    return results


class PdfWorker:
    """One ``python -m perfkit.reporting.pdf`` process; where none can be started, the PDF is made here."""

    def __init__(self) -> None:
        try:
            self.proc: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-m", "perfkit.reporting.pdf"], stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                stdout=subprocess.DEVNULL, text=True, encoding="utf-8", cwd=Path(__file__).resolve().parents[2])
        except OSError:
            self.proc = None

    def make(self, html: Path, pdf: Path, base: Path) -> None:
        if self.proc is None:
            to_pdf(html.read_text(encoding="utf-8"), pdf, base)
            return
        self.proc.stdin.write(f"{html}\t{pdf}\t{base}\n")
        self.proc.stdin.close()

    def wait(self, stem: str) -> None:
        if self.proc is None:
            return
        err = self.proc.stderr.read()
        self.proc.wait()
        if self.proc.returncode != 0:
            last = ([line for line in err.splitlines() if line.strip()] or ["（无输出）"])[-1]
            raise ReportError(f"{stem}.pdf 生成失败：{last}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """A report's title as its notebook shows it: the first level-1 heading of the outputs (the title
    cell writes it), its line breaks dropped; ``default`` when there is none."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            shown = output.get("data", {}).get("text/html", "")
            found = re.search(r"<h1[^>]*>(.*?)</h1>", "".join(shown) if isinstance(shown, list) else shown, re.S)
            if found:
                return html_module.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()
    return default


def render_notebook(executed: str | Path, out: str | Path | None = None, author: str | None = None,
                    profile: str = "") -> Rendered:
    """A report notebook executed elsewhere (papermill's own CLI, a scheduled job) exported exactly as
    ``perfkit report`` exports it: the same HTML page, A4 PDF and Word file, into ``out`` (default: the
    notebook's folder), named after the notebook (``annual_report.ipynb`` → ``annual_report.html`` …).

    Why: the papermill route runs a notebook only; without this its readers would get a different document
    from the one ``perfkit report`` writes. The notebook is not run again: what it shows is exported."""
    from perfkit.io.outputs import os_error_in, os_error_text, refuse_public

    executed = Path(executed)
    if executed.suffix.lower() != ".ipynb" or not executed.is_file():
        raise InputError(f"{executed} 不是执行过的笔记本（.ipynb 文件）")
    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one message
        raise InputError(f"{executed} 无法读取为笔记本（{type(exc).__name__}），请指定 papermill 写出的 .ipynb") from exc
    if not any(c.get("outputs") for c in nb.cells):
        raise InputError(f"{executed} 没有输出：请先用 papermill 执行它（papermill 输入.ipynb {executed.name} …），再导出")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise InputError(f"{executed} 的执行出错（{errors[0].get('ename', '')}：{errors[0].get('evalue', '')}），"
                         "未导出；请修正后重新执行")
    out = Path(out) if out is not None else executed.parent
    refuse_public(out, "render", "--out")
    out.mkdir(parents=True, exist_ok=True)
    stem = executed.stem
    title = notebook_title(nb, stem)
    targets = Rendered(executed, out / f"{stem}.html", out / f"{stem}.pdf", out / f"{stem}.docx")
    staging = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out))
    try:
        html = to_html(nb, title, profile)
        (staging / "page.html").write_text(html, encoding="utf-8")
        to_pdf(html, staging / "page.pdf", staging)
        html_to_docx(html, staging / "page.docx", author)
        for made, target in ((staging / "page.html", targets.html), (staging / "page.pdf", targets.pdf),
                             (staging / "page.docx", targets.docx)):
            made.replace(target)  # each file whole or not at all
    except OSError as exc:
        raise InputError(f"导出 {executed.name} 失败：{os_error_text(os_error_in(exc) or exc)}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return targets
