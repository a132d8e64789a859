"""The message catalogues are complete: every text the code and templates mark is translated.

The strings are found as ``pybabel extract`` finds them (babel.cfg), in all three packages,
and looked up in the union of their Dutch catalogues; Flask-Babel merges those the same way.
"""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("register", "stolen_db", "notifications")
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]  # mails: .txt
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "N_": None, "Message": None}  # fmt: skip


def extracted() -> dict[str, str]:
    """msgid -> where it was found, for every marked string of the three packages."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, METHODS, keywords=KEYWORDS, strip_comment_tags=True
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid and "migrations" not in filename:
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def dutch_catalogue_entries():
    for package in PACKAGES:
        for po_path in sorted((ROOT / package).rglob("translations/nl/LC_MESSAGES/*.po")):
            with po_path.open("rb") as handle:
                yield po_path, read_po(handle)


def translated_msgids() -> set[str]:
    translated: set[str] = set()
    for _path, catalogue in dutch_catalogue_entries():
        for message in catalogue:
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if msgid and all(strings) and not message.fuzzy:
                translated.add(msgid)
    return translated


def validation_messages() -> dict[str, str]:
    """msgid -> where, for every ``ValidationError("...")`` with a plain text: a message a
    form shows its reader (the web pages translate field messages), even when unmarked."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None))
                    == "ValidationError"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.setdefault(node.args[0].value, where)
    return found


def test_every_marked_string_has_a_dutch_translation():
    translated = translated_msgids()
    missing = {msgid: where for msgid, where in extracted().items() if msgid not in translated}
    assert not missing, "untranslated:\n" + "\n".join(f"{w}: {m!r}" for m, w in missing.items())


def test_every_validation_message_has_a_dutch_translation():
    translated = translated_msgids()
    missing = {m: where for m, where in validation_messages().items() if m not in translated}
    assert not missing, "untranslated:\n" + "\n".join(f"{w}: {m!r}" for m, w in missing.items())


def test_no_catalogue_entry_is_fuzzy():
    fuzzy = [
        f"{path.relative_to(ROOT)}: {message.id!r}"
        for path, catalogue in dutch_catalogue_entries()
        for message in catalogue
        if message.id and message.fuzzy
    ]
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)


def test_no_catalogue_entry_is_obsolete():
    """Every entry is still marked somewhere: a text taken out of the code leaves no
    translation behind that the next reader would have to wonder about. A plain
    ``ValidationError`` text counts as marked: the pages translate it where they show it."""
    marked = {**extracted(), **validation_messages()}
    obsolete = [
        f"{path.relative_to(ROOT)}: {message.id!r}"
        for path, catalogue in dutch_catalogue_entries()
        for message in [*catalogue, *catalogue.obsolete.values()]
        if message.id
        and (message.id[0] if isinstance(message.id, tuple) else message.id) not in marked
    ]
    assert not obsolete, "obsolete:\n" + "\n".join(obsolete)
