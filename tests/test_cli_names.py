"""One name per thing on the command line (issue 28 §3): the default profile is one constant. (The
archive's one name, ``--archive`` with ``--db`` kept for old scripts: tests/test_archive.py.)"""

from __future__ import annotations


def test_default_profile_is_one_constant() -> None:
    from pathlib import Path

    import perfkit.cli
    from perfkit.rules import DEFAULT_PROFILE
    from perfkit.rules.rulebook import DEFAULT_PROFILE as IN_RULEBOOK

    assert DEFAULT_PROFILE == IN_RULEBOOK
    assert '"mof2020"' not in Path(perfkit.cli.__file__).read_text(encoding="utf-8")
