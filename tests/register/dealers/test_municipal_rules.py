"""Municipal rules: versions with an effective date, their edges, and registrations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from register.accounts.models import AuditEntry
from tests.register.purchases.helpers import purchase, register

RULES = "/api/v1/municipalities/GM0363/rules"


def rule(days=5, working_days=True, **overrides) -> dict:
    body = {
        "holding_period": {"days": days, "working_days": working_days},
        "minimum_seller_age": 18,
        "registration_deadline_working_days": 1,
        "buyer_required_on_sale": False,
    }
    body.update(overrides)
    return body


@pytest.fixture
def town(make):
    return make.municipality("GM0363", "Amsterdam")


@pytest.fixture
def clerk(make, town):
    return make.user("municipality", municipality=town)


def test_anyone_signed_in_reads_the_base_rule(api, make, town):
    for role in ("dealer", "police", "enforcement", "admin", "municipality"):
        response = api.get(RULES, as_=role)
        assert response.status_code == 200, role
        assert response.json == {
            "municipality": "GM0363",
            "holding_period": {"days": 5, "working_days": True},
            "minimum_seller_age": 18,
            "registration_deadline_working_days": 1,
            "buyer_required_on_sale": False,
            "effective_from": None,
        }
    assert api.get(RULES).status_code == 401


@pytest.mark.parametrize("days", [3, 14])
def test_holding_periods_of_3_and_14_days_are_accepted(api, clerk, days):
    response = api.put(RULES, rule(days), as_=clerk)
    assert response.status_code == 200, response.json
    assert response.json["holding_period"] == {"days": days, "working_days": True}
    assert response.json["effective_from"] == "2026-11-27"
    assert api.get(RULES, as_=clerk).json["holding_period"]["days"] == days


@pytest.mark.parametrize("days", [2, 15])
def test_holding_periods_of_2_and_15_days_are_refused(api, clerk, days):
    response = api.put(RULES, rule(days), as_=clerk)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "holding_period.days" in response.json["errors"]
    assert api.get(RULES, as_=clerk).json["holding_period"]["days"] == 5


def test_a_rule_cannot_start_in_the_past(api, clerk):
    response = api.put(RULES, rule(7, effective_from="2026-11-26"), as_=clerk)
    assert response.status_code == 422
    assert "effective_from" in response.json["errors"]


def test_a_rule_with_a_future_effective_date_does_not_apply_today(api, make, clerk, town, clock):
    assert (
        api.put(RULES, rule(10, False, effective_from="2026-12-01"), as_=clerk).status_code == 200
    )
    dealer_user = make.user("dealer", dealer=make.dealer(municipality=town))

    assert api.get(RULES, as_=clerk).json["holding_period"]["days"] == 5
    assert register(api, dealer_user)["items"][0]["hold_until"] == "2026-12-04"

    later = api.get(RULES + "?at=2026-12-01", as_=clerk).json
    assert later["holding_period"] == {"days": 10, "working_days": False}
    assert later["effective_from"] == "2026-12-01"
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    body = register(api, dealer_user, purchase("2026-12-01T09:00:00+01:00"))
    assert body["items"][0]["hold_until"] == "2026-12-11"
    # Earlier rules stay readable.
    assert api.get(RULES + "?at=2026-11-30", as_=clerk).json["holding_period"]["days"] == 5


def test_a_registration_uses_a_holding_period_of_10_days_set_today(api, make, clerk, town):
    api.put(RULES, rule(10, False), as_=clerk)
    dealer_user = make.user("dealer", dealer=make.dealer(municipality=town))
    body = register(api, dealer_user, purchase("2026-11-17T10:00:00+01:00"))
    assert body["items"][0]["hold_until"] == "2026-12-07"  # 27 November + 10 days


def test_the_minimum_seller_age_of_the_day_applies(api, make, clerk, town):
    api.put(RULES, rule(minimum_seller_age=40), as_=clerk)
    dealer_user = make.user("dealer", dealer=make.dealer(municipality=town))
    response = api.post("/api/v1/purchases", purchase(), as_=dealer_user)  # born 1990
    assert response.status_code == 422
    assert "seller.birth_date" in response.json["errors"]


def test_every_change_is_in_the_audit_log(api, clerk, session):
    api.put(RULES, rule(7), as_=clerk)
    api.put(RULES, rule(8), as_=clerk)  # the same day: replaces today's version
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "municipal_rule.set").order_by(AuditEntry.id)
    ).all()
    assert [e.user_id for e in entries] == [clerk.id, clerk.id]
    assert entries[0].record_id == "GM0363"
    assert entries[1].details["replaced"]["holding_period"]["days"] == 7
    assert entries[1].details["rule"]["holding_period"]["days"] == 8


def test_only_that_municipality_and_admins_set_its_rules(api, make, town):
    other = make.municipality("GM0344", "Utrecht")
    assert (
        api.put(RULES, rule(7), as_=make.user("municipality", municipality=other)).status_code
        == 404
    )
    for role in ("dealer", "police", "enforcement"):
        assert api.put(RULES, rule(7), as_=role).status_code == 403, role
    assert api.put(RULES, rule(7), as_="admin").status_code == 200


def test_an_unknown_municipality_is_404(api, clerk):
    assert api.get("/api/v1/municipalities/GM9999/rules", as_=clerk).status_code == 404
