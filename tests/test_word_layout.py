"""Word files and PDFs typeset as 公文 (GB/T 9704-2012), read from the files themselves: the Word XML
(styles, footers, settings, properties, table widths) and the PDF's text and positions (issue 25 §3–4)."""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from perfkit.reporting import word as W
from perfkit.reporting.pdf import to_pdf
from perfkit.reporting.render import page, typeset

NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
ISSUER = "某某区财政局"
LONG_LABELS = ["专项转移支付项目支出", "1个指标无法复算", "2个指标无法复算"]


def _xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def _w(attr: str) -> str:
    return f"{{{NS['w']}}}{attr}"


def _table(head: list[str], rows: list[list[str]], caption: str) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if re.fullmatch(r"[\d,.%]+", c) else
                                    f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<div class="tablebox"><p class="noindent figure-caption">{caption}</p>'
            f'<table class="dataframe"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></div>')


PLACE = "某某区（某某新区）"  # a place name of no real district: the prefix is found in the data


def _body() -> str:
    """A report body with the tables that broke words: categories beside six figure columns, a listing of
    projects with their unit and the reason they could not be recomputed, a ranking of units."""
    cats = ["部门整体支出", "部门项目支出", "专项转移支付项目支出", "乡村振兴资金支出", "合计"]
    t1 = _table(["支出类别", "项目数", "全年预算", "全年执行数", "预警项目", "预警金额", "红灯项目", "未报送", "预警率"],
                [[c, "1425", "235,491.32", "226,019.39", "241", "40,222.40", "273", "28", "16.9%"] for c in cats],
                "表1 1-5月预警项目按支出类别（金额单位：万元）")
    t2 = _table(["项目", "单位", "可复算分值", "待核实原因"],
                [[f"2022年第{i}中学校园安全保卫服务及设备维护更新项目（二期）", f"{PLACE}七道湾安宁渠镇第{i}农业服务中心", "10.00",
                  f"{1 + i % 2}个指标无法复算"] for i in range(1, 40)], "表2 待核实项目")
    units = [f"{PLACE}{n}" for n in ("天津北路科技创新服务中心", "迎宾路园林绿化管理站", "第一小学",
                                     "长春中路街道养老服务中心")] + ["公安分局", "科学技术局"]
    t3 = _table(["名次", "单位", "项目数", "复核均分", "不合格率", "执行率", "预警率", "问题数", "综合得分"],
                [[str(i), u, "15", "98.21", "0.0%", "97.5%", "6.7%", "6", "96.77"] for i, u in enumerate(units, 1)],
                "表3 单位综合评定排名")
    text = "<p>" + "根据文件精神，认真贯彻落实预算绩效管理工作要求。" * 12 + "</p>"
    return ("<h1>某某区2022年<br>预算绩效管理工作情况报告</h1>"
            f"{text}<h2>一、明确工作要求</h2>"
            '<p><span class="runin">（一）压实工作责任。</span>通过区委有关会议，要求各单位认真落实。</p>'
            f"{t1}{text}{t2}{text}{t3}"
            '<p class="attachment">附件：技术附件（口径说明）</p>'
            f'<p class="signature first">{ISSUER}</p><p class="signature">2023年1月8日</p>')


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("layout")
    doc = page(typeset(_body()), "某某区2022年预算绩效管理工作情况报告")
    pdf = to_pdf(doc, folder / "report.pdf", folder)
    docx = W.html_to_docx(doc, folder / "report.docx")
    return pdf, docx, doc


def test_styles_name_their_fonts_without_theme_fonts_rules_or_colour(rendered) -> None:
    _, docx, _ = rendered
    styles = _xml(docx, "word/styles.xml")
    assert not [a for el in styles.iter(_w("rFonts")) for a in el.attrib if "Theme" in a or "theme" in a]
    expected = {"Title": "方正小标宋简体", "Heading1": "黑体", "Heading2": "楷体_GB2312", "Normal": "仿宋_GB2312"}
    for sid, font in expected.items():
        style = styles.find(f".//w:style[@w:styleId='{sid}']", NS)
        fonts = style.find("w:rPr/w:rFonts", NS)
        assert {fonts.get(_w(a)) for a in ("ascii", "hAnsi", "eastAsia")} == {font}, sid
        assert style.find(".//w:color", NS) is None and style.find(".//w:pBdr", NS) is None, sid
    defaults = styles.find("w:docDefaults", NS)
    assert defaults.find(".//w:lang", NS).get(_w("eastAsia")) == "zh-CN"
    assert defaults.find(".//w:rFonts", NS).get(_w("eastAsia")) == "仿宋_GB2312"
    with zipfile.ZipFile(docx) as z:  # no second copy of the styles that would bring the theme fonts back
        assert "word/stylesWithEffects.xml" not in z.namelist()
    title = styles.find(".//w:style[@w:styleId='Title']", NS)
    assert title.find(".//w:sz", NS).get(_w("val")) == "44"  # 2号


def _spacing_of(p: etree._Element, styles: etree._Element) -> dict[str, str]:
    """The spacing a paragraph resolves to: its own, else its style's (and the styles it is based on)."""
    out: dict[str, str] = {}
    own = p.find("w:pPr/w:spacing", NS)
    chain = [own] if own is not None else []
    sid = p.find("w:pPr/w:pStyle", NS)
    sid = sid.get(_w("val")) if sid is not None else "Normal"
    while sid:
        style = styles.find(f".//w:style[@w:styleId='{sid}']", NS)
        chain.append(style.find("w:pPr/w:spacing", NS))
        based = style.find("w:basedOn", NS)
        sid = based.get(_w("val")) if based is not None else None
    chain.append(styles.find("w:docDefaults/w:pPrDefault/w:pPr/w:spacing", NS))
    for el in chain:
        for k, v in (el.attrib.items() if el is not None else []):
            out.setdefault(etree.QName(k).localname, v)
    return out


def test_every_paragraph_is_on_the_28pt_pitch_with_no_space_before_or_after(rendered) -> None:
    _, docx, _ = rendered
    styles, doc = _xml(docx, "word/styles.xml"), _xml(docx, "word/document.xml")
    body = doc.find("w:body", NS)
    paragraphs = [p for p in body.findall("w:p", NS)]
    assert len(paragraphs) > 8
    for p in paragraphs:
        s = _spacing_of(p, styles)
        assert s.get("before", "0") == "0" and s.get("after", "0") == "0", etree.tostring(p, encoding=str)[:200]
        if p.find(".//w:drawing", NS) is None:  # a picture's own line is as tall as the picture
            assert (s.get("line"), s.get("lineRule")) == ("560", "exact"), etree.tostring(p, encoding=str)[:200]
    grid = doc.find(".//w:sectPr/w:docGrid", NS)
    assert grid.get(_w("linePitch")) == "560"
    # vertical space is an empty line: one after the title, two before the 落款, which sits four
    # characters (4 × 16 pt = 1280 twips) in from the right, the date under it
    texts = ["".join(t.text or "" for t in p.iter(_w("t"))) for p in paragraphs]
    assert texts[1] == "" and texts[0].startswith("某某区2022年")
    i = texts.index(ISSUER)
    assert texts[i - 2:i] == ["", ""] and texts[i + 1] == "2023年1月8日"
    for p in paragraphs[i:i + 2]:
        assert p.find("w:pPr/w:jc", NS).get(_w("val")) == "right"
        assert p.find("w:pPr/w:ind", NS).get(_w("right")) == "1280"


def test_page_numbers_are_4hao_songti_right_on_odd_and_left_on_even_pages(rendered) -> None:
    _, docx, _ = rendered
    settings = _xml(docx, "word/settings.xml")
    assert settings.find("w:evenAndOddHeaders", NS) is not None
    doc = _xml(docx, "word/document.xml")
    refs = {r.get(_w("type")): r.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            for r in doc.iter(_w("footerReference"))}
    assert set(refs) == {"default", "even"}
    with zipfile.ZipFile(docx) as z:
        rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
        target = {r.get("Id"): r.get("Target") for r in rels}
        footers = {kind: etree.fromstring(z.read("word/" + target[rid])) for kind, rid in refs.items()}
    for kind, side in (("default", "right"), ("even", "left")):  # Word's "default" footer is the odd pages'
        f = footers[kind]
        assert f.find(".//w:jc", NS).get(_w("val")) == side
        assert f.find(".//w:ind", NS).get(_w(side)) == "280"  # one 4号 character in: 14 pt
        assert "".join(t.text for t in f.iter(_w("t"))).replace(" ", "") == "——"
        assert "PAGE" in "".join(t.text for t in f.iter(_w("instrText")))
        for r in f.iter(_w("r")):
            assert r.find("w:rPr/w:sz", NS).get(_w("val")) == "28"
            assert r.find("w:rPr/w:rFonts", NS).get(_w("eastAsia")) == "宋体"


def test_document_properties_name_the_issuing_organ_and_today_and_no_library(rendered) -> None:
    _, docx, _ = rendered
    core = _xml(docx, "docProps/core.xml")
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
          "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
    assert core.find("dc:creator", ns).text == ISSUER and core.find("cp:lastModifiedBy", ns).text == ISSUER
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for tag in ("dcterms:created", "dcterms:modified"):
        when = dt.datetime.fromisoformat(core.find(tag, ns).text.rstrip("Z"))
        assert abs((now - when).total_seconds()) < 3600
    assert core.find("dc:title", ns).text == "某某区2022年预算绩效管理工作情况报告"
    with zipfile.ZipFile(docx) as z:
        names = z.namelist()
        everything = b"".join(z.read(n) for n in names)
        assert ISSUER in z.read("docProps/app.xml").decode("utf-8")
    assert b"python-docx" not in everything.lower() and b"Macintosh" not in everything
    assert not [n for n in names if "thumbnail" in n]


def _pdf_lines(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", "", line) for p in PdfReader(pdf).pages for line in p.extract_text().splitlines()]


def test_pdf_tables_break_no_label_and_drop_the_common_place_name(rendered) -> None:
    pdf, _, doc = rendered
    lines = _pdf_lines(pdf)
    for label in LONG_LABELS:  # each label whole on one line of the page, never "…项目支 / 出"
        assert any(label in line for line in lines), label
        assert not [line for line in lines if re.search(f"{re.escape(label[:-1])}$", line)], label
    # unit names lose the place name most of them carry, and a note under each such table says so
    assert PLACE not in "".join(re.findall(r"<td>[^<]*</td>", doc))
    assert doc.count(f"注：表中单位名称略去“{PLACE}”字样。") == 2
    assert "<td class=\"keep\">公安分局</td>" in doc  # a name without it is left as it is
    text = "".join(lines)
    assert "天津北路科技创新服务中心" in text and "长春中路街道养老服务中心" in lines[[i for i, x in enumerate(lines)
                                                                               if "长春中路" in x][0]]


def test_word_table_columns_are_as_wide_as_their_longest_label(rendered) -> None:
    _, docx, _ = rendered
    doc = _xml(docx, "word/document.xml")
    for tbl in doc.iter(_w("tbl")):
        assert tbl.find("w:tblPr/w:tblLayout", NS).get(_w("type")) == "fixed"
        grid = [int(c.get(_w("w"))) for c in tbl.find("w:tblGrid", NS)]
        assert sum(grid) <= W.TYPE_AREA_MM / 25.4 * 1440 + 20  # the table fits the type area
        rows = tbl.findall("w:tr", NS)
        assert rows[0].find("w:trPr/w:tblHeader", NS) is not None  # the head repeats on every page
        for tr in rows:
            for j, tc in enumerate(tr.findall("w:tc", NS)):
                text = "".join(t.text or "" for t in tc.iter(_w("t")))
                size = int(tc.find(".//w:sz", NS).get(_w("val"))) / 2 if tc.find(".//w:sz", NS) is not None else 10.5
                if text in LONG_LABELS or text in ("名次", "综合得分", "待核实原因"):
                    assert grid[j] >= (W.text_em(text) * size + 2 * W.TABLE_CELL_MARGIN_PT) * 20 - 1, text


def test_pdf_page_numbers_alternate_sides_and_the_month_range_takes_a_dash(rendered) -> None:
    pdf, _, doc = rendered
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 3
    for number, p in enumerate(reader.pages[:3], start=1):
        spots: list[float] = []
        p.extract_text(visitor_text=lambda t, cm, tm, font, size, spots=spots, n=number: spots.append(
            tm[4] * cm[0] + cm[4]) if re.fullmatch(rf"—\s*{n}\s*—", t.strip()) else None)
        assert spots, number
        x = max(spots) if number % 2 else min(spots)
        width = float(p.mediabox.width)
        assert (x > width * 0.7) if number % 2 else (x < width * 0.3), (number, x)
    assert "1—5月" in doc and "1-5月" not in doc


def test_common_prefix_is_found_in_the_names_not_in_a_list() -> None:
    assert W.common_prefix(["天山区第一小学", "天山区教育局", "公安分局"]) == "天山区"
    assert W.common_prefix([f"{PLACE}第一小学", f"{PLACE}文化馆", "教育局"]) == PLACE
    assert W.common_prefix(["公安分局", "教育局", "天山区第一小学"]) == ""  # one name in three: kept
    assert W.common_prefix(["2022年市场所经费", "2022年市场监管经费"]) == ""  # a project's year is no place


def test_letters_helpers_typeset_a_long_table_with_its_head_repeated(tmp_path: Path) -> None:
    doc = W.new_document(ISSUER, "通知")
    W.body(doc, "正文。")
    W.add_table(doc, [["项目名称", "复核分"]] + [[f"项目{i}", "90.00"] for i in range(60)])
    W.signature(doc, ISSUER, "2023年1月8日")
    path = tmp_path / "letter.docx"
    doc.save(str(path))
    xml = _xml(path, "word/document.xml")
    rows = list(xml.iter(_w("tr")))
    assert rows[0].find("w:trPr/w:tblHeader", NS) is not None and rows[1].find("w:trPr/w:tblHeader", NS) is None
    first = xml.find("w:body/w:p", NS)
    assert first.find("w:pPr/w:ind", NS).get(_w("firstLine")) == "640"  # two characters of 3号


def test_run_in_headings_are_set_in_a_bold_serif_that_still_extracts(rendered) -> None:
    pdf, _, doc = rendered
    reader = PdfReader(pdf)
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()}
    assert [f for f in fonts if "Serif-SC-Bold" in f or "SerifSCBold" in f], fonts
    assert "（一）压实工作责任。通过区委有关会议" in "".join(_pdf_lines(pdf))
    assert "font-family: 'Noto Serif SC Bold'" in doc
    plain = page("<p>正文，没有小标题。</p>", "无小标题")  # no run-in heading, no bold font inlined
    assert "font-family: 'Noto Serif SC Bold'; src" not in plain
