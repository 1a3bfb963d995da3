"""NHS England-style monthly sitrep per ICB, and de-identified admission aggregates."""

from __future__ import annotations

import calendar
import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import may_see_icb
from services.ward_api.admissions.models import Admission, Patient
from services.ward_api.capacity.service import assess_icbs
from services.ward_api.domain.length_of_stay import is_long_stay
from services.ward_api.domain.sources import OGL_ATTRIBUTION
from services.ward_api.exports.schemas import (
    AggregateReport,
    AggregateRow,
    SitrepExport,
    SitrepExportRow,
)
from services.ward_api.wards.models import Ward
from shared.auth import Principal
from shared.problems import Unprocessable


async def sitrep(
    session: AsyncSession, principal: Principal, *, period: str, cost_per_bed: Decimal
) -> SitrepExport:
    """One row per ICB the caller may see, for the month (published figures where they exist)."""
    try:
        year, month = (int(p) for p in period.split("-"))
        end = date(year, month, calendar.monthrange(year, month)[1])
    except ValueError as exc:
        raise Unprocessable("period must be YYYY-MM", slug="invalid-period") from exc
    areas = await assess_icbs(session, at=end, cost_per_bed=cost_per_bed)
    rows = [
        SitrepExportRow(
            period=a.period if a.period and not a.carried_forward else period,
            icb_code=a.code,
            icb_ods_code=a.ods_code,
            icb_name=a.name,
            source=str(a.source) + (" (carried forward)" if a.carried_forward else ""),
            capacity=a.beds,
            population=a.population,
            population_basis=str(a.population_basis),
            capacity_per_100k=a.beds_per_100k_shown,
            patients=a.patients,
            occupancy_pct=a.occupancy_pct_shown,
        )
        for a in areas
        if may_see_icb(principal, a.code, a.ods_code)
    ]
    published = any(a.published is not None for a in areas)
    return SitrepExport(
        period=period, attribution=OGL_ATTRIBUTION if published else None, rows=rows
    )


def to_csv(export: SitrepExport) -> str:
    out = io.StringIO()
    fields = list(SitrepExportRow.model_fields)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in export.rows:
        writer.writerow({k: "" if v is None else v for k, v in row.model_dump().items()})
    if export.attribution:
        out.write(f"# {export.attribution}\n")
    return out.getvalue()


LONDON = ZoneInfo("Europe/London")


def local_date(moment: datetime) -> date:
    """The calendar date in England (Europe/London) at an instant: what a clinician writes down.

    An admission at 23:30 UTC in summer is already the next day in London (BST), so its month,
    its [from, to) window and the patient's age are all taken from the London date.
    """
    return moment.astimezone(LONDON).date()


def age_on(date_of_birth: date, on: date) -> int:
    """Completed years on `on` (born 29 February: a year older on 1 March in other years)."""
    return (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )


def age_band(date_of_birth: date, on: date) -> str:
    """5-year bands 0-4 … 85-89, then 90+ (2013 European Standard Population)."""
    age = age_on(date_of_birth, on)
    if age >= 90:
        return "90+"
    low = max(age, 0) // 5 * 5
    return f"{low}-{low + 4}"


async def admission_aggregates(session: AsyncSession, *, start: date, end: date) -> AggregateReport:
    """Admissions whose admission date (London) is in [start, end), grouped; no identifiers.

    Age is the patient's age on that London date, not today's age nor the UTC date's.
    """
    lower = datetime.combine(start, datetime.min.time(), tzinfo=LONDON)
    upper = datetime.combine(end, datetime.min.time(), tzinfo=LONDON)
    query = (
        select(Admission, Patient, Ward.icb_code)
        .join(Patient, Patient.id == Admission.patient_id)
        .join(Ward, Ward.id == Admission.ward_id)
        .where(Admission.admitted_at >= lower, Admission.admitted_at < upper)
    )
    groups: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for admission, patient, icb_code in (await session.execute(query)).all():
        admitted_on = local_date(admission.admitted_at)
        key = (
            admitted_on.strftime("%Y-%m"),
            icb_code,
            patient.lsoa11cd,
            age_band(patient.date_of_birth, admitted_on),
            patient.sex,
            patient.ethnic_category,
            admission.pathway,
            admission.outcome or "ongoing",
            patient.own_device,
            patient.broadband,
            patient.housing_concern,
        )
        los = admission.length_of_stay_days or 0
        g = groups[key]
        g[0] += 1
        g[1] += los
        g[2] += int(admission.length_of_stay_days is not None and is_long_stay(los))
        g[3] += int(admission.outcome == "escalated_to_hospital")
        g[4] += admission.readings_expected
        g[5] += admission.readings_received
    names = [
        "month",
        "icb_code",
        "lsoa11cd",
        "age_band",
        "sex",
        "ethnic_category",
        "pathway",
        "outcome",
        "own_device",
        "broadband",
        "housing_concern",
    ]
    rows = [
        AggregateRow(
            **dict(zip(names, key, strict=True)),
            admissions=g[0],
            los_days_sum=g[1],
            stays_over_14_days=g[2],
            escalations=g[3],
            readings_expected=g[4],
            readings_received=g[5],
        )
        for key, g in sorted(groups.items(), key=lambda kv: tuple(map(str, kv[0])))
    ]
    return AggregateReport(generated_at=datetime.now(UTC), from_=start, to=end, rows=rows)
