"""`perfkit score` on two cores (a second process for monitoring, targets and archive; the 说明 of
指标得分 on threads) writes the same files, byte for byte, as one core — on the demo and on a folder
where every table has a row to quarantine; and the rules computed in row chunks give what they give
on the whole table."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfkit.api as pk
from perfkit.analyses import evaluation as E
from perfkit.analyses import monitoring, wording
from perfkit.io import write as W
from perfkit.io.contract import BY_NAME, TABLES
from perfkit.io.load import REFERENCED, load
from perfkit.pipeline import two_cores
from perfkit.rules.rulebook import load_rules

NUMERIC = ("number", "money", "int", "percent")


def _files(written: dict[str, Path]) -> dict[str, bytes]:
    return {key: path.read_bytes() for key, path in written.items()}


@pytest.fixture(scope="module")
def demo_folder(demo, tmp_path_factory) -> Path:
    return W.write_tables_folder(demo.tables, tmp_path_factory.mktemp("two") / "demo")


@pytest.fixture(scope="module")
def broken_folder(demo, tmp_path_factory) -> Path:
    """The demo as CSV files with one unreadable number (N/A) in every table that has a number column,
    and one row of each monitoring table naming a project that does not exist."""
    folder = W.write_tables_folder(demo.tables, tmp_path_factory.mktemp("two") / "broken")
    broken = []
    for table in TABLES:
        path = folder / f"{table.sheet}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        column = next((c.header for c in table.columns if c.kind in NUMERIC and c.header in frame), None)
        if column is not None and len(frame) > 3:
            frame.loc[3, column] = "N/A"
            broken.append(table.name)
        if table.name in ("exec_monitor", "ind_monitor") and len(frame) > 5:
            frame.loc[5, "项目编码"] = "不存在的项目"
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    assert {"projects", "exec_monitor", "ind_monitor", "self_eval", "exante"} <= set(broken)
    return folder


@pytest.mark.filterwarnings("ignore::perfkit.api.MonitoringNotReadWarning")  # tested on its own below
@pytest.mark.parametrize("month", [5, None])
@pytest.mark.parametrize("which", ["demo_folder", "broken_folder"])
@pytest.mark.parametrize("output_format", ["csv", "parquet"])
def test_two_cores_write_the_same_bytes(which: str, month: int | None, output_format: str, request,
                                        tmp_path: Path) -> None:
    data = request.getfixturevalue(which)
    one = pk.score(data, tmp_path / "one", month=month, jobs=1, output_format=output_format)
    two = pk.score(data, tmp_path / "two", month=month, jobs=2, output_format=output_format)
    assert list(one) == list(two)  # the same files, listed in the same order
    assert [p.name for p in one.values()] == [p.name for p in two.values()]
    if output_format == "parquet":  # a Parquet file carries a text column's dictionary (the loaded table's
        # categories, which depend on which tables were loaded together): compare the values
        def values(path: Path) -> pd.DataFrame:
            frame = pd.read_parquet(path)
            return frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
        for key in one:
            pd.testing.assert_frame_equal(values(one[key]), values(two[key]), obj=key)
        return
    a, b = _files(one), _files(two)
    for key in a:
        assert a[key] == b[key], key
    if which == "broken_folder":
        quarantine = pd.read_csv(two["quarantine"], encoding="utf-8-sig", dtype=str)
        sheets = list(dict.fromkeys(quarantine["工作表"]))
        order = [t.sheet for t in TABLES]
        assert sheets == sorted(sheets, key=order.index)  # in table order, as one load lists them
        monthly = {"执行监控", "指标监控"}
        assert {"事前评估", "绩效自评"} | (monthly if month else set()) <= set(sheets)
        assert month or not monthly & set(sheets)  # without a month the monitoring tables are not read
    if month is not None:
        assert "monitoring" in two and "ranking" in two


def test_the_two_loads_together_are_one_load(broken_folder: Path) -> None:
    from perfkit.io.load import take_records

    whole = load(broken_folder, month=5)
    main = load(broken_folder, month=5, only=pk.MAIN_TABLES)
    side = load(broken_folder, month=5, only=pk.SIDE_TABLES)
    assert set(main.tables) == {*pk.MAIN_TABLES, *REFERENCED} & set(whole.tables)
    take_records(main, {n: r for n, r in side.records.items() if n not in pk.MAIN_TABLES})
    assert main.notes == whole.notes
    pd.testing.assert_frame_equal(main.counts, whole.counts)
    pd.testing.assert_frame_equal(main.quarantine, whole.quarantine)


def test_every_table_is_loaded_by_one_of_the_two() -> None:
    assert {*pk.MAIN_TABLES, *pk.SIDE_TABLES, *REFERENCED} == {t.name for t in TABLES}
    assert set(pk.SIDE_STAGES) <= set(pk.STAGES) and list(pk.SIDE_FREES) == list(pk.SIDE_STAGES)
    assert all(name in BY_NAME for name in (*pk.MAIN_TABLES, *pk.SIDE_TABLES))


@pytest.mark.parametrize("jobs", [0, -1])
def test_jobs_must_be_positive(demo_folder: Path, tmp_path: Path, jobs: int) -> None:
    from perfkit.io.load import InputError

    with pytest.raises(InputError, match="--jobs"):
        pk.score(demo_folder, tmp_path / "out", jobs=jobs)


def test_cli_takes_jobs(demo_folder: Path, tmp_path: Path) -> None:
    from perfkit import cli

    assert cli.main(["score", str(demo_folder), "--out", str(tmp_path / "a"), "--month", "5", "--jobs", "2"]) == 0
    assert cli.main(["score", str(demo_folder), "--out", str(tmp_path / "b"), "--month", "5", "--jobs", "1"]) == 0
    for f in (tmp_path / "a").glob("*.csv"):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


@pytest.mark.parametrize("jobs", [1, 2])
def test_without_a_month_the_monitoring_tables_are_not_read_and_it_says_so(broken_folder: Path, tmp_path: Path,
                                                                          capsys, jobs: int) -> None:
    from perfkit import cli

    with pytest.warns(pk.MonitoringNotReadWarning, match="未指定 --month：执行监控、指标监控本次未使用"):
        without = pk.score(broken_folder, tmp_path / "none", jobs=jobs)
    quarantine = pd.read_csv(without["quarantine"], encoding="utf-8-sig", dtype=str)
    assert not {"执行监控", "指标监控"} & set(quarantine["工作表"])  # not read, so not checked either
    assert "monitoring" not in without
    # what scoring and the review write does not depend on the monitoring tables: the same files as with a month
    with_month = pk.score(broken_folder, tmp_path / "may", jobs=jobs, month=5)
    for key in ("projects", "indicators", "findings", "targets", "archive"):
        assert without[key].read_bytes() == with_month[key].read_bytes(), key
    assert {"执行监控", "指标监控"} <= set(pd.read_csv(with_month["quarantine"], encoding="utf-8-sig", dtype=str)["工作表"])
    # the command says it in one line, after the files
    assert cli.main(["score", str(broken_folder), "--out", str(tmp_path / "cli"), "--jobs", str(jobs)]) == 0
    err = capsys.readouterr().err
    assert "perfkit: 注意：未指定 --month：执行监控、指标监控本次未使用" in err and "Traceback" not in err


def test_no_word_about_monitoring_where_there_is_none(demo, tmp_path: Path) -> None:
    import warnings

    folder = W.write_tables_folder({k: v for k, v in demo.tables.items() if k not in pk.MONTHLY_TABLES},
                                   tmp_path / "no_monitoring")
    with warnings.catch_warnings():
        warnings.simplefilter("error", pk.MonitoringNotReadWarning)
        pk.score(folder, tmp_path / "out", jobs=1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_month_without_执行监控_is_said_not_met_with_a_missing_file(demo, tmp_path: Path, capsys, jobs: int) -> None:
    """--month 5 on a folder whose 执行监控 is missing (or saved as .pq, which a folder does not read)
    wrote every other file and said nothing of 监控预警: one line now says why it is not there."""
    from perfkit import cli

    folder = W.write_tables_folder({k: v for k, v in demo.tables.items() if k != "exec_monitor"}, tmp_path / "d")
    (folder / "执行监控.pq").write_bytes(b"PAR1")
    with pytest.warns(pk.StageSkippedWarning, match="缺少「执行监控」表，已跳过，本次不写监控预警"):
        written = pk.score(folder, tmp_path / "api", month=5, jobs=jobs)
    assert "monitoring" not in written and "projects" in written
    assert cli.main(["score", str(folder), "--out", str(tmp_path / "cli"), "--month", "5", "--jobs", str(jobs)]) == 0
    err = capsys.readouterr().err
    assert "perfkit: 注意：绩效运行监控：缺少「执行监控」表，已跳过，本次不写监控预警" in err and "Traceback" not in err
    assert "执行监控.pq 不是 .csv 或 .parquet 文件，未读取" in err
    assert cli.main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "执行监控.pq 不是 .csv 或 .parquet 文件，未读取" in out


@pytest.mark.parametrize("jobs", [1, 2])
def test_no_项目_no_ranking_and_it_says_so(demo, tmp_path: Path, jobs: int) -> None:
    folder = W.write_tables_folder({k: v for k, v in demo.tables.items() if k != "projects"}, tmp_path / "d")
    with pytest.warns(pk.StageSkippedWarning, match="单位排名与结果应用：缺少「项目」表，已跳过，本次不写单位综合排名"):
        written = pk.score(folder, tmp_path / "out", jobs=jobs)
    assert "ranking" not in written and "projects" in written


def test_only_a_large_folder_uses_two_cores_by_default(demo_folder: Path, monkeypatch) -> None:
    assert two_cores.jobs_for(demo_folder, None) == 1  # the demo is small: one process
    monkeypatch.setattr(two_cores, "SPLIT_MIN_BYTES", 1)
    monkeypatch.setattr(two_cores.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(two_cores, "_available_memory", lambda: float("inf"))
    assert two_cores.jobs_for(demo_folder, None) == 2
    assert two_cores.jobs_for(demo_folder, 3) == 3
    monkeypatch.setattr(two_cores, "_available_memory", lambda: 1.0)  # too little memory free for two processes
    assert two_cores.jobs_for(demo_folder, None) == 1
    monkeypatch.setattr(two_cores.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(two_cores, "_available_memory", lambda: float("inf"))
    assert two_cores.jobs_for(demo_folder, None) == 1


# ------------------------------------------------------------------------------- rules in row chunks


@pytest.mark.parametrize("rows", [97, 1000])
def test_indicator_scores_in_chunks_equal_whole(broken_folder: Path, monkeypatch, rows: int) -> None:
    ds = load(broken_folder, month=5)
    rules = load_rules("mof2020", 2022)
    whole = E.score_indicators(ds.table("self_eval"), rules)
    monkeypatch.setattr(E, "ROWS_PER_PASS", rows)
    chunked = E.score_indicators(ds.table("self_eval"), rules)
    assert len(ds.table("self_eval")) > 2 * rows
    pd.testing.assert_frame_equal(chunked, whole, check_categorical=False)
    for col in whole.columns:  # text readings come out as categoricals either way
        if isinstance(whole[col].dtype, pd.CategoricalDtype):
            assert isinstance(chunked[col].dtype, pd.CategoricalDtype), col


def test_monitoring_in_chunks_equals_whole(broken_folder: Path, monkeypatch) -> None:
    ds = load(broken_folder, month=5)
    rules = load_rules("mof2020", 2022)
    whole = monitoring.indicator_pace(ds, rules, 5)
    monkeypatch.setattr(E, "ROWS_PER_PASS", 53)
    chunked = monitoring.indicator_pace(ds, rules, 5)
    assert len(whole) > 2 * 53
    pd.testing.assert_frame_equal(chunked, whole, check_categorical=False)


def test_a_hand_built_table_keeps_its_row_numbers_in_chunks(monkeypatch) -> None:
    rules = load_rules("mof2020", 2022)
    frame = pd.DataFrame({"project_id": ["P1"] * 7, "level1": ["产出指标"] * 7, "indicator": ["数量"] * 7,
                          "target_text": ["≥10"] * 7, "actual_text": [str(v) for v in range(7)],
                          "weight": [10.0] * 7, "unit_score": [np.nan] * 7, "deviation_reason": [None] * 7})
    monkeypatch.setattr(E, "ROWS_PER_PASS", 3)
    assert E.score_indicators(frame, rules)["_row"].tolist() == list(range(2, 9))


def test_in_order_keeps_order_on_threads() -> None:
    import time

    def slow(i: int) -> int:
        time.sleep(0.001 * (i % 3))
        return i * i

    assert list(W.in_order(slow, range(40), workers=3)) == [i * i for i in range(40)]
    assert list(W.in_order(slow, [], workers=2)) == []


def test_an_error_here_stops_the_second_process(demo_folder: Path, tmp_path: Path) -> None:
    import shutil
    import time

    from perfkit.io.load import MissingTableError

    data = tmp_path / "no_self_eval"
    shutil.copytree(demo_folder, data)
    (data / "绩效自评.csv").unlink()
    with pytest.raises(MissingTableError, match="绩效自评") as one:
        pk.score(data, tmp_path / "one", month=5, jobs=1)
    t = time.perf_counter()
    with pytest.raises(MissingTableError, match="绩效自评") as two:
        pk.score(data, tmp_path / "two", month=5, jobs=2)
    assert str(two.value) == str(one.value)
    assert time.perf_counter() - t < 30
    assert not (tmp_path / "two").exists()


@pytest.mark.parametrize("seed", [0, 1])
def test_numbers_formatted_per_distinct_value_are_the_same_text(seed: int) -> None:
    """Long float columns are formatted once per distinct value (CSV and 说明): -0.0 stays -0.0 in the
    CSV, NaN stays blank, and every value prints as it does alone."""
    import io

    rng = np.random.default_rng(seed)
    pool = np.array([0.0, -0.0, np.nan, 1.0, 2.5, 1e-05, 123456789.125, 0.1 + 0.2, 95.0, -3.75, 1e17, 5e-324])
    x = rng.choice(pool, size=20_000)
    frame = pd.DataFrame({"v": x, "w": rng.choice(pool[:6], size=20_000)})
    expected = W.inert_frame(frame).to_csv(index=False).encode()
    assert bytes(W.csv_bytes(frame)) == expected
    text = wording.fmt(pd.Series(x)).tolist()
    assert text == [wording.number_text(v) for v in x]
    assert pd.read_csv(io.BytesIO(expected))["v"].isna().sum() == np.isnan(x).sum()


def test_row_group_dictionaries_become_the_same_categories(tmp_path: Path) -> None:
    """A code column (nearly every value distinct) is encoded afresh rather than merged row group by row
    group: the categories and codes are those merging gives (order of first appearance)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from perfkit.io.read_parquet import arrow_to_frame, read_parquet

    rng = np.random.default_rng(3)
    n = 5_000
    codes = [f"P{v:06d}" for v in rng.permutation(n)]
    codes[10] = None
    frame = pd.DataFrame({"项目编码": codes, "一级指标": rng.choice(["产出指标", "效益指标", None], n),
                          "分值": rng.random(n)})
    path = tmp_path / "绩效自评.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=700)
    got = read_parquet(path, None)
    table = pq.read_table(path, read_dictionary=["项目编码", "一级指标"])
    assert table.column("项目编码").num_chunks > 1
    merged = arrow_to_frame(table.unify_dictionaries().combine_chunks())
    for col in ("项目编码", "一级指标"):
        assert got[col].cat.categories.tolist() == merged[col].cat.categories.tolist(), col
        assert np.array_equal(got[col].cat.codes, merged[col].cat.codes), col
    assert got["项目编码"].isna().sum() == 1


def test_a_script_without_a_main_guard_can_use_two_cores(demo_folder: Path, tmp_path: Path) -> None:
    """The second process is a fresh interpreter on perfkit alone: a user's script is not re-run in it."""
    import subprocess
    import sys

    script = tmp_path / "my_scoring.py"
    script.write_text("import perfkit.api as pk\n"
                      f"written = pk.score({str(demo_folder)!r}, {str(tmp_path / 'out')!r}, month=5, jobs=2)\n"
                      "print(len(written))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "8"


def test_a_second_process_that_dies_is_one_clear_error(demo_folder: Path, tmp_path: Path, monkeypatch) -> None:
    import subprocess
    import sys

    from perfkit.io.load import InputError

    def dying(*args, **kwargs):  # as if the system had killed it before it wrote anything
        result = tmp_path / "result.pickle"
        result.touch()
        return subprocess.Popen([sys.executable, "-c", "raise SystemExit(9)"]), result

    monkeypatch.setattr(two_cores, "_start_side", dying)
    with pytest.raises(InputError, match="第二个计算进程意外退出（退出码 9.*--jobs 1"):
        pk.score(demo_folder, tmp_path / "out", month=5, jobs=2)
    assert not (tmp_path / "out").exists()


def test_header_only_self_evaluation_beside_its_summary(demo_folder: Path, tmp_path: Path) -> None:
    """A 绩效自评 with its header only, 自评汇总 filled in: scored (nothing recomputable), never an
    internal error — it was one, in the review's sum of each project's indicator points."""
    import shutil

    data = tmp_path / "header_only"
    shutil.copytree(demo_folder, data)
    header = (data / "绩效自评.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    (data / "绩效自评.csv").write_text(header + "\n", encoding="utf-8-sig")
    one = _files(pk.score(data, tmp_path / "one", month=5, jobs=1))
    two = _files(pk.score(data, tmp_path / "two", month=5, jobs=2))
    assert one == two
    projects = pd.read_csv(tmp_path / "one" / "项目得分.csv", encoding="utf-8-sig", dtype=str)
    assert len(projects) and (projects["复算状态"] == "待核实").all()


def test_the_two_processes_load_what_the_declaration_says_their_stages_read() -> None:
    """MAIN_TABLES / SIDE_TABLES / SIDE_FREES come from PIPELINE: every table a stage of perfkit score reads
    is loaded by the process that runs it, and the second process frees a table only after its last reader."""
    from perfkit.pipeline.stages import PIPELINE, stage_tables

    for stage in (s for s in PIPELINE if not s.application):
        loaded = two_cores.SIDE_TABLES if stage.key in two_cores.SIDE_STAGES else two_cores.MAIN_TABLES
        assert set(stage_tables(stage)) <= set(loaded) | set(REFERENCED), stage.key
    side = list(two_cores.SIDE_STAGES)
    for i, key in enumerate(side):
        later = {t for s in PIPELINE if s.key in side[i + 1:] and not s.application for t in stage_tables(s)}
        assert not set(two_cores.SIDE_FREES[key]) & (later | set(REFERENCED)), key
    assert {"self_summary", "targets"} <= set(two_cores.SIDE_TABLES)  # the target review reads 自评汇总


def test_a_year_end_month_reviews_against_the_monitoring_on_two_cores_too(demo_folder: Path, tmp_path: Path) -> None:
    """At the year-end month the review compares the self-evaluation with the monitoring (自评与监控不一致):
    the process that reviews loads that month of the monitoring tables, so the files are the same."""
    one = pk.score(demo_folder, tmp_path / "one", month=12, jobs=1)
    two = pk.score(demo_folder, tmp_path / "two", month=12, jobs=2)
    findings = pd.read_csv(one["findings"], encoding="utf-8-sig", dtype=str)
    assert findings["问题类型"].eq("自评与监控不一致").any()
    assert _files(two) == _files(one)


def test_the_target_review_reads_each_projects_own_execution_weight_on_two_cores(demo_folder: Path, tmp_path: Path
                                                                                 ) -> None:
    """A project whose own 执行率分值 is 20 (not the rulebook's 10) and whose targets add up to 80: no
    分值合计不符 in 目标设置审核 — with one process and with two (the second process reads 自评汇总)."""
    import shutil

    folder = tmp_path / "own_weight"
    shutil.copytree(demo_folder, folder)
    summary = pd.read_csv(folder / "自评汇总.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    targets = pd.read_csv(folder / "绩效目标.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    weights = pd.to_numeric(targets["分值"], errors="coerce")
    sums = weights.groupby(targets["项目编码"]).sum()
    big = weights.groupby(targets["项目编码"]).max()
    pid = next(p for p in summary["项目编码"] if sums.get(p) == 90 and big.get(p, 0) > 10)
    summary.loc[summary["项目编码"].eq(pid), "执行率分值"] = "20"
    row = weights[targets["项目编码"].eq(pid)].idxmax()
    targets.loc[row, "分值"] = f"{weights[row] - 10:g}"
    summary.to_csv(folder / "自评汇总.csv", index=False, encoding="utf-8-sig")
    targets.to_csv(folder / "绩效目标.csv", index=False, encoding="utf-8-sig")
    one = pk.score(folder, tmp_path / "one", month=5, jobs=1)
    two = pk.score(folder, tmp_path / "two", month=5, jobs=2)
    for written in (one, two):
        found = pd.read_csv(written["targets"], encoding="utf-8-sig", dtype=str)
        assert not (found["项目编码"].eq(pid) & found["问题类型"].eq("分值合计不符")).any()
    assert _files(two) == _files(one)


def test_huge_pages_join_the_tunables_the_user_set_and_never_override_them() -> None:
    from perfkit.io.load import HUGE_PAGES, with_huge_pages

    assert with_huge_pages({})["GLIBC_TUNABLES"] == HUGE_PAGES
    assert with_huge_pages({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"})["GLIBC_TUNABLES"] == \
        "glibc.malloc.arena_max=2:" + HUGE_PAGES
    assert with_huge_pages({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"})["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=0"


def test_the_second_process_starts_with_huge_pages(tmp_path: Path, monkeypatch) -> None:
    started = {}

    class Popen:
        def __init__(self, cmd, env, **kwargs) -> None:
            started["env"] = env

    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(two_cores.subprocess, "Popen", Popen)
    _, result = two_cores._start_side(tmp_path, 5, None, "mof2020", tmp_path / "stage", "csv")
    result.unlink()
    assert "glibc.malloc.hugetlb=1" in started["env"]["GLIBC_TUNABLES"]


def test_main_called_from_python_never_restarts_the_process(demo_folder: Path, tmp_path: Path, monkeypatch) -> None:
    """Only the perfkit command itself may restart its process for huge pages (cli.command); a program
    calling main() keeps its own process, even on a folder scored on two cores."""
    from perfkit import cli

    def refuse(*args, **kwargs) -> None:
        raise AssertionError("main() restarted the calling process")

    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(two_cores.os, "execve", refuse)
    assert cli.main(["score", str(demo_folder), "--out", str(tmp_path / "out"), "--jobs", "2"]) == 0
    restarted = []
    monkeypatch.setattr(cli, "_AS_COMMAND", True)
    monkeypatch.setattr(two_cores.os, "execve", lambda exe, argv, env: restarted.append(env["GLIBC_TUNABLES"]))
    monkeypatch.setattr(sys, "argv", ["perfkit", "score", str(demo_folder), "--out", str(tmp_path / "o2"),
                                          "--jobs", "2"])
    from perfkit.io.load import needs_huge_pages

    cli.main()
    assert restarted == (["glibc.malloc.hugetlb=1"] if needs_huge_pages() else [])
