"""heartbeats of Capgo's own jobs

Revision ID: 4afda9598107
Revises: b7e3c1a9d2f4
Create Date: 2026-12-01 22:51:57.348745

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4afda9598107'
down_revision = 'b7e3c1a9d2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('heartbeat',
    sa.Column('probe_key', sa.String(length=200), nullable=False),
    sa.Column('watching_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_beat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=16), nullable=True),
    sa.Column('last_message', sa.String(length=200), nullable=True),
    sa.Column('beats', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('probe_key', name=op.f('pk_heartbeat'))
    )


def downgrade():
    op.drop_table('heartbeat')
