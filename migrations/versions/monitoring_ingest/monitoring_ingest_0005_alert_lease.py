"""monitoring_ingest: alert delivery leases, so the relay posts with no transaction open.

Revision ID: monitoring_ingest_0005
Revises: monitoring_ingest_0004
Create Date: 2026-11-23

The relay used to hold its claim transaction, and the claimed rows' locks, while it posted a
whole batch to ward_api. Now it claims due alerts in a short transaction by setting
`locked_until` and a fresh `lease_token` (FOR UPDATE SKIP LOCKED keeps replicas apart during
the claim, the lease while the calls are in flight), commits, posts, and records each outcome
only while the row still carries its token (see alerts/relay.py). A relay that dies leaves a
lease that simply runs out. Both columns are NULL when no relay holds the alert, so adding
them rewrites nothing.
"""

from alembic import op

revision = "monitoring_ingest_0005"
down_revision = "monitoring_ingest_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE monitoring.alerts "
        "ADD COLUMN IF NOT EXISTS locked_until timestamptz, "
        "ADD COLUMN IF NOT EXISTS lease_token uuid"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE monitoring.alerts "
        "DROP COLUMN IF EXISTS lease_token, "
        "DROP COLUMN IF EXISTS locked_until"
    )
