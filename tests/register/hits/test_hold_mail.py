"""A dealer hears by mail when its goods go on police hold and when the police decide on
them, over real SMTP; the mail says nothing about the theft report."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from notifications.mail import MAIL_EVENT_TYPE
from notifications.models import OutboxEvent
from register.hits.service import retroactive_hits
from register.purchases.service import register_purchase
from stolen_db.models import StolenReport
from stolen_db.service import report_thefts
from tests.mailcatcher import deliver_mail
from tests.register.purchases.helpers import IMEI_1, IMEI_2, phone, purchase, register

from .helpers import register_item

# What the police know of the theft, and the dealer must never read.
REPORT_SECRETS = ("PL-1", "PL-2", "Amsterdam-Oost", "Jansen", "victim", "slachtoffer")


@pytest.fixture
def app_config(mail_config):
    return mail_config


def _mail_events(session, *, in_transaction: bool = False) -> int:
    """The mail events in the outbox: committed ones, or those of the open transaction."""
    if not in_transaction:
        session.rollback()
    return session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == MAIL_EVENT_TYPE)
    )


def _new_mails(app, catcher) -> int:
    """Run the worker once; how many mails arrived (the police's webhooks fail meanwhile)."""
    before = len(catcher.mails)
    deliver_mail(app)
    return len(catcher.mails) - before


def _report(number: str, imei: str) -> dict:
    return {
        "report_number": number,
        "reported_at": "2026-11-20T10:00:00+01:00",
        "category": "phone",
        "brand": "Apple",
        "imei": imei,
        "description": "stolen from a house in Amsterdam-Oost, victim J. Jansen",
    }


def _assert_tells_nothing_of_the_report(mail):
    for secret in REPORT_SECRETS:
        assert secret not in mail.subject and secret not in mail.text
        assert secret not in mail.html


def test_a_registration_with_a_hit_mails_the_dealers_active_accounts(
    api, make, session, mail_catcher, app
):
    api.post("/api/v1/stolen", _report("PL-1", IMEI_1), as_="police")
    dealer = make.dealer()
    boss = make.user("dealer", dealer=dealer, email="baas@winkel.nl")
    colleague = make.user("dealer", dealer=dealer, email="collega@winkel.nl")
    colleague.language = "en"
    gone = make.user("dealer", dealer=dealer, email="weg@winkel.nl")
    gone.is_active_account = False
    make.user("dealer", email="ander@winkel.nl")  # another dealer's
    session.commit()

    entry = register(api, boss, purchase(items=[phone(IMEI_1, description="zwart, barst")]))

    assert _new_mails(app, mail_catcher) == 2
    assert sorted(m.recipients[0] for m in mail_catcher.mails) == [
        "baas@winkel.nl", "collega@winkel.nl"]  # fmt: skip
    [dutch] = mail_catcher.mails_to("baas@winkel.nl")
    assert dutch.subject == "Politiebeslag: bewaar 1 voorwerp van u, verkoop het niet"
    number = entry["sequence_number"]
    assert f"Inschrijving nr. {number}: Apple iPhone 13 zwart, barst" in dutch.text
    assert f"IMEI {IMEI_1}" in dutch.text
    assert "verkoop het niet" in dutch.text
    assert f"/purchases/{entry['id']}" in dutch.text
    assert f'/purchases/{entry["id"]}">' in dutch.html
    _assert_tells_nothing_of_the_report(dutch)
    [english] = mail_catcher.mails_to("collega@winkel.nl")
    assert english.subject == "Police hold: keep 1 item of yours, do not sell it"
    assert english.language == "en"
    _assert_tells_nothing_of_the_report(english)

    assert _new_mails(app, mail_catcher) == 0  # delivered once: a second run sends nothing
    assert len(mail_catcher.mails) == 2


def test_a_police_batch_mails_each_dealer_once_listing_its_held_items(
    make, session, clock, mail_catcher, app
):
    shop, other = make.dealer(), make.dealer()
    make.user("dealer", dealer=shop, email="baas@winkel.nl")
    make.user("dealer", dealer=other, email="baas@ander.nl")
    first = register_item(session, clock, dealer=shop, brand="Apple", imei=IMEI_1)
    second = register_item(session, clock, dealer=shop, brand="Apple", imei=IMEI_2)
    elsewhere = register_item(session, clock, dealer=other, brand="Apple",
                              imei="352099001761481")  # fmt: skip
    reports = [_report("PL-1", IMEI_1), _report("PL-2", IMEI_2),
               _report("PL-3", "352099001761481")]  # fmt: skip
    for report in reports:  # as the police's CSV import reads them
        report["reported_at"] = clock.now()

    report_thefts(session, reports, now=clock.now(), find_registered_matches=retroactive_hits)
    session.commit()

    assert _new_mails(app, mail_catcher) == 2
    [mail] = mail_catcher.mails_to("baas@winkel.nl")
    assert mail.subject == "Politiebeslag: bewaar 2 voorwerpen van u, verkoop ze niet"
    for item in (first, second):
        assert f"Inschrijving nr. {item.purchase.sequence_number}: Apple test item" in mail.text
        assert f"/purchases/{item.purchase_id}" in mail.text
    assert f"/purchases/{elsewhere.purchase_id}" not in mail.text
    _assert_tells_nothing_of_the_report(mail)
    [theirs] = mail_catcher.mails_to("baas@ander.nl")
    assert f"/purchases/{elsewhere.purchase_id}" in theirs.text

    # The same reports matched again (a retried job): no new hits, no new mail.
    retroactive_hits(session, session.scalars(select(StolenReport)).all(), clock.now())
    session.commit()
    assert _new_mails(app, mail_catcher) == 0
    assert len(mail_catcher.mails) == 2


def test_a_correction_that_makes_a_hit_mails_the_identifier_as_corrected(
    api, make, session, mail_catcher, app
):
    api.post("/api/v1/stolen", _report("PL-1", IMEI_1), as_="police")
    boss = make.user("dealer", email="baas@winkel.nl")
    entry = register(api, boss, purchase(items=[phone(IMEI_2)]))
    assert _new_mails(app, mail_catcher) == 0
    item_id = entry["items"][0]["id"]
    correction = {"reason": "typefout", "changes": {"items": [{"id": item_id, "imei": IMEI_1}]}}

    answer = api.post(f"/api/v1/purchases/{entry['id']}/corrections", correction, as_=boss)

    assert answer.status_code == 201, answer.json
    assert _new_mails(app, mail_catcher) == 1
    [mail] = mail_catcher.mails_to("baas@winkel.nl")
    assert f"IMEI {IMEI_1}" in mail.text and IMEI_2 not in mail.text
    _assert_tells_nothing_of_the_report(mail)


def test_an_item_already_on_hold_is_not_mailed_again_for_a_second_report(
    api, make, session, clock, mail_catcher, app
):
    dealer = make.dealer()
    make.user("dealer", dealer=dealer, email="baas@winkel.nl")
    api.post("/api/v1/stolen", _report("PL-1", IMEI_1), as_="police")
    register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI_1)
    assert _new_mails(app, mail_catcher) == 1

    api.post("/api/v1/stolen", _report("PL-2", IMEI_1), as_="police")
    assert _new_mails(app, mail_catcher) == 0
    assert len(mail_catcher.mails_to("baas@winkel.nl")) == 1


def test_the_police_release_and_seizure_are_mailed_without_the_note(
    api, make, session, clock, mail_catcher, app
):
    dealer = make.dealer()
    make.user("dealer", dealer=dealer, email="baas@winkel.nl")
    police = make.user("police")
    api.post("/api/v1/stolen", _report("PL-1", IMEI_1), as_=police)
    api.post("/api/v1/stolen", _report("PL-2", IMEI_2), as_=police)
    released = register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI_1)
    seized = register_item(session, clock, dealer=dealer, brand="Apple", imei=IMEI_2)
    assert _new_mails(app, mail_catcher) == 2  # the holds

    answer = api.post(f"/api/v1/items/{released.id}/police-decision",
                      {"decision": "released", "note": "aangifte PL-1 van J. Jansen ingetrokken"},
                      as_=police)  # fmt: skip
    assert answer.status_code == 200, answer.json
    api.post(f"/api/v1/items/{seized.id}/police-decision",
             {"decision": "seized", "note": "slachtoffer herkent het"}, as_=police)  # fmt: skip

    assert _new_mails(app, mail_catcher) == 2
    release, seizure = mail_catcher.mails_to("baas@winkel.nl")[2:]
    assert release.subject == "Politiebeslag opgeheven: uw voorwerp is vrijgegeven"
    assert f"Inschrijving nr. {released.purchase.sequence_number}" in release.text
    assert "U mag het weer verkopen." in release.text
    assert seizure.subject == "Politiebeslag: uw voorwerp is in beslag genomen"
    assert f"/purchases/{seized.purchase_id}" in seizure.text
    for mail in (release, seizure):
        _assert_tells_nothing_of_the_report(mail)
        assert "ingetrokken" not in mail.text and "herkent" not in mail.text

    # Deciding again is refused (409) and mails nothing.
    again = api.post(f"/api/v1/items/{released.id}/police-decision",
                     {"decision": "released", "note": "nog eens"}, as_=police)  # fmt: skip
    assert again.status_code == 409
    assert _new_mails(app, mail_catcher) == 0


def test_a_registration_that_rolls_back_mails_nothing(api, make, session, clock, mail_catcher, app):
    api.post("/api/v1/stolen", _report("PL-1", IMEI_1), as_="police")
    dealer = make.dealer()
    make.user("dealer", dealer=dealer, email="baas@winkel.nl")
    entry = register_purchase(session, dealer, purchase(), now=clock.now())
    assert [item.status for item in entry.items] == ["police_hold"]
    assert _mail_events(session, in_transaction=True) == 1

    session.rollback()

    assert _mail_events(session) == 0
    assert _new_mails(app, mail_catcher) == 0
    assert mail_catcher.mails == []
