"""The demonstration police endpoint: verifies signatures, stores once per webhook-id, shows."""

from __future__ import annotations

import pytest

from notifications.delivery import WebhookSender, encode_body
from notifications.receiver import ReceiverStore, create_receiver_app
from tests.conftest import WEBHOOK_SECRET

HIT = {
    "type": "hit.created",
    "timestamp": "2026-11-27T09:00:00+00:00",
    "data": {
        "hit_id": 7,
        "trigger": "registration",
        "match": {"kind": "exact", "identifier_type": "imei", "confidence": 1.0},
        "item": {
            "category": "phone",
            "brand": "Apple",
            "model": "iPhone 13",
            "imei": "490154203237518",
        },
        "dealer": {
            "name": "Fietsen BV",
            "municipality": "GM0363",
            "address": {"city": "Amsterdam"},
        },
        "seller": {
            "name": "Jan de Vries",
            "id_document": {"type": "id_card", "number": "IXF123456"},
        },
        "stolen_report": {"id": 3, "report_number": "PL1300-2026-000123"},
    },
}


@pytest.fixture
def receiver(tmp_path):
    app = create_receiver_app(WEBHOOK_SECRET, ReceiverStore(str(tmp_path / "received.sqlite")))
    return app.test_client()


def _signed(message_id: str = "msg_1", payload: dict = HIT, secret: str = WEBHOOK_SECRET):
    sender = WebhookSender("http://unused", secret)
    body = encode_body(payload)
    return body, sender.headers(message_id, body)


def test_a_signed_hit_is_accepted_stored_and_shown(receiver):
    body, headers = _signed()
    response = receiver.post("/webhook", data=body, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "duplicate": False}

    [message] = receiver.get("/events").get_json()["items"]
    assert message["webhook_id"] == "msg_1"
    assert message["body"] == HIT
    page = receiver.get("/").get_data(as_text=True)
    for shown in (
        "hit.created #7",
        "exact on imei",
        "iPhone 13",
        "490154203237518",
        "Fietsen BV",
        "Jan de Vries",
        "PL1300-2026-000123",
    ):
        assert shown in page


def test_a_repeated_webhook_id_is_the_same_message(receiver):
    body, headers = _signed()
    receiver.post("/webhook", data=body, headers=headers)
    again = receiver.post("/webhook", data=body, headers=_signed()[1])
    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    [message] = receiver.get("/events").get_json()["items"]
    assert message["deliveries"] == 2


@pytest.mark.parametrize("tamper", ["body", "secret", "headers"])
def test_a_message_without_a_valid_signature_is_refused(receiver, tamper):
    other_secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3OA=="
    body, headers = _signed(secret=other_secret if tamper == "secret" else WEBHOOK_SECRET)
    if tamper == "body":
        body = body.replace("Jan de Vries", "Piet Jansen")
    if tamper == "headers":
        headers = {"content-type": "application/json"}
    response = receiver.post("/webhook", data=body, headers=headers)
    assert response.status_code == 400
    listing = receiver.get("/events").get_json()
    assert listing["items"] == []
    assert listing["rejected"] == 1


def test_an_old_signature_timestamp_is_refused(receiver):
    from datetime import UTC, datetime, timedelta

    sender = WebhookSender(
        "http://unused",
        WEBHOOK_SECRET,
        wall_clock=lambda: datetime.now(UTC) - timedelta(minutes=10),
    )
    body = encode_body(HIT)
    response = receiver.post("/webhook", data=body, headers=sender.headers("msg_9", body))
    assert response.status_code == 400
