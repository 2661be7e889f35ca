"""probe certificate expiry

Revision ID: 12b0ea651ead
Revises: 2b1cb1c40a77
Create Date: 2026-12-01 22:51:57.348745

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '12b0ea651ead'
down_revision = '2b1cb1c40a77'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('probe_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('probe_state', schema=None) as batch_op:
        batch_op.drop_column('certificate_expires_at')
