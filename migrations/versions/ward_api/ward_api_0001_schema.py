"""ward_api: create the `ward` schema.

Revision ID: ward_api_0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "ward_api_0001"
down_revision = None
branch_labels = ("ward_api",)
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS ward")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS ward CASCADE")
