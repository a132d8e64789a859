"""Tiered matching with an explained result: kind, identifier type and confidence."""

from __future__ import annotations

import pytest

from stolen_db.matching import CONFIDENCE, Identifiers, find_matches
from stolen_db.service import withdraw

from .helpers import add_report

SERIAL = "C02XK0XJJG5H"  # an Apple-style laptop serial
IMEI = "35-209900-176148-1"  # as the police typed it
FRAME = "GZ12345678"


@pytest.fixture
def reports(session, clock):
    return {
        "serial": add_report(
            session, clock, category="laptop", brand="Apple", model="MacBook Pro",
            serial_number=SERIAL,
        ),
        "imei": add_report(session, clock, category="phone", brand="Apple", imei=IMEI),
        "frame": add_report(
            session, clock, category="bicycle", brand="Gazelle", frame_number=FRAME
        ),
        "short": add_report(session, clock, category="camera", brand="Sony", serial_number="AB12C"),
        "six": add_report(session, clock, category="camera", brand="Sony", serial_number="AB12CD"),
    }  # fmt: skip


CASES = [
    # (report, identifier type, typed, brand, expected kind or None)
    ("serial", "serial_number", SERIAL, "Apple", "exact"),
    ("serial", "serial_number", "c02xk0xjjg5h", "Apple", "normalized"),
    ("serial", "serial_number", "C02X K0XJ JG5H", "Apple", "normalized"),
    ("serial", "serial_number", "C02X-K0XJ-JG5H", None, "normalized"),
    ("serial", "serial_number", "CO2XKOXJJG5H", "Apple", "lookalike"),
    ("serial", "serial_number", "co2x-koxj-jg5h", "Dell", "lookalike"),
    ("serial", "serial_number", "C02XK0XJJG5J", "Apple", "near"),  # substitution
    ("serial", "serial_number", "C02XK0XJJG5", "Apple", "near"),  # deletion
    ("serial", "serial_number", "C02XK0XJJG5HX", "Apple", "near"),  # insertion
    ("serial", "serial_number", "C02KX0XJJG5H", "Apple", "near"),  # swap of neighbours
    ("serial", "serial_number", "c02x k0xj jg5j", "APPLE", "near"),  # typo, spaces, case
    ("serial", "serial_number", "CO2XKOXJJG5J", "apple", "near"),  # look-alike and typo
    ("serial", "serial_number", "C02XK0XJJG5J", "Dell", None),  # other brand: no near match
    ("serial", "serial_number", "C02XK0XJJG5J", None, None),  # no brand: no near match
    ("serial", "serial_number", "C02XK0XJJ", "Apple", None),  # three edits
    ("serial", "frame_number", SERIAL, "Apple", None),  # identifiers match within their type
    ("imei", "imei", IMEI, None, "exact"),
    ("imei", "imei", "352099001761481", None, "normalized"),
    ("imei", "imei", "35 209900 176148 1", None, "normalized"),
    ("imei", "imei", "35209900176I481", None, "lookalike"),
    ("imei", "imei", "352099001761482", "Apple", "near"),
    ("imei", "imei", "352099001761482", "Samsung", None),
    ("frame", "frame_number", FRAME, "Gazelle", "exact"),
    ("frame", "frame_number", "gz 1234 5678", "GAZELLE", "normalized"),
    ("frame", "frame_number", "GZ12345678", None, "exact"),  # an unknown brand does not stop it
    ("frame", "frame_number", "G212345678", "Gazelle", "lookalike"),
    ("frame", "frame_number", "GZ12345687", "Gazelle", "near"),
    ("frame", "frame_number", "GZ12345678", "Batavus", None),  # frame numbers repeat per brand
    ("short", "serial_number", "AB12C", "Sony", "exact"),
    ("short", "serial_number", "AB12D", "Sony", None),  # under 6 characters: no near match
    ("six", "serial_number", "AB12CE", "Sony", "near"),  # 6 characters: near match
]


@pytest.mark.parametrize(
    ("report", "identifier_type", "typed", "brand", "kind"),
    CASES,
    ids=[f"{c[2]}|{c[3]}->{c[4]}" for c in CASES],
)
def test_a_typed_identifier_matches_with_the_documented_kind_and_confidence(
    reports, session, report, identifier_type, typed, brand, kind
):
    (matches,) = find_matches(session, [Identifiers(**{identifier_type: typed}, brand=brand)])
    found = [m for m in matches if m.report_id == reports[report].id]
    if kind is None:
        assert found == []
        return
    assert len(found) == 1
    match = found[0]
    assert (match.kind, match.identifier_type, match.confidence) == (
        kind,
        identifier_type,
        CONFIDENCE[kind],
    )
    assert match.report_number == reports[report].report_number


def test_the_confidence_falls_with_each_weaker_tier():
    values = [CONFIDENCE[k] for k in ("exact", "normalized", "lookalike", "near")]
    assert values == sorted(values, reverse=True) and values[0] == 1.0


@pytest.mark.parametrize(
    ("identifier_type", "typed", "brand"),
    [(t, typed, brand) for _, t, typed, brand, kind in CASES if kind],
)
def test_a_withdrawn_report_never_matches(reports, session, clock, identifier_type, typed, brand):
    for report in reports.values():
        withdraw(session, report.id, now=clock.now())
    session.commit()
    assert find_matches(session, [Identifiers(**{identifier_type: typed}, brand=brand)]) == [[]]


def test_the_strongest_match_over_several_identifiers_explains_the_result(reports, session):
    (matches,) = find_matches(
        session,
        [Identifiers(imei="35209900176I481", serial_number="C02XK0XJJG5J", brand="Apple")],
    )
    by_report = {m.report_id: m for m in matches}
    assert by_report[reports["imei"].id].kind == "lookalike"
    assert by_report[reports["serial"].id].kind == "near"
    assert [m.confidence for m in matches] == sorted((m.confidence for m in matches), reverse=True)


def test_limiting_the_tiers_leaves_out_weaker_matches(reports, session):
    typed = Identifiers(serial_number="CO2XKOXJJG5H", brand="Apple")
    assert find_matches(session, [typed], tiers=("exact", "normalized")) == [[]]
    assert [m.kind for m in find_matches(session, [typed])[0]] == ["lookalike"]


def test_every_tier_is_an_index_lookup_not_a_scan():
    """SQLite's query plans of the statements matching runs all use an index."""
    from sqlalchemy import create_engine

    from stolen_db import Base, matching

    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    statements = [
        (matching._norm_lookup_sql("imei", 2), ("1", "2")),
        (matching._norm_lookup_sql("serial_number", 2), ("1", "2")),
        (matching._norm_lookup_sql("frame_number", 2), ("1", "2")),
        (matching._by_keys_sql(3, with_key=True), (1, 2, 3)),
        (matching._PUBLIC_SQL, ("1", "1", "1", "", "")),
    ]
    with engine.connect() as conn:
        for sql, params in statements:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
            plan = " | ".join(str(row[-1]) for row in rows)
            assert "SCAN" not in plan, plan
            assert "USING" in plan, plan
    engine.dispose()


def test_matching_many_goods_at_once_answers_as_matching_each(reports, session):
    """``find_matches`` of many goods (a CSV import) finds, for every good, what it finds
    for that good alone: every case above, in one call."""
    goods = [Identifiers(**{t: typed}, brand=brand) for _, t, typed, brand, _ in CASES]
    goods.append(Identifiers(imei="35209900176I481", serial_number="C02XK0XJJG5J", brand="Apple"))
    assert find_matches(session, goods) == [find_matches(session, [g])[0] for g in goods]
    tiers = ("exact", "normalized")
    assert find_matches(session, goods, tiers) == [
        find_matches(session, [g], tiers)[0] for g in goods
    ]
