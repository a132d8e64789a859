from tests.access import rule

RULES = [
    rule("GET", "/api/v1/imports/1", "dealer"),
]
