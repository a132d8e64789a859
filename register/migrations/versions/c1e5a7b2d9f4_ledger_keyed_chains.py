"""ledger (item statuses, identifier keys, hits, audit log) and keyed chains

Revision ID: c1e5a7b2d9f4
Revises: 9e210014dd00
Create Date: 2026-12-03 10:30:00

Creates the ledger tables, then (``register.integrity.rekey``) re-hashes every register
chain that verifies with ``CHAIN_SECRET`` and records the ledger's baseline: each dealer's
items, identifier keys and hits and the audit log as they are at the upgrade. A register
chain that does not verify before the upgrade is left as it is and stays reported.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c1e5a7b2d9f4'
down_revision = '9e210014dd00'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_heads',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_ledger_heads'))
    )
    op.create_table('ledger_entries',
    sa.Column('chain', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=True),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', 'position', name=op.f('pk_ledger_entries'))
    )
    from register.integrity.rekey import rekey_and_start_ledger

    rekey_and_start_ledger(op.get_bind())


def downgrade():
    # The chains keep their keyed hashes: unkeyed ones cannot be recomputed without the data
    # being trusted again.
    op.drop_table('ledger_entries')
    op.drop_table('ledger_heads')
