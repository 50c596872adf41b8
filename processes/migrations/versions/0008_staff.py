"""open_tasks.returned: why a task was reached by a return (reason, by whom, when, from which step)

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


def downgrade() -> None:
    with op.batch_alter_table('open_tasks') as batch:
        batch.drop_column('returned')
