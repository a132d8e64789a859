"""The web shell: security headers, language switch, CSRF, the fixed addresses."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


def test_pages_carry_a_content_security_policy_and_other_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_site_is_dutch_by_default_and_switches_to_english(client):
    assert "Inloggen" in client.get("/").get_data(as_text=True)
    client.post("/language/en", data={"next": "/"})
    assert "Log in" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/check",
        "/purchases",
        "/purchases/new",
        "/purchases/1",
        "/meldplicht",
        "/inspections",
        "/dashboard",
    ],
)
def test_every_fixed_address_exists(client, path):
    assert client.get(path).status_code in (200, 302)


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_form_post_without_csrf_token_is_refused(self, client, make):
        make.user("police", email="agent@politie.nl")
        response = client.post("/login", data={"email": "agent@politie.nl", "password": PASSWORD})
        assert response.status_code in (400, 422)
        assert (
            "session" not in response.headers.get("Set-Cookie", "")
            or client.get("/").get_data(as_text=True).count("agent@politie.nl") == 0
        )

    def test_the_login_form_carries_a_csrf_field(self, client):
        assert 'name="csrf_token"' in client.get("/login").get_data(as_text=True)


def test_the_pager_links_to_the_neighbouring_pages_and_keeps_the_filters(app):
    from flask import render_template_string

    template = (
        '{% from "_pager.html" import pager %}'
        '{{ pager("hits_web.hit_list", 2, 3, {"kind": "near"}) }}'
    )
    with app.test_request_context("/hits"):
        html = render_template_string(template)
    assert 'href="/hits?page=1&amp;kind=near"' in html
    assert 'href="/hits?page=3&amp;kind=near"' in html
    assert "Pagina 2 van 3" in html
    with app.test_request_context("/hits"):
        assert "nav" not in render_template_string(
            '{% from "_pager.html" import pager %}{{ pager("hits_web.hit_list", 1, 1) }}'
        )
