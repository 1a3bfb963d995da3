"""equity_audit: per-LSOA uptake totals, rebuilt at each snapshot refresh for the audit.

An England audit by an area cut needs uptake summed per LSOA and ward ICB over the whole
period: ~33k rows, where summing the raw snapshot rows (~250k) at request time took most of
the audit's time. Existing rows are summed as of the latest snapshot.

Revision ID: equity_audit_0003
Revises: equity_audit_0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "equity_audit_0003"
down_revision = "equity_audit_0002"
branch_labels = None
depends_on = None

SCHEMA = "equity"
FIELDS = (
    "admissions", "discharged", "escalated", "los_days_sum", "stays_over_14_days",
    "readings_expected", "readings_received", "own_device_yes", "own_device_no",
    "broadband_yes", "broadband_no",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "uptake_totals",
        sa.Column("lsoa11cd", sa.Text(), nullable=False),
        sa.Column("icb_code", sa.Text(), nullable=False),
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in FIELDS),
        sa.PrimaryKeyConstraint("lsoa11cd", "icb_code", name="pk_uptake_totals"),
        schema=SCHEMA,
    )
    op.execute(
        f"""INSERT INTO {SCHEMA}.uptake_totals
                (lsoa11cd, icb_code, snapshot_id, {", ".join(FIELDS)})
            SELECT coalesce(u.lsoa11cd, ''), coalesce(u.icb_code, ''), s.id,
                   coalesce(sum(u.admissions), 0),
                   coalesce(sum(u.admissions) FILTER (WHERE u.outcome <> 'ongoing'), 0),
                   coalesce(sum(u.admissions)
                            FILTER (WHERE u.outcome = 'escalated_to_hospital'), 0),
                   coalesce(sum(u.los_days_sum), 0),
                   coalesce(sum(u.stays_over_14_days), 0),
                   coalesce(sum(u.readings_expected), 0),
                   coalesce(sum(u.readings_received), 0),
                   coalesce(sum(u.admissions) FILTER (WHERE u.own_device), 0),
                   coalesce(sum(u.admissions) FILTER (WHERE NOT u.own_device), 0),
                   coalesce(sum(u.admissions) FILTER (WHERE u.broadband), 0),
                   coalesce(sum(u.admissions) FILTER (WHERE NOT u.broadband), 0)
            FROM {SCHEMA}.uptake u
            CROSS JOIN (SELECT max(id) AS id FROM {SCHEMA}.snapshots) s
            WHERE s.id IS NOT NULL
            GROUP BY 1, 2, 3"""  # noqa: S608 (fixed names)
    )


def downgrade() -> None:
    op.drop_table("uptake_totals", schema=SCHEMA)
