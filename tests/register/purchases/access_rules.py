from tests.access import rule

RULES = [
    rule("POST", "/api/v1/purchases", "dealer", json={}),
    rule("GET", "/api/v1/purchases", "dealer", "enforcement", "police"),
    rule("GET", "/api/v1/purchases/1", "dealer", "enforcement", "police"),
    rule("POST", "/api/v1/purchases/1/corrections", "dealer", json={}),
    rule("GET", "/api/v1/items/1", "dealer", "enforcement", "police"),
    rule("POST", "/api/v1/items/1/sale", "dealer", json={}),
    rule("POST", "/api/v1/purchases/import", "dealer"),
]
