"""monitoring_ingest: create the `monitoring` schema.

Revision ID: monitoring_ingest_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "monitoring_ingest_0001"
down_revision = None
branch_labels = ("monitoring_ingest",)
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS monitoring")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS monitoring CASCADE")
