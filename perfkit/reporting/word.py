"""The reports as Word files (.docx), because the bureau edits before it signs (REPORT_STYLE.md).

The .docx is made from the same HTML as the PDF — one source, so the Word and PDF versions carry the
same text and figures — with Word's own structure: the title in the Title style, "一、" headings in
Heading 1 and "（一）" in Heading 2 (Word's navigation pane shows the outline), real Word tables, charts
as pictures, and the official fonts named (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312: Word/WPS render
them from the reader's machine). python-docx rather than a docxtpl template: the report's structure is
decided by the notebook, so a template would repeat it; staff restyle the document by its styles.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

FONTS = {"Title": ("方正小标宋简体", 22), "Heading 1": ("黑体", 16), "Heading 2": ("楷体_GB2312", 16),
         "Heading 3": ("仿宋_GB2312", 16), "Normal": ("仿宋_GB2312", 16), "Caption": ("黑体", 12)}
HEADINGS = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}
TABLE_PT = 10.5  # table text: 五号, so a seven-column table fits the 156 mm type area


def _name_font(style, name: str, size: float) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = name
    style.font.size = Pt(size)
    style.font.bold = False
    style.font.italic = False
    style.font.color.rgb = None
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def new_document():
    """An A4 document with the GB/T 9704 type area and the official fonts named on its styles."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.left_margin, s.right_margin, s.bottom_margin = Mm(37), Mm(28), Mm(26), Mm(35)
    for style, (font, size) in FONTS.items():
        _name_font(doc.styles[style], font, size)
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.styles["Normal"].paragraph_format.line_spacing = Pt(28)  # 22 lines of 3号 on the type area
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):  # Word's defaults draw a rule and colour
        pf = doc.styles[name].paragraph_format
        pf.space_before, pf.space_after = Pt(6), Pt(6)
    _page_numbers(s)
    return doc


def _page_numbers(section) -> None:
    """"— N —" centred below the type area (GB/T 9704): a PAGE field between two dashes."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("— ")
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    p.add_run(" —")


def _text(node: Tag) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


RUNIN_FONT = "楷体_GB2312"  # a level-2 heading run into its paragraph keeps its heading's face


def _paragraph(doc, node: Tag) -> None:
    """A paragraph with its kind kept: a caption or note (Caption style), 落款 and date (right, four
    characters in), an attachment line, or body text indented two characters; a run-in heading
    (``span.runin``) is set in 楷体."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    classes = node.get("class") or []
    caption = "figure-caption" in classes
    p = doc.add_paragraph(style=doc.styles["Caption" if caption else "Normal"])
    if "note" in classes:
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        p.paragraph_format.keep_together = True
    elif caption:  # a table's or chart's caption stays on the page of what it names
        p.paragraph_format.keep_with_next = True
    if "signature" in classes:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(64)
        if "first" in classes:
            p.paragraph_format.space_before = Pt(56)
    elif "attachment" in classes:
        p.paragraph_format.first_line_indent = Pt(32)
        if "more" in classes:
            p.paragraph_format.left_indent, p.paragraph_format.first_line_indent = Pt(112), None
        else:
            p.paragraph_format.space_before = Pt(28)
    elif not caption and "noindent" not in classes:
        p.paragraph_format.first_line_indent = Pt(32)  # two characters of 3号
    for child in node.children:
        text = str(child) if isinstance(child, NavigableString) else child.get_text()
        if not text:
            continue
        run = p.add_run(re.sub(r"\s+", " ", text) if isinstance(child, Tag) else text.replace("\n", ""))
        if isinstance(child, Tag) and "runin" in (child.get("class") or []):
            run.font.name = RUNIN_FONT
            run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), RUNIN_FONT)


def _table(doc, node: Tag) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    rows = node.find_all("tr")
    if not rows:
        return
    caption = node.find("caption")
    if caption is not None:
        doc.add_paragraph(_text(caption), style=doc.styles["Caption"]).paragraph_format.keep_with_next = True
    width = max(len(r.find_all(["th", "td"])) for r in rows)
    table = doc.add_table(rows=0, cols=width, style=doc.styles["Table Grid"])
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, r in enumerate(rows):
        cells = r.find_all(["th", "td"])
        out = table.add_row().cells
        for cell, src in zip(out, cells, strict=False):
            para = cell.paragraphs[0]
            run = para.add_run(_text(src))
            run.font.size = Pt(TABLE_PT)
            if src.name == "th":
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif "num" in (src.get("class") or []):
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if i == 0 and r.find("th") is not None:
            _repeat_header(table.rows[0])


def _repeat_header(row) -> None:
    """The header row repeats on every page a long table runs over."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    pr.append(el)


def _picture(doc, node: Tag) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    src = node.get("src") or ""
    match = re.match(r"data:image/(png|jpeg);base64,(.*)", src, re.S)
    if not match:
        return
    doc.add_picture(io.BytesIO(base64.b64decode(match.group(2))), width=Mm(150))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _walk(doc, node: Tag) -> None:
    for child in node.children:
        if not isinstance(child, Tag):
            continue
        classes = child.get("class") or []
        if child.name in HEADINGS:
            lines = [re.sub(r"\s+", " ", t).strip() for t in child.get_text("\n").split("\n")]
            p = doc.add_paragraph(style=doc.styles[HEADINGS[child.name]])
            for i, line in enumerate(x for x in lines if x):  # a title's chosen line breaks are kept
                if i:
                    p.add_run().add_break()
                p.add_run(line)
        elif child.name == "p":
            _paragraph(doc, child)
        elif child.name == "table":
            _table(doc, child)
        elif child.name == "img":
            _picture(doc, child)
        elif child.name in ("ul", "ol"):
            for i, li in enumerate(child.find_all("li", recursive=False), start=1):
                p = doc.add_paragraph(f"{i}. {_text(li)}" if child.name == "ol" else _text(li))
                p.paragraph_format.first_line_indent = None
        elif child.name in ("style", "script") or "meta" in classes or "output_stderr" in classes \
                or "output_error" in classes:
            continue
        else:
            _walk(doc, child)


def html_to_docx(html: str, path: Path) -> Path:
    """The report's HTML (as exported for the PDF) written as a .docx with the same text and figures."""
    soup = BeautifulSoup(html, "html.parser")
    doc = new_document()
    _walk(doc, soup.body or soup)
    doc.save(str(path))
    return path


def docx_text(path: Path) -> str:
    """All text of a .docx in reading order — paragraphs and table cells (for tests and checks)."""
    from docx import Document

    doc = Document(str(path))
    parts = []
    body = doc.element.body
    for el in body.iterchildren():
        if el.tag.endswith("}p"):
            parts.append("".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")))
        elif el.tag.endswith("}tbl"):
            for row in el.iter():
                if row.tag.endswith("}tc"):
                    parts.append("".join(t.text or "" for t in row.iter() if t.tag.endswith("}t")))
    return "\n".join(p for p in parts if p)
