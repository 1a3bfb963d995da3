"""monitoring_ingest: NEWS2 sets independent of arrival order, with a lower bound when incomplete.

Revision ID: monitoring_ingest_0008
Revises: monitoring_ingest_0007
Create Date: 2026-12-04

- `news2_results.window_start` now holds when the set opened (its first reading), so a late
  reading can find the set it belongs to and re-score it; existing rows are moved to the time
  of their first reading (best effort for history scored by the old rule).
- `news2_results.lower_bound`: the sum of the scored parameters, the aggregate itself when the
  set is complete and a lower bound on it otherwise.
- A partial index of corrections by admission (rows with `supersedes`, so nearly free on
  insert) lets set formation find an admission's superseded readings at once.
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
        UPDATE monitoring.news2_results n SET
            lower_bound = (SELECT coalesce(sum(value::int), 0)
                             FROM jsonb_each_text(n.parameter_scores)),
            window_start = coalesce(
                (SELECT min(r.observed_at) FROM monitoring.readings r
                  WHERE r.admission_id = n.admission_id AND r.reading_key = ANY(n.reading_keys)
                    AND r.observed_at BETWEEN n.window_start AND n.window_end),
                n.window_start)
        """
    )
    op.execute("ALTER TABLE monitoring.news2_results ALTER COLUMN lower_bound SET NOT NULL")
    op.execute(
        "CREATE INDEX ix_readings_corrections ON monitoring.readings (admission_id) "
        "WHERE supersedes IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS monitoring.ix_readings_corrections")
    op.execute("ALTER TABLE monitoring.news2_results DROP COLUMN lower_bound")
