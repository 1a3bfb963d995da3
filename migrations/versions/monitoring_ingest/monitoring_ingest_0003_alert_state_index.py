"""monitoring_ingest: index alerts by delivery state and time (GET /v1/alerts?state=).

Revision ID: monitoring_ingest_0003
Revises: monitoring_ingest_0002
Create Date: 2026-11-23

Operators list the outbox by state, newest (or, for pending, oldest) first; without this
the delivered history, which only grows, would be scanned and sorted on every look.
"""

from alembic import op

revision = "monitoring_ingest_0003"
down_revision = "monitoring_ingest_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_alerts_status_raised_at "
        "ON monitoring.alerts (status, raised_at)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS monitoring.ix_alerts_status_raised_at")
