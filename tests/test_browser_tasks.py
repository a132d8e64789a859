"""The tasks of each role done the way a person does them, in Dutch, in a real browser.

CSRF protection is on, as in production. (The public check, the purchase with two items and
the municipality's acceptance have their own browser tests next to their packages.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from register.dealers.meldplicht import DolReport
from register.dealers.meldplicht_service import Business, file_report
from register.inspections.models import Inspection
from register.inspections.service import open_task
from register.purchases.models import Correction, Item, Purchase
from tests.browser import log_in
from tests.factories import PASSWORD
from tests.register.inspections.helpers import BUSINESS
from tests.register.purchases.helpers import (
    IMEI_1,
    IMEI_2,
    phone,
    purchase,
    register,
    stolen_report,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def submit(page, selector="main button[type=submit]"):
    with page.expect_navigation():
        page.click(selector)


def test_a_thrift_shop_registers_a_donated_bicycle_without_a_donor(live_server, page, make):
    shop = make.dealer(kind="thrift", name="Kringloop Het Goede Doel")
    make.user("dealer", dealer=shop, email="kringloop@demo.nl")
    log_in(page, live_server.url, "kringloop@demo.nl", PASSWORD)
    assert page.url.endswith("/purchases")  # the dealer starts at its register
    page.click("text=Nieuwe inkoop")
    page.select_option('[name="acquisition_type"]', "donation")
    page.select_option('[name="items.0.category"]', "bicycle")
    page.fill('[name="items.0.brand"]', "Gazelle")
    page.fill('[name="items.0.frame_number"]', "GZ 1234 567")
    submit(page, "main #purchase-form > button[type=submit]")
    assert page.locator("h1").inner_text() == "Inkoop ingeschreven"


def test_a_dealer_corrects_a_mistyped_imei_on_the_entry_page(live_server, page, make, api, session):
    user = make.user("dealer", email="balie@telefoons.nl")
    entry_id = register(api, user, purchase(items=[phone(IMEI_1)]))["id"]
    session.commit()
    log_in(page, live_server.url, "balie@telefoons.nl", PASSWORD)
    page.goto(f"{live_server.url}/purchases/{entry_id}")
    page.click("text=Deze inschrijving corrigeren")
    page.fill("#f-items-0-imei", IMEI_2)
    submit(page, "#correct button[type=submit]")  # no reason yet
    assert page.title().startswith("Fout: ")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.input_value("#f-items-0-imei") == IMEI_2  # what was typed is kept
    page.click(".error-summary a[href='#f-reason']")
    assert page.evaluate("document.activeElement.id") == "f-reason"
    page.fill("#f-reason", "IMEI verkeerd overgetikt")
    submit(page, "#correct button[type=submit]")
    assert "De correctie is vastgelegd" in page.locator("main").inner_text()
    corrections = page.locator("section.correction").inner_text()
    assert "IMEI verkeerd overgetikt" in corrections and IMEI_2 in corrections
    session.expire_all()
    assert session.scalars(select(Correction)).one().purchase_id == entry_id
    session.commit()


def test_a_sale_waits_for_the_holding_period_and_is_registered_after_it(
    live_server, page, make, api, session, clock
):
    user = make.user("dealer", email="balie@fietsen.nl")
    body = register(api, user, purchase(items=[phone(IMEI_1)]))
    item_id = body["items"][0]["id"]
    session.commit()
    log_in(page, live_server.url, "balie@fietsen.nl", PASSWORD)
    page.goto(f"{live_server.url}/items/{item_id}")
    notice = page.locator(".notice-box").inner_text()
    assert "In de bewaartermijn" in notice and "U kunt de verkoop inschrijven vanaf" in notice
    assert page.locator("input[name=sold_at]").count() == 0  # no sale form yet
    clock.advance(days=10)
    page.goto(f"{live_server.url}/items/{item_id}")
    page.fill("#f-sold_at", (clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-price", "300")
    submit(page, "main form button[type=submit].primary")
    assert "verkocht" in page.locator("main").inner_text()
    session.expire_all()
    assert session.get(Item, item_id).status == "sold"
    session.commit()


def test_the_municipality_rejects_a_report_only_with_a_reason_and_after_confirming(
    live_server, page, make, session, clock
):
    dealer = make.dealer(active=False, name="Nieuwe Zaak")
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
    session.commit()
    log_in(page, live_server.url, "ambtenaar@gemeente.nl", PASSWORD)
    assert page.url.endswith("/meldplicht")  # the municipality starts at its review queue
    card = page.locator(f"#report-{report_id}")
    with page.expect_navigation():
        card.locator("button[value=rejected]").click()
    summary = page.locator(".error-summary").inner_text()
    assert "Reden: geef aan waarom de melding wordt afgewezen." in summary
    page.fill(f"#reason-{report_id}", "KvK-nummer hoort bij een ander bedrijf")
    submit(page, "main button[value=rejected]")
    assert page.locator("h1").inner_text() == "Besluit bevestigen"
    submit(page, "text=Ja, afwijzen")
    session.expire_all()
    decided = session.get(DolReport, report_id)
    assert decided.status == "rejected"
    assert decided.decision_reason == "KvK-nummer hoort bij een ander bedrijf"
    session.commit()


def test_an_officer_checks_goods_from_the_inspection_form_without_losing_what_was_typed(
    live_server, page, make, api, session, clock
):
    dealer = make.dealer(name="Juwelier Kalverstraat")
    user = make.user("dealer", dealer=dealer)
    register(api, user, purchase(items=[phone(IMEI_1)]))
    task_id = open_task(session, dealer=dealer, reason="routine", now=clock.now()).id
    make.user("enforcement", email="boa@gemeente.nl")
    log_in(page, live_server.url, "boa@gemeente.nl", PASSWORD)
    assert page.url.endswith("/inspections")  # the officer starts at its queue
    with page.expect_navigation():
        page.locator(f"#task-{task_id} a.button.primary").click()
    page.check("input[name='checks.register_kept'][value=yes]")
    page.fill("#findings", "Twee telefoons in de vitrine.")
    page.fill("#identifiers", f"{IMEI_1}\n{IMEI_2}")
    submit(page, "text=Deze nummers eerst in het register controleren")
    results = page.locator("table.goods-results").inner_text()
    assert "niet in het register" in results  # IMEI_2 was never registered
    submit(page, "text=Terug naar het controleformulier, met deze nummers")
    assert page.input_value("#findings") == "Twee telefoons in de vitrine."
    assert page.is_checked("input[name='checks.register_kept'][value=yes]")
    assert IMEI_2 in page.input_value("#identifiers")
    assert page.locator("input[name=task_id]").input_value() == str(task_id)
    for name in ("registered_with_municipality", "entries_complete", "holding_period_respected"):
        page.check(f"input[name='checks.{name}'][value=yes]")
    page.check("input[name='checks.stock_matches_register'][value=no]")
    page.check("input[name=outcome][value=warning]")
    submit(page, "main button.big[type=submit]")
    assert "Twee telefoons in de vitrine." in page.locator("main").inner_text()
    session.expire_all()
    inspection = session.scalars(select(Inspection)).one()
    assert inspection.task_id == task_id and inspection.outcome == "warning"
    session.commit()


def test_the_police_seize_one_held_item_and_release_another_each_with_a_note(
    live_server, page, make, api, session
):
    stolen_report(session, imei=IMEI_1, number="PL-1")
    stolen_report(session, imei=IMEI_2, number="PL-2")
    user = make.user("dealer")
    body = register(api, user, purchase(items=[phone(IMEI_1), phone(IMEI_2)]))
    first, second = (item["id"] for item in body["items"])
    make.user("police", email="agent@politie.nl")
    session.commit()
    log_in(page, live_server.url, "agent@politie.nl", PASSWORD)
    assert page.url.endswith("/hits")  # the police start at the hits
    for item_id, choice, note in (
        (first, "seized", "Opgehaald door wijkagent, zaak 2026-118"),
        (second, "released", "Aangifte ingetrokken door eigenaar"),
    ):
        page.goto(f"{live_server.url}/hits/items/{item_id}/decision")
        page.check(f"#decision-{choice}")
        submit(page)  # no note yet: nothing is decided
        assert "Notitie: schrijf een notitie" in page.locator(".error-summary").inner_text()
        assert page.is_checked(f"#decision-{choice}")
        page.fill("#note", note)
        submit(page)
        assert page.url.endswith("/hits")
    session.expire_all()
    assert session.get(Item, first).status == "seized"
    assert session.get(Item, second).status == "released"
    assert session.scalar(select(Purchase.id)) is not None
    session.commit()
