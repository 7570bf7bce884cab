"""shop SLA windows: hours to pay and to pack before the system cancels; the board's ship-by index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_within_hours', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('pack_within_hours', sa.Integer(), nullable=False, server_default='48'))
    op.create_index('ix_orders_shop_status_ship_by', 'orders', ['shop_id', 'status', 'ship_by', 'id'])


def downgrade() -> None:
    op.drop_index('ix_orders_shop_status_ship_by', table_name='orders')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('pack_within_hours')
        batch_op.drop_column('pay_within_hours')
