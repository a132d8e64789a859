"""Normalisation, one function per identifier kind: properties over generated input."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from stolen_db.keys import edit_distance_at_most_one, near_index_keys
from stolen_db.normalize import (
    is_valid_imei,
    lookalike_imei,
    lookalike_key,
    normalize_brand,
    normalize_frame,
    normalize_imei,
    normalize_serial,
)

SEPARATORS = " -./:_\t"
ascii_text = st.text(
    alphabet=string.ascii_letters + string.digits + SEPARATORS + "|#*", max_size=30
)
alnum = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=6, max_size=20)
digits14 = st.text(alphabet=string.digits, min_size=14, max_size=14)


def sprinkle(value: str, seps: list[str]) -> str:
    """``value`` with separators put between its characters."""
    out = []
    for i, ch in enumerate(value):
        out.append(ch)
        if seps:
            out.append(seps[i % len(seps)])
    return "".join(out)


@given(st.text(max_size=40))
def test_an_imei_keeps_its_digits_only_and_normalising_twice_changes_nothing(text):
    norm = normalize_imei(text)
    assert norm == "".join(ch for ch in text if ch in string.digits)
    assert normalize_imei(norm) == norm


@given(digits14, st.lists(st.sampled_from(list(SEPARATORS)), max_size=4))
def test_an_imei_typed_with_spaces_and_dashes_is_the_same_imei(body, seps):
    imei = body + luhn.calc_check_digit(body)
    assert normalize_imei(sprinkle(imei, seps)) == imei
    assert is_valid_imei(sprinkle(imei, seps))


@given(digits14, st.integers(min_value=1, max_value=9))
def test_an_imei_with_a_wrong_check_digit_is_refused_not_fixed(body, shift):
    good = luhn.calc_check_digit(body)
    wrong = body + str((int(good) + shift) % 10)
    assert not is_valid_imei(wrong)
    assert normalize_imei(wrong) == wrong  # kept as typed: nothing is "corrected"


@given(st.text(alphabet=string.digits, max_size=30).filter(lambda s: len(s) != 15))
def test_only_fifteen_digits_make_an_imei(digits):
    assert not is_valid_imei(digits)


@given(st.text(max_size=40))
def test_a_serial_number_is_upper_case_letters_and_digits_only(text):
    norm = normalize_serial(text)
    assert set(norm) <= set(string.ascii_uppercase + string.digits)
    assert normalize_serial(norm) == norm
    assert normalize_frame(text) == norm


@given(ascii_text, st.lists(st.sampled_from(list(SEPARATORS + "|#*")), max_size=4))
def test_case_and_punctuation_do_not_change_a_serial_number(text, seps):
    assert normalize_serial(text.swapcase()) == normalize_serial(text)
    assert normalize_serial(sprinkle(text, seps)) == normalize_serial(text)


@given(ascii_text)
def test_the_lookalike_key_folds_every_confusable_character(text):
    key = lookalike_key(text)
    assert not set(key) & set("OILSZB")
    assert set(key) <= set(string.ascii_uppercase + string.digits)
    assert lookalike_key(key) == key


@given(alnum, st.data())
def test_swapping_a_character_for_its_lookalike_keeps_the_lookalike_key(text, data):
    pairs = {"0": "O", "1": "IL|", "5": "S", "2": "Z", "8": "B"}
    position = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    ch = text[position]
    if ch not in pairs:
        return
    other = data.draw(st.sampled_from(pairs[ch]))
    swapped = text[:position] + other + text[position + 1 :]
    assert lookalike_key(swapped.lower()) == lookalike_key(text)


@pytest.mark.parametrize(
    ("typed", "key"),
    [("O", "0"), ("I", "1"), ("l", "1"), ("|", "1"), ("s", "5"), ("Z", "2"), ("B", "8")],
)
def test_each_documented_lookalike_folds_as_documented(typed, key):
    assert lookalike_key("AB" + typed) == "A8" + key


def test_an_imei_typed_with_lookalike_letters_folds_to_its_digits():
    assert lookalike_imei("35209900176I481") == "352099001761481"
    assert lookalike_imei("35-2O99OO-176148-l") == "352099001761481"


@given(st.text(alphabet=string.ascii_letters + string.digits + " -.&'", max_size=20))
def test_brands_compare_without_case_spaces_or_punctuation(brand):
    assert normalize_brand(brand.swapcase()) == normalize_brand(brand)
    assert normalize_brand(brand.replace(" ", "")) == normalize_brand(brand)
    assert normalize_brand("Van Moof") == normalize_brand("VANMOOF") == "vanmoof"


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook dynamic programme."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


short = st.text(alphabet="AB01", max_size=8)


@given(short, short)
def test_the_one_edit_test_agrees_with_the_edit_distance(a, b):
    assert edit_distance_at_most_one(a, b) == (_osa(a, b) <= 1)


@st.composite
def one_edit(draw):
    """A string of at least 6 characters and a copy one edit away from it."""
    text = draw(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=7, max_size=16))
    edit = draw(st.sampled_from(["insert", "delete", "substitute", "swap"]))
    i = draw(st.integers(min_value=0, max_value=len(text) - 2))
    ch = draw(st.sampled_from(string.ascii_uppercase + string.digits))
    if edit == "insert":
        other = text[:i] + ch + text[i:]
    elif edit == "delete":
        other = text[:i] + text[i + 1 :]
    elif edit == "substitute":
        other = text[:i] + ch + text[i + 1 :]
    else:
        other = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text, other


@given(one_edit())
def test_identifiers_one_edit_apart_always_share_a_near_key(pair):
    text, other = pair
    assert near_index_keys("serial_number", "apple", text) & near_index_keys(
        "serial_number", "apple", other
    )


@given(one_edit())
def test_near_keys_of_another_brand_or_type_never_meet(pair):
    text, other = pair
    assert not near_index_keys("serial_number", "apple", text) & near_index_keys(
        "serial_number", "dell", other
    )
    assert not near_index_keys("serial_number", "apple", text) & near_index_keys(
        "frame_number", "apple", other
    )
