"""Ward events for the live SSE streams: a monotonic id, the ward and its ICB codes for scope.

Revision ID: ward_api_0005
Revises: ward_api_0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "ward_api_0005"
down_revision = "ward_api_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("icb_codes", postgresql.ARRAY(sa.String(length=12)), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        schema="ward",
    )
    op.create_index("ix_events_ward_id_id", "events", ["ward_id", "id"], schema="ward")
    op.create_index(
        "ix_events_icb_codes", "events", ["icb_codes"], schema="ward", postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_events_icb_codes", table_name="events", schema="ward")
    op.drop_index("ix_events_ward_id_id", table_name="events", schema="ward")
    op.drop_table("events", schema="ward")
