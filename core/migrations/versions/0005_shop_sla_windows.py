"""shop SLA windows: hours to pay and to pack before the system cancels; whether the SLA clock
runs for an order (not for orders imported from Seller Center); the board's ship-by index

Plain ADD COLUMN (no batch table copy): SQLite adds a NOT NULL column with a default in
place, and copying `orders` would trip the foreign keys that point at it.

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
    op.add_column('shops', sa.Column('pay_within_hours', sa.Integer(), nullable=False, server_default='24'))
    op.add_column('shops', sa.Column('pack_within_hours', sa.Integer(), nullable=False, server_default='48'))
    op.add_column('orders', sa.Column('sla_clock', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE orders SET sla_clock = false WHERE id IN "
               "(SELECT order_id FROM order_events WHERE kind = 'imported')")
    op.create_index('ix_orders_shop_status_ship_by', 'orders', ['shop_id', 'status', 'ship_by', 'id'])


def downgrade() -> None:
    op.drop_index('ix_orders_shop_status_ship_by', table_name='orders')
    op.drop_column('orders', 'sla_clock')
    op.drop_column('shops', 'pack_within_hours')
    op.drop_column('shops', 'pay_within_hours')
