"""Searching every register in scope: by identifier (every matching tier), part of an
identifier, the seller, words, category, dates and municipality.

Every criterion is an index lookup (the items' normalised columns and keys, the grams and
words tables, the sellers' indexes); the criteria narrow one statement over the items in
scope, newest first, read a page at a time by keyset (``cursor``: the last item id seen)
or by page number. A corrected item is found by what it says now and by what it said before
(``corrected``); a result shows what it says now. A search is refused unless it states a
purpose, and is audited with its criteria (``audit_search``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, literal, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, joinedload

from stolen_db.matching import Identifiers, explain, query_keys
from stolen_db.normalize import (
    PLACEHOLDER_WORDS,
    is_placeholder,
    normalize_imei,
    normalize_serial,
)

from ..accounts.audit import record_access
from ..accounts.authz import Principal
from ..accounts.models import Role
from ..dealers.models import Dealer, Municipality
from ..hits.models import ItemIdentifierKey
from ..purchases.models import Correction, Item, Purchase, Seller, effective_status
from ..purchases.service import identifiers_of, normalised_identifiers
from ..purchases.shapes import seller_shape
from . import corrected
from .indexing import NORM_COLUMNS, words
from .models import GRAM_LENGTH, ItemIdentifierGram, ItemWord

# A partial identifier's candidates are the items with its rarest grams: of at most
# _GRAMS_WEIGHED grams spread over it, each counted up to _GRAM_COUNT_CAP items, the
# _GRAMS_LOOKED_UP rarest, the rarest first (the one the lookup starts from). Grams that
# many identifiers share (an IMEI's type allocation code) would make the lookup grow with
# the register. The containment check on the candidates does the rest.
_GRAMS_WEIGHED = 6
_GRAM_COUNT_CAP = 200
_GRAMS_LOOKED_UP = 3
_CANDIDATES_LISTED = 500
# An identifier that matches more items than this is no identifier worth the name.
_IDENTIFIER_CANDIDATES = 5000
# A search counts its results up to this many; the answer says when there are more.
TOTAL_CAP = 1000
# Words are weighed like grams: each counted up to this many items.
_WORD_COUNT_CAP = 1000


# Why a search is refused (``SearchRefused.code``), in the API's words; pages translate.
MESSAGES = {
    "no_criterion": "Give at least one search criterion.",
    "placeholder": "This is no identifier (a placeholder or empty).",
    "too_short": f"Give at least {GRAM_LENGTH} letters or digits of the identifier.",
    "no_words": "Give at least one word (letters or digits).",
    "no_document": "This is no document number.",
    "unknown_municipality": "No municipality has this code.",
}


class SearchRefused(ValueError):
    """A criterion that cannot be searched on: the field it names and why (a code of
    ``MESSAGES``)."""

    def __init__(self, field_name: str, code: str):
        super().__init__(MESSAGES[code])
        self.field = field_name
        self.code = code
        self.message = MESSAGES[code]


@dataclass
class SearchPage:
    results: list[dict]
    total: int
    per_page: int
    page: int | None
    next_cursor: int | None
    criteria: dict = field(default_factory=dict)
    total_capped: bool = False  # there are more results than ``total`` (``TOTAL_CAP``)

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0


def criteria_of(args: dict) -> dict:
    """The criteria given, JSON-ready (dates as text): what the audit log records."""
    names = (
        "identifier", "brand", "partial", "document_number", "seller_name", "birth_date",
        "postcode", "q", "category", "date_from", "date_to", "municipality",
    )  # fmt: skip
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name in names
        if (value := args.get(name)) not in (None, "")
    }


def search_items(session: Session, principal: Principal, args: dict) -> SearchPage:
    """One page of the items in ``principal``'s scope that meet every criterion in ``args``
    (``SearchArgs``), newest first, with the total count."""
    criteria = criteria_of(args)
    if not any(name != "brand" for name in criteria):
        raise SearchRefused("_schema", "no_criterion")
    statement = select(Item.id).join(Purchase, Purchase.id == Item.purchase_id)
    if principal.role == Role.DEALER or not principal.is_national:
        statement = statement.where(
            _dealers(principal.dealer_clause(Dealer.id, Dealer.municipality_id))
        )
    matches: dict[int, dict] = {}
    if args.get("identifier"):
        matches = identifier_matches(session, args["identifier"], args.get("brand"))
        statement = statement.where(Item.id.in_(list(matches) or [0]))
    if args.get("partial"):
        clause, earlier = partial_clause(session, args["partial"])
        statement = statement.where(clause)
        matches = earlier | matches  # an item matched by the identifier says so
    statement = _seller_filters(statement, args)
    # Newest first: by the item's id, or by the same id in the index a search reads its
    # items from in that order, so that a page is read without sorting every match.
    order = Item.id
    if args.get("q"):
        statement, order = _with_words(session, statement, args["q"])
    if args.get("category"):
        statement = statement.where(Item.category == args["category"])
    if args.get("date_from"):
        statement = statement.where(Purchase.acquisition_date >= args["date_from"])
    if args.get("date_to"):
        statement = statement.where(Purchase.acquisition_date <= args["date_to"])
    if args.get("municipality"):
        statement = statement.where(
            _dealers(Dealer.municipality_id == _municipality_id(session, args["municipality"]))
        )
    # Counted up to a cap: a count costs what it counts, and beyond the cap an officer
    # narrows the search rather than reads on.
    counted = session.scalar(
        select(func.count()).select_from(statement.limit(TOTAL_CAP + 1).subquery())
    )
    per_page = args.get("per_page") or 50
    # One row more than the page: whether there is a next page, without counting again.
    page_statement = statement.order_by(order.desc()).limit(per_page + 1)
    page = None
    if args.get("cursor"):
        page_statement = page_statement.where(order < args["cursor"])
    else:
        page = args.get("page") or 1
        page_statement = page_statement.offset((page - 1) * per_page)
    ids = list(session.scalars(page_statement))
    next_cursor = ids[per_page - 1] if len(ids) > per_page else None
    ids = ids[:per_page]
    results = present_results(session, principal, ids, matches, args.get("partial"))
    total, capped = min(counted, TOTAL_CAP), counted > TOTAL_CAP
    return SearchPage(results, total, per_page, page, next_cursor, criteria, capped)


def identifier_matches(session: Session, text: str, brand: str | None) -> dict[int, dict]:
    """The items an identifier matches through every tier (``stolen_db.matching``): item id
    -> its match (kind, identifier type, confidence). Placeholders are refused."""
    digits, norm = normalize_imei(text), normalize_serial(text)
    if is_placeholder(norm):
        raise SearchRefused("identifier", "placeholder")
    query = Identifiers(imei=text, serial_number=text, frame_number=text, brand=brand)
    norm_clauses = [Item.serial_norm == norm, Item.frame_norm == norm]
    if digits and not is_placeholder(digits):
        norm_clauses.append(Item.imei_norm == digits)
    candidates = set(
        session.scalars(select(Item.id).where(or_(*norm_clauses)).limit(_IDENTIFIER_CANDIDATES))
    )
    keys = query_keys(query)
    if keys:
        candidates |= set(
            session.scalars(
                select(ItemIdentifierKey.item_id)
                .where(ItemIdentifierKey.key.in_(sorted(keys)))
                .limit(_IDENTIFIER_CANDIDATES)
            )
        )
    items = list(session.scalars(select(Item).where(Item.id.in_(sorted(candidates)))))
    corrections = corrected.corrections_of(session, (item.purchase_id for item in items))
    matches: dict[int, dict] = {}
    for item in items:
        history = corrected.versions(item, corrections.get(item.purchase_id, ()))
        best = None
        for earlier, values in _newest_first(history):
            why = explain(query, identifiers_of(values))
            if why is None or is_placeholder(normalize_serial(values[why.identifier_type])):
                continue
            if best is None or why.confidence > best["confidence"]:
                best = _match(why.kind, why.identifier_type, why.confidence, earlier)
        if best is not None:
            matches[item.id] = best
    return matches


def _newest_first(history: list[dict]):
    """(whether it is an earlier value, the values) of an item's versions, what it says now
    first: a match by what it says now wins a tie."""
    for position, values in enumerate(reversed(history)):
        yield position > 0, values


def _match(kind: str, identifier_type: str, confidence: float | None, earlier: bool) -> dict:
    return {
        "kind": kind,
        "identifier_type": identifier_type,
        "confidence": confidence,
        "earlier_value": earlier,
    }


def partial_clause(session: Session, text: str) -> tuple:
    """Items with ``text`` (normalised, at least 4 characters) inside one of their
    normalised identifiers, now or before a correction: candidates from the grams index,
    each checked for containment. The clause, and the match of each item found."""
    norm = normalize_serial(text)
    if len(norm) < GRAM_LENGTH:
        raise SearchRefused("partial", "too_short")
    if is_placeholder(norm):
        raise SearchRefused("partial", "placeholder")
    grams = _rarest_grams(session, norm)
    first, *others = [ItemIdentifierGram.__table__.alias(f"g{n}") for n in range(len(grams))]
    candidates = select(first.c.item_id).where(first.c.gram == grams[0])
    for alias, gram in zip(others, grams[1:], strict=True):
        candidates = candidates.join(
            alias, and_(alias.c.item_id == first.c.item_id, alias.c.gram == gram)
        )
    # Looked up once when they are few (the count, the page and the earlier values each
    # read them); a part that many identifiers share stays a subquery.
    listed = list(session.scalars(candidates.limit(_CANDIDATES_LISTED + 1)))
    if len(listed) <= _CANDIDATES_LISTED:
        candidates = listed or [0]
    contains = [
        and_(column.contains(norm, autoescape=True), column.not_in(sorted(PLACEHOLDER_WORDS)))
        for column in (Item.imei_norm, Item.serial_norm, Item.frame_norm)
    ]
    earlier = _earlier_partial_matches(session, norm, candidates)
    if earlier:
        contains.append(Item.id.in_(sorted(earlier)))
    return and_(Item.id.in_(candidates), or_(*contains)), earlier


def _rarest_grams(session: Session, norm: str) -> list[str]:
    """The grams of ``norm`` to look up, the rarest first: one statement counts each
    weighed gram's items up to a cap, so the weighing costs the same at any size."""
    last = len(norm) - GRAM_LENGTH
    weighed = min(_GRAMS_WEIGHED, last + 1)
    starts = sorted({round(n * last / max(weighed - 1, 1)) for n in range(weighed)})
    grams = list(dict.fromkeys(norm[start : start + GRAM_LENGTH] for start in starts))
    return _by_rarity(session, ItemIdentifierGram.__table__.c.gram, grams, _GRAM_COUNT_CAP)[
        :_GRAMS_LOOKED_UP
    ]


def _earlier_partial_matches(session: Session, norm: str, candidates) -> dict[int, dict]:
    """The corrected items among ``candidates`` that held ``norm`` in an identifier before a
    correction replaced it (their grams stay indexed): item id -> its match."""
    items = list(
        session.scalars(
            select(Item).where(
                Item.id.in_(candidates), Item.purchase_id.in_(select(Correction.purchase_id))
            )
        )
    )
    corrections = corrected.corrections_of(session, (item.purchase_id for item in items))
    found: dict[int, dict] = {}
    for item in items:
        for values in corrected.versions(item, corrections.get(item.purchase_id, ()))[:-1]:
            identifier_type = _containing(normalised_identifiers(values), norm)
            if identifier_type is not None:
                found[item.id] = _match("partial", identifier_type, None, True)
                break
    return found


def _containing(norms: dict[str, str | None], norm: str) -> str | None:
    """The type of the first identifier (no placeholder) with ``norm`` inside, if any."""
    for identifier_type, column in zip(
        ("imei", "serial_number", "frame_number"), NORM_COLUMNS, strict=True
    ):
        value = norms[column]
        if value and norm in value and not is_placeholder(value):
            return identifier_type
    return None


def _with_words(session: Session, statement, text: str):
    """``statement`` narrowed to items whose brand, model or description has every word of
    ``text``: it reads the rarest word's items from the words index newest first and checks
    the other words of each (an index lookup apiece). The statement, and the column that
    orders it newest first."""
    found = sorted(words(text))
    if not found:
        raise SearchRefused("q", "no_words")
    rarest, *others = _by_rarity(session, ItemWord.__table__.c.word, found, _WORD_COUNT_CAP)
    first = ItemWord.__table__.alias("w0")
    statement = statement.join(first, and_(first.c.item_id == Item.id, first.c.word == rarest))
    for word in others:
        statement = statement.where(
            select(ItemWord.item_id)
            .where(ItemWord.word == word, ItemWord.item_id == Item.id)
            .exists()
        )
    return statement, first.c.item_id


def _by_rarity(session: Session, key, values: list[str], cap: int) -> list[str]:
    """``values`` of an index's ``key`` column, the rarest first: one statement counts the
    items of each up to ``cap``, so weighing them costs the same at any size."""
    if len(values) == 1:
        return values
    table = key.table
    counts = [
        select(literal(value).label("value"), func.count().label("items")).select_from(
            select(table.c.item_id).where(key == value).limit(cap).subquery()
        )
        for value in values
    ]
    rows = session.execute(union_all(*counts)).all()
    return [row.value for row in sorted(rows, key=lambda row: (row.items, row.value))]


def _seller_filters(statement, args: dict):
    seller_clauses = []
    if args.get("document_number"):
        typed = args["document_number"].strip()
        norm = normalize_serial(typed)
        if is_placeholder(norm):
            raise SearchRefused("document_number", "no_document")
        seller_clauses.append(Seller.id_document_number.in_(sorted({typed, typed.upper(), norm})))
    if args.get("seller_name"):
        name = " ".join(args["seller_name"].split())
        seller_clauses.append(func.lower(Seller.name) == name.lower())
        if args.get("birth_date"):
            seller_clauses.append(Seller.birth_date == args["birth_date"])
    if args.get("postcode"):
        postcode = "".join(args["postcode"].split()).upper()
        seller_clauses.append(folded_postcode() == postcode)
    if not seller_clauses:
        return statement
    return statement.join(Seller, Seller.id == Purchase.seller_id).where(
        Seller.purged_at.is_(None), *seller_clauses
    )


def folded_postcode():
    """The seller's postcode without spaces, in capitals: the expression of its index
    (literals, not parameters, so that the database recognises the index's expression)."""
    no_spaces = func.replace(Seller.postcode, literal_column("' '"), literal_column("''"))
    return func.upper(no_spaces)


def _dealers(clause):
    """Entries of the dealers that meet ``clause``: their few ids, then each one's entries
    by its (dealer, acquisition date) index."""
    return Purchase.dealer_id.in_(select(Dealer.id).where(clause))


def _municipality_id(session: Session, code: str) -> int:
    found = session.scalar(select(Municipality.id).where(Municipality.code == code.strip().upper()))
    if found is None:
        raise SearchRefused("municipality", "unknown_municipality")
    return found


def present_results(
    session: Session, principal: Principal, ids: list[int], matches: dict, partial: str | None
) -> list[dict]:
    """The results in the order of ``ids``: item (as it says now), status, purchase, dealer
    and (for the police) the seller, with how each matched."""
    if not ids:
        return []
    items = {
        item.id: item
        for item in session.scalars(
            select(Item)
            .where(Item.id.in_(ids))
            .options(
                joinedload(Item.purchase).joinedload(Purchase.seller),
                joinedload(Item.purchase)
                .joinedload(Purchase.dealer)
                .joinedload(Dealer.municipality),
            )
        )
    }
    corrections = corrected.corrections_of(session, (item.purchase_id for item in items.values()))
    today = _today()
    shows_seller = principal.role == Role.POLICE
    partial_norm = normalize_serial(partial) if partial else None
    results = []
    for item_id in ids:
        item = items[item_id]
        purchase, dealer = item.purchase, item.purchase.dealer
        results.append(
            {
                "item": corrected.shown(item, corrections.get(purchase.id, ())),
                "status": effective_status(item, today),
                "purchase": purchase,
                "dealer": {
                    "id": dealer.id,
                    "name": dealer.name,
                    "municipality": dealer.municipality.code if dealer.municipality else None,
                    "city": dealer.city,
                },
                "seller": seller_view(purchase.seller) if shows_seller else None,
                "match": matches.get(item_id) or _partial_match(item, partial_norm),
            }
        )
    return results


def _partial_match(item: Item, norm: str | None) -> dict | None:
    """How an item found by part of what its identifiers say now matched."""
    if not norm:
        return None
    norms = {column: getattr(item, column) for column in NORM_COLUMNS}
    identifier_type = _containing(norms, norm)
    return None if identifier_type is None else _match("partial", identifier_type, None, False)


def seller_view(seller: Seller | None) -> dict | None:
    if seller is None:
        return None
    if seller.purged_at is not None:
        return {"purged": True, "purged_at": seller.purged_at}
    return {**seller_shape(seller), "purged": False, "purged_at": None}


def audit_search(
    session: Session, principal: Principal, page: SearchPage, purpose: str, *, action: str
) -> None:
    """One audit entry per search: who, why, the criteria, and the entries it showed."""
    record_access(
        session,
        user_id=principal.user_id,
        action=action,
        record_type="item_search",
        record_id=None,
        purpose=purpose,
        details={
            "criteria": page.criteria,
            "total": page.total,
            "items": [r["item"].id for r in page.results],
            "purchases": sorted({r["purchase"].id for r in page.results}),
            "sellers_shown": principal.role == Role.POLICE,
        },
    )


def _today() -> date:
    from ..clock import clock

    return clock().today()
