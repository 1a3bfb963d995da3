"""A ward's caseload: patients on it with latest NEWS2 from monitoring_ingest, sorted by risk.

An incomplete set shows its lower bound ("at least N") and the risk it already reaches; one
that reaches no trigger has unknown risk (null, never "low") and sorts after the known ones.

If monitoring_ingest is down the caseload is still served, without vitals, and says so.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.admissions import repository
from services.ward_api.admissions.schemas import Caseload, CaseloadItem
from services.ward_api.admissions.service import admission_out, ward_in_scope
from services.ward_api.audit import service as audit
from services.ward_api.clients.monitoring_ingest import LatestVitals, MonitoringClient
from shared.auth import Principal
from shared.http_client import PeerError

RISK_RANK = {"high": 0, "medium": 1, "low_medium": 2, "low": 3, None: 4}


async def caseload(
    session: AsyncSession,
    principal: Principal,
    ward_id: uuid.UUID,
    *,
    monitoring: MonitoringClient,
) -> Caseload:
    ward = await ward_in_scope(session, principal, ward_id, lock=False)
    rows = await repository.caseload(session, ward.id)
    vitals: dict[uuid.UUID, LatestVitals] = {}
    available, note = True, None
    if rows:
        try:
            found = await monitoring.latest_vitals([a.id for a, _ in rows])
            vitals = {v.admission_id: v for v in found}
        except PeerError as exc:
            available, note = False, f"vitals unavailable: monitoring_ingest {exc.detail}"
    now = datetime.now(UTC)
    items = []
    for admission, open_alerts in rows:
        v = vitals.get(admission.id)
        out = admission_out(admission, now=now)
        last = v.last_reading_at if v else None
        items.append(
            CaseloadItem(
                admission_id=admission.id,
                patient_id=admission.patient_id,
                bed_number=admission.bed_number,
                pathway=admission.pathway,
                day_of_stay=out.day_of_stay,
                long_stay=out.long_stay,
                news2_score=v.news2_score if v else None,
                news2_at_least=v.news2_at_least if v else None,
                news2_complete=v.complete if v else None,
                risk=v.risk if v else None,
                last_reading_at=last,
                minutes_since_last_reading=None
                if last is None
                else int((now - last).total_seconds() // 60),
                open_alerts=open_alerts,
                binding_status=admission.binding_status,
            )
        )
    items.sort(
        key=lambda i: (
            RISK_RANK.get(i.risk, 4),
            -(i.news2_at_least if i.news2_at_least is not None else -1),
            -i.open_alerts,
            -i.day_of_stay,
        )
    )
    await audit.record(
        session, principal, "read", "caseload", entity_id=ward.id, ward_id=ward.id,
        detail={"patients": len(items)},
    )  # fmt: skip
    return Caseload(ward_id=ward.id, vitals_available=available, vitals_note=note, items=items)
