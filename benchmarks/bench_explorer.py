"""The kernel's own time per explorer update on the demo district (a benchmark, not a test).

    python benchmarks/bench_explorer.py [--data data/demo/demo.xlsx] [--archive data/demo/perfkit.duckdb]

Opens the explorer twice (the first opening computes the view unless ``perfkit report`` or an earlier
opening kept it for the same input; the second starts from what the first kept — each says which),
waits for the background warm-up to finish (the thread joined), then times each kind of widget change
(filters, threshold, month, profile, drill-down, the year switch there and back, the export of the full
view, five times), the way an analyst meets them, and prints median, p90, the spread (fastest–slowest)
and n in milliseconds of kernel time (target ≤ 50 ms an update, export ≤ 500 ms), with the machine's
load average beside them. What the browser shows end to end: benchmarks/bench_explorer_browser.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfkit.reporting.explorer import ALL, open_explorer  # noqa: E402


def load() -> str:
    try:
        return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "load ?"


def line(name: str, times: list[float]) -> str:
    good = sorted(times)
    p90 = good[min(len(good) - 1, int(round(0.9 * (len(good) - 1))))]
    return (f"{name:12s} median {statistics.median(good):7.1f} ms   p90 {p90:7.1f} ms   "
            f"spread {good[0]:.1f}–{good[-1]:.1f} ms   (n={len(good)})")


def opened(data: Path, archive: Path | None, month: int):
    t = time.perf_counter()
    ui = open_explorer(data, month=month, export_dir="/tmp/perfkit-bench-export", archive=archive)
    took = time.perf_counter() - t
    for t in threading.enumerate():
        if t.name == "perfkit-explorer-keep":
            t.join()
    print(f"open {took:.2f} s — {ui.opened.value.removeprefix('<small>')[:34]}… ({load()})")
    return ui


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/demo/demo.xlsx"))
    parser.add_argument("--archive", type=Path, default=None, help="年度档案 (default: the one beside the data)")
    parser.add_argument("--month", type=int, default=5)
    args = parser.parse_args()
    ui = opened(args.data, args.archive, args.month)
    ui = opened(args.data, args.archive, args.month)
    t = time.perf_counter()
    for w in threading.enumerate():
        if w.name == "perfkit-explorer-warm":
            w.join()
    print(f"background warm-up of every profile × month finished {time.perf_counter() - t:.1f} s later ({load()})")
    changes = {
        "category": [("乡村振兴资金支出",), ("乡村振兴资金支出", "部门项目支出"), ()],
        "grade": [("优",), ("中", "待核实"), ()],
        "light": [("红",), ("绿",), ()],
        "unit": [(u,) for u in ui.w["unit"].options[1:4]] + [()],
        "warning": ["是", "否", ALL],
        "search": ["小学", "2022101", ""],
        "threshold": [10, 15, 25, 30, 20],
        "month": [3, 6, 9, 12, args.month],
        "profile": ["exec20", "linear", "bands807060", "mof2020"],
    }
    times: dict[str, list[float]] = {}
    for name, values in changes.items():
        for v in values:
            t = time.perf_counter()
            ui.w[name].value = v
            times.setdefault(name, []).append((time.perf_counter() - t) * 1000)
    ui.tabs.selected_index = 2
    for _label, pid in ui.project.options[1:6]:
        t = time.perf_counter()
        ui.project.value = pid
        times.setdefault("drill-down", []).append((time.perf_counter() - t) * 1000)
    ui.tabs.selected_index = 0
    if ui.year_w is not None:
        home = ui.year_w.value
        other = [y for _, y in ui.year_w.options if y != home][-1]
        ui.year_w.value = other  # its first time: the archived year is read and analysed
        ui.year_w.value = home
        for _ in range(3):
            for y in (other, home):
                t = time.perf_counter()
                ui.year_w.value = y
                times.setdefault("year switch", []).append((time.perf_counter() - t) * 1000)
    cpu = []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        ui.export()
        times.setdefault("export", []).append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)  # this process's CPU time: what a quiet machine would take
    for name, ms in times.items():
        print(line(name, ms))
    print(line("export (CPU)", cpu) + "  — the CPU time of the kernel process (threads included) while exporting")
    worst = max(max(ms) for name, ms in times.items() if name not in ("export", "year switch"))
    print(f"export of all {len(ui.view)} rows: target ≤ 500 ms; worst update {worst:.0f} ms of kernel time "
          f"(target ≤ 50 ms) — {load()}")


if __name__ == "__main__":
    main()
