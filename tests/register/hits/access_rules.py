from tests.access import rule

RULES = [
    rule("GET", "/api/v1/hits", "police"),
]
RULES.append(
    rule("POST", "/api/v1/items/999999/police-decision", "police", json={"decision": "seized"})
)
