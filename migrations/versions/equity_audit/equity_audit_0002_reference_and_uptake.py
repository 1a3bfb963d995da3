"""equity_audit: reference data (datasets, LSOAs, geography, housing, digital exclusion) and
uptake snapshots pulled from ward_api.

Revision ID: equity_audit_0002
Revises: equity_audit_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "equity_audit_0002"
down_revision = "equity_audit_0001"
branch_labels = None
depends_on = None

SCHEMA = "equity"


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("vintage", sa.Text(), nullable=False),
        sa.Column("geography", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("licence", sa.Text(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("report", postgresql.JSONB(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_datasets_active_kind",
        "datasets",
        ["kind"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "lsoas",
        sa.Column("lsoa11cd", sa.Text(), nullable=False),
        sa.Column("imd_score", sa.Float(), nullable=False),
        sa.Column("imd_decile", sa.SmallInteger(), nullable=False),
        sa.Column("imd_quintile", sa.SmallInteger(), nullable=False),
        sa.Column("core20", sa.Boolean(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lsoa11cd", name="pk_lsoas"),
        schema=SCHEMA,
    )
    op.create_table(
        "lsoa_geography",
        sa.Column("lsoa11cd", sa.Text(), nullable=False),
        sa.Column("sicbl_code", sa.Text(), nullable=False),
        sa.Column("sicbl_ods_code", sa.Text(), nullable=False),
        sa.Column("icb_code", sa.Text(), nullable=False),
        sa.Column("icb_ods_code", sa.Text(), nullable=False),
        sa.Column("icb_name", sa.Text(), nullable=False),
        sa.Column("lad22cd", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lsoa11cd", name="pk_lsoa_geography"),
        schema=SCHEMA,
    )
    for column in ("sicbl_code", "icb_code", "icb_ods_code"):
        op.create_index(f"ix_lsoa_geography_{column}", "lsoa_geography", [column], schema=SCHEMA)
    op.create_table(
        "housing",
        sa.Column("lsoa11cd", sa.Text(), nullable=False),
        sa.Column("indoors_decile", sa.SmallInteger(), nullable=False),
        sa.Column("barriers_decile", sa.SmallInteger(), nullable=False),
        sa.Column("living_environment_decile", sa.SmallInteger(), nullable=False),
        sa.Column("housing_quintile", sa.SmallInteger(), nullable=False),
        sa.Column("overcrowding_prop", sa.Float(), nullable=False),
        sa.Column("no_central_heating_prop", sa.Float(), nullable=False),
        sa.Column("poor_condition_prop", sa.Float(), nullable=False),
        sa.Column("homelessness_per_1000_households", sa.Float(), nullable=False),
        sa.Column("affordability_indicator", sa.Float(), nullable=False),
        sa.Column("road_distance_gp_km", sa.Float(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lsoa11cd", name="pk_housing"),
        schema=SCHEMA,
    )
    op.create_table(
        "digital_exclusion",
        sa.Column("lsoa11cd", sa.Text(), nullable=False),
        sa.Column("deri_score", sa.Float(), nullable=False),
        sa.Column("deri_broadband", sa.Float(), nullable=False),
        sa.Column("deri_demography", sa.Float(), nullable=False),
        sa.Column("deri_deprivation", sa.Float(), nullable=False),
        sa.Column("digital_exclusion_quintile", sa.SmallInteger(), nullable=False),
        sa.Column("iuc_group_code", sa.SmallInteger(), nullable=False),
        sa.Column("iuc_group_label", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lsoa11cd", name="pk_digital_exclusion"),
        schema=SCHEMA,
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "taken_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        schema=SCHEMA,
    )
    op.create_index("ix_snapshots_taken_at", "snapshots", ["taken_at"], schema=SCHEMA)
    op.create_table(
        "uptake",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Text(), nullable=False),
        sa.Column("icb_code", sa.Text(), nullable=True),
        sa.Column("lsoa11cd", sa.Text(), nullable=True),
        sa.Column("age_band", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("ethnic_category", sa.Text(), nullable=False),
        sa.Column("pathway", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("own_device", sa.Boolean(), nullable=True),
        sa.Column("broadband", sa.Boolean(), nullable=True),
        sa.Column("housing_concern", sa.Boolean(), nullable=True),
        sa.Column("admissions", sa.Integer(), nullable=False),
        sa.Column("los_days_sum", sa.BigInteger(), nullable=False),
        sa.Column("stays_over_14_days", sa.Integer(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("readings_expected", sa.BigInteger(), nullable=False),
        sa.Column("readings_received", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uptake"),
        schema=SCHEMA,
    )
    op.create_index("ix_uptake_month", "uptake", ["month"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_uptake_month", table_name="uptake", schema=SCHEMA)
    op.drop_table("uptake", schema=SCHEMA)
    op.drop_index("ix_snapshots_taken_at", table_name="snapshots", schema=SCHEMA)
    op.drop_table("snapshots", schema=SCHEMA)
    op.drop_table("digital_exclusion", schema=SCHEMA)
    op.drop_table("housing", schema=SCHEMA)
    for column in ("sicbl_code", "icb_code", "icb_ods_code"):
        op.drop_index(f"ix_lsoa_geography_{column}", table_name="lsoa_geography", schema=SCHEMA)
    op.drop_table("lsoa_geography", schema=SCHEMA)
    op.drop_table("lsoas", schema=SCHEMA)
    op.drop_index("uq_datasets_active_kind", table_name="datasets", schema=SCHEMA)
    op.drop_table("datasets", schema=SCHEMA)
