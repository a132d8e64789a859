"""Schemathesis over the whole OpenAPI document: thousands of generated requests, valid and
invalid, each sent as a role the endpoint serves. Not one may answer 500, and every refusal
is problem+json, a validation error naming its fields.

The run is repeatable: Hypothesis is derandomised (a fixed seed per operation) and keeps no
example database, so CI sends the same requests every time.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from register import create_app
from register.extensions import db
from tests.access import PUBLIC, all_rules
from tests.conftest import base_config
from tests.register.purchases.helpers import purchase, stolen_report

# Examples per operation and generation mode: about 2,000 requests in all (generating the
# invalid ones costs Hypothesis more than the app takes to answer them).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "42"))


def _role_for(method: str, template: str, rules) -> str | None:
    """A role the endpoint serves (None: the public), from the access matrix."""
    pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
    for access in rules:
        if access.method == method and pattern.match(access.path):
            if PUBLIC in access.roles:
                return None
            return sorted(access.roles)[0]
    raise AssertionError(f"{method} {template} is in no access rule")


@pytest.fixture
def tokens(app, make, api, clock):
    """A token per role, and something to find: a purchase, a stolen report, a DOL report."""
    municipality = make.municipality()
    dealer_user = make.user("dealer")
    users = {
        "dealer": dealer_user,
        "municipality": make.user("municipality", municipality=municipality),
        "enforcement": make.user("enforcement", municipality=municipality),
        "police": make.user("police"),
        "admin": make.user("admin"),
    }
    assert api.post("/api/v1/purchases", purchase(), as_=dealer_user).status_code == 201
    stolen_report(db.session, imei="356938035643809")
    stop = {"type": "change", "effective_date": "2026-12-01"}
    api.post("/api/v1/meldplicht", stop, as_=dealer_user)
    return {role: make.token(user) for role, user in users.items()}


def _refusal_problems(case, response) -> list[str]:
    problems = []
    status = response.status_code
    content_type = (response.headers.get("content-type") or [""])[0]
    if status >= 500:
        problems.append(f"{status}: {response.text[:300]}")
    elif status >= 400:
        if not content_type.startswith("application/problem+json"):
            problems.append(f"{status} is not problem+json: {content_type}")
        elif status == 422 and not (response.json() or {}).get("errors"):
            problems.append(f"422 names no field: {response.text[:300]}")
    return problems


class Tally:
    """What the run sent and what was wrong with the answers."""

    def __init__(self):
        self.sent = 0
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.seen: set = set()

    def record(self, case, response) -> None:
        self.sent += 1
        self.statuses[f"{response.status_code // 100}xx"] += 1
        for problem in _refusal_problems(case, response):
            kind = (case.method, case.operation.path, problem[:40])
            if kind not in self.seen:  # one example of each kind of bad answer
                self.seen.add(kind)
                self.failures.append(
                    f"{case.method} {case.formatted_path} {case.query} {case.body!r:.300}"
                    f" -> {problem}"
                )


def _fuzz(operation, mode: GenerationMode, headers: dict, tally: Tally) -> None:
    """Send EXAMPLES generated requests to one operation; POSTs now and then with one
    Idempotency-Key, so that retries and reused keys are sent too."""
    creating = operation.method.upper() == "POST"

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate),
    )
    @given(case=operation.as_strategy(generation_mode=mode), retry_key=st.booleans())
    def send(case, retry_key):
        extra = dict(headers)
        if retry_key and creating:
            extra["Idempotency-Key"] = "fuzz-retry"
        tally.record(case, case.call(headers=extra))

    send()


def test_no_generated_request_gets_a_500_and_every_refusal_is_a_problem(
    database_uri, clock, tokens
):
    # An app of its own, with no app context kept pushed: each request gets a fresh one (and
    # a fresh ``g``), as in production.
    served = create_app(base_config(database_uri, clock))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", served)
    rules = all_rules()
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        role = _role_for(operation.method.upper(), operation.path, rules)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            began, before = time.perf_counter(), tally.sent
            _fuzz(operation, mode, headers, tally)
            if os.environ.get("FUZZ_DEBUG"):
                seconds = round(time.perf_counter() - began, 2)
                print(operation.method, operation.path, mode, tally.sent - before, seconds)
    print(f"schemathesis sent {tally.sent} requests: {dict(tally.statuses)}")
    assert tally.sent >= 40 * EXAMPLES
    assert not tally.failures, f"{len(tally.failures)} bad answers:\n" + "\n".join(
        tally.failures[:40]
    )
