"""inbox: delegations while away (a user's tasks of one role in one unit, done by a colleague for a date range)
and comments on a case (with the colleagues they mention)

Revision ID: 0011_inbox
Revises: 0010_editor2
Create Date: 2026-12-04 23:40:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0011_inbox'
down_revision = '0010_editor2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delegator_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_delegations_range')),
    sa.CheckConstraint('delegate_id <> delegator_id', name=op.f('ck_delegations_other')),
    sa.ForeignKeyConstraint(['delegator_id'], ['users.id'], name=op.f('fk_delegations_delegator_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delegate_id'], ['users.id'], name=op.f('fk_delegations_delegate_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_delegations_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations'))
    )
    op.create_index('ix_delegations_delegate', 'delegations', ['delegate_id', 'ends_on'], unique=False)
    op.create_index('ix_delegations_delegator', 'delegations', ['delegator_id', 'ends_on'], unique=False)
    op.create_table('case_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('mentions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_comments_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_comments_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_comments'))
    )
    op.create_index('ix_case_comments_case', 'case_comments', ['case_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_comments_case', table_name='case_comments')
    op.drop_table('case_comments')
    op.drop_index('ix_delegations_delegator', table_name='delegations')
    op.drop_index('ix_delegations_delegate', table_name='delegations')
    op.drop_table('delegations')
