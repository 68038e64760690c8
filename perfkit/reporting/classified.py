"""Which projects may be named: the one 涉密 decision, as the reporting side asks it.

The decision itself is made once, by the loader, on its own reading of the input
(:mod:`perfkit.io.secrecy`); every door that writes project names — report, annex, allocation,
letters, explorer export, disclose — asks :func:`decide` (or reads the 项目 table's ``classified``
column the decision wrote) and never reads the raw files a second time. This module adds only what
disclosure needs on top: its refusal type.
"""

from __future__ import annotations

from perfkit.io.base import InputError
from perfkit.io.secrecy import (
    PENDING_COLUMNS,
    Secrecy,
    SecrecyRefused,
    classified_codes,
    code_key,
    decide,
    keys_of,
    name_has,
)


class DisclosureRefused(InputError):
    """Publishing would risk a classified project; the one-line message says why and what to do."""


__all__ = ["PENDING_COLUMNS", "DisclosureRefused", "Secrecy", "SecrecyRefused", "classified_codes", "code_key",
           "decide", "keys_of", "name_has"]
