"""open_tasks.returned: why a task was reached by a return (reason, by whom, when, from which step);
saved_filters: inbox filters kept on the server, shareable with a role in a unit

Revision ID: 0008_staff
Revises: 0008_documents
Create Date: 2026-12-04 20:50:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0008_staff'
down_revision = '0008_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('open_tasks') as batch:
        batch.add_column(sa.Column('returned', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                      'postgresql'), nullable=True))
    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=600), nullable=False),
    sa.Column('shared_unit_id', sa.Integer(), nullable=True),
    sa.Column('shared_role', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_saved_filters_owner_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shared_unit_id'], ['units.id'], name=op.f('fk_saved_filters_shared_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters'))
    )
    op.create_index('ix_saved_filters_owner', 'saved_filters', ['owner_id'], unique=False)
    op.create_index('ix_saved_filters_shared', 'saved_filters', ['shared_unit_id', 'shared_role'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_saved_filters_shared', table_name='saved_filters')
    op.drop_index('ix_saved_filters_owner', table_name='saved_filters')
    op.drop_table('saved_filters')
    with op.batch_alter_table('open_tasks') as batch:
        batch.drop_column('returned')
