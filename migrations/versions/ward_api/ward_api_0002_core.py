"""ward_api core tables: geography, sitrep history, wards, patients, admissions, alerts, audit.

Revision ID: ward_api_0002
Revises: ward_api_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "ward_api_0002"
down_revision = "ward_api_0001"
branch_labels = None
depends_on = None

# The audit log is append-only: the database itself refuses UPDATE, DELETE and TRUNCATE.
APPEND_ONLY = (
    """
    CREATE FUNCTION ward.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'ward.audit_log is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON ward.audit_log
        FOR EACH ROW EXECUTE FUNCTION ward.audit_log_append_only()
    """,
    """
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ward.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION ward.audit_log_append_only()
    """,
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("ward_id", sa.Uuid(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_audit_log_patient_id"),
        "audit_log",
        ["patient_id"],
        unique=False,
        schema="ward",
    )
    op.create_table(
        "capacity_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weights_basis", sa.String(length=100), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_plan")),
        schema="ward",
    )
    op.create_table(
        "icb",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("ods_code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("region_code", sa.String(length=5), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_icb")),
        sa.UniqueConstraint("ods_code", name=op.f("uq_icb_ods_code")),
        schema="ward",
    )
    op.create_table(
        "idempotency_record",
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_record")),
        schema="ward",
    )
    op.create_table(
        "population_denominator",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_code", sa.String(length=9), nullable=False),
        sa.Column("area_kind", sa.String(length=10), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "basis IN ('gp_registered_16_plus', 'gp_registered_all_ages', 'ons_mid_year')",
            name=op.f("ck_population_denominator_basis_known"),
        ),
        sa.CheckConstraint(
            "population > 0", name=op.f("ck_population_denominator_population_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population_denominator")),
        sa.UniqueConstraint(
            "area_code",
            "basis",
            "effective",
            name=op.f("uq_population_denominator_area_code_basis_effective"),
        ),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_population_denominator_area_code"),
        "population_denominator",
        ["area_code"],
        unique=False,
        schema="ward",
    )
    op.create_table(
        "sitrep_import",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("periods", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitrep_import")),
        schema="ward",
    )
    op.create_table(
        "sitrep_month",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("area_code", sa.String(length=9), nullable=False),
        sa.Column("ods_code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("capacity_per_100k", sa.Numeric(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("basis_effective", sa.Date(), nullable=False),
        sa.Column("basis_label", sa.String(length=200), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=True),
        sa.Column("occupancy_pct", sa.Numeric(), nullable=True),
        sa.Column("occupancy_note", sa.String(length=60), nullable=True),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_sitrep_month_capacity_non_negative")),
        sa.CheckConstraint("population > 0", name=op.f("ck_sitrep_month_population_positive")),
        sa.PrimaryKeyConstraint("period", "area_code", name=op.f("pk_sitrep_month")),
        schema="ward",
    )
    op.create_table(
        "sub_icb",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("ods_code", sa.String(length=5), nullable=False),
        sa.Column("icb_code", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["icb_code"], ["ward.icb.code"], name=op.f("fk_sub_icb_icb_code_icb")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sub_icb")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_sub_icb_icb_code"), "sub_icb", ["icb_code"], unique=False, schema="ward"
    )
    op.create_table(
        "ward",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("icb_code", sa.String(length=9), nullable=False),
        sa.Column("provider_ods_code", sa.String(length=10), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("pathways", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("operating_hours", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'open', 'paused', 'closed')", name=op.f("ck_ward_status_known")
        ),
        sa.CheckConstraint("beds >= 0 AND beds <= 5000", name=op.f("ck_ward_beds_range")),
        sa.ForeignKeyConstraint(["icb_code"], ["ward.icb.code"], name=op.f("fk_ward_icb_code_icb")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_ward_icb_code"), "ward", ["icb_code"], unique=False, schema="ward"
    )
    op.create_table(
        "lsoa",
        sa.Column("lsoa11cd", sa.String(length=9), nullable=False),
        sa.Column("sicbl_code", sa.String(length=9), nullable=False),
        sa.Column("icb_code", sa.String(length=9), nullable=False),
        sa.Column("imd_decile", sa.Integer(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["icb_code"], ["ward.icb.code"], name=op.f("fk_lsoa_icb_code_icb")),
        sa.ForeignKeyConstraint(
            ["sicbl_code"], ["ward.sub_icb.code"], name=op.f("fk_lsoa_sicbl_code_sub_icb")
        ),
        sa.PrimaryKeyConstraint("lsoa11cd", name=op.f("pk_lsoa")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_lsoa_icb_code"), "lsoa", ["icb_code"], unique=False, schema="ward"
    )
    op.create_table(
        "ward_capacity_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("previous_beds", sa.Integer(), nullable=True),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "beds >= 0 AND beds <= 5000", name=op.f("ck_ward_capacity_change_beds_range")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.ward.id"], name=op.f("fk_ward_capacity_change_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_capacity_change")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_ward_capacity_change_ward_id"),
        "ward_capacity_change",
        ["ward_id"],
        unique=False,
        schema="ward",
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nhs_number", sa.String(length=10), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=10), nullable=False),
        sa.Column("ethnic_category", sa.String(length=10), nullable=False),
        sa.Column("lsoa11cd", sa.String(length=9), nullable=False),
        sa.Column("own_device", sa.Boolean(), nullable=False),
        sa.Column("broadband", sa.Boolean(), nullable=False),
        sa.Column("housing_concern", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["lsoa11cd"], ["ward.lsoa.lsoa11cd"], name=op.f("fk_patient_lsoa11cd_lsoa")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("nhs_number", name=op.f("uq_patient_nhs_number")),
        schema="ward",
    )
    op.create_table(
        "admission",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("bed_number", sa.Integer(), nullable=False),
        sa.Column("pathway", sa.String(length=40), nullable=False),
        sa.Column("referral_source", sa.String(length=30), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("length_of_stay_days", sa.Integer(), nullable=True),
        sa.Column("device_vendor_id", sa.String(length=100), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("expected_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("binding_status", sa.String(length=20), nullable=False),
        sa.Column("binding_detail", sa.String(length=300), nullable=True),
        sa.Column("readings_expected", sa.Integer(), nullable=False),
        sa.Column("readings_received", sa.Integer(), nullable=False),
        sa.Column("admitted_by", sa.String(length=200), nullable=False),
        sa.Column("discharged_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("bed_number >= 1", name=op.f("ck_admission_bed_number_positive")),
        sa.CheckConstraint(
            "discharged_at IS NULL OR discharged_at >= admitted_at",
            name=op.f("ck_admission_discharge_after_admit"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["ward.patient.id"], name=op.f("fk_admission_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.ward.id"], name=op.f("fk_admission_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admission")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_admission_patient_id"),
        "admission",
        ["patient_id"],
        unique=False,
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_admission_ward_id"), "admission", ["ward_id"], unique=False, schema="ward"
    )
    op.create_index(
        "uq_admission_open_bed",
        "admission",
        ["ward_id", "bed_number"],
        unique=True,
        schema="ward",
        postgresql_where=sa.text("discharged_at IS NULL"),
    )
    op.create_index(
        "uq_admission_open_patient",
        "admission",
        ["patient_id"],
        unique=True,
        schema="ward",
        postgresql_where=sa.text("discharged_at IS NULL"),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("admission_id", sa.Uuid(), nullable=False),
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("news2_score", sa.Integer(), nullable=True),
        sa.Column("risk", sa.String(length=12), nullable=True),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["admission_id"], ["ward.admission.id"], name=op.f("fk_alert_admission_id_admission")
        ),
        sa.ForeignKeyConstraint(["ward_id"], ["ward.ward.id"], name=op.f("fk_alert_ward_id_ward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_alert_admission_id"), "alert", ["admission_id"], unique=False, schema="ward"
    )
    op.create_index(
        op.f("ix_ward_alert_ward_id"), "alert", ["ward_id"], unique=False, schema="ward"
    )
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("pathway", sa.String(length=40), nullable=False),
        sa.Column("referral_source", sa.String(length=30), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imd_decile", sa.Integer(), nullable=True),
        sa.Column("device_vendor_id", sa.String(length=100), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("expected_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("admission_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('waiting', 'admitted', 'cancelled')",
            name=op.f("ck_waitlist_entry_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["ward.admission.id"],
            name=op.f("fk_waitlist_entry_admission_id_admission"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["ward.patient.id"], name=op.f("fk_waitlist_entry_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.ward.id"], name=op.f("fk_waitlist_entry_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_waitlist_entry_ward_id"),
        "waitlist_entry",
        ["ward_id"],
        unique=False,
        schema="ward",
    )
    op.create_index(
        "uq_waitlist_entry_waiting_patient",
        "waitlist_entry",
        ["ward_id", "patient_id"],
        unique=True,
        schema="ward",
        postgresql_where=sa.text("status = 'waiting'"),
    )
    for statement in APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS ward.audit_log CASCADE")
    op.execute("DROP FUNCTION IF EXISTS ward.audit_log_append_only()")
    op.drop_index(
        "uq_waitlist_entry_waiting_patient",
        table_name="waitlist_entry",
        schema="ward",
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.drop_index(
        op.f("ix_ward_waitlist_entry_ward_id"), table_name="waitlist_entry", schema="ward"
    )
    op.drop_table("waitlist_entry", schema="ward")
    op.drop_index(op.f("ix_ward_alert_ward_id"), table_name="alert", schema="ward")
    op.drop_index(op.f("ix_ward_alert_admission_id"), table_name="alert", schema="ward")
    op.drop_table("alert", schema="ward")
    op.drop_index(
        "uq_admission_open_patient",
        table_name="admission",
        schema="ward",
        postgresql_where=sa.text("discharged_at IS NULL"),
    )
    op.drop_index(
        "uq_admission_open_bed",
        table_name="admission",
        schema="ward",
        postgresql_where=sa.text("discharged_at IS NULL"),
    )
    op.drop_index(op.f("ix_ward_admission_ward_id"), table_name="admission", schema="ward")
    op.drop_index(op.f("ix_ward_admission_patient_id"), table_name="admission", schema="ward")
    op.drop_table("admission", schema="ward")
    op.drop_table("patient", schema="ward")
    op.drop_index(
        op.f("ix_ward_ward_capacity_change_ward_id"),
        table_name="ward_capacity_change",
        schema="ward",
    )
    op.drop_table("ward_capacity_change", schema="ward")
    op.drop_index(op.f("ix_ward_lsoa_icb_code"), table_name="lsoa", schema="ward")
    op.drop_table("lsoa", schema="ward")
    op.drop_index(op.f("ix_ward_ward_icb_code"), table_name="ward", schema="ward")
    op.drop_table("ward", schema="ward")
    op.drop_index(op.f("ix_ward_sub_icb_icb_code"), table_name="sub_icb", schema="ward")
    op.drop_table("sub_icb", schema="ward")
    op.drop_table("sitrep_month", schema="ward")
    op.drop_table("sitrep_import", schema="ward")
    op.drop_index(
        op.f("ix_ward_population_denominator_area_code"),
        table_name="population_denominator",
        schema="ward",
    )
    op.drop_table("population_denominator", schema="ward")
    op.drop_table("idempotency_record", schema="ward")
    op.drop_table("icb", schema="ward")
    op.drop_table("capacity_plan", schema="ward")
