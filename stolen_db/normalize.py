"""Identifier normalisation: one function per identifier kind.

The register keeps what was typed and these normalised forms. Matching works on the forms:

- ``normalize_imei``: digits only. A 15-digit IMEI with a wrong check digit is *not* fixed
  here; ``is_valid_imei`` tells, and the police API refuses it.
- ``normalize_serial`` / ``normalize_frame``: upper case, every character that is not a
  letter or digit removed.
- ``lookalike_key``: a separate key that also folds the characters people confuse when they
  read or type a stamped or printed number (O→0; I, L, |→1; S→5; Z→2; B→8).
- ``normalize_brand``: brands compare case- and punctuation-blind ("Gazelle" = "GAZELLE").
"""

from __future__ import annotations

import re

from stdnum import imei as stdnum_imei

_NON_ALNUM = re.compile(r"[^0-9A-Z]")
_NON_DIGIT = re.compile(r"[^0-9]")
_NON_WORD = re.compile(r"[\W_]", re.UNICODE)

# Characters that people confuse when reading or typing a stamped or printed number.
LOOKALIKE_FOLDS = {"O": "0", "I": "1", "L": "1", "|": "1", "S": "5", "Z": "2", "B": "8"}
_LOOKALIKE = str.maketrans(LOOKALIKE_FOLDS)

IDENTIFIER_TYPES = ("imei", "serial_number", "frame_number")


def normalize_imei(value: str | None) -> str:
    """Digits only: '35-209900-176148-1' and '352099001761481' are the same IMEI."""
    return _NON_DIGIT.sub("", value or "")


def is_valid_imei(value: str | None) -> bool:
    """A 15-digit IMEI with a correct Luhn check digit (after normalisation)."""
    digits = normalize_imei(value)
    return len(digits) == 15 and stdnum_imei.is_valid(digits)


def normalize_serial(value: str | None) -> str:
    """Upper case with every character that is not a letter or digit (A-Z, 0-9) removed."""
    return _NON_ALNUM.sub("", (value or "").upper())


def normalize_frame(value: str | None) -> str:
    """Frame numbers are stamped letters and digits: normalised as serial numbers are."""
    return normalize_serial(value)


def lookalike_key(value: str | None) -> str:
    """The typed text with look-alike characters folded, then normalised as a serial number.

    Takes the text *as typed*: '|' is a look-alike of '1' but normalisation removes it, so
    the folding comes first.
    """
    return _NON_ALNUM.sub("", (value or "").upper().translate(_LOOKALIKE))


def lookalike_imei(value: str | None) -> str:
    """An IMEI typed with look-alike letters ('35209900176I481'): folded, then digits only."""
    return _NON_DIGIT.sub("", (value or "").upper().translate(_LOOKALIKE))


def normalize_brand(value: str | None) -> str:
    """Case-blind, without spaces and punctuation: 'Van Moof' = 'VANMOOF' = 'vanmoof'."""
    return _NON_WORD.sub("", (value or "").casefold())


def normalize(identifier_type: str, value: str | None) -> str:
    """Normalise ``value`` as an identifier of ``identifier_type``."""
    if identifier_type == "imei":
        return normalize_imei(value)
    if identifier_type == "serial_number":
        return normalize_serial(value)
    if identifier_type == "frame_number":
        return normalize_frame(value)
    raise ValueError(f"unknown identifier type {identifier_type!r}")


def lookalike(identifier_type: str, value: str | None) -> str:
    """The look-alike key of ``value`` as an identifier of ``identifier_type``."""
    if identifier_type == "imei":
        return lookalike_imei(value)
    if identifier_type in ("serial_number", "frame_number"):
        return lookalike_key(value)
    raise ValueError(f"unknown identifier type {identifier_type!r}")


# What people type when a good has no number (DOMAIN.md, "Identifiers and matching"), in
# normalised form: such text is no identifier and never matches anything.
PLACEHOLDER_WORDS = frozenset(
    {
        "NA", "NVT", "NB", "ONB", "ONBEKEND", "NIETBEKEND", "GEEN", "GEENNUMMER", "GEENSERIENUMMER",
        "GEENIMEI", "NIETS", "LEEG", "UNKNOWN", "NONE", "NIL", "NULL", "NOSERIAL", "NOSERIALNUMBER",
        "NONUMBER", "NOIMEI", "TBD", "TBA", "NOTAPPLICABLE", "NOTAVAILABLE", "UNK", "XXX", "XXXX",
        "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "1234567890",
    }
)  # fmt: skip


def is_placeholder(norm: str | None) -> bool:
    """Whether a normalised identifier is no identifier: empty, a placeholder word or one
    character repeated ('000000', 'XXXXX')."""
    if not norm:
        return True
    return norm in PLACEHOLDER_WORDS or norm == norm[0] * len(norm)
