"""Identifier normalisation: one function per identifier kind.

The register keeps what was typed and these normalised forms. Matching works on the forms.
"""

from __future__ import annotations

import re

from stdnum import imei as stdnum_imei

_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_NON_DIGIT = re.compile(r"[^0-9]")

# Characters that people confuse when reading or typing a stamped or printed number.
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1", "|": "1", "S": "5", "Z": "2", "B": "8"})

IDENTIFIER_TYPES = ("imei", "serial_number", "frame_number")


def normalize_imei(value: str) -> str:
    """Digits only: '35-209900-176148-1' and '352099001761481' are the same IMEI."""
    return _NON_DIGIT.sub("", value or "")


def is_valid_imei(value: str) -> bool:
    """A 15-digit IMEI with a correct Luhn check digit (after normalisation)."""
    digits = normalize_imei(value)
    return len(digits) == 15 and stdnum_imei.is_valid(digits)


def normalize_serial(value: str) -> str:
    """Upper case with every character that is not a letter or digit removed."""
    return _NON_ALNUM.sub("", (value or "").upper())


normalize_frame = normalize_serial


def lookalike_key(normalized: str) -> str:
    """Fold the characters people confuse (O→0, I/L/|→1, S→5, Z→2, B→8)."""
    # '|' is stripped by normalisation; fold the raw upper-cased text for it first.
    return _NON_ALNUM.sub("", (normalized or "").upper().translate(_LOOKALIKE))


def normalize(identifier_type: str, value: str) -> str:
    """Normalise ``value`` as an identifier of ``identifier_type``."""
    if identifier_type == "imei":
        return normalize_imei(value)
    if identifier_type in ("serial_number", "frame_number"):
        return normalize_serial(value)
    raise ValueError(f"unknown identifier type {identifier_type!r}")
