"""Chinese text with no system font: Noto Sans SC (SIL OFL), installed by pip (pylopdf-fonts-zh-cn).

A fresh machine has no CJK font, so charts would show empty boxes and the PDF tofu.
This module registers the pip-installed font for matplotlib/seaborn and writes the ``@font-face`` rules
for HTML (a subset inlined as a data: URI, so the page opens offline) and for WeasyPrint (the file).
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

FAMILY = "Noto Sans SC"  # 黑体-like: charts, the explorer, level-1 headings of the reports
SERIF = "Noto Serif SC"  # 宋体-like: the reports' title and body (no open 仿宋 ships on pip)


def font_path(family: str = FAMILY) -> Path:
    """The OpenType file of Noto Sans SC or Noto Serif SC Regular shipped by the pip package."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.serif_path() if family == SERIF else pylopdf_fonts_zh_cn.sans_path())


@cache
def use_cjk_font() -> str:
    """Register the font with matplotlib and make it the default sans-serif; returns the family name.

    seaborn.set_theme() resets fonts, so :func:`set_theme` below is the way notebooks should style charts.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [FAMILY, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    return FAMILY


def set_theme() -> None:
    """seaborn's theme with the CJK font kept (seaborn would otherwise reset it)."""
    import seaborn as sns

    use_cjk_font()
    sns.set_theme(style="whitegrid", font=FAMILY, rc={"axes.unicode_minus": False,
                                                       "font.sans-serif": [FAMILY, "DejaVu Sans"]})


def subset_font(text: str, family: str = FAMILY) -> bytes:
    """The font cut down to the characters of ``text`` (plus ASCII and CJK punctuation): ~100 KB instead
    of 8 MB. Plain OpenType, not WOFF2: WeasyPrint embeds a WOFF2 font without a usable ToUnicode map,
    so the PDF's text would not extract or search.

    HarfBuzz's subsetter (uharfbuzz wheel) takes ~10 ms where fontTools took 0.4–0.9 s on this CFF font,
    a cost every exported notebook paid.
    """
    import uharfbuzz as hb

    chars = set(text) | {chr(c) for c in range(0x20, 0x7F)} | set(EXTRA_CHARS)
    plan = hb.SubsetInput()
    for code in sorted(map(ord, chars)):
        plan.unicode_set.add(code)
    return bytes(hb.subset(_font_face(family), plan).blob.data)


EXTRA_CHARS = "，。、；：？！“”‘’（）《》【】—…·％"


@cache
def _font_face(family: str = FAMILY) -> object:
    """The font as a uharfbuzz Face, read once per process."""
    import uharfbuzz as hb

    return hb.Face(hb.Blob.from_file_path(str(font_path(family))))


def font_face_css(text: str, families: tuple[str, ...] = (FAMILY,)) -> str:
    """``@font-face`` for the CJK fonts: a subset for ``text`` inlined as a data: URI, so the page opens
    offline and WeasyPrint embeds only what is used."""
    rules = []
    for family in families:
        data = base64.b64encode(subset_font(text, family)).decode("ascii")
        src = f"url(data:font/otf;base64,{data}) format('opentype')"
        # no font-weight range here: with one, WeasyPrint embeds the face with a "Custom" encoding whose
        # text some PDF readers cannot extract
        rules.append(f"@font-face {{ font-family: '{family}'; src: {src}; }}")
    return "\n".join(rules)


BOLD_SERIF = "Noto Serif SC Bold"  # synthetic: run-in "（一）" headings (no open 楷体 and no bold face ships on pip)
EMBOLDEN = 0.035  # of an em, horizontally and vertically: strokes visibly heavier, advances unchanged


def bold_font(text: str, family: str = SERIF) -> bytes:
    """A bold face for the characters of ``text``, drawn from the regular one (TrueType, a few KB).

    GB/T 9704 sets "（一）" headings in 楷体; no open 楷体 ships on pip, and in the body's own serif a
    run-in heading ("（一）压实工作责任。通过…") could not be told from its paragraph. WeasyPrint never
    fakes bold, so HarfBuzz's synthetic emboldening draws each glyph heavier (in place: the line keeps
    its 28-character grid), and fontTools writes those outlines as a small font of their own."""
    import io

    import uharfbuzz as hb
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    face = _font_face(family)
    font = hb.Font(face)
    font.synthetic_bold = (EMBOLDEN, EMBOLDEN, True)
    order, cmap, glyphs, metrics = [".notdef"], {}, {".notdef": TTGlyphPen(None).glyph()}, {".notdef": (face.upem, 0)}
    for ch in sorted(set(text) | {" "}):
        gid = font.get_nominal_glyph(ord(ch))
        if gid is None:
            continue
        name = f"g{gid}"
        if name not in glyphs:
            pen = TTGlyphPen(None)
            font.draw_glyph_with_pen(gid, Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyph = pen.glyph()
            glyph.recalcBounds(None)
            glyphs[name] = glyph
            order.append(name)
            metrics[name] = (font.get_glyph_h_advance(gid), getattr(glyph, "xMin", 0))
        cmap[ord(ch)] = name
    ext = font.get_font_extents("ltr")
    fb = FontBuilder(face.upem, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=ext.ascender, descent=ext.descender)
    fb.setupNameTable({"familyName": BOLD_SERIF, "styleName": "Regular", "psName": BOLD_SERIF.replace(" ", "")})
    fb.setupOS2(sTypoAscender=ext.ascender, sTypoDescender=ext.descender, usWinAscent=ext.ascender,
                usWinDescent=-ext.descender, usWeightClass=700)
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


def bold_face_css(text: str) -> str:
    """``@font-face`` for :data:`BOLD_SERIF` holding the characters of ``text`` (run-in headings)."""
    data = base64.b64encode(bold_font(text)).decode("ascii")
    return f"@font-face {{ font-family: '{BOLD_SERIF}'; src: url(data:font/ttf;base64,{data}) format('truetype'); }}"
