"""The navigation bar: what each role can reach from every page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (label, path) per role. Paths, not endpoint names: the addresses are part of the contract.
_MENU = {
    None: [(_l("Stolen check"), "/check")],
    "dealer": [
        (_l("New purchase"), "/purchases/new"),
        (_l("Register"), "/purchases"),
        (_l("Reporting duty"), "/meldplicht"),
        (_l("Stolen check"), "/check"),
        (_l("Dashboard"), "/dashboard"),
        (_l("Staff"), "/staff"),
    ],
    "municipality": [
        (_l("Reporting duty"), "/meldplicht"),
        (_l("Inspections"), "/inspections"),
        (_l("Local rules"), "/municipality/rules"),
        (_l("Staff"), "/staff"),
        (_l("Dashboard"), "/dashboard"),
    ],
    "enforcement": [
        (_l("Inspections"), "/inspections"),
        (_l("Registers"), "/purchases"),
        (_l("Search"), "/search"),
        (_l("Reporting duty"), "/meldplicht"),
        (_l("Dashboard"), "/dashboard"),
    ],
    "police": [
        (_l("Hits"), "/hits"),
        (_l("Search"), "/search"),
        (_l("Alerts"), "/alerts"),
        (_l("Stolen reports"), "/stolen"),
        (_l("Registers"), "/purchases"),
        (_l("Police notifications"), "/notifications"),
        (_l("Dashboard"), "/dashboard"),
    ],
    "admin": [
        (_l("Administration"), "/admin"),
        (_l("Police notifications"), "/notifications"),
        (_l("Dashboard"), "/dashboard"),
    ],
}


def navigation_for() -> list[tuple[str, str]]:
    role = current_user.role if current_user.is_authenticated else None
    return _MENU.get(role, _MENU[None])
