"""DOL, DOC and the dashboard in a real browser (headless Chromium)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from register.dealers.meldplicht_service import Business, file_report
from register.dealers.models import Dealer
from register.inspections.models import Inspection
from register.inspections.service import open_task
from tests.browser import log_in
from tests.factories import PASSWORD
from tests.register.inspections.helpers import BUSINESS, make_hit, make_purchase

pytestmark = pytest.mark.browser


def test_a_municipality_employee_accepts_a_dol_report_and_the_dealer_can_then_register(
    live_server, page, browser, make, session, clock
):
    dealer = make.dealer(active=False, name="Nieuwe Zaak")
    dealer_id = dealer.id
    make.user("dealer", dealer=dealer, email="winkel@nieuw.nl")
    make.user("municipality", email="ambtenaar@gemeente.nl")
    report = file_report(
        session,
        dealer=dealer,
        report_type="start",
        now=clock.now(),
        effective_date=clock.today() + timedelta(days=5),
        business=Business.from_data(BUSINESS),
    )
    report_id = report.id
    # On SQLite any read in the test thread takes the write lock (BEGIN IMMEDIATE outside a
    # request): read ids before the commit, and end every later read with a commit.
    session.commit()

    log_in(page, live_server.url, "ambtenaar@gemeente.nl", PASSWORD)
    page.goto(live_server.url + "/meldplicht")
    card = page.locator(f"main #report-{report_id}")
    assert "Telefoonwinkel Centrum" in card.inner_text()
    with page.expect_navigation():
        card.locator("button[value=accepted]").click()
    assert "Besluit bevestigen" in page.locator("h1").inner_text()  # the confirmation step
    with page.expect_navigation():
        page.click("text=Ja, accepteren")
    assert page.locator(f"main #report-{report_id}").count() == 0  # left the queue
    session.expire_all()
    assert session.get(Dealer, dealer_id).status == "active"
    session.commit()

    dealer_context = browser.new_context(locale="nl-NL")
    dealer_page = dealer_context.new_page()
    try:
        log_in(dealer_page, live_server.url, "winkel@nieuw.nl", PASSWORD)
        response = dealer_page.goto(live_server.url + "/purchases/new")
        assert response.status == 200
        dealer_page.goto(live_server.url + "/meldplicht")
        assert "status-active" in dealer_page.content()
    finally:
        dealer_context.close()


def test_an_officer_logs_an_inspection_from_the_queue(live_server, page, make, session, clock):
    dealer = make.dealer(name="Juwelier Kalverstraat")
    task_id = open_task(session, dealer=dealer, reason="routine", now=clock.now()).id
    make.user("enforcement", email="boa@gemeente.nl")  # commits

    log_in(page, live_server.url, "boa@gemeente.nl", PASSWORD)
    page.goto(live_server.url + "/inspections")
    with page.expect_navigation():
        page.locator(f"main #task-{task_id} a.button.primary").click()
    for name in (
        "registered_with_municipality",
        "register_kept",
        "entries_complete",
        "holding_period_respected",
    ):
        page.check(f"main input[name='checks.{name}'][value=yes]")
    page.check("main input[name='checks.stock_matches_register'][value=no]")
    page.fill("main #findings", "Two phones not in the register.")
    page.check("main input[name=outcome][value=warning]")
    with page.expect_navigation():
        page.click("main button.big[type=submit]")  # save, not the goods check
    assert "Two phones not in the register." in page.locator("main").inner_text()
    inspection = session.scalar(select(Inspection))
    assert inspection.task_id == task_id and inspection.outcome == "warning"
    assert inspection.follow_up_task_id is not None


def test_the_dashboard_draws_its_charts(live_server, page, make, session, clock):
    from PIL import Image

    dealer = make.dealer()
    for days in (0, 35, 70):
        purchase = make_purchase(
            session,
            dealer,
            recorded_at=clock.now() - timedelta(days=days),
            items=[{"imei": f"49015420323751{days % 10}"}],
        )
        if days == 0:
            make_hit(session, purchase, now=clock.now())
    make.user("police", email="analist@politie.nl")

    log_in(page, live_server.url, "analist@politie.nl", PASSWORD)
    page.goto(live_server.url + "/dashboard")
    charts = page.locator("main figure.chart svg")
    assert charts.count() == 4
    heights = page.eval_on_selector_all(
        "#chart-monthly rect.bar", "bars => bars.map(b => b.getBoundingClientRect().height)"
    )
    assert sum(1 for h in heights if h > 1) >= 3  # three months with registrations, a hit
    shot = Image.open(io.BytesIO(page.locator("#chart-monthly svg").screenshot())).convert("RGB")
    colours = shot.getcolors(maxcolors=1_000_000)
    registrations_blue = sum(n for n, rgb in colours if rgb == (0x00, 0x72, 0xB2))
    hits_orange = sum(n for n, rgb in colours if rgb == (0xD5, 0x5E, 0x00))
    assert registrations_blue > 500 and hits_orange > 100, (registrations_blue, hits_orange)
