"""flag_snapshots: each campaign's unit flags and dashboard rows as last computed, shared by every worker

Revision ID: 0012_flag_snapshots
Revises: 0011_inbox
Create Date: 2026-12-05 04:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0012_flag_snapshots'
down_revision = '0011_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flag_snapshots',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('settled', sa.Boolean(), nullable=False),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=False),
    sa.Column('rows', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
              nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_flag_snapshots_campaign_id_campaigns'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_flag_snapshots'))
    )


def downgrade() -> None:
    op.drop_table('flag_snapshots')
