"""The wards of one ICB as planning areas: beds in force and the population each one serves.

A ward's catchment is either the sub-ICB locations it serves, whose denominators in force at
the plan's date are summed, or a population given outright on a named basis. Rates on
different bases are not comparable (domain/geography.py), so a plan whose wards would mix
bases is refused rather than ranked. Catchments may overlap (two wards serving one place):
each ward's rate is still its beds over its own catchment, and the plan notes the overlap.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import require_icb
from services.ward_api.capacity.service import moment_of, pick_denominator
from services.ward_api.domain.capacity import Denominator, PopulationBasis
from services.ward_api.domain.planning import PlanningArea
from services.ward_api.geography import repository as geography
from services.ward_api.geography import service as geography_service
from services.ward_api.wards import repository as wards
from services.ward_api.wards.models import Ward
from shared.auth import Principal
from shared.problems import NotFound, Unprocessable

# Most specific first, as capacity/service.py prefers GP-registered lists to ONS estimates.
BASIS_PREFERENCE = (
    PopulationBasis.GP_REGISTERED_ALL_AGES,
    PopulationBasis.GP_REGISTERED_16_PLUS,
    PopulationBasis.ONS_MID_YEAR,
)


@dataclass(frozen=True, slots=True)
class WardArea:
    """A ward ready to plan: the domain's area plus where its population came from."""

    area: PlanningArea
    denominator: Denominator
    sub_icb_codes: list[str] | None


@dataclass(frozen=True, slots=True)
class WardPlanning:
    icb_code: str
    areas: list[WardArea]
    notes: list[str]


def _common_basis(by_code: dict[str, list], codes: set[str], at: date) -> PopulationBasis | None:
    """The preferred basis every one of the sub-ICB locations has a denominator on."""
    for basis in BASIS_PREFERENCE:
        if all(pick_denominator(by_code.get(c, []), at, basis) for c in codes):
            return basis
    return None


async def ward_areas(
    session: AsyncSession,
    principal: Principal,
    *,
    icb: str,
    ward_ids: list[uuid.UUID] | None,
    at: date,
) -> WardPlanning:
    """The ICB's wards (or the chosen ones) with beds at `at` and catchment populations."""
    found = await geography_service.get_icb_or_raise(session, icb)
    require_icb(principal, found.code, found.ods_code)
    chosen: list[Ward] = await wards.wards_in_icb(session, found.code)
    beds = await wards.beds_at(session, [w.id for w in chosen], moment_of(at))
    chosen = [w for w in chosen if w.id in beds]  # not yet commissioned at `at`: left out
    if ward_ids is not None:
        wanted = set(ward_ids)
        missing = sorted(str(w) for w in wanted - {w.id for w in chosen})
        if missing:
            raise NotFound(
                f"not open wards of ICB {found.code} at {at}: {missing}",
                slug="ward-not-found",
                ward_ids=missing,
            )
        chosen = [w for w in chosen if w.id in wanted]
    if not chosen:
        raise Unprocessable(f"ICB {found.code} has no wards to plan for", slug="plan-has-no-areas")
    areas_by_ward = await wards.catchment_areas(session, [w.id for w in chosen])
    without = [str(w.id) for w in chosen if w.id not in areas_by_ward and w.catchment_basis is None]
    if without:
        raise Unprocessable(
            "every ward needs a catchment (sub-ICB locations or a population with its basis)",
            slug="ward-catchment-missing",
            ward_ids=without,
        )
    codes = {c for cs in areas_by_ward.values() for c in cs}
    by_code: dict[str, list] = {}
    for d in await geography.denominators(session, sorted(codes)):
        by_code.setdefault(d.area_code, []).append(d)
    basis = _common_basis(by_code, codes, at) if codes else None
    if codes and basis is None:
        raise Unprocessable(
            "the catchments' sub-ICB locations share no population basis",
            slug="catchment-bases-differ",
        )
    areas = []
    for ward in chosen:
        sub_icbs = areas_by_ward.get(ward.id)
        if sub_icbs:
            parts = [pick_denominator(by_code[c], at, basis) for c in sub_icbs]
            denominator = Denominator(
                sum(p.population for p in parts if p),
                basis,  # type: ignore[arg-type]
                max(p.effective for p in parts if p),
                f"sum of {len(sub_icbs)} sub-ICB location(s)",
            )
        else:
            denominator = Denominator(
                ward.catchment_population or 0,
                PopulationBasis(str(ward.catchment_basis)),
                ward.catchment_effective,  # type: ignore[arg-type]
                ward.catchment_source or "given with the ward",
            )
        area = PlanningArea(str(ward.id), beds[ward.id], denominator.population, ward.name)
        areas.append(WardArea(area, denominator, sub_icbs))
    bases = {a.denominator.basis for a in areas}
    if len(bases) > 1:
        raise Unprocessable(
            "ward catchments are on different population bases; rates on them are not "
            "comparable (give every ward the same basis)",
            slug="catchment-bases-differ",
            bases={a.area.code: str(a.denominator.basis) for a in areas},
        )
    shared = sorted(
        c for c, n in Counter(c for cs in areas_by_ward.values() for c in cs).items() if n > 1
    )
    notes = []
    if shared:
        notes.append(
            f"catchments overlap in {', '.join(shared)}: each ward's rate is over its own "
            "catchment, so the people there are counted once per ward"
        )
    return WardPlanning(found.code, areas, notes)
