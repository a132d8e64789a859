"""Factories as plain functions with keyword defaults; each commits what it makes."""

from __future__ import annotations

import itertools

from register.accounts.service import create_user, issue_token
from register.dealers.models import Dealer, Municipality
from register.dealers.service import create_dealer, create_municipality, municipality_by_code

_seq = itertools.count(1)

PASSWORD = "correct horse battery"


class Factories:
    def __init__(self, session, clock):
        self.session = session
        self.clock = clock

    def municipality(self, code: str = "GM0363", name: str = "Amsterdam", **rules) -> Municipality:
        existing = municipality_by_code(self.session, code)
        if existing is not None:
            return existing
        municipality = create_municipality(self.session, code, name, **rules)
        self.session.commit()
        return municipality

    def dealer(
        self,
        *,
        name: str | None = None,
        municipality: Municipality | None = None,
        kind: str = "commercial",
        active: bool = True,
        kvk_number: str | None = None,
        country: str | None = None,
        **address,
    ) -> Dealer:
        n = next(_seq)
        municipality = municipality or self.municipality()
        if kvk_number is None and kind != "foreign":
            kvk_number = f"{10000000 + n:08d}"
        dealer = create_dealer(
            self.session,
            name=name or f"Dealer {n}",
            municipality=municipality,
            now=self.clock.now(),
            kind=kind,
            kvk_number=kvk_number,
            country=country or ("DE" if kind == "foreign" else None),
            active=active,
            **address,
        )
        self.session.commit()
        return dealer

    def user(
        self,
        role: str = "dealer",
        *,
        email: str | None = None,
        dealer: Dealer | None = None,
        municipality: Municipality | None = None,
        password: str = PASSWORD,
        national: bool = False,
    ):
        """A user of ``role`` with a sensible scope (its own dealer or municipality)."""
        n = next(_seq)
        if role == "dealer" and dealer is None:
            dealer = self.dealer()
        if role in ("municipality", "enforcement") and municipality is None and not national:
            municipality = self.municipality()
        user = create_user(
            self.session,
            email=email or f"{role}{n}@example.nl",
            password=password,
            role=role,
            now=self.clock.now(),
            dealer_id=dealer.id if dealer else None,
            municipality_id=municipality.id if municipality else None,
        )
        self.session.commit()
        return user

    def token(self, user) -> str:
        token = issue_token(self.session, user, now=self.clock.now(), lifetime=None)
        self.session.commit()
        return token
