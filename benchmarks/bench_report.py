"""Wall time of ``perfkit report`` on the demo district next to its floor (a benchmark, not a test).

    python benchmarks/bench_report.py [--data data/demo/demo.xlsx] [--repeat 5]

The floor is what no report can avoid: papermill executing three empty parameterized notebooks in this
process plus the same HTML, PDF and Word export of them.
It also times a *replay*: three notebooks (annual report, allocation analysis, technical annex) that
import the report's stack and re-display the finished outputs of the first report run, exported the same
way, and write the same 132 unit letters (.docx + .xlsx) from an analysis computed beforehand — the
report's content with zero analysis, a lower bound for any report of this content on this stack.
Target (issue 13): ``perfkit report`` within 1.5× of the replay.
Floor, replay and report runs alternate, so a slow spell of the machine hits all three; the first report run
validates the input and writes the snapshot, later runs reuse it (as a second ``perfkit report`` on
unchanged data does) — it is printed on its own line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfkit.reporting.render import render_all  # noqa: E402
from perfkit.reporting.run import report  # noqa: E402


def _write_notebook(path: Path, cells: list[dict]) -> Path:
    """A python3 notebook whose first cell is the parameters cell papermill injects after."""
    params = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "data = None", "outputs": [],
              "execution_count": None, "id": "p"}
    path.write_text(json.dumps({"cells": [params, *cells], "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}),
        encoding="utf-8")
    return path


def empty_notebook(path: Path) -> Path:
    return _write_notebook(path, [])


def replay_notebook(path: Path, executed: Path, analysis: Path | None = None) -> Path:
    """A notebook that imports the report's stack (pandas, matplotlib, seaborn) and re-displays the
    finished outputs of an executed report notebook — the report with zero analysis: a lower bound for
    producing this content with this stack."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    outputs = [[o["data"], o.get("metadata", {})] for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if o.get("output_type") in ("display_data", "execute_result")]
    saved = path.with_suffix(".outputs.json")
    saved.write_text(json.dumps(outputs, ensure_ascii=False), encoding="utf-8")
    source = ("import json\nimport matplotlib.pyplot\nimport pandas\nimport seaborn\n"
              "from IPython.display import display\n"
              f"for data, meta in json.load(open({str(saved)!r}, encoding='utf-8')):\n"
              "    display(data, metadata=meta, raw=True)\n")
    if analysis is not None:  # the unit letters, written from the finished analysis (no analysis timed)
        source += ("import pickle\nfrom pathlib import Path\nfrom perfkit.reporting.feedback import write_letters\n"
                   f"write_letters(pickle.loads(Path({str(analysis)!r}).read_bytes()), "
                   "Path(output_dir) / '单位反馈通知', None, '高新区（新市区）')\n")
    return _write_notebook(path, [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
                                   "execution_count": None, "id": "r"}])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/demo/demo.xlsx"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.data.exists():
        from perfkit.demo import generate, write_demo

        write_demo(generate(), args.data.parent)
    quiet = lambda _msg: None  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        report(args.data, 2022, tmp / "first", month=5, progress=quiet)
        first = time.perf_counter() - t
        import pickle

        from perfkit.api import analyze

        analysis = tmp / "analysis.pickle"
        analysis.write_bytes(pickle.dumps(analyze(args.data, year=2022, month=5)))
        replays = [(replay_notebook(tmp / f"{stem}.replay.ipynb", tmp / "first" / f"{stem}.ipynb",
                                    analysis if stem == "annual_report" else None), stem, {"data": "x"})
                   for stem in ("annual_report", "budget_allocation", "technical_annex")]
        jobs = [(empty_notebook(tmp / f"e{k}.ipynb"), f"e{k}", {"data": "x"}) for k in range(3)]
        floors, runs, replayed = [], [], []
        for i in range(args.repeat):
            t = time.perf_counter()
            render_all(jobs, tmp / f"floor{i}", lambda s: s, "mof2020", quiet)
            floors.append(time.perf_counter() - t)
            t = time.perf_counter()
            render_all(replays, tmp / f"replay{i}", lambda s: s, "mof2020", quiet)
            replayed.append(time.perf_counter() - t)
            t = time.perf_counter()
            report(args.data, 2022, tmp / f"report{i}", month=5, progress=quiet)
            runs.append(time.perf_counter() - t)
    floor, run = statistics.median(floors), statistics.median(runs)
    print(f"floor (3 empty notebooks, papermill + HTML + PDF + Word): median {floor:.2f} s, best {min(floors):.2f} s")
    print(f"perfkit report on {args.data}: median {run:.2f} s, best {min(runs):.2f} s "
          f"(first run, validating the input: {first:.2f} s)")
    replay = statistics.median(replayed)
    print(f"replay (shows the finished outputs, writes the same unit letters, same export): median "
          f"{replay:.2f} s, best {min(replayed):.2f} s, worst {max(replayed):.2f} s (a report with zero analysis)")
    print(f"report ÷ replay: {run / replay:.2f}× of medians, {min(runs) / min(replayed):.2f}× of bests (target ≤ 1.5×); "
          f"report ÷ floor {run / floor:.2f}×; {args.repeat} runs each, report worst {max(runs):.2f} s")

if __name__ == "__main__":
    main()
