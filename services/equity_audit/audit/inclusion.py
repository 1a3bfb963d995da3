"""The audit's "what inclusion would cost here" section, from ward_api (issue #15).

ward_api owns the costing (its admissions, unit costs and partners); the audit shows its
figures for BEDS new beds in the ICB. Everything shown is identifier-free: shares, expected
admissions and pounds, never a count of patients. If ward_api cannot answer, the section says
so and the rest of the audit stands.
"""

from __future__ import annotations

from typing import Any

from services.equity_audit.clients.ward_api import WardApiClient
from shared.http_client import PeerError, PeerUnavailable

BEDS = 10


async def inclusion_section(client: WardApiClient, icb: str | None) -> dict[str, Any]:
    if icb is None:
        return {"available": False, "reason": "ask for one ICB to see what inclusion would cost"}
    try:
        area = await client.inclusion_need(icb=icb, beds=BEDS)
    except (PeerError, PeerUnavailable) as exc:
        return {"available": False, "reason": f"ward_api could not cost inclusion: {exc}"}
    return {
        "available": True,
        "beds": BEDS,
        "expected_admissions": area["expected"]["admissions"],
        "expected_working": area["expected"]["working"],
        "beds_cost_gbp": area["beds_cost_gbp"],
        "inclusion_cost_gbp": area["inclusion_cost_gbp"],
        "inclusion_cost_lower_gbp": area["inclusion_cost_lower_gbp"],
        "inclusion_cost_upper_gbp": area["inclusion_cost_upper_gbp"],
        "inclusion_cost_per_bed_gbp": area["inclusion_cost_per_bed_gbp"],
        "core20": area["core20"],
        "voluntary": area["voluntary"],
        "needs": [
            {
                k: n[k]
                for k in (
                    "need",
                    "share",
                    "share_lower",
                    "share_upper",
                    "source",
                    "admissions",
                    "cost_gbp",
                    "working",
                )
            }
            for n in area["needs"]
        ],
        "attribution": area["attribution"],
    }
