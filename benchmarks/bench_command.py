"""`perfkit score DATA --out DIR`, end to end as users run it, against a DuckDB SQL implementation of the
same outputs (a benchmark, not a test).

    python benchmarks/bench_command.py --projects 100000 1000000 --repeats 3 [--jobs 1 2]

Data: bench_score.py's synthetic province in the contract's Parquet form (8 indicators per project,
12 months of 执行监控 and 指标监控, targets, ex-ante, archive). Each run is a child process; its peak
memory is the largest resident set of its process tree, polled every 50 ms (psutil).

perfkit: the command itself (load, every analysis, every output file). DuckDB: one SQL script that reads
the same Parquet and writes 项目得分.csv, 指标得分.csv and 审核发现.csv with the contract's columns — the
comparators, numbers and units parsed from the text cells with regular expressions, forward / reverse /
equal / range / deadline / qualitative scores, a 说明 sentence on every indicator and project row, the
execution score, totals, grades, nine finding types, formula-leading text neutralised — with DuckDB's
own CSV writer. It is the core of the rules, not all of them: perfkit also writes 监控预警, 单位综合排名,
目标设置审核, 评价档案 and 隔离记录, validates every cell and quarantines bad rows.

Results are checked equal on the columns both produce: 执行率得分 of every project, and 得分 of every
indicator row both engines parsed to the same comparator, target and actual.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ----------------------------------------------------------------------------------------------- DuckDB

def _words(words: list[str]) -> str:
    return "|".join(w.replace("(", r"\(").replace(")", r"\)") for w in words)


def duckdb_sql(data: Path, out: Path, month: int) -> list[str]:  # month: unused (no monitoring in the SQL)
    """The SQL script (one statement per entry). Word lists and bands come from the rulebook."""
    from perfkit.rules.rulebook import load_rules

    r = load_rules("mof2020", 2022)
    phrases, points = r["evaluation.qualitative_phrases"], r["evaluation.qualitative_points"]
    bands = sorted(r["evaluation.grade_bands"].items(), key=lambda kv: -kv[1])
    grade_case = " ".join(f"WHEN total >= {v} THEN '{k}'" for k, v in bands) + f" ELSE '{r['evaluation.grade_below']}'"
    band_text = "、".join(f"{k}≥{v}" for k, v in bands)
    reverse = _words(r["evaluation.reverse_keywords"])
    tol = r["evaluation.score_tolerance"]
    d, o = data, out
    return [
        r"""CREATE MACRO neutral(x) AS CASE WHEN regexp_matches(x, '^[=+\-@\t\r].', 's') THEN '''' || x ELSE x END""",
        r"""CREATE MACRO fmt(x) AS regexp_replace(CAST(round(x, 2) AS VARCHAR), '\.0+$', '')""",
        r"""CREATE MACRO num(x) AS TRY_CAST(replace(regexp_extract(x, '(-?[0-9][0-9.,]*)', 1), ',', '') AS DOUBLE)""",
        r"""CREATE MACRO rnd(x) AS sign(x) * floor(abs(x) * 100 + 0.5 + 1e-9) / 100""",
        rf"""CREATE TABLE se AS
        SELECT file_row_number + 2 AS src_row, 项目编码 AS pid, 三级指标 AS ind, 指标值 AS tt, 实际完成值 AS av,
               分值 AS w, 得分 AS us, coalesce(偏差原因分析及改进措施, '') AS reason,
               regexp_replace(coalesce(指标值, ''), '\s', '', 'g') AS t0,
               regexp_replace(coalesce(实际完成值, ''), '\s', '', 'g') AS a0
        FROM read_parquet('{d}/绩效自评.parquet', file_row_number = true)""",
        rf"""CREATE TABLE parsed AS
        SELECT *,
          CASE WHEN regexp_matches(t0, '^(≥|⩾|>=|=>|≧|不低于|不少于)') THEN '≥'
               WHEN regexp_matches(t0, '^(≤|⩽|<=|=<|≦|不超过|不高于|不多于)') THEN '≤'
               WHEN regexp_matches(t0, '^(=|＝|﹦)') THEN '='
               WHEN regexp_matches(t0, '^[0-9.]+%?(-|~|～|至|—)[0-9.]+') THEN '区间'
               WHEN regexp_matches(t0, '^[0-9]{{4}}年[0-9]{{1,2}}月') THEN '时效'
               WHEN regexp_matches(t0, '^[0-9]') THEN CASE WHEN regexp_matches(ind, '{reverse}') THEN '≤' ELSE '≥' END
               WHEN t0 = '' THEN NULL ELSE '定性' END AS cmp,
          num(t0) AS target,
          TRY_CAST(regexp_extract(t0, '[0-9.]+%?(?:-|~|～|至|—)([0-9.]+)', 1) AS DOUBLE) AS target_hi,
          regexp_extract(t0, '[0-9][0-9.,]*(%|[^0-9.,%~～至—-]*)$', 1) AS unit,
          CASE WHEN regexp_matches(a0, '^(≥|⩾|>=|≧|≤|⩽|<=|≦)') THEN true ELSE false END AS copied,
          num(a0) AS actual,
          CASE WHEN regexp_matches(t0, '^[0-9]{{4}}年') THEN
            TRY_CAST(make_date(CAST(num(t0) AS INT), CAST(regexp_extract(t0, '年([0-9]{{1,2}})月', 1) AS INT), 1)
                     AS DATE) END AS t_month,
          TRY_CAST(regexp_extract(t0, '月([0-9]{{1,2}})日', 1) AS INT) AS t_day,
          CAST(try_strptime(regexp_extract(a0, '^([0-9]{{4}}年[0-9]{{1,2}}月[0-9]{{1,2}}日)', 1), '%Y年%m月%d日') AS DATE)
            AS a_date,
          CASE WHEN regexp_matches(a0, '{_words(phrases['未达成'])}') THEN '未达成'
               WHEN regexp_matches(a0, '{_words(phrases['部分达成'])}') THEN '部分达成'
               WHEN regexp_matches(a0, '{_words(phrases['达成'])}') THEN '达成' END AS tier
        FROM se""",
        rf"""CREATE TABLE ind AS
        WITH s AS (
          SELECT *, CASE WHEN t_month IS NULL THEN NULL WHEN t_day IS NULL THEN last_day(t_month)
                         ELSE t_month + INTERVAL (t_day - 1) DAY END AS deadline
          FROM parsed)
        SELECT *,
          CASE
            WHEN w IS NULL THEN NULL
            WHEN cmp = '≥' AND actual IS NOT NULL AND target IS NOT NULL THEN
              CASE WHEN actual >= target THEN w WHEN target > 0 THEN least(w, greatest(0, w * greatest(actual, 0) / target))
                   ELSE 0 END
            WHEN cmp = '≤' AND actual IS NOT NULL AND target IS NOT NULL THEN
              CASE WHEN actual <= target THEN w WHEN actual > 0 THEN least(w, greatest(0, w * target / actual)) ELSE 0 END
            WHEN cmp = '=' AND actual IS NOT NULL AND target IS NOT NULL THEN
              CASE WHEN target = 0 THEN CASE WHEN actual <= 0 THEN w ELSE 0 END WHEN actual >= target THEN w
                   WHEN target > 0 THEN least(w, greatest(0, w * greatest(actual, 0) / target)) ELSE 0 END
            WHEN cmp = '区间' AND actual IS NOT NULL AND target_hi IS NOT NULL THEN
              CASE WHEN actual BETWEEN target AND target_hi THEN w WHEN actual < target AND target > 0
                   THEN w * greatest(actual, 0) / target WHEN actual > 0 THEN w * target_hi / actual ELSE 0 END
            WHEN cmp = '时效' AND a_date IS NOT NULL AND deadline IS NOT NULL THEN
              CASE WHEN a_date <= deadline THEN w ELSE 0 END
            WHEN cmp = '定性' AND tier IS NOT NULL THEN
              w * CASE tier WHEN '达成' THEN {points['达成']} WHEN '部分达成' THEN {points['部分达成']}
                            ELSE {points['未达成']} END
          END AS raw,
          CASE
            WHEN cmp IN ('≥', '=') AND target > 0 THEN least(actual / target, 1)
            WHEN cmp = '≤' THEN CASE WHEN actual <= target THEN 1 WHEN actual > 0 THEN target / actual ELSE 0 END
            WHEN cmp = '区间' THEN CASE WHEN actual BETWEEN target AND target_hi THEN 1
                                       WHEN actual < target AND target > 0 THEN actual / target ELSE target_hi / actual END
            WHEN cmp = '时效' THEN CASE WHEN a_date <= deadline THEN 1 ELSE 0 END
            WHEN cmp = '定性' THEN CASE tier WHEN '达成' THEN 1 WHEN '部分达成' THEN {points['部分达成']}
                                            ELSE {points['未达成']} END
          END AS comp
        FROM s""",
        rf"""CREATE TABLE ind2 AS
        SELECT *, rnd(raw) AS score,
          CASE
            WHEN raw IS NULL THEN '无法复算：' || CASE WHEN w IS NULL THEN '表中无分值' WHEN a0 = '' THEN '实际完成值未填写'
                                                     WHEN cmp IS NULL THEN '指标值未填写'
                                                     ELSE '实际完成值「' || a0 || '」无法与目标「' || t0 || '」比较' END
                 || '；该行不计 0 分，项目复算待核实（本局设定）'
            WHEN cmp = '≥' AND raw = w THEN '正向：实际 ' || fmt(actual) || unit || ' ≥ 目标 ' || fmt(target) || unit
                 || ' → 满分 ' || fmt(w) || '（依据 {r.cite("evaluation.forward_rule")}，规则 evaluation.forward_rule）'
            WHEN cmp = '≥' THEN '正向：实际 ' || fmt(actual) || unit || ' < 目标 ' || fmt(target) || unit || ' → 按比例 '
                 || fmt(w) || '×' || fmt(actual) || '/' || fmt(target) || ' = ' || fmt(rnd(raw))
                 || '（依据 {r.cite("evaluation.forward_rule")}，规则 evaluation.forward_rule）'
            WHEN cmp = '≤' AND raw = w THEN '反向：实际 ' || fmt(actual) || unit || ' ≤ 目标 ' || fmt(target) || unit
                 || ' → 满分 ' || fmt(w) || '（依据 {r.cite("evaluation.reverse_rule")}，规则 evaluation.reverse_rule）'
            WHEN cmp = '≤' THEN '反向：实际 ' || fmt(actual) || unit || ' > 目标 ' || fmt(target) || unit || ' → 按比例 '
                 || fmt(w) || '×' || fmt(target) || '/' || fmt(actual) || ' = ' || fmt(rnd(raw))
                 || '（依据 {r.cite("evaluation.reverse_rule")}，规则 evaluation.reverse_rule）'
            WHEN cmp = '=' THEN '等于：目标 ' || fmt(target) || unit || '，实际 ' || fmt(actual) || unit || ' → '
                 || fmt(rnd(raw)) || '（依据 {r.cite("evaluation.forward_rule")}，规则 evaluation.forward_rule）'
            WHEN cmp = '区间' THEN '区间：目标 ' || fmt(target) || '–' || fmt(target_hi) || unit || '，实际 ' || fmt(actual)
                 || unit || ' → ' || fmt(rnd(raw)) || '（依据 {r.cite("evaluation.range_above_rule")}，规则 evaluation.range_above_rule）'
            WHEN cmp = '时效' THEN '时效：完成日期 ' || CAST(a_date AS VARCHAR) || '，期限 ' || CAST(deadline AS VARCHAR)
                 || ' → ' || fmt(rnd(raw)) || '（依据 {r.cite("evaluation.deadline_late_share")}，规则 evaluation.deadline_late_share）'
            ELSE '定性：「' || a0 || '」→' || tier || '，按档取 ' || fmt(raw / w) || '×' || fmt(w) || ' = ' || fmt(rnd(raw))
                 || '（依据 {r.cite("evaluation.qualitative_points")}，规则 evaluation.qualitative_points）'
          END || CASE WHEN copied THEN '；实际值带比较符，疑照抄目标值' ELSE '' END AS explanation
        FROM ind""",
        rf"""CREATE TABLE proj AS
        WITH per AS (
          SELECT pid, sum(score) AS indicator_score, sum(w) AS wsum, sum(CASE WHEN score IS NOT NULL THEN w END) AS scored_w,
                 count(*) FILTER (WHERE score IS NULL AND coalesce(w, 1) <> 0) AS n_unscored,
                 sum(least(comp, 1) * w) / nullif(sum(w) FILTER (WHERE comp IS NOT NULL), 0) AS completion,
                 sum(us) AS us_sum
          FROM ind2 GROUP BY pid),
        p AS (
          SELECT p.项目编码 AS pid, p.全年预算数 AS budget, p.全年执行数 AS spent,
                 s.执行率分值 AS ew_given, coalesce(s.执行率分值, {r['evaluation.execution_weight']}) AS ew,
                 s.执行率得分 AS unit_exec, s.自评总分 AS unit_total
          FROM read_parquet('{d}/项目.parquet') p LEFT JOIN read_parquet('{d}/自评汇总.parquet') s USING (项目编码)),
        j AS (
          SELECT p.*, per.* EXCLUDE (pid), CASE WHEN budget > 0 THEN spent / budget END AS rate FROM p JOIN per USING (pid)),
        k AS (
          SELECT *, CASE WHEN rate IS NOT NULL THEN rnd(least(rate, 1) * ew) END AS exec_score,
                 CASE WHEN n_unscored = 0 AND rate IS NOT NULL THEN '完整' ELSE '待核实' END AS status FROM j),
        t AS (
          SELECT *, rnd(coalesce(exec_score, 0) + coalesce(indicator_score, 0)) AS recomputed,
                 coalesce(scored_w, 0) + CASE WHEN rate IS NOT NULL THEN ew ELSE 0 END AS points FROM k)
        SELECT *, CASE WHEN status = '完整' THEN recomputed END AS total,
               CASE WHEN status = '完整' THEN (CASE {grade_case.replace('total', 'recomputed')} END)
                    ELSE (CASE {grade_case.replace('total', 'unit_total')} END) || '（待核实）' END AS grade
        FROM t""",
        rf"""COPY (SELECT neutral(pid) AS 项目编码, rate AS 执行率, coalesce(exec_score, unit_exec) AS 执行率得分, indicator_score AS 指标得分,
                      recomputed AS 总分, grade AS 等级, unit_total AS 自评总分,
                      CASE WHEN status = '完整' THEN rnd(unit_total - recomputed) END AS 差异, points AS 可复算分值,
                      status AS 复算状态, completion AS 指标总体完成率,
                      '执行率 ' || fmt(rate * 100) || '%（封顶 100%）× ' || fmt(ew) || ' 分 = ' || coalesce(fmt(exec_score), '—')
                      || '（依据 {r.cite("evaluation.execution_weight")}，规则 evaluation.execution_weight）；指标得分合计 '
                      || coalesce(fmt(indicator_score), '0')
                      || CASE WHEN n_unscored > 0 THEN '，' || n_unscored || ' 个指标无法复算' ELSE '' END
                      || '；总分 ' || fmt(recomputed) || '，等级 ' || grade || '（{band_text}，依据 '
                      || '{r.cite("evaluation.grade_bands")}，规则 evaluation.grade_bands）' AS 说明
              FROM proj ORDER BY pid) TO '{o}/项目得分.csv' (HEADER)""",
        rf"""COPY (SELECT neutral(pid) AS 项目编码, neutral(ind) AS 三级指标, cmp AS 比较方式, target AS 目标值,
                      actual AS 实际值, unit AS 单位, w AS 分值, score AS 得分, us AS 自评得分, explanation AS 说明,
                      neutral(tt) AS 指标值, neutral(av) AS 实际完成值, src_row AS 源表行号
              FROM ind2 ORDER BY src_row) TO '{o}/指标得分.csv' (HEADER)""",
        rf"""COPY (
          SELECT neutral(pid) AS 项目编码, neutral(ind) AS 三级指标, 问题类型, 说明 FROM (
            SELECT pid, ind, src_row, '无法复算' AS 问题类型, explanation AS 说明 FROM ind2 WHERE score IS NULL
            UNION ALL SELECT pid, ind, src_row, '未完成目标仍得满分', '完成率 ' || fmt(comp * 100) || '%，单位仍给满分 ' || fmt(w)
              FROM ind2 WHERE comp < 1 AND us >= w
            UNION ALL SELECT pid, ind, src_row, '缺少偏差说明', '完成率 ' || fmt(comp * 100) || '%，未填写偏差原因分析'
              FROM ind2 WHERE comp < {r['review.explain_below']} AND trim(reason) = ''
            UNION ALL SELECT pid, ind, src_row, '实际值照抄目标值', '实际完成值「' || a0 || '」带比较符' FROM ind2 WHERE copied
            UNION ALL SELECT pid, ind, src_row, '得分与规则不符', '自评得分 ' || fmt(us) || '，按规则应为 ' || fmt(score)
              FROM ind2 WHERE abs(us - score) > {tol} AND NOT (comp < 1 AND us >= w)
            UNION ALL SELECT pid, NULL, 0, '分值合计不符', '指标分值合计 ' || fmt(wsum) || ' + 执行率分值 ' || fmt(ew) || ' ≠ 100'
              FROM proj WHERE abs(wsum + ew - 100) > {tol}
            UNION ALL SELECT pid, NULL, 0, '自评总分超过满分', '自评总分 ' || fmt(unit_total) || ' 超过 100'
              FROM proj WHERE unit_total > 100 + {tol}
            UNION ALL SELECT pid, NULL, 0, '总分与分项不符', '自评总分 ' || fmt(unit_total) || '，分项合计 ' || fmt(us_sum + unit_exec)
              FROM proj WHERE abs(unit_total - us_sum - unit_exec) > {tol}
            UNION ALL SELECT pid, NULL, 0, '执行率计算错误', '执行率得分 ' || fmt(unit_exec) || '，按执行率应为 ' || fmt(exec_score)
              FROM proj WHERE abs(unit_exec - exec_score) > {tol}
          ) ORDER BY pid, src_row) TO '{o}/审核发现.csv' (HEADER)""",
    ]


def run_duckdb(data: Path, out: Path, month: int) -> None:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for stmt in duckdb_sql(data.absolute(), out.absolute(), month):
        con.execute(stmt)


# ----------------------------------------------------------------------------------------- measuring

def measure(cmd: list[str]) -> tuple[float, float, float, list[float]]:
    """Wall seconds, the peak resident memory (MB) of ``cmd``'s whole process tree (the processes added
    up at each poll), its CPU seconds (user + system; on a shared machine the steadier figure — DuckDB's
    threads add theirs up) and each process's own peak (MB, largest first)."""
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    each: dict[int, int] = {}
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        p = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                sizes = {q.pid: q.memory_info().rss for q in (p, *p.children(recursive=True))}
                peak = max(peak, sum(sizes.values()))
                each.update({k: max(v, each.get(k, 0)) for k, v in sizes.items()})
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - t
    done.set()
    th.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, peak / 2**20, cpu, sorted((v / 2**20 for v in each.values() if v > 50 * 2**20), reverse=True)


def check_equal(pk: Path, dd: Path) -> str:
    """执行率得分 per project, 得分 per indicator row parsed alike — equal; returns what was compared."""
    import duckdb

    con = duckdb.connect()
    q = (f"SELECT count(*), count(*) FILTER (WHERE abs(a.执行率得分 - b.执行率得分) > 1e-9 OR "
         f"(a.执行率得分 IS NULL) <> (b.执行率得分 IS NULL)) FROM read_csv('{pk}/项目得分.csv', all_varchar=false) a "
         f"JOIN read_csv('{dd}/项目得分.csv') b ON CAST(a.项目编码 AS VARCHAR) = CAST(b.项目编码 AS VARCHAR)")
    n_proj, bad_proj = con.execute(q).fetchall()[0]
    q = (f"SELECT count(*), count(*) FILTER (WHERE abs(a.得分 - b.得分) > 1e-9) "
         f"FROM read_csv('{pk}/指标得分.csv') a JOIN read_csv('{dd}/指标得分.csv') b USING (源表行号) "
         f"WHERE a.比较方式 IN ('≥', '≤', '=') AND a.比较方式 = b.比较方式 AND a.目标值 = b.目标值 "
         f"AND a.实际值 = b.实际值 AND a.得分 IS NOT NULL AND b.得分 IS NOT NULL")
    n_ind, bad_ind = con.execute(q).fetchall()[0]
    n_rows = con.execute(f"SELECT count(*) FROM read_csv('{pk}/指标得分.csv')").fetchall()[0][0]
    assert bad_proj == 0 and bad_ind == 0, (bad_proj, bad_ind)
    assert n_proj > 0 and n_ind > 0.5 * n_rows, (n_proj, n_ind, n_rows)
    return f"equal: 执行率得分 of {n_proj:,} projects, 得分 of {n_ind:,} of {n_rows:,} indicator rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--month", default="5", help="perfkit's --month (监控 computed for it), or none: no "
                        "monitoring, as the DuckDB SQL computes none (perfkit then does not read the two monitoring tables)")
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"], help="perfkit's output format")
    parser.add_argument("--jobs", type=int, nargs="*", default=None,
                        help="perfkit's --jobs values to time (default: none given, the command's own choice)")
    parser.add_argument("--duckdb-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_child:
        data, out, month = args.duckdb_child
        run_duckdb(Path(data), Path(out), int(month))
        return
    rows = []
    for n in args.projects:
        data = ROOT / "benchmarks" / "out" / f"p{n}"
        if not (data / "指标监控.parquet").exists():
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_score.py"), "--projects", str(n),
                            "--only-generate"], check=True)
        work = Path(tempfile.mkdtemp(prefix="bench_command_"))
        engines = [f"perfkit --jobs {j}" for j in args.jobs] if args.jobs else ["perfkit"]
        stats: dict[str, list[tuple[float, float, float, list[float]]]] = {e: [] for e in [*engines, "duckdb"]}
        try:
            for i in range(args.repeats):
                for engine in stats:  # alternated, so that load on the machine hits every engine alike
                    out = work / f"{engine.replace(' ', '')}{i}"
                    jobs = engine.split()[2:]
                    month = [] if args.month == "none" else ["--month", str(int(args.month))]
                    cmd = ([sys.executable, "-m", "perfkit", "score", str(data), "--out", str(out), *month]
                           + (["--format", "parquet"] if args.format == "parquet" else [])
                           + (["--jobs", *jobs] if jobs else [])
                           if engine.startswith("perfkit") else
                           [sys.executable, __file__, "--duckdb-child", str(data), str(out), "0"])
                    stats[engine].append(measure(cmd))
                    wall, mb, cpu, each = stats[engine][-1]
                    print(f"  {n:,} {engine} run {i + 1}: {wall:.1f} s, {mb:,.0f} MB (per process "
                          f"{' + '.join(f'{x:,.0f}' for x in each)}), cpu {cpu:.1f} s, load {os.getloadavg()[0]:.1f}",
                          flush=True)
            first = work / f"{engines[0].replace(' ', '')}0"
            checked = check_equal(first, work / "duckdb0") if args.format == "csv" else "not compared"
            if args.format == "csv":
                for other in engines[1:]:  # every --jobs writes the same bytes
                    there = work / f"{other.replace(' ', '')}0"
                    same = all(f.read_bytes() == (there / f.name).read_bytes() for f in first.glob("*.csv"))
                    checked += f"; {other} {'byte-identical to' if same else 'DIFFERS from'} {engines[0]}"
            sizes = {e: sum(f.stat().st_size for f in (work / f"{e.replace(' ', '')}0").iterdir()) / 2**20
                     for e in (engines[0], "duckdb")}
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append((n, stats, checked, sizes, engines[0]))
    print()
    print("| projects | command | wall (median, min–max) | CPU | peak (sum of processes) | per process | "
          "ratio to DuckDB (wall) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, stats, _, _, _ in rows:
        base = statistics.median(s[0] for s in stats["duckdb"])
        for e, runs in stats.items():
            t = [s[0] for s in runs]
            given = ([] if args.month == "none" else ["--month", args.month]) + e.split()[1:]
            name = f"`perfkit score {' '.join(given)}`".replace(" `", "`") if e != "duckdb" else "DuckDB SQL"
            print(f"| {n:,} | {name} | {statistics.median(t):.1f} s ({min(t):.1f}–{max(t):.1f}) | "
                  f"{statistics.median(s[2] for s in runs):.1f} s | {max(s[1] for s in runs) / 1024:.2f} GB | "
                  f"{' + '.join(f'{x / 1024:.2f}' for x in max((s for s in runs), key=lambda s: s[1])[3])} GB | "
                  f"{statistics.median(t) / base:.2f}× |")
    for n, _, checked, sizes, first in rows:
        print(f"{n:,}: {checked}; output {sizes[first]:,.0f} MB (perfkit, all files) vs "
              f"{sizes['duckdb']:,.0f} MB (DuckDB, three files); {args.repeats} runs each")

if __name__ == "__main__":
    main()
