"""The audit use case: scope check, snapshot, reference areas, build, provenance."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.audit import repository
from services.equity_audit.audit.csv_out import render_csv
from services.equity_audit.audit.frame import Areas
from services.equity_audit.audit.html import render_html
from services.equity_audit.audit.inclusion import inclusion_section
from services.equity_audit.audit.report import CAVEATS, build_audit
from services.equity_audit.clients.ward_api import WardApiClient
from services.equity_audit.domain.disclosure import DEFAULT_POLICY
from services.equity_audit.settings import EquitySettings
from services.equity_audit.snapshots import service as snapshots
from shared.auth import Principal
from shared.problems import Forbidden, NotFound, ServiceUnavailable


@dataclass(frozen=True, slots=True)
class Rendered:
    """An audit in the format asked for: the body, its media type and a download name."""

    body: str | dict[str, Any]
    media_type: str
    filename: str | None = None


OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)


@dataclass(slots=True)
class AreaCache:
    """Reference areas, rebuilt only when the active datasets change."""

    key: tuple[int, ...] | None = None
    areas: Areas | None = None
    lock: asyncio.Lock | None = None


async def _areas(session: AsyncSession, cache: AreaCache, datasets: list[dict]) -> Areas:
    key = tuple(sorted(d["id"] for d in datasets))
    if cache.lock is None:
        cache.lock = asyncio.Lock()
    async with cache.lock:
        if cache.key != key or cache.areas is None:
            cache.areas = await repository.load_areas(session)
            cache.key = key
    return cache.areas


def resolve_scope(areas: Areas, icb: str | None, principal: Principal) -> str | None:
    """The ICB code (E54…) an audit covers, after checking the caller may see it."""
    if icb is None:
        if not principal.is_national:
            raise Forbidden(
                "an England-wide audit needs a national token; ask for one of your ICBs",
                slug="wrong-icb",
            )
        return None
    wanted = icb.strip().upper()
    code = next(
        (c for c, (ods, _) in areas.icb_names.items() if wanted in (c.upper(), ods.upper())), None
    )
    if code is None:
        # Unknown ICBs are refused like foreign ones to a scoped caller (no enumeration).
        if not principal.is_national and not principal.may_see_icb(wanted):
            raise Forbidden(f"this token is not scoped to ICB {icb}", slug="wrong-icb")
        raise NotFound(f"ICB {icb} is not in the reference geography", slug="icb-not-found")
    ods = areas.icb_names[code][0]
    if not (principal.may_see_icb(code) or principal.may_see_icb(ods)):
        raise Forbidden(f"this token is not scoped to ICB {icb}", slug="wrong-icb")
    return code


def visible_icbs(areas: Areas, principal: Principal) -> frozenset[str] | None:
    """The ICB codes (E54…) the caller may see, by either code; None when national (all)."""
    if principal.is_national:
        return None
    return frozenset(
        code
        for code, (ods, _) in areas.icb_names.items()
        if principal.may_see_icb(code) or principal.may_see_icb(ods)
    )


async def run_audit(
    session: AsyncSession,
    *,
    client: WardApiClient,
    settings: EquitySettings,
    cache: AreaCache,
    principal: Principal,
    icb: str | None,
    cut: str,
    from_month: str | None,
    to_month: str | None,
) -> dict[str, Any]:
    datasets = await repository.active_datasets(session)
    kinds = {d["kind"] for d in datasets}
    if not {"imd", "icb_lookup"} <= kinds:
        raise ServiceUnavailable(
            "reference data (IMD and geography) is not loaded",
            slug="reference-data-missing",
            headers={"Retry-After": "60"},
        )
    areas = await _areas(session, cache, datasets)
    scope = resolve_scope(areas, icb, principal)
    status = await snapshots.current(session, client, settings)
    uptake, months = await repository.load_uptake(
        session,
        areas,
        cut=cut,
        from_month=from_month,
        to_month=to_month,
        snapshot_id=status.snapshot.id,
    )
    built = await asyncio.to_thread(
        build_audit,
        areas,
        uptake,
        cut=cut,
        icb=scope,
        repetitions=settings.sii_repetitions,
        visible_icbs=visible_icbs(areas, principal),
    )
    synthetic = any(d["synthetic"] for d in datasets)
    scope_info: dict[str, Any] = {"level": "england", "name": "England"}
    if scope is not None:
        ods, name = areas.icb_names[scope]
        scope_info = {"level": "icb", "icb_code": scope, "icb_ods_code": ods, "name": name}
    attributions = list(dict.fromkeys([OGL_ATTRIBUTION, *(d["attribution"] for d in datasets)]))
    caveats = list(CAVEATS)
    if synthetic:
        caveats.insert(
            0,
            "SYNTHETIC reference data: the areas and populations in this audit were made up"
            " for demonstration and testing. Do not use it for decisions.",
        )
    if status.stale:
        caveats.insert(0, "ward_api could not be reached: this audit uses the last snapshot.")
    return {
        "title": f"Virtual ward equity audit: {scope_info['name']}",
        "generated_at": datetime.now(UTC).isoformat(),
        "synthetic": synthetic,
        "scope": scope_info,
        "period": {
            "from_month": from_month or (months[0] if months else None),
            "to_month": to_month or (months[-1] if months else None),
            "months_with_data": len(months),
        },
        "snapshot": status.as_dict(),
        "disclosure": {
            "threshold": DEFAULT_POLICY.threshold,
            "rounding_base": DEFAULT_POLICY.rounding_base,
            "symbol": DEFAULT_POLICY.symbol,
            "rule": "counts 1-7 hidden, others rounded to 5, secondary suppression; derived"
            " figures from published counts and hidden with them",
        },
        **built,
        "inclusion": await inclusion_section(client, scope),
        "datasets": [
            {
                "kind": d["kind"],
                "name": d["name"],
                "vintage": d["vintage"],
                "source": d["source"],
                "publisher": d["publisher"],
                "licence": d["licence"],
                "synthetic": d["synthetic"],
            }
            for d in datasets
        ],
        "caveats": caveats,
        "attribution": attributions,
    }


def render(result: dict[str, Any], *, cut: str, format: str) -> Rendered:
    """The audit as JSON, or a CSV download or an HTML page of the same answer."""
    name = f"equity-audit-{result['scope'].get('icb_ods_code', 'england')}-{cut}"
    if format == "csv":
        return Rendered(render_csv(result), "text/csv; charset=utf-8", f"{name}.csv")
    if format == "html":
        return Rendered(render_html(result), "text/html; charset=utf-8")
    return Rendered(result, "application/json")
