"""The upload page in a real browser: the progress bar moves without the page reloading."""

from __future__ import annotations

import pytest

from register.imports.worker import run_import_jobs
from tests.browser import log_in
from tests.factories import PASSWORD

from .helpers import csv_file, numbered_rows

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"IMPORT_SYNC_MAX_ROWS": 3, "IMPORT_CHUNK_ROWS": 4, "IMPORT_SQLITE_PAUSE_SECONDS": 0}


def test_a_running_import_updates_its_progress_in_place_and_announces_the_result(
    live_server, page, make, app, tmp_path
):
    from playwright.sync_api import expect

    make.user("dealer", email="kassa@winkel.nl")
    path = tmp_path / "kassa.csv"
    path.write_text(csv_file(numbered_rows(9)))
    log_in(page, live_server.url, "kassa@winkel.nl", PASSWORD)
    page.goto(live_server.url + "/purchases/import")
    page.set_input_files("#file", str(path))
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/purchases/import/*")
    progress = page.get_by_label("Ingeschreven regels")
    assert progress.get_attribute("value") == "0" and progress.get_attribute("max") == "9"
    assert page.locator("#import-status").get_attribute("aria-live") == "polite"
    page.evaluate("window.sameDocument = true")

    run_import_jobs(app)
    expect(progress).to_have_attribute("value", "9", timeout=15_000)
    assert page.evaluate("window.sameDocument") is True  # updated in place, not reloaded
    assert "5 inkopen met 9 voorwerpen ingeschreven" in page.locator("#import-status").inner_text()
