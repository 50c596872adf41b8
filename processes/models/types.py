"""Column types shared by the models."""
from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")
