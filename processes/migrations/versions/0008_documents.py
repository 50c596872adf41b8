"""units: the governing body apart from the reporting parent, what a header prints above the name, the head's title

Revision ID: 0008_documents
Revises: 0009_roles
Create Date: 2026-12-04 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_documents'
down_revision = '0009_roles'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('governing_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('header_parent', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('head_title', sa.String(length=80), nullable=False, server_default=''))
        batch.create_foreign_key(op.f('fk_units_governing_id_units'), 'units', ['governing_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('units') as batch:
        batch.drop_constraint(op.f('fk_units_governing_id_units'), type_='foreignkey')
        batch.drop_column('head_title')
        batch.drop_column('header_parent')
        batch.drop_column('governing_id')
