"""request fingerprint: what a cancellation's idempotency key was first used for

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_fingerprint', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.drop_column('request_fingerprint')
