"""Gapless, unique sequence numbers when several processes register at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from register.extensions import db
from register.purchases.models import Purchase

ROOT = Path(__file__).resolve().parents[3]
PER_PROCESS = 200

pytestmark = pytest.mark.slow


def test_two_processes_registering_200_each_get_numbers_1_to_400(app, make, database_uri):
    user = make.user("dealer")
    token = make.token(user)
    db.session.commit()
    start_at = time.time() + 4
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.register.purchases.concurrent_worker",
                str(database_uri),
                token,
                str(PER_PROCESS),
                str(start_at),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
    seen = [list(map(int, out.split())) for out, _ in outputs]
    # Both really ran at once: each got numbers from the other's range too.
    assert all(len(numbers) == PER_PROCESS for numbers in seen)
    assert max(seen[0]) > min(seen[1]) and max(seen[1]) > min(seen[0])
    db.session.expire_all()
    numbers = db.session.scalars(
        select(Purchase.sequence_number).where(Purchase.dealer_id == user.dealer_id)
    ).all()
    assert sorted(numbers) == list(range(1, 2 * PER_PROCESS + 1))
    result = CliRunner().invoke(
        cli=app.cli, args=["verify-register", "--dealer", str(user.dealer_id)]
    )
    assert result.exit_code == 0, result.output
    assert f"{2 * PER_PROCESS} entries, chain intact" in result.output
