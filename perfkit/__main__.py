"""``python -m perfkit`` is the same as the ``perfkit`` command."""

from perfkit.cli import command

raise SystemExit(command())
