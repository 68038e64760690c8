"""The fast CSV writer (issue 14 §2): its bytes are the pandas writer's (UTF-8 BOM, quoting, number
formatting, neutralised formulas) on the demo, on a hostile dataset and on a table-driven set of messy
columns — checked before ``perfkit score`` was switched to it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import perfkit.api as pk
from perfkit.io import write as W
from perfkit.pipeline import outputs as score_outputs

MESSY_TEXT = ["普通文本", "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(1)", "-5", "-", "=", "+",
              "\tx", "a,b", 'q"q', "两行\n文本", " lead", "", None, "NA", "'already", "=\n", "逗号，全角", "x\u2028y"]
MESSY_FLOAT = [0.0, -0.0, 1.0, 100.0, 0.1, 0.25, 12.35, 1e-05, 0.0001, 0.000123, 1e15, 1e16, 123456789012345.6,
               9.97209935789211e+15, 1.7976931348623157e308, 5e-324, -3.5, np.nan, np.inf, -np.inf, 2 / 3]


def _column(kind: str) -> pd.Series:
    n = len(MESSY_TEXT)
    floats = (MESSY_FLOAT * 2)[:n]
    match kind:
        case "object":
            return pd.Series(MESSY_TEXT, dtype=object)
        case "str":
            return pd.Series(MESSY_TEXT, dtype="str")
        case "string":
            return pd.Series(MESSY_TEXT, dtype="string")
        case "category":
            return pd.Series(MESSY_TEXT, dtype="category")
        case "category of arrow text":
            return pd.Series(pd.Categorical(pd.array(MESSY_TEXT, dtype="string[pyarrow]")))
        case "float64":
            return pd.Series(floats, dtype=float)
        case "Float64":
            return pd.Series([None if np.isnan(f) else f for f in floats], dtype="Float64")
        case "int64":
            return pd.Series(np.arange(n) * 1_000_003 - 7, dtype="int64")
        case "int32":
            return pd.Series(np.arange(n), dtype="int32")
        case "Int64":
            return pd.Series([None if i % 3 == 0 else i * -11 for i in range(n)], dtype="Int64")
        case "bool":
            return pd.Series([i % 2 == 0 for i in range(n)])
        case "boolean":
            return pd.Series([None if i % 3 == 0 else i % 2 == 0 for i in range(n)], dtype="boolean")
        case "mixed object":
            return pd.Series(([1, 2.5, "=x", None, True, "-1", 3.0, "a,b", np.nan, 0] * 2)[:n], dtype=object)
        case "category of numbers":
            return pd.Series(([1.5, 2.0, None, 100.0] * 5)[:n], dtype="category")
        case "all missing":
            return pd.Series([None] * n, dtype=object)
    raise AssertionError(kind)


KINDS = ["object", "str", "string", "category", "category of arrow text", "float64", "Float64", "int64", "int32", "Int64", "bool", "boolean",
         "mixed object", "category of numbers", "all missing"]


def _reference(frame: pd.DataFrame, header: bool = True) -> bytes:
    return W.inert_frame(frame).to_csv(index=False, header=header).encode("utf-8")


@pytest.mark.parametrize("kind", KINDS)
def test_column_bytes_equal_pandas(kind: str) -> None:
    frame = pd.DataFrame({"项目编码": [f"P{i}" for i in range(len(MESSY_TEXT))], "值,逗号": _column(kind)})
    assert bytes(W.csv_bytes(frame)) == _reference(frame)
    assert bytes(W.csv_bytes(frame, header=False)) == _reference(frame, header=False)


def test_all_kinds_together_and_sliced() -> None:
    frame = pd.DataFrame({k: _column(k) for k in KINDS})
    assert bytes(W.csv_bytes(frame)) == _reference(frame)
    part = frame.iloc[5:13]  # a chunk: offsets into the same buffers
    assert bytes(W.csv_bytes(part, header=False)) == _reference(part, header=False)
    assert bytes(W.csv_bytes(frame.iloc[:0])) == _reference(frame.iloc[:0])


@pytest.mark.parametrize("seed", range(3))
def test_random_floats_print_as_repr(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.random(20_000) * 10.0 ** rng.integers(-12, 20, 20_000) * rng.choice([-1, 1], 20_000)
    x[::7] = np.round(x[::7])
    x[::11] = np.round(x[::11], 2)
    frame = pd.DataFrame({"a": x, "b": x.astype("float32").astype(float)})
    assert bytes(W.csv_bytes(frame)) == _reference(frame)


def test_formula_pattern_is_formula_start() -> None:
    """The Arrow regex neutralises exactly what :func:`inert` does."""
    values = pd.Series([c + tail for c in [*W.FORMULA_START, "a", "'", " ", "＝"] for tail in ("", "1", "\n", "甲")])
    expected = W.inert(values)
    got = values.where(~values.str.contains(W._FORMULA, regex=True), "'" + values)
    assert got.tolist() == expected.tolist()
    assert re.compile(W._FORMULA).pattern.startswith("(?s)")


def test_lone_carriage_return_is_quoted() -> None:
    """The one deliberate difference: a lone \\r is quoted (Python 3.11's csv module leaves it bare, and
    Excel would break the row there); the file still reads back to the same values."""
    frame = pd.DataFrame({"a": ["x\ry", "ok"], "b": [1, 2]})
    text = bytes(W.csv_bytes(frame)).decode()
    assert '"x\ry"' in text
    import io
    back = pd.read_csv(io.StringIO(text))
    assert back["a"].tolist() == ["x\ry", "ok"]


def _score_with(writer, data: Path, out: Path, monkeypatch) -> dict[str, bytes]:
    monkeypatch.setattr(score_outputs, "write_csv", writer)
    written = pk.score(data, out, month=5)
    return {name: path.read_bytes() for name, path in written.items()}


@pytest.mark.parametrize("dataset", ["demo", "hostile"])
def test_score_files_byte_identical(dataset: str, demo_dir: Path, demo, tmp_path: Path, monkeypatch) -> None:
    if dataset == "demo":
        data = demo_dir / "demo.xlsx" if (demo_dir / "demo.xlsx").exists() else demo_dir
    else:
        from tests.test_integrity import HOSTILE

        tables = {k: v.copy() for k, v in demo.tables.items()}
        p = tables["projects"]
        for i, name in enumerate(HOSTILE + ['含,逗号"引号"', "换\n行", "-负号开头", " 前导空格"]):
            p.loc[i + 1, "project_name"] = name
        se = tables["self_eval"]
        se.loc[0, "actual_text"] = "=1+1"
        se.loc[1, "indicator"] = "@SUM(1)"
        se.loc[2, "deviation_reason"] = '=HYPERLINK("http://x","原因")'
        se.loc[3, "indicator"] = '带"引号",逗号'
        se.loc[4, "target_text"] = "≥95%\n（含）"
        data = W.write_tables_folder(tables, tmp_path / "hostile")
    old = _score_with(W.write_csv_pandas, data, tmp_path / "old", monkeypatch)
    new = _score_with(W.write_csv, data, tmp_path / "new", monkeypatch)
    assert old.keys() == new.keys()
    for name in old:
        assert new[name][:3] == b"\xef\xbb\xbf"
        assert new[name] == old[name], name


# ------------------------------------------------------------------------- --format parquet, Excel's rows


@pytest.fixture(scope="module")
def demo_scored(demo_dir: Path, tmp_path_factory) -> tuple[dict[str, Path], dict[str, Path]]:
    data = demo_dir / "demo.xlsx" if (demo_dir / "demo.xlsx").exists() else demo_dir
    base = tmp_path_factory.mktemp("formats")
    return pk.score(data, base / "csv", month=5), pk.score(data, base / "parquet", month=5, output_format="parquet")


def test_parquet_has_the_csv_columns_and_rows(demo_scored) -> None:
    csvs, parquets = demo_scored
    assert csvs.keys() == parquets.keys()
    for key, path in parquets.items():
        assert path.suffix == ".parquet" and path.stem == csvs[key].stem
        pq_frame = pd.read_parquet(path)
        csv_frame = pd.read_csv(csvs[key], encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert list(pq_frame.columns) == list(csv_frame.columns), key
        assert len(pq_frame) == len(csv_frame), key
    ind = pd.read_parquet(parquets["indicators"])
    back = pd.read_csv(csvs["indicators"], encoding="utf-8-sig")
    np.testing.assert_allclose(ind["得分"].astype(float), back["得分"].astype(float), equal_nan=True)
    assert (ind["说明"].str.len() > 0).all()
    assert ind["源表行号"].tolist() == back["源表行号"].tolist()


def test_score_frames_are_what_is_written(demo_dir: Path, demo_scored) -> None:
    data = demo_dir / "demo.xlsx" if (demo_dir / "demo.xlsx").exists() else demo_dir
    frames = pk.score_frames(data, month=5)
    _, parquets = demo_scored
    assert frames.keys() == parquets.keys()
    for key in ("projects", "indicators", "findings"):
        pd.testing.assert_frame_equal(frames[key].reset_index(drop=True), pd.read_parquet(parquets[key]),
                                      check_dtype=False, check_categorical=False)


@pytest.mark.parametrize("output_format, warned", [("csv", True), ("parquet", False)])
def test_csv_beyond_excel_rows_warns(demo_dir: Path, tmp_path: Path, monkeypatch, capsys, output_format: str,
                                     warned: bool) -> None:
    from perfkit import cli

    data = demo_dir / "demo.xlsx" if (demo_dir / "demo.xlsx").exists() else demo_dir
    rows = len(pd.read_csv(pk.score(data, tmp_path / "probe", month=5)["indicators"], encoding="utf-8-sig"))
    monkeypatch.setattr(score_outputs, "EXCEL_MAX_ROWS", rows)  # 指标得分 + its header is one row too many
    capsys.readouterr()
    assert cli.main(["score", str(data), "--out", str(tmp_path / "out"), "--month", "5",
                     "--format", output_format]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    if not warned:
        assert err == []
        return
    assert len(err) == 1, err
    assert err[0].startswith("perfkit: 注意：指标得分.csv 有") and "--format parquet" in err[0] and "按单位" in err[0]
    assert f"{rows:,} 行" in err[0]
    with pytest.warns(pk.ExcelRowsWarning, match="超过 Excel/WPS 单表上限"):
        pk.score(data, tmp_path / "api", month=5)


# ------------------------------------------------------------------------ numbers in 说明, as arrays


def _numbers_sample(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.random(30_000) * 10.0 ** rng.integers(-8, 14, 30_000) * rng.choice([-1, 1], 30_000)
    ties = np.round(rng.random(5_000) * 1000, 4) + rng.choice([0.00005, 0.005, 0.000050000001, 0.5], 5_000)
    edge = [0.0, -0.0, 1e-5, -1e-5, 0.00005, 0.125, 2.675, 1.005, 8.615, 96.5, 2126100.0, 461599.99999999994,
            123456789.0, 99999999999.99, 1e11, 1e16, 1e300, np.nan, np.inf, -np.inf, 0.1 + 0.2, 1 / 3]
    return np.concatenate([x, np.round(x, 2), ties, edge])


@pytest.mark.parametrize("decimals", [0, 1, 2, 4])
@pytest.mark.parametrize("seed", range(2))
def test_explanation_numbers_equal_number(decimals: int, seed: int) -> None:
    from perfkit.analyses.wording import fmt as _fmt
    from perfkit.analyses.wording import number_text as _number

    x = pd.Series(_numbers_sample(seed))
    expected = [_number(v, decimals) for v in x]
    assert _fmt(x, decimals).tolist() == expected
    nullable = pd.Series(x, dtype="Float64")
    assert _fmt(nullable, decimals).tolist() == [_number(v, decimals) for v in nullable]
