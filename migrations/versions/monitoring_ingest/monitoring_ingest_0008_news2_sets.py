"""monitoring_ingest: NEWS2 sets independent of arrival order, with a lower bound when incomplete.

Revision ID: monitoring_ingest_0008
Revises: monitoring_ingest_0007
Create Date: 2026-12-04

- `news2_results.lower_bound`: the sum of the scored parameters, the aggregate itself when the
  set is complete and a lower bound on it otherwise. Existing incomplete sets whose lower
  bound already reaches a trigger get the risk it implies (at least 7 high, at least 5
  medium, a single 3 low-medium), as new ones do.
- A partial index of corrections by admission (rows with `supersedes`, so nearly free on
  insert) lets set formation find an admission's superseded readings at once. Building it
  reads the readings table once, under a lock that holds back ingest meanwhile: apply it
  at a quiet time on a large store.
Sets scored by the old rule stay as they were until a reading near them re-forms them.
"""

from alembic import op

revision = "monitoring_ingest_0008"
down_revision = "monitoring_ingest_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE monitoring.news2_results ADD COLUMN lower_bound smallint")
    op.execute(
        """
        UPDATE monitoring.news2_results n SET lower_bound = (
            SELECT coalesce(sum(value::int), 0) FROM jsonb_each_text(n.parameter_scores))
        """
    )
    op.execute(
        """
        UPDATE monitoring.news2_results SET risk = CASE
            WHEN lower_bound >= 7 THEN 'high'
            WHEN lower_bound >= 5 THEN 'medium'
            WHEN red_score THEN 'low_medium' END
        WHERE NOT complete
        """
    )
    op.execute("ALTER TABLE monitoring.news2_results ALTER COLUMN lower_bound SET NOT NULL")
    op.execute(
        "CREATE INDEX ix_readings_corrections ON monitoring.readings (admission_id) "
        "WHERE supersedes IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS monitoring.ix_readings_corrections")
    op.execute("UPDATE monitoring.news2_results SET risk = NULL WHERE NOT complete")
    op.execute("ALTER TABLE monitoring.news2_results DROP COLUMN lower_bound")
