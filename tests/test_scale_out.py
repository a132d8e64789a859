"""The scale-out path, for real: two gunicorn web processes and two notification workers on
one PostgreSQL database, Redis for the rate limits, a burst of registrations with stolen
goods among them.

Only on PostgreSQL (SQLite has one writer; CI runs the suite a second time with
TEST_DATABASE_URL set). The database is a new one on the same server, made with the
migrations (``flask db upgrade``) as the README says to do it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from notifications.mail import MAIL_EVENT_TYPE
from notifications.models import DELIVERED, DeliveryAttempt, OutboxEvent
from register import create_app
from register.accounts.models import User
from register.accounts.service import issue_token
from register.dealers.models import Dealer
from register.dealers.service import create_dealer, create_municipality
from register.extensions import db
from register.hits.models import Hit
from register.integrity.verify import verify_items
from register.purchases.chain import verify_dealer
from register.purchases.models import Item, Purchase
from stolen_db.generator import Generator
from stolen_db.service import add_reports_bulk
from tests.conftest import TEST_DATABASE_URL, base_config

from .notifications.helpers import WorkerProcess, start_receiver, wait_until, worker_env

pytestmark = pytest.mark.slow
postgresql_only = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="two web processes and two workers need PostgreSQL"
)

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
DEALERS = 7  # prime to the two web processes: each dealer's registrations go through both
REGISTRATIONS = 200
STOLEN_EVERY = 5  # every fifth registration holds a good reported stolen: 40 hits
CLIENT_THREADS = 16


@dataclass
class WebProcess:
    """``gunicorn -c gunicorn.conf.py -w 2 'register:create_app()'`` on an ephemeral port."""

    env: dict
    log_dir: Path
    name: str
    lines: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.access_log = self.log_dir / f"{self.name}-access.log"
        env = {
            **self.env,
            "REGISTER_BIND": "127.0.0.1:0",  # gunicorn logs the port it was given
            "REGISTER_ACCESS_LOG": str(self.access_log),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2",
             "register:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    def url(self, timeout: float = 60.0) -> str:
        """The base URL, once gunicorn listens and its workers answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(r"Listening at: (http://\S+)", line)
                if found:
                    base = found.group(1)
                    try:  # the first answer waits for a worker to boot
                        if requests.get(base + "/healthz", timeout=10).ok:
                            return base
                    except requests.RequestException:
                        pass
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n" + "\n".join(self.lines))

    def statuses(self) -> Counter:
        """Status codes of the requests in this process's access log."""
        text = self.access_log.read_text() if self.access_log.exists() else ""
        return Counter(re.findall(r'HTTP/1\.[01]" (\d{3}) ', text))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def scale_database():
    """A new, migrated database on the TEST_DATABASE_URL server; dropped afterwards."""
    name = f"scale_out_{uuid.uuid4().hex[:8]}"
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTER_")}
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "register", "db", "upgrade"],
            cwd=ROOT,
            env={**env, "DATABASE_URL": url},
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def stack(scale_database, tmp_path, smtp_port, mail_catcher):
    """The receiver, a mail server (dealers are mailed of their held goods), two web
    processes and two workers; all stopped afterwards."""
    receiver = start_receiver()
    receiver.mode = "slow"  # each answer takes a moment: the workers overlap
    receiver.delay = 0.02
    env = worker_env(scale_database, receiver.url, WORKER_BATCH_SIZE=2)
    env.update(
        {
            "REGISTER_RATELIMIT_STORAGE_URI": REDIS_URL,
            # A prefix of this run's own: counts left in Redis by other runs do not count.
            "REGISTER_RATELIMIT_KEY_PREFIX": f"scale-out-{uuid.uuid4().hex[:8]}",
            "REGISTER_MAIL_SERVER": "127.0.0.1",
            "REGISTER_MAIL_PORT": str(smtp_port),
        }
    )
    web = [WebProcess(env, tmp_path, "web-a"), WebProcess(env, tmp_path, "web-b")]
    workers: list[WorkerProcess] = []
    try:
        workers = [WorkerProcess(env), WorkerProcess(env)]
        urls = [process.url() for process in web]
        for worker in workers:
            worker.wait_for_log("started")
        yield {"urls": urls, "web": web, "workers": workers, "receiver": receiver,
               "mail": mail_catcher}  # fmt: skip
    finally:
        for process in web:
            process.stop()
        for worker in workers:
            worker.ensure_stopped()
        receiver.stop()


def _seed(app) -> tuple[list[str], list[dict]]:
    """Active dealers with a token each, and active stolen reports; committed."""
    with app.app_context():
        now = datetime.now(UTC)
        municipality = create_municipality(db.session, "GM0363", "Amsterdam")
        tokens = []
        for number in range(DEALERS):
            dealer = create_dealer(
                db.session,
                name=f"Winkel {number}",
                municipality=municipality,
                now=now,
                kvk_number=f"{70_000_000 + number}",
                active=True,
            )
            user = User(
                email=f"winkel{number}@example.nl",
                password_hash="not-used",
                role="dealer",
                dealer_id=dealer.id,
                created_at=now,
            )
            db.session.add(user)
            db.session.flush()
            tokens.append(issue_token(db.session, user, now=now, lifetime=None))
        phones = [
            report
            for report in Generator(seed=11, now=now).reports(400)
            if report["imei"] and not report["serial_number"]
        ][: REGISTRATIONS // STOLEN_EVERY]
        add_reports_bulk(db.session, phones, now=now)
        db.session.commit()
        db.session.remove()
    return tokens, phones


def _registration(number: int, generator: Generator, stolen: list[dict]) -> dict:
    items = [
        {
            # A brand none of the stolen phones has: no near match by chance.
            "category": "phone",
            "brand": "Fairphone",
            "imei": generator.imei("Samsung"),
            "price_cents": 5000,
        },
        {
            "category": "laptop",
            "brand": "Dell",
            "serial_number": generator.serial("dell") + f"X{number}",
            "price_cents": 20000,
        },
    ][: 1 + number % 2]
    if number % STOLEN_EVERY == 0:
        report = stolen[number // STOLEN_EVERY]
        items[0] = {
            "category": "phone",
            "brand": report["brand"],
            "imei": report["imei"],
            "price_cents": 7500,
        }
    return {
        "acquired_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "seller": {
            "name": f"Verkoper {number}",
            "birth_date": "1985-06-15",
            "address": {
                "street": "Damrak",
                "house_number": str(number + 1),
                "postcode": "1012 LG",
                "city": "Amsterdam",
            },
            "id_document": {
                "type": "passport",
                "number": f"NP{number:07d}",
                "issuing_country": "NL",
            },
        },
        "items": items,
    }


@postgresql_only
def test_two_web_processes_and_two_workers_on_postgresql_lose_and_repeat_nothing(
    scale_database, stack
):
    started = time.monotonic()
    app = create_app(base_config(scale_database))
    tokens, stolen = _seed(app)
    generator = Generator(seed=12)
    bodies = [_registration(n, generator, stolen) for n in range(REGISTRATIONS)]
    urls = stack["urls"]

    # The burst: concurrent registrations, alternating between the two web processes;
    # each dealer's registrations arrive through both.
    local = threading.local()

    def register(number: int):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        response = session.post(
            urls[number % 2] + "/api/v1/purchases",
            json=bodies[number],
            headers={"Authorization": f"Bearer {tokens[number % DEALERS]}"},
            timeout=60,
        )
        return number, response.status_code, response.json()

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        answers = list(pool.map(register, range(REGISTRATIONS)))
    burst = time.monotonic() - started

    statuses = Counter(status for _, status, _ in answers)
    assert statuses == {201: REGISTRATIONS}, statuses
    served = stack["web"][0].statuses() + stack["web"][1].statuses()
    assert not [code for code in served if code.startswith("5")], served
    assert all(process.statuses()["201"] > 0 for process in stack["web"])

    # Redis holds the rate limits: the two processes count failed logins together.
    login = {"email": "nobody@example.nl", "password": "wrong-password"}
    codes = [
        requests.post(urls[n % 2] + "/api/v1/auth/token", json=login, timeout=30).status_code
        for n in range(11)
    ]
    assert codes == [401] * 10 + [429], codes

    with app.app_context():
        session = db.session
        hits = session.scalars(select(Hit)).all()
        assert len(hits) == REGISTRATIONS // STOLEN_EVERY

        def undelivered():
            session.rollback()
            return session.scalar(select(func.count()).where(OutboxEvent.status != DELIVERED))

        wait_until(lambda: undelivered() == 0, timeout=45, message="the outbox drained")
        session.rollback()

        # Every acknowledged registration is stored, with its items, as acknowledged.
        for number, _, body in answers:
            purchase = session.get(Purchase, body["id"])
            assert purchase is not None
            assert purchase.sequence_number == body["sequence_number"]
            assert purchase.dealer.id == body["dealer_id"]
            items = session.scalars(
                select(Item).where(Item.purchase_id == purchase.id).order_by(Item.position)
            ).all()
            assert [i.id for i in items] == [i["id"] for i in body["items"]]
            sent = bodies[number]["items"]
            assert [i.imei for i in items] == [i.get("imei") for i in sent]
            assert [i.serial_number for i in items] == [i.get("serial_number") for i in sent]
            if number % STOLEN_EVERY == 0:
                assert items[0].status == "police_hold"

        # Each dealer's register is numbered without gaps and its hash chain verifies.
        per_dealer = defaultdict(list)
        for _, _, body in answers:
            per_dealer[body["dealer_id"]].append(body["sequence_number"])
        assert len(per_dealer) == DEALERS
        for dealer_id, numbers in per_dealer.items():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))
            dealer = session.get(Dealer, dealer_id)
            assert dealer.last_sequence_number == len(numbers)
            verification = verify_dealer(session, dealer)
            assert verification.ok, verification.problem
            assert verify_items(session, dealer_id)[1] == []  # its ledger, and its items

        # Every hit has exactly one event, and every other event is a mail to a dealer
        # whose goods went on hold, which reached the mail server once.
        everything = session.scalars(select(OutboxEvent)).all()
        events = [e for e in everything if e.type != MAIL_EVENT_TYPE]
        mails = [e for e in everything if e.type == MAIL_EVENT_TYPE]
        assert mails and len(stack["mail"].mails) == len(mails)
        assert sorted(e.id for e in events) == sorted(h.outbox_event_id for h in hits)
        assert {e.dedupe_key for e in events} == {f"hit:{h.id}" for h in hits}

        # Every event reached the police, signed, with the same body on every delivery.
        receiver = stack["receiver"]
        received = defaultdict(set)
        for request in list(receiver.received):
            received[request.webhook_id].add(request.body)
        assert set(received) == {e.message_id for e in events}
        for event in events:
            (body,) = received[event.message_id]  # one distinct body per event id
            assert json.loads(body) == event.payload
        receiver.verify_all()

        # No event was delivered twice: one attempt each (by one worker), no overlap,
        # and both workers took part.
        attempts = session.scalars(select(DeliveryAttempt)).all()
        per_event = Counter(a.event_id for a in attempts)
        assert per_event == Counter({e.id: 1 for e in everything})
        assert {a.outcome for a in attempts} == {"delivered"}
        assert len(receiver.received) == len(events)
        assert len({a.worker_id for a in attempts}) == 2
        session.rollback()
    with app.app_context():
        db.engine.dispose()

    elapsed = time.monotonic() - started
    print(f"\nscale-out: {REGISTRATIONS} registrations {burst:.1f} s, in all {elapsed:.1f} s")
