"""Demo stolen reports for ``flask seed-demo``: a few hand-made ones the demo purchases can
hit, a withdrawn one, and a batch of synthetic ones so the police's list has something in it.

The DOR demo registers goods with the identifiers below (as a customer might type them) to
show hits at registration.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from .generator import Generator
from .service import add_reports_bulk, report_theft, withdraw

# A phone: a valid IMEI (Luhn check digit), as the victim gave it.
DEMO_STOLEN_IMEI = "356938035643809"
DEMO_STOLEN_IMEI_BRAND = "Apple"
# A bicycle: the frame number stamped on the frame, with its brand (frame numbers repeat
# between brands, so matching needs both).
DEMO_STOLEN_FRAME = "GZ4471982"
DEMO_STOLEN_FRAME_BRAND = "Gazelle"
# A laptop: an Apple serial number.
DEMO_STOLEN_SERIAL = "C02XK0XJJG5H"
DEMO_STOLEN_SERIAL_BRAND = "Apple"

DEMO_REPORTS = [
    {
        "report_number": "PL1300-2026001001",
        "category": "phone",
        "brand": DEMO_STOLEN_IMEI_BRAND,
        "model": "iPhone 13",
        "imei": "35-693803-564380-9",
        "description": "blauw, barst in scherm, zwarte leren hoes",
    },
    {
        "report_number": "PL1300-2026001002",
        "category": "bicycle",
        "brand": DEMO_STOLEN_FRAME_BRAND,
        "model": "Orange C8",
        "frame_number": DEMO_STOLEN_FRAME,
        "description": "donkergroen, kinderzitje achter, fietstassen",
    },
    {
        "report_number": "PL0900-2026001003",
        "category": "laptop",
        "brand": DEMO_STOLEN_SERIAL_BRAND,
        "model": "MacBook Pro 14",
        "serial_number": DEMO_STOLEN_SERIAL,
        "description": "grijs, sticker op deksel",
    },
    {
        "report_number": "PL0600-2026001004",
        "category": "e_bike",
        "brand": "VanMoof",
        "model": "S3",
        "frame_number": "ASY3318420",
        "description": "zwart, voorlicht kapot",
    },
    {
        "report_number": "PL0100-2026001005",
        "category": "game_console",
        "brand": "Nintendo",
        "model": "Switch OLED",
        "serial_number": "XAW10012345678",
        "description": "wit, met twee controllers",
    },
]
# Recovered and given back: withdrawn, so it matches nothing any more.
DEMO_WITHDRAWN = {
    "report_number": "PL1300-2026000950",
    "category": "phone",
    "brand": "Samsung",
    "model": "Galaxy S21",
    "imei": "352861070123459",
    "description": "zwart, teruggevonden",
}
SYNTHETIC_COUNT = 200


def seed(session: Session, *, now, context: dict) -> None:
    """Add the demo reports (before the demo purchases, so those can make hits)."""
    for days, data in enumerate(DEMO_REPORTS, start=1):
        report_theft(session, {**data, "reported_at": now - timedelta(days=days)}, now=now)
    withdrawn = report_theft(
        session, {**DEMO_WITHDRAWN, "reported_at": now - timedelta(days=40)}, now=now
    ).report
    withdraw(session, withdrawn.id, now=now)
    generator = Generator(seed=2026, start=5000, now=now)
    add_reports_bulk(session, generator.reports(SYNTHETIC_COUNT), now=now)
    context["stolen_reports"] = {
        "imei": DEMO_STOLEN_IMEI,
        "frame_number": (DEMO_STOLEN_FRAME, DEMO_STOLEN_FRAME_BRAND),
        "serial_number": (DEMO_STOLEN_SERIAL, DEMO_STOLEN_SERIAL_BRAND),
    }
