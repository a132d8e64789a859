"""What a CSV file may look like: line endings, long fields, unknown and duplicate columns."""

from __future__ import annotations

from sqlalchemy import func, select

from register.purchases.models import Item

from .helpers import HEADER, csv_file, numbered_rows, post_file


def _items(session) -> int:
    session.rollback()
    found = session.scalar(select(func.count()).select_from(Item))
    session.rollback()
    return found


def _refused(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    return response.json


def test_a_file_with_cr_only_line_endings_is_read_row_by_row(api, make, session):
    user = make.user("dealer")
    response = post_file(api, user, csv_file(numbered_rows(3, per_purchase=1), newline="\r"))
    assert response.status_code == 201, response.json
    assert (response.json["purchases"], response.json["items"]) == (3, 3)
    assert [e["row"] for e in response.json["entries"]] == [2, 3, 4]


def test_crlf_line_endings_and_a_quoted_line_break_in_a_description_are_read(api, make):
    user = make.user("dealer")
    row = numbered_rows(1)[0] + ',"gold\r\nwith a line break"'
    text = "\r\n".join([HEADER + ",description", row]) + "\r\n"
    response = post_file(api, user, text)
    assert response.status_code == 201, response.json


def test_a_field_over_128_kib_is_refused_naming_its_line(api, make, session):
    user = make.user("dealer")
    rows = numbered_rows(2)
    rows[1] = rows[1].replace("Ring 2", "x" * (128 * 1024 + 1))
    body = _refused(post_file(api, user, csv_file(rows)))
    assert set(body["errors"]) == {"rows.3.line"}
    assert body["rows"] == [
        {"row": 3, "errors": {"line": ["A field is longer than 131072 characters."]}}
    ]
    assert "Line 3" in body["detail"]
    assert _items(session) == 0


def test_a_nul_character_is_refused_naming_its_line(api, make):
    user = make.user("dealer")
    rows = numbered_rows(2)
    rows[0] = rows[0].replace("Ring 1", "Ring\x001")
    body = _refused(post_file(api, user, csv_file(rows)))
    assert set(body["errors"]) == {"rows.2.line"}


def test_unknown_columns_are_refused_and_named(api, make, session):
    user = make.user("dealer")
    text = csv_file(numbered_rows(1)).replace("seller_city", "colour", 1)
    text = text.replace("frame_number", "frame_numbr", 1)
    body = _refused(post_file(api, user, text))
    assert body["rows"] == [
        {"row": 1, "errors": {"colour": ["Unknown column."], "frame_numbr": ["Unknown column."]}}
    ]
    assert set(body["errors"]) == {"rows.1.colour", "rows.1.frame_numbr"}
    assert "'colour'" in body["detail"] and "'frame_numbr'" in body["detail"]
    assert _items(session) == 0


def test_a_duplicate_column_is_refused_and_named(api, make, session):
    user = make.user("dealer")
    header = HEADER + ",imei"
    text = "\n".join([header, numbered_rows(1)[0] + ",490154203237518"]) + "\n"
    body = _refused(post_file(api, user, text))
    assert body["rows"] == [{"row": 1, "errors": {"imei": ["This column appears more than once."]}}]
    assert "'imei'" in body["detail"]
    assert _items(session) == 0


def test_a_row_with_more_fields_than_the_header_is_refused(api, make, session):
    user = make.user("dealer")
    rows = numbered_rows(2)
    rows[1] += ",surplus"
    body = _refused(post_file(api, user, csv_file(rows)))
    assert set(body["errors"]) == {"rows.3.line"}
    assert body["rows"][0]["errors"]["line"] == ["This row has 19 fields; the header names 18."]
    assert _items(session) == 0


def test_an_empty_file_and_text_that_is_not_utf8_are_refused_naming_the_file(api, make):
    user = make.user("dealer")
    empty = post_file(api, user, "")  # no body where one is required: 400, as for JSON
    assert empty.status_code == 400, empty.json
    assert empty.mimetype == "application/problem+json"
    response = api.client.post(
        "/api/v1/purchases/import",
        data="acquired_at,category\n2026-11-27,caf\xe9\n".encode("latin-1"),
        content_type="text/csv",
        headers=api.headers(user),
    )
    body = _refused(response)
    assert body["detail"] == "The file is not UTF-8 text." and set(body["errors"]) == {"file"}


def test_a_file_over_the_import_size_limit_is_413(api, make, app):
    user = make.user("dealer")
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = post_file(api, user, csv_file(numbered_rows(20)))
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
