"""What to paste to see the demo working: caseloads, capacity and equity reports, API docs."""

from __future__ import annotations

from collections.abc import Sequence

from vward.demo.world import WARD_TYPES, DemoConfig, WardSim


def where_to_look(config: DemoConfig, wards: Sequence[WardSim]) -> list[str]:
    """Commands a newcomer can paste to see the caseloads, capacity and equity reports."""
    urls = config.urls
    icbs = list(dict.fromkeys(w.icb.code for w in wards))
    mint = ".venv/bin/vward token"
    lines = ["Caseloads (highest risk first), one ward per ICB:"]
    for ward in wards[:: len(WARD_TYPES)]:
        lines.append(
            f'  curl -s -H "Authorization: Bearer $({mint} --role clinician --ward {ward.id})"'
            f" {urls.ward_api}/v1/wards/{ward.id}/caseload"
        )
    lines.append("Capacity against the 40-50 beds per 100,000 band:")
    for icb in icbs:
        lines.append(
            f'  curl -s -H "Authorization: Bearer $({mint} --role commissioner --icb {icb})"'
            f' "{urls.ward_api}/v1/capacity?level=icb&code={icb}"'
        )
    lines.append("Costed inclusion plan (beds and inclusion side by side, per ICB):")
    scope = " ".join(f"--icb {icb}" for icb in icbs)
    body = (
        '{"new_beds": '
        + str(10 * len(icbs))
        + ', "include_inclusion": true, "icb_codes": ['
        + ", ".join(f'"{icb}"' for icb in icbs)
        + "]}"
    )
    lines.append(
        f'  curl -s -H "Authorization: Bearer $({mint} --role commissioner {scope})"'
        f" -H 'Content-Type: application/json' -d '{body}'"
        f' "{urls.ward_api}/v1/capacity/plans"'
    )
    if icbs:
        lines.append(
            f'  curl -s -H "Authorization: Bearer $({mint} --role commissioner --icb {icbs[0]})"'
            f' "{urls.ward_api}/v1/inclusion/need?icb={icbs[0]}&beds=10"'
        )
    lines.append("Equity audit (HTML; England needs --icb '*'):")
    for icb in icbs:
        lines.append(
            f'  curl -s -H "Authorization: Bearer $({mint} --role commissioner --icb {icb})"'
            f' "{urls.equity_audit}/v1/audit?icb={icb}&format=html" > equity_{icb}.html'
        )
    if config.out_dir is not None:
        lines.append(f"  (saved at each refresh: {config.out_dir}/equity_*.html)")
    docs = (urls.ward_api, urls.monitoring_ingest, urls.equity_audit)
    lines.append("API docs: " + "  ".join(f"{url}/docs" for url in docs))
    return lines
