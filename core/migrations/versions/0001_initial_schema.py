"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('buyers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('refusal_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('settings',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=False),
    sa.Column('currency', sa.String(), nullable=False),
    sa.Column('hold_window_minutes', sa.Integer(), nullable=False),
    sa.Column('auto_approve_hours', sa.Integer(), nullable=True),
    sa.Column('min_app_version', sa.String(), nullable=False),
    sa.Column('ship_within_hours', sa.Integer(), nullable=False),
    sa.Column('return_window_days', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('orders',
    sa.Column('id', sa.String(length=18), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('currency', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ship_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipient', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('original_shipping_fee', sa.Integer(), nullable=False),
    sa.Column('shipping_fee_seller_discount', sa.Integer(), nullable=False),
    sa.Column('shipping_fee_platform_discount', sa.Integer(), nullable=False),
    sa.Column('shipping_tax', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_buyer_created', ['buyer_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_shop_created', ['shop_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_shop_status_created', ['shop_id', 'status', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_status_completes', ['status', 'completes_at'], unique=False)
        batch_op.create_index('ix_orders_status_hold', ['status', 'hold_until'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shop_id', 'sku')
    )
    op.create_table('order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_events_order_id'), ['order_id'], unique=False)

    op.create_table('packages',
    sa.Column('id', sa.String(length=18), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('tracking_number', sa.String(), nullable=True),
    sa.Column('shipping_provider', sa.String(), nullable=True),
    sa.Column('packed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packages_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_packages_tracking_number'), ['tracking_number'], unique=False)

    op.create_table('cancellations',
    sa.Column('id', sa.String(length=18), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('scope', sa.String(), nullable=False),
    sa.Column('package_id', sa.String(), nullable=True),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('reject_reason', sa.String(), nullable=True),
    sa.Column('refund_subtotal', sa.Integer(), nullable=False),
    sa.Column('refund_shipping', sa.Integer(), nullable=False),
    sa.Column('refund_tax', sa.Integer(), nullable=False),
    sa.Column('refund_total', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cancellations_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_cancellations_status_deadline', ['status', 'deadline_at'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.String(length=18), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('package_id', sa.String(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_original_price', sa.Integer(), nullable=False),
    sa.Column('seller_discount', sa.Integer(), nullable=False),
    sa.Column('platform_discount', sa.Integer(), nullable=False),
    sa.Column('tax', sa.Integer(), nullable=False),
    sa.Column('cancelled_quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_lines_package_id'), ['package_id'], unique=False)
        batch_op.create_index('ix_order_lines_sku_order', ['sku', 'order_id'], unique=False)

    op.create_table('cancellation_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cancellation_id', sa.String(), nullable=False),
    sa.Column('line_id', sa.String(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('refund_subtotal', sa.Integer(), nullable=False),
    sa.Column('refund_tax', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cancellation_id'], ['cancellations.id'], ),
    sa.ForeignKeyConstraint(['line_id'], ['order_lines.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cancellation_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cancellation_lines_cancellation_id'), ['cancellation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cancellation_lines_line_id'), ['line_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('cancellation_id', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], ),
    sa.ForeignKeyConstraint(['cancellation_id'], ['cancellations.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_buyer_id'), ['buyer_id'], unique=False)

    op.create_table('outbox_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('cancellation_id', sa.String(), nullable=True),
    sa.Column('message_id', sa.String(), nullable=False),
    sa.Column('to_address', sa.String(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cancellation_id'], ['cancellations.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_emails_cancellation_id'), ['cancellation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_emails_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_emails_status'), ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_emails_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_emails_order_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_emails_cancellation_id'))

    op.drop_table('outbox_emails')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_buyer_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('cancellation_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cancellation_lines_line_id'))
        batch_op.drop_index(batch_op.f('ix_cancellation_lines_cancellation_id'))

    op.drop_table('cancellation_lines')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_sku_order')
        batch_op.drop_index(batch_op.f('ix_order_lines_package_id'))
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('cancellations', schema=None) as batch_op:
        batch_op.drop_index('ix_cancellations_status_deadline')
        batch_op.drop_index(batch_op.f('ix_cancellations_order_id'))

    op.drop_table('cancellations')
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packages_tracking_number'))
        batch_op.drop_index(batch_op.f('ix_packages_order_id'))

    op.drop_table('packages')
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_events_order_id'))

    op.drop_table('order_events')
    op.drop_table('products')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_hold')
        batch_op.drop_index('ix_orders_status_completes')
        batch_op.drop_index('ix_orders_shop_status_created')
        batch_op.drop_index('ix_orders_shop_created')
        batch_op.drop_index('ix_orders_buyer_created')

    op.drop_table('orders')
    op.drop_table('shops')
    op.drop_table('settings')
    op.drop_table('buyers')

