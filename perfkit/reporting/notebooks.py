"""perfkit's own notebooks stay without outputs, on disk and in git (the house rule: rendered results go to
reports/, the notebooks in notebooks/ hold only narrative and the calls to perfkit).

Two guards, because JupyterLab autosaves: a Jupyter *pre-save hook* (``make lab`` passes it), so an
analyst's session never writes outputs or widget state into the tracked notebooks — and a reopened
explorer shows its one-line "run me" note instead of "Error displaying widget: model not found" — and a
git *clean filter* (installed by ``make`` into the clone's .git/config, named in .gitattributes), so a
notebook saved with outputs by any other means is committed without them.

    python -m perfkit.reporting.notebooks < in.ipynb > out.ipynb     # the git clean filter
"""

from __future__ import annotations

import json
import sys
from pathlib import PurePosixPath
from typing import Any

TRACKED = {"annual_report.ipynb", "budget_allocation.ipynb", "explore.ipynb", "archive_sql.ipynb"}


def strip_outputs(nb: dict[str, Any]) -> dict[str, Any]:
    """Remove outputs, execution counts and saved widget state (a notebook as JSON, changed in place)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def strip_outputs_hook(model: dict[str, Any], path: str = "", **_kwargs: Any) -> None:
    """Jupyter ``ContentsManager.pre_save_hook``: perfkit's notebooks are saved without outputs.

    Only the notebooks perfkit ships (TRACKED) are touched; an analyst's own notebooks keep theirs."""
    if model.get("type") == "notebook" and PurePosixPath(path).name in TRACKED and model.get("content"):
        strip_outputs(model["content"])


def main() -> int:
    text = sys.stdin.read()
    try:
        nb = json.loads(text)
    except json.JSONDecodeError:  # not a notebook we can read: pass it through unchanged
        sys.stdout.write(text)
        return 0
    json.dump(strip_outputs(nb), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)  # as nbformat writes
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
