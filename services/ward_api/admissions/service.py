"""Patients, admissions into beds, wait-lists and discharges.

Beds never overbook: admitting and discharging take the ward's row lock (SELECT … FOR
UPDATE), so they run one at a time per ward, and partial unique indexes on open admissions
(one per bed, one per patient) back that up in the database.

When a discharge frees a bed, the head of the ward's wait-list (domain/waitlist.py order:
urgency, referral time, Core20 residence) is admitted into it in the same transaction:
referrals to a virtual ward are already clinically accepted, so offering the bed and waiting
for an answer would only leave it empty. Wait-listed patients already on another ward are
skipped.

An admission may be recorded late, with the time it really happened (`admitted_at`), so its
length of stay, long-stay flag and monthly aggregates are right. Beds are still allocated on
their current occupancy (domain/beds.py): a late admission takes a bed free now that has been
free since its admission time, so no two stays in one bed ever overlap; nor may the patient's
own stays overlap. The audit log records who entered it, when, and how late.

Device binding goes through an outbox: the admission (or discharge) writes a bind (or unbind)
command in its own transaction and answers `pending` (or `unbind_pending`) at once; the
binding worker (bindings/worker.py) calls monitoring_ingest afterwards, with no ward lock
held, retrying until it is delivered or refused. So a slow or absent peer never holds up a
ward, and a binding is never forgotten.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import require_ward
from services.ward_api.admissions import repository
from services.ward_api.admissions.models import Admission, Patient, WaitlistEntry
from services.ward_api.admissions.schemas import (
    AdmissionOut,
    AdmissionRequest,
    DischargeOut,
    DischargeRequest,
    PatientCreate,
    PatientOut,
    WaitlistEntryOut,
)
from services.ward_api.audit import service as audit
from services.ward_api.bindings import service as bindings
from services.ward_api.domain.beds import choose_bed
from services.ward_api.domain.length_of_stay import length_of_stay_days, measure_stay
from services.ward_api.domain.nhs_number import check_nhs_number
from services.ward_api.domain.waitlist import Urgency, is_core20, order_waitlist
from services.ward_api.domain.waitlist import WaitlistEntry as DomainEntry
from services.ward_api.events import service as events
from services.ward_api.geography import repository as geography
from services.ward_api.wards import repository as wards
from services.ward_api.wards import service as ward_service
from services.ward_api.wards.models import Ward
from shared.auth import Principal
from shared.problems import Conflict, Forbidden, NotFound, Unprocessable

LONDON = ZoneInfo("Europe/London")
# Clock skew tolerated for times the client sends (as monitoring_ingest allows for readings).
MAX_FUTURE_SKEW = timedelta(minutes=5)


def _local_date(moment: datetime):
    return moment.astimezone(LONDON).date()


def admission_out(admission: Admission, *, now: datetime | None = None) -> AdmissionOut:
    """The admission with its day of stay and long-stay flag (past 14 days)."""
    now = now or datetime.now(UTC)
    end = admission.discharged_at
    stay = measure_stay(
        _local_date(admission.admitted_at),
        None if end is None else _local_date(end),
        as_of=max(_local_date(now), _local_date(admission.admitted_at)),
    )
    return AdmissionOut.model_validate(admission).model_copy(
        update={"day_of_stay": stay.days, "long_stay": stay.long_stay}
    )


async def _out_with_binding(session: AsyncSession, admission: Admission) -> AdmissionOut:
    """The admission with its binding commands (status, tries, next try, last error)."""
    out = admission_out(admission)
    return out.model_copy(update={"binding_commands": await bindings.commands(session, admission)})


# ---- patients -------------------------------------------------------------------------


async def create_patient(
    session: AsyncSession, principal: Principal, data: PatientCreate
) -> PatientOut:
    check = check_nhs_number(data.nhs_number)
    if check.normalised is None:
        raise Unprocessable(
            f"not a valid NHS number ({check.problem})",
            slug="invalid-nhs-number",
            reason=str(check.problem),
        )
    if await geography.get_lsoa(session, data.lsoa11cd) is None:
        raise Unprocessable(
            f"unknown LSOA {data.lsoa11cd}", slug="unknown-lsoa", lsoa11cd=data.lsoa11cd
        )
    existing = await repository.patient_by_nhs(session, check.normalised)
    if existing is not None:
        # The id lets the caller refer or admit the patient, so it is given unless the patient
        # is now on a ward outside the caller's scope (when admitting would fail anyway).
        current = await repository.open_admission(session, existing.id)
        shown = current is None or await _may_see_ward(session, principal, current.ward_id)
        detail = "a patient with this NHS number exists"
        if shown:
            raise Conflict(detail, slug="patient-exists", patient_id=str(existing.id))
        raise Conflict(detail, slug="patient-exists")
    patient = Patient(id=uuid.uuid4(), **{**data.model_dump(), "nhs_number": check.normalised})
    session.add(patient)
    await session.flush()
    await audit.record(
        session, principal, "create", "patient", entity_id=patient.id, patient_id=patient.id
    )
    return PatientOut.model_validate(patient)


async def ward_in_scope(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID, *, lock: bool
) -> Ward:
    """The ward, loaded from its owner (404 if none) and checked against the caller's scope."""
    ward = await ward_service.get_or_raise(session, ward_id, lock=lock)
    require_ward(principal, ward.id, ward.icb_code, await wards.icb_ods(session, ward.icb_code))
    return ward


async def _may_see_ward(session: AsyncSession, principal: Principal, ward_id: uuid.UUID) -> bool:
    """Whether the caller's scope covers the ward, so problems may name its records."""
    try:
        await ward_in_scope(session, principal, ward_id, lock=False)
    except (Forbidden, NotFound):  # a ward gone since is in nobody's scope; never say which
        return False
    return True


async def get_patient(
    session: AsyncSession, principal: Principal, patient_id: uuid.UUID
) -> PatientOut:
    """A patient, for clinicians whose scope covers a ward the patient was admitted to or awaits."""
    patient = await session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id}", slug="patient-not-found")
    allowed = False
    for ward_id in await repository.patient_wards(session, patient.id):
        try:
            await ward_in_scope(session, principal, ward_id, lock=False)
            allowed = True
            break
        except Forbidden:
            continue
    if not allowed and "*" not in principal.wards:
        raise Forbidden("this patient is on no ward in this token's scope", slug="wrong-ward")
    await audit.record(
        session, principal, "read", "patient", entity_id=patient.id, patient_id=patient.id
    )
    return PatientOut.model_validate(patient)


# ---- admissions -----------------------------------------------------------------------


class WardFull(Exception):
    """No free bed: the patient is on the wait-list at `position` (1-based)."""

    def __init__(self, entry: WaitlistEntry, position: int, beds: int) -> None:
        super().__init__("ward full")
        self.entry = entry
        self.position = position
        self.beds = beds


def _ordered(entries: list[WaitlistEntry]) -> list[WaitlistEntry]:
    by_id = {str(e.id): e for e in entries}
    domain = [
        DomainEntry(str(e.id), Urgency(e.urgency), e.referred_at, e.imd_decile) for e in entries
    ]
    return [by_id[d.id] for d in order_waitlist(domain)]


def _not_future(value: datetime | None, now: datetime, *, field: str, slug: str) -> datetime | None:
    """`value` clamped to now within the tolerated clock skew; 422 `slug` beyond it."""
    if value is None or value <= now:
        return value
    if value > now + MAX_FUTURE_SKEW:
        raise Unprocessable(
            f"{field} is in the future", slug=slug, field=field, now=now.isoformat()
        )
    return now


async def _place(
    session: AsyncSession,
    ward: Ward,
    *,
    patient_id: uuid.UUID,
    admitted_by: str,
    admitted_at: datetime,
    recorded_at: datetime,
    **fields: object,
) -> Admission | None:
    """Put the patient in the lowest bed of a locked ward free now and since `admitted_at`.

    None when the ward is full now; 409 `bed-not-free-since` when beds are free now but each
    held a stay after `admitted_at` (domain/beds.py).
    """
    choice = choose_bed(ward.beds, await repository.bed_last_ends(session, ward.id), admitted_at)
    if choice.full:
        return None
    if choice.bed is None:
        assert choice.free_from is not None
        raise Conflict(
            "every free bed held another patient after admitted_at; stays in one bed "
            "cannot overlap",
            slug="bed-not-free-since",
            admitted_at=admitted_at.isoformat(),
            earliest_admitted_at=choice.free_from.isoformat(),
        )
    admission = Admission(
        id=uuid.uuid4(),
        patient_id=patient_id,
        ward_id=ward.id,
        bed_number=choice.bed,
        admitted_at=admitted_at,
        recorded_at=recorded_at,
        admitted_by=admitted_by,
        binding_status="none",
        readings_expected=0,
        readings_received=0,
        **fields,
    )
    session.add(admission)
    await session.flush()
    return admission


async def admit(
    session: AsyncSession,
    principal: Principal,
    data: AdmissionRequest,
) -> AdmissionOut:
    """Admit into a free bed, or raise WardFull after putting the patient on the wait-list."""
    ward = await ward_in_scope(session, principal, data.ward_id, lock=True)
    _check_ward_accepts(ward, data)
    patient = await session.get(Patient, data.patient_id)
    if patient is None:
        raise NotFound(f"no patient {data.patient_id}", slug="patient-not-found")
    await _refuse_if_admitted(session, principal, ward, patient)
    now = datetime.now(UTC)
    admitted_at, referred_at = _admission_times(data, now)
    await _refuse_overlapping_stay(session, principal, ward, patient, admitted_at)
    device = data.device
    fields = {
        "pathway": str(data.pathway),
        "referral_source": str(data.referral_source),
        "urgency": str(data.urgency),
        "referred_at": referred_at,
        "device_vendor_id": device.vendor_id if device else None,
        "device_id": device.device_id if device else None,
        "expected_interval_minutes": device.expected_interval_minutes if device else None,
    }
    admission = await _place(
        session,
        ward,
        patient_id=patient.id,
        admitted_by=principal.subject,
        admitted_at=admitted_at,
        recorded_at=now,
        **fields,
    )
    if admission is None:
        await _wait_list(session, principal, ward, patient, fields)
    waiting = await repository.waiting_entry(session, ward.id, patient.id)
    if waiting is not None:
        waiting.status, waiting.admission_id = "admitted", admission.id
    await bindings.enqueue_bind(session, admission)
    await session.flush()
    detail: dict[str, object] = {"bed": admission.bed_number, "binding": admission.binding_status}
    if data.admitted_at is not None:
        # Who entered it (the actor), when (the event's time), and for when.
        late_by = now - admitted_at
        detail |= {
            "admitted_at": admitted_at.isoformat(),
            "recorded_at": now.isoformat(),
            "late_entry": late_by > MAX_FUTURE_SKEW,
            "late_by_minutes": int(late_by.total_seconds() // 60),
        }
    await audit.record(
        session, principal, "admit", "admission",
        entity_id=admission.id, patient_id=patient.id, ward_id=ward.id, detail=detail,
    )  # fmt: skip
    await events.record_admitted(session, admission)
    return await _out_with_binding(session, admission)


def _check_ward_accepts(ward: Ward, data: AdmissionRequest) -> None:
    """Refuse a ward that is not open or does not serve the requested pathway."""
    if ward.status != "open":
        raise Conflict(f"ward is {ward.status}", slug="ward-not-open", status_=ward.status)
    if str(data.pathway) not in ward.pathways:
        raise Unprocessable(
            f"ward does not serve the {data.pathway} pathway",
            slug="pathway-not-served",
            pathways=ward.pathways,
        )


async def _refuse_if_admitted(
    session: AsyncSession, principal: Principal, ward: Ward, patient: Patient
) -> None:
    """Refuse a patient already on a virtual ward, naming it only if the caller may see it."""
    current = await repository.open_admission(session, patient.id)
    if current is None:
        return
    if current.ward_id == ward.id or await _may_see_ward(session, principal, current.ward_id):
        raise Conflict(
            "the patient is already on a virtual ward",
            slug="already-admitted",
            admission_id=str(current.id),
            ward_id=str(current.ward_id),
        )
    # Another ward's admission: say so, but name none of it (issue #9 §4).
    raise Conflict("the patient is already on another virtual ward", slug="already-admitted")


def _admission_times(data: AdmissionRequest, now: datetime) -> tuple[datetime, datetime]:
    """When the patient was admitted and referred (default now and admitted_at), checked."""
    given = _not_future(data.admitted_at, now, field="admitted_at", slug="admission-in-future")
    admitted_at = given or now
    referred_at = (
        _not_future(data.referred_at, now, field="referred_at", slug="referral-in-future")
        or admitted_at
    )
    if admitted_at < referred_at:
        raise Unprocessable(
            "admitted_at is before referred_at",
            slug="admission-before-referral",
            admitted_at=admitted_at.isoformat(),
            referred_at=referred_at.isoformat(),
        )
    return admitted_at, referred_at


async def _refuse_overlapping_stay(
    session: AsyncSession,
    principal: Principal,
    ward: Ward,
    patient: Patient,
    admitted_at: datetime,
) -> None:
    """Refuse an admission before the end of an earlier stay, named only if visible."""
    earlier = await repository.stay_ending_after(session, patient.id, admitted_at)
    if earlier is None:
        return
    assert earlier.discharged_at is not None
    if earlier.ward_id == ward.id or await _may_see_ward(session, principal, earlier.ward_id):
        raise Conflict(
            "the patient was on a virtual ward after admitted_at; stays cannot overlap",
            slug="overlapping-stay",
            admission_id=str(earlier.id),
            discharged_at=earlier.discharged_at.isoformat(),
        )
    raise Conflict(
        "the patient was on another virtual ward after admitted_at; stays cannot overlap",
        slug="overlapping-stay",
    )


async def _wait_list(
    session: AsyncSession,
    principal: Principal,
    ward: Ward,
    patient: Patient,
    fields: dict[str, object],
) -> NoReturn:
    """Put the patient on the full ward's wait-list (once) and raise WardFull."""
    entry = await repository.waiting_entry(session, ward.id, patient.id)
    if entry is None:
        lsoa = await geography.get_lsoa(session, patient.lsoa11cd)
        entry = WaitlistEntry(
            id=uuid.uuid4(),
            ward_id=ward.id,
            patient_id=patient.id,
            imd_decile=lsoa.imd_decile if lsoa else None,
            created_by=principal.subject,
            status="waiting",
            **fields,
        )
        session.add(entry)
        await session.flush()
    ordered = _ordered(await repository.waiting(session, ward.id))
    position = next(i for i, e in enumerate(ordered, 1) if e.id == entry.id)
    await audit.record(
        session, principal, "waitlist", "waitlist_entry",
        entity_id=entry.id, patient_id=patient.id, ward_id=ward.id,
        detail={"position": position},
    )  # fmt: skip
    raise WardFull(entry, position, ward.beds)


async def _admit_from_waitlist(
    session: AsyncSession, principal: Principal, ward: Ward
) -> Admission | None:
    now = datetime.now(UTC)
    for entry in _ordered(await repository.waiting(session, ward.id)):
        if await repository.has_open_admission(session, entry.patient_id):
            continue
        admission = await _place(
            session,
            ward,
            patient_id=entry.patient_id,
            admitted_by=f"waitlist:{principal.subject}",
            admitted_at=now,
            recorded_at=now,
            pathway=entry.pathway,
            referral_source=entry.referral_source,
            urgency=entry.urgency,
            referred_at=entry.referred_at,
            device_vendor_id=entry.device_vendor_id,
            device_id=entry.device_id,
            expected_interval_minutes=entry.expected_interval_minutes,
        )
        if admission is None:
            return None
        entry.status, entry.admission_id = "admitted", admission.id
        await bindings.enqueue_bind(session, admission)
        await session.flush()
        await audit.record(
            session, principal, "admit_from_waitlist", "admission",
            entity_id=admission.id, patient_id=entry.patient_id, ward_id=ward.id,
        )  # fmt: skip
        return admission
    return None


async def discharge(
    session: AsyncSession,
    principal: Principal,
    admission_id: uuid.UUID,
    data: DischargeRequest,
) -> DischargeOut:
    found = await repository.get_admission(session, admission_id)
    if found is None:
        raise NotFound(f"no admission {admission_id}", slug="admission-not-found")
    ward = await ward_in_scope(session, principal, found.ward_id, lock=True)  # ward first, then row
    admission = await repository.get_admission(session, admission_id, lock=True)
    assert admission is not None
    if admission.discharged_at is not None:
        raise Conflict(
            "the admission was already discharged",
            slug="already-discharged",
            discharged_at=admission.discharged_at.isoformat(),
        )
    when = data.discharged_at or datetime.now(UTC)
    if when < admission.admitted_at:
        raise Unprocessable(
            "discharge time is before the admission",
            slug="discharge-before-admission",
            admitted_at=admission.admitted_at.isoformat(),
        )
    if when > datetime.now(UTC):
        raise Unprocessable("discharge time is in the future", slug="discharge-in-future")
    admission.discharged_at = when
    admission.outcome = str(data.outcome)
    admission.discharged_by = principal.subject
    admission.length_of_stay_days = length_of_stay_days(
        _local_date(admission.admitted_at), _local_date(when)
    )
    await bindings.enqueue_unbind(session, admission)
    await session.flush()
    await audit.record(
        session, principal, "discharge", "admission",
        entity_id=admission.id, patient_id=admission.patient_id, ward_id=ward.id,
        detail={"outcome": admission.outcome, "los_days": admission.length_of_stay_days},
    )  # fmt: skip
    head = await _admit_from_waitlist(session, principal, ward)
    await events.record_discharge(session, admission, head)
    return DischargeOut(
        admission=await _out_with_binding(session, admission),
        admitted_from_waitlist=None if head is None else await _out_with_binding(session, head),
    )


async def get_admission(
    session: AsyncSession, principal: Principal, admission_id: uuid.UUID
) -> AdmissionOut:
    admission = await repository.get_admission(session, admission_id)
    if admission is None:
        raise NotFound(f"no admission {admission_id}", slug="admission-not-found")
    await ward_in_scope(session, principal, admission.ward_id, lock=False)
    await audit.record(
        session, principal, "read", "admission",
        entity_id=admission.id, patient_id=admission.patient_id, ward_id=admission.ward_id,
    )  # fmt: skip
    return await _out_with_binding(session, admission)


async def waitlist(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID
) -> list[WaitlistEntryOut]:
    ward = await ward_in_scope(session, principal, ward_id, lock=False)
    ordered = _ordered(await repository.waiting(session, ward.id))
    await audit.record(session, principal, "read", "waitlist", entity_id=ward.id, ward_id=ward.id)
    return [
        WaitlistEntryOut(
            position=i,
            id=e.id,
            patient_id=e.patient_id,
            ward_id=e.ward_id,
            pathway=e.pathway,
            urgency=e.urgency,
            referred_at=e.referred_at,
            core20=is_core20(e.imd_decile),
        )
        for i, e in enumerate(ordered, 1)
    ]
