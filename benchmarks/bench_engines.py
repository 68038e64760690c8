"""perfkit's rules against an equivalent DuckDB SQL implementation (a benchmark, not a test).

    python benchmarks/bench_engines.py --projects 10000 100000 1000000

On the same Parquet of already-parsed values (8 indicators per project; execution at the as-of month)
both engines compute: the execution score; forward, reverse (proportional) and equal indicator scores;
project totals; grades; the execution light and the seed's warning rule. Results are checked equal;
wall time (read → results in a pandas frame) and each engine's peak memory (own process) are printed.
Needs the optional extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SQL = """
WITH ind AS (
  SELECT project_id, weight,
    CASE
      WHEN cmp = '≥' THEN CASE WHEN actual >= target THEN weight
                              WHEN target > 0 THEN LEAST(weight, GREATEST(0, weight * GREATEST(actual, 0) / target))
                              ELSE 0 END
      WHEN cmp = '≤' THEN CASE WHEN actual <= target THEN weight
                              WHEN actual > 0 THEN LEAST(weight, GREATEST(0, weight * target / actual)) ELSE 0 END
      WHEN cmp = '=' THEN CASE WHEN target = 0 THEN CASE WHEN actual <= 0 THEN weight ELSE 0 END
                              WHEN actual >= target THEN weight
                              WHEN target > 0 THEN LEAST(weight, GREATEST(0, weight * GREATEST(actual, 0) / target))
                              ELSE 0 END
    END AS raw,
    CASE
      WHEN cmp = '≥' OR (cmp = '=' AND target <> 0) THEN LEAST(CASE WHEN target > 0 THEN actual / target
                                                                   WHEN actual >= target THEN 1 ELSE 0 END, 1)
      WHEN cmp = '≤' THEN CASE WHEN actual <= target THEN 1 WHEN actual > 0 THEN target / actual ELSE 0 END
      WHEN cmp = '=' THEN CASE WHEN actual <= 0 THEN 1 ELSE 0 END
    END AS comp
  FROM read_parquet('{ind}')
), per AS (
  SELECT project_id,
         SUM(SIGN(raw) * FLOOR(ABS(raw) * 100 + 0.5 + 1e-9) / 100) AS indicator_score,
         SUM(comp * weight) / NULLIF(SUM(weight), 0) AS completion
  FROM ind GROUP BY project_id
), p AS (
  SELECT p.*, CASE WHEN budget > 0 THEN spent / budget END AS rate,
         CASE WHEN budget > 0 THEN spent_cum / budget / ({month} / 12.0) END AS exec_ratio
  FROM read_parquet('{proj}') p
)
SELECT p.project_id,
       FLOOR(LEAST(p.rate, 1) * p.exec_weight * 100 + 0.5 + 1e-9) / 100 AS exec_score,
       FLOOR((FLOOR(LEAST(p.rate, 1) * p.exec_weight * 100 + 0.5 + 1e-9) / 100 + per.indicator_score) * 100 + 0.5 + 1e-9)
         / 100 AS total,
       CASE WHEN p.exec_ratio < 0.6 THEN '红' WHEN p.exec_ratio < 0.8 THEN '黄' ELSE '绿' END AS exec_light,
       (p.exec_ratio < 0.6) OR (ABS(LEAST(p.exec_ratio, 1) - per.completion) * 100 > {dev}) AS warning
FROM p JOIN per USING (project_id)
"""


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM belongs to the address space, so unlike ru_maxrss
    it is not inherited from the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(projects: int, month: int) -> Path:
    """Parse once with perfkit and store the values both engines start from."""
    folder = ROOT / "benchmarks" / "out" / f"p{projects}"
    parsed = folder / "parsed"
    if (parsed / "projects.parquet").exists():
        return parsed
    if not (folder / "指标监控.parquet").exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_score.py"), "--projects", str(projects),
                        "--only-generate"], check=True)
    from perfkit.analyses.evaluation import score_indicators
    from perfkit.io.load import load
    from perfkit.rules.rulebook import load_rules

    ds = load(folder, month=month)
    ind = score_indicators(ds.table("self_eval"), load_rules("mof2020", 2022))
    keep = ind["cmp"].isin(["≥", "≤", "="]) & ind["weight"].notna() & ind["actual"].notna() & ind["target"].notna()
    parsed.mkdir(parents=True, exist_ok=True)
    ind.loc[keep, ["project_id", "cmp", "target", "actual", "weight"]].to_parquet(parsed / "indicators.parquet")
    ex = ds.table("exec_monitor")[["project_id", "spent_cum"]]
    p = ds.table("projects")[["project_id", "budget", "spent"]].merge(ex, on="project_id", how="left")
    p = p.merge(ds.table("self_summary")[["project_id", "exec_weight"]], on="project_id", how="left")
    for c in ("budget", "spent", "spent_cum"):
        p[c] = p[c].astype("Float64").astype(float)
    p.to_parquet(parsed / "projects.parquet")
    return parsed


def run_perfkit(parsed: Path, month: int, deviation: float) -> pd.DataFrame:
    """perfkit's formulas, each applied to the rows of its comparison; keys and comparators stay
    dictionary-encoded (integer codes) from the Parquet file to the group sums."""
    import pyarrow.parquet as pq

    from perfkit.rules import formulas as F

    ind = pq.read_table(parsed / "indicators.parquet", read_dictionary=["project_id", "cmp"])
    pid = ind.column("project_id").combine_chunks()
    cmp = ind.column("cmp").combine_chunks()
    codes = pid.indices.to_numpy()
    kind_code = {k: i for i, k in enumerate(cmp.dictionary.to_pylist())}
    kc = cmp.indices.to_numpy()
    a, t, w = (ind.column(c).to_numpy() for c in ("actual", "target", "weight"))
    raw = np.zeros(len(a))
    comp = np.zeros(len(a))
    for kind, fn in (("≥", lambda m: F.forward_score(a[m], t[m], w[m])),
                     ("≤", lambda m: F.reverse_score(a[m], t[m], w[m], "proportional")),
                     ("=", lambda m: F.equal_score(a[m], t[m], w[m]))):
        if kind in kind_code:
            m = kc == kind_code[kind]
            raw[m] = fn(m)
            comp[m] = F.completion(a[m], t[m], kind)
    comp = np.minimum(comp, 1.0)
    n = len(pid.dictionary)
    score = np.bincount(codes, F.round_half_up(raw, 2), minlength=n)
    completion = np.bincount(codes, comp * w, n) / np.bincount(codes, w, n)
    proj = pq.read_table(parsed / "projects.parquet")
    ids = proj.column("project_id").to_pandas()
    at = pd.Index(pid.dictionary.to_pandas()).get_indexer(ids)  # each project's row in the indicator sums
    ok = at >= 0
    budget, spent, spent_cum, exec_w = (proj.column(c).to_numpy(zero_copy_only=False)[ok]
                                        for c in ("budget", "spent", "spent_cum", "exec_weight"))
    at = at[ok]
    rate = F.execution_rate(spent, budget)
    exec_score = F.execution_score(rate, exec_w, 2)
    ratio = F.execution_rate(spent_cum, budget) / (month / 12)
    warning = (ratio < 0.6) | (np.abs(np.minimum(ratio, 1) - completion[at]) * 100 > deviation)
    return pd.DataFrame({"project_id": ids[ok].to_numpy(), "exec_score": exec_score,
                         "total": F.round_half_up(exec_score + score[at], 2),
                         "exec_light": F.traffic_light(ratio, 0.6, 0.8), "warning": warning})


def run_duckdb(parsed: Path, month: int, deviation: float) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    sql = SQL.format(ind=parsed / "indicators.parquet", proj=parsed / "projects.parquet", month=month, dev=deviation)
    return con.execute(sql).df()


def grade(total: pd.Series) -> np.ndarray:
    from perfkit.rules import formulas as F

    return F.grade(total, {"优": 90, "良": 80, "中": 60})


def child(engine: str, parsed: str, month: int, deviation: float, out: str) -> None:
    t = time.perf_counter()
    frame = (run_perfkit if engine == "perfkit" else run_duckdb)(Path(parsed), month, deviation)
    frame["grade"] = grade(frame["total"])  # same banding for both (a lookup, not what is compared for speed)
    elapsed = time.perf_counter() - t
    frame.sort_values("project_id").reset_index(drop=True).to_parquet(out)
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--month", type=int, default=5)
    parser.add_argument("--deviation", type=float, default=20)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, parsed, month, deviation, out = args.child
        child(engine, parsed, int(month), float(deviation), out)
        return
    for n in args.projects:
        parsed = prepare(n, args.month)
        stats = {}
        for engine in ("perfkit", "duckdb"):
            out = parsed / f"result_{engine}.parquet"
            res = subprocess.run([sys.executable, __file__, "--child", engine, str(parsed), str(args.month),
                                  str(args.deviation), str(out)], check=True, capture_output=True, text=True)
            stats[engine] = json.loads(res.stdout.strip().splitlines()[-1])
        a = pd.read_parquet(parsed / "result_perfkit.parquet")
        b = pd.read_parquet(parsed / "result_duckdb.parquet")
        assert len(a) == len(b) and (a["project_id"].to_numpy() == b["project_id"].to_numpy()).all()
        assert np.allclose(a["exec_score"], b["exec_score"], atol=1e-9, equal_nan=True)
        assert np.allclose(a["total"], b["total"], atol=1e-6, equal_nan=True)
        same = (a["grade"].astype(str) == b["grade"].astype(str)).mean()
        assert same == 1.0, same
        assert (a["exec_light"].astype(str) == b["exec_light"].astype(str)).all()
        assert (a["warning"].astype(bool) == b["warning"].fillna(False).astype(bool)).all()
        pk, dd = stats["perfkit"], stats["duckdb"]
        print(f"projects={n:>9,}  perfkit {pk['seconds']:6.2f} s {pk['peak_mb']:7,.0f} MB   "
              f"duckdb {dd['seconds']:6.2f} s {dd['peak_mb']:7,.0f} MB   ratio {pk['seconds'] / dd['seconds']:.2f}×  "
              f"(results equal: totals, grades, lights, warnings)")


if __name__ == "__main__":
    main()
