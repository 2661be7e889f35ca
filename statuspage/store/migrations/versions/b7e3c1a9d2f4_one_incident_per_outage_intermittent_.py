"""one incident per outage (one open automatic incident slot), intermittent probe states

Revision ID: b7e3c1a9d2f4
Revises: f4e3f060717e
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e3c1a9d2f4'
down_revision = 'f4e3f060717e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('probe_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intermittent_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('counted_since', sa.DateTime(timezone=True), nullable=True))

    # One row per component becomes one row for the site. The newest open automatic incident
    # takes the slot; any other still open resolves as its components recover, and the next
    # failure joins the one in the slot. (Dropped first: PostgreSQL names constraints per
    # schema, and the new table's are the old one's.)
    newest = op.get_bind().execute(
        sa.text("SELECT MAX(incident_id) FROM open_automatic_incident")
    ).scalar()
    op.drop_table('open_automatic_incident')
    _create_slot_table()
    if newest is not None:
        op.execute(
            sa.text("INSERT INTO open_automatic_incident (slot, incident_id) VALUES (1, :id)")
            .bindparams(id=newest)
        )


def _create_slot_table():
    op.create_table('open_automatic_incident',
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('slot = 1', name=op.f('ck_open_automatic_incident_one_slot')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_open_automatic_incident_incident_id_incident')),
    sa.PrimaryKeyConstraint('slot', name=op.f('pk_open_automatic_incident')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_open_automatic_incident_incident_id'))
    )


def downgrade():
    # The incident keeps the first of its components (one row per incident, as before).
    held = op.get_bind().execute(
        sa.text(
            "SELECT MIN(a.component_id), o.incident_id FROM open_automatic_incident o"
            " JOIN affected_component a ON a.incident_id = o.incident_id GROUP BY o.incident_id"
        )
    ).all()
    op.drop_table('open_automatic_incident')
    op.create_table('open_automatic_incident',
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_open_automatic_incident_component_id_component')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_open_automatic_incident_incident_id_incident')),
    sa.PrimaryKeyConstraint('component_id', name=op.f('pk_open_automatic_incident')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_open_automatic_incident_incident_id'))
    )
    for component_id, incident_id in held:
        op.execute(
            sa.text(
                "INSERT INTO open_automatic_incident (component_id, incident_id) VALUES (:c, :i)"
            ).bindparams(c=component_id, i=incident_id)
        )

    with op.batch_alter_table('probe_state', schema=None) as batch_op:
        batch_op.drop_column('counted_since')
        batch_op.drop_column('intermittent_reason')
