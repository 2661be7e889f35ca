"""upstream providers' last reads

Revision ID: 2b1cb1c40a77
Revises: 4afda9598107
Create Date: 2026-12-01 22:51:57.348745

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b1cb1c40a77'
down_revision = '4afda9598107'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upstream',
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('etag', sa.String(length=200), nullable=True),
    sa.Column('last_modified', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_upstream'))
    )


def downgrade():
    op.drop_table('upstream')
