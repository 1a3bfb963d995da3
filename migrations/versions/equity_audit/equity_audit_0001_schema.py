"""equity_audit: create the `equity` schema.

Revision ID: equity_audit_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "equity_audit_0001"
down_revision = None
branch_labels = ("equity_audit",)
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS equity")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS equity CASCADE")
