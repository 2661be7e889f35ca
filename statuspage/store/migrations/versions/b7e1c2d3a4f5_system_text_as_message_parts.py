"""system text as message parts: an automatic incident's title, the system's updates and a
probe's intermittent reason in every reader's language

Revision ID: b7e1c2d3a4f5
Revises: 12b0ea651ead
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c2d3a4f5'
down_revision = '12b0ea651ead'
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before stay English only (NULL): their text is shown as it was written.
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_message', sa.Text(), nullable=True))

    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))

    with op.batch_alter_table('probe_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intermittent_message', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('probe_state', schema=None) as batch_op:
        batch_op.drop_column('intermittent_message')

    with op.batch_alter_table('incident_update', schema=None) as batch_op:
        batch_op.drop_column('message')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('name_message')
