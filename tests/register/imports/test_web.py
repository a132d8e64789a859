"""The upload page: a large file's job, its progress bar while it runs, then its outcome."""

from __future__ import annotations

import io
import re

import pytest

from register.imports.worker import run_import_jobs
from tests.factories import PASSWORD

from .helpers import csv_file, numbered_rows


@pytest.fixture
def app_config():
    return {"IMPORT_SYNC_MAX_ROWS": 3, "IMPORT_CHUNK_ROWS": 4}


def _log_in(client, user, language=None):
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    if language:
        client.post(f"/language/{language}", data={"next": "/"})


def _upload(client, text: str):
    return client.post(
        "/purchases/import",
        data={"file": (io.BytesIO(text.encode()), "kassa.csv")},
        content_type="multipart/form-data",
    )


def test_a_large_upload_shows_its_job_with_a_labelled_progress_bar_until_it_is_done(
    client, make, app
):
    user = make.user("dealer")
    _log_in(client, user)
    response = _upload(client, csv_file(numbered_rows(9)))
    assert response.status_code == 303
    page_url = response.headers["Location"]
    assert re.fullmatch(r"/purchases/import/\d+", page_url)

    html = client.get(page_url).get_data(as_text=True)
    assert 'aria-live="polite"' in html and "data-poll-seconds" in html
    assert '<label for="import-progress">' in html
    assert '<progress id="import-progress" max="9" value="0">' in html
    assert '<noscript><meta http-equiv="refresh"' in html  # without JavaScript: reloads
    assert "imports.js" in html
    assert "wacht" in html  # Dutch by default: waiting to be processed

    run_import_jobs(app)
    html = client.get(page_url).get_data(as_text=True)
    assert '<progress id="import-progress" max="9" value="9">' in html
    assert "data-poll-seconds" not in html and "http-equiv" not in html
    assert "5 inkopen met 9 voorwerpen" in html


def test_a_failed_job_lists_its_bad_rows_in_english_too(client, make, app):
    user = make.user("dealer")
    _log_in(client, user, language="en")
    page_url = _upload(client, csv_file(numbered_rows(9, bad=(4,)))).headers["Location"]
    run_import_jobs(app)
    response = client.get(page_url)
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert "Nothing was stored: 1 row(s) have errors." in html
    assert (
        '<td data-label="Line">5</td><td data-label="Column"><code>price_cents</code></td>'
        '<td data-label="Error">The price cannot be negative.</td>'
    ) in html


def test_another_dealer_cannot_see_an_import_page(client, make):
    owner, other = make.user("dealer"), make.user("dealer")
    _log_in(client, owner)
    page_url = _upload(client, csv_file(numbered_rows(9))).headers["Location"]
    client.post("/logout")
    _log_in(client, other)
    assert client.get(page_url).status_code == 404


def test_the_upload_has_its_own_size_limit_above_the_sites(client, make, app):
    user = make.user("dealer")
    _log_in(client, user)
    app.config["MAX_CONTENT_LENGTH"] = 1000  # every other form: 413 above this
    text = csv_file(numbered_rows(9))
    assert len(text) > 1000
    assert _upload(client, text).status_code == 303
    app.config["IMPORT_MAX_BYTES"] = 1000
    assert _upload(client, text).status_code == 413
