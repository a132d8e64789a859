"""Matching goods against active stolen reports, with an explained result.

This is the interface the register uses. Tiers, strongest first, with their confidence
(``CONFIDENCE``, the one place these numbers live):

=============  ==========  ==========================================================
kind           confidence  the identifier ...
=============  ==========  ==========================================================
``exact``      1.0         as typed (outer spaces aside) equals the report's
``normalized`` 0.98        equals the report's after normalisation (``stolen_db.normalize``)
``lookalike``  0.9         equals after also folding look-alike characters (O/0, I/L/|/1,
                           S/5, Z/2, B/8)
``near``       0.75        is one edit (insertion, deletion, substitution, swap of two
                           neighbours) from the report's look-alike key; both keys have at
                           least 6 characters and both goods have the same brand
=============  ==========  ==========================================================

Identifiers match within their type (an IMEI against IMEIs, ...). A frame number is only
unique per bicycle brand, so a frame number never matches a report of another brand (a
missing brand on either side does not stop it). A withdrawn report never matches.

Every tier is an index lookup: the exact and normalised tiers on the indexed ``*_norm``
columns, the look-alike and near tiers on the keys of ``stolen_db.keys``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy.orm import Session

from .keys import NEAR_MIN_LENGTH, edit_distance_at_most_one, lookalike_index_key, near_index_keys
from .lookup import fetch_all, one_of, one_of_args, takes_arrays
from .normalize import IDENTIFIER_TYPES, lookalike, normalize, normalize_brand

MATCH_KINDS = ("exact", "normalized", "lookalike", "near")
CONFIDENCE = {"exact": 1.0, "normalized": 0.98, "lookalike": 0.9, "near": 0.75}
# The public check answers on these tiers only (API.md): never a look-alike or near match.
PUBLIC_TIERS = ("exact", "normalized")


class Identifiers(NamedTuple):
    """The identifiers of one good, as typed, with its brand. (A named tuple: made for
    every check, and cheaper to make than a frozen dataclass.)"""

    imei: str | None = None
    serial_number: str | None = None
    frame_number: str | None = None
    brand: str | None = None

    def typed(self) -> list[tuple[str, str]]:
        """(identifier_type, value) for every identifier that was given."""
        return [
            (kind, value)
            for kind, value in (
                ("imei", self.imei),
                ("serial_number", self.serial_number),
                ("frame_number", self.frame_number),
            )
            if value and value.strip()
        ]


class Match(NamedTuple):
    """Why a good matches a stolen report: the explained result of matching."""

    report_id: int
    report_number: str
    kind: str  # one of MATCH_KINDS
    identifier_type: str  # imei | serial_number | frame_number
    confidence: float


class Explanation(NamedTuple):
    """How two goods' identifiers match: the strongest tier over their identifiers."""

    kind: str
    identifier_type: str
    confidence: float


def _brands_conflict(a: str | None, b: str | None) -> bool:
    na, nb = normalize_brand(a), normalize_brand(b)
    return bool(na and nb and na != nb)


def _tier(identifier_type: str, q: str, c: str, same_brand: bool, tiers) -> str | None:
    if "exact" in tiers and q.strip() == c.strip():
        return "exact"
    if "normalized" in tiers:
        nq = normalize(identifier_type, q)
        if nq and nq == normalize(identifier_type, c):
            return "normalized"
    if "lookalike" in tiers or "near" in tiers:
        lq, lc = lookalike(identifier_type, q), lookalike(identifier_type, c)
        if not lq or not lc:
            return None
        if "lookalike" in tiers and lq == lc:
            return "lookalike"
        if (
            "near" in tiers
            and same_brand
            and len(lq) >= NEAR_MIN_LENGTH
            and len(lc) >= NEAR_MIN_LENGTH
            and lq != lc
            and edit_distance_at_most_one(lq, lc)
        ):
            return "near"
    return None


def explain(
    query: Identifiers, candidate: Identifiers, tiers: Iterable[str] = MATCH_KINDS
) -> Explanation | None:
    """The strongest way ``query`` matches ``candidate`` within ``tiers``, or None."""
    tiers = tuple(tiers)
    qb, cb = normalize_brand(query.brand), normalize_brand(candidate.brand)
    same_brand = bool(qb) and qb == cb
    best: Explanation | None = None
    for identifier_type, q in query.typed():
        c = getattr(candidate, identifier_type)
        if not c or not c.strip():
            continue
        if identifier_type == "frame_number" and _brands_conflict(query.brand, candidate.brand):
            continue
        kind = _tier(identifier_type, q, c, same_brand, tiers)
        if kind is None:
            continue
        if best is None or CONFIDENCE[kind] > best.confidence:
            best = Explanation(kind, identifier_type, CONFIDENCE[kind])
    return best


def query_keys(identifiers: Identifiers, tiers: Iterable[str] = MATCH_KINDS) -> set[int]:
    """The index keys that find every look-alike / near candidate of ``identifiers``."""
    tiers = tuple(tiers)
    brand = normalize_brand(identifiers.brand)
    keys: set[int] = set()
    for identifier_type, value in identifiers.typed():
        look = lookalike(identifier_type, value)
        if not look:
            continue
        if "lookalike" in tiers:
            keys.add(lookalike_index_key(identifier_type, look))
        if "near" in tiers:
            keys |= near_index_keys(identifier_type, brand, look)
    return keys


# Fixed SQL text: only constants and ``?`` placeholders are put together here (hence S608).
_REPORT_COLUMNS = "r.id, r.report_number, r.brand, r.imei, r.serial_number, r.frame_number"


@lru_cache(maxsize=512)
def _by_keys_sql(count: int | None, *, with_key: bool = False) -> str:
    """The active reports with one of ``count`` keys (None: an array of keys, ``one_of``);
    ``with_key``: each row starts with the key that found it (a batch of many goods' keys)."""
    return (
        f"SELECT {'k.key, ' if with_key else ''}{_REPORT_COLUMNS} "  # noqa: S608
        "FROM stolen_report_keys k JOIN stolen_reports r ON r.id = k.report_id "
        f"WHERE {one_of('k.key', count)} AND r.status = 'active'"
    )


_STORED = {"imei": 3, "serial_number": 4, "frame_number": 5}  # column of the typed value


def _keep(best: dict[int, Match], match: Match) -> None:
    current = best.get(match.report_id)
    if current is None or match.confidence > current.confidence:
        best[match.report_id] = match


def _norm_match(best, identifiers, identifier_type, value, brand, row, tiers) -> None:
    """Keep the match of one row found on the normalised index of ``identifier_type``."""
    # The index found the normalised form: only exact-or-not is left to tell.
    if identifier_type == "frame_number" and brand and normalize_brand(row[2]) not in ("", brand):
        return  # frame numbers repeat between brands
    exact = value.strip() == row[_STORED[identifier_type]].strip()
    kind = "exact" if exact and "exact" in tiers else "normalized"
    if kind in tiers:
        _keep(best, Match(row[0], row[1], kind, identifier_type, CONFIDENCE[kind]))


def _key_match(best, identifiers, row, tiers) -> None:
    """Keep the match of one candidate row found on the look-alike / near keys."""
    report_id, report_number, brand, imei, serial, frame = row
    current = best.get(report_id)
    if current is not None and current.confidence >= CONFIDENCE["lookalike"]:
        return  # a key match cannot beat it
    why = explain(identifiers, Identifiers(imei, serial, frame, brand), tiers)
    if why is not None:
        _keep(best, Match(report_id, report_number, *why))


def _ranked(best: dict[int, Match]) -> list[Match]:
    if len(best) < 2:  # the usual answer: nothing to order (a check is on the hot path)
        return list(best.values())
    return sorted(best.values(), key=lambda m: (-m.confidence, m.report_id))


# Batches: one statement per ``BATCH`` values instead of one per good.
BATCH = 500
_NORM_COLUMNS = {"imei": "imei_norm", "serial_number": "serial_norm", "frame_number": "frame_norm"}


def _chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start : start + size]


_TYPE_OF_TAG = dict(enumerate(_NORM_COLUMNS))
_TAG_OF_TYPE = {kind: tag for tag, kind in _TYPE_OF_TAG.items()}


@lru_cache(maxsize=256)
def _norm_lookup_sql(identifier_type: str, count: int | None) -> str:
    tag = _TAG_OF_TYPE[identifier_type]
    column = _NORM_COLUMNS[identifier_type]
    return (
        f"SELECT {tag}, {_REPORT_COLUMNS}, r.{column} FROM stolen_reports r "  # noqa: S608
        f"WHERE {one_of(f'r.{column}', count, 'text')} AND r.status = 'active'"
    )


def _grouped(parts: list[tuple[str, list]], size: int = BATCH):
    """Consecutive parts in groups of at most ``size`` values (each part has at most that)."""
    group: list = []
    total = 0
    for part in parts:
        if group and total + len(part[1]) > size:
            yield group
            group, total = [], 0
        group.append(part)
        total += len(part[1])
    if group:
        yield group


def find_matches(
    session: Session,
    goods: Sequence[Identifiers],
    tiers: Iterable[str] = MATCH_KINDS,
    *,
    keys: Sequence[set[int]] | None = None,
) -> list[list[Match]]:
    """Every active stolen report each of ``goods`` matches: the strongest match per report,
    strongest first, one list per good. One indexed ``IN`` lookup per ``BATCH`` identifiers
    or keys, whatever the number of goods. ``keys``: each good's ``query_keys`` for
    ``tiers`` when the caller has them already."""
    tiers = tuple(tiers)
    session.flush()  # the lookups read through the session's connection
    statements: list[tuple[str, list]] = []
    arrays = takes_arrays(session)
    wanted: dict[str, dict[str, list[tuple[int, str]]]] = {}
    if "exact" in tiers or "normalized" in tiers:
        parts: list[tuple[str, list[str]]] = []  # (identifier type, normalised values)
        for identifier_type in _NORM_COLUMNS:
            of_type = wanted[identifier_type] = {}
            for index, identifiers in enumerate(goods):
                value = getattr(identifiers, identifier_type)
                if value and value.strip():
                    norm = normalize(identifier_type, value)
                    if norm:
                        of_type.setdefault(norm, []).append((index, value))
            parts += [(identifier_type, chunk) for chunk in _chunks(list(of_type))]
        # The identifier types side by side in one statement (one lookup for a good).
        for group in _grouped(parts):
            args = [(kind, *one_of_args(values, arrays)) for kind, values in group]
            sql = " UNION ALL ".join(_norm_lookup_sql(kind, count) for kind, count, _ in args)
            statements.append((sql, [p for _, _, params in args for p in params]))
    norm_statements = len(statements)
    owners: dict[int, list[int]] = {}
    if "lookalike" in tiers or "near" in tiers:
        for index, identifiers in enumerate(goods):
            for key in query_keys(identifiers, tiers) if keys is None else keys[index]:
                owners.setdefault(key, []).append(index)
        # In key order: consecutive lookups walk neighbouring pages of the key index.
        for chunk in _chunks(sorted(owners)):
            count, params = one_of_args(chunk, arrays)
            statements.append((_by_keys_sql(count, with_key=True), params))
    results = [fetch_all(session, sql, params) for sql, params in statements]
    return _matches_of(results, norm_statements, goods, wanted, owners, tiers)


def _matches_of(results, norm_statements, goods, wanted, owners, tiers) -> list[list[Match]]:
    """Each good's matches from the rows of ``find_matches``' statements."""
    best: list[dict[int, Match]] = [{} for _ in goods]
    for rows in results[:norm_statements]:
        for row in rows:
            identifier_type = _TYPE_OF_TAG[row[0]]
            for index, value in wanted[identifier_type][row[7]]:
                brand = normalize_brand(goods[index].brand)
                _norm_match(best[index], goods[index], identifier_type, value, brand,
                            row[1:7], tiers)  # fmt: skip
    candidates: dict[int, dict[int, tuple]] = {}
    for rows in results[norm_statements:]:
        for row in rows:
            for index in owners[row[0]]:
                candidates.setdefault(index, {})[row[1]] = row[1:]
    for index, rows in candidates.items():
        for row in rows.values():
            _key_match(best[index], goods[index], row, tiers)
    return [_ranked(found) for found in best]


_PUBLIC_SQL = (
    "SELECT id FROM stolen_reports WHERE imei_norm = ? AND status = 'active' "
    "UNION ALL SELECT id FROM stolen_reports WHERE serial_norm = ? AND status = 'active' "
    "UNION ALL SELECT id FROM stolen_reports WHERE frame_norm = ? AND status = 'active' "
    "AND (? = '' OR brand_norm IS NULL OR brand_norm = '' OR brand_norm = ?)"
)


def is_reported_stolen(session: Session, identifier: str, brand: str | None = None) -> bool:
    """The public check: does an active report carry this identifier (exact/normalised)?

    The public does not say which kind of identifier it typed, so the normalised text is
    looked up as an IMEI (when it was typed without letters), a serial number and a frame
    number. A brand, when given, only narrows frame numbers (unique per brand).
    """
    norm = normalize("serial_number", identifier)
    if not norm:
        return False
    # An IMEI is digits; text with letters is not an IMEI, even if it contains 15 digits.
    imei = normalize("imei", identifier) if norm.isdigit() else ""
    brand_norm = normalize_brand(brand)
    # '-' is never a normalised identifier: no IMEI lookup for text with letters.
    rows = fetch_all(session, _PUBLIC_SQL, (imei or "-", norm, norm, brand_norm, brand_norm))
    return bool(rows)


__all__ = [
    "CONFIDENCE",
    "IDENTIFIER_TYPES",
    "MATCH_KINDS",
    "PUBLIC_TIERS",
    "Explanation",
    "Identifiers",
    "Match",
    "explain",
    "find_matches",
    "is_reported_stolen",
    "query_keys",
]
