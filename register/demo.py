"""Demo data for `flask seed-demo`: every role, every dealer kind, something on every page.

Each domain adds its part in its own function; ``seed`` calls them in order. Running it twice
changes nothing (it stops when the demo municipality exists).
"""

from __future__ import annotations

import importlib

from sqlalchemy.orm import Session

from .accounts.service import create_user
from .dealers.service import create_dealer, create_municipality, municipality_by_code

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo credentials, local only

DEMO_USERS = [
    # email, role, dealer key, municipality code
    ("dealer@demo.nl", "dealer", "fietsenhandel", None),
    ("kringloop@demo.nl", "dealer", "kringloop", None),
    ("gemeente@demo.nl", "municipality", None, "GM0363"),
    ("boa@demo.nl", "enforcement", None, "GM0363"),
    ("politie@demo.nl", "police", None, None),
    ("admin@demo.nl", "admin", None, None),
]


def seed(session: Session, *, now) -> dict | None:
    """Create the demo data; None when it exists already."""
    if municipality_by_code(session, "GM0363") is not None:
        return None
    amsterdam = create_municipality(session, "GM0363", "Amsterdam")
    utrecht = create_municipality(
        session, "GM0344", "Utrecht", holding_period=7, holding_period_unit="days"
    )
    rotterdam = create_municipality(session, "GM0599", "Rotterdam")
    dealers = {
        "fietsenhandel": create_dealer(
            session,
            name="Fietsen & Telefoons De Vries",
            municipality=amsterdam,
            now=now,
            kvk_number="12345678",
            active=True,
            street="Kerkstraat",
            house_number="12",
            postcode="1017 GC",
            city="Amsterdam",
        ),
        "kringloop": create_dealer(
            session,
            name="Kringloop Het Goede Doel",
            municipality=amsterdam,
            now=now,
            kind="thrift",
            kvk_number="23456789",
            active=True,
            street="Dapperstraat",
            house_number="3",
            postcode="1093 BS",
            city="Amsterdam",
        ),
        "goudsmid": create_dealer(
            session,
            name="Goud & Zilver Inkoop Utrecht",
            municipality=utrecht,
            now=now,
            kvk_number="34567890",
            active=True,
            street="Oudegracht",
            house_number="101",
            postcode="3511 AE",
            city="Utrecht",
        ),
        "buitenland": create_dealer(
            session,
            name="Gebrauchtwaren Müller GmbH",
            municipality=rotterdam,
            now=now,
            kind="foreign",
            country="DE",
            active=True,
            city="Rotterdam",
        ),
        "nieuw": create_dealer(
            session,
            name="Telefoonreparatie Nieuw-West",
            municipality=amsterdam,
            now=now,
            kvk_number="45678901",
            active=False,
            city="Amsterdam",
        ),
    }
    for email, role, dealer_key, municipality_code in DEMO_USERS:
        create_user(
            session,
            email=email,
            password=DEMO_PASSWORD,
            # Fixture data with the credentials README documents; the policy is for the
            # passwords people choose, and refuses this one.
            check_password=False,
            role=role,
            now=now,
            dealer_id=dealers[dealer_key].id if dealer_key else None,
            municipality_id=municipality_by_code(session, municipality_code).id
            if municipality_code
            else None,
        )
    context = {"municipalities": [amsterdam, utrecht, rotterdam], "dealers": dealers}
    # Each domain adds its demo data: ``seed(session, now=..., context=...)`` in its demo.py.
    for module_name in DOMAIN_DEMOS:
        importlib.import_module(module_name).seed(session, now=now, context=context)
    return context


# In order: stolen reports first, so that demo purchases can make hits.
DOMAIN_DEMOS = (
    "stolen_db.demo",
    "register.purchases.demo",
    "register.dealers.demo",
    "register.inspections.demo",
)
