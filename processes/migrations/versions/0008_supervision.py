"""Supervision: suspended cases and held timers, a case's own (extended) deadline, the campaign's stall threshold,
the digest's flag snapshot, the case list's index, role holders by unit and role

Revision ID: 0008_supervision
Revises: 0008_validator
Create Date: 2026-12-04 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_supervision'
down_revision = '0008_validator'
branch_labels = None
depends_on = None

# The values as they stand in this revision (see 0005).
CASE_STATUS_BEFORE = ('running', 'late', 'completed', 'not_submitted', 'cancelled')
CASE_STATUS = CASE_STATUS_BEFORE + ('suspended',)
TIMER_STATUS_BEFORE = ('waiting', 'incident')
TIMER_STATUS = TIMER_STATUS_BEFORE + ('held',)


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f('ck_cases_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN {CASE_STATUS}")
        batch_op.create_index('ix_cases_updated', ['updated_at', 'id'], unique=False)
    with op.batch_alter_table('case_timers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_timers_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN {TIMER_STATUS}")
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stall_working_days', sa.Integer(), nullable=True))
    op.create_index('ix_role_assignments_unit_role', 'role_assignments', ['unit_id', 'role'], unique=False)
    op.create_table('supervision_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('flag', sa.String(length=20), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_supervision_flags_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_flags_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_flags')),
    sa.UniqueConstraint('campaign_id', 'unit_id', name=op.f('uq_supervision_flags_campaign_id'))
    )


def downgrade() -> None:
    op.drop_table('supervision_flags')
    op.drop_index('ix_role_assignments_unit_role', table_name='role_assignments')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('stall_working_days')
    with op.batch_alter_table('case_timers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_timers_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN {TIMER_STATUS_BEFORE}")
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_updated')
        batch_op.drop_constraint(op.f('ck_cases_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN {CASE_STATUS_BEFORE}")
        batch_op.drop_column('deadline_at')
