"""campaigns.summary: the keys of a definition that lists show, so lists never load the whole definition;
upload_chunks: uploads kept in the database for several machines (TDKT_UPLOAD_STORE=database)

Revision ID: 0008_security
Revises: 0008_modeler
Create Date: 2026-12-04 21:10:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


revision = '0008_security'
down_revision = '0008_modeler'
branch_labels = None
depends_on = None

# as processes/models/campaign.py SUMMARY_KEYS at the time of this migration
SUMMARY_KEYS = ("round", "phase", "period_start", "period_end", "participants", "document_kind", "deadline_rule",
                "upper_deadline", "upper_deadline_rule")
JSON_DOC = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('upload_chunks',
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('storage_key', 'seq', name=op.f('pk_upload_chunks'))
    )
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('summary', JSON_DOC, nullable=True))
    campaigns = sa.table('campaigns', sa.column('id', sa.Integer), sa.column('details', JSON_DOC),
                         sa.column('summary', JSON_DOC))
    bind = op.get_bind()
    for row in bind.execute(sa.select(campaigns.c.id, campaigns.c.details)).all():
        details = row.details or {}
        bind.execute(campaigns.update().where(campaigns.c.id == row.id)
                     .values(summary={k: details[k] for k in SUMMARY_KEYS if k in details}))


def downgrade() -> None:
    op.drop_table('upload_chunks')
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('summary')
