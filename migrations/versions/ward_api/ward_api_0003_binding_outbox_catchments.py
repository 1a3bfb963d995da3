"""Binding outbox, ward catchments, and the vintage of a plan's need weights.

Admissions still `pending` (or `unbind_pending`) from before the outbox get their commands
here, so the worker picks them up: a bind for each, and an unbind after it for discharged
ones (PUT then DELETE is right whether or not the old bind ever got through).

Revision ID: ward_api_0003
Revises: ward_api_0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "ward_api_0003"
down_revision = "ward_api_0002"
branch_labels = None
depends_on = None

BASES = "('gp_registered_16_plus', 'gp_registered_all_ages', 'ons_mid_year')"

BACKFILL = (
    """
    INSERT INTO ward.binding_command (admission_id, kind, vendor_id, device_id, payload)
    SELECT id, 'bind', device_vendor_id, device_id,
           jsonb_build_object(
               'ward_id', ward_id::text,
               'expected_interval_minutes', coalesce(expected_interval_minutes, 240),
               'bound_at', to_char(admitted_at AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
    FROM ward.admission
    WHERE binding_status IN ('pending', 'unbind_pending')
      AND device_vendor_id IS NOT NULL AND device_id IS NOT NULL
    ORDER BY admitted_at
    """,
    """
    INSERT INTO ward.binding_command (admission_id, kind, vendor_id, device_id, payload)
    SELECT id, 'unbind', device_vendor_id, device_id,
           jsonb_build_object(
               'unbound_at', to_char(discharged_at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
    FROM ward.admission
    WHERE binding_status = 'unbind_pending' AND discharged_at IS NOT NULL
      AND device_vendor_id IS NOT NULL AND device_id IS NOT NULL
    ORDER BY discharged_at
    """,
)


def upgrade() -> None:
    op.create_table(
        "binding_command",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("admission_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("vendor_id", sa.String(length=100), nullable=False),
        sa.Column("device_id", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.Uuid(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('bind', 'unbind')", name=op.f("ck_binding_command_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed', 'skipped')",
            name=op.f("ck_binding_command_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["ward.admission.id"],
            name=op.f("fk_binding_command_admission_id_admission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_command")),
        sa.UniqueConstraint(
            "admission_id", "kind", name=op.f("uq_binding_command_admission_id_kind")
        ),
        schema="ward",
    )
    op.create_index(
        "ix_binding_command_due",
        "binding_command",
        ["next_attempt_at"],
        schema="ward",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_binding_command_pending_device",
        "binding_command",
        ["vendor_id", "device_id"],
        schema="ward",
        postgresql_where=sa.text("status = 'pending'"),
    )
    for statement in BACKFILL:
        op.execute(statement)

    op.add_column("ward", sa.Column("catchment_population", sa.Integer()), schema="ward")
    op.add_column("ward", sa.Column("catchment_basis", sa.String(length=30)), schema="ward")
    op.add_column("ward", sa.Column("catchment_effective", sa.Date()), schema="ward")
    op.add_column("ward", sa.Column("catchment_source", sa.String(length=200)), schema="ward")
    op.create_check_constraint(
        op.f("ck_ward_catchment_complete"),
        "ward",
        "(catchment_population IS NULL) = (catchment_basis IS NULL) AND "
        "(catchment_population IS NULL) = (catchment_effective IS NULL)",
        schema="ward",
    )
    op.create_check_constraint(
        op.f("ck_ward_catchment_population_positive"),
        "ward",
        "catchment_population IS NULL OR catchment_population > 0",
        schema="ward",
    )
    op.create_check_constraint(
        op.f("ck_ward_catchment_basis_known"),
        "ward",
        f"catchment_basis IS NULL OR catchment_basis IN {BASES}",
        schema="ward",
    )
    op.create_table(
        "ward_catchment_area",
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("sub_icb_code", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["ward_id"],
            ["ward.ward.id"],
            name=op.f("fk_ward_catchment_area_ward_id_ward"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sub_icb_code"],
            ["ward.sub_icb.code"],
            name=op.f("fk_ward_catchment_area_sub_icb_code_sub_icb"),
        ),
        sa.PrimaryKeyConstraint("ward_id", "sub_icb_code", name=op.f("pk_ward_catchment_area")),
        schema="ward",
    )
    op.add_column(
        "capacity_plan", sa.Column("weights_vintage", sa.String(length=100)), schema="ward"
    )


def downgrade() -> None:
    op.drop_column("capacity_plan", "weights_vintage", schema="ward")
    op.drop_table("ward_catchment_area", schema="ward")
    for name in ("catchment_basis_known", "catchment_population_positive", "catchment_complete"):
        op.drop_constraint(op.f(f"ck_ward_{name}"), "ward", type_="check", schema="ward")
    for column in (
        "catchment_source",
        "catchment_effective",
        "catchment_basis",
        "catchment_population",
    ):
        op.drop_column("ward", column, schema="ward")
    # Undelivered commands go back to what the old code understood: the statuses stay
    # `pending` / `unbind_pending` on the admission, as before the outbox.
    op.execute(
        "UPDATE ward.admission SET binding_status = 'unbind_pending' "
        "WHERE binding_status = 'unbind_failed'"
    )
    op.drop_index(
        "ix_binding_command_pending_device",
        table_name="binding_command",
        schema="ward",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        "ix_binding_command_due",
        table_name="binding_command",
        schema="ward",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("binding_command", schema="ward")
