"""Shared fixtures: the demo district is generated once per test worker and written both ways."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from perfkit.demo import Demo, generate, write_demo
from perfkit.io.contract import BY_NAME
from perfkit.io.write import to_contract_frame
from perfkit.rules.rulebook import Rulebook, load_rules


@pytest.fixture(scope="session", autouse=True)
def _snapshot_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Report snapshots go to a per-worker temporary cache, not the user's ~/.cache/perfkit."""
    import os

    os.environ.setdefault("PERFKIT_CACHE_DIR", str(tmp_path_factory.mktemp("perfkit-cache")))


@pytest.fixture(scope="session")
def demo() -> Demo:
    """The demo district as ``perfkit demo`` writes it: with the noise of real forms."""
    return generate(seed=2022, year=2022)


def _written(tmp_path_factory: pytest.TempPathFactory, demo: Demo, name: str) -> Path:
    """``demo`` written as ``perfkit demo`` writes it, in a folder of the session's own."""
    out = tmp_path_factory.mktemp(name)
    write_demo(demo, out)
    return out


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, demo: Demo) -> Path:
    return _written(tmp_path_factory, demo, "demo")


@pytest.fixture(scope="session")
def clean_demo() -> Demo:
    """The same district without the noise (``perfkit demo --clean``), for tests that need every row
    to re-derive exactly."""
    return generate(seed=2022, year=2022, clean=True)


@pytest.fixture(scope="session")
def clean_demo_dir(tmp_path_factory: pytest.TempPathFactory, clean_demo: Demo) -> Path:
    return _written(tmp_path_factory, clean_demo, "clean_demo")


@pytest.fixture(scope="session")
def demo_analysis(demo_dir: Path):
    """The demo district analysed once per test worker (2022, as of May): tests read it, never change it."""
    from perfkit.pipeline.stages import analyze

    return analyze(demo_dir / "csv", year=2022, month=5)


@pytest.fixture(scope="session")
def clean_demo_analysis(clean_demo_dir: Path):
    """The district without noise, analysed once per test worker: every project recomputes completely."""
    from perfkit.pipeline.stages import analyze

    return analyze(clean_demo_dir / "csv", year=2022, month=5)


@pytest.fixture()
def rules() -> Rulebook:
    return load_rules("mof2020", 2022)


def rows_reconcile(ds) -> pd.DataFrame:
    """The promise of every load (one helper for every test that checks it): per table, rows read = rows
    loaded + rows quarantined, each loaded table holds its 载入 rows, and every quarantined record names
    its file, sheet, row (a number, never 全部) and column. Returns the counts by sheet."""
    c = ds.counts
    assert (c["读入"] == c["载入"] + c["隔离"]).all(), c
    for name, frame in ds.tables.items():
        assert len(frame) == int(c.loc[c["表"].eq(BY_NAME[name].sheet), "载入"].iloc[0]), name
    q = ds.quarantine
    assert not q[["文件", "工作表", "行", "列"]].astype(str).eq("").any().any(), q
    assert pd.to_numeric(q["行"], errors="coerce").notna().all(), q["行"]
    return c.set_index("表")


def contract_frame(demo: Demo, name: str) -> pd.DataFrame:
    """A demo table as users see it (Chinese headers, money in 万元)."""
    return to_contract_frame(demo.tables[name], BY_NAME[name])


def write_folder(folder: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8-sig") -> Path:
    """Write raw tables (Chinese headers, any values) as a CSV folder, exactly as given."""
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, frame in tables.items():
        frame.to_csv(folder / f"{sheet}.csv", index=False, encoding=encoding)
    return folder
