"""Dutch by default, English on request; translation catalogues compiled on start-up.

Each domain package keeps its own ``translations/`` folder (so domains never edit one shared
catalogue); Flask-Babel merges them. Compiled ``.mo`` files are build output, not source:
they are made from the ``.po`` files when missing or older.
"""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, request

log = logging.getLogger(__name__)

PACKAGE_ROOTS = ("register", "stolen_db", "notifications")


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


def init_app(app) -> None:
    directories = translation_directories()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    compile_catalogues(directories)
