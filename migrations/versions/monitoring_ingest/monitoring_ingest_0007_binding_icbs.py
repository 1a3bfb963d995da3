"""monitoring_ingest: a binding carries its ward's ICB codes, as ward_api knows them.

Revision ID: monitoring_ingest_0007
Revises: monitoring_ingest_0006
Create Date: 2026-12-04

Scope checks on an admission's readings, NEWS2 and thresholds use the ward of its latest
binding; a clinician scoped to a whole ICB is admitted when the ward is in that ICB, the
same rule as ward_api's (`shared.auth.may_act_for_ward`). The ICB (ONS and ODS codes) comes
from ward_api with the binding. Bindings made before this revision carry none: only
ward-scoped clinicians reach them until they are bound again.
"""

from alembic import op

revision = "monitoring_ingest_0007"
down_revision = "monitoring_ingest_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE monitoring.bindings ADD COLUMN icb_codes varchar(20)[] NOT NULL DEFAULT '{}'"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE monitoring.bindings DROP COLUMN icb_codes")
