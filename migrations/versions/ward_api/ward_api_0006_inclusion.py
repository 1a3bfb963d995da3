"""Costed inclusion plans (issue #15): LSOA inclusion figures, unit costs per ICB, partners.

Self-contained: three new tables, nothing existing is altered.

Revision ID: ward_api_0006
Revises: ward_api_0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "ward_api_0006"
down_revision = "ward_api_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lsoa_inclusion",
        sa.Column("lsoa11cd", sa.String(length=9), nullable=False),
        sa.Column("deri_score", sa.Float(), nullable=False),
        sa.Column("deri_quintile", sa.Integer(), nullable=False),
        sa.Column("housing_poor_prop", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "deri_quintile BETWEEN 1 AND 5", name=op.f("ck_lsoa_inclusion_deri_quintile")
        ),
        sa.ForeignKeyConstraint(
            ["lsoa11cd"],
            ["ward.lsoa.lsoa11cd"],
            name=op.f("fk_lsoa_inclusion_lsoa11cd_lsoa"),
        ),
        sa.PrimaryKeyConstraint("lsoa11cd", name=op.f("pk_lsoa_inclusion")),
        schema="ward",
    )
    op.create_table(
        "inclusion_unit_cost",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("icb_code", sa.String(length=9), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column(
            "set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_inclusion_unit_cost_value_non_negative")),
        sa.ForeignKeyConstraint(
            ["icb_code"], ["ward.icb.code"], name=op.f("fk_inclusion_unit_cost_icb_code_icb")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inclusion_unit_cost")),
        schema="ward",
    )
    op.create_index(
        "ix_inclusion_unit_cost_icb_item",
        "inclusion_unit_cost",
        ["icb_code", "item", "id"],
        schema="ward",
    )
    op.create_table(
        "ward_partner",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ward_id", sa.Uuid(), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("hours_per_week", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("contact_role", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("hours_per_week >= 0", name=op.f("ck_ward_partner_hours_non_negative")),
        sa.ForeignKeyConstraint(
            ["ward_id"], ["ward.ward.id"], name=op.f("fk_ward_partner_ward_id_ward")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward_partner")),
        schema="ward",
    )
    op.create_index(
        op.f("ix_ward_ward_partner_ward_id"), "ward_partner", ["ward_id"], schema="ward"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ward_ward_partner_ward_id"), table_name="ward_partner", schema="ward")
    op.drop_table("ward_partner", schema="ward")
    op.drop_index(
        "ix_inclusion_unit_cost_icb_item", table_name="inclusion_unit_cost", schema="ward"
    )
    op.drop_table("inclusion_unit_cost", schema="ward")
    op.drop_table("lsoa_inclusion", schema="ward")
