from tests.access import rule

RULES = [
    rule("GET", "/api/v1/search/items", "police", "enforcement"),
    rule("GET", "/api/v1/alerts", "police"),
    rule("GET", "/api/v1/alerts/999999", "police"),
    rule("POST", "/api/v1/alerts/999999/status", "police", json={"status": "dismissed"}),
]
