"""Alerts: each kind one below its threshold (none) and at it (one), no duplicates, no
placeholders, the worker's job, the status with a note, police only, opening audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from notifications.worker import Worker
from register.accounts.models import AuditEntry
from register.investigation.models import Alert, AlertItem
from tests.register.purchases.helpers import IMEI_1, IMEI_2, IMEI_3, bicycle, phone

from .test_corrected import correct
from .test_search import laptop, registered

ALERTS = "/api/v1/alerts"


@pytest.fixture
def app_config():
    return {
        "ALERT_FREQUENT_SELLER_ITEMS": 3,
        "ALERT_FREQUENT_SELLER_DEALERS": 3,
        "ALERT_FREQUENT_SELLER_WINDOW_DAYS": 30,
        "ALERT_RESOLD_DEALERS": 2,
        "ALERT_RESOLD_WINDOW_DAYS": 90,
        "ALERT_LOW_PRICE_MIN_SAMPLES": 6,
        "ALERT_LOW_PRICE_RATIO": 0.25,
    }


def alerts(session, kind=None):
    statement = select(Alert).order_by(Alert.id)
    if kind:
        statement = statement.where(Alert.kind == kind)
    session.expire_all()
    return session.scalars(statement).all()


def linked(session, alert) -> set[int]:
    return set(session.scalars(select(AlertItem.item_id).where(AlertItem.alert_id == alert.id)))


def ids(*entries) -> set[int]:
    return {item["id"] for entry in entries for item in entry["items"]}


class TestFrequentSeller:
    def test_one_below_the_number_of_goods_no_alert_at_it_an_alert(self, api, make, session):
        dealer = make.user("dealer")
        first = registered(api, dealer, [phone(IMEI_1), phone(IMEI_2)])
        assert alerts(session) == []
        second = registered(api, dealer, [phone(IMEI_3)])
        (alert,) = alerts(session, "frequent_seller")
        assert alert.reason["items"] == 3 and alert.reason["threshold_items"] == 3
        assert linked(session, alert) == ids(first, second)

    def test_one_below_the_number_of_dealers_no_alert_at_it_an_alert(self, api, make, session, app):
        app.config["ALERT_FREQUENT_SELLER_ITEMS"] = 10
        registered(api, make.user("dealer"), [phone(IMEI_1)])
        registered(api, make.user("dealer"), [phone(IMEI_2)])
        assert alerts(session) == []
        registered(api, make.user("dealer"), [phone(IMEI_3)])
        (alert,) = alerts(session)
        assert alert.kind == "frequent_seller" and alert.reason["dealers"] == 3

    def test_sales_outside_the_window_do_not_count(self, api, make, session):
        dealer = make.user("dealer")
        registered(api, dealer, [phone(IMEI_1)], acquired_at="2026-10-20T10:00:00+02:00")
        registered(api, dealer, [phone(IMEI_2), phone(IMEI_3)])
        assert alerts(session) == []

    def test_more_sales_join_the_alert_already_raised(self, api, make, session):
        dealer = make.user("dealer")
        first = registered(api, dealer, [phone(IMEI_1), phone(IMEI_2), phone(IMEI_3)])
        later = registered(api, dealer, [laptop("C02XK1ABCDEF")])
        (alert,) = alerts(session)
        assert alert.reason["items"] == 4
        assert linked(session, alert) == ids(first, later)

    def test_a_placeholder_document_number_never_alerts(self, api, make, session):
        dealer = make.user("dealer")
        for imei in (IMEI_1, IMEI_2, IMEI_3):
            registered(api, dealer, [phone(imei)], document="000000")
        assert alerts(session) == []


class TestAnImport:
    """A CSV file is checked in a few statements per chunk: the same alerts as one by one."""

    def test_a_file_makes_the_alerts_its_rows_make(self, api, make, session):
        from tests.register.purchases.test_import import HEADER, post_csv

        earlier = registered(
            api, make.user("dealer"), [laptop("C02XK1ABCDEF")], document="AB111111"
        )

        def line(ref, document, serial):
            return (
                f"{ref},2026-11-27T09:00,Jan de Vries,1990-04-01,Kerkstraat,12a,1017 GC,"
                f"Amsterdam,id_card,{document},NL,laptop,Apple,MacBook,50000,,{serial},"
            )

        text = "\n".join([
            HEADER,
            line("A", "ZZ1234567", "SER0001"), line("A", "ZZ1234567", "SER0002"),
            line("B", "zz-123 4567", "SER0003"),  # the same document, typed otherwise
            line("C", "YY7654321", "SER0004"), line("C", "YY7654321", "SER0005"),
            line("D", "XX1111111", "c02xk1abcdef"),  # resold: another dealer had it
        ]) + "\n"  # fmt: skip
        response = post_csv(api, make.user("dealer"), text)
        assert response.status_code == 201, response.json
        entries = {entry["purchase_ref"]: entry for entry in response.json["entries"]}
        (frequent,) = alerts(session, "frequent_seller")
        assert frequent.reason["items"] == 3
        assert linked(session, frequent) == ids(entries["A"], entries["B"])
        (resold,) = alerts(session, "resold_identifier")
        assert linked(session, resold) == ids(earlier, entries["D"])


class TestResoldIdentifier:
    def test_one_dealer_no_alert_a_second_dealer_an_alert(self, api, make, session):
        first = registered(api, make.user("dealer"), [laptop("C02XK1ABCDEF")], document="AB111111")
        registered(api, make.user("dealer"), [laptop("C02XK1ABCDEG")], document="AB222222")
        assert alerts(session) == []
        second = registered(
            api, make.user("dealer"), [laptop("c02-xk1-abcdef")], document="AB333333"
        )
        (alert,) = alerts(session, "resold_identifier")
        assert alert.reason["identifier_type"] == "serial_number"
        assert alert.reason["dealers"] == 2
        assert linked(session, alert) == ids(first, second)

    def test_the_same_dealer_twice_is_one_dealer(self, api, make, session):
        dealer = make.user("dealer")
        registered(api, dealer, [phone(IMEI_1)], document="AB111111")
        registered(api, dealer, [phone(IMEI_1)], document="AB222222")
        assert alerts(session) == []

    def test_a_third_dealer_joins_the_alert(self, api, make, session):
        for document in ("AB111111", "AB222222", "AB333333"):
            registered(api, make.user("dealer"), [phone(IMEI_1)], document=document)
        (alert,) = alerts(session)
        assert alert.reason["dealers"] == 3 and len(linked(session, alert)) == 3

    def test_a_frame_number_is_resold_only_within_its_brand(self, api, make, session):
        gazelle = registered(api, make.user("dealer"), [bicycle("WBK123456X")], document="AB1111")
        registered(
            api, make.user("dealer"), [bicycle("WBK123456X", brand="Batavus")], document="AB2222"
        )
        assert alerts(session) == []
        again = registered(api, make.user("dealer"), [bicycle("WBK 123456 X")], document="AB3333")
        (alert,) = alerts(session, "resold_identifier")
        assert alert.reason["identifier_type"] == "frame_number"
        assert linked(session, alert) == ids(gazelle, again)

    def test_an_identifier_corrected_into_one_another_dealer_registered_alerts(
        self, api, make, session
    ):
        first = registered(api, make.user("dealer"), [phone(IMEI_1)], document="AB111111")
        dealer = make.user("dealer")
        second = registered(api, dealer, [phone(IMEI_2)], document="AB222222")
        assert alerts(session) == []
        correct(api, dealer, second["id"], {"id": second["items"][0]["id"], "imei": IMEI_1})
        (alert,) = alerts(session, "resold_identifier")
        assert alert.reason["identifier_type"] == "imei" and alert.reason["dealers"] == 2
        assert linked(session, alert) == ids(first, second)

    def test_placeholders_never_alert(self, api, make, session):
        for document in ("AB111111", "AB222222"):
            registered(
                api, make.user("dealer"), [laptop("onbekend"), laptop("N/A")], document=document
            )
        assert alerts(session) == []


def run_low_price_job(app):
    """The job as the notification worker runs it: registered there, committed after."""
    worker = Worker(app)
    (job,) = [
        j for j in app.extensions["notifications"]["periodic_jobs"] if j.name == "low-price-alerts"
    ]
    worker._housekeeping(job)()


class TestLowPrice:
    def fill(self, api, make, count, price=30000):
        for n in range(count):
            registered(
                api,
                make.user("dealer"),
                [phone(IMEI_1, price_cents=price, model="iPhone 13")],
                document=f"D{n:05d}",
            )

    def test_one_cent_above_the_threshold_no_alert_at_it_an_alert(self, api, make, session, app):
        self.fill(api, make, 5)
        above = registered(api, make.user("dealer"), [phone(IMEI_2, price_cents=7501)])
        at = registered(api, make.user("dealer"), [phone(IMEI_3, price_cents=7500)])
        run_low_price_job(app)
        (alert,) = alerts(session, "low_price")
        assert linked(session, alert) == ids(at)
        assert ids(above).isdisjoint(linked(session, alert))
        assert alert.reason["median_cents"] == 30000 and alert.reason["samples"] == 7

    def test_too_few_like_goods_make_no_median(self, api, make, session, app):
        self.fill(api, make, 4)
        registered(api, make.user("dealer"), [phone(IMEI_3, price_cents=100)])
        run_low_price_job(app)
        assert alerts(session, "low_price") == []

    def test_the_job_looks_at_each_item_once(self, api, make, session, app):
        self.fill(api, make, 5)
        registered(api, make.user("dealer"), [phone(IMEI_3, price_cents=100)])
        run_low_price_job(app)
        run_low_price_job(app)
        assert len(alerts(session, "low_price")) == 1
        registered(api, make.user("dealer"), [phone(IMEI_2, price_cents=200)])
        run_low_price_job(app)
        assert len(alerts(session, "low_price")) == 2

    def test_like_goods_are_the_same_category_brand_and_model(self, api, make, session, app):
        self.fill(api, make, 6)
        registered(api, make.user("dealer"), [phone(IMEI_3, price_cents=100, model="iPhone 5")])
        run_low_price_job(app)
        assert alerts(session, "low_price") == []


class TestAlertApi:
    @pytest.fixture
    def alert(self, api, make, session):
        registered(api, make.user("dealer"), [phone(IMEI_1), phone(IMEI_2), phone(IMEI_3)])
        (alert,) = alerts(session)
        return alert

    def test_the_list_explains_each_alert_and_links_its_entries(self, api, make, alert):
        page = api.get(ALERTS, as_="police").json
        assert page["total"] == 1
        (shown,) = page["items"]
        assert shown["kind"] == "frequent_seller" and shown["status"] == "new"
        assert "3" in shown["explanation"]
        assert len(shown["items"]) == 3 and len(shown["dealers"]) == 1
        assert shown["reason"]["threshold_items"] == 3

    def test_the_api_explains_in_english(self, api, alert):
        shown = api.get(ALERTS, as_="police").json["items"][0]["explanation"]
        assert shown.startswith("One identity document sold 3 goods at 1 dealers")

    def test_alerts_are_police_only(self, api, make, alert):
        for role in ("dealer", "enforcement", "municipality", "admin"):
            assert api.get(ALERTS, as_=role).status_code == 403, role
            assert api.get(f"{ALERTS}/{alert.id}", as_=role).status_code == 403, role
            response = api.post(f"{ALERTS}/{alert.id}/status", {"status": "dismissed"}, as_=role)
            assert response.status_code == 403, role

    def test_opening_an_alert_is_audited(self, api, make, alert, session):
        police = make.user("police")
        response = api.get(f"{ALERTS}/{alert.id}?purpose=PL-5", as_=police)
        assert response.status_code == 200
        (entry,) = session.scalars(select(AuditEntry)).all()
        assert (entry.user_id, entry.action, entry.record_id, entry.purpose) == (
            police.id,
            "open_alert",
            str(alert.id),
            "PL-5",
        )
        assert len(entry.details["items"]) == 3

    def test_an_alert_is_taken_up_or_dismissed_with_a_note(self, api, make, alert, session):
        police = make.user("police")
        url = f"{ALERTS}/{alert.id}/status"
        response = api.post(url, {"status": "investigating", "note": "case PL-5"}, as_=police)
        assert response.status_code == 200
        assert response.json["status"] == "investigating"
        assert response.json["note"] == "case PL-5"
        response = api.post(url, {"status": "dismissed", "note": "a market trader"}, as_=police)
        assert response.json["status"] == "dismissed"
        assert api.get(f"{ALERTS}?status=dismissed", as_=police).json["total"] == 1
        assert api.get(f"{ALERTS}?status=new", as_=police).json["total"] == 0
        refused = api.post(url, {"status": "new"}, as_=police)
        assert refused.status_code == 409
        bad = api.post(url, {"status": "closed"}, as_=police)
        assert bad.status_code == 422 and "status" in bad.json["errors"]

    def test_an_unknown_alert_is_404(self, api):
        assert api.get(f"{ALERTS}/999", as_="police").status_code == 404

    def test_a_dismissed_pattern_raises_no_new_alert(self, api, make, alert, session):
        api.post(f"{ALERTS}/{alert.id}/status", {"status": "dismissed"}, as_="police")
        registered(api, make.user("dealer"), [laptop("C02XK1ABCDEF")])
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
        session.expire_all()
        assert session.get(Alert, alert.id).status == "dismissed"
