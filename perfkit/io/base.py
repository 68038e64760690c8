"""What the rest of perfkit needs from ``io`` without importing pandas: the user-facing error types and
the name of the file that marks a validated snapshot folder.

``perfkit report`` on unchanged data never parses a table in its own process (the notebooks' kernels
do), so its process should not pay ≈ 0.5 s of pandas/pyarrow imports just to know these names.
"""

from __future__ import annotations

import re


class InputError(Exception):
    """The input cannot be read at all. The message is one line, in the user's terms."""


class MissingTableError(InputError):
    """A step needs a table that the input does not hold."""


SNAPSHOT_MARK = "perfkit_snapshot.json"  # written last into a snapshot folder: its presence means complete



# ANSI escape sequences (CSI, OSC, two-byte), then control and bidi-override characters, then line breaks
_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n\r]+")


def printable(text: object) -> str:
    """Text from data made safe to echo on a terminal: ANSI escape sequences and control characters
    (a cell holding ``\\x1b[2J`` would clear the user's screen) are removed, line breaks and tabs become
    spaces — one message stays one line."""
    return _CONTROLS.sub("", _BREAKS.sub(" ", _CSI.sub("", str(text))))
