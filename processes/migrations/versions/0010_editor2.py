"""editor2: an index on cases by diagram version, for the editor's per-step counts of waiting cases

Revision ID: 0010_editor2
Revises: 0008_security
Create Date: 2026-12-04 21:50:00
"""
from alembic import op


revision = '0010_editor2'
down_revision = '0008_security'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cases_diagram_version', 'cases', ['diagram_version_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_cases_diagram_version', table_name='cases')
