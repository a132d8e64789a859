"""The operators' command line."""

from __future__ import annotations

from register.accounts.models import User
from register.dealers.models import Dealer


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_municipality_dealer_user_and_token(app, session):
    assert run(app, "create-municipality", "GM0363", "Amsterdam").exit_code == 0
    result = run(
        app,
        "create-dealer",
        "--name",
        "Fietsen BV",
        "--municipality",
        "GM0363",
        "--kvk",
        "12345678",
        "--active",
    )
    assert result.exit_code == 0, result.output
    dealer_id = int(result.output.strip().splitlines()[-1])
    dealer = session.get(Dealer, dealer_id)
    assert dealer.status == "active" and dealer.kvk_number == "12345678"

    result = run(
        app,
        "create-user",
        "kassa@fietsen.nl",
        "--role",
        "dealer",
        "--dealer",
        str(dealer_id),
        "--password",
        "long-enough-pw",
    )
    assert result.exit_code == 0, result.output
    result = run(app, "create-token", "kassa@fietsen.nl")
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("drt_")
    assert session.query(User).filter_by(email="kassa@fietsen.nl").one().dealer_id == dealer_id


def test_foreign_dealer_needs_a_country_and_no_kvk(app):
    run(app, "create-municipality", "GM0599", "Rotterdam")
    result = run(
        app, "create-dealer", "--name", "Müller", "--municipality", "GM0599", "--kind", "foreign"
    )
    assert result.exit_code != 0 and "country" in result.output
    result = run(
        app,
        "create-dealer",
        "--name",
        "Müller",
        "--municipality",
        "GM0599",
        "--kind",
        "foreign",
        "--country",
        "DE",
    )
    assert result.exit_code == 0, result.output


def test_bad_arguments_exit_non_zero_with_a_one_line_reason(app):
    cases = [
        ("create-municipality", "0363", "Amsterdam"),
        ("create-dealer", "--name", "X", "--municipality", "GM9999", "--kvk", "12345678"),
        ("create-user", "a@b.nl", "--role", "dealer", "--password", "long-enough-pw"),
        ("create-user", "a@b.nl", "--role", "wizard", "--password", "long-enough-pw"),
        ("create-token", "nobody@example.nl"),
    ]
    for args in cases:
        result = run(app, *args)
        assert result.exit_code != 0, args
        assert result.output.strip().startswith(("Error:", "Usage:")), result.output


def test_kvk_number_must_be_eight_digits(app):
    run(app, "create-municipality", "GM0363", "Amsterdam")
    result = run(
        app, "create-dealer", "--name", "X", "--municipality", "GM0363", "--kvk", "1234567"
    )
    assert result.exit_code == 1 and "KvK number must be exactly 8 digits" in result.output


def test_seed_demo_creates_a_user_per_role_and_is_repeatable(app, session):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    roles = {u.role for u in session.query(User)}
    assert roles == {"dealer", "municipality", "enforcement", "police", "admin"}
    kinds = {d.kind for d in session.query(Dealer)}
    assert kinds == {"commercial", "thrift", "foreign"}
    second = run(app, "seed-demo")
    assert second.exit_code == 0 and "nothing changed" in second.output


def test_revoked_tokens_no_longer_authenticate(app, api, make):
    user = make.user("police", email="agent@politie.nl")
    token = run(app, "create-token", "agent@politie.nl").output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/hits", headers=headers).status_code == 200
    result = run(app, "revoke-tokens", user.email)
    assert result.exit_code == 0 and "revoked 1 token(s)" in result.output
    assert api.client.get("/api/v1/hits", headers=headers).status_code == 401
