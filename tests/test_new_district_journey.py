"""The new district's afternoon (issue 23 §6), as the README tells it: ``perfkit init``, the units' real
published forms dropped in ``inbox/`` as their provinces print them, ``import-forms``, ``validate`` and
``report`` run inside the workspace without a path — a report named for the district, nothing of the demo
district in any document, every file of the inbox accounted for in the import report.

The forms are the real-forms corpus rendered in their printed layouts (tests/real_forms_render.py): text
no one here wrote. Skipped, saying so, where the corpus is not beside the checkout.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
import real_forms_render as RF
from test_districts import FIRST_DISTRICT_WORDS, _document_texts

from perfkit.cli import main

pytestmark = pytest.mark.skipif(RF.corpus_path() is None, reason="real-forms corpus (forms.json) not found")

DISTRICT = "示例县"


def test_init_forms_in_the_inbox_import_validate_report(tmp_path, monkeypatch, capsys) -> None:
    ws = tmp_path / DISTRICT
    assert main(["init", str(ws), "--district", DISTRICT]) == 0
    dropped = RF.render_corpus(ws / "inbox")
    monkeypatch.delenv("PERFKIT_WORKSPACE", raising=False)
    monkeypatch.chdir(ws)
    capsys.readouterr()

    assert main(["import-forms"]) == 0  # inbox/ → the workspace's data, no path given
    data = ws / "data" / "数据.xlsx"
    assert data.exists()
    report = pd.read_csv(ws / "data" / "数据_导入报告.csv", dtype=str, encoding="utf-8-sig")
    files = " ".join(report.fillna("").astype(str).to_numpy().ravel().tolist())
    assert all(name in files for name in dropped)  # every file of the inbox has its line

    assert main(["validate"]) == 0
    said = capsys.readouterr().out
    assert "隔离" in said and "Traceback" not in said

    # the corpus spans several years: the report refuses to guess, naming them …
    assert main(["report"]) == 2
    assert "含多个年度" in capsys.readouterr().err
    # … and writes the year asked for into the workspace's reports/<year>/
    assert main(["report", "--year", "2022"]) == 0
    printed = capsys.readouterr().out
    folder = ws / "reports" / "2022"
    texts = _document_texts(folder)
    annual = next(t for k, t in texts.items() if k.endswith("annual_report.html"))
    assert f"{DISTRICT}2022年" in annual and f"{DISTRICT}财政局" in annual
    for path, text in texts.items():
        found = [w for w in FIRST_DISTRICT_WORDS if w in text]
        assert not found, (path, found)
    # the as-of month is the data's own (the latest month of 执行监控, printed), never the demo's 5
    month = re.search(r"监控截至 (\d+) 月", printed)
    assert month, printed
    assert re.search(rf"1\s*[-—–~至]\s*{month.group(1)}\s*月", annual)
