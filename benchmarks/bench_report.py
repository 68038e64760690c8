"""Wall time of ``perfkit report`` on the demo district next to its floor (a benchmark, not a test).

    python benchmarks/bench_report.py [--data data/demo/demo.xlsx] [--repeat 2]

The floor is what no report can avoid: papermill executing two empty parameterized notebooks in this
process plus the same HTML and PDF export of them. Target: the report within 2× the floor.
"""

from __future__ import annotations

import argparse
import json
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
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if not args.data.exists():
        from perfkit.demo import generate, write_demo

        write_demo(generate(), args.data.parent)
    quiet = lambda _msg: None  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floors, runs = [], []
        for i in range(args.repeat):
            jobs = [(empty_notebook(tmp / f"e{k}.ipynb"), f"e{k}", {"data": "x"}) for k in range(2)]
            t = time.perf_counter()
            render_all(jobs, tmp / f"floor{i}", lambda s: s, "mof2020", quiet)
            floors.append(time.perf_counter() - t)
            t = time.perf_counter()
            report(args.data, 2022, tmp / f"report{i}", month=5, progress=quiet)
            runs.append(time.perf_counter() - t)
    floor, run = min(floors), min(runs)
    print(f"floor (2 empty notebooks, papermill + HTML + PDF): {floor:.1f} s")
    print(f"perfkit report on {args.data}: {run:.1f} s")
    print(f"ratio: {run / floor:.2f}× (target ≤ 2×); best of {args.repeat}")


if __name__ == "__main__":
    main()
