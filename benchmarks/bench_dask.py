"""`perfkit score --engine dask` on a partitioned province: workers read their own parts (a benchmark).

    python benchmarks/bench_dask.py --projects 1000000 --parts 8 --workers 2 [--one-process]

1. `perfkit partition` splits bench_score.py's synthetic province (Parquet) into ``--parts`` folders of
   whole units (timed, with its peak memory: it streams, so it never holds a whole table);
2. `perfkit score PARTS --engine dask` on a LocalCluster of ``--workers`` worker processes: each worker
   loads its parts from disk and writes its part of every table. Printed: wall time, the client's peak
   memory (it gathers one ranking row per unit) and each worker's;
3. with ``--one-process``, the plain `perfkit score DATA --format parquet` for comparison (time, peak).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_command import measure  # noqa: E402


def child(parts: str, out: str, month: int, workers: int) -> None:
    import perfkit.api as pk

    run = pk.score_partitioned(parts, out, month=month, workers=workers)
    print(json.dumps({"seconds": run.seconds, "client_peak_mb": run.client_peak_mb, "workers": run.worker_peak_mb,
                      "rows": run.rows}, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--month", type=int, default=5)
    parser.add_argument("--one-process", action="store_true")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        parts, out, month, workers = args.child
        child(parts, out, int(month), int(workers))
        return
    data = ROOT / "benchmarks" / "out" / f"p{args.projects}"
    if not (data / "指标监控.parquet").exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_score.py"), "--projects", str(args.projects),
                        "--only-generate"], check=True)
    work = Path(tempfile.mkdtemp(prefix="bench_dask_", dir=ROOT / "benchmarks" / "out"))
    try:
        parts = work / "parts"
        p_sec, p_mb, _ = measure([sys.executable, "-m", "perfkit", "partition", str(data), "--out", str(parts),
                               "--parts", str(args.parts)])
        res = subprocess.run([sys.executable, __file__, "--child", str(parts), str(work / "out"), str(args.month),
                              str(args.workers)], check=True, capture_output=True, text=True)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        one = measure([sys.executable, "-m", "perfkit", "score", str(data), "--out", str(work / "one"), "--month",
                       str(args.month), "--format", "parquet"]) if args.one_process else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nprojects={args.projects:,} indicator rows={r['rows'].get('indicators', 0):,} parts={args.parts} "
          f"workers={args.workers} (LocalCluster, worker processes)\n")
    print("| step | wall | peak memory |")
    print("|---|---:|---:|")
    print(f"| perfkit partition (streamed) | {p_sec:.1f} s | {p_mb / 1024:.2f} GB |")
    print(f"| score --engine dask: client | {r['seconds']:.1f} s | {r['client_peak_mb'] / 1024:.2f} GB |")
    for i, (w, mb) in enumerate(sorted(r["workers"].items())):
        print(f"| score --engine dask: worker {i + 1} ({w}) | | {mb / 1024:.2f} GB |")
    if one:
        print(f"| one process: perfkit score --format parquet | {one[0]:.1f} s | {one[1] / 1024:.2f} GB |")


if __name__ == "__main__":
    main()
