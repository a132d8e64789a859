"""Every page of every role in a real browser: axe-core finds no WCAG 2.1 A/AA violation, in
Dutch and English, at 1280 and 390 px; at 360, 390, 768 and 1024 px (phones and tablets) no
page scrolls sideways, and below 960 px every table stacks into labelled cards; no Dutch
page shows an English source string; every title reads "<Page> - Digitaal Opkopers
Register" (an en dash), after "Fout: " while a form has errors.

With SCREENSHOTS_DIR set, the Dutch pages are also saved there as PNG files at each width.

One app with the demo data serves the whole module (pages are only read here); CSRF is on, as
in production. axe-core comes from tests/axe (npm ci, pinned), injected into each page.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from register import create_app
from register.clock import FakeClock
from register.database import create_all
from register.extensions import db
from tests.browser import LiveServer, log_in
from tests.conftest import base_config

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "demo-password"
WIDTHS = (1280, 390)
LOCALES = ("nl", "en")

# Pages that are no page (files, a health check, a redirect after a post) or not ours.
NOT_PAGES = {
    "main.healthz",
    "purchases_web.export_csv",
    "reports_web.dashboard_csv",
    "purchases_web.confirmation",  # reached only after a registration; covered by the flows
}

# One purchase for the import job's page, in the CSV columns of register/purchases/importer.py.
IMPORT_CSV = (
    "purchase_ref,acquired_at,seller_name,seller_birth_date,seller_street,seller_house_number,"
    "seller_postcode,seller_city,id_document_type,id_document_number,id_document_country,"
    "category,brand,model,price_cents,imei,serial_number,frame_number\n"
    "CSV-1,{when},Jan de Vries,1990-04-01,Kerkstraat,12a,1017 GC,Amsterdam,id_card,IXF123456,"
    "NL,phone,Apple,iPhone,25000,490154203237518,,\n"
)
RESOLD_PURCHASE = {
    "seller": {
        "name": "Fatima el Amrani",
        "birth_date": "1985-09-12",
        "address": {"street": "Javastraat", "house_number": "88", "postcode": "1094 HJ",
                    "city": "Amsterdam", "country": "NL"},
        "id_document": {"type": "id_card", "number": "NX7K2L9P1", "issuing_country": "NL"},
    },
    "items": [{"category": "phone", "brand": "Samsung", "model": "Galaxy S21",
               "imei": "490154203237518", "price_cents": 9000}],
}  # fmt: skip

SIGNUP_BUSINESS = dict(name="Tweedehands Noord", kvk_number="56789012", street="Buiksloterweg",
                       house_number="1", postcode="1025 XL", city="Amsterdam",
                       contact_name="Sam Noord", contact_phone="0201234567",
                       contact_email="aanmelding@demo.nl", goods_categories=["phone"])  # fmt: skip


# (who, path template, endpoint): every page, visited by the role that works on it.
PAGES = [
    (None, "/", "main.index"),
    (None, "/toegankelijkheid", "main.accessibility"),
    (None, "/login", "accounts.login"),
    (None, "/check", "stolen_web.check"),
    (None, "/meldplicht/register", "dealers_web.register_dealer"),
    (None, "/meldplicht/register/confirm/{signup_token}", "dealers_web.confirm_signup"),
    (None, "/password/forgot", "password.forgot"),
    (None, "/invitation/{invitation_token}", "password.invitation"),
    (None, "/password/reset/{reset_token}", "password.reset"),
    ("dealer@demo.nl", "/purchases", "purchases_web.register_list"),
    ("dealer@demo.nl", "/purchases/new", "purchases_web.new_purchase"),
    ("kringloop@demo.nl", "/purchases/new", "purchases_web.new_purchase"),  # with donations
    ("dealer@demo.nl", "/purchases/{purchase}", "purchases_web.purchase_detail"),
    ("dealer@demo.nl", "/items/{item}", "purchases_web.item_detail"),
    ("dealer@demo.nl", "/purchases/import", "imports_web.upload"),
    ("dealer@demo.nl", "/purchases/import/{import_job}", "imports_web.job"),
    ("dealer@demo.nl", "/account", "account.account"),
    ("dealer@demo.nl", "/account/password", "password.change"),
    ("dealer@demo.nl", "/staff", "admin.staff"),
    ("dealer@demo.nl", "/meldplicht", "dealers_web.meldplicht"),
    ("dealer@demo.nl", "/meldplicht/new", "dealers_web.new_report"),
    ("dealer@demo.nl", "/dashboard", "reports_web.dashboard"),
    ("gemeente@demo.nl", "/meldplicht", "dealers_web.meldplicht"),  # the review queue
    ("gemeente@demo.nl", "/meldplicht/{report}", "dealers_web.report_detail"),
    ("gemeente@demo.nl", "/municipality/rules", "municipal_rules_web.rules_page"),
    ("boa@demo.nl", "/inspections", "inspections_web.queue"),
    ("boa@demo.nl", "/inspections/new", "inspections_web.new_inspection"),
    ("boa@demo.nl", "/inspections/{inspection}", "inspections_web.detail"),
    ("boa@demo.nl", "/inspections/dealers/{dealer}/goods-check", "inspections_web.goods"),
    ("politie@demo.nl", "/hits", "hits_web.hit_list"),
    ("politie@demo.nl", "/hits/items/{held_item}/decision", "hits_web.item_decision"),
    ("politie@demo.nl", "/stolen", "stolen_web.report_list"),
    ("politie@demo.nl", "/stolen/new", "stolen_web.new_report"),
    ("politie@demo.nl", "/search", "investigation_web.search_page"),
    ("politie@demo.nl", "/alerts", "investigation_web.alert_list"),
    ("politie@demo.nl", "/alerts/{alert}", "investigation_web.alert_page"),
    ("admin@demo.nl", "/admin", "admin.admin"),
    ("admin@demo.nl", "/notifications", "notifications_web.index"),
    ("admin@demo.nl", "/notifications/{event}", "notifications_web.detail"),
]


# (who, path, what to do before submitting, the submit button): each form's error state.
# Before submitting: None, a field to empty, "#correct" (open the correction), or a dict
# of fields to fill in.
ERROR_STATES = [
    (None, "/login", None, "main button[type=submit]"),
    (None, "/check", None, "main button[type=submit]"),
    (None, "/meldplicht/register", None, "main button[type=submit]"),
    ("dealer@demo.nl", "/purchases/new", None, "main #purchase-form > button[type=submit]"),
    ("dealer@demo.nl", "/meldplicht/new", "#business\\.name", "main button[type=submit]"),
    ("dealer@demo.nl", "/purchases/{purchase}", "#correct", "#correct button[type=submit]"),
    ("gemeente@demo.nl", "/meldplicht", None, "main button[value=rejected]"),
    ("boa@demo.nl", "/inspections/new", None, "main button.big[type=submit]"),
    ("boa@demo.nl", "/inspections/dealers/{dealer}/goods-check", None, "main form.card button"),
    ("politie@demo.nl", "/stolen/new", None, "main button[type=submit]"),
    ("politie@demo.nl", "/hits/items/{held_item}/decision", None, "main button[type=submit]"),
    (None, "/password/forgot", None, "main button[type=submit]"),
    (None, "/password/reset/{reset_token}", None, "main button[type=submit]"),
    ("dealer@demo.nl", "/account/password", None, "main button[type=submit]"),
    ("dealer@demo.nl", "/account", None, "#create-token"),
    ("dealer@demo.nl", "/staff", None, "main form[novalidate] button.primary"),
    ("admin@demo.nl", "/admin", None, "#invite button[type=submit]"),
    ("gemeente@demo.nl", "/municipality/rules", "#holding_period", "main button.primary"),
    ("politie@demo.nl", "/search", {"#q": "fiets"}, "main button.primary"),  # no purpose
    ("dealer@demo.nl", "/purchases/import", None, "main form.card button[type=submit]"),
]
TITLE = re.compile(r"^(Fout: )?[A-Z0-9][^\u2013]* \u2013 Digitaal Opkopers Register$")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    from register.demo import seed

    path = tmp_path_factory.mktemp("browser") / "demo.sqlite"
    clock = FakeClock()
    app = create_app(base_config(f"sqlite:///{path}", clock, WTF_CSRF_ENABLED=True))
    with app.app_context():
        create_all()
        seed(db.session, now=clock.now())
        db.session.commit()
        ids = _demo_ids() | _made_for_the_pages(clock.now())
        db.session.commit()
        db.session.remove()
    with LiveServer(app) as server:
        server.app, server.ids = app, ids
        yield server
    with app.app_context():
        db.engine.dispose()


def _demo_ids() -> dict:
    from notifications.models import OutboxEvent
    from register.dealers.meldplicht import DolReport
    from register.dealers.models import Dealer
    from register.inspections.models import Inspection
    from register.purchases.models import Item, Purchase

    dealer = db.session.scalar(select(Dealer).where(Dealer.name.like("Fietsen%")))
    purchase = db.session.scalar(
        select(Purchase).where(Purchase.dealer_id == dealer.id).order_by(Purchase.id)
    )
    return {
        "dealer": dealer.id,
        "purchase": purchase.id,
        "item": purchase.items[0].id,
        "held_item": db.session.scalar(select(Item.id).where(Item.status == "police_hold")),
        "report": db.session.scalar(select(DolReport.id).order_by(DolReport.id)),
        "inspection": db.session.scalar(select(Inspection.id).order_by(Inspection.id)),
        "event": db.session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id)),
    }


def _token_of_mail(link, endpoint: str) -> str:
    """The token in the mail the service queued for ``link`` (the only place it is kept)."""
    from notifications.models import OutboxEvent

    event = db.session.scalar(
        select(OutboxEvent).where(OutboxEvent.dedupe_key == f"link:{link.id}")
    )
    found = re.search(re.escape(endpoint) + r"/([A-Za-z0-9_-]+)", json.dumps(event.payload))
    return found.group(1)


def _made_for_the_pages(now) -> dict:
    """What the demo data has no page for yet, made through the services that make it: a
    finished import job, an alert, and valid invitation, reset and sign-up links."""
    from register.accounts.authz import Principal
    from register.accounts.links import mail_password_reset
    from register.accounts.management import invite
    from register.accounts.models import OneTimeLink, User
    from register.accounts.signup import start_signup
    from register.dealers.meldplicht_service import Business
    from register.dealers.models import Dealer
    from register.imports.service import claim_next, create_job, run_job
    from register.investigation.models import Alert
    from register.purchases import importer
    from register.purchases.service import register_purchase

    dealer_user = db.session.scalar(select(User).where(User.email == "dealer@demo.nl"))
    dealer = db.session.get(Dealer, dealer_user.dealer_id)
    text = IMPORT_CSV.format(when=now.strftime("%Y-%m-%dT%H:%M"))
    job = create_job(db.session, dealer, text, importer.parse(text), now=now,
                     user_id=dealer_user.id, filename="inkoop.csv")  # fmt: skip
    assert claim_next(db.session, token="pages", now=now, stale_after=60) == job.id
    run_job(db.session, job.id, "pages", now=lambda: now, chunk_rows=100)
    db.session.refresh(job)
    assert job.status == "succeeded", (job.status, job.detail, job.errors)
    # The shop's demo phone bought again at the thrift shop: a resold-identifier alert.
    thrift = db.session.scalar(select(Dealer).where(Dealer.kind == "thrift"))
    register_purchase(db.session, thrift, RESOLD_PURCHASE | {"acquired_at": now.isoformat()},
                      now=now)  # fmt: skip
    invite(db.session, Principal.of(dealer_user), email="nieuw@demo.nl", role="dealer", now=now)
    invitation = db.session.scalar(select(OneTimeLink).where(OneTimeLink.purpose == "invitation"))
    reset = mail_password_reset(db.session, dealer_user, now=now)
    start_signup(db.session, email="aanmelding@demo.nl", password="aanmelding-wachtwoord",
                 kind="commercial", effective_date=now.date(), municipality_code="GM0363",
                 business=Business(**SIGNUP_BUSINESS), now=now)  # fmt: skip
    signup = db.session.scalar(
        select(OneTimeLink).where(OneTimeLink.purpose == "signup").order_by(OneTimeLink.id.desc())
    )
    alert = db.session.scalar(select(Alert.id).order_by(Alert.id.desc()))
    assert alert is not None, "the phone bought at a second dealer raises an alert"
    return {
        "import_job": job.id,
        "alert": alert,
        "invitation_token": _token_of_mail(invitation, "/invitation"),
        "reset_token": _token_of_mail(reset, "/password/reset"),
        "signup_token": _token_of_mail(signup, "/meldplicht/register/confirm"),
    }


def test_the_list_of_pages_covers_every_page_of_the_app(demo_server):
    listed = {endpoint for _who, _path, endpoint in PAGES} | NOT_PAGES
    pages = {
        rule.endpoint
        for rule in demo_server.app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith(("/api/", "/static/"))
        and rule.endpoint != "static"
    }
    assert pages - listed == set(), "pages missing from PAGES: a new page must be checked"


def _axe_violations(page) -> list[dict]:
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.fixture(scope="module")
def contexts(browser, demo_server):
    """A signed-in browser context per (user, locale, width), made once for the module."""
    made = {}

    def context_for(who, locale, width):
        key = (who, locale, width)
        if key not in made:
            context = browser.new_context(
                locale="nl-NL" if locale == "nl" else "en-GB",
                viewport={"width": width, "height": 900},
                bypass_csp=True,  # lets the test inject axe-core; the pages never need it
            )
            context.add_cookies([{"name": "lang", "value": locale, "url": demo_server.url}])
            assert AXE.exists(), "axe-core is missing: run the tests with `python3 dev.py test`"
            context.add_init_script(path=str(AXE))  # in every page, before its own scripts
            page = context.new_page()
            page.set_default_timeout(10_000)
            if who:
                log_in(page, demo_server.url, who, PASSWORD)
            made[key] = page
        return made[key]

    yield context_for
    for page in made.values():
        page.context.close()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_and_fits_the_screen(demo_server, contexts, locale, width):
    failures = {}
    for who, template, _endpoint in PAGES:
        path = template.format(**demo_server.ids)
        page = contexts(who, locale, width)
        response = page.goto(demo_server.url + path)
        assert response.status < 400, f"{who} {path}: {response.status}"
        problems = _axe_violations(page)
        if width <= 400:
            scroll, inner = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                problems.append({"id": "scrolls-sideways", "scrollWidth": scroll, "inner": inner})
        if problems:
            failures[f"{who or 'public'} {path}"] = problems
    assert not failures, json.dumps(failures, indent=1)


def _screenshot(page, who, path: str, width: int, prefix: str = "") -> None:
    """With SCREENSHOTS_DIR set, the page as PNG: ``<prefix><user><path>-<width>.png``."""
    directory = os.environ.get("SCREENSHOTS_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        name = f"{prefix}{(who or 'public').split('@')[0]}{path.replace('/', '_') or '_home'}"
        page.screenshot(path=f"{directory}/{name[:120]}-{width}.png", full_page=True)


# Tables whose cells lack their column's label once stacked: a cell needs a data-label unless
# it spans columns (a "nothing here" row), its column's heading is hidden (buttons), or the
# table has no column headings (each row is headed by its own th).
UNLABELLED_CELLS = """() => [...document.querySelectorAll('table')].flatMap(table => {
  const headings = [...table.querySelectorAll('thead th')];
  if (!headings.length) return [];
  return [...table.querySelectorAll('tbody td')].filter(td => {
    if (td.dataset.label || td.colSpan > 1) return false;
    const heading = headings[td.cellIndex];
    return heading && [...heading.childNodes].some(node => node.textContent.trim() &&
      !(node.nodeType === 1 && node.classList.contains('visually-hidden')));
  }).map(td => (table.className || 'table') + ': ' + td.innerText.trim().slice(0, 40));
})"""


CARDS_BELOW = 960  # px: style.css stacks tables into cards on phones and upright tablets


@pytest.mark.parametrize("width", (360, 390, 768, 1024))
def test_every_page_fits_phones_and_tablets_and_its_tables_stack_into_labelled_cards(
    demo_server, contexts, width
):
    """No page scrolls sideways on a phone or a tablet (upright and on its side); below
    ``CARDS_BELOW`` every table row is a card and every cell says its column."""
    failures = {}
    for who, template, _endpoint in PAGES:
        path = template.format(**demo_server.ids)
        page = contexts(who, "nl", width)
        response = page.goto(demo_server.url + path)
        assert response.status < 400, f"{who} {path}: {response.status}"
        problems = []
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll > inner:
            problems.append({"id": "scrolls-sideways", "scrollWidth": scroll, "inner": inner})
        if width < CARDS_BELOW:
            unstacked = page.evaluate(
                "() => [...document.querySelectorAll('tbody tr')]"
                ".filter(tr => getComputedStyle(tr).display !== 'block').length"
            )
            if unstacked:
                problems.append({"id": "table-not-stacked", "rows": unstacked})
            unlabelled = page.evaluate(UNLABELLED_CELLS)
            if unlabelled:
                problems.append({"id": "cells-without-label", "cells": unlabelled[:5]})
        _screenshot(page, who, path, width)
        if problems:
            failures[f"{who or 'public'} {path}"] = problems
    assert not failures, json.dumps(failures, indent=1)


def english_source_strings() -> re.Pattern:
    """Marked English texts whose Dutch translation differs, as one pattern: none may show
    on a Dutch page. Texts of a few words; and single lowercase words (the codes a page
    might show untranslated: "dealer", "holding") that no Dutch translation uses."""
    from babel.support import Translations

    from register.i18n import translation_directories
    from tests.test_catalogues import dutch_catalogue_entries, extracted

    dutch = Translations()
    for directory in translation_directories():
        dutch.merge(Translations.load(directory, ["nl"]))
    fragments = {
        msgid.split("%(")[0].strip() for msgid in extracted() if dutch.gettext(msgid) != msgid
    }
    phrases = {text for text in fragments if " " in text and len(text) >= 12}
    dutch_words = {
        word
        for _path, catalogue in dutch_catalogue_entries()
        for message in catalogue
        for string in (message.string if isinstance(message.string, tuple) else (message.string,))
        for word in re.findall(r"[\w-]+", string or "")
    }
    words = {
        text
        for text in fragments
        if re.fullmatch(r"[a-z][a-z_]{2,}", text) and text not in dutch_words
    }
    alternatives = "|".join(re.escape(text) for text in sorted(phrases | words, key=len)[::-1])
    # Whole words only, and not a part of an e-mail address, a code or a file name.
    return re.compile(rf"(?<![\w@.-])(?:{alternatives})(?![\w@-]|\.\w)")


# The text a reader sees, without code (CSV columns, event types) and without the parts in
# another language (the "English" language switch).
READABLE_TEXT = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [document.title];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest('code, kbd, samp, script, style, [lang]:not(html)')) continue;
    if (!parent.checkVisibility()) continue;
    texts.push(node.textContent);
  }
  return texts.join('\n');
}"""


def _english_shown(page, english: re.Pattern) -> list[str]:
    return sorted(set(english.findall(page.evaluate(READABLE_TEXT))))


def test_every_page_is_all_dutch_and_titled_as_the_others(demo_server, contexts):
    english = english_source_strings()
    failures = {}
    for who, template, _endpoint in PAGES:
        path = template.format(**demo_server.ids)
        page = contexts(who, "nl", 1280)
        response = page.goto(demo_server.url + path)
        assert response.status < 400, f"{who} {path}: {response.status}"
        problems = []
        shown = _english_shown(page, english)
        if shown:
            problems.append({"id": "english-on-a-dutch-page", "texts": shown})
        if not TITLE.match(page.title()) or page.title().startswith("Fout: "):
            problems.append({"id": "title", "title": page.title()})
        headings = page.locator("h1").all_inner_texts()
        if len(headings) != 1 or not headings[0][:1].isupper():
            problems.append({"id": "h1", "h1": headings})
        _screenshot(page, who, path, 1280)
        if problems:
            failures[f"{who or 'public'} {path}"] = problems
    assert not failures, json.dumps(failures, indent=1)


# Each entry of an error summary names its field before the message, and links to it.
SUMMARY_ENTRIES = """() => [...document.querySelectorAll('.error-summary li')].map(li => {
  const link = li.querySelector('a');
  const target = link && document.getElementById(link.getAttribute('href').slice(1));
  return {text: li.innerText.trim(), link: !!link, target: !!target};
})"""


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_forms_error_state_passes_axe_and_is_all_dutch(demo_server, contexts, locale, width):
    english = english_source_strings() if locale == "nl" else None
    failures = {}
    for who, template, to_open, submit in ERROR_STATES:
        path = template.format(**demo_server.ids)
        page = contexts(who, locale, width)
        page.goto(demo_server.url + path)
        if to_open == "#correct":
            page.click("#correct summary")
            page.fill("#f-reason", "")
        elif isinstance(to_open, dict):
            for selector, value in to_open.items():
                page.fill(selector, value)
        elif to_open:
            page.fill(to_open, "")
        with page.expect_navigation():
            page.click(submit)
        problems = _axe_violations(page)
        entries = page.evaluate(SUMMARY_ENTRIES)
        if not entries:
            problems.append({"id": "no-error-summary"})
        unnamed = [e for e in entries if not (e["link"] and e["target"] and ": " in e["text"])]
        if unnamed:
            problems.append({"id": "summary-entry-names-no-field", "entries": unnamed})
        if english is not None:
            shown = _english_shown(page, english)
            if shown:
                problems.append({"id": "english-on-a-dutch-page", "texts": shown})
            if not (TITLE.match(page.title()) and page.title().startswith("Fout: ")):
                problems.append({"id": "title", "title": page.title()})
        if width <= 400:
            scroll, inner = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                problems.append({"id": "scrolls-sideways", "scrollWidth": scroll, "inner": inner})
        if locale == "nl":
            _screenshot(page, who, path, width, prefix="error-")
        if problems:
            failures[f"{who or 'public'} {path}"] = problems
    assert not failures, json.dumps(failures, indent=1)


def test_the_api_docs_render_their_operations_under_the_strict_csp(browser, demo_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # the CSP applies
    page = context.new_page()
    refused = []

    def note_refusal(message):
        if "Refused" in message.text:
            refused.append(message.text)

    page.on("console", note_refusal)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " event => console.error('Refused: ' + event.violatedDirective))"
    )
    try:
        response = page.goto(demo_server.url + "/api/v1/docs")
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp
        page.wait_for_selector(".opblock", timeout=15_000)
        assert page.locator(".opblock").count() > 20  # the API's operations, listed
        assert page.locator(".opblock-summary-path", has_text="/api/v1/purchases").count() > 0
        assert not refused, refused
    finally:
        context.close()
