"""process owners, the editor's server-side drafts and the processes' own audit trail

Revision ID: 0008_modeler
Revises: 0008_supervision
Create Date: 2026-12-04 20:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0008_modeler'
down_revision = '0008_supervision'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_process_owner', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('process_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=80), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('problem_count', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['saved_by_id'], ['users.id'], name=op.f('fk_process_drafts_saved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_drafts')),
    sa.UniqueConstraint('process_id', name=op.f('uq_process_drafts_process_id')),
    )
    op.create_table('process_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_process_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_events')),
    sa.CheckConstraint("action IN ('draft_created', 'draft_uploaded', 'published')", name=op.f('ck_process_events_action')),
    )
    op.create_index('ix_process_events_process', 'process_events', ['process_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_process_events_process', table_name='process_events')
    op.drop_table('process_events')
    op.drop_table('process_drafts')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_process_owner')
