"""product barcode: a product's GTIN/UPC, unique per shop, for scan-to-pack

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barcode', sa.String(), nullable=True))
        batch_op.create_unique_constraint('uq_products_shop_barcode', ['shop_id', 'barcode'])


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint('uq_products_shop_barcode', type_='unique')
        batch_op.drop_column('barcode')
