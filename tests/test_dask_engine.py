"""The dask engine gives pandas' results on the demo district (issue: hardening §2). Skipped when the
optional extra is not installed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

import perfkit.api as pk  # noqa: E402
from perfkit.io.load import load  # noqa: E402


@pytest.fixture(scope="module")
def both(demo_dir):
    ds = load(demo_dir / "csv", month=5)
    return pk.analyze(ds, year=2022, month=5), pk.analyze_distributed(ds, year=2022, month=5)


def test_scores_equal(both) -> None:
    a, b = both
    x = a.scores.projects.set_index("project_id").sort_index()
    y = b.scores.projects.set_index("project_id").sort_index()
    assert x.index.equals(y.index)
    assert np.allclose(x["total"], y["total"], equal_nan=True)
    assert (x["grade"].fillna("—") == y["grade"].fillna("—")).all() and (x["status"] == y["status"]).all()
    assert np.allclose(x["difference"], y["difference"], equal_nan=True)


def test_findings_and_warnings_equal(both) -> None:
    a, b = both
    key = ["project_id", "indicator", "finding"]
    fa = a.findings[key].sort_values(key).reset_index(drop=True)
    fb = b.findings[key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(fa, fb)
    wa = a.monitoring.projects.set_index("project_id")["warning"].sort_index()
    wb = b.monitoring.projects.set_index("project_id")["warning"].sort_index()
    assert (wa == wb).all()


def test_ranking_equal(both) -> None:
    a, b = both
    ra = a.ranking.set_index("unit_id")[["composite", "rank"]].sort_index()
    rb = b.ranking.set_index("unit_id")[["composite", "rank"]].sort_index()
    pd.testing.assert_frame_equal(ra, rb)


def test_cli_engine_dask(tmp_path, demo_dir) -> None:
    from perfkit.cli import main

    assert main(["score", str(demo_dir / "csv"), "--out", str(tmp_path), "--engine", "dask", "--month", "5"]) == 0
    assert (tmp_path / "项目得分.csv").exists() and (tmp_path / "审核发现.csv").exists()
