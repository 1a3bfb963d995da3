"""The demo's wards in ward_api: created once, reused by name, emptied before a run."""

from __future__ import annotations

from vward.demo.client import ApiError, DemoClient
from vward.demo.stats import DemoStats
from vward.demo.world import PROVIDER, WardSim


async def ensure_ward(client: DemoClient, ward: WardSim, beds: int, stats: DemoStats) -> None:
    """Create the ward, or reuse the one of that name from an earlier run, open and resized."""
    existing = next((w for w in await client.wards(ward.icb.code) if w["name"] == ward.name), None)
    if existing is None:
        created = await client.create_ward(
            {
                "name": ward.name,
                "icb_code": ward.icb.code,
                "provider_ods_code": PROVIDER[0],
                "provider_name": PROVIDER[1],
                "pathways": list(ward.pathways),
                "beds": beds,
                "reason": "vward demo: initial commissioned capacity",
            }
        )
        ward.id, ward.beds = created["id"], created["beds"]
        return
    ward.id, ward.beds = existing["id"], existing["beds"]
    if existing["status"] != "open":
        await client.reopen_ward(ward.id)
    if existing["beds"] != beds:
        try:
            changed = await client.change_capacity(ward.id, beds, "vward demo: resized")
            ward.beds = changed["beds"]
        except ApiError as exc:
            stats.error("resize ward", exc)


async def clear_ward(client: DemoClient, ward: WardSim) -> None:
    """Discharge what an interrupted earlier run left on the ward (and its wait-list)."""
    for _ in range(50):
        items = (await client.caseload(ward.id))["items"]
        if not items:
            return
        for item in items:
            try:
                await client.discharge(str(item["admission_id"]), "completed")
            except ApiError as exc:
                if exc.slug != "already-discharged":
                    raise
