"""Keeping the search indexes in step with the register: an item's grams and words.

Called once per registration (one statement per table, whatever the number of items), once
per correction (the corrected values join those already indexed), and by the migration and
the benchmark to fill the indexes for items already registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from stolen_db.normalize import is_placeholder

from ..database import upsert_insert
from . import corrected
from .models import GRAM_LENGTH, WORD_LENGTH, ItemIdentifierGram, ItemWord

NORM_COLUMNS = ("imei_norm", "serial_norm", "frame_norm")
WORD_COLUMNS = ("brand", "model", "description")
_WORD = re.compile(r"\w+", re.UNICODE)


def identifier_grams(norm: str | None) -> set[str]:
    """Every 4-character piece of a normalised identifier; none of a placeholder."""
    if norm is None or len(norm) < GRAM_LENGTH or is_placeholder(norm):
        return set()
    return {norm[i : i + GRAM_LENGTH] for i in range(len(norm) - GRAM_LENGTH + 1)}


def words(text: str | None) -> set[str]:
    """The case-folded words of a text (letters and digits), each cut to the index's width."""
    if not text:
        return set()
    return {word[:WORD_LENGTH] for word in _WORD.findall(text.casefold().replace("_", " "))}


def item_grams(item) -> set[str]:
    grams: set[str] = set()
    for column in NORM_COLUMNS:
        grams |= identifier_grams(getattr(item, column))
    return grams


def item_words(item) -> set[str]:
    found: set[str] = set()
    for column in WORD_COLUMNS:
        found |= words(getattr(item, column))
    return found


def index_rows(items: Iterable) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The (gram, item id) and (word, item id) rows of ``items`` (models or plain objects)."""
    grams, found = [], []
    for item in items:
        grams += [(gram, item.id) for gram in item_grams(item)]
        found += [(word, item.id) for word in item_words(item)]
    return grams, found


def index_items(session: Session, items: Iterable) -> None:
    """Add new (flushed) items to the search indexes, in the caller's transaction. The rows
    go in as plain table rows: they are never loaded as objects of the session."""
    grams, found = index_rows(items)
    grams_table, words_table = ItemIdentifierGram.__table__, ItemWord.__table__
    if grams:
        session.execute(insert(grams_table), [{"gram": g, "item_id": i} for g, i in grams])
    if found:
        session.execute(insert(words_table), [{"word": w, "item_id": i} for w, i in found])


def index_corrected(session: Session, purchase) -> None:
    """Add what a corrected entry's items say now to the search indexes, in the caller's
    transaction. The rows of the values they replace stay, so that the search finds the
    item by its registered values too (a correction may hide a stolen identifier)."""
    current = [
        corrected.index_view(item.id, corrected.versions(item, purchase.corrections)[-1])
        for item in purchase.items
    ]
    grams, found = index_rows(current)
    if grams:
        session.execute(
            upsert_insert(session, ItemIdentifierGram).on_conflict_do_nothing(),
            [{"gram": g, "item_id": i} for g, i in grams],
        )
    if found:
        session.execute(
            upsert_insert(session, ItemWord).on_conflict_do_nothing(),
            [{"word": w, "item_id": i} for w, i in found],
        )
