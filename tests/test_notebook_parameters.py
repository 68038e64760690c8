"""Every shipped notebook's parameters cell is one papermill can read: a line it cannot parse is a parameter
that `-p name value` silently ignores (papermill only logs a warning), so the run uses the default instead."""

import json
from pathlib import Path

import nbformat
import pytest
from papermill.translators import PythonTranslator

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_parameter_line_parses(path: Path) -> None:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        pytest.skip("no parameters cell")
    source = "".join(tagged[0]["source"])
    names = {p.name for p in PythonTranslator.inspect(nbformat.v4.new_code_cell(source))}
    assigned = {line.split("=", 1)[0].split(":", 1)[0].strip() for line in source.splitlines()
                if "=" in line and not line.lstrip().startswith("#")}
    assert assigned <= names, f"papermill cannot read {sorted(assigned - names)} in {path.name}"
