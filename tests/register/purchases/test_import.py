"""Bulk registration from CSV: all rows or none, every bad row listed."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from register.purchases.models import Item, Purchase

from .helpers import BAD_LUHN_IMEI, IMEI_1, IMEI_2, IMEI_3

HEADER = (
    "purchase_ref,acquired_at,seller_name,seller_birth_date,seller_street,seller_house_number,"
    "seller_postcode,seller_city,id_document_type,id_document_number,id_document_country,"
    "category,brand,model,price_cents,imei,serial_number,frame_number"
)
SELLER = "Jan de Vries,1990-04-01,Kerkstraat,12a,1017 GC,Amsterdam,id_card,IXF123456,NL"


def row(ref, imei, category="phone", price="25000", frame="", acquired="2026-11-27T09:00"):
    return f"{ref},{acquired},{SELLER},{category},Apple,iPhone,{price},{imei},,{frame}"


def csv_text(*rows):
    return "\n".join([HEADER, *rows]) + "\n"


def post_csv(api, user, text):
    return api.client.post(
        "/api/v1/purchases/import",
        data=text.encode(),
        content_type="text/csv",
        headers=api.headers(user),
    )


def count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_a_valid_file_registers_every_purchase(api, make, session):
    user = make.user("dealer")
    text = csv_text(
        row("A", IMEI_1), row("A", IMEI_2), row("", IMEI_3), row("B", "", "bicycle", frame="WBK1")
    )
    response = post_csv(api, user, text)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["purchases"] == 3 and body["items"] == 4
    assert [e["sequence_number"] for e in body["entries"]] == [1, 2, 3]
    assert [len(e["items"]) for e in body["entries"]] == [2, 1, 1]
    assert body["entries"][0]["row"] == 2 and body["entries"][2]["row"] == 5


def test_one_bad_row_stores_nothing_and_every_bad_row_is_listed(api, make, session):
    user = make.user("dealer")
    text = csv_text(
        row("A", IMEI_1),
        row("A", BAD_LUHN_IMEI),
        row("", IMEI_3, price="-5"),
        row("", "", "bicycle"),
        row("", IMEI_2),
    )
    response = post_csv(api, user, text)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    body = response.json
    assert body["rows"] == [
        {
            "row": 3,
            "errors": {
                "imei": [
                    "This IMEI's check digit is wrong: check the number on the device (dial *#06#)."
                ]
            },
        },
        {"row": 4, "errors": {"price_cents": ["The price cannot be negative."]}},
        {
            "row": 5,
            "errors": {"frame_number": ["Enter the frame number: bicycles and e-bikes need one."]},
        },
    ]
    assert set(body["errors"]) == {"rows.3.imei", "rows.4.price_cents", "rows.5.frame_number"}
    assert body["detail"].startswith("Nothing was stored: 3 row(s) have errors.")
    assert count(session, Purchase) == 0 and count(session, Item) == 0


def test_seller_errors_point_at_the_seller_columns(api, make):
    user = make.user("dealer")
    text = csv_text(row("", IMEI_1).replace("1017 GC", "1017"))
    body = post_csv(api, user, text).json
    assert body["rows"] == [
        {
            "row": 2,
            "errors": {
                "seller_postcode": [
                    "Enter a Dutch postcode as four digits and two letters, e.g. 1017 GC."
                ]
            },
        }
    ]


def test_an_unknown_column_is_named_in_the_header_row(api, make):
    user = make.user("dealer")
    body = post_csv(api, user, "acquired_at,category,colour\n2026-11-27,other,red\n").json
    assert body["rows"] == [{"row": 1, "errors": {"colour": ["Unknown column."]}}]


def test_the_file_may_be_uploaded_as_a_form_field(api, make):
    import io

    user = make.user("dealer")
    response = api.client.post(
        "/api/v1/purchases/import",
        data={"file": (io.BytesIO(csv_text(row("", IMEI_1)).encode()), "kassa.csv")},
        content_type="multipart/form-data",
        headers=api.headers(user),
    )
    assert response.status_code == 201, response.json


def test_a_semicolon_separated_file_with_a_bom_is_read(api, make):
    user = make.user("dealer")
    text = "\ufeff" + csv_text(row("", IMEI_1)).replace(",", ";")
    assert post_csv(api, user, text).status_code == 201


def test_the_cli_imports_a_file_with_a_progress_bar(app, make, session, tmp_path):
    user = make.user("dealer")
    path = tmp_path / "kassa.csv"
    path.write_text(csv_text(row("", IMEI_1), row("", IMEI_2)))
    result = CliRunner().invoke(
        cli=app.cli, args=["import-purchases", str(path), "--dealer", str(user.dealer_id)]
    )
    assert result.exit_code == 0, result.output
    assert "imported 2 purchases with 2 items" in result.output
    assert count(session, Purchase) == 2


def test_the_cli_lists_bad_rows_and_stores_nothing(app, make, session, tmp_path):
    user = make.user("dealer")
    path = tmp_path / "kassa.csv"
    path.write_text(csv_text(row("", IMEI_1), row("", BAD_LUHN_IMEI)))
    result = CliRunner().invoke(
        cli=app.cli, args=["import-purchases", str(path), "--dealer", str(user.dealer_id)]
    )
    assert result.exit_code == 1
    assert "line 3, imei: This IMEI's check digit is wrong" in result.output
    assert count(session, Purchase) == 0


def test_the_web_upload_lists_bad_rows(client, make, session):
    import io

    user = make.user("dealer")
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    response = client.post(
        "/purchases/import",
        data={"file": (io.BytesIO(csv_text(row("", BAD_LUHN_IMEI)).encode()), "kassa.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "controlecijfer" in html and '<td data-label="Regel">2</td>' in html
    ok = client.post(
        "/purchases/import",
        data={"file": (io.BytesIO(csv_text(row("", IMEI_1)).encode()), "kassa.csv")},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 200 and count(session, Purchase) == 1
