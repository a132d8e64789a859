from tests.access import PUBLIC, rule

RULES = [
    rule("GET", "/api/v1/stolen-check", PUBLIC),
    rule("POST", "/api/v1/stolen", "police", json={"report_number": "x"}),
    rule("POST", "/api/v1/stolen/1/withdraw", "police"),
]
