"""Notebook → executed notebook → offline HTML → A4 PDF, in one process (TECH_NOTES.md: ~2× faster
than chaining CLI calls).

The HTML has no code, no CDN scripts and the CJK font inlined; the PDF is WeasyPrint's, with the font
embedded and "第 N 页 / 共 M 页" footers. Outputs are written atomically: a failed run leaves earlier
reports intact and says which cell failed and why.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import nbformat

from perfkit.io.load import InputError
from perfkit.reporting.fonts import FAMILY, font_face_css

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


def execute(notebook: Path, output: Path, parameters: dict, cwd: Path | None = None) -> nbformat.NotebookNode:
    """Run a parameterized notebook with papermill in this process and return the executed notebook."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        return pm.execute_notebook(str(notebook), str(output), parameters=parameters, kernel_name="python3",
                                   progress_bar=False, cwd=str(cwd or notebook.parent), log_output=False)
    except PapermillExecutionError as exc:
        cell = exc.exec_count if exc.exec_count is not None else exc.cell_index
        reason = (str(exc.evalue).strip().splitlines() or [""])[0]
        raise ReportError(f"{notebook.name} 第 {cell} 个代码单元格出错：{exc.ename}: {reason}") from exc


def to_html(nb: nbformat.NotebookNode, title: str, profile: str = "", embed_font: bool = True) -> str:
    """An executed notebook as a self-contained page: outputs and narrative only, the font inlined."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    body = _strip_papermill_noise(body)
    text = re.sub(r"<[^>]+>", "", body) + title
    import perfkit

    return _ENV.get_template("page.html.j2").render(
        title=title, running_title=title, body=jinja2.utils.markupsafe.Markup(body),
        font_css=jinja2.utils.markupsafe.Markup(font_face_css(text if embed_font else None)),
        family=FAMILY, version=perfkit.__version__, profile=profile,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


def _strip_papermill_noise(body: str) -> str:
    """Drop empty output wrappers that papermill's parameter cells leave behind."""
    return re.sub(r'<div class="cell border-box-sizing code_cell rendered"[^>]*>\s*</div>', "", body)


def to_pdf(html: str, path: Path, base_url: Path) -> Path:
    """HTML → A4 PDF with WeasyPrint. One FontConfiguration serves the CSS and the writer, or the
    @font-face rule is silently ignored (TECH_NOTES.md)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=font_face_css(None), font_config=fonts)
    HTML(string=html, base_url=str(base_url)).write_pdf(str(path), stylesheets=[css], font_config=fonts)
    return path


def render_all(jobs: list[tuple[Path, str, dict]], out: Path, title_of: Callable[[str], str], profile: str,
               progress: Callable[[str], None] = print) -> list[Rendered]:
    """Execute each ``(notebook, stem, parameters)`` and export HTML and PDF into ``out`` atomically.

    Everything is built in a temporary folder beside ``out`` and moved into place only when every
    notebook succeeded, so a failure leaves the previous reports as they were.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    results: list[Rendered] = []
    try:
        for notebook, stem, params in jobs:
            params = {**params, "output_dir": str(staging)}
            progress(f"[{stem}] 执行 {notebook.name} …")
            executed_path = staging / f"{stem}.ipynb"
            nb = execute(notebook, executed_path, params, cwd=notebook.parent)
            progress(f"[{stem}] 导出 HTML …")
            html = to_html(nb, title_of(stem), profile)
            (staging / f"{stem}.html").write_text(html, encoding="utf-8")
            progress(f"[{stem}] 导出 PDF …")
            to_pdf(to_html(nb, title_of(stem), profile, embed_font=False), staging / f"{stem}.pdf", staging)
            results.append(Rendered(out / f"{stem}.ipynb", out / f"{stem}.html", out / f"{stem}.pdf"))
        _swap_into_place(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return results


def _swap_into_place(staging: Path, out: Path) -> None:
    """Replace ``out`` with ``staging`` by renames, keeping the old folder until the new one is in."""
    backup = None
    if out.exists():
        backup = out.with_name(f".{out.name}-old-{dt.datetime.now():%Y%m%d%H%M%S%f}")
        out.rename(backup)
    staging.chmod(0o755)  # mkdtemp makes 0700; reports are meant to be shared
    staging.rename(out)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
