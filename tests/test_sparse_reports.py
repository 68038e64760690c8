"""Sparse data reads sensibly (issue 23 §4): generated small districts — a few projects, tables missing
(事前评估, 评价档案, 绩效目标, the monitoring tables), any share of projects 待核实 — go through the
report, the technical annex, the allocation analysis and the letters, and their text is scanned for what
a director must never read: a table without rows, a table of identical rows, "按评价等级，；",
"可完整复算的0个项目中", "0个项目存在0处问题", unranked units in the body's ranking, the program's notes
("缺少「事前评估」表，已跳过") outside the annex's data section, warning figures or "资金将被收回" when no
monitoring data were provided. One dataset also goes through ``perfkit report`` (HTML, PDF, Word)."""

from __future__ import annotations

import html
import os
import re
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import matplotlib
import matplotlib.pyplot as plt
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from perfkit.demo import generate
from perfkit.io.write import write_tables_xlsx

matplotlib.use("Agg")

EXAMPLES = int(os.environ.get("PERFKIT_HYPOTHESIS_EXAMPLES_SPARSE", "8"))
OPTIONAL = ("exante", "archive", "targets", "monitoring")
# never in any document
NEVER = ("按评价等级，；", "可完整复算的0个项目中", "0个项目存在0处问题", "完成0个单位、0个项目", "按照0大类", "按照大类",
         "，；", "：；", "；。", "，。", "None", "nan")
PROGRAM_NOTE = re.compile(r"缺少「[^」]+」表，已跳过")


def sparse_dataset(folder: Path, n_projects: int, units: int, dropped: set[str], pending: float,
                   seed: int, unclassified: bool = False) -> Path:
    demo = generate(seed=seed, year=2023, n_projects=max(n_projects, units), units_total=units, months=8,
                    clean=True)
    tables = dict(demo.tables)
    for name in dropped:
        for t in (("exec_monitor", "ind_monitor") if name == "monitoring" else (name,)):
            tables.pop(t, None)
    if pending:
        se = tables["self_eval"].copy()
        ids = se["project_id"].drop_duplicates()
        chosen = ids.iloc[: max(1, round(len(ids) * pending))]
        se.loc[se["project_id"].isin(chosen), "actual_text"] = "见附件"  # unreadable: the project is 待核实
        tables["self_eval"] = se
    if unclassified:  # forms that carry no 支出类别 or 监控分类 (most printed forms do not)
        tables["projects"] = tables["projects"].assign(category=None, monitor_class=None)
    path = folder / "稀疏.xlsx"
    write_tables_xlsx(tables, path)
    return path


def render(path: Path, out: Path) -> dict[str, list[str]]:
    """Each document's blocks of HTML as the notebooks display them, and the letters' Word text."""
    import perfkit.reporting.display as D
    from perfkit.reporting import allocation as B
    from perfkit.reporting import annex as X
    from perfkit.reporting import annual as R

    docs: dict[str, list[str]] = {"annual": [], "annex": [], "allocation": []}
    current: list[str] = docs["annual"]
    with mock.patch.object(D, "_show", lambda m: current.append(m)), \
            mock.patch.object(D, "_figure", lambda f: (plt.close(f), current.append("<figure/>"))):
        rep = R.build(path, district="测试县")
        for section in (R.title, R.section_requirements, R.section_supervision, R.section_analysis,
                        R.section_achievements, R.section_next_year, R.closing):
            section(rep)
        current = docs["annex"]
        for section in (X.title, X.section_data, X.section_rules, X.section_ranking, X.section_pending):
            section(rep)
        current = docs["allocation"]
        al = B.build(path, district="测试县")
        for section in (B.title, B.section_proposal, B.section_recovery, B.section_gate, B.section_scenarios,
                        B.section_sweep):
            section(al)
        letters = R.unit_letters(rep, out)
    docs["letters"] = [word_text(f) for f in sorted(letters.glob("*.docx"))]
    docs["_monitoring"] = ["yes" if rep.analysis.monitoring is not None else ""]
    return docs


def word_text(path: Path) -> str:
    """The text of a .docx (its XML with the tags taken out)."""
    with zipfile.ZipFile(path) as z:
        return text_of(" ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")))


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def table_rows(markup: str) -> list[list[list[str]]]:
    """Every table's body rows, each row its cells' text."""
    tables = []
    for body in re.findall(r"<tbody>(.*?)</tbody>", markup, flags=re.S):
        rows = [[text_of(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)]
                for r in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)]
        tables.append(rows)
    return tables


def check(docs: dict[str, list[str]]) -> None:
    monitored = bool(docs.pop("_monitoring")[0])
    for name, blocks in docs.items():
        markup = "\n".join(blocks)
        text = text_of(markup)
        for pattern in NEVER:
            assert pattern not in text, (name, pattern)
        if name != "annex":  # the program's notes belong to the annex's data section only
            assert not PROGRAM_NOTE.search(text), name
        for rows in table_rows(markup):
            data = [r for r in rows if r and r[0] != "合计"]
            assert data, (name, "a table without rows", rows)
            if len(data) > 1:
                assert any(r != data[0] for r in data[1:]), (name, "a table of identical rows", data)
        if not monitored and name in ("annual", "letters"):
            assert "资金将被收回" not in text and "预警率" not in text and "None" not in text, name
    annual = "\n".join(docs["annual"])
    # the body's ranking lists ranked units only: every row has a rank
    ranking = re.search(r"单位综合评定排名（前.*?</table>", annual, flags=re.S)
    if ranking:
        for row in table_rows(ranking.group(0))[0]:
            assert row[0] and re.match(r"(并列)?\d+|第", row[0]), row


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(n_projects=st.integers(1, 30), units=st.integers(1, 5),
       dropped=st.sets(st.sampled_from(OPTIONAL)), pending=st.sampled_from([0.0, 0.3, 1.0]),
       seed=st.integers(0, 10_000), unclassified=st.booleans())
def test_sparse_districts_read_sensibly(n_projects, units, dropped, pending, seed, unclassified):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        check(render(sparse_dataset(tmp, n_projects, units, dropped, pending, seed, unclassified), tmp / "out"))


def test_the_issue_s_district_reads_sensibly(tmp_path):
    """26 projects, no ex-ante table, no archive, no monitoring, every project 待核实."""
    path = sparse_dataset(tmp_path, 26, 8, {"exante", "archive", "monitoring"}, 1.0, 7)
    docs = render(path, tmp_path / "out")
    annual = text_of("\n".join(docs["annual"]))
    assert "均因数据无法复算待核实，未评定等级" in annual
    assert "未提供绩效运行监控" in annual and "未进行单位综合评定排名" in annual
    assert "不绘制复核得分分布图" in annual
    assert PROGRAM_NOTE.search(text_of("\n".join(docs["annex"])))  # said where it belongs
    check(docs)


def test_perfkit_report_on_sparse_data(tmp_path, monkeypatch):
    """The whole command on the issue's district: PDF and Word carry no such pattern either."""
    import shutil
    import subprocess

    from perfkit.reporting.run import report

    monkeypatch.delenv("PERFKIT_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    path = sparse_dataset(tmp_path, 26, 8, {"exante", "archive", "monitoring"}, 1.0, 7)
    said: list[str] = []
    report(path, out=tmp_path / "r", district="测试县", progress=said.append)
    assert any("没有执行监控" in s for s in said)  # the month: none, and said
    for f in (tmp_path / "r").iterdir():
        if f.suffix == ".pdf" and shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", str(f), "-"], capture_output=True, text=True).stdout
        elif f.suffix == ".docx":
            text = word_text(f)
        else:
            continue
        text = re.sub(r"\s+", "", text)
        for pattern in NEVER:
            assert pattern not in text, (f.name, pattern)
        if f.stem == "annual_report":
            assert not PROGRAM_NOTE.search(text) and "资金将被收回" not in text
