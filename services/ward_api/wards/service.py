"""Create and update virtual wards; change commissioned capacity as an appended history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import may_see_icb, require_ward
from services.ward_api.geography import repository as geography
from services.ward_api.wards import repository
from services.ward_api.wards.models import Ward, WardCapacityChange
from services.ward_api.wards.schemas import (
    CapacityChangeIn,
    CapacityChangeOut,
    Catchment,
    WardCreate,
    WardOut,
    WardUpdate,
)
from shared.auth import Principal, Role
from shared.problems import Conflict, NotFound, Unprocessable


async def get_or_raise(session: AsyncSession, ward_id: uuid.UUID, *, lock: bool = False) -> Ward:
    ward = await repository.get(session, ward_id, lock=lock)
    if ward is None:
        raise NotFound(f"no ward {ward_id}", slug="ward-not-found", ward_id=str(ward_id))
    return ward


async def get_visible(session: AsyncSession, principal: Principal, ward_id: uuid.UUID) -> Ward:
    """The ward, if the caller's token covers it (commissioners by ICB, clinicians by ward)."""
    ward = await get_or_raise(session, ward_id)
    ods = await repository.icb_ods(session, ward.icb_code)
    if principal.role == Role.commissioner:
        if not may_see_icb(principal, ward.icb_code, ods):
            require_ward(principal, ward.id, "", "")  # raises wrong-ward
    else:
        require_ward(principal, ward.id, ward.icb_code, ods)
    return ward


def catchment_of(ward: Ward, sub_icb_codes: list[str] | None) -> Catchment | None:
    """The ward's catchment as stored: its sub-ICB locations, or its named-basis population."""
    if sub_icb_codes:
        return Catchment(sub_icb_codes=sub_icb_codes)
    if ward.catchment_population is None:
        return None
    return Catchment(
        population=ward.catchment_population,
        basis=ward.catchment_basis,
        effective=ward.catchment_effective,
        source=ward.catchment_source,
    )


def _out(ward: Ward, occupied: int, sub_icb_codes: list[str] | None = None) -> WardOut:
    return WardOut.model_validate(ward).model_copy(
        update={"occupied": occupied, "catchment": catchment_of(ward, sub_icb_codes)}
    )


async def _set_catchment(session: AsyncSession, ward: Ward, catchment: Catchment | None) -> None:
    """Store the catchment (replacing any); sub-ICB locations must lie in the ward's ICB."""
    codes: list[str] = []
    if catchment is not None and catchment.sub_icb_codes is not None:
        wanted = sorted(set(catchment.sub_icb_codes))
        found = await repository.sub_icbs_in(session, ward.icb_code, wanted)
        known = {s.code for s in found} | {s.ods_code for s in found}
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise Unprocessable(
                f"not sub-ICB locations of ICB {ward.icb_code}: {unknown}",
                slug="unknown-sub-icb",
                sub_icb_codes=unknown,
            )
        codes = sorted({s.code for s in found})
    by_count = catchment is not None and catchment.population is not None
    ward.catchment_population = catchment.population if by_count else None  # type: ignore[union-attr]
    ward.catchment_basis = str(catchment.basis) if by_count else None  # type: ignore[union-attr]
    ward.catchment_effective = catchment.effective if by_count else None  # type: ignore[union-attr]
    ward.catchment_source = catchment.source if by_count else None  # type: ignore[union-attr]
    await repository.replace_catchment_areas(session, ward.id, codes)


async def _sub_icb_codes(session: AsyncSession, ward: Ward) -> list[str]:
    return (await repository.catchment_areas(session, [ward.id])).get(ward.id, [])


async def create(session: AsyncSession, principal: Principal, data: WardCreate) -> WardOut:
    icb = await geography.get_icb(session, data.icb_code)
    if icb is None:
        raise Unprocessable(
            f"no ICB with code {data.icb_code}", slug="unknown-icb", icb_code=data.icb_code
        )
    now = datetime.now(UTC)
    ward = Ward(
        id=uuid.uuid4(),
        name=data.name,
        icb_code=icb.code,
        provider_ods_code=data.provider_ods_code,
        provider_name=data.provider_name,
        pathways=sorted({str(p) for p in data.pathways}),
        operating_hours=data.operating_hours,
        status=str(data.status),
        beds=data.beds,
    )
    session.add(ward)
    await session.flush()
    await _set_catchment(session, ward, data.catchment)
    session.add(
        WardCapacityChange(
            ward_id=ward.id,
            beds=data.beds,
            previous_beds=None,
            effective_from=now,
            reason=data.reason,
            changed_by=principal.subject,
        )
    )
    await session.flush()
    await session.refresh(ward)
    return _out(ward, 0, await _sub_icb_codes(session, ward))


async def update(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID, data: WardUpdate
) -> WardOut:
    ward = await get_or_raise(session, ward_id, lock=True)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    changes.pop("catchment", None)
    if "catchment" in data.model_fields_set:
        await _set_catchment(session, ward, data.catchment)
    if "pathways" in changes:
        changes["pathways"] = sorted({str(p) for p in data.pathways or ()})
    if "status" in changes:
        changes["status"] = str(changes["status"])
        occupied = await repository.occupied(session, ward.id)
        if changes["status"] == "closed" and occupied:
            raise Conflict(
                f"ward has {occupied} patient(s) on it and cannot close",
                slug="ward-has-patients",
                occupied=occupied,
            )
    for name, value in changes.items():
        setattr(ward, name, value)
    await session.flush()
    await session.refresh(ward)
    occupied = await repository.occupied(session, ward.id)
    return _out(ward, occupied, await _sub_icb_codes(session, ward))


async def change_capacity(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID, data: CapacityChangeIn
) -> WardOut:
    """Append a capacity change; refuse a cut below the patients on the ward right now."""
    ward = await get_or_raise(session, ward_id, lock=True)  # no admission can slip in meanwhile
    occupied = await repository.occupied(session, ward.id)
    if data.beds < occupied:
        raise Conflict(
            f"cannot cut capacity to {data.beds}: {occupied} patient(s) are on the ward",
            slug="capacity-below-occupancy",
            requested_beds=data.beds,
            occupied=occupied,
            current_beds=ward.beds,
        )
    session.add(
        WardCapacityChange(
            ward_id=ward.id,
            beds=data.beds,
            previous_beds=ward.beds,
            effective_from=datetime.now(UTC),
            reason=data.reason,
            changed_by=principal.subject,
        )
    )
    ward.beds = data.beds
    await session.flush()
    await session.refresh(ward)
    return _out(ward, occupied, await _sub_icb_codes(session, ward))


async def get(session: AsyncSession, principal: Principal, ward_id: uuid.UUID) -> WardOut:
    ward = await get_visible(session, principal, ward_id)
    occupied = await repository.occupied(session, ward.id)
    return _out(ward, occupied, await _sub_icb_codes(session, ward))


async def list_wards(
    session: AsyncSession, principal: Principal, *, icb_code: str | None
) -> list[WardOut]:
    code = None
    if icb_code is not None:
        icb = await geography.get_icb(session, icb_code)
        if icb is None:
            raise NotFound(f"no ICB with code {icb_code}", slug="icb-not-found")
        code = icb.code
    rows = await repository.list_wards(session, icb_code=code)
    visible = [
        w
        for w, ods in rows
        if (principal.role == Role.commissioner and may_see_icb(principal, w.icb_code, ods))
        or (
            principal.role != Role.commissioner
            and (
                principal.may_see_ward(str(w.id), w.icb_code)
                or principal.may_see_ward(str(w.id), ods)
            )
        )
    ]
    ids = [w.id for w in visible]
    counts = await repository.occupancy(session, ids)
    areas = await repository.catchment_areas(session, ids)
    return [_out(w, counts.get(w.id, 0), areas.get(w.id)) for w in visible]


async def capacity_history(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID
) -> list[CapacityChangeOut]:
    ward = await get_visible(session, principal, ward_id)
    changes = await repository.capacity_history(session, ward.id)
    return [CapacityChangeOut.model_validate(c) for c in changes]
