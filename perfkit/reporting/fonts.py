"""Chinese text with no system font: Noto Sans SC (SIL OFL), installed by pip (pylopdf-fonts-zh-cn).

A fresh machine has no CJK font, so charts would show empty boxes and the PDF tofu (TECH_NOTES.md).
This module registers the pip-installed font for matplotlib/seaborn and writes the ``@font-face`` rules
for HTML (a subset inlined as a data: URI, so the page opens offline) and for WeasyPrint (the file).
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

FAMILY = "Noto Sans SC"  # 黑体-like: charts, the explorer, level-1 headings of the reports
SERIF = "Noto Serif SC"  # 宋体-like: the reports' title and body (REPORT_STYLE.md; no open 仿宋 ships on pip)


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
