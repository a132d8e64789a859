"""The account, staff, admin and rules pages answered by every role (and by no session) as
their rules say; an account, token or municipality outside one's scope is 404."""

from __future__ import annotations

from tests.factories import PASSWORD

ROLES = ("dealer", "municipality", "enforcement", "police", "admin")
EVERYONE = ROLES
MANAGERS = ("admin", "municipality", "dealer")

# (method, path, form, roles that may): ids no one has are 404 for those who may.
PAGES = [
    ("GET", "/account", None, EVERYONE),
    ("GET", "/account/password", None, EVERYONE),
    ("POST", "/account/tokens", {"name": "kassa"}, EVERYONE),
    ("POST", "/account/tokens/999999/revoke", {}, EVERYONE),
    ("GET", "/staff", None, ("municipality", "dealer")),
    ("POST", "/accounts/999999/deactivate", {}, MANAGERS),
    ("POST", "/accounts/999999/invitation", {}, MANAGERS),
    ("GET", "/admin", None, ("admin",)),
    ("POST", "/admin/accounts", {"email": "matrix@example.nl", "role": "police"}, ("admin",)),
    ("POST", "/admin/accounts/999999/role", {"role": "police"}, ("admin",)),
    ("POST", "/admin/municipalities", {"code": "GM0599", "name": "Rotterdam"}, ("admin",)),
    ("POST", "/admin/municipalities/GM9999/name", {"name": "Nergens"}, ("admin",)),
    ("GET", "/municipality/rules", None, ("municipality", "admin")),
]


def signed_in(app, user):
    client = app.test_client()
    answer = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def test_each_page_answers_each_role_as_its_rule_says(app, make):
    clients = {role: signed_in(app, make.user(role)) for role in ROLES}  # one sign-in each
    for method, path, form, allowed in PAGES:
        anonymous = app.test_client().open(path, method=method, data=form)
        assert anonymous.status_code == 302 and "/login" in anonymous.location, path
        for role in ROLES:
            answer = clients[role].open(path, method=method, data=form)
            where = (method, path, role, answer.status_code)
            assert answer.status_code < 500, where
            if role not in allowed:
                assert answer.status_code == 403, where
            elif "999999" in path or "GM9999" in path:
                assert answer.status_code == 404, where
            else:
                assert answer.status_code not in (401, 403), where


def test_accounts_and_tokens_outside_ones_scope_are_404(app, make, session):
    from register.accounts.models import ApiToken
    from register.accounts.tokens import create_long_lived_token

    town, other_town = make.municipality("GM0363", "Amsterdam"), make.municipality("GM0344")
    clerk = make.user("municipality", municipality=town)
    shop = make.dealer(municipality=town)
    boss = make.user("dealer", dealer=shop)
    strangers = {
        "another municipality's clerk": make.user("municipality", municipality=other_town),
        "a dealer in the municipality": make.user("dealer", dealer=shop),
        "a police officer": make.user("police"),
    }
    as_clerk = signed_in(app, clerk)
    for who, account in strangers.items():
        for action in ("deactivate", "invitation"):
            answer = as_clerk.post(f"/accounts/{account.id}/{action}")
            assert answer.status_code == 404, (who, action)
    as_boss = signed_in(app, boss)
    for account in (clerk, strangers["another municipality's clerk"]):
        assert as_boss.post(f"/accounts/{account.id}/invitation").status_code == 404
    token, _ = create_long_lived_token(session, clerk, "kassa", now=make.clock.now())
    session.commit()
    assert as_boss.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is None
