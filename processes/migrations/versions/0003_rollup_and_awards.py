"""consolidation cases, the round's nominations and the award history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='unit', nullable=False))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_parent_id_cases'), 'cases', ['parent_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_cases_parent_id'), ['parent_id'], unique=False)
        batch_op.drop_constraint('uq_cases_campaign_id', type_='unique')
        batch_op.create_unique_constraint('uq_cases_campaign_unit_kind', ['campaign_id', 'unit_id', 'kind'])

    op.create_table('nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('nominee_key', sa.String(length=300), nullable=False),
    sa.Column('nominee_name', sa.String(length=200), nullable=False),
    sa.Column('achievement_key', sa.String(length=300), nullable=False),
    sa.Column('award_form', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_nominations_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_nominations_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_nominations_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nominations'))
    )
    with op.batch_alter_table('nominations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nominations_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_nominations_round_nominee', ['campaign_id', 'nominee_key'], unique=False)

    op.create_table('award_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('nominee_kind', sa.String(length=20), nullable=False),
    sa.Column('nominee_key', sa.String(length=300), nullable=False),
    sa.Column('nominee_name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=False),
    sa.Column('achievement_title', sa.String(length=300), nullable=False),
    sa.Column('award_form', sa.String(length=50), nullable=False),
    sa.Column('award_name', sa.String(length=200), nullable=False),
    sa.Column('decision_number', sa.String(length=50), nullable=False),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('decision_authority', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_award_records_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_award_records_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_award_records_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_records'))
    )
    with op.batch_alter_table('award_records', schema=None) as batch_op:
        batch_op.create_index('ix_award_records_campaign', ['campaign_id'], unique=False)
        batch_op.create_index('ix_award_records_nominee', ['nominee_key', 'decision_date'], unique=False)
        batch_op.create_index('ix_award_records_unit', ['unit_id', 'decision_date'], unique=False)
    # The name search's prefix LIKE needs pattern ops on PostgreSQL (SQLite, the demo database, needs no index here).
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_award_records_key_prefix', 'award_records', ['nominee_key'], unique=False,
                        postgresql_ops={'nominee_key': 'varchar_pattern_ops'})


def downgrade() -> None:
    op.drop_table('award_records')
    op.drop_table('nominations')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_cases_campaign_unit_kind', type_='unique')
        batch_op.create_unique_constraint('uq_cases_campaign_id', ['campaign_id', 'unit_id'])
        batch_op.drop_index(batch_op.f('ix_cases_parent_id'))
        batch_op.drop_constraint(batch_op.f('fk_cases_parent_id_cases'), type_='foreignkey')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('kind')
