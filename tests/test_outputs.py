"""Output folders are one unit (issue 12 §2 stale outputs, §3 --out errors, §4 interrupted runs): built
aside and swapped in, leftovers of killed runs cleaned, a file or a full disk said in one Chinese line;
the report's snapshot cache (涉密 rows included) lives in the per-user cache, not beside the reports."""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from perfkit.io import outputs
from perfkit.io.base import InputError
from tests.secret_data import code, run, tables, write

ROOT = Path(__file__).resolve().parents[1]


def small(tmp: Path) -> Path:
    rows = [{"code": code(i), "name": f"项目{i}", "unit": f"DW{i % 2}", "flags": ["否"]} for i in range(1, 5)]
    t = tables(rows, ["涉密"])
    t["执行监控"] = pd.DataFrame({"项目编码": [code(i) for i in range(1, 5) for _ in (3, 5)],
                              "月份": [m for _ in range(1, 5) for m in (3, 5)], "累计执行数": 10.0})
    t["自评汇总"] = pd.DataFrame({"项目编码": [code(i) for i in range(1, 5)], "执行率分值": 10.0, "执行率得分": 9.0,
                              "自评总分": 88.0})
    return write(t, tmp / "data")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its content hash."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".perfkit-" in p.name and p.name != outputs.MARKER)


# ------------------------------------------------------------------------------------------ the helper


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two renames"])
def test_swap_replaces_the_whole_folder(tmp_path: Path, monkeypatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    with outputs.replaced_folder(out, "score") as stage:
        (stage / "a.csv").write_text("1")
        (stage / "old.csv").write_text("stale")
    with outputs.replaced_folder(out, "score") as stage:
        (stage / "a.csv").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == sorted([outputs.MARKER, "a.csv"])
    assert (out / "a.csv").read_text() == "2" and outputs.written_by(out) == "score"
    assert leftovers(tmp_path) == []


def test_a_failed_run_leaves_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with outputs.replaced_folder(out, "score") as stage:
        (stage / "a.csv").write_text("1")
    before = snapshot(out)
    with pytest.raises(RuntimeError), outputs.replaced_folder(out, "score") as stage:
        (stage / "a.csv").write_text("half")
        raise RuntimeError("killed")
    assert snapshot(out) == before and leftovers(tmp_path) == []


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: p.write_text("x"), "是一个已有的文件"),
    (lambda p: (p.mkdir(), (p / "我的表.docx").write_text("x")), "不是 perfkit score 写出的"),
], ids=["a file", "a folder with the user's files"])
def test_out_that_must_not_be_replaced(tmp_path: Path, make, words: str) -> None:
    out = tmp_path / "out"
    make(out)
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match=words), outputs.replaced_folder(out, "score"):
        pass
    assert snapshot(tmp_path) == before


def test_leftovers_of_killed_runs_are_cleaned(tmp_path: Path) -> None:
    """Staging folders of dead processes, and the two kinds earlier versions of ``report`` left; a live
    run's staging is kept; an interrupted two-rename swap gets the previous output back."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    out = tmp_path / "2022"
    stale = [tmp_path / f".2022.perfkit-{pid}-new-abc123", tmp_path / ".2022-abcd1234",
             tmp_path / ".2022-old-20261127101010123456"]
    live = tmp_path / f".2022.perfkit-{os.getpid()}-new-zzz"
    old = tmp_path / f".2022.perfkit-{pid}-old-xyz"
    for d in [*stale, live, old]:
        d.mkdir()
    (old / outputs.MARKER).write_text("{}")
    (old / "annual_report.html").write_text("previous")
    (tmp_path / ".other-abcd1234").mkdir()  # not ours
    outputs.clean_leftovers(out)
    assert not any(d.exists() for d in stale) and live.exists() and (tmp_path / ".other-abcd1234").exists()
    assert (out / "annual_report.html").read_text() == "previous"


# ------------------------------------------------------------------------------------------ commands


def test_score_output_set_is_one_unit(tmp_path: Path) -> None:
    """No 监控预警_3月.csv left beside this run's 5月 (issue 12 §2 stale outputs)."""
    data, out = small(tmp_path), tmp_path / "得分"
    assert run("score", str(data), "--out", str(out), "--month", "3")[0] == 0
    assert (out / "监控预警_3月.csv").exists()
    assert run("score", str(data), "--out", str(out), "--month", "5")[0] == 0
    assert (out / "监控预警_5月.csv").exists() and not (out / "监控预警_3月.csv").exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["score", "disclose", "report"])
def test_out_is_a_file(tmp_path: Path, command: str) -> None:
    data, target = small(tmp_path), tmp_path / "out.xlsx"
    target.write_text("mine")
    args = {"score": ["score", str(data), "--out", str(target)],
            "disclose": ["disclose", str(data), "--out", str(target)],
            "report": ["report", "--data", str(data), "--year", "2022", "--out", str(target)]}[command]
    rc, _, err = run(*args)
    assert rc == 2 and err.count("\n") == 1 and "是一个已有的文件" in err and "Error" not in err
    assert target.read_text() == "mine"


def test_full_disk_is_one_chinese_line(tmp_path: Path, monkeypatch) -> None:
    from perfkit.pipeline import outputs as score_outputs

    data, out = small(tmp_path), tmp_path / "得分"
    assert run("score", str(data), "--out", str(out))[0] == 0
    before = snapshot(out)
    real = score_outputs.write_csv

    def full(frame, path, **kw):
        if "指标" in path.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(frame, path, **kw)

    monkeypatch.setattr(score_outputs, "write_csv", full)
    rc, _, err = run("score", str(data), "--out", str(out))
    assert rc == 2 and err.count("\n") == 1 and "磁盘空间不足" in err and "原有输出未改动" in err
    assert "No space" not in err and "Traceback" not in err
    assert snapshot(out) == before and leftovers(tmp_path) == []


def test_file_size_limit_in_a_real_process(tmp_path: Path) -> None:
    """The operating system refuses the write (RLIMIT_FSIZE: EFBIG, as a full quota does)."""
    data, out = small(tmp_path), tmp_path / "得分"

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300))

    proc = subprocess.run([sys.executable, "-m", "perfkit", "score", str(data), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "文件超出系统允许的大小" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() and leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------ kill tests


def _kill_midway(args: list[str], staging_parent: Path, out_name: str, ready) -> None:
    """Start ``perfkit ARGS``, wait until its staging folder beside --out holds some output, SIGKILL it."""
    proc = subprocess.Popen([sys.executable, "-m", "perfkit", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            stages = [p for p in staging_parent.glob(f".{out_name}.perfkit-{proc.pid}-new-*")]
            if stages and ready(stages[0]):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed mid-way"


@pytest.mark.parametrize("command", ["disclose", "score"])
def test_killed_run_leaves_previous_output_then_rerun_cleans_up(tmp_path: Path, demo_dir: Path,
                                                                command: str) -> None:
    if command == "disclose":  # 60 units: long enough to be killed half-way, short enough for make test
        rows = [{"code": code(i), "name": f"项目{i}", "unit": f"DW{i % 60:02d}", "flags": ["否"]} for i in range(180)]
        data = write(tables(rows, ["涉密"]), tmp_path / "data")
    else:
        data = demo_dir / "csv"
    out = tmp_path / "输出"
    args = [command, str(data), "--out", str(out)]
    assert run(*args)[0] == 0
    before = snapshot(out)
    if command == "disclose":
        def ready(stage: Path) -> bool:  # some unit folders written, not all
            return len(list((stage / "public").glob("*"))) >= 5 if (stage / "public").is_dir() else False
    else:
        def ready(stage: Path) -> bool:  # mid-way through the CSVs
            return any(stage.glob("*.csv"))
    _kill_midway(args, tmp_path, out.name, ready)
    assert snapshot(out) == before  # previous output intact, nothing of the killed run in it
    assert leftovers(tmp_path)  # the killed run's staging folder is still there …
    rc, _, err = run(*args)
    assert rc == 0, err
    assert leftovers(tmp_path) == []  # … until the next run removes it
    assert outputs.written_by(out) == command
    assert not [p for p in out.rglob(".*") if p.name != outputs.MARKER]


# ------------------------------------------------------------------------------------------ the cache


@pytest.mark.parametrize(("env", "expected"), [
    ({"PERFKIT_CACHE_DIR": "{tmp}/mine"}, "{tmp}/mine"),
    ({"XDG_CACHE_HOME": "{tmp}/xdg"}, "{tmp}/xdg/perfkit"),
    ({"HOME": "{tmp}/home"}, "{tmp}/home/.cache/perfkit"),
], ids=["PERFKIT_CACHE_DIR", "XDG_CACHE_HOME", "~/.cache"])
def test_cache_location(tmp_path: Path, monkeypatch, env: dict, expected: str) -> None:
    from perfkit.reporting.run import cache_dir

    for k in ("PERFKIT_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v.format(tmp=tmp_path))
    if sys.platform == "darwin" or os.name == "nt":
        pytest.skip("Linux layout")
    assert cache_dir() == Path(expected.format(tmp=tmp_path))


def test_report_snapshot_is_cached_outside_the_reports(tmp_path: Path, monkeypatch) -> None:
    """The snapshot (every row, 涉密 ones included) goes to the per-user cache, owner-only; a legacy
    ``.perfkit-cache`` beside the reports is removed."""
    import perfkit.reporting.run as run_module

    cache = tmp_path / "cache"
    monkeypatch.setenv("PERFKIT_CACHE_DIR", str(cache))
    from perfkit.pipeline.stages import MATERIALISED

    seen: dict = {}

    def render(jobs, out, *a, **k):
        """The notebooks read the analysis made once from the snapshot (both in the cache)."""
        seen.update(jobs[0][2])
        assert seen["data"].endswith(MATERIALISED) and Path(seen["data"]).exists()
        seen["snapshot"] = next(str(p) for p in (cache / "snapshots").iterdir() if (p / "projects.parquet").exists())
        return []

    monkeypatch.setattr(run_module, "render_all", render)
    data, reports = small(tmp_path), tmp_path / "reports" / "2022"
    legacy = reports.parent / ".perfkit-cache" / "0123abcd"
    legacy.mkdir(parents=True)
    (legacy / "perfkit_snapshot.json").write_text("{}")
    run_module.report(data, 2022, reports, progress=lambda s: None)
    snap = Path(seen["snapshot"])
    assert snap.is_relative_to(cache) and (snap / "projects.parquet").exists()
    analysis = Path(seen["data"])
    assert analysis.is_relative_to(cache) and not analysis.exists()  # removed once the documents are made
    assert oct((cache / "snapshots").stat().st_mode & 0o777) == "0o700"
    assert not (reports.parent / ".perfkit-cache").exists()
    assert not [p for p in tmp_path.joinpath("reports").rglob("*.parquet")]


@pytest.mark.parametrize("command", ["score", "disclose"])
def test_out_holding_the_input_is_refused(tmp_path: Path, command: str) -> None:
    """``--out`` = the input's own folder would be replaced whole: refused, the input untouched."""
    data = small(tmp_path)
    before = snapshot(data)
    rc, _, err = run(command, str(data), "--out", str(data))
    assert rc == 2 and "输入数据" in err and err.count("\n") == 1
    rc, _, err = run(command, str(data / "项目.csv"), "--out", str(data))
    assert rc == 2 and err.count("\n") == 1
    assert snapshot(data) == before


def test_legacy_outputs_are_recognised(tmp_path: Path) -> None:
    """Folders written before the marker existed are replaced; anything else in them is not ours."""
    from perfkit.reporting.render import report_output

    for name, ours in [("annual_report.pdf", True), ("2023年度预算安排建议.xlsx", True), ("我的.xlsx", False),
                       ("budget_allocation.html", True), ("notes.pdf", False)]:
        (tmp_path / name).write_text("x")
        assert report_output(tmp_path / name) is ours, name
