"""People hear of DOL reports by mail: the municipality of a new one, the dealer of the
decision on its own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.mailcatcher import deliver_mail
from tests.register.inspections.helpers import report_body

TODAY = date(2026, 11, 27)


@pytest.fixture
def app_config(mail_config):
    return mail_config


def test_the_municipality_hears_of_a_new_report_and_the_dealer_of_the_decision(
    app, api, make, session, mail_catcher
):
    town = make.municipality()
    clerk = make.user("municipality", municipality=town, email="loket@amsterdam.nl")
    make.user("municipality", municipality=make.municipality("GM0344", "Utrecht"),
              email="loket@utrecht.nl")  # fmt: skip
    dealer_user = make.user("dealer", dealer=make.dealer(active=False), email="baas@winkel.nl")
    filed = api.post("/api/v1/meldplicht", report_body("start", TODAY + timedelta(days=5)),
                     as_=dealer_user).json  # fmt: skip

    deliver_mail(app)
    [mail] = mail_catcher.mails
    assert mail.recipients == ("loket@amsterdam.nl",)
    assert "Telefoonwinkel Centrum" in mail.subject
    assert f"/meldplicht/{filed['id']}" in mail.text

    api.post(f"/api/v1/meldplicht/{filed['id']}/decision",
             {"decision": "rejected", "reason": "KvK-nummer klopt niet"}, as_=clerk)  # fmt: skip
    deliver_mail(app)
    [decision] = mail_catcher.mails_to("baas@winkel.nl")
    assert decision.subject == "Uw DOL-melding is afgewezen"
    assert "KvK-nummer klopt niet" in decision.text
