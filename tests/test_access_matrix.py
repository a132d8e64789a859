"""Every API endpoint answered by every role (and by no token) as the rules say."""

from __future__ import annotations

import re

import pytest

from .access import PUBLIC, ROLES, all_rules

RULES = all_rules()
UNDOCUMENTED = {
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/static/<path:filename>",
    "/api/v1/docs/<path:filename>",
}


@pytest.fixture
def callers(make):
    """One user per role, with its own dealer or municipality scope."""
    return {role: make.user(role) for role in ROLES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.route)
def test_endpoint_answers_each_role_as_its_rule_says(rule, api, callers):
    anonymous = api.client.open(rule.path, method=rule.method, json=rule.json)
    if PUBLIC in rule.roles:
        # A public endpoint may still answer 401 for wrong credentials (auth/token).
        assert anonymous.status_code != 403, anonymous.json
    else:
        assert anonymous.status_code == 401, anonymous.json
        assert anonymous.content_type == "application/problem+json"
    for role in ROLES:
        response = api.client.open(
            rule.path, method=rule.method, json=rule.json, headers=api.headers(callers[role])
        )
        if PUBLIC in rule.roles:
            assert response.status_code != 403, (role, response.json)
        elif role in rule.roles:
            assert response.status_code not in (401, 403), (role, response.json)
        else:
            assert response.status_code == 403, (role, response.status_code, response.json)
            assert response.content_type == "application/problem+json"
        assert response.status_code < 500, (role, response.json)


def test_every_api_route_is_in_the_matrix(app):
    covered = {(r.method, _shape(r.path)) for r in RULES}
    missing = []
    for url_rule in app.url_map.iter_rules():
        if not url_rule.rule.startswith("/api/v1") or url_rule.rule in UNDOCUMENTED:
            continue
        for method in url_rule.methods - {"HEAD", "OPTIONS"}:
            if (method, _shape(url_rule.rule)) not in covered:
                missing.append(f"{method} {url_rule.rule}")
    assert not missing, "add these to an access_rules.py: " + ", ".join(sorted(missing))


def _shape(path: str) -> str:
    """'/api/v1/purchases/<int:purchase_id>' and '/api/v1/purchases/7' both as '/…/{}' (and
    a municipality's code, '/municipalities/GM0363', as an id)."""
    path = re.sub(r"<[^>]+>", "{}", path)
    return re.sub(r"/(\d+|GM\d{4})(?=/|$)", "/{}", path)
