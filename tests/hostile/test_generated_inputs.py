"""Hypothesis-driven cases for each input rule: whatever is sent, the rule decides, and the
answer is an acceptance or a refusal naming the field, never a 500. Derandomised, so every
run tries the same inputs."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from register.csv_export import FORMULA_STARTS, safe_cell
from register.inputs import (
    LARGEST_ID,
    LARGEST_PRICE_CENTS,
    LARGEST_STORED_ID,
    UNSTORABLE_ID,
    Date,
    Id,
    Money,
    Text,
    Timestamp,
    never_allowed,
)
from register.strict_json import JsonRefused, strict_loads
from tests.register.purchases.helpers import phone, purchase

RULES = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HTTP = settings(RULES, max_examples=40)


class Fields(Schema):
    id = Id()
    name = Text()
    note = Text(multiline=True)
    day = Date()
    at = Timestamp()
    price = Money()


def load(**data):
    return Fields().load(data)


@RULES
@given(st.one_of(st.integers(), st.text(max_size=30), st.booleans(), st.floats()))
def test_an_id_is_a_positive_integer_of_at_most_2_63_minus_1(value):
    try:
        loaded = load(id=value)["id"]
    except ValidationError as exc:
        assert "id" in exc.messages
        return
    number = int(value)
    assert 1 <= number <= LARGEST_ID
    assert loaded == (number if number <= LARGEST_STORED_ID else UNSTORABLE_ID)


@RULES
@given(st.text())
def test_text_holds_no_control_bidi_or_unpaired_surrogate_characters(value):
    for field, multiline in (("name", False), ("note", True)):
        try:
            loaded = load(**{field: value})[field]
        except ValidationError as exc:
            assert field in exc.messages
            continue
        assert not never_allowed(loaded)
        assert "\r" not in loaded
        if not multiline:
            assert "\n" not in loaded and "\t" not in loaded


@RULES
@given(st.dates())
def test_a_date_lies_in_1900_to_2100(day):
    try:
        assert load(day=day.isoformat())["day"] == day
    except ValidationError:
        assert not 1900 <= day.year <= 2100
    else:
        assert 1900 <= day.year <= 2100


@RULES
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.one_of(st.none(), st.integers(-14 * 60, 14 * 60)),
)
def test_a_timestamp_has_an_offset_and_keeps_it(moment, offset):
    zone = None if offset is None else timezone(timedelta(minutes=offset))
    text = moment.replace(tzinfo=zone).isoformat()
    try:
        loaded = load(at=text)["at"]
    except ValidationError:
        assert offset is None or not 1900 <= moment.year <= 2100
        return
    assert offset is not None and loaded.utcoffset() == timedelta(minutes=offset)
    assert Fields().dump({"at": loaded})["at"] == text


@RULES
@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=5)))
def test_money_is_whole_cents_from_0_to_ten_million_euro(value):
    try:
        loaded = load(price=value)["price"]
    except ValidationError:
        assert not (
            isinstance(value, int)
            and not isinstance(value, bool)
            and 0 <= value <= LARGEST_PRICE_CENTS
        )
    else:
        assert loaded == value and 0 <= value <= LARGEST_PRICE_CENTS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=20,
)


@RULES
@given(json_values, st.integers(0, 60))
def test_the_parser_reads_json_up_to_32_levels_and_refuses_deeper(value, extra_depth):
    text = "[" * extra_depth + json.dumps(value) + "]" * extra_depth
    depth = extra_depth + _depth(value)
    try:
        strict_loads(text.encode())
    except JsonRefused as exc:
        assert depth > 32 or "number" in str(exc)
    else:
        assert depth <= 32


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@RULES
@given(st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_as_value_errors(raw):
    """Never a RecursionError, OverflowError or the like, which would be a 500."""
    with contextlib.suppress(ValueError):
        strict_loads(raw)


@RULES
@given(st.text())
def test_no_csv_cell_starts_a_formula(value):
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (value, "'" + value)


@pytest.fixture
def dealer_user(make):
    return make.user("dealer")


@HTTP
@given(st.one_of(st.integers(), st.text(alphabet="0123456789-+e.x", min_size=1, max_size=25)))
def test_any_path_id_is_found_or_404(api, dealer_user, raw):
    for path in (f"/api/v1/purchases/{raw}", f"/api/v1/items/{raw}"):
        assert api.get(path, as_=dealer_user).status_code in (200, 404)


@HTTP
@given(st.text(max_size=40))
def test_any_seller_name_is_registered_or_refused_naming_it(api, dealer_user, name):
    body = purchase(seller={**purchase()["seller"], "name": name})
    response = api.post("/api/v1/purchases", body, as_=dealer_user)
    assert response.status_code in (201, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert list(response.json["errors"]) == ["seller.name"]


@HTTP
@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_any_price_is_registered_or_refused_naming_it(api, dealer_user, price):
    body = purchase(items=[phone(price_cents=price)])
    response = api.post("/api/v1/purchases", body, as_=dealer_user)
    if 0 <= price <= LARGEST_PRICE_CENTS:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert list(response.json["errors"]) == ["items.0.price_cents"]


@HTTP
@given(st.dates(), st.sampled_from(["from", "to"]))
def test_the_summary_and_the_dashboard_take_any_date(api, client, make, day, name):
    response = api.get(f"/api/v1/reports/summary?{name}={day.isoformat()}", as_="admin")
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert name in response.json["errors"]
    user = make.user("admin")
    with client.session_transaction() as web_session:
        web_session["_user_id"] = user.get_id()
        web_session["_fresh"] = True
    assert client.get(f"/dashboard?{name}={day.isoformat()}").status_code == 200


@HTTP
@given(st.text(max_size=30))
def test_next_never_leaves_the_site(client, target):
    response = client.post("/language/en", data={"next": target})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\"))
        assert location == "/" or location == target


def test_the_bounds_themselves_are_accepted():
    assert load(day=date(2100, 12, 31).isoformat())["day"].year == 2100
    assert load(at=datetime(1900, 1, 1, tzinfo=UTC).isoformat())["at"].year == 1900
