"""What the web forms share: error-summary entries that name their field, and a title's
capital.

A summary entry reads "Seller's name: this field is required." (GOV.UK's pattern: the link
says which field and what is wrong) and links to the field, so that a summary of several
identical messages still tells the fields apart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Errors that belong to no one field: shown as they are, without a link.
FORM_WIDE = frozenset({"_schema", "csrf_token"})
ROW_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


@dataclass(frozen=True)
class SummaryEntry:
    text: str
    href: str | None


def lower_first(text: str) -> str:
    """``text`` with a small first letter, unless its first word is an abbreviation or a
    name with capitals inside it (IMEI, KvK), so that it can follow a colon."""
    first_word = text.split(" ", 1)[0]
    if not first_word or any(c.isupper() for c in first_word[1:]):
        return text
    return text[0].lower() + text[1:]


def upper_first(text) -> str:
    """``text`` with a capital first letter and the rest as it is (``capitalize`` would
    lower the rest: "Gazelle" must stay "Gazelle")."""
    text = str(text).strip()
    return text[:1].upper() + text[1:]


def _labels_of(labels) -> Mapping[str, str]:
    """A name → label mapping, from a mapping or from a WTForms form's fields."""
    if hasattr(labels, "_fields"):
        return {name: field.label.text for name, field in labels._fields.items()}
    return labels or {}


def field_label(name: str, labels) -> str | None:
    """The label that names field ``name`` in a summary.

    A field of a repeated row (``items.1.imei``) is named by its row and its label,
    "Item 2, IMEI", from the labels ``items.*`` ("Item") and ``items.*.imei``.
    """
    labels = _labels_of(labels)
    if name in labels:
        return labels[name]
    found = ROW_INDEX.search(name)
    if not found:
        return None
    row_key = name[: found.start()] + ".*"
    row = labels.get(row_key)
    if row is None:
        return None
    row_text = f"{row} {int(found.group(1)) + 1}"
    rest = name[found.end() :]
    if not rest:
        return row_text
    inner = field_label(row_key + rest, labels)
    return f"{row_text}, {lower_first(inner)}" if inner else row_text


def summary_entries(
    errors: Mapping, labels=None, ids=None, prefix: str = "f-", dashes: bool = True
) -> list[SummaryEntry]:
    """One entry per field in error, in the form's order: its label and message, and the id
    of its element (``ids[name]``, else ``prefix`` + the name, dots as dashes if asked)."""
    ids = ids or {}
    entries = []
    for name, message in (errors or {}).items():
        text = message if isinstance(message, str) else " ".join(str(m) for m in message)
        if name in FORM_WIDE:
            entries.append(SummaryEntry(text, None))
            continue
        label = field_label(name, labels)
        href = ids.get(name) or prefix + (name.replace(".", "-") if dashes else name)
        entries.append(SummaryEntry(f"{label}: {lower_first(text)}" if label else text, href))
    return entries


def init_app(app) -> None:
    app.add_template_global(summary_entries)
    app.add_template_filter(upper_first)
