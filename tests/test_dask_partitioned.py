"""Workers that read their own data (issue 14 §3): a Parquet dataset split by unit (``perfkit partition``),
scored on a LocalCluster of two worker processes, each reading its parts from disk and writing its part of
every output table — equal to the one-process run. Skipped without the optional dask extra."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

import perfkit.api as pk  # noqa: E402
from perfkit.io.write import write_tables_folder  # noqa: E402
from perfkit.pipeline import distributed as D  # noqa: E402


@pytest.fixture(scope="module")
def runs(demo, tmp_path_factory) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], Path, object]:
    base = tmp_path_factory.mktemp("partitioned")
    tables = {k: v.copy() for k, v in demo.tables.items()}
    flat = write_tables_folder(tables, base / "flat", fmt="parquet")
    parts = D.partition_dataset(flat, base / "parts", parts=5)
    one = pk.score_frames(flat, month=5)
    run = pk.score_partitioned(parts, base / "out", month=5, workers=2)
    many = {k: pd.read_parquet(p) for k, p in run.written.items()}
    return one, many, parts, run


def test_partitions_hold_whole_units_and_every_row(demo, runs) -> None:
    import pyarrow.parquet as pq

    _, _, parts, _ = runs
    folders = sorted(parts.glob("part-*"))
    assert len(folders) == 5
    units_of = [set(pq.read_table(f / "项目.parquet").column("单位编码").to_pylist()) for f in folders]
    for i, a in enumerate(units_of):  # no unit in two parts
        for b in units_of[i + 1:]:
            assert not a & b
    for name in ("项目", "绩效自评", "执行监控", "指标监控"):
        total = sum(pq.read_metadata(f / f"{name}.parquet").num_rows for f in folders)
        assert total == pq.read_metadata(parts.parent / "flat" / f"{name}.parquet").num_rows, name


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("table, keys", [
    ("projects", ["项目编码"]),
    ("indicators", ["项目编码", "源表行号"]),
    ("findings", ["项目编码", "三级指标", "问题类型", "说明"]),
    ("monitoring", ["项目编码"]),
    ("targets", ["项目编码", "三级指标", "问题类型", "说明"]),
    ("archive", ["项目编码"]),
])
def test_tables_equal_the_one_process_run(runs, table: str, keys: list[str]) -> None:
    one, many, _, _ = runs
    a, b = one[table], many[table]
    assert list(a.columns) == list(b.columns)
    if table == "indicators":  # 源表行号 is the row in the file read: a part's file, not the whole one
        a, b = a.drop(columns="源表行号"), b.drop(columns="源表行号")
        keys = ["项目编码", "三级指标", "指标值", "实际完成值", "说明"]
    a, b = _sorted(a.astype({k: str for k in keys}), keys), _sorted(b.astype({k: str for k in keys}), keys)
    blank = [c for c in a.columns if a[c].dtype == object or b[c].dtype == object]  # None vs NaN: both missing
    a[blank], b[blank] = a[blank].astype(object).where(a[blank].notna(), None), \
        b[blank].astype(object).where(b[blank].notna(), None)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_categorical=False)


def test_ranking_equals_the_one_process_run(runs) -> None:
    one, many, _, _ = runs
    a = one["ranking"].set_index("单位编码").sort_index()
    b = many["ranking"].set_index("单位编码").sort_index()
    np.testing.assert_allclose(a["综合得分"].astype(float), b["综合得分"].astype(float), equal_nan=True)
    assert a["名次"].astype("Int64").equals(b["名次"].astype("Int64"))


def test_client_holds_only_results(runs) -> None:
    """Two worker processes did the work; the client gathered one ranking row per unit."""
    _, many, _, run = runs
    assert len(run.worker_peak_mb) == 2 and all(v > 0 for v in run.worker_peak_mb.values())
    assert run.rows["ranking"] == len(many["ranking"])
    assert run.rows["indicators"] == len(many["indicators"])


def test_cli_partition_then_score(tmp_path: Path, demo, capsys) -> None:
    from perfkit.cli import main

    flat = write_tables_folder({k: v.copy() for k, v in demo.tables.items()}, tmp_path / "flat", fmt="parquet")
    assert main(["partition", str(flat), "--out", str(tmp_path / "parts"), "--parts", "3"]) == 0
    assert main(["score", str(tmp_path / "parts"), "--out", str(tmp_path / "pandas")]) == 2
    assert "--engine dask" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "parts"), "--out", str(tmp_path / "out"), "--engine", "dask", "--month", "5",
                 "--format", "csv"]) == 2
    assert main(["score", str(tmp_path / "parts"), "--out", str(tmp_path / "out"), "--engine", "dask",
                 "--month", "5"]) == 0
    assert len(list((tmp_path / "out" / "指标得分").glob("part-*.parquet"))) == 3
    assert (tmp_path / "out" / "监控预警_5月").is_dir()
    capsys.readouterr()
    # without a month the workers leave the monitoring tables unread, as one process does, and it says so
    assert main(["score", str(tmp_path / "parts"), "--out", str(tmp_path / "none"), "--engine", "dask"]) == 0
    err = capsys.readouterr().err
    assert "perfkit: 注意：未指定 --month：执行监控、指标监控本次未使用" in err and "Traceback" not in err
    assert (tmp_path / "none" / "指标得分").is_dir() and not list((tmp_path / "none").glob("监控预警*"))


def test_partition_needs_parquet(tmp_path: Path, demo_dir: Path, capsys) -> None:
    from perfkit.cli import main

    assert main(["partition", str(demo_dir / "csv"), "--out", str(tmp_path / "parts")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Parquet" in err[0] and "项目.parquet" in err[0]
    assert not (tmp_path / "parts").exists()


def test_the_year_is_checked_against_every_part_as_one_process_checks_it(runs, tmp_path: Path) -> None:
    """No default year (it was 2022 whatever the data held): a year the parts do not hold, or parts of
    several years with none chosen, is refused naming the years found — before any worker starts."""
    import shutil

    from perfkit.io.load import InputError

    _, _, parts, _ = runs
    with pytest.raises(InputError, match="没有 2019 年度的数据"):
        D.score_partitioned(parts, tmp_path / "a", 2019, 5, "mof2020")
    mixed = tmp_path / "mixed"
    shutil.copytree(parts, mixed)
    first = sorted(mixed.glob("part-*"))[0] / "项目.parquet"
    frame = pd.read_parquet(first)
    frame["年度"] = 2021
    frame.to_parquet(first, index=False)
    with pytest.raises(InputError, match="含多个年度（2021、2022）"):
        D.score_partitioned(mixed, tmp_path / "b", None, 5, "mof2020")
