"""HTML → A4 PDF with WeasyPrint, in a module light enough to run in worker processes.

WeasyPrint is pure Python and holds the GIL, so the two reports' PDFs are laid out in two processes
(``render_all``) — this module imports nothing of perfkit's data stack, so a worker starts in well
under a second, while the kernels are still running.
"""

from __future__ import annotations

from pathlib import Path


def to_pdf(html: str, path: Path, base_url: Path) -> Path:
    """HTML (with its CJK font subset inlined) → A4 PDF.

    The FontConfiguration must be passed to the writer or the @font-face rule is silently ignored
. The page inlines a small subset of the font already
    (:func:`perfkit.reporting.fonts.subset_font`), which WeasyPrint subsets once more. Not ``full_fonts``:
    it is faster (WeasyPrint's own subsetting uses fontTools on CFF outlines when libharfbuzz-subset is
    absent) but its text map then covers only the font's cmap, so digits that Pango shapes to
    alternate glyphs (e.g. "0.6" in the rules table) no longer extract or search.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    HTML(string=html, base_url=str(base_url)).write_pdf(str(path), font_config=FontConfiguration())
    return path


def warm() -> None:
    """Import WeasyPrint in a worker before there is work for it."""
    import weasyprint  # noqa: F401
    from weasyprint.text.fonts import FontConfiguration  # noqa: F401


def main() -> None:
    """``python -m perfkit.reporting.pdf``: a PDF worker. It imports WeasyPrint at once, then reads one
    line ``<html file>\\t<pdf file>\\t<base folder>`` from stdin and writes that PDF."""
    import sys

    warm()
    line = sys.stdin.readline().rstrip("\n")
    if not line:
        return
    html_file, pdf_file, base = line.split("\t")
    to_pdf(Path(html_file).read_text(encoding="utf-8"), Path(pdf_file), Path(base))


if __name__ == "__main__":
    main()
