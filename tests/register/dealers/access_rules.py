from tests.access import rule

RULES = [
    rule(
        "POST",
        "/api/v1/meldplicht",
        "dealer",
        json={"type": "stop", "effective_date": "2026-11-27"},
    ),
    rule("GET", "/api/v1/meldplicht", "dealer", "municipality", "enforcement", "police"),
    rule("GET", "/api/v1/meldplicht/1", "dealer", "municipality", "enforcement", "police"),
    rule(
        "POST",
        "/api/v1/meldplicht/1/decision",
        "municipality",
        json={"decision": "accepted"},
    ),
]

_RULE = {
    "holding_period": {"days": 7, "working_days": False},
    "minimum_seller_age": 18,
    "registration_deadline_working_days": 1,
    "buyer_required_on_sale": False,
}
RULES += [
    rule(
        "GET",
        "/api/v1/municipalities/GM0363/rules",
        "dealer",
        "municipality",
        "enforcement",
        "police",
        "admin",
    ),
    rule("PUT", "/api/v1/municipalities/GM0363/rules", "municipality", "admin", json=_RULE),
]
