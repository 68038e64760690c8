"""The reports and letters as Word files (.docx), because the bureau edits before it signs.

The .docx of a report is made from the same HTML as the PDF — one source, so the Word and PDF versions
carry the same text and figures — with Word's own structure: the title in the Title style, "一、" headings
in Heading 1 and "（一）" in Heading 2 (Word's navigation pane shows the outline), real Word tables, charts
as pictures, and the official fonts named (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312: Word/WPS render
them from the reader's machine). python-docx rather than a docxtpl template: the report's structure is
decided by the notebook, so a template would repeat it; staff restyle the document by its styles.

python-docx starts from a template of its own that is not a 公文: theme fonts on every style (a theme
attribute wins over the font named beside it, so 黑体 and 方正小标宋 would render as the theme's 宋体),
a blue rule under the title, 10 pt after every paragraph, "python-docx" as the author and a 2013 date.
:func:`new_document` undoes all of that (GB/T 9704-2012): fonts named explicitly, no rules or colour,
every paragraph on the 28 pt line pitch with no space before or after (vertical space is an empty line,
as typists do it), 4号 宋体 page numbers "— N —" right on odd pages and left on even ones, each one
character in from the type area, and the issuing organ as the author.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import unicodedata
from functools import cache
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

FONTS = {"Title": ("方正小标宋简体", 22), "Heading 1": ("黑体", 16), "Heading 2": ("楷体_GB2312", 16),
         "Heading 3": ("仿宋_GB2312", 16), "Normal": ("仿宋_GB2312", 16), "Caption": ("黑体", 12)}
HEADINGS = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}
TABLE_PT = 10.5  # table text: 五号, so a seven-column table fits the 156 mm type area
LINE_PT = 28  # GB/T 9704: 22 lines of 3号 on the 225 mm type area — every paragraph on this pitch
BODY_PT = 16  # 3号: one "character" of indent
PAGE_NUMBER = ("宋体", 14)  # 4号 半角宋体
TYPE_AREA_MM = 156
TABLE_CELL_MARGIN_PT = 3.0  # a cell's left and right margin (Word's default, 5.4 pt, wastes a column's worth)
_THEME_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")


def _rfonts(rpr, name: str) -> None:
    """One font named for every script, and no theme attribute that would override it (ECMA-376
    §17.3.2.26: w:asciiTheme/w:eastAsiaTheme win over w:ascii/w:eastAsia)."""
    from docx.oxml.ns import qn

    fonts = rpr.get_or_add_rFonts()
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), name)


def _name_font(style, name: str, size: float) -> None:
    from docx.shared import Pt

    style.font.size = Pt(size)
    style.font.bold = False
    style.font.italic = False
    style.font.color.rgb = None
    _rfonts(style.element.get_or_add_rPr(), name)


def _spacing(ppr, line_twips: int | None = LINE_PT * 20, rule: str = "exact") -> None:
    """No space before or after; the line pitch given (exact 28 pt unless said otherwise)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for old in ppr.findall(qn("w:spacing")):
        ppr.remove(old)
    el = OxmlElement("w:spacing")
    el.set(qn("w:before"), "0")
    el.set(qn("w:after"), "0")
    el.set(qn("w:beforeLines"), "0")
    el.set(qn("w:afterLines"), "0")
    if line_twips is not None:
        el.set(qn("w:line"), str(line_twips))
        el.set(qn("w:lineRule"), rule)
    # w:pPr keeps its children in schema order: w:spacing goes before the first that follows it
    after = _after_spacing()
    for child in ppr:
        if child.tag in after:
            child.addprevious(el)
            break
    else:
        ppr.append(el)


@cache
def _after_spacing() -> frozenset[str]:
    from docx.oxml.ns import qn

    return frozenset(qn(f"w:{t}") for t in (
        "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
        "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange"))


def _clean_styles(doc) -> None:
    """Every style and the document defaults: theme fonts and theme colours gone, fonts named, Chinese as
    the East Asian language, no rule under the title, spacing 0 and the 28 pt pitch on every paragraph
    style (a table's cells and a picture's paragraph set their own)."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = doc.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in _THEME_ATTRS:
            fonts.attrib.pop(qn(f"w:{attr}"), None)
    for colour in list(styles.iter(qn("w:color"))):
        colour.getparent().remove(colour)
    for border in list(styles.iter(qn("w:pBdr"))):  # Title's blue bottom rule
        border.getparent().remove(border)
    for ctx in list(styles.iter(qn("w:contextualSpacing"))):
        ctx.getparent().remove(ctx)
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _rfonts(rpr, FONTS["Normal"][0])
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    _spacing(defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")))
    for style in doc.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH:
            _spacing(style.element.get_or_add_pPr())
    for style, (font, size) in FONTS.items():
        _name_font(doc.styles[style], font, size)
    for name in ("Heading 1", "Heading 2", "Heading 3"):  # "一、" and "（一）" start two characters in
        doc.styles[name].paragraph_format.first_line_indent = _pt(2 * BODY_PT)
    settings = doc.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")


def _pt(v: float):
    from docx.shared import Pt

    return Pt(v)


def _drop_template_parts(doc) -> None:
    """The template's thumbnail (a picture of another document) and its Word 2010 style copy (which
    would carry the theme fonts back) are not written."""
    for rels in (doc.part.package.rels, doc.part.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in ("thumbnail", "stylesWithEffects"):
                rels.pop(rid)


APP_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           '<TotalTime>0</TotalTime><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>'
           '<Company>{company}</Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>'
           '<HyperlinksChanged>false</HyperlinksChanged></Properties>')


def set_properties(doc, author: str = "", title: str = "") -> None:
    """Document properties as Word's 文件 → 属性 shows them: the issuing organ as author and company,
    the title, created and modified now; nothing of the library that wrote the file."""
    from xml.sax.saxutils import escape

    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    core = doc.core_properties
    core.author = core.last_modified_by = author
    core.title = title
    core.comments = core.subject = core.keywords = core.category = ""
    core.created = core.modified = now
    core.revision = 1
    app = doc.part.package.part_related_by(RT.EXTENDED_PROPERTIES)
    app._blob = APP_XML.format(company=escape(author)).encode("utf-8")


def new_document(author: str = "", title: str = ""):
    """An A4 document with the GB/T 9704 type area, the official fonts named on its styles, every
    paragraph on the 28 pt pitch, odd/even page numbers, and the issuing organ as its author.

    The template is built once per process and copied for each document (a district's 132 letters
    would otherwise rebuild it 132 times)."""
    from docx import Document

    doc = Document(io.BytesIO(_template()))
    set_properties(doc, author, title)
    return doc


@cache
def _template() -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = Document()
    _drop_template_parts(doc)
    s = doc.sections[0]
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.left_margin, s.right_margin, s.bottom_margin = Mm(37), Mm(28), Mm(26), Mm(35)
    s.header_distance, s.footer_distance = Mm(15), Mm(21)  # the number's line starts ≈ 7 mm below the type area
    grid = s._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        s._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PT * 20))
    _clean_styles(doc)
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_numbers(doc, s)
    set_properties(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_numbers(doc, section) -> None:
    """"— N —" in 4号 宋体 below the type area (GB/T 9704 §7.5): on odd pages at the right, on even pages
    at the left, each one character in from the edge of the type area — a PAGE field between two dashes."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc.settings.odd_and_even_pages_header_footer = True
    font, size = PAGE_NUMBER
    for footer, right in ((section.footer, True), (section.even_page_footer, False)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
        pf = p.paragraph_format
        if right:
            pf.right_indent = Pt(size)
        else:
            pf.left_indent = Pt(size)
        _spacing(p._p.get_or_add_pPr(), None)
        for part in ("— ", None, " —"):
            run = p.add_run(part or "")
            run.font.size = Pt(size)
            _rfonts(run._r.get_or_add_rPr(), font)
            if part is not None:
                continue
            for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
                if kind:
                    el = OxmlElement("w:fldChar")
                    el.set(qn("w:fldCharType"), kind)
                else:
                    el = OxmlElement("w:instrText")
                    el.set(qn("xml:space"), "preserve")
                    el.text = text
                run._r.append(el)


def blank_line(doc) -> None:
    """An empty line on the 28 pt pitch: how a 公文 makes vertical space (no paragraph spacing)."""
    doc.add_paragraph(style=doc.styles["Normal"])


def body(doc, text: str = "", indent: bool = True):
    """A body paragraph in 仿宋 3号, its first line two characters in."""
    p = doc.add_paragraph(text, style=doc.styles["Normal"])
    if indent:
        p.paragraph_format.first_line_indent = _pt(2 * BODY_PT)
    return p


def signature(doc, issuer: str, date: str, gap: int = 2) -> None:
    """落款 and 成文日期 after ``gap`` empty lines, right-aligned four characters in from the type area
    (右空四字), the date under the issuing organ."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for _ in range(gap):
        blank_line(doc)
    for text in (issuer, date):
        p = doc.add_paragraph(text, style=doc.styles["Normal"])
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = _pt(4 * BODY_PT)


_NARROW = {**dict.fromkeys("0123456789", 0.56), ",": 0.35, ".": 0.35, "%": 0.93, " ": 0.3}


def text_em(text: str) -> float:
    """The width of ``text`` in em of its font: a CJK character (or full-width sign) is one em, a digit
    0.56, "%" 0.93, "," and "." 0.35, other Latin text 0.62 — Noto Serif SC's advances rounded up, so the
    estimate also covers 宋体/仿宋 in Word, whose digits are half an em."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else _NARROW.get(c, 0.62) for c in text)


TABLE_SIZES = (TABLE_PT, 9.0)  # 五号, then 小五 for a table whose columns do not fit whole at 五号


def fit_table(rows: list[list[str]], pad_pt: float, available_mm: float = TYPE_AREA_MM,
              sizes: tuple[float, ...] = TABLE_SIZES) -> tuple[float, list[float], list[bool]]:
    """(font size, column widths in em, which columns keep their text on one line) for a table.

    五号 if every column fits whole; else 小五 if that makes every column fit whole; else 小五 with only
    the widest columns wrapping (:func:`column_widths`), which breaks the fewest cells."""
    for size in sizes:
        widths, keep = column_widths(rows, available_mm / 25.4 * 72 / size, pad_pt / size)
        if all(keep):
            break
    return size, widths, keep


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in "WF"


def column_widths(rows: list[list[str]], available_em: float, pad_em: float,
                  head_rows: int = 1) -> tuple[list[float], list[bool]]:
    """Column widths (em, without padding) sized by content, and whether each column keeps its text on
    one line.

    Every column gets what its longest cell needs if the table fits the type area; otherwise the
    narrowest columns are served first (max-min fair share), so a label that fits whole — a number, a
    category name, "1个指标无法复算" — is never broken to make room for a long project name; only the
    widest columns wrap, over the width left. A column that cannot wrap — figures only, under a head
    that breaks only at its own line breaks — always gets its full width."""
    n = max((len(r) for r in rows), default=0)
    natural = [0.0] * n
    for r in rows:
        for j, cell in enumerate(r):
            natural[j] = max(natural[j], max((text_em(line) for line in str(cell).split("\n")), default=0.0))
    natural = [max(w, 1.0) for w in natural]
    if sum(natural) + pad_em * n <= available_em:
        return natural, [True] * n
    text = [any(any(map(_wide, str(r[j]))) for r in rows[head_rows:] if j < len(r)) for j in range(n)]
    widths, keep = list(natural), [True] * n
    left = available_em - pad_em * n - sum(w for w, t in zip(natural, text, strict=True) if not t)
    order = sorted((j for j in range(n) if text[j]), key=lambda j: natural[j])
    for k, j in enumerate(order):
        share = left / (len(order) - k)
        if natural[j] > share:
            widths[j], keep[j] = max(share, 4.0), False
        left -= widths[j]
    return widths, keep


def _text(node: Tag) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


RUNIN_FONT = "楷体_GB2312"  # a level-2 heading run into its paragraph keeps its heading's face


def _paragraph(doc, node: Tag) -> None:
    """A paragraph with its kind kept: a caption or note (Caption style), 落款 and date (right, four
    characters in, two empty lines above), an attachment line (one empty line above), or body text
    indented two characters; a run-in heading (``span.runin``) is set in 楷体."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    classes = node.get("class") or []
    caption = "figure-caption" in classes
    if "signature" in classes and "first" in classes:
        blank_line(doc)
        blank_line(doc)
    elif "attachment" in classes and "more" not in classes:
        blank_line(doc)
    p = doc.add_paragraph(style=doc.styles["Caption" if caption else "Normal"])
    if "note" in classes:
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        p.paragraph_format.keep_together = True
    elif caption:  # a table's or chart's caption stays on the page of what it names
        p.paragraph_format.keep_with_next = True
    if "signature" in classes:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = _pt(4 * BODY_PT)
    elif "attachment" in classes:
        p.paragraph_format.first_line_indent = _pt(2 * BODY_PT)
        if "more" in classes:
            p.paragraph_format.left_indent, p.paragraph_format.first_line_indent = _pt(7 * BODY_PT), None
    elif not caption and "noindent" not in classes:
        p.paragraph_format.first_line_indent = _pt(2 * BODY_PT)
    for child in node.children:
        text = str(child) if isinstance(child, NavigableString) else child.get_text()
        if not text:
            continue
        run = p.add_run(re.sub(r"\s+", " ", text) if isinstance(child, Tag) else text.replace("\n", ""))
        if isinstance(child, Tag) and "runin" in (child.get("class") or []):
            run.font.name = RUNIN_FONT
            _rfonts(run._r.get_or_add_rPr(), RUNIN_FONT)


def add_table(doc, rows: list[list[str]], head_rows: int = 1, right: list[list[bool]] | None = None,
              size: float | None = None, available_mm: float = TYPE_AREA_MM):
    """A Word table sized by content (:func:`fit_table`; fixed layout so Word keeps the widths), its
    head row(s) centred and repeated on every page the table runs over, numbers right-aligned, cell text
    single-spaced (a 28 pt pitch would make a table of 五号 text twice as tall). ``size``: the font size
    (pt); by default 五号, or 小五 where only that lets every column keep its text on one line."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    width = max((len(r) for r in rows), default=0)
    if not width:
        return None
    pad = 2 * TABLE_CELL_MARGIN_PT
    fitted, widths, _ = fit_table(rows, pad, available_mm, (size,) if size else TABLE_SIZES)
    size = size or fitted
    table = doc.add_table(rows=0, cols=width, style=doc.styles["Table Grid"])
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(int(TABLE_CELL_MARGIN_PT * 20)))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    # CT_TblPr keeps its children in schema order (Word calls a file with them out of order damaged)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    twips = [Pt(w * size + pad) for w in widths]
    for col, w in zip(table.columns, twips, strict=True):
        col.width = w
    for i, r in enumerate(rows):
        out = table.add_row().cells
        for j, (cell, text) in enumerate(zip(out, r, strict=False)):
            cell.width = twips[j]
            para = cell.paragraphs[0]
            _spacing(para._p.get_or_add_pPr(), 240, "auto")
            for k, line in enumerate(str(text).split("\n")):  # a head's own line breaks are kept
                if k:
                    para.runs[-1].add_break()
                para.add_run(line).font.size = Pt(size)
            if i < head_rows:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif right is not None and j < len(right[i]) and right[i][j]:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if i < head_rows:
            _repeat_header(table.rows[i])
    return table


def _table(doc, node: Tag) -> None:
    rows = node.find_all("tr")
    if not rows:
        return
    caption = node.find("caption")
    if caption is not None:
        doc.add_paragraph(_text(caption), style=doc.styles["Caption"]).paragraph_format.keep_with_next = True
    cells = [r.find_all(["th", "td"]) for r in rows]
    head = 0
    while head < len(rows) and cells[head] and all(c.name == "th" for c in cells[head]):
        head += 1
    small = "small" in (node.get("class") or [])  # the PDF's choice of 小五 (perfkit.reporting.render.typeset)
    add_table(doc, [[_cell_text(c) for c in r] for r in cells], head,
              [["num" in (c.get("class") or []) for c in r] for r in cells], TABLE_SIZES[1] if small else TABLE_PT)


def _cell_text(cell: Tag) -> str:
    """A cell's text; a head cell keeps its own line breaks (it breaks only there, as in the PDF)."""
    if cell.name != "th":
        return _text(cell)
    return "\n".join(x for x in (re.sub(r"\s+", " ", t).strip() for t in cell.get_text().split("\n")) if x)


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
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(p._p.get_or_add_pPr(), 240, "auto")  # an exact pitch would cut the picture to one line
    p.paragraph_format.first_line_indent = None


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
            if child.name == "h1":  # GB/T 9704: one empty line between the title and the text
                blank_line(doc)
        elif child.name == "p":
            _paragraph(doc, child)
        elif child.name == "table":
            _table(doc, child)
        elif child.name == "img":
            _picture(doc, child)
        elif child.name in ("ul", "ol"):
            for i, li in enumerate(child.find_all("li", recursive=False), start=1):
                p = doc.add_paragraph(f"{i}. {_text(li)}" if child.name == "ol" else _text(li))
                p.paragraph_format.first_line_indent = _pt(2 * BODY_PT)
        elif child.name in ("style", "script") or "meta" in classes or "output_stderr" in classes \
                or "output_error" in classes:
            continue
        else:
            _walk(doc, child)


def html_to_docx(html: str, path: Path, author: str | None = None) -> Path:
    """The report's HTML (as exported for the PDF) written as a .docx with the same text and figures.

    ``author``: the issuing organ for the document's properties; without it, the report's own 落款
    (its first ``p.signature``), if it has one."""
    soup = BeautifulSoup(html, "lxml")
    if author is None:
        sign = soup.find("p", class_="signature")
        author = _text(sign) if sign is not None else ""
    title = soup.find("title")
    doc = new_document(author, _text(title) if title is not None else "")
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


_PLACE_END = "区县市旗州盟）)"  # where the name of a place ends: "高新区（新市区）", "天山区"


def common_prefix(names: list[str], share: float = 0.5) -> str:
    """The place name most of ``names`` begin with ("高新区（新市区）第一小学" → "高新区（新市区）"), or "".

    Derived from the names themselves, never from a list of districts: a candidate is a beginning that
    ends where a place name ends (区, 县, 市, 旗, a closing bracket) with its brackets balanced, at least
    three characters long and leaving a name of two or more. The candidate the most names carry wins
    (the longer on a tie), if more than ``share`` of the names carry it."""
    counts: dict[str, int] = {}
    names = [str(n) for n in names if str(n)]
    for name in set(names):
        depth = 0
        for i, ch in enumerate(name[:24]):
            depth += ch in "（("
            depth -= ch in "）)"
            if ch.isdigit():  # "2022年…" begins a project's name, not a place
                break
            if ch in _PLACE_END and depth == 0 and i >= 2 and len(name) - i - 1 >= 2:
                counts[name[:i + 1]] = counts.get(name[:i + 1], 0)
    if not counts:
        return ""
    for name in names:
        for prefix in counts:
            if name.startswith(prefix):
                counts[prefix] += 1
    best = max(counts, key=lambda p: (counts[p], len(p)))
    return best if counts[best] >= 2 and counts[best] > share * len(names) else ""
