"""Dutch by default, English on request; translation catalogues compiled on start-up.

Each domain package keeps its own ``translations/`` folder (so domains never edit one shared
catalogue); Flask-Babel merges them. Compiled ``.mo`` files are build output, not source:
they are made from the ``.po`` files when missing or older.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request
from flask_babel import format_currency, format_date

from .clock import AMSTERDAM, aware

log = logging.getLogger(__name__)

PACKAGE_ROOTS = ("register", "stolen_db", "notifications")


def N_(text: str) -> str:  # the gettext convention: mark for translation, translate later
    return text


# Messages libraries show on our pages, listed so that they are in the catalogue.
LIBRARY_MESSAGES = (
    N_("Please log in to access this page."),  # Flask-Login, through localize_callback
)

# Values the pages translate as they are, ``_(current_user.role)``: listed so that they are in
# the catalogue (and are not taken for obsolete entries).
ROLE_NAMES = (N_("dealer"), N_("municipality"), N_("enforcement"), N_("police"), N_("admin"))


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def translation_directories() -> list[str]:
    """Every ``translations`` folder of the three packages, for BABEL_TRANSLATION_DIRECTORIES."""
    root = Path(__file__).resolve().parent.parent
    found = []
    for package in PACKAGE_ROOTS:
        for path in sorted((root / package).rglob("translations")):
            if path.is_dir():
                found.append(str(path))
    return found


def compile_catalogues(directories: list[str]) -> None:
    for directory in directories:
        for po_path in Path(directory).rglob("*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            try:
                with po_path.open("rb") as po_file:
                    catalog = read_po(po_file)
                with mo_path.open("wb") as mo_file:
                    write_mo(mo_file, catalog)
            except OSError:  # a read-only install ships compiled catalogues
                log.warning("could not compile %s", po_path)


NOTHING = "\u2013"  # an en dash where a value is missing


def long_date(value) -> str:
    """A date as people write it: ``3 december 2026`` (``3 December 2026`` in English)."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = aware(value).astimezone(AMSTERDAM).date()
    return format_date(value, "d MMMM y")


def date_time(value) -> str:
    """A moment in Dutch time, short: ``3-12-2026 08:39``."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return aware(value).astimezone(AMSTERDAM).strftime("%-d-%-m-%Y %H:%M")


def euros(cents) -> str:
    """An amount in cents as euros: ``€ 1.250,50`` (``€1,250.50`` in English)."""
    if cents is None or cents == "":
        return NOTHING
    return format_currency(Decimal(int(cents)) / 100, "EUR")


def translated(message) -> str:
    """A service's message (a ``Message``) in the reader's language, for templates."""
    from .purchases.messages import translate

    return translate(message)


def task_details(task) -> str:
    """An inspection task's details in the reader's language: dates as dates, the kinds of
    report (start, change, stop) as words of the page's language."""
    from flask_babel import gettext

    if not task.details_template:
        return task.details or ""
    params = {}
    for name, value in (task.details_params or {}).items():
        if isinstance(value, str) and len(value) == 10 and value[4:5] == "-":
            value = long_date(value)
        elif isinstance(value, str) and value.isalpha():
            value = gettext(value)
        params[name] = value
    return gettext(task.details_template) % params


def init_app(app) -> None:
    directories = translation_directories()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    compile_catalogues(directories)
    app.add_template_filter(long_date)
    app.add_template_filter(date_time)
    app.add_template_filter(euros)
    app.add_template_filter(translated)
    app.add_template_filter(task_details)


def translated_errors(errors: dict) -> dict[str, list[str]]:
    """Field errors (``Message``s, or marshmallow's and other libraries' English) translated."""
    from .purchases.messages import translate

    return {
        name: [translate(m) for m in (messages if isinstance(messages, list) else [messages])]
        for name, messages in errors.items()
    }


def exception_text(exc: Exception) -> str:
    """A service exception's message (a ``Message`` or plain text) in the reader's language."""
    from .purchases.messages import translate

    return translate(exc.args[0]) if exc.args else str(exc)
