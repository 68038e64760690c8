"""Wall time of ``perfkit report`` on the demo district next to its floor (a benchmark, not a test).

    python benchmarks/bench_report.py [--data data/demo/demo.xlsx] [--repeat 5]

The floor is what no report can avoid: papermill executing two empty parameterized notebooks in this
process plus the same HTML and PDF export of them. Target: the report within 2× the floor.
Floor and report runs alternate, so a slow spell of the machine hits both; the first report run
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


def empty_notebook(path: Path) -> Path:
    cells = [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "data = None", "outputs": [],
              "execution_count": None, "id": "p"}]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}),
        encoding="utf-8")
    return path


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
        floors, runs = [], []
        for i in range(args.repeat):
            jobs = [(empty_notebook(tmp / f"e{k}.ipynb"), f"e{k}", {"data": "x"}) for k in range(2)]
            t = time.perf_counter()
            render_all(jobs, tmp / f"floor{i}", lambda s: s, "mof2020", quiet)
            floors.append(time.perf_counter() - t)
            t = time.perf_counter()
            report(args.data, 2022, tmp / f"report{i}", month=5, progress=quiet)
            runs.append(time.perf_counter() - t)
    floor, run = statistics.median(floors), statistics.median(runs)
    print(f"floor (2 empty notebooks, papermill + HTML + PDF): median {floor:.2f} s, best {min(floors):.2f} s")
    print(f"perfkit report on {args.data}: median {run:.2f} s, best {min(runs):.2f} s "
          f"(first run, validating the input: {first:.2f} s)")
    print(f"ratio: {run / floor:.2f}× of medians, {min(runs) / min(floors):.2f}× of bests (target ≤ 2×); "
          f"{args.repeat} runs each")

if __name__ == "__main__":
    main()
