"""inspection task details as a message template with parameters

Revision ID: c5e1d2a7b9f0
Revises: 0310da3f6d6d
Create Date: 2026-12-03 10:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e1d2a7b9f0'
down_revision = '0310da3f6d6d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details_template', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('details_params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.drop_column('details_params')
        batch_op.drop_column('details_template')
