"""What the rest of perfkit needs from ``io`` without importing pandas: the user-facing error types and
the name of the file that marks a validated snapshot folder.

``perfkit report`` on unchanged data never parses a table in its own process (the notebooks' kernels
do), so its process should not pay ≈ 0.5 s of pandas/pyarrow imports just to know these names.
"""

from __future__ import annotations


class InputError(Exception):
    """The input cannot be read at all. The message is one line, in the user's terms."""


class MissingTableError(InputError):
    """A step needs a table that the input does not hold."""


SNAPSHOT_MARK = "perfkit_snapshot.json"  # written last into a snapshot folder: its presence means complete
