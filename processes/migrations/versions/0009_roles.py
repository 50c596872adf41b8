"""roles: the roles lanes name, as data (code, label, scope), seeded with the six the shipped diagrams use

Revision ID: 0009_roles
Revises: 0008_state_lz4
Create Date: 2026-12-04 21:00:00
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0009_roles'
down_revision = '0008_state_lz4'
branch_labels = None
depends_on = None

BUILTIN = [
    ("unit_staff", "Cán bộ đơn vị", "unit"),
    ("unit_secretary", "Thư ký đơn vị", "unit"),
    ("unit_council", "Hội đồng TĐKT đơn vị", "unit"),
    ("unit_head", "Thủ trưởng đơn vị", "unit"),
    ("provincial_reviewer", "Bộ phận TĐKT cấp tỉnh", "provincial"),
    ("supreme_reviewer", "Bộ phận TĐKT cấp trung ương", "supreme"),
]


def upgrade() -> None:
    roles = op.create_table(
        'roles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('builtin', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("scope IN ('unit', 'provincial', 'supreme')", name=op.f('ck_roles_scope')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
        sa.UniqueConstraint('code', name=op.f('uq_roles_code')),
    )
    op.bulk_insert(roles, [dict(code=code, label=label, scope=scope, builtin=True, updated_at=dt.datetime(2026, 12, 4))
                           for code, label, scope in BUILTIN])


def downgrade() -> None:
    op.drop_table('roles')
