"""Municipal rules, versioned: each version applies from its effective date on.

A municipality's own columns are its base rule, in force until its first version; a version
holds every rule (holding period, its unit, minimum seller age, registration deadline,
whether a sale needs the buyer) with the attribute names of those columns, so the holding
period functions read either. A registration uses the rule in force on the (Dutch) day it
is registered; earlier versions stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..accounts.audit import record_access
from ..extensions import db

HOLDING_PERIOD_RANGE = (3, 14)
HOLDING_UNITS = ("days", "working_days")


class MunicipalRule(db.Model):
    __tablename__ = "municipal_rules"
    __table_args__ = (
        UniqueConstraint("municipality_id", "effective_from"),
        CheckConstraint("holding_period BETWEEN 3 AND 14", name="holding_period_range"),
        CheckConstraint("holding_period_unit IN ('days', 'working_days')", name="holding_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    holding_period: Mapped[int] = mapped_column(Integer)
    holding_period_unit: Mapped[str] = mapped_column(String(16))
    minimum_seller_age: Mapped[int] = mapped_column(Integer)
    registration_grace_working_days: Mapped[int] = mapped_column(Integer)
    buyer_required_on_sale: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@dataclass(frozen=True)
class RuleValues:
    """One rule as the API shows it; ``effective_from`` None: the base rule."""

    holding_period: int
    holding_period_unit: str
    minimum_seller_age: int
    registration_grace_working_days: int
    buyer_required_on_sale: bool
    effective_from: date | None

    @classmethod
    def of(cls, rule) -> RuleValues:
        return cls(
            holding_period=5 if rule.holding_period is None else rule.holding_period,
            holding_period_unit=rule.holding_period_unit or "working_days",
            minimum_seller_age=18 if rule.minimum_seller_age is None else rule.minimum_seller_age,
            registration_grace_working_days=(
                1
                if rule.registration_grace_working_days is None
                else rule.registration_grace_working_days
            ),
            buyer_required_on_sale=bool(rule.buyer_required_on_sale),
            effective_from=getattr(rule, "effective_from", None),
        )

    def as_json(self) -> dict:
        return {
            "holding_period": {
                "days": self.holding_period,
                "working_days": self.holding_period_unit == "working_days",
            },
            "minimum_seller_age": self.minimum_seller_age,
            "registration_deadline_working_days": self.registration_grace_working_days,
            "buyer_required_on_sale": self.buyer_required_on_sale,
            "effective_from": None
            if self.effective_from is None
            else self.effective_from.isoformat(),
        }


def rule_in_force(municipality, day: date, session: Session | None = None) -> RuleValues:
    """The rule of ``municipality`` (a model or its plain copy) in force on ``day``."""
    session = session or db.session
    version = session.scalar(
        select(MunicipalRule)
        .where(
            MunicipalRule.municipality_id == municipality.id,
            MunicipalRule.effective_from <= day,
        )
        .order_by(MunicipalRule.effective_from.desc())
        .limit(1)
    )
    return RuleValues.of(version if version is not None else municipality)


def rule_versions(session: Session, municipality) -> list[RuleValues]:
    """Every version, oldest first, after the base rule."""
    versions = session.scalars(
        select(MunicipalRule)
        .where(MunicipalRule.municipality_id == municipality.id)
        .order_by(MunicipalRule.effective_from)
    ).all()
    return [RuleValues.of(municipality), *(RuleValues.of(v) for v in versions)]


class RuleError(ValueError):
    """A rule that cannot be set; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def set_rule(
    session: Session,
    municipality,
    values: RuleValues,
    *,
    today: date,
    now: datetime,
    user_id: int | None,
) -> RuleValues:
    """Add (or, for the same effective date, replace) a version from ``effective_from`` on,
    written to the audit log with what it replaced (flushes, never commits). A day that
    has begun keeps the rule it began with only from tomorrow: ``effective_from`` is today
    or later."""
    errors: dict = {}
    low, high = HOLDING_PERIOD_RANGE
    if not low <= values.holding_period <= high:
        errors["holding_period.days"] = [f"The holding period is {low} to {high} days."]
    if values.effective_from is None or values.effective_from < today:
        errors["effective_from"] = ["A rule applies from today or a later day."]
    if errors:
        raise RuleError(errors)
    previous = rule_in_force(municipality, values.effective_from, session)
    version = session.scalar(
        select(MunicipalRule).where(
            MunicipalRule.municipality_id == municipality.id,
            MunicipalRule.effective_from == values.effective_from,
        )
    )
    if version is None:
        version = MunicipalRule(municipality_id=municipality.id)
        session.add(version)
    version.effective_from = values.effective_from
    version.holding_period = values.holding_period
    version.holding_period_unit = values.holding_period_unit
    version.minimum_seller_age = values.minimum_seller_age
    version.registration_grace_working_days = values.registration_grace_working_days
    version.buyer_required_on_sale = values.buyer_required_on_sale
    version.created_at = now
    version.created_by_id = user_id
    session.flush()
    record_access(
        session,
        user_id=user_id,
        action="municipal_rule.set",
        record_type="municipality",
        record_id=municipality.code,
        details={"rule": values.as_json(), "replaced": previous.as_json()},
    )
    return RuleValues.of(version)
