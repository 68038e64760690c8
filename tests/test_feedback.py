"""perfkit feedback: one letter (.docx) and one list (.xlsx) per unit; every finding reaches exactly one
unit; a 涉密 project appears in no ordinary letter, only in its unit's part for the secrecy channel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pandas as pd
import pytest

from perfkit.api import analyze
from perfkit.io.load import load
from perfkit.reporting.feedback import FONTS, write_feedback


@pytest.fixture(scope="module")
def run(demo_dir, tmp_path_factory):
    a = analyze(load(demo_dir / "csv"), year=2022, month=5)
    out = tmp_path_factory.mktemp("feedback") / "反馈通知"
    return a, write_feedback(a, out, deadline="2023年3月31日")


def _lists(folder: Path, internal: bool = False) -> dict[str, dict[str, pd.DataFrame]]:
    """Every sheet of every list (with ``internal``, the 涉密 part's too); row 1 is the merged title, the
    heads are in row 2."""
    files = sorted(folder.rglob("*.xlsx") if internal else folder.glob("*.xlsx"))
    return {p.name: pd.read_excel(p, sheet_name=None, dtype=str, header=1) for p in files}


def test_one_letter_and_one_list_per_unit(run) -> None:
    a, f = run
    units = a.data.table("projects")["unit_id"].dropna().nunique()
    assert f.units == units == len(list(f.folder.glob("*.docx"))) == len(list(f.folder.glob("*明细.xlsx")))


def test_every_finding_appears_in_exactly_one_unit_list(run) -> None:
    a, f = run
    expected = Counter(zip(a.findings["project_id"].astype(str), a.findings["indicator"].astype(str).replace("nan", ""),
                           a.findings["finding"].astype(str), strict=True))
    seen: Counter = Counter()
    for sheets in _lists(f.folder, internal=True).values():
        s = sheets["审核发现"].fillna("")
        seen.update(zip(s["项目编码"], s["三级指标"], s["问题类型"], strict=True))
    assert seen == expected


def test_no_classified_code_or_name_in_any_ordinary_letter(run) -> None:
    """§8: an ordinary letter and list leave 涉密 projects out and say so in one sentence; their part is
    in the internal folder, in their own unit's files only."""
    from perfkit.reporting.feedback import INTERNAL_FOLDER

    a, f = run
    p = a.data.table("projects")
    secret = p.loc[p["classified"].astype(bool), ["project_id", "project_name", "unit_id"]].astype(str)
    assert len(secret), "the demo has 涉密 projects"

    def texts(folder: Path) -> dict[Path, str]:
        return {path: zipfile.ZipFile(path).read("word/document.xml" if path.suffix == ".docx"
                                                 else "xl/sharedStrings.xml").decode("utf-8")
                for path in folder.iterdir() if path.suffix in (".docx", ".xlsx")}
    ordinary, internal = texts(f.folder), texts(f.folder / INTERNAL_FOLDER)
    import re

    def named(row, text: str) -> bool:  # the name itself, not an open project's longer name (…（第二批）)
        return bool(re.search(re.escape(row.project_name) + r"(?!（)", text)
                    or re.search(rf"(?<!\d){row.project_id}(?!\d)", text))
    assert not [(row.project_id, path.name) for row in secret.itertuples() for path, text in ordinary.items()
                if named(row, text)]
    for row in secret.itertuples():
        holders = {path.name.split("_")[0] for path, text in internal.items() if named(row, text)}
        assert holders == {row.unit_id}
    units = set(secret["unit_id"])
    for path, text in ordinary.items():
        if path.suffix == ".docx":
            said = "另行通过保密渠道反馈" in text
            assert said == (path.name.split("_")[0] in units), path.name


def test_the_letter_is_a_word_document_staff_can_edit(run) -> None:
    a, f = run
    letter = docx.Document(str(f.letters[0]))
    headings = [p.text for p in letter.paragraphs if p.style.name == "Heading 1"]
    assert headings[0].startswith("一、") and headings[-1].endswith("整改要求") and len(headings) >= 5
    assert letter.paragraphs[0].style.name == "Title" and "整改" in letter.paragraphs[0].text
    text = "\n".join(p.text for p in letter.paragraphs)
    assert "2023年3月31日前" in text and "财政局" in text and "排名第" in text
    assert letter.tables and letter.tables[0].rows[0].cells[0].text == "项目名称"
    normal = letter.styles["Normal"].element.xml
    assert FONTS["body"] in normal and "perfkit" not in text.lower()


def test_ties_in_the_ranking_are_said(run) -> None:
    from perfkit.reporting.feedback import _rank_text

    ranking = pd.DataFrame({"unit_id": ["a", "b", "c"], "rank": [1, 1, 3], "composite": [90.0, 90.0, 80.0]})
    assert _rank_text(ranking, "a")[0] == "并列第1名" and _rank_text(ranking, "c")[0] == "第3名"


def _three_units(demo_dir: Path, folder: Path) -> Path:
    """The demo cut to its first three units (every table), for a quick run of the command."""
    folder.mkdir()
    projects = pd.read_csv(demo_dir / "csv" / "项目.csv", dtype=str)
    units = sorted(projects["单位编码"].unique())[:3]
    keep = set(projects.loc[projects["单位编码"].isin(units), "项目编码"])
    for csv in (demo_dir / "csv").glob("*.csv"):
        t = pd.read_csv(csv, dtype=str)
        t = t[t["单位编码"].isin(units)] if "单位编码" in t and "项目编码" not in t else t
        t = t[t["项目编码"].isin(keep)] if "项目编码" in t else t
        t.to_csv(folder / csv.name, index=False, encoding="utf-8-sig")
    return folder


def test_feedback_cli(demo_dir, tmp_path) -> None:
    out = tmp_path / "letters"
    data = _three_units(demo_dir, tmp_path / "three")
    done = subprocess.run([sys.executable, "-m", "perfkit", "feedback", "--data", str(data), "--year", "2022",
                           "--out", str(out), "--deadline", "2023年2月28日"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "已为 3 个单位写出反馈通知" in done.stdout and len(list(out.glob("*.docx"))) == 3
    again = subprocess.run([sys.executable, "-m", "perfkit", "feedback", "--data", str(tmp_path / "nope"), "--year",
                            "2022", "--out", str(out)], capture_output=True, text=True)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert len(list(out.glob("*.docx"))) == 3  # a failed run leaves the previous letters in place


def test_an_unranked_unit_is_told_its_rank_is_pending(run, tmp_path: Path) -> None:
    """A unit none of whose projects could be recomputed is not ranked: its letter says the scores are
    being verified and why, not "排名未排名"."""
    import copy

    from perfkit.reporting.feedback import _rank_text, write_letters

    a = copy.copy(run[0])  # the module's analysis stays as it was for the other tests
    uid = str(a.ranking["unit_id"].iloc[0])
    a.ranking = a.ranking.assign(rank=a.ranking["rank"].astype("Float64"))
    a.ranking.loc[a.ranking.index[0], ["rank", "unranked_reason"]] = [pd.NA, "全部项目待核实"]
    assert _rank_text(a.ranking, uid)[0] == "未排名：全部项目待核实"
    done = write_letters(a, tmp_path / "letters")
    letter = next(p for p in done.letters if p.name.startswith(uid + "_"))
    text = "\n".join(p.text for p in docx.Document(str(letter)).paragraphs)
    assert "暂不参加综合评定排名" in text and "全部项目待核实" in text and "排名未排名" not in text


def test_lists_sent_to_units_carry_no_rulebook_keys(run) -> None:
    """A unit's staff read the 说明 of each finding: no parameter keys, no design notes, no arrows."""
    import re

    _, f = run
    texts = []
    for sheets in _lists(f.folder).values():
        for frame in sheets.values():
            texts += [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str)]
    assert texts and not [t for t in texts if re.search(r"[a-z_]+\.[a-z_]+|design|DOMAIN|→", t)]


def test_a_letter_says_which_projects_lose_budget(run) -> None:
    a, f = run
    pr = a.proposal
    moved = pr.loc[(pr["change"] < 0) & ~pr["classified"].astype(bool)].iloc[0]
    letter = next(p for p in f.letters if p.name.startswith(str(moved["unit_id"]) + "_"))
    text = "".join(p.text for p in docx.Document(str(letter)).paragraphs)
    assert f"{moved['project_name']}（{moved['action']}，" in text and "预算将调减或不予安排" in text
    assert "下年度申请数" in text or "按本年预算" in text  # the base the proposal starts from, said


# ------------------------------------------------------------------ letters that can be sent (issue 25 §4)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _xml(path: Path, part: str) -> str:
    return zipfile.ZipFile(path).read(part).decode("utf-8")


def test_letters_are_typeset_as_gongwen(run) -> None:
    """Every letter: page numbers (odd/even footers with a PAGE field), body paragraphs two characters in,
    every paragraph on the 28 pt pitch with no space before or after, the 落款 and date four characters
    in from the right, the issuing organ as author; a table running over a page repeats its head row."""
    from lxml import etree

    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    w = f"{{{ns['w']}}}"
    _, f = run
    longest = max(f.letters, key=lambda p: p.stat().st_size)
    for path in (f.letters[0], longest):
        with zipfile.ZipFile(path) as z:
            body = etree.fromstring(z.read("word/document.xml"))
            styles = etree.fromstring(z.read("word/styles.xml"))
            footers = [etree.fromstring(z.read(n)) for n in z.namelist() if n.startswith("word/footer")]
            assert b"evenAndOddHeaders" in z.read("word/settings.xml")
            assert b"python-docx" not in z.read("docProps/core.xml")
        assert len(footers) == 2 and all("PAGE" in "".join(f.itertext()) for f in footers)
        normal = styles.find(".//w:style[@w:styleId='Normal']/w:pPr/w:spacing", ns)
        assert (normal.get(w + "line"), normal.get(w + "lineRule"), normal.get(w + "after")) == ("560", "exact", "0")
        paras = body.findall("w:body/w:p", ns)
        texts = ["".join(p.itertext()) for p in paras]
        first_body = paras[3]  # title, empty line, 主送机关, then the opening paragraph
        assert first_body.find("w:pPr/w:ind", ns).get(w + "firstLine") == "640"
        assert not [p for p in paras if p.find("w:pPr/w:spacing", ns) is not None
                    and p.find("w:pPr/w:spacing", ns).get(w + "after") not in (None, "0")]
        organ, date = paras[-2], paras[-1]
        assert texts[-2].endswith("财政局") and "年" in texts[-1] and texts[-4:-2] == ["", ""]
        for p in (organ, date):
            assert p.find("w:pPr/w:jc", ns).get(w + "val") == "right"
            assert p.find("w:pPr/w:ind", ns).get(w + "right") == "1280"  # 右空四字: 4 × 16 pt
        for tbl in body.iter(w + "tbl"):
            assert tbl.find("w:tr/w:trPr/w:tblHeader", ns) is not None
    assert docx.Document(str(longest)).core_properties.author.endswith("财政局")
    assert max(len(t.rows) for t in docx.Document(str(longest)).tables) > 25  # a table that runs over a page


def test_no_strings_of_zeros_in_any_letter(run) -> None:
    import re

    _, f = run
    for letter in f.letters:
        text = "".join(p.text for p in docx.Document(str(letter)).paragraphs)
        assert not re.search(r"[优良中差]0个|项目0个|问题0处", text), letter.name
        assert "Excel" not in _xml(letter, "word/document.xml")  # 电子表格


def _letter(**over):
    from perfkit.reporting.feedback import Letter

    base = dict(unit_name="某单位", projects=pd.DataFrame({
        "project_id": ["P1"], "project_name": ["道路养护"], "budget": [1_000_000], "unit_total": [95.0],
        "total": [94.0], "grade": ["优"], "status": ["完整"], "difference": [1.0]}),
        warned=pd.DataFrame(columns=["project_id", "project_name", "budget", "warning_reason"]),
        findings=pd.DataFrame(columns=["project_id", "indicator", "finding"]), rank=("第3名", "95.00", 10),
        requests=pd.DataFrame(columns=["project_id", "project_name", "gate"]))
    base.update(over)
    return Letter(**base)


def _write(tmp_path: Path, letter) -> str:
    from perfkit.reporting.feedback import write_letter

    path = tmp_path / "l.docx"
    write_letter(path, letter, 2022, 5, "2023年3月31日", "某区", ["优", "良", "中", "差"], 5.0)
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_kind_of_letter_follows_its_content(tmp_path: Path) -> None:
    """Nothing to rectify: a 反馈结果的通知 without 限期整改 or a deadline; a request stopped at the gate and
    a project to redesign: what to submit and by when."""
    plain = _write(tmp_path, _letter())
    assert plain.startswith("关于反馈2022年度预算绩效评价结果的通知") and "整改" not in plain.split("\n")[0]
    assert "限期整改" not in plain and "2023年3月31日" not in plain and "未发现需要整改的问题" in plain
    gated = _write(tmp_path, _letter(requests=pd.DataFrame({"project_id": ["N1"], "project_name": ["新建公园"],
                                                            "gate": ["不安排预算"]})))
    assert "限期整改" in gated and "新建公园" in gated
    assert "于2023年3月31日前修改完善项目实施方案、绩效目标和资金测算，重新报送事前绩效评估材料" in gated
    redesign = _letter()
    redesign.projects = redesign.projects.assign(needs_exante=[True], change=[-0.2], action=["连续2年不理想，重新设计"],
                                                 proposal=[800_000], recovered=[0], base=[1_000_000],
                                                 base_source=["下年度申请数"])
    text = _write(tmp_path, redesign)
    assert "须重新设计的项目（道路养护）：于2023年3月31日前报送重新设计的实施方案、绩效目标和事前绩效评估材料" in text


def test_a_departments_letter_summarises_its_units_and_asks_it_to_supervise(run) -> None:
    a, f = run
    units = a.data.table("units").astype({"unit_name": str, "department": str, "unit_id": str})
    head = units.loc[units["unit_name"].eq(units["department"])].iloc[0]
    letter = next(p for p in f.letters if p.name.startswith(str(head["unit_id"]) + "_"))
    doc = docx.Document(str(letter))
    text = "\n".join(p.text for p in doc.paragraphs)
    subs = units.loc[units["department"].eq(head["department"]) & units["unit_id"].ne(head["unit_id"])]
    assert "所属单位评价结果" in text and f"你部门所属单位{len(subs)}个" in text
    assert "督促" in text and "汇总所属单位整改情况" in text
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "单位")
    assert {r.cells[0].text for r in table.rows[1:]} <= set(subs["unit_name"])
