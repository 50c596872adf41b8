"""CHECK constraints on the status columns (processes/contracts.py) and the executor's outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 17:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The values as they stand in this revision (contracts.py may grow; a later migration then widens these).
CASE_STATUS = ('running', 'late', 'completed', 'not_submitted', 'cancelled')
CASE_KIND = ('unit', 'consolidation')
TIMER_STATUS = ('waiting', 'incident')
EMAIL_STATUS = ('', 'pending', 'sent', 'failed', 'no_address')


def upgrade() -> None:
    # batch mode: SQLite cannot add a constraint to an existing table, Alembic copies the table there.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_check_constraint('status', f"status IN {CASE_STATUS}")
        batch_op.create_check_constraint('kind', f"kind IN {CASE_KIND}")
    with op.batch_alter_table('case_timers', schema=None) as batch_op:
        batch_op.create_check_constraint('status', f"status IN {TIMER_STATUS}")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_check_constraint('email_status', f"email_status IN {EMAIL_STATUS}")

    op.create_table('pending_effects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listener', sa.String(length=80), nullable=False),
    sa.Column('event', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('run_after', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_effects'))
    )
    op.create_index('ix_pending_effects_due', 'pending_effects', ['run_after', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pending_effects_due', table_name='pending_effects')
    op.drop_table('pending_effects')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('ck_notifications_email_status', type_='check')
    with op.batch_alter_table('case_timers', schema=None) as batch_op:
        batch_op.drop_constraint('ck_case_timers_status', type_='check')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('ck_cases_kind', type_='check')
        batch_op.drop_constraint('ck_cases_status', type_='check')
