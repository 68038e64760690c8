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


# what the committed notebooks carry: the kernel papermill starts and the language, nothing the saving
# machine adds (JupyterLab writes the Python version, codemirror mode, pygments lexer … on every save)
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
CELL_METADATA_KEPT = ("tags",)  # papermill finds the parameters cell by its tag


def strip_outputs(nb: dict[str, Any]) -> dict[str, Any]:
    """Remove outputs, execution counts, saved widget state and what the saving machine adds to the
    metadata (kernel and language details, per-cell execution times, scroll and collapse state), so
    saving a notebook perfkit ships never dirties git (a notebook as JSON, changed in place)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata") or {}
        cell["metadata"] = {k: meta[k] for k in CELL_METADATA_KEPT if k in meta}
    meta = nb.setdefault("metadata", {})
    meta.pop("widgets", None)
    kernel = meta.get("kernelspec") or {}
    if kernel.get("language", "python") == "python":  # a notebook in another language keeps its own
        meta["kernelspec"] = dict(KERNELSPEC)
        meta["language_info"] = dict(LANGUAGE_INFO)
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
