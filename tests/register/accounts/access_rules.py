from tests.access import ROLES, rule

RULES = [
    rule("GET", "/api/v1/tokens", *ROLES),
    rule("POST", "/api/v1/tokens", *ROLES, json={"name": "kassa 1"}),
    rule("DELETE", "/api/v1/tokens/1", *ROLES),
]
