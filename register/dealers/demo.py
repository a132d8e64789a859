"""DOL demo data: reports awaiting review for gemeente@demo.nl, and decided ones."""

from __future__ import annotations

from datetime import timedelta

from .meldplicht_service import Business, decide, dutch_date, file_report
from .service import create_dealer


def _business(dealer, **changes) -> Business:
    data = {
        "name": dealer.name,
        "kvk_number": dealer.kvk_number,
        "country": dealer.country,
        "address": {
            "street": dealer.street or "Bos en Lommerweg",
            "house_number": dealer.house_number or "88",
            "postcode": dealer.postcode or "1055 EC",
            "city": dealer.city or "Amsterdam",
        },
        "contact": {"name": "Sanne de Boer", "phone": "020-5550101", "email": "info@example.nl"},
        "goods_categories": ["phone", "tablet", "laptop"],
    }
    data.update(changes)
    return Business.from_data(data)


def seed(session, *, now, context) -> None:
    dealers = context["dealers"]
    today = dutch_date(now)
    amsterdam = context["municipalities"][0]
    # Awaiting review in Amsterdam: a new phone repair shop (on time) and a gold buyer (late).
    nieuw = dealers["nieuw"]
    file_report(
        session,
        dealer=nieuw,
        report_type="start",
        now=now - timedelta(hours=3),
        effective_date=today + timedelta(days=7),
        business=_business(nieuw),
    )
    goud = create_dealer(
        session,
        name="Inkoop Goud Zuid",
        municipality=amsterdam,
        now=now - timedelta(days=2),
        kvk_number="56789012",
        street="Ferdinand Bolstraat",
        house_number="40",
        postcode="1072 LL",
        city="Amsterdam",
    )
    file_report(
        session,
        dealer=goud,
        report_type="start",
        now=now - timedelta(days=1),
        effective_date=today,
        business=_business(goud, goods_categories=["jewellery", "precious_metal", "watch"]),
    )
    dealers["goud_zuid"] = goud
    # A change awaiting review, and decided reports.
    fiets = dealers["fietsenhandel"]
    file_report(
        session,
        dealer=fiets,
        report_type="change",
        now=now - timedelta(hours=1),
        effective_date=today - timedelta(days=1),
        business=_business(fiets, goods_categories=["bicycle", "e_bike", "phone"]),
    )
    kringloop = dealers["kringloop"]
    late = file_report(
        session,
        dealer=kringloop,
        report_type="change",
        now=now - timedelta(days=20),
        effective_date=today - timedelta(days=30),
        business=_business(kringloop, goods_categories=["bicycle", "laptop"]),
    )
    decide(session, late, decision="accepted", reason=None, now=now - timedelta(days=19))
    goudsmid = dealers["goudsmid"]
    change = file_report(
        session,
        dealer=goudsmid,
        report_type="change",
        now=now - timedelta(days=40),
        effective_date=today - timedelta(days=41),
        business=_business(goudsmid, goods_categories=["precious_metal"]),
    )
    decide(
        session,
        change,
        decision="rejected",
        reason="Telefoonnummer van de contactpersoon ontbreekt",
        now=now - timedelta(days=38),
    )
    session.flush()
