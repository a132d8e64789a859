"""The dashboard page: figures and SVG charts per municipality and nationally."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.register.inspections.helpers import make_purchase


def log_in(client, user):
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )


def test_the_dashboard_draws_four_charts_as_inline_svg(client, make, session, clock):
    make_purchase(session, make.dealer(), recorded_at=clock.now())
    log_in(client, make.user("police"))
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count('<svg class="chart-svg"') == 4
    assert 'class="bar"' in page and "<script" not in page and "style=" not in page


def test_a_municipality_sees_its_own_dashboard_and_gets_404_for_another(client, make):
    make.municipality("GM0344", "Utrecht")
    log_in(client, make.user("municipality"))
    assert client.get("/dashboard").status_code == 200
    assert client.get("/dashboard?municipality=GM0363").status_code == 200
    assert client.get("/dashboard?municipality=GM0344").status_code == 404
    assert client.get("/dashboard/summary.csv?municipality=GM0344").status_code == 404


def test_the_national_dashboard_can_show_one_municipality(client, make):
    make.municipality("GM0344", "Utrecht")
    log_in(client, make.user("admin"))
    page = client.get("/dashboard?municipality=GM0344").get_data(as_text=True)
    assert "Utrecht" in page
    csv_export = client.get("/dashboard/summary.csv?municipality=GM0344")
    assert csv_export.status_code == 200 and "municipality.code,GM0344" in csv_export.get_data(
        as_text=True
    )


def test_a_dealer_sees_its_own_figures(client, make, session, clock):
    dealer = make.dealer()
    make_purchase(session, dealer, recorded_at=clock.now())
    make_purchase(session, make.dealer(), recorded_at=clock.now())
    log_in(client, make.user("dealer", dealer=dealer))
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<span class="figure-value" id="fig-purchases">1</span>' in page


def test_a_dealers_dashboard_shows_its_own_figures_only(client, make, session, clock):
    dealer = make.dealer()
    make_purchase(session, dealer, recorded_at=clock.now())
    log_in(client, make.user("dealer", dealer=dealer))
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="fig-purchases"' in page and "1 voorwerp" in page
    for municipal in ("fig-connected", "fig-notifications", "fig-inspections", "open taken"):
        assert municipal not in page
    assert page.count('<svg class="chart-svg"') == 1
