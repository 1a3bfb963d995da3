"""monitoring_ingest: replicas creating the same month's reading partition no longer collide.

Revision ID: monitoring_ingest_0006
Revises: monitoring_ingest_0005
Create Date: 2026-11-23

`ensure_reading_partitions` checked `to_regclass` and then created the partition, so two
replicas' maintenance rounds could both see it missing; the second CREATE then failed with
"relation already exists" and rolled back its whole round. Now, when a month is missing, the
function takes a transaction-level advisory lock with a fixed key, so rounds take turns, and
a CREATE that still finds the table (made by the round it waited for: its own catalog cache
may be stale until the CREATE looks) is caught as `duplicate_table` and not counted. When
every month exists, no lock is taken, as before.
"""

from alembic import op

revision = "monitoring_ingest_0006"
down_revision = "monitoring_ingest_0005"
branch_labels = None
depends_on = None

_CREATE = """
'CREATE TABLE monitoring.%I PARTITION OF monitoring.readings FOR VALUES FROM (%L) TO (%L)',
name, month_start::timestamptz, (month_start + interval '1 month')::timestamptz
"""

UPGRADE = f"""
CREATE OR REPLACE FUNCTION monitoring.ensure_reading_partitions(first_month date, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', first_month)::date;
    created integer := 0;
    locked boolean := false;
    name text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        name := format('readings_y%sm%s', to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
        IF to_regclass(format('monitoring.%I', name)) IS NULL THEN
            IF NOT locked THEN
                PERFORM pg_advisory_xact_lock(hashtext('monitoring.ensure_reading_partitions'));
                locked := true;
            END IF;
            BEGIN
                EXECUTE format({_CREATE});
                created := created + 1;
            EXCEPTION WHEN duplicate_table THEN
                NULL;  -- another replica made it while this one waited for the lock
            END;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$
"""

DOWNGRADE = f"""
CREATE OR REPLACE FUNCTION monitoring.ensure_reading_partitions(first_month date, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', first_month)::date;
    created integer := 0;
    name text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        name := format('readings_y%sm%s', to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
        IF to_regclass(format('monitoring.%I', name)) IS NULL THEN
            EXECUTE format({_CREATE});
            created := created + 1;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
