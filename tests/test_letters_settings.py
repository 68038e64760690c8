"""Letters say only what is true of the district (issue 25 §4): the rectification requirement quotes the
rulebook's thresholds with their 依据 (never 100%/130% written in), 联系人、联系电话、抄送 come from the
district's settings (a district without them gets no contact line, nothing invented), and a project
flagged 新增重大项目 that already has a budget this year is said — in the unit's letter and in the
annex's data section — not silently passed over by the ex-ante gate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docx
import pandas as pd
import pytest
from test_feedback import _letter  # one way to build a letter in the tests

from perfkit.rules.rulebook import load_rules


def _text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def _write(tmp_path: Path, letter, name: str = "l.docx", **kwargs) -> str:
    from perfkit.reporting.feedback import write_letter

    path = tmp_path / name
    write_letter(path, letter, 2022, 5, "2023年3月31日", "某区", ["优", "良", "中", "差"], 5.0, **kwargs)
    return _text(path)


DEVIATION = pd.DataFrame({"project_id": ["P1"], "indicator": ["培训人次"], "finding": ["缺少偏差说明"]})


def test_the_deviation_requirement_quotes_the_rulebook_with_its_basis(tmp_path: Path) -> None:
    """The thresholds in the requirement are the rulebook's: changing them changes the letter and the
    list; the 依据 is the rules' (文件 for the document's rule, 本局设定 for the bureau's ratio)."""
    from perfkit.reporting.annex import basis
    from perfkit.reporting.feedback import requirements

    rules = load_rules("mof2020", 2022)
    keys = ["review.explain_below", "evaluation.overachievement_ratio"]
    below, over = rules[keys[0]], rules[keys[1]]
    text = _write(tmp_path, _letter(findings=DEVIATION), rules=rules)
    line = next(x for x in text.split("\n") if x.startswith("1. 缺少偏差说明"))
    assert f"低于{below * 100:g}%" in line and f"达到目标值{over:g}倍及以上" in line
    assert f"依据：{basis(rules, keys)}" in line and "文件：财预〔2020〕10号" in line and "本局设定" in line
    moved = rules.with_value(keys[0], 0.9).with_value(keys[1], 1.5)
    line2 = next(x for x in _write(tmp_path, _letter(findings=DEVIATION), rules=moved).split("\n")
                 if x.startswith("1. 缺少偏差说明"))
    assert "低于90%" in line2 and "达到目标值1.5倍及以上" in line2 and "130" not in line2 and "100%" not in line2
    assert requirements(moved)["缺少偏差说明"] != requirements(rules)["缺少偏差说明"]
    # every requirement is filled in: no placeholder left for a unit to read
    assert not any("{" in v for v in requirements(rules).values())


def test_contact_and_copy_come_from_the_settings_and_are_never_invented(tmp_path: Path) -> None:
    given = _write(tmp_path, _letter(), "a.docx",
                   contact={"contact": "周敏", "phone": "0571-0000000", "copy_to": ["区审计局", "区人大常委会预算工委"]})
    assert "联系人：周敏，联系电话：0571-0000000。" in given
    assert "抄送：区审计局，区人大常委会预算工委。" in given
    none = _write(tmp_path, _letter(), "b.docx", contact={"contact": "", "phone": "", "copy_to": []})
    assert "联系人" not in none and "联系电话" not in none and "抄送" not in none
    phone_only = _write(tmp_path, _letter(), "c.docx", contact={"contact": "", "phone": "0571-1", "copy_to": []})
    assert "联系电话：0571-1。" in phone_only and "联系人" not in phone_only.replace("联系电话", "")


def test_a_flagged_new_major_project_with_a_budget_is_said_in_the_letter(tmp_path: Path) -> None:
    """The unit is told that the project was scored as ongoing and asked to correct the flag (a letter to
    rectify); a letter without such a project says nothing of it."""
    letter = _letter()
    letter.projects = letter.projects.assign(ongoing_flag=[True])
    text = _write(tmp_path, letter)
    assert "你单位1个项目标为新增重大项目，但2022年度已安排预算，按续建项目评价" in text and "道路养护" in text
    assert "限期整改" in text and "取消“新增重大项目”标记" in text
    plain = _write(tmp_path, _letter(projects=_letter().projects.assign(ongoing_flag=[False])), "p.docx")
    assert "新增重大项目" not in plain and "限期整改" not in plain


@pytest.fixture(scope="module")
def flagged_workspace(tmp_path_factory):
    """The second demo district as a workspace (contact, phone and 抄送 in its settings), with two
    ongoing projects of its data flagged 新增重大项目 (one of them 涉密)."""
    from perfkit.demo import QINGXI, generate_district, write_workspace

    ws = tmp_path_factory.mktemp("qingxi")
    demos = generate_district(QINGXI, n_projects=150)
    p = demos[max(demos)].tables["projects"]
    ongoing = p.index[~p["new_major"].astype(bool) & p["budget"].notna() & ~p["classified"].astype(bool)
                      & ~p["project_name"].str.contains("部门整体支出")]
    flag = [ongoing[1]]
    secret = p.index[p["classified"].astype(bool) & p["budget"].notna()]
    flag += list(secret[:1])
    p.loc[flag, "new_major"] = True
    write_workspace(QINGXI, demos, ws)
    return ws, p.loc[flag]


def test_letters_of_a_workspace_carry_its_contact_and_the_flagged_project(flagged_workspace, tmp_path):
    """``perfkit feedback`` inside a workspace: the settings' 联系人/电话/抄送 in every ordinary letter, and
    the flagged project in its own unit's letter only."""
    from perfkit.io.settings import read_settings

    ws, flagged = flagged_workspace
    s = read_settings(ws)
    out = tmp_path / "letters"
    done = subprocess.run([sys.executable, "-m", "perfkit", "feedback", "--workspace", str(ws), "--out", str(out)],
                          capture_output=True, text=True, cwd=ws)
    assert done.returncode == 0, done.stderr
    letters = sorted(out.glob("*.docx"))
    assert letters
    texts = {p.name: _text(p) for p in letters}
    assert all(f"联系人：{s.contact}，联系电话：{s.phone}。" in t for t in texts.values())
    assert all("抄送：" + "，".join(s.copy_to) + "。" in t for t in texts.values())
    open_row = flagged.loc[~flagged["classified"].astype(bool)].iloc[0]
    mine = [n for n, t in texts.items() if "标为新增重大项目，但" in t]
    assert mine == [n for n in texts if n.startswith(str(open_row["unit_id"]) + "_")]
    assert str(open_row["project_name"]) in texts[mine[0]]
    secret_row = flagged.loc[flagged["classified"].astype(bool)]
    for t in texts.values():  # the classified one is named in no ordinary letter
        assert not any(str(n) in t for n in secret_row["project_name"])


def test_a_district_without_contact_settings_gets_no_contact_line(tmp_path):
    from perfkit.demo import GAOXIN, generate_district, write_workspace
    from perfkit.io.settings import read_settings

    ws = tmp_path / "ws"
    write_workspace(GAOXIN, generate_district(GAOXIN, n_projects=160), ws)
    s = read_settings(ws)
    assert not s.contact and not s.phone and not s.copy_to
    out = tmp_path / "letters"
    done = subprocess.run([sys.executable, "-m", "perfkit", "feedback", "--workspace", str(ws), "--out", str(out)],
                          capture_output=True, text=True, cwd=ws)
    assert done.returncode == 0, done.stderr
    texts = [_text(p) for p in out.glob("*.docx")]
    assert texts and not any("联系人" in t or "联系电话" in t or "抄送" in t for t in texts)


def test_the_annex_data_section_names_the_flagged_project(flagged_workspace):
    from perfkit.api import analyze
    from perfkit.io.load import load
    from perfkit.io.settings import read_settings
    from perfkit.reporting.annex import ongoing_flagged_note
    from perfkit.reporting.annual import AnnualReport

    ws, flagged = flagged_workspace
    s = read_settings(ws)
    a = analyze(load(ws / "demo.xlsx"), year=s.year, month=s.month)
    gate_ids = set(a.gate["project_id"].astype(str)) if a.gate is not None else set()
    assert not gate_ids & set(flagged["project_id"].astype(str))  # not a first-time request
    rep = AnnualReport(a, s.district, s.year, s.month, {}, settings=s)
    note = ongoing_flagged_note(rep)
    open_row = flagged.loc[~flagged["classified"].astype(bool)].iloc[0]
    assert note.startswith(f"{len(flagged)}个项目标为“新增重大项目”，但{s.year}年度已安排预算")
    assert f"{open_row['project_name']}（{open_row['project_id']}）" in note and "另有涉密项目1个" in note
    for name in flagged.loc[flagged["classified"].astype(bool), "project_name"]:
        assert str(name) not in note
