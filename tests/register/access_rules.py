from tests.access import PUBLIC, rule

RULES = [
    rule("POST", "/api/v1/auth/token", PUBLIC, json={"email": "x@example.nl", "password": "x"}),
]
