"""form_revisions and diagram_form_pins: the form registry, and the form revisions each published version pins

Revision ID: 0008_validator
Revises: 0008_staff
Create Date: 2026-12-04 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_validator'
down_revision = '0008_staff'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('form_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_form_revisions_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_form_revisions_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_revisions')),
    sa.UniqueConstraint('name', 'revision', name='uq_form_revisions_name_revision')
    )
    op.create_table('diagram_form_pins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('diagram_version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('form_revision_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['diagram_version_id'], ['diagram_versions.id'],
                            name=op.f('fk_diagram_form_pins_diagram_version_id_diagram_versions')),
    sa.ForeignKeyConstraint(['form_revision_id'], ['form_revisions.id'],
                            name=op.f('fk_diagram_form_pins_form_revision_id_form_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagram_form_pins')),
    sa.UniqueConstraint('diagram_version_id', 'name', name='uq_diagram_form_pins_version_name')
    )
    op.create_index('ix_diagram_form_pins_revision', 'diagram_form_pins', ['form_revision_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_diagram_form_pins_revision', table_name='diagram_form_pins')
    op.drop_table('diagram_form_pins')
    op.drop_table('form_revisions')
