"""monitoring_ingest: clinicians' monitoring plans, which override NEWS2-paced observations.

Revision ID: monitoring_ingest_0009
Revises: monitoring_ingest_0008
Create Date: 2026-12-04

One row per decision, kept as history like the SpO2 scale settings: the latest row for an
admission applies. `interval_minutes` null records a return to pacing by the NEWS2 band.
"""

from alembic import op

revision = "monitoring_ingest_0009"
down_revision = "monitoring_ingest_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE monitoring.monitoring_plans (
            id uuid PRIMARY KEY,
            admission_id uuid NOT NULL,
            interval_minutes integer
                CONSTRAINT ck_monitoring_plans_interval CHECK (interval_minutes BETWEEN 5 AND 1440),
            reason text NOT NULL,
            set_by text NOT NULL,
            set_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_monitoring_plans_admission "
        "ON monitoring.monitoring_plans (admission_id, set_at)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS monitoring.monitoring_plans")
