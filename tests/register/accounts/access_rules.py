from tests.access import ROLES, rule

RULES = [
    rule("GET", "/api/v1/tokens", *ROLES),
    rule("POST", "/api/v1/tokens", *ROLES, json={"name": "kassa 1"}),
    rule("DELETE", "/api/v1/tokens/1", *ROLES),
]

RULES += [
    rule("GET", "/api/v1/accounts", "admin", "municipality", "dealer"),
    rule(
        "POST",
        "/api/v1/accounts",
        "admin",
        "municipality",
        "dealer",
        json={"email": "matrix@example.nl", "role": "enforcement"},
    ),
    rule("POST", "/api/v1/accounts/999999/deactivate", "admin", "municipality", "dealer"),
]
