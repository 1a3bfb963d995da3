"""monitoring_ingest: vendors, devices, bindings, partitioned readings, NEWS2, alert outbox.

Revision ID: monitoring_ingest_0002
Revises: monitoring_ingest_0001
Create Date: 2026-11-23

Identity and partitioning: `readings` is RANGE-partitioned on `observed_at`, so any unique
constraint on it must include `observed_at`. The domain's reading key deliberately does *not*
always determine the time (a vendor reading id is identity on its own), so exactly-once is
enforced by the small, non-partitioned `reading_identities` table (primary key on the
32-byte identity). Stored readings carry the same identity and are inserted only for the
identities that table newly accepted, in the same statement.
"""

from alembic import op

revision = "monitoring_ingest_0002"
down_revision = "monitoring_ingest_0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE monitoring.vendors (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_vendors_name UNIQUE (name)
);

CREATE TABLE monitoring.vendor_keys (
    id uuid PRIMARY KEY,
    vendor_id uuid NOT NULL REFERENCES monitoring.vendors (id),
    key_hash bytea NOT NULL,
    key_prefix text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    CONSTRAINT uq_vendor_keys_key_hash UNIQUE (key_hash)
);
CREATE INDEX ix_vendor_keys_vendor_id ON monitoring.vendor_keys (vendor_id);

-- Replay protection: one row per signature seen within the freshness window.
CREATE TABLE monitoring.seen_signatures (
    signature bytea PRIMARY KEY,
    vendor_id uuid NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_seen_signatures_seen_at ON monitoring.seen_signatures (seen_at);

CREATE TABLE monitoring.devices (
    vendor_id uuid NOT NULL REFERENCES monitoring.vendors (id),
    device_id text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_devices PRIMARY KEY (vendor_id, device_id)
);
CREATE INDEX ix_devices_device_id ON monitoring.devices (device_id);

CREATE TABLE monitoring.bindings (
    id uuid PRIMARY KEY,
    vendor_id uuid NOT NULL,
    device_id text NOT NULL,
    admission_id uuid NOT NULL,
    ward_id uuid NOT NULL,
    expected_interval_minutes integer NOT NULL CHECK (expected_interval_minutes > 0),
    bound_at timestamptz NOT NULL,
    unbound_at timestamptz,
    CONSTRAINT fk_bindings_device FOREIGN KEY (vendor_id, device_id)
        REFERENCES monitoring.devices (vendor_id, device_id),
    CONSTRAINT ck_bindings_interval CHECK (unbound_at IS NULL OR unbound_at >= bound_at)
);
CREATE UNIQUE INDEX uq_bindings_open_device ON monitoring.bindings (vendor_id, device_id)
    WHERE unbound_at IS NULL;
CREATE INDEX ix_bindings_admission_id ON monitoring.bindings (admission_id);
CREATE INDEX ix_bindings_device ON monitoring.bindings (vendor_id, device_id, bound_at);

CREATE TABLE monitoring.reading_identities (
    reading_key bytea PRIMARY KEY,
    observed_at timestamptz NOT NULL
);

CREATE TABLE monitoring.readings (
    reading_key bytea NOT NULL,
    observed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    admission_id uuid NOT NULL,
    ward_id uuid NOT NULL,
    vendor_id uuid,
    device_id text NOT NULL,
    code text NOT NULL,
    value double precision NOT NULL,
    unit text NOT NULL,
    code_value text,
    provenance text NOT NULL,
    vendor_reading_id text,
    entered_by text,
    supersedes bytea,
    CONSTRAINT pk_readings PRIMARY KEY (reading_key, observed_at)
) PARTITION BY RANGE (observed_at);
CREATE INDEX ix_readings_admission_observed ON monitoring.readings (admission_id, observed_at);
CREATE TABLE monitoring.readings_default PARTITION OF monitoring.readings DEFAULT;

-- Monthly partitions named readings_yYYYYmMM; idempotent, called ahead by maintenance.
CREATE FUNCTION monitoring.ensure_reading_partitions(first_month date, months integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', first_month)::date;
    created integer := 0;
    name text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        name := format('readings_y%sm%s', to_char(month_start, 'YYYY'), to_char(month_start, 'MM'));
        IF to_regclass(format('monitoring.%I', name)) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE monitoring.%I PARTITION OF monitoring.readings '
                'FOR VALUES FROM (%L) TO (%L)',
                name, month_start::timestamptz, (month_start + interval '1 month')::timestamptz);
            created := created + 1;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$;
SELECT monitoring.ensure_reading_partitions((now() - interval '2 months')::date, 15);

-- Readings are a record: corrections are new rows that supersede, never edits.
CREATE FUNCTION monitoring.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER readings_append_only BEFORE UPDATE OR DELETE ON monitoring.readings
    FOR EACH ROW EXECUTE FUNCTION monitoring.refuse_change();
CREATE TRIGGER readings_no_truncate BEFORE TRUNCATE ON monitoring.readings
    FOR EACH STATEMENT EXECUTE FUNCTION monitoring.refuse_change();
CREATE TRIGGER reading_identities_append_only
    BEFORE UPDATE OR DELETE ON monitoring.reading_identities
    FOR EACH ROW EXECUTE FUNCTION monitoring.refuse_change();

CREATE TABLE monitoring.quarantined_readings (
    id uuid PRIMARY KEY,
    reading_key bytea NOT NULL,
    reason text NOT NULL,
    vendor_id uuid NOT NULL,
    device_id text NOT NULL,
    ward_hint uuid,
    code text NOT NULL,
    value double precision NOT NULL,
    unit text NOT NULL,
    code_value text,
    provenance text NOT NULL,
    vendor_reading_id text,
    observed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_admission_id uuid,
    resolved_by text,
    CONSTRAINT uq_quarantined_readings_reading_key UNIQUE (reading_key)
);
CREATE INDEX ix_quarantined_open ON monitoring.quarantined_readings (received_at)
    WHERE resolved_at IS NULL;

CREATE TABLE monitoring.spo2_scale_settings (
    id uuid PRIMARY KEY,
    admission_id uuid NOT NULL,
    scale smallint NOT NULL CHECK (scale IN (1, 2)),
    reason text NOT NULL,
    set_by text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_spo2_scale_settings_admission ON monitoring.spo2_scale_settings
    (admission_id, set_at);

CREATE TABLE monitoring.thresholds (
    id uuid PRIMARY KEY,
    admission_id uuid NOT NULL,
    measure text NOT NULL,
    direction text NOT NULL CHECK (direction IN ('below', 'above')),
    "limit" double precision NOT NULL,
    inclusive boolean NOT NULL DEFAULT false,
    reason text NOT NULL,
    set_by text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    retired_by text
);
CREATE INDEX ix_thresholds_admission ON monitoring.thresholds (admission_id)
    WHERE retired_at IS NULL;

CREATE TABLE monitoring.news2_results (
    id uuid PRIMARY KEY,
    admission_id uuid NOT NULL,
    ward_id uuid NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    scale smallint NOT NULL,
    aggregate smallint,
    risk text,
    complete boolean NOT NULL,
    red_score boolean NOT NULL,
    parameter_scores jsonb NOT NULL,
    missing text[] NOT NULL,
    reading_keys bytea[] NOT NULL,
    scored_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_news2_results_admission_window UNIQUE (admission_id, window_end)
);

CREATE TABLE monitoring.alerts (
    id uuid PRIMARY KEY,
    admission_id uuid NOT NULL,
    ward_id uuid NOT NULL,
    kind text NOT NULL,
    news2_score smallint,
    risk text,
    detail text NOT NULL,
    raised_at timestamptz NOT NULL,
    threshold_id uuid,
    dedup_key text,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'rejected')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    last_error text,
    CONSTRAINT uq_alerts_dedup_key UNIQUE (dedup_key)
);
CREATE INDEX ix_alerts_pending ON monitoring.alerts (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_alerts_admission ON monitoring.alerts (admission_id, kind, raised_at);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS monitoring.alerts, monitoring.news2_results, monitoring.thresholds,
    monitoring.spo2_scale_settings, monitoring.quarantined_readings, monitoring.readings,
    monitoring.reading_identities, monitoring.bindings, monitoring.devices,
    monitoring.seen_signatures, monitoring.vendor_keys, monitoring.vendors CASCADE;
DROP FUNCTION IF EXISTS monitoring.refuse_change();
DROP FUNCTION IF EXISTS monitoring.ensure_reading_partitions(date, integer);
"""


def _statements(script: str) -> list[str]:
    """Split on `;` at line ends outside `$$` function bodies (asyncpg runs one at a time)."""
    statements, current, in_body = [], [], False
    for line in script.splitlines():
        if line.strip().startswith("--") and not in_body:
            continue
        current.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            statements.append("\n".join(current).strip().rstrip(";"))
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
