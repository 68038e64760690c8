"""One name per thing on the command line (issue 28 §3): the archive is ``--archive`` on every command,
``perfkit archive --db`` still works for old scripts; the default profile is one constant."""

from __future__ import annotations

import subprocess
import sys


def test_archive_is_named_archive_and_db_still_works(demo_dir, tmp_path) -> None:
    db = tmp_path / "cli.duckdb"
    run = [sys.executable, "-m", "perfkit", "archive"]
    added = subprocess.run([*run, "add", str(demo_dir / "csv"), "--year", "2022", "--archive", str(db)],
                           capture_output=True, text=True)
    assert added.returncode == 0 and "已存入 2022 年度" in added.stdout, added.stderr
    old = subprocess.run([*run, "list", "--db", str(db)], capture_output=True, text=True)
    new = subprocess.run([*run, "list", "--archive", str(db)], capture_output=True, text=True)
    assert "2022 年度" in new.stdout and new.stdout == old.stdout
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True)
    assert "--archive" in helped.stdout and "--db" not in helped.stdout  # the old name is hidden


def test_default_profile_is_one_constant() -> None:
    from pathlib import Path

    import perfkit.cli
    from perfkit.rules import DEFAULT_PROFILE
    from perfkit.rules.rulebook import DEFAULT_PROFILE as IN_RULEBOOK

    assert DEFAULT_PROFILE == IN_RULEBOOK
    assert '"mof2020"' not in Path(perfkit.cli.__file__).read_text(encoding="utf-8")
