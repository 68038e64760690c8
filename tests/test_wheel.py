"""What ships runs (issue 28 §3): perfkit built as a wheel and installed apart from the repository runs
``perfkit report`` — the report notebooks are package data, found without the repository's notebooks/.

The wheel is installed with ``--no-deps --target`` into a temporary folder put first on PYTHONPATH (the
dependencies come from the test's environment), and the command runs from a folder outside the
repository on a small demo district (200 projects), so that the test stays a couple of minutes."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    import shutil

    wheels, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):  # built from a copy: no build/ here
        shutil.copy(ROOT / name, source / name)
    for folder in ("perfkit", "notebooks"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(wheels), str(source)], capture_output=True, text=True, cwd=wheels)
    if built.returncode and "No module named pip" in built.stderr:
        pytest.skip("pip is not installed in this environment")
    assert built.returncode == 0, built.stderr
    wheel = next(wheels.glob("perfkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for stem in ("annual_report", "budget_allocation", "technical_annex", "explore"):
        assert f"perfkit/notebooks/{stem}.ipynb" in names
    target = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, cwd=wheels)
    assert done.returncode == 0, done.stderr
    return target


def test_report_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"  # a folder outside the repository: nothing of it is reachable
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(installed), "PERFKIT_CACHE_DIR": str(tmp_path / "cache")}

    def perfkit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "perfkit", *args], capture_output=True, text=True,
                              cwd=work, env=env, timeout=900)

    where = subprocess.run([sys.executable, "-c", "import perfkit; print(perfkit.__file__, perfkit.shipped_notebooks())"],
                           capture_output=True, text=True, cwd=work, env=env)
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr
    assert str(ROOT) not in where.stdout
    demo = perfkit("demo", "--out", "demo", "--projects", "200")
    assert demo.returncode == 0, demo.stderr
    done = perfkit("report", "--data", "demo/demo.xlsx", "--year", "2022", "--out", "reports")
    assert done.returncode == 0, done.stdout + done.stderr
    for stem in ("annual_report", "budget_allocation", "technical_annex"):
        for suffix in (".html", ".pdf", ".docx"):
            assert (work / "reports" / f"{stem}{suffix}").stat().st_size > 0, stem + suffix
    assert done.stdout.count("三份文档共用一次分析结果") == 1
