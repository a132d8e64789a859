"""Error summaries name their fields: "Naam verkoper: dit veld is verplicht.", linked to it."""

from __future__ import annotations

import re

from register.webforms import field_label, lower_first, summary_entries, upper_first
from tests.factories import PASSWORD

LABELS = {"seller.name": "Naam verkoper", "items.*": "Goed", "items.*.imei": "IMEI",
          "items.*.category": "Soort"}  # fmt: skip


def test_an_entry_names_its_field_and_links_to_it():
    entries = summary_entries(
        {"seller.name": ["Dit veld is verplicht."], "_schema": ["Niets ingeschreven."]}, LABELS
    )
    assert [(e.text, e.href) for e in entries] == [
        ("Naam verkoper: dit veld is verplicht.", "f-seller-name"),
        ("Niets ingeschreven.", None),
    ]


def test_a_field_of_a_repeated_row_is_named_by_its_row_number():
    assert field_label("items.1.imei", LABELS) == "Goed 2, IMEI"
    assert field_label("items.0.category", LABELS) == "Goed 1, soort"
    assert field_label("items.2", LABELS) == "Goed 3"
    assert field_label("unknown", LABELS) is None


def test_abbreviations_keep_their_capitals_and_titles_get_one():
    assert lower_first("IMEI is te kort.") == "IMEI is te kort."
    assert lower_first("KvK-nummer klopt niet.") == "KvK-nummer klopt niet."
    assert lower_first("Dit veld is verplicht.") == "dit veld is verplicht."
    assert upper_first("fiets Gazelle Orange C7") == "Fiets Gazelle Orange C7"


def test_the_purchase_forms_summary_names_each_field_and_item(client, make):
    user = make.user("dealer")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.post(
        "/purchases/new",
        data={"acquired_at": "2026-11-27T09:30", "acquisition_type": "purchase",
              "items.0.category": "phone", "items.1.brand": "Gazelle"},
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    start = page.index('class="error-summary"')
    summary = page[start : page.index("</ul>", start)]
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary))
    assert links["f-seller-name"] == "Naam verkoper: dit veld is verplicht."
    assert links["f-items-1-category"] == "Goed 2, soort: dit veld is verplicht."
    assert all(": " in text for text in links.values()), links
    assert "<title>Fout: Nieuwe inkoop \u2013 Digitaal Opkopers Register</title>" in page
