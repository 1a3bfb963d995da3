"""monitoring_ingest: vendor corrections and withdrawals (FHIR amended/corrected/entered-in-error).

Revision ID: monitoring_ingest_0010
Revises: monitoring_ingest_0009
Create Date: 2026-12-04

- `readings.withdrawn`: a withdrawal is an append-only row that supersedes the reading it
  withdraws (the same chain as corrections) and is itself never scored, so both drop out of
  NEWS2 sets, thresholds and latest vitals while both stay stored for audit.
- A partial index on `readings.supersedes` (only correction rows carry it) finds the newest
  revision of a reading by walking the chain from its first report.
- `alerts.reading_keys`: the readings an alert rests on (its set's, or the breaching one);
  `alerts.withdrawn_at`: set when every one of them has been withdrawn.
"""

from alembic import op

revision = "monitoring_ingest_0010"
down_revision = "monitoring_ingest_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE monitoring.readings ADD COLUMN withdrawn boolean NOT NULL DEFAULT false"
    )
    op.execute(
        "CREATE INDEX ix_readings_supersedes ON monitoring.readings (supersedes) "
        "WHERE supersedes IS NOT NULL"
    )
    op.execute("ALTER TABLE monitoring.alerts ADD COLUMN reading_keys bytea[]")
    op.execute("ALTER TABLE monitoring.alerts ADD COLUMN withdrawn_at timestamptz")


def downgrade() -> None:
    op.execute("ALTER TABLE monitoring.alerts DROP COLUMN withdrawn_at")
    op.execute("ALTER TABLE monitoring.alerts DROP COLUMN reading_keys")
    op.execute("DROP INDEX IF EXISTS monitoring.ix_readings_supersedes")
    op.execute("ALTER TABLE monitoring.readings DROP COLUMN withdrawn")
