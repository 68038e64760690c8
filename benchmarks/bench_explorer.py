"""The kernel's own time per explorer update on the demo district (a benchmark, not a test).

    python benchmarks/bench_explorer.py [--data data/demo/demo.xlsx]

Times each kind of widget change (filters, threshold, month, profile, drill-down) after the background
warm-up, the way an analyst meets them, and prints median and worst milliseconds of kernel time
(target ≤ 50 ms). What the browser shows end to end: benchmarks/bench_explorer_browser.py (≤ 200 ms).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfkit.reporting.explorer import ALL, Explorer, ExplorerUI  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/demo/demo.xlsx"))
    args = parser.parse_args()
    t = time.perf_counter()
    ex = Explorer.open(args.data)
    opened = time.perf_counter() - t
    t = time.perf_counter()
    ex.warm().join()
    warmed = time.perf_counter() - t
    ui = ExplorerUI(ex, month=5, export_dir="/tmp")
    changes = {
        "category": [("乡村振兴资金支出",), ("乡村振兴资金支出", "部门项目支出"), ()],
        "grade": [("优",), ("中", "待核实"), ()],
        "light": [("红",), ("绿",), ()],
        "unit": [(u,) for u in ui.w["unit"].options[1:4]] + [()],
        "warning": ["是", "否", ALL],
        "search": ["小学", "2022101", ""],
        "threshold": [10, 15, 25, 30, 20],
        "month": [3, 6, 9, 12, 5],
        "profile": ["exec20", "linear", "bands807060", "mof2020"],
    }
    t = time.perf_counter()
    ui.export()
    print(f"export of all {len(ui.view)} rows {1000 * (time.perf_counter() - t):.0f} ms (target ≤ 500 ms)")
    print(f"open {opened:.1f} s, background warm-up of every profile × month {warmed:.1f} s")
    worst_all = 0.0
    for name, values in changes.items():
        times = []
        for v in values:
            t = time.perf_counter()
            ui.w[name].value = v
            times.append((time.perf_counter() - t) * 1000)
        worst_all = max(worst_all, max(times))
        print(f"{name:10s} median {statistics.median(times):6.1f} ms   worst {max(times):6.1f} ms")
    ui.tabs.selected_index = 2
    times = []
    for _label, pid in ui.project.options[1:6]:
        t = time.perf_counter()
        ui.project.value = pid
        times.append((time.perf_counter() - t) * 1000)
    worst_all = max(worst_all, max(times))
    print(f"{'drill-down':10s} median {statistics.median(times):6.1f} ms   worst {max(times):6.1f} ms")
    print(f"worst update {worst_all:.0f} ms of kernel time (target ≤ 50 ms)")


if __name__ == "__main__":
    main()
