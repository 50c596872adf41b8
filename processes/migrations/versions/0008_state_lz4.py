"""cases.workflow_state compressed with lz4 on PostgreSQL

Every completion rewrites the case's saved workflow state (15–25 KiB of JSON text). PostgreSQL compresses such
values with pglz by default, which costs about 0.2 ms of the UPDATE per completion here; lz4 compresses this text
about as well at a fraction of the CPU. Only new values are written with lz4 (old ones stay readable as they are).
A server built without lz4 keeps pglz; SQLite stores the text as it is.

Revision ID: 0008_state_lz4
Revises: 0007
Create Date: 2026-12-04 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_state_lz4'
down_revision = '0007'
branch_labels = None
depends_on = None


def _has_lz4(bind) -> bool:
    return bool(bind.scalar(sa.text(
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _has_lz4(bind):
        op.execute("ALTER TABLE cases ALTER COLUMN workflow_state SET COMPRESSION lz4")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _has_lz4(bind):
        op.execute("ALTER TABLE cases ALTER COLUMN workflow_state SET COMPRESSION pglz")
