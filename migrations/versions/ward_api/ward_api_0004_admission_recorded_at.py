"""When each admission was entered, so a back-dated (late-recorded) one can be told apart.

Existing admissions were all entered as they happened, so their recorded_at is admitted_at.

Revision ID: ward_api_0004
Revises: ward_api_0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "ward_api_0004"
down_revision = "ward_api_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "admission",
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        schema="ward",
    )
    op.execute("UPDATE ward.admission SET recorded_at = admitted_at")
    op.alter_column(
        "admission",
        "recorded_at",
        nullable=False,
        server_default=sa.text("now()"),
        schema="ward",
    )
    op.create_check_constraint(
        op.f("ck_admission_recorded_after_admit"),
        "admission",
        "recorded_at >= admitted_at",
        schema="ward",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_admission_recorded_after_admit"), "admission", type_="check", schema="ward"
    )
    op.drop_column("admission", "recorded_at", schema="ward")
