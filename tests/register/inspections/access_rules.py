from tests.access import rule

_INSPECTION = {
    "dealer_id": 1,
    "inspected_at": "2026-11-27T09:00:00+01:00",
    "checks": {
        "registered_with_municipality": True,
        "register_kept": True,
        "entries_complete": True,
        "holding_period_respected": True,
        "stock_matches_register": True,
    },
    "outcome": "compliant",
}

RULES = [
    rule("GET", "/api/v1/inspections/tasks", "enforcement"),
    rule("POST", "/api/v1/inspections", "enforcement", json=_INSPECTION),
    rule("GET", "/api/v1/inspections", "enforcement", "municipality"),
    rule("GET", "/api/v1/inspections/1", "enforcement", "municipality"),
    rule(
        "POST",
        "/api/v1/inspections/goods-check",
        "enforcement",
        json={"dealer_id": 1, "identifiers": ["490154203237518"]},
    ),
]
