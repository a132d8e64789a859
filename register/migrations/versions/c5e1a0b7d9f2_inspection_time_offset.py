"""inspection time offset

Revision ID: c5e1a0b7d9f2
Revises: c5e1d2a7b9f0
Create Date: 2026-12-03 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e1a0b7d9f2'
down_revision = 'c5e1d2a7b9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspected_at_offset_minutes', sa.SmallInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('inspected_at_offset_minutes')
