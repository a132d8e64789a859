"""The CSV import stores its purchases in bulk: the same register as one by one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from register.dealers.models import Dealer
from register.hits.models import Hit, ItemIdentifierKey
from register.purchases.chain import verify_dealer
from register.purchases.models import Item, Purchase
from tests.stolen_db.helpers import add_report

from .helpers import IMEI_1, IMEI_2, IMEI_3, purchase
from .test_import import csv_text, post_csv, row


def test_an_import_after_registrations_continues_the_numbers_and_the_chain(
    api, make, session, clock
):
    user = make.user("dealer")
    assert api.post("/api/v1/purchases", purchase(), as_=user).status_code == 201
    response = post_csv(api, user, csv_text(row("A", IMEI_1), row("A", IMEI_2), row("", IMEI_3)))
    assert response.status_code == 201, response.json
    assert [e["sequence_number"] for e in response.json["entries"]] == [2, 3]
    assert api.post("/api/v1/purchases", purchase(), as_=user).json["sequence_number"] == 4
    session.expire_all()
    dealer = session.get(Dealer, user.dealer_id)
    assert verify_dealer(session, dealer).ok
    assert dealer.last_sequence_number == 4


def test_an_imported_stolen_item_is_held_with_a_hit_and_every_item_gets_its_keys(
    api, make, session, clock
):
    report = add_report(session, clock, category="phone", brand="Apple", imei=IMEI_2)
    user = make.user("dealer")
    response = post_csv(api, user, csv_text(row("A", IMEI_1), row("A", IMEI_2)))
    assert response.status_code == 201, response.json
    items = response.json["entries"][0]["items"]
    assert [i["status"] for i in items] == ["holding", "police_hold"]
    session.expire_all()
    hit = session.scalar(select(Hit))
    assert (hit.item_id, hit.stolen_report_id, hit.trigger) == (
        items[1]["id"],
        report.id,
        "registration",
    )
    assert session.get(Item, items[1]["id"]).status == "police_hold"
    keyed = set(session.scalars(select(ItemIdentifierKey.item_id)))
    assert keyed == {i["id"] for i in items}
    assert session.scalar(select(Purchase.seller_id)) is not None


class _CountedPool:
    """The real process pool, counted: proof that the helper process did the validating."""

    started = 0

    def __new__(cls, *args, **kwargs):
        from concurrent.futures import ProcessPoolExecutor

        cls.started += 1
        return ProcessPoolExecutor(*args, **kwargs)


def _in_a_helper_process(monkeypatch, chunk=2):
    import register.purchases.importer as importer

    monkeypatch.setattr(importer, "PARALLEL_FROM_ROWS", 1)
    monkeypatch.setattr(importer, "CHUNK_PURCHASES", chunk)
    _CountedPool.started = 0
    monkeypatch.setattr(importer, "ProcessPoolExecutor", _CountedPool)


def _goods_matched_here(monkeypatch) -> list[int]:
    """How many goods each Stop Heling lookup of the importing process itself had."""
    import register.hits.service as hits_service

    counted: list[int] = []
    real = hits_service.find_matches

    def counting(session, goods, *args, **kwargs):
        counted.append(len(goods))
        return real(session, goods, *args, **kwargs)

    monkeypatch.setattr(hits_service, "find_matches", counting)
    return counted


def test_a_large_file_validated_in_a_helper_process_is_stored_in_file_order(
    api, make, session, clock, monkeypatch
):
    report = add_report(session, clock, category="phone", brand="Apple", imei=IMEI_3)
    _in_a_helper_process(monkeypatch)
    matched_here = _goods_matched_here(monkeypatch)
    user = make.user("dealer")
    rows = [row("A", IMEI_1), row("A", IMEI_2), row("B", IMEI_2), row("C", IMEI_3),
            row("D", IMEI_1), row("E", IMEI_2)]  # fmt: skip
    response = post_csv(api, user, csv_text(*rows))
    assert response.status_code == 201, response.json
    assert _CountedPool.started == 1
    # The first chunk (A, B: three items) is matched here, and so is every other chunk: a
    # registration looks its own items up, in one batch.
    assert matched_here[0] == 3 and sum(matched_here) == 6
    entries = response.json["entries"]
    assert [(e["purchase_ref"], e["row"], e["sequence_number"]) for e in entries] == [
        ("A", 2, 1), ("B", 4, 2), ("C", 5, 3), ("D", 6, 4), ("E", 7, 5),
    ]  # fmt: skip
    assert [i["status"] for e in entries for i in e["items"]] == [
        "holding", "holding", "holding", "police_hold", "holding", "holding",
    ]  # fmt: skip
    session.expire_all()
    assert verify_dealer(session, session.get(Dealer, user.dealer_id)).ok
    assert [h.stolen_report_id for h in session.scalars(select(Hit))] == [report.id]
    # The keys the helper computed are the keys the item gets when registered alone.
    keyed = set(session.scalars(select(ItemIdentifierKey.item_id)))
    assert keyed == {i["id"] for e in entries for i in e["items"]}
    single = api.post("/api/v1/purchases", purchase(), as_=user).json["items"][0]["id"]
    imported = entries[0]["items"][0]["id"]

    def keys_of(item_id):
        where = ItemIdentifierKey.item_id == item_id
        return set(session.scalars(select(ItemIdentifierKey.key).where(where)))

    assert keys_of(imported) == keys_of(single)  # both IMEI_1, Apple


def test_a_small_file_is_validated_here_without_starting_a_helper_process(
    api, make, session, monkeypatch
):
    import register.purchases.importer as importer

    _CountedPool.started = 0
    monkeypatch.setattr(importer, "ProcessPoolExecutor", _CountedPool)
    user = make.user("dealer")
    response = post_csv(api, user, csv_text(row("A", IMEI_1), row("B", IMEI_2)))
    assert response.status_code == 201, response.json
    assert _CountedPool.started == 0
    keyed = set(session.scalars(select(ItemIdentifierKey.item_id)))
    assert keyed == {i["id"] for e in response.json["entries"] for i in e["items"]}


def test_a_bad_row_validated_in_the_helper_process_stores_nothing(api, make, session, monkeypatch):
    _in_a_helper_process(monkeypatch)
    user = make.user("dealer")
    rows = [
        row("A", IMEI_1),
        row("B", IMEI_2),
        row("C", IMEI_3),
        row("D", IMEI_1),
        row("E", "35209900176148"),
    ]  # fmt: skip  (14 digits: a bad IMEI in the last chunk)
    response = post_csv(api, user, csv_text(*rows))
    assert response.status_code == 422, response.json
    assert [r["row"] for r in response.json["rows"]] == [6]
    assert "imei" in response.json["rows"][0]["errors"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Purchase)) == 0
    assert session.scalar(select(func.count()).select_from(ItemIdentifierKey)) == 0
    assert session.get(Dealer, user.dealer_id).last_sequence_number == 0
    # The numbers taken by the chunks stored before the bad row was found are given back.
    assert api.post("/api/v1/purchases", purchase(), as_=user).json["sequence_number"] == 1


@pytest.fixture
def helper_here(monkeypatch, database_uri):
    """The helper process's state, set up in this process (its code runs here)."""
    import multiprocessing

    import register.purchases.importer as importer

    monkeypatch.setattr(importer, "TURN_WAIT_SECONDS", 0.05)
    for name in ("lookups", "turn_taken", "waiting_for"):
        monkeypatch.setattr(importer._Helper, name, getattr(importer._Helper, name))

    def start(*, turn: bool, waiting_for: int):
        turn_taken = multiprocessing.Event()
        if turn:
            turn_taken.set()
        waiting = multiprocessing.Value("i", waiting_for)
        importer._start_helper(database_uri, turn_taken, waiting)
        return importer

    yield start
    if importer._Helper.lookups is not None:
        importer._Helper.lookups.get_bind().dispose()


def _chunk(app, make, now):
    from register.purchases.importer import parse
    from register.purchases.service import rules_for

    dealer = make.dealer()
    groups = parse(csv_text(row("A", IMEI_1), row("A", IMEI_3), row("B", IMEI_2)))
    return groups, rules_for(dealer, now)


def test_the_helper_looks_up_a_chunk_once_the_import_holds_its_turn(
    app, make, session, clock, helper_here
):
    report = add_report(session, clock, category="phone", brand="Apple", imei=IMEI_3)
    groups, rules = _chunk(app, make, clock.now())
    importer = helper_here(turn=True, waiting_for=0)
    results, matches = importer.prepare_groups(groups, rules, 1)
    assert [errors for _data, errors, _keys in results] == [None, None]
    # One answer per valid item in file order: the second item of A is the stolen one.
    assert [[m.report_id for m in found] for found in matches] == [[], [report.id], []]
    assert matches[1][0].kind == "exact"


def test_the_helper_leaves_the_lookups_to_an_import_that_waits_or_has_no_turn(
    app, make, session, clock, helper_here
):
    groups, rules = _chunk(app, make, clock.now())
    importer = helper_here(turn=True, waiting_for=1)
    results, matches = importer.prepare_groups(groups, rules, 1)  # the import waits for it
    assert matches is None and len(results) == 2
    importer = helper_here(turn=False, waiting_for=0)
    assert importer.prepare_groups(groups, rules, 1)[1] is None  # no turn: no lookups
