"""The DOC web pages: the queue, the inspection form, the goods check, and scope."""

from __future__ import annotations

from sqlalchemy import select

from register.inspections.models import Inspection, InspectionTask
from register.inspections.service import open_task
from tests.factories import PASSWORD

from .helpers import make_purchase


def log_in(client, user):
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )


CHECK_NAMES = (
    "registered_with_municipality",
    "register_kept",
    "entries_complete",
    "holding_period_respected",
    "stock_matches_register",
)
CHECKS_YES = {f"checks.{name}": "yes" for name in CHECK_NAMES}


def test_an_officer_logs_an_inspection_from_the_queue(client, make, session, clock):
    dealer = make.dealer(name="Witgoed Westerpark")
    task = open_task(session, dealer=dealer, reason="routine", now=clock.now())
    session.commit()
    log_in(client, make.user("enforcement"))
    assert "Witgoed Westerpark" in client.get("/inspections").get_data(as_text=True)
    assert client.get(f"/inspections/new?task_id={task.id}").status_code == 200
    response = client.post(
        "/inspections/new",
        data={
            "task_id": task.id,
            "inspected_at": "2026-11-27T10:00",
            **CHECKS_YES,
            "outcome": "compliant",
            "findings": "All fine.",
        },
    )
    assert response.status_code == 302
    inspection = session.scalar(select(Inspection))
    assert inspection.task_id == task.id and inspection.findings == "All fine."
    session.expire_all()
    assert session.get(InspectionTask, task.id).status == "done"


def test_an_unanswered_check_is_shown_next_to_it(client, make):
    dealer = make.dealer()
    log_in(client, make.user("enforcement"))
    data = {
        **CHECKS_YES,
        "dealer_id": dealer.id,
        "inspected_at": "2026-11-27T10:00",
        "outcome": "compliant",
        "findings": "kept",
    }
    del data["checks.register_kept"]
    response = client.post("/inspections/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "check-row has-error" in page and ">kept</textarea>" in page


def test_the_goods_check_page_shows_what_is_missing(client, make, session, clock):
    dealer = make.dealer()
    make_purchase(session, dealer, recorded_at=clock.now(), items=[{"serial_number": "AB12"}])
    log_in(client, make.user("enforcement"))
    response = client.post(
        f"/inspections/dealers/{dealer.id}/goods-check", data={"identifiers": "AB12\nZZ99"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "status-in_holding_period" in page and "status-not_registered" in page


def test_pages_of_a_dealer_outside_scope_answer_404(client, make, session, clock):
    utrecht = make.municipality("GM0344", "Utrecht")
    outside = make.dealer(municipality=utrecht)
    task = open_task(session, dealer=outside, reason="routine", now=clock.now())
    session.commit()
    log_in(client, make.user("enforcement", municipality=make.municipality()))
    assert client.get(f"/inspections/new?dealer_id={outside.id}").status_code == 404
    assert client.get(f"/inspections/new?task_id={task.id}").status_code == 404
    assert client.get(f"/inspections/dealers/{outside.id}/goods-check").status_code == 404
    assert f'id="task-{task.id}"' not in client.get("/inspections").get_data(as_text=True)


def test_an_inspection_outside_scope_answers_404_for_the_municipality(client, make, api):
    utrecht = make.municipality("GM0344", "Utrecht")
    boa = make.user("enforcement", municipality=utrecht)
    body = {
        "dealer_id": make.dealer(municipality=utrecht).id,
        "inspected_at": "2026-11-27T09:00:00+01:00",
        "checks": dict.fromkeys(CHECK_NAMES, True),
        "outcome": "compliant",
    }
    inspection_id = api.post("/api/v1/inspections", body, as_=boa).json["id"]
    log_in(client, make.user("municipality", municipality=make.municipality()))
    assert client.get(f"/inspections/{inspection_id}").status_code == 404
    client.post("/logout")
    log_in(client, make.user("municipality", municipality=utrecht))
    assert client.get(f"/inspections/{inspection_id}").status_code == 200
