"""The main job: both notebooks executed by papermill on the demo data, exported to offline HTML and an
A4 PDF in Chinese (issues: foundation §4, main job §4)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from perfkit.cli import main
from perfkit.io.load import load
from perfkit.reporting import annual as R
from perfkit.reporting.display import DATA, render_sentence

HEADINGS = ["一、明确工作要求", "二、强化工作监管", "三、强化审核分析", "四、取得的成效", "五、存在的问题", "六、下一步工作计划"]


@dataclass(frozen=True)
class District:
    """One demo district the report tests run on (issue 23: both demo districts pass the report tests)."""

    key: str
    data: Path  # its workbook
    year: int
    month: int
    workspace: Path | None = None


@pytest.fixture(scope="module", params=["gaoxin", "qingxi"])
def district(request, tmp_path_factory) -> District:
    """高新区 (the seed's district, 2022, as of May, from the session's demo) and 青溪区 (another province's
    documents, 2023, as of September, another number of units), as a workspace its settings describe."""
    if request.param == "gaoxin":
        demo_dir = request.getfixturevalue("demo_dir")
        return District("gaoxin", demo_dir / "demo.xlsx", 2022, 5)
    from perfkit.demo import QINGXI, generate_district, write_workspace

    ws = tmp_path_factory.mktemp("qingxi")
    write_workspace(QINGXI, generate_district(QINGXI, n_projects=240), ws)
    return District("qingxi", ws / "demo.xlsx", QINGXI.year, QINGXI.month, ws)


@pytest.fixture(scope="module")
def reports(tmp_path_factory, district: District) -> Path:
    out = tmp_path_factory.mktemp("reports") / str(district.year)
    args = (["--workspace", str(district.workspace)] if district.workspace else
            ["--data", str(district.data), "--year", str(district.year), "--month", str(district.month)])
    assert main(["report", *args, "--out", str(out)]) == 0
    return out


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_report_writes_both_reports_and_the_excel_proposal(reports: Path, district: District) -> None:
    names = {p.name for p in reports.iterdir()}
    assert {f"{stem}.{ext}" for stem in ("annual_report", "budget_allocation", "technical_annex")
            for ext in ("html", "pdf", "docx")} | {_proposal_name(district)} <= names
    letters = reports / "单位反馈通知"  # every unit's letter and list, from the same analysis as the report
    units = load(district.data).table("units")
    assert len(list(letters.glob("*_绩效评价结果反馈*通知.docx"))) == len(list(letters.glob("*_绩效评价结果明细.xlsx"))) > len(units) / 2


def _proposal_name(district: District) -> str:
    return f"{district.year + 1}年度预算安排建议_内部资料_不得公开.xlsx"


@pytest.mark.parametrize("stem", ["annual_report", "budget_allocation", "technical_annex"])
def test_word_version_carries_the_same_text_and_figures_as_the_pdf(reports: Path, stem: str) -> None:
    from docx import Document

    from perfkit.reporting.word import FONTS, docx_text

    doc = Document(str(reports / f"{stem}.docx"))
    words = re.sub(r"\s+", "", docx_text(reports / f"{stem}.docx"))
    pdf = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(reports / f"{stem}.pdf").pages))
    pdf = re.sub(r"—\d+—", "", pdf)  # the PDF's page numbers (Word's are a field in the footer)
    figures = re.findall(r"\d[\d,]*\.\d+|\d{2,}", pdf)
    assert figures and not [x for x in set(figures) if x not in words]
    # a table running over a page repeats its header row in the PDF (Word repeats it by a row property):
    # compare with every header row taken out of both
    # (a head cell keeps its own line breaks, as in the PDF: whitespace goes as in the texts compared)
    heads = sorted({re.sub(r"\s+", "", "".join(c.text for c in t.rows[0].cells)) for t in doc.tables}, key=len,
                   reverse=True)

    def bare(text: str) -> str:
        for h in heads:
            text = text.replace(h, "")
        return text
    words_bare = bare(words)
    sentences = [s for s in re.split(r"[。；]", pdf) if len(s) > 12]
    assert [s for s in sentences if bare(s) not in words_bare] == []
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    if stem == "annual_report":
        assert headings[:6] == HEADINGS  # Word's navigation pane shows the report's outline
    assert doc.paragraphs[0].style.name == "Title" and len(doc.tables) >= 3
    assert len(doc.inline_shapes) >= (0 if stem == "technical_annex" else 1)  # the annex has no charts
    assert FONTS["Normal"][0] in doc.styles["Normal"].element.xml


def test_html_is_offline_and_has_no_code(reports: Path) -> None:
    html = (reports / "annual_report.html").read_text(encoding="utf-8")
    bare = re.sub(r"base64,[A-Za-z0-9+/=]+", "", html)  # the inlined font and charts
    assert "<script" not in bare and "cdn" not in bare.lower() and "http" not in bare
    assert "font/otf;base64" in html  # the CJK font travels inside the page
    assert "R.section_" not in html and "import" not in _text(html)
    for heading in HEADINGS:
        assert heading in html


def test_html_figures_equal_the_package_api(reports: Path, annual) -> None:
    rep = annual
    html = _text((reports / "annual_report.html").read_text(encoding="utf-8"))
    f = rep.facts
    m = f["monitoring"]
    assert f"{m['warned']}个项目共计{m['warned_amount']}万元" in html
    for b in f["evaluation"]["below"]:
        assert f"低于{b['threshold']}分项目{b['count']}个，涉及资金{b['amount']}万元" in html
    s = f["spotcheck"]
    assert f"{s['units']}个单位、{s['projects']}个项目，涉及金额共计{s['amount']}万元" in html
    assert _text(render_sentence("red_vs_warned", f["monitoring"])) in html  # the two counts' definitions
    for section in ("coverage", "exante", "targets", "review", "application"):
        assert _text(render_sentence(section, f[section])) in html
    annex = _text((reports / "technical_annex.html").read_text(encoding="utf-8"))
    assert _text(render_sentence("data_sources", f["data"], DATA)) in annex
    assert f["data"]["read"] == f["data"]["loaded"] + f["data"]["quarantined"]
    # money is exact: the warned amount is the sum of the warned projects' budgets in 分
    p = rep.analysis.monitoring.projects
    assert m["warned_fen"] == int(p.loc[p["warning"], "budget"].sum())


def test_pdf_is_a4_with_the_cjk_font_and_chinese_text(reports: Path) -> None:
    reader = PdfReader(reports / "annual_report.pdf")
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = "".join(p.extract_text() for p in reader.pages)
    for heading in HEADINGS:
        assert heading.replace("、", "、") in text
    assert "— 1 —" in text  # GB/T 9704 page numbers
    fonts = {str(f["/BaseFont"]) for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()
             if "/BaseFont" in f.get_object() for f in [f.get_object()]}
    # the serif face (for 仿宋/小标宋) sets title and body, the sans face (for 黑体) the "一、" headings, and
    # a bold serif made from the regular one the run-in "（一）" headings (no open 楷体 ships)
    assert {"NotoSerifSC", "NotoSansSC", "NotoSerifSCBold,Bold"} == {
        re.sub(r"^[A-Z]+\+|-Regular.*$", "", f.lstrip("/")).replace("-", "") for f in fonts}


@pytest.mark.parametrize("name", ["annual_report", "budget_allocation", "technical_annex"])
def test_pdf_font_covers_every_character_shown(reports: Path, name: str) -> None:
    """A character missing from the inlined font subset is drawn as a box and makes WeasyPrint switch
    the font to a custom encoding (the allocation report's footer line once lost 由 and 根 that way)."""
    reader = PdfReader(reports / f"{name}.pdf")
    fonts = [f.get_object() for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()]
    assert fonts and all(f["/Encoding"] == "/Identity-H" for f in fonts)
    assert re.search(r"— \d+ —", reader.pages[-1].extract_text())  # the page number, in the inlined font too
    drawn, unmapped = _glyphs_without_text(reader)
    assert drawn > 1000 and not unmapped  # every glyph drawn can be copied and searched as text


def _glyphs_without_text(reader: PdfReader) -> tuple[int, set[int]]:
    """Glyphs drawn on the pages that have no entry in their font's ToUnicode map. Such text shows but
    does not extract in most readers (poppler, Acrobat): it happened to digits Pango shapes to alternate
    glyphs when WeasyPrint embedded the font unsubsetted (its map then covers only the font's cmap)."""
    drawn, unmapped = 0, set()
    for page in reader.pages:
        mapped: dict[str, set[int]] = {}
        for name, ref in (page["/Resources"].get("/Font") or {}).items():
            cmap = ref.get_object()["/ToUnicode"].get_object().get_data().decode("latin-1")
            cids: set[int] = set()
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                cids |= {int(a, 16) for a in re.findall(r"<([0-9a-fA-F]+)>\s*<[0-9a-fA-F]*>", block)}
            for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                for a, b in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                    cids |= set(range(int(a, 16), int(b, 16) + 1))
            mapped[name] = cids
        font = None
        for m in re.finditer(r"(/\S+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]+)>", page.get_contents().get_data().decode("latin-1")):
            if m.group(1):
                font = m.group(1)
            elif font in mapped:
                for i in range(0, len(m.group(2)), 4):
                    drawn += 1
                    cid = int(m.group(2)[i:i + 4], 16)
                    if cid not in mapped[font]:
                        unmapped.add(cid)
    return drawn, unmapped


def test_allocation_report_has_scenarios_and_sweep(reports: Path, district: District) -> None:
    html = _text((reports / "budget_allocation.html").read_text(encoding="utf-8"))
    for words in ("情景比较", "预警阈值敏感性", "事前绩效评估关口", "低效无效资金收回"):
        assert words in html
    from openpyxl import load_workbook

    wb = load_workbook(reports / _proposal_name(district))
    ws = wb["按项目"]
    assert ws.freeze_panes == "C3"
    last = ws.max_row - 1  # the 合计 row, under it the note on rounding (tests/test_workbook.py)
    budget = [c.value for c in ws[2]].index("本年预算（万元）") + 1
    assert ws.cell(last, 1).value == "合计" and str(ws.cell(last, budget).value).startswith("=SUM(")


def test_chart_renders_without_missing_glyphs() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perfkit.reporting.fonts import set_theme

    set_theme()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("预算执行率（万元）−")
        ax.bar(["部门整体支出", "乡村振兴资金支出"], [1, 2])
        fig.canvas.draw()
        plt.close(fig)
    assert not [w for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)]


def test_bad_data_path_and_missing_table_are_one_line(tmp_path: Path, capsys, demo) -> None:
    assert main(["report", "--data", str(tmp_path / "nope.xlsx"), "--year", "2022", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "找不到" in err
    from perfkit.io.write import write_tables_folder

    folder = write_tables_folder({"projects": demo.tables["projects"]}, tmp_path / "d")
    assert main(["report", "--data", str(folder), "--year", "2022", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "绩效自评" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_failed_run_keeps_earlier_reports_and_names_the_cell(tmp_path: Path, demo_dir: Path) -> None:
    import json

    from perfkit.reporting.render import ReportError, render_all

    out = tmp_path / "r"
    out.mkdir()
    (out / "annual_report.html").write_text("earlier", encoding="utf-8")  # an earlier run's report
    nb = tmp_path / "broken.ipynb"
    nb.write_text(json.dumps({"cells": [
        {"cell_type": "code", "id": "params", "metadata": {"tags": ["parameters"]}, "source": "x = 1",
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "id": "boom", "metadata": {}, "source": "1 / 0", "outputs": [], "execution_count": None}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    with pytest.raises(ReportError, match=r"^broken\.ipynb 第 3 个代码单元格（1 / 0）出错：ZeroDivisionError"):
        render_all([(nb, "broken", {})], out, lambda s: s, "mof2020", progress=lambda s: None)
    assert (out / "annual_report.html").read_text(encoding="utf-8") == "earlier"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r")] == []


def test_pdf_worker_reports_its_failure_in_one_line(tmp_path: Path) -> None:
    """The PDF is laid out in a worker process; when it fails, the user gets one line naming the file."""
    from perfkit.reporting.render import PdfWorker, ReportError

    worker = PdfWorker()
    worker.make(tmp_path / "不存在.html", tmp_path / "annual_report.pdf", tmp_path)
    with pytest.raises(ReportError, match=r"^annual_report\.pdf 生成失败：.*(No such file|FileNotFoundError)"):
        worker.wait("annual_report")
    assert not (tmp_path / "annual_report.pdf").exists()


def test_kernels_print_nothing_into_the_users_terminal(tmp_path: Path, capfd) -> None:
    """ipykernel warns about unencrypted TCP on every start; report kernels use Unix sockets instead."""
    import json
    import os

    from perfkit.reporting.render import execute

    nb = tmp_path / "n.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1",
                                         "outputs": [], "execution_count": None, "id": "p"}],
                              "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                          "language": "python"}},
                              "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    executed = execute(nb, tmp_path / "out.ipynb", {"x": 2})
    assert any("x = 2" in c.source for c in executed.cells)  # papermill injected the parameter
    captured = capfd.readouterr()
    if os.name != "nt":
        assert "without encryption" not in captured.err and "WARNING" not in captured.err


def test_a_report_notebook_runs_under_the_plain_papermill_cli(tmp_path: Path, demo_dir: Path) -> None:
    """Analysts can run a notebook without perfkit's command: papermill's own CLI, from notebooks/."""
    import subprocess
    import sys

    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    done = subprocess.run([sys.executable, "-m", "papermill", "budget_allocation.ipynb", str(tmp_path / "out.ipynb"),
                           "-p", "data", str(demo_dir / "csv"), "-p", "output_dir", str(tmp_path), "-p", "year", "2022",
                           "--no-progress-bar"], cwd=notebooks, capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "2023年度预算安排建议_内部资料_不得公开.xlsx").exists()
    assert "情景比较" in (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    # … and `perfkit render` exports what it ran as `perfkit report` does: the same page, PDF and Word
    out = tmp_path / "导出"
    assert main(["render", str(tmp_path / "out.ipynb"), "--out", str(out)]) == 0
    html = (out / "out.html").read_text(encoding="utf-8")
    assert "<title>" in html and "预算安排与绩效评价结果挂钩分析" in html.split("</title>")[0]
    assert "font/otf;base64" in html and "<script" not in re.sub(r"base64,[A-Za-z0-9+/=]+", "", html)
    pdf = PdfReader(out / "out.pdf")
    assert (round(float(pdf.pages[0].mediabox.width)), round(float(pdf.pages[0].mediabox.height))) == (595, 842)
    assert "情景比较" in "".join(p.extract_text() for p in pdf.pages)
    from perfkit.reporting.word import docx_text

    assert "情景比较" in docx_text(out / "out.docx")
    # a notebook never run, or one whose run failed, is refused in one sentence
    assert main(["render", str(notebooks / "budget_allocation.ipynb"), "--out", str(out)]) == 2


def _pdf_text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages)


def _keys() -> list[str]:
    from perfkit.rules.rulebook import available_profiles, load_rules

    return sorted({k for name in available_profiles() for k in load_rules(name).parameters})


# what a reader outside the software would not understand (docs/reports.md: the reader's language)
FORBIDDEN = ["perfkit", "design choice", "seed", "DOMAIN", "DATA_CONTRACT", ".csv", ".xlsx", ".md", "规则手册",
             "None", "nan", "True", "False"]


@pytest.mark.parametrize("stem", ["annual_report", "budget_allocation"])
def test_report_body_speaks_the_readers_language(reports: Path, stem: str) -> None:
    """The director's documents, PDF and Word alike: no English word, parameter key, file name, program
    name or version anywhere in body or footer."""
    from perfkit.reporting.word import docx_text

    for text in (_pdf_text(reports / f"{stem}.pdf"), docx_text(reports / f"{stem}.docx")):
        assert re.findall(r"[A-Za-z]{2,}", text) == []
        assert [w for w in FORBIDDEN + _keys() if w in text] == []


def test_technical_annex_is_plain_chinese_with_document_numbers(reports: Path) -> None:
    """The annex explains every rule with its value and 文号 — no parameter keys, no "design choice";
    the only Latin text it may show is the name of the data file it read (provenance for auditors)."""
    from perfkit.reporting.word import docx_text

    for text in (_pdf_text(reports / "technical_annex.pdf"), docx_text(reports / "technical_annex.docx")):
        bare = text.replace("demo.xlsx", "")
        assert re.findall(r"[A-Za-z]{2,}", bare) == []
        assert [w for w in FORBIDDEN[:6] + _keys() if w in bare] == []
        flat = re.sub(r"\s+", "", text)
        # the monitoring lights are platform practice: 财预〔2019〕136号 does not contain their thresholds (issue 24)
        assert "财预〔2020〕10号" in flat and "预算管理一体化平台" in flat and "本局设定" in flat


def test_annex_lists_every_unit_and_the_body_only_the_top(reports: Path, annual) -> None:
    from perfkit.reporting import annex as X

    rep = annual
    ranked = rep.analysis.ranking.dropna(subset=["rank"])
    annex = (reports / "technical_annex.html").read_text(encoding="utf-8")
    body = (reports / "annual_report.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>([^<]+)</td>", annex)
    # the place name most units' names begin with is left out of the table, and a note under it says so
    place = re.search(r"注：表中单位名称略去“([^”]+)”字样", annex)
    names, prefix = set(ranked["unit_name"]), place.group(1) if place else ""
    restored = {n if prefix + n not in names else prefix + n for _, n in rows}
    assert len(rows) == len(ranked) and restored == names
    assert sorted(int(r) for r, _ in rows) == sorted(ranked["rank"].astype(int))  # competition ranks, 并列 kept
    shown = rep.policy["ranking_rows"]
    body_rows = re.findall(r"<tr>\s*<td[^>]*>\d+</td>\s*<td[^>]*>[^<]+</td>\s*<td[^>]*>", body)
    assert 0 < len(body_rows) <= shown
    assert "技术附件" in _text(body)
    statements = X.rule_statements(rep.analysis.rules)
    for s in statements:  # every rule statement is in the annex, with its values and its 依据
        assert _text(s["text"]) in _text(annex).replace("&amp;", "&")


def test_level_two_headings_run_into_their_paragraph_and_the_report_ends_signed(reports: Path) -> None:
    from docx import Document

    body = (reports / "annual_report.html").read_text(encoding="utf-8")
    first = re.search(r'<p><span class="runin">(（一）[^<]+。)</span>[^<\s]', body)  # the district's own wording
    assert first, "no run-in （一） heading"
    assert not re.search(r"<h3>", body)  # no level-2 heading stands on its own line
    doc = Document(str(reports / "annual_report.docx"))
    paras = [p for p in doc.paragraphs if p.text.strip()]
    runin = next(p for p in paras if p.text.startswith(first.group(1)) and len(p.text) > len(first.group(1)))
    assert runin.runs[0].font.name == "楷体_GB2312"
    attachment, issuer, date = (p.text for p in paras[-3:])
    assert attachment.startswith("附件：") and "技术附件（口径说明）" in attachment
    # the date in full numerals, or — generated long after the year reported on — left for the signer
    assert issuer.endswith("财政局") and re.fullmatch(r"\d{4}年[1-9]\d?月[1-9]\d?日|\s*年\s+月\s+日", date)


def test_every_table_lists_the_categories_in_the_seeds_order(reports: Path) -> None:
    from perfkit.io.contract import CATEGORIES

    html = (reports / "annual_report.html").read_text(encoding="utf-8")
    orders = []
    for table in re.findall(r"<table.*?</table>", html, re.S):
        if re.search(r"<th[^>]*>支出类别</th>", table):  # (a column sized to its content has class="keep")
            orders.append([c for c in re.findall(r"<td[^>]*>([^<]+)</td>", table) if c in CATEGORIES])
    assert len(orders) >= 2 and all(o == list(CATEGORIES) for o in orders)


def test_budget_actions_in_the_annual_report_add_up_to_the_allocation_table(annual) -> None:
    """The annual report's 按评价等级… sentence counts the proposal the allocation analysis' 表1 groups:
    every project exactly once (a 待核实 project stopped by the ex-ante gate is counted once, as gated)."""
    rep = annual
    p, pr = rep.facts["application"], rep.analysis.proposal
    counted = (sum(n for _, n in p["by_grade"]) + p["escalated"] + p["gate"] + p["pending"] + p["no_result"]
               + p["new_passed"])
    assert counted == len(pr)
    table = pr["action"].astype(object).value_counts()
    assert all(table[label] == n for label, n in p["by_grade"]) and table.get("复算待核实，维持", 0) == p["pending"]


def test_every_finding_type_the_report_counts_is_explained_in_the_annex(annual) -> None:
    from perfkit.reporting import annex as X

    rep = annual
    kinds = X.finding_types(rep).set_index("问题类型")
    assert len(kinds) >= 10 and kinds["含义"].str.len().gt(5).all()  # none without its meaning
    rows = kinds.drop(index="合计")
    counted = rows.loc[~rows.index.str.startswith("其中：")]
    assert counted["自评复核"].sum() == kinds.loc["合计", "自评复核"] == _distinct(rep.analysis.findings)
    assert counted["目标审核"].sum() == kinds.loc["合计", "目标审核"] == len(rep.analysis.target_findings)
    assert (rows["合计"] == rows["自评复核"] + rows["目标审核"]).all()


# ------------------------------------------------------------------ every sentence recomputed from the data


@pytest.fixture(scope="module")
def annual(district: District):
    return R.build(district.data, district.year, district.month, workspace=district.workspace)


def _capture(section, rep) -> str:
    """What a section shows, as text (markup collected instead of displayed; charts not drawn)."""
    from unittest import mock

    from perfkit.reporting import display as D

    shown: list[str] = []
    with mock.patch.multiple(D, _show=shown.append, _figure=lambda fig: None):
        section(rep)
    return _text("".join(shown))


def _distinct(findings) -> int:
    """Problems counted once, recomputed here: a 无法解析 row on an indicator that also carries 无法复算 is
    the same problem."""
    key = findings["project_id"].astype(str) + "|" + findings["indicator"].astype(str)
    unread = findings["finding"].eq("无法解析")
    both = unread & key.isin(set(key[findings["finding"].eq("无法复算")]))
    return int(len(findings) - both.sum())


def test_each_problem_is_counted_once_and_a_subset_is_said_as_such(annual) -> None:
    f = annual.analysis.findings
    n, parsed = _distinct(f), int(f["finding"].eq("无法解析").sum())
    assert parsed and n == len(f) - parsed  # the demo has the nesting the sentence must not double
    text = _text(render_sentence("review", annual.facts["review"]))
    assert f"共发现{n}处问题" in text and f"无法复算{int(f['finding'].eq('无法复算').sum())}处（其中无法解析{parsed}处）" in text
    table = R.findings_table(f).set_index("问题类型")["处数"]
    assert table["合计"] == n and table["其中：无法解析"] == parsed
    # the ranking's 问题数 counts the same problems (findings on projects of a unit)
    assert annual.analysis.ranking["findings"].sum() <= n < len(f)


def test_labels_say_what_is_counted(annual) -> None:
    """待核实: one total in report and annex, the subsets named; 复核均分 says it leaves out 待核实; the
    recurring problems are (project, type) pairs and say so; the blank 全年执行数 are not 0."""
    from perfkit.reporting import annex as X
    a = annual.analysis
    sp = a.scores.projects
    pending = int(sp["status"].eq("待核实").sum())
    app = _text(render_sentence("application", annual.facts["application"]))
    assert f"{pending}个复算待核实的项目未评定等级" in app
    annex = _capture(X.section_pending, annual)
    secret = int(R.pending_projects(a)["classified"].sum())
    assert f"本年度{pending}个项目复算待核实" in annex
    assert (f"其余{pending - secret}个" in annex) if secret else ("涉密" not in annex)
    ranking = _capture(R.section_analysis, annual)
    assert "待核实项目不计入" in ranking
    # 表1: 执行率 over the projects that reported 全年执行数; the blanks counted in a note
    p = R.this_years_projects(a.data.table("projects"))  # next year's first-time requests have no budget yet
    assert len(p) < len(a.data.table("projects"))
    blank = p["spent"].isna()
    supervision = _capture(R.section_supervision, annual)
    if blank.any():
        assert f"{int(blank.sum())}个项目" in supervision and "未填报全年执行数" in supervision
    rate = float(p.loc[~blank, "spent"].sum()) / float(p.loc[~blank, "budget"].sum())
    assert f"{rate:.1%}" in supervision


def test_spot_check_rule_in_words_gives_the_reports_figure(annual) -> None:
    """An auditor applies the annex's words to the monitoring table and gets the report's plan."""
    import pandas as pd

    from perfkit.io.values import format_wan
    from perfkit.reporting import annex as X

    a = annual.analysis
    words = next(s["text"] for s in X.rule_statements(a.rules) if s["name"] == "抽查范围与顺序")
    assert "未报送完成率的排在已报送的之后" in words and "取最先出现的" in words
    spec, cap = a.rules["spotcheck.rules"], a.rules["spotcheck.capacity"]
    m = a.monitoring.projects
    c = m["target_completion"].astype(float)
    # 单位自述（无佐证） rows per project (issue 24): many of them make a candidate and rank it higher
    restated = a.scores.projects.set_index("project_id")["n_restated"]
    r = pd.Series(restated.reindex(m["project_id"]).fillna(0).to_numpy(float), index=m.index)
    cand = m.loc[m["key_project"].fillna(False).astype(bool) | (c < spec["completion_below"])
                 | m["exec_light"].eq("红").fillna(False).astype(bool) | (r >= spec["restated_at_least"])].copy()
    cand = cand.assign(k=~cand["key_project"].fillna(False).astype(bool), b=c.isna(), c=c.fillna(0),
                       r=-r, m=-cand["budget"].astype(float))
    cand = cand.sort_values(["k", "b", "c", "r", "m"], kind="stable")
    units = list(pd.unique(cand["unit_id"].astype(str)))[: cap["units"]]
    plan = cand.loc[cand["unit_id"].astype(str).isin(units)].head(cap["projects"])
    s = annual.facts["spotcheck"]
    assert s["amount"] == format_wan(plan["budget"].sum()) and s["projects"] == len(plan)
    assert s["units"] == plan["unit_id"].nunique() and s["candidates"] == len(cand)


def test_spot_check_date_is_the_districts_never_the_seeds(district: District, annual) -> None:
    text = _text(render_sentence("spotcheck", annual.facts["spotcheck"]))
    following = district.year + 1
    assert "2月28日" not in text and f"在{following}年内完成" in text
    dated = R.build(district.data, district.year, district.month, spotcheck_deadline=f"{following}年4月30日",
                    workspace=district.workspace)
    assert f"于{following}年4月30日前完成" in _text(render_sentence("spotcheck", dated.facts["spotcheck"]))


def test_bases_are_in_the_three_classes_users_read(annual) -> None:
    """文件 only where a part of the source holds the rule without marking the value as the bureau's own."""
    from perfkit.reporting import annex as X

    for s in X.rule_statements(annual.analysis.rules):
        for part in s["basis"].split("；"):
            assert part.startswith(("文件：", "平台惯例：", "本局设定")) or "〔" in part or "《" in part, s
    # a source citing documents for a principle and a common value: the value is the bureau's own
    parts = X.basis_parts("中发〔2018〕34号（优先保障、压减或取消）；压减 20% 为广东常见口径")
    assert parts["文件"] == ["中发〔2018〕34号"] and parts["本局设定"]
    assert X.basis_parts("文件：财预〔2020〕10号 第三十一条")["本局设定"] == []
    assert X.basis_parts("本局设定（逾期不得分）")["文件"] == []


def test_achievements_problems_and_plan_come_from_this_years_figures(annual) -> None:
    a = annual.analysis
    body = "".join(_capture(fn, annual) for fn in (R.section_supervision, R.section_achievements,
                                                    R.section_problems, R.section_next_year))
    assert "已及时纠偏" not in body and "动态打分" not in body
    problems = _text(_capture(R.section_problems, annual))
    f = a.findings
    key = f["project_id"].astype(str) + "|" + f["indicator"].astype(str)
    counted = f.loc[~(f["finding"].eq("无法解析") & key.isin(set(key[f["finding"].eq("无法复算")])))]
    for kind, n in counted["finding"].astype(object).value_counts().head(3).items():
        assert f"{kind}{n}处" in problems
    full = f["finding"].eq("未完成目标仍得满分")
    assert f"{int(f.loc[full, 'project_id'].nunique())}个项目有{int(full.sum())}个指标未完成目标仍得满分" in problems
    sp = a.scores.projects
    pending = int(sp["status"].eq("待核实").sum())
    assert f"{pending}个项目（占复核项目的{pending / len(sp):.1%}）" in problems
    ar = a.archive_completeness
    assert f"{int((ar['completeness'] < 1).sum())}个（" in problems
    plan = _text(_capture(R.section_next_year, annual))
    assert f"督促{pending}个待核实项目" in plan
    # nothing of this is fixed prose: a district whose data hold no findings gets no such item
    facts = R.outcome_facts(annual)
    facts["review"] = {**facts["review"], "findings": 0}
    assert "自评质量有待提高" not in render_sentence("problems", facts)


def test_reports_are_typeset_as_gongwen_in_pdf_and_word(reports: Path, district: District) -> None:
    """On the demo's reports: the long labels of the tables are never broken across lines of a cell
    ("专项转移支付项目支/出", "1个指标无法复/算"), months run with a dash, and each Word file names the
    issuing organ as its author, today as its date, and nothing of the library that wrote it."""
    import datetime as dt
    import zipfile

    lines = {stem: [re.sub(r"\s+", "", line) for p in PdfReader(reports / f"{stem}.pdf").pages
                    for line in p.extract_text().splitlines()] for stem in ("annual_report", "budget_allocation")}
    annual, allocation = lines["annual_report"], lines["budget_allocation"]
    assert sum("专项转移支付项目支出" in line for line in annual) >= 2  # 表1 and the monitoring table
    assert not [line for line in annual + allocation if line.endswith("专项转移支付项目支")]
    reasons = [line for line in allocation if "个指标无法" in line]
    assert reasons and not [line for line in reasons if re.search(r"个指标无法复?$", line)]
    assert not [line for line in allocation if line in ("算", "复算")]
    assert f"1—{district.month}月" in "".join(annual) and not re.search(r"\d-\d+月", "".join(annual + allocation))
    for stem in ("annual_report", "budget_allocation", "technical_annex"):
        with zipfile.ZipFile(reports / f"{stem}.docx") as z:
            core = z.read("docProps/core.xml").decode("utf-8")
            everything = b"".join(z.read(n) for n in z.namelist())
        assert re.search(r"<dc:creator>[^<]+财政局</dc:creator>", core)
        assert f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{dt.datetime.now(dt.UTC):%Y-%m-%d}" in core
        assert b"python-docx" not in everything and b"asciiTheme" not in everything


def test_new_major_projects_and_the_proposal_start_from_the_request(annual, district: District) -> None:
    """§8: 新增重大项目 are first-time requests with no budget this year; the gate acts on 下年度申请数 and
    report and allocation give one amount; the proposal starts from the request, a missing one carried
    as a counted assumption; redesign keeps the 中 cut; every scenario row moves something."""
    from perfkit.analyses import application as A
    from perfkit.io.values import format_wan
    from perfkit.reporting import allocation as B

    a = annual.analysis
    g, pr = a.gate, a.proposal
    assert len(g) and g["budget"].isna().all()  # no budget this year
    assert not a.scores.projects["project_id"].isin(g["project_id"]).any()  # no self-evaluation
    assert not a.monitoring.projects["project_id"].isin(g["project_id"]).any()  # nothing to monitor
    blocked = g.loc[~g["passed"]]
    amount = format_wan(blocked["requested"].fillna(0).sum())
    exante = _text(render_sentence("exante", annual.facts["exante"]))
    assert f"涉及申请资金{amount}万元" in exante and "（或未开展评估）" not in exante
    al = B.build(district.data, district.year, district.month, workspace=district.workspace)
    assert al.facts["gate"]["blocked_requested"] == amount
    gated = pr["action"].eq(A.GATE_ACTION)
    assert int((pr.loc[gated, "base"] - pr.loc[gated, "proposal"]).sum()) == int(blocked["requested"].fillna(0).sum())
    # the base: the request, else this year's budget as a counted assumption
    carried = pr["base_source"].eq(A.BASE_CARRIED)
    assert carried.any() and (pr.loc[carried, "base"] == pr.loc[carried, "budget"]).all()
    assert (pr.loc[pr["requested"].notna(), "base"] == pr.loc[pr["requested"].notna(), "requested"]).all()
    assert f"{int(carried.sum())}个项目未填报申请数" in _text(render_sentence("intro", al.facts["intro"], B.ALLOCATION))
    # redesign keeps the 中 cut and asks for a new assessment; only the cancel year zeroes
    # (two projects graded 中 or 差 this year, graded 中 the year before: the second unsatisfactory year)
    bad = pr.loc[pr["grade"].isin(list(a.rules["application.unsatisfactory_grades"])), "project_id"].head(2)
    assert len(bad) == 2
    history = pd.DataFrame({"project_id": bad, "year": a.rules.year - 1, "grade": "中"})
    p = A.budget_proposal(a.data, a.scores.projects, a.monitoring, a.rules, history)
    redesign = p.loc[p["action"].str.endswith("重新设计")]
    assert len(redesign) == 2 and redesign["needs_exante"].all()
    assert (redesign["change"] == a.rules["application.actions"]["中"]["change"]).all()
    assert (redesign["proposal"] > 0).all()
    s = B.scenario_table(al)
    assert s["setting"].iloc[0] == "现行规则" and len(s) >= 5 and s.iloc[1:]["differs"].sum() >= 3
    # a row that moves nothing on this district's data is said to, by name (not left to look like an error)
    same = s.iloc[1:].loc[~s.iloc[1:]["differs"]]
    sentence = B.same_as_rules_sentence(s)
    assert all(f"{r.setting}取{r.value}" in sentence for r in same.itertuples()) and bool(sentence) == (len(same) > 0)
    assert int(s.iloc[0]["proposal"]) == int(pr["proposal"].sum())


def test_the_proposal_workbook_has_both_columns_and_a_sheet_by_department(reports: Path, district: District) -> None:
    import openpyxl

    book = openpyxl.load_workbook(reports / _proposal_name(district), read_only=True)
    assert {"按项目", "按单位", "按主管部门"} <= set(book.sheetnames)
    heads = [c.value for c in next(book["按项目"].iter_rows(min_row=2, max_row=2))]
    assert {"本年预算（万元）", "下年度申请数（万元）", "安排基数（万元）", "安排基数来源", "建议安排（万元）"} <= set(heads)
