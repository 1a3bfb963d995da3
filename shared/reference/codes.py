"""ONS (GSS) and ODS code formats of England's health geography, one definition each.

Digits are ``[0-9]``: ``\\d`` would also match other scripts' digits (issue #9 §4).

Sub-ICB location ODS codes are three characters (the former CCG codes, ``01F``) or five
(locations created since 2022, ``A3A8R``); no four-character code exists. The published
July 2022 lookup holds 97 of the first kind and 9 of the second.
"""

from __future__ import annotations

import re

__all__ = [
    "ICB",
    "ICB_ODS",
    "LAD",
    "LSOA",
    "SUB_ICB",
    "SUB_ICB_ODS",
    "is_english_lsoa",
    "is_welsh_lsoa",
]

# LSOA 2011 and LSOA 2021 codes share one format (E01 England, W01 Wales); the file says
# which vintage it is, the code cannot. Match these with ``fullmatch``.
LSOA = re.compile(r"E01[0-9]{6}")
ICB = re.compile(r"E54[0-9]{6}")
SUB_ICB = re.compile(r"E38[0-9]{6}")
LAD = re.compile(r"E0[6-9][0-9]{6}")
ICB_ODS = re.compile(r"Q[0-9A-Z]{2}")
SUB_ICB_ODS = re.compile(r"[0-9A-Z]{3}|[0-9A-Z]{5}")

_WELSH_LSOA = re.compile(r"W01[0-9]{6}")


def is_english_lsoa(code: str) -> bool:
    """Whether a code is an English LSOA (2011 or 2021)."""
    return LSOA.fullmatch(code) is not None


def is_welsh_lsoa(code: str) -> bool:
    """Whether a code is a Welsh LSOA, which an England-only reader skips."""
    return _WELSH_LSOA.fullmatch(code) is not None
