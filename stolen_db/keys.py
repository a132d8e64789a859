"""Index keys for the look-alike and near tiers, so that both are index lookups.

Every identifier gets a set of 64-bit keys, stored in a two-column table beside the rows they
describe (``stolen_report_keys`` here, ``item_identifier_keys`` in the register):

- one *look-alike* key: a hash of (identifier type, look-alike key);
- for a look-alike key of at least ``NEAR_MIN_LENGTH`` characters and a known brand, one
  *near* key per one-deletion variant (and the key itself): a hash of (identifier type,
  brand, variant). This is the symmetric-deletion method: two strings one edit apart
  (insertion, deletion, substitution or swap of two neighbours) always share a
  one-deletion variant, so a lookup of the query's variants finds every candidate in one
  indexed ``IN`` query, whatever the size of the table. Candidates are then verified with
  the real edit distance (sharing a variant can also mean two edits).

Keys are hashes, not text, to keep the index small (a 64-bit integer per variant); a hash
collision only adds a candidate that verification drops.
"""

from __future__ import annotations

import hashlib

from .normalize import lookalike, normalize_brand

NEAR_MIN_LENGTH = 6


_SEPARATOR = "\x1f"


def _hash(*parts: str) -> int:
    digest = hashlib.blake2b(_SEPARATOR.join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def deletion_variants(key: str) -> set[str]:
    """The key and every string made by deleting one of its characters."""
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def lookalike_index_key(identifier_type: str, look: str) -> int:
    return _hash("L", identifier_type, look)


def near_index_keys(identifier_type: str, brand_norm: str, look: str) -> set[int]:
    if not brand_norm or len(look) < NEAR_MIN_LENGTH:
        return set()
    # _hash("N", identifier_type, brand_norm, variant) for every variant, with the common
    # prefix encoded once (a look-alike key is ASCII: slicing bytes is slicing text).
    prefix = _SEPARATOR.join(("N", identifier_type, brand_norm, "")).encode()
    data = look.encode()
    variants = {data} | {data[:i] + data[i + 1 :] for i in range(len(data))}
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return {
        from_bytes(blake2b(prefix + v, digest_size=8).digest(), "big", signed=True)
        for v in variants
    }


def identifier_keys(identifier_type: str, value: str | None, brand: str | None) -> set[int]:
    """Every index key of one identifier (look-alike and near)."""
    look = lookalike(identifier_type, value)
    if not look:
        return set()
    keys = {lookalike_index_key(identifier_type, look)}
    keys |= near_index_keys(identifier_type, normalize_brand(brand), look)
    return keys


def edit_distance_at_most_one(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are at most one insertion, deletion, substitution or swap of
    two neighbouring characters apart (optimal string alignment distance <= 1)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        # a swap of neighbours
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]
