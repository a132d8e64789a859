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
