from tests.access import rule

RULES = [
    rule("GET", "/api/v1/reports/summary", "municipality", "police", "admin"),
    rule("GET", "/api/v1/reports/summary.csv", "municipality", "police", "admin"),
]
