"""The CLI mirrors the API (issue 28 §3): every ``perfkit`` sub-command is one function of
:mod:`perfkit.api` (``COMMANDS``), the command's handler calls that very function, and what the API offers
beyond the commands is named with the reason (``API_ONLY``, and ``CLI_ONLY`` for the demo data)."""

from __future__ import annotations

import inspect
import re

import perfkit.api as pk
from perfkit import cli


def _commands() -> dict[str, object]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return {name: p.get_default("func") for name, p in sub.choices.items()}


def _source(func) -> str:
    """The handler's source and that of the cli helpers it calls (``_check_rules`` …), one level down."""
    text = inspect.getsource(func)
    for name in set(re.findall(r"\b(_[a-z_]+)\(", text)):
        helper = getattr(cli, name, None)
        if inspect.isfunction(helper):
            text += inspect.getsource(helper)
    return text


def test_every_command_is_an_api_function_or_named_as_cli_only() -> None:
    commands = _commands()
    mapped = {key.split()[0] for key in pk.COMMANDS} | set(pk.CLI_ONLY)
    assert set(commands) <= mapped, f"commands with no API function: {set(commands) - mapped}"
    assert mapped <= set(commands), f"API entries for commands that do not exist: {mapped - set(commands)}"


def test_each_command_calls_its_api_function() -> None:
    commands = _commands()
    for key, name in pk.COMMANDS.items():
        func = getattr(pk, name)
        assert callable(func), name
        assert re.search(rf"\b{func.__name__}\(", _source(commands[key.split()[0]])), \
            f"perfkit {key} does not call {name} ({func.__module__}.{func.__name__})"


def test_the_api_offers_every_name_it_lists() -> None:
    assert set(pk.__all__) == set(pk.COMMANDS.values()) | set(pk.API_ONLY)
    for name in pk.__all__:
        assert callable(getattr(pk, name)), name
    assert all(reason for reason in [*pk.API_ONLY.values(), *pk.CLI_ONLY.values()])


def test_a_name_the_api_does_not_offer_is_an_attribute_error() -> None:
    try:
        pk.not_a_function  # noqa: B018
    except AttributeError as exc:
        assert "not_a_function" in str(exc)
    else:
        raise AssertionError("perfkit.api.not_a_function should not exist")
