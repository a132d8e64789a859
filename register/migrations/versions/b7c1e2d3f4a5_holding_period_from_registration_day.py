"""holding period from the registration day

Revision ID: b7c1e2d3f4a5
Revises: 2b26f774d851
Create Date: 2026-12-03 10:10:00

The holding period now counts from the day an entry reached the register, not from the
acquisition. Items not sold (nor seized, on police hold or released) get the later of their
old ``hold_until`` and the one the new rule gives, under their municipality's rule; where
it moves, the old one is kept in ``hold_until_registered`` (what the entry's chain hash
covers) and the item is in its holding period again. Nothing already sold is recomputed.
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

from register.purchases.holding import hold_until

revision = 'b7c1e2d3f4a5'
down_revision = '2b26f774d851'
branch_labels = None
depends_on = None

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class _Rule:
    def __init__(self, period, unit):
        self.holding_period = period
        self.holding_period_unit = unit


def upgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_until_registered', sa.Date(), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT i.id, i.hold_until, p.recorded_at, m.holding_period, m.holding_period_unit "
        "FROM items i JOIN purchases p ON p.id = i.purchase_id "
        "JOIN dealers d ON d.id = p.dealer_id JOIN municipalities m ON m.id = d.municipality_id "
        "WHERE i.status IN ('holding', 'available')"
    )).all()
    update = sa.text(
        "UPDATE items SET hold_until = :new, hold_until_registered = :old, status = 'holding' "
        "WHERE id = :id"
    )
    changes = []
    for item_id, old, recorded_at, period, unit in rows:
        if isinstance(old, str):  # SQLite hands back text
            old = datetime.fromisoformat(old).date()
        if isinstance(recorded_at, str):
            recorded_at = datetime.fromisoformat(recorded_at)
        if recorded_at.tzinfo is None:
            recorded_at = recorded_at.replace(tzinfo=UTC)
        new = hold_until(recorded_at.astimezone(AMSTERDAM).date(), _Rule(period, unit))
        if new > old:
            changes.append({"id": item_id, "new": new, "old": old})
    if changes:
        connection.execute(update, changes)


def downgrade():
    op.execute(
        "UPDATE items SET hold_until = hold_until_registered "
        "WHERE hold_until_registered IS NOT NULL"
    )
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of items would trip its foreign keys.
    op.drop_column('items', 'hold_until_registered')
