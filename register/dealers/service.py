"""Municipalities and dealers: creating them and the rules on their fields."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..purchases.messages import Message
from .models import DEALER_KINDS, Dealer, Municipality

_MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")
_KVK = re.compile(r"^\d{8}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class DealerError(ValueError):
    """A rule about municipalities or dealers was broken; the message says which."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def validate_kvk(number: str) -> str:
    """A Chamber of Commerce number: exactly 8 digits (spaces and dots are tolerated)."""
    digits = re.sub(r"[\s.]", "", number or "")
    if not _KVK.match(digits):
        raise DealerError(Message("KvK number must be exactly 8 digits"), "kvk_number")
    return digits


def municipality_by_code(session: Session, code: str) -> Municipality | None:
    return session.scalar(select(Municipality).where(Municipality.code == (code or "").upper()))


def create_municipality(session: Session, code: str, name: str, **rules) -> Municipality:
    code = (code or "").strip().upper()
    if not _MUNICIPALITY_CODE.match(code):
        raise DealerError(
            Message("municipality code must be 'GM' and 4 digits, e.g. GM0363"), "code"
        )
    if not (name or "").strip():
        raise DealerError(Message("municipality name must not be empty"), "name")
    if municipality_by_code(session, code) is not None:
        raise DealerError(Message("municipality %(code)s exists already", code=code), "code")
    municipality = Municipality(code=code, name=name.strip(), **rules)
    session.add(municipality)
    session.flush()
    return municipality


def create_dealer(
    session: Session,
    *,
    name: str,
    municipality: Municipality,
    now: datetime,
    kind: str = "commercial",
    kvk_number: str | None = None,
    country: str | None = None,
    active: bool = False,
    **address,
) -> Dealer:
    if not (name or "").strip():
        raise DealerError(Message("dealer name must not be empty"), "name")
    if kind not in DEALER_KINDS:
        raise DealerError(
            Message("kind must be one of %(kinds)s", kinds=", ".join(DEALER_KINDS)), "kind"
        )
    if kind == "foreign":
        country = (country or "").upper()
        if not _COUNTRY.match(country) or country == "NL":
            raise DealerError(
                Message("a foreign dealer needs its country as a two-letter code other than NL"),
                "country",
            )
        kvk = validate_kvk(kvk_number) if kvk_number else None
    else:
        if not kvk_number:
            raise DealerError(Message("a Dutch dealer needs its KvK number"), "kvk_number")
        kvk = validate_kvk(kvk_number)
        country = "NL"
    dealer = Dealer(
        name=name.strip(),
        kind=kind,
        kvk_number=kvk,
        country=country,
        municipality=municipality,
        status="active" if active else "pending",
        created_at=now,
        activated_at=now if active else None,
        last_sequence_number=0,
        **address,
    )
    session.add(dealer)
    session.flush()
    return dealer
