"""monitoring_ingest: the one sanctioned way to remove old readings (partition retention).

Revision ID: monitoring_ingest_0004
Revises: monitoring_ingest_0003
Create Date: 2026-11-23

Readings are append-only, and so are their identities (the exactly-once guard); dropping a
month of readings must take that month's identities with it, or the table only grows. The
design keeps "append-only" true for everything but one explicit path:

* `monitoring.drop_expired_reading_partition(retention_months, min_age)` is SECURITY
  DEFINER (owned by the migrating role, `search_path` pinned, EXECUTE revoked from PUBLIC).
  Each call drops at most one monthly partition wholly older than both the start of the
  current month minus `retention_months` (at least 1) and `now() - min_age`; never the
  DEFAULT partition, never the current or a future month. It deletes that range's identity
  rows, then DETACHes and DROPs the partition, in one transaction, under an advisory lock so
  replicas do not race. In production the application role can be left without DELETE on
  `reading_identities` and without ownership of `readings`, so this function is its only
  way to remove either.
* The identities' append-only trigger now honours a transaction-local setting,
  `monitoring.retention_cutoff`, which only that function sets: a DELETE is let through
  when the row is older than the cutoff *and* than the start of the current month. It is a
  guard against application bugs, not a security boundary (the table owner can always
  drop triggers); the boundary is the role's privileges described above.
* `min_age` is the oldest a reading may be and still be accepted from a vendor: forgetting
  the identity of a reading older than that cannot let a re-sent copy in as new.
* A month's identities are found through the partition's own reading keys and the
  identities' primary key: every identity observed in a month's range has its reading in
  that month's partition (they are inserted together, and a month's partition cannot be
  created while the DEFAULT partition holds rows of that month). No index on
  `reading_identities.observed_at` is added, because the ingest path would pay for it on
  every insert (a BRIN index cost about a fifth of bench throughput) for a monthly job.
"""

from alembic import op

revision = "monitoring_ingest_0004"
down_revision = "monitoring_ingest_0003"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE FUNCTION monitoring.refuse_identity_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        cutoff text := current_setting('monitoring.retention_cutoff', true);
    BEGIN
        IF TG_OP = 'DELETE' AND coalesce(cutoff, '') <> ''
           AND OLD.observed_at < least(cutoff::timestamptz, date_trunc('month', now())) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    "DROP TRIGGER reading_identities_append_only ON monitoring.reading_identities",
    """
    CREATE TRIGGER reading_identities_append_only
        BEFORE UPDATE OR DELETE ON monitoring.reading_identities
        FOR EACH ROW EXECUTE FUNCTION monitoring.refuse_identity_change()
    """,
    """
    CREATE TRIGGER reading_identities_no_truncate BEFORE TRUNCATE ON monitoring.reading_identities
        FOR EACH STATEMENT EXECUTE FUNCTION monitoring.refuse_change()
    """,
    """
    CREATE FUNCTION monitoring.drop_expired_reading_partition(
        retention_months integer, min_age interval
    ) RETURNS TABLE (partition_name text, range_from timestamptz, range_to timestamptz,
                     identities_deleted bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        cutoff timestamptz;
        victim record;
        deleted bigint;
    BEGIN
        IF retention_months IS NULL OR retention_months < 1 THEN
            RAISE EXCEPTION 'retention_months must be at least 1, got %', retention_months
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT pg_try_advisory_xact_lock(hashtext('monitoring.reading_retention')) THEN
            RETURN;  -- another replica is at it
        END IF;
        cutoff := least(date_trunc('month', now()) - make_interval(months => retention_months),
                        now() - greatest(coalesce(min_age, interval '0'), interval '0'));
        SELECT c.oid::regclass AS rel, c.relname::text AS name,
               bound.m[1]::timestamptz AS range_from, bound.m[2]::timestamptz AS range_to
          INTO victim
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_partitioned_table p ON p.partrelid = i.inhparent
          CROSS JOIN LATERAL (
              SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                  '^FOR VALUES FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)$') AS m
          ) bound
         WHERE i.inhparent = 'monitoring.readings'::regclass
           AND c.oid <> p.partdefid
           AND bound.m IS NOT NULL
           AND bound.m[2]::timestamptz <= cutoff
         ORDER BY 4
         LIMIT 1;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        -- Fail fast rather than queue ingest behind the ACCESS EXCLUSIVE lock DETACH takes.
        PERFORM set_config('lock_timeout', '5s', true);
        PERFORM set_config('monitoring.retention_cutoff', victim.range_to::text, true);
        EXECUTE format(
            'DELETE FROM monitoring.reading_identities i USING %s r '
            'WHERE i.reading_key = r.reading_key AND i.observed_at >= $1 AND i.observed_at < $2',
            victim.rel)
          USING victim.range_from, victim.range_to;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('monitoring.retention_cutoff', '', true);
        EXECUTE format('ALTER TABLE monitoring.readings DETACH PARTITION %s', victim.rel);
        EXECUTE format('DROP TABLE %s', victim.rel);
        RETURN QUERY SELECT victim.name, victim.range_from, victim.range_to, deleted;
    END $$
    """,
    """
    REVOKE ALL ON FUNCTION monitoring.drop_expired_reading_partition(integer, interval)
        FROM PUBLIC
    """,
]

DOWNGRADE = [
    "DROP FUNCTION IF EXISTS monitoring.drop_expired_reading_partition(integer, interval)",
    "DROP TRIGGER IF EXISTS reading_identities_no_truncate ON monitoring.reading_identities",
    "DROP TRIGGER IF EXISTS reading_identities_append_only ON monitoring.reading_identities",
    """
    CREATE TRIGGER reading_identities_append_only
        BEFORE UPDATE OR DELETE ON monitoring.reading_identities
        FOR EACH ROW EXECUTE FUNCTION monitoring.refuse_change()
    """,
    "DROP FUNCTION IF EXISTS monitoring.refuse_identity_change()",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
