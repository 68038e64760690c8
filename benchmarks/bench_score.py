"""Speed and memory of the rules engine at scale (a benchmark, not a timed test).

    python benchmarks/bench_score.py --projects 1000000

Generates N projects (8 indicators each, 12 months of monitoring) with the demo generator, stores them
as Parquet, then times load → score → monitor → review → rank in one process and prints wall time per
stage and the peak resident memory of the whole run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perfkit.analyses import application, monitoring, review  # noqa: E402
from perfkit.analyses.evaluation import score_projects  # noqa: E402
from perfkit.demo import generate  # noqa: E402
from perfkit.io.load import load  # noqa: E402
from perfkit.io.write import write_tables_folder  # noqa: E402
from perfkit.rules.rulebook import load_rules  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_data(n: int, folder: Path, seed: int) -> None:
    """All tables as Parquet; 指标监控 (indicators × 12 months) is streamed month by month."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from perfkit.io.contract import IND_MONITOR
    from perfkit.io.write import to_contract_frame

    demo = generate(seed=seed, n_projects=n, indicators=8, stream_months=True)
    write_tables_folder(demo.tables, folder, fmt="parquet")
    writer = None
    for month in range(1, demo.months + 1):
        table = pa.Table.from_pandas(to_contract_frame(demo.ind_month(month), IND_MONITOR), preserve_index=False)
        writer = writer or pq.ParquetWriter(folder / "指标监控.parquet", table.schema)
        writer.write_table(table)
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--month", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--only-generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.data / f"p{args.projects}"
    if not (folder / "指标监控.parquet").exists():
        # generate in a child process so that the peak memory printed below is the pipeline's alone
        import subprocess

        t = time.perf_counter()
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); import bench_score as b; "
                f"from pathlib import Path; b.make_data({args.projects}, Path({str(folder)!r}), {args.seed})")
        subprocess.run([sys.executable, "-c", code], check=True)
        print(f"generated {args.projects:,} projects as Parquet in {time.perf_counter() - t:.1f} s → {folder}")
    if args.only_generate:
        return
    rules = load_rules("mof2020", 2022)
    times: dict[str, float] = {}
    peaks: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = load(folder, month=args.month)
    times["load"] = time.perf_counter() - t0
    peaks["load"] = peak_mb()
    t = time.perf_counter()
    scores = score_projects(ds, rules)
    times["score"] = time.perf_counter() - t
    peaks["score"] = peak_mb()
    t = time.perf_counter()
    mon = monitoring.monitor(ds, rules, args.month)
    times["monitor"] = time.perf_counter() - t
    peaks["monitor"] = peak_mb()
    t = time.perf_counter()
    findings = review.review_self_evaluation(scores.indicators, scores.projects, ds, rules)
    times["review"] = time.perf_counter() - t
    peaks["review"] = peak_mb()
    t = time.perf_counter()
    ranking = application.unit_ranking(ds, scores.projects, mon, findings, rules)
    times["rank"] = time.perf_counter() - t
    peaks["rank"] = peak_mb()
    total = time.perf_counter() - t0
    rows = {name: len(frame) for name, frame in ds.tables.items()}
    print(f"projects={args.projects:,} indicators={rows['self_eval']:,} monitoring rows="
          f"{rows['ind_monitor'] + rows['exec_monitor']:,}")
    print("  ".join(f"{k}={v:.1f}s" for k, v in times.items()))
    print("peak RSS after each stage: " + "  ".join(f"{k}={v:,.0f}MB" for k, v in peaks.items()))
    print(f"total={total:.1f}s  peak_rss={peak_mb():,.0f} MB  "
          f"findings={len(findings):,} warned={int(mon.projects['warning'].sum()):,} units={len(ranking)}")
    assert np.isfinite(scores.projects["total"]).all()


if __name__ == "__main__":
    main()
