"""Capacity per area against the 40–50 band, from published sitrep months or live wards.

Which source wins, per ICB and date `at`:

1. a month NHS England published (July 2023 onwards, plus months loaded later) is served as
   published: beds, patients and the GP-registered denominator of that month;
2. after the last published month, an ICB with wards configured here is served live: beds in
   force at `at` from each ward's capacity history, patients on a ward at `at`, and the newest
   denominator in force (GP-registered first, else ONS mid-year);
3. otherwise the last published month is carried forward and flagged `carried_forward`.

Per-100k, band status, shortfalls and their cost come from domain/capacity.py, exactly; the
`*_shown` figures are rounded half-up to the month's published precision (1 dp when live).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import may_see_icb, require_icb
from services.ward_api.capacity import repository
from services.ward_api.capacity.models import SitrepMonth
from services.ward_api.capacity.schemas import (
    AreaCapacityOut,
    CapacityReport,
    HistoryReport,
    Level,
    PublishedFigures,
    Source,
)
from services.ward_api.domain.capacity import (
    Denominator,
    PopulationBasis,
    assess_capacity,
    round_half_up,
)
from services.ward_api.domain.sitrep import ENGLAND_CODE
from services.ward_api.domain.sources import OGL_ATTRIBUTION
from services.ward_api.geography import service as geography
from services.ward_api.geography.models import Icb, PopulationDenominator
from shared.auth import Principal
from shared.problems import Forbidden, NotFound

RULE = __doc__.split("\n\n")[1] if __doc__ else ""
LIVE_PLACES = 1
SIX = 6


def moment_of(at: date) -> datetime:
    """End of `at` (UTC), or now when `at` is today or later."""
    end = datetime.combine(at, time.max, tzinfo=UTC)
    return min(end, datetime.now(UTC))


def pick_denominator(
    candidates: Sequence[PopulationDenominator], at: date, basis: PopulationBasis | None
) -> Denominator | None:
    usable = [d for d in candidates if basis is None or d.basis == basis]
    in_force = [d for d in usable if d.effective <= at] or usable
    if not in_force:
        return None
    best = max(in_force, key=lambda d: (d.basis != PopulationBasis.ONS_MID_YEAR, d.effective))
    return Denominator(best.population, PopulationBasis(best.basis), best.effective, best.source)


def _figures(
    *,
    code: str,
    ods_code: str,
    name: str,
    source: Source,
    beds: int,
    patients: int | None,
    denominator: Denominator,
    places: tuple[int, int],
    cost_per_bed: Decimal,
    period: str | None = None,
    carried_forward: bool = False,
    wards: int | None = None,
    published: PublishedFigures | None = None,
) -> AreaCapacityOut:
    area = assess_capacity(code, beds, denominator, patients=patients, cost_per_bed=cost_per_bed)
    occupancy = area.occupancy_pct
    return AreaCapacityOut(
        code=code,
        ods_code=ods_code,
        name=name,
        source=source,
        period=period,
        carried_forward=carried_forward,
        wards=wards,
        beds=beds,
        population=denominator.population,
        population_basis=denominator.basis,
        population_effective=denominator.effective,
        beds_per_100k=round_half_up(area.per_100k, SIX),
        beds_per_100k_shown=round_half_up(area.per_100k, places[0]),
        status=area.status,
        beds_short_of_40=area.short_of_lower,
        beds_short_of_50=area.short_of_upper,
        cost_per_bed_gbp=cost_per_bed,
        cost_to_40_gbp=area.cost_to_lower,
        cost_to_50_gbp=area.cost_to_upper,
        patients=patients,
        occupancy_pct=None if occupancy is None else round_half_up(occupancy, SIX),
        occupancy_pct_shown=None if occupancy is None else round_half_up(occupancy, places[1]),
        published=published,
    )


def _from_sitrep(
    row: SitrepMonth,
    places: tuple[int, int],
    cost_per_bed: Decimal,
    denominator: Denominator | None,
    carried_forward: bool,
) -> AreaCapacityOut:
    own = Denominator(
        row.population, PopulationBasis(row.basis), row.basis_effective, row.basis_label
    )
    return _figures(
        code=row.area_code,
        ods_code=row.ods_code,
        name=row.name,
        source=Source.SITREP,
        beds=row.capacity,
        patients=row.patients,
        denominator=denominator or own,
        places=places,
        cost_per_bed=cost_per_bed,
        period=row.period,
        carried_forward=carried_forward,
        published=PublishedFigures(
            capacity_per_100k=row.capacity_per_100k,
            occupancy_pct=row.occupancy_pct,
            occupancy_note=row.occupancy_note,
            published=row.published,
            population_basis_label=row.basis_label,
        ),
    )


async def _all_denominators(session: AsyncSession) -> dict[str, list[PopulationDenominator]]:
    found: dict[str, list[PopulationDenominator]] = {}
    for d in (await session.scalars(select(PopulationDenominator))).all():
        found.setdefault(d.area_code, []).append(d)
    return found


async def assess_icbs(
    session: AsyncSession,
    *,
    at: date,
    cost_per_bed: Decimal,
    basis: PopulationBasis | None = None,
) -> list[AreaCapacityOut]:
    """Capacity of every ICB at `at`, by the source rule in the module docstring."""
    icbs = await geography.repository.list_icbs(session)
    periods = await repository.periods(session)
    wanted = at.strftime("%Y-%m")
    period = max((p for p in periods if p <= wanted), default=None)
    exact = period == wanted
    rows = {r.area_code: r for r in await repository.month(session, period)} if period else {}
    precision = await repository.precision(session)
    denominators = await _all_denominators(session)
    moment = moment_of(at)
    live_beds = await repository.live_beds_by_icb(session, moment)
    live_patients = await repository.live_patients_by_icb(session, moment)
    areas = []
    for icb in icbs:
        chosen = (
            None if basis is None else pick_denominator(denominators.get(icb.code, []), at, basis)
        )
        row = rows.get(icb.code)
        if row is not None and (exact or icb.code not in live_beds):
            places = precision.get(row.period, (LIVE_PLACES, LIVE_PLACES))
            areas.append(_from_sitrep(row, places, cost_per_bed, chosen, not exact))
            continue
        denominator = chosen or pick_denominator(denominators.get(icb.code, []), at, None)
        if denominator is None:
            continue
        beds, wards = live_beds.get(icb.code, (0, 0))
        areas.append(
            _figures(
                code=icb.code,
                ods_code=icb.ods_code,
                name=icb.name,
                source=Source.LIVE,
                beds=beds,
                patients=live_patients.get(icb.code, 0),
                denominator=denominator,
                places=(LIVE_PLACES, LIVE_PLACES),
                cost_per_bed=cost_per_bed,
                wards=wards,
            )
        )
    return areas


def _national(
    areas: Sequence[AreaCapacityOut],
    england: SitrepMonth | None,
    places: tuple[int, int],
    cost_per_bed: Decimal,
) -> AreaCapacityOut:
    """England as the sum of its ICBs; published figures attached when all come from one month."""
    sources = {a.source for a in areas}
    periods = {a.period for a in areas}
    bases = {(a.population_basis, a.population_effective) for a in areas}
    basis, effective = sorted(bases)[0]
    patients = [a.patients for a in areas if a.patients is not None]
    published = None
    single_month = sources == {Source.SITREP} and len(periods) == 1
    if single_month and england is not None:
        published = _from_sitrep(england, places, cost_per_bed, None, False).published
    return _figures(
        code=ENGLAND_CODE,
        ods_code="ENGLAND",
        name="England",
        source=Source.SITREP if single_month else Source.COMBINED,
        beds=sum(a.beds for a in areas),
        patients=sum(patients),
        denominator=Denominator(
            sum(a.population for a in areas),
            basis,
            effective,
            "sum of ICB denominators" + ("" if len(bases) == 1 else " (mixed bases)"),
        ),
        places=places if single_month else (LIVE_PLACES, LIVE_PLACES),
        cost_per_bed=cost_per_bed,
        period=next(iter(periods)) if single_month else None,
        carried_forward=any(a.carried_forward for a in areas),
        wards=None,
        published=published,
    )


async def capacity_report(
    session: AsyncSession,
    principal: Principal,
    *,
    level: Level,
    code: str | None,
    at: date | None,
    basis: PopulationBasis | None,
    cost_per_bed: Decimal,
) -> CapacityReport:
    """National total or per-ICB capacity, limited to the ICBs the caller may see."""
    at = at or datetime.now(UTC).date()
    areas = await assess_icbs(session, at=at, cost_per_bed=cost_per_bed, basis=basis)
    if level is Level.NATIONAL:
        if not principal.is_national:
            raise Forbidden("the national view needs a national token", slug="wrong-icb")
        period = areas[0].period if areas else None
        england = None
        precision = await repository.precision(session)
        places = precision.get(period or "", (LIVE_PLACES, LIVE_PLACES))
        if period is not None:
            england = next(
                (r for r in await repository.month(session, period) if r.area_code == ENGLAND_CODE),
                None,
            )
        result = [_national(areas, england, places, cost_per_bed)] if areas else []
    elif code is not None:
        icb = await geography.get_icb_or_raise(session, code)
        require_icb(principal, icb.code, icb.ods_code)
        result = [a for a in areas if a.code == icb.code]
    else:
        result = [a for a in areas if may_see_icb(principal, a.code, a.ods_code)]
    published = any(a.published is not None for a in result)
    return CapacityReport(
        level=level,
        at=at,
        rule=RULE,
        attribution=OGL_ATTRIBUTION if published else None,
        areas=result,
    )


async def history(
    session: AsyncSession, principal: Principal, *, code: str, cost_per_bed: Decimal
) -> HistoryReport:
    """Every published month for an ICB (or England), then today's live figures if any wards."""
    if code in (ENGLAND_CODE, "ENGLAND"):
        if not principal.is_national:
            raise Forbidden("England's history needs a national token", slug="wrong-icb")
        icb: Icb | None = None
        area_code = ENGLAND_CODE
    else:
        icb = await geography.get_icb_or_raise(session, code)
        require_icb(principal, icb.code, icb.ods_code)
        area_code = icb.code
    precision = await repository.precision(session)
    rows = await repository.area_history(session, area_code)
    if not rows and icb is None:
        raise NotFound("no published history for England", slug="capacity-history-not-found")
    points = [
        _from_sitrep(r, precision.get(r.period, (1, 1)), cost_per_bed, None, False) for r in rows
    ]
    if icb is not None:
        today = datetime.now(UTC).date()
        live = await repository.live_beds_by_icb(session, moment_of(today))
        if icb.code in live:
            current = await assess_icbs(session, at=today, cost_per_bed=cost_per_bed)
            points.extend(a for a in current if a.code == icb.code and a.source is Source.LIVE)
    note = (
        "The published denominator changes in April 2024 from GP-registered 16+ (April 2023) "
        "to GP-registered all ages (April 2024): per-100k rates are not comparable across it."
    )
    return HistoryReport(
        code=area_code, attribution=OGL_ATTRIBUTION if rows else None, note=note, points=points
    )
