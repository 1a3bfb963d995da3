"""Assemble the whole audit from areas and uptake (pure; what the benchmark times)."""

from __future__ import annotations

from typing import Any

from services.equity_audit.audit.compute import group_counts, icb_need
from services.equity_audit.audit.frame import QUANTILE_CUTS, Areas, Uptake
from services.equity_audit.audit.publish import (
    core20,
    gradient,
    most_vs_least,
    need_funnel,
    publish_groups,
)
from services.equity_audit.domain.disclosure import DEFAULT_POLICY, DisclosurePolicy

CAVEATS = (
    "Crude rates are admissions per 100,000 residents over the audit period (not annualised);"
    " denominators are ONS mid-2019 LSOA population estimates of all ages.",
    "Age-standardised rates are not reported: the reference data holds all-ages LSOA"
    " populations only, with no age-specific denominators, so the 2013 European Standard"
    " Population cannot be applied (the Dobson method needs events and population per age"
    " band). Crude rates are therefore confounded by age structure, which differs between"
    " deprived and affluent areas.",
    "Cuts by ethnic category, age band and sex have no population denominators in the"
    " reference data: they report counts, shares and outcomes, not rates.",
    "Admissions are attributed by residence: to the patient's LSOA 2011 and through it to the"
    " sub-ICB and ICB of the July 2022 lookup. Admissions without a known LSOA are shown as"
    " 'unknown' and left out of area statistics.",
    "Escalation to hospital is the share of discharged admissions whose outcome was"
    " escalated_to_hospital; length of stay is the mean over discharged admissions.",
    "Monitoring completeness is readings received / readings expected (capped at 100%) for"
    " discharged admissions; its Wilson interval treats readings as independent and is too"
    " narrow, because readings cluster within patients.",
    "Disclosure control (NHS Digital convention): counts 1-7 are shown as *, other counts are"
    " rounded to the nearest 5, further cells are hidden so that no hidden count can be worked"
    " out from totals, and every rate, share and interval is computed from the published"
    " (rounded) counts and hidden with them.",
    "SII and RII follow PHEindicatormethods (Low & Low 2004): x runs from 0 (most deprived) to"
    " 1 (least deprived); a negative SII means higher rates in more deprived areas.",
)


def build_audit(
    areas: Areas,
    uptake: Uptake,
    *,
    cut: str,
    icb: str | None,
    repetitions: int = 100_000,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """Protected group table, inequality summary and the national need funnel."""
    rows, total = publish_groups(group_counts(areas, uptake, cut, icb), policy)
    if cut == "imd_quintile":
        quintiles = rows
    else:
        quintiles, _ = publish_groups(group_counts(areas, uptake, "imd_quintile", icb), policy)
    result: dict[str, Any] = {
        "cut": cut,
        "groups": rows,
        "total": total,
        "inequality": {
            "imd_quintile": gradient(quintiles, repetitions=repetitions, basis="imd_quintile"),
            "rate_ratio_most_vs_least_deprived": most_vs_least(quintiles),
            "core20": core20(quintiles),
            "imd_quintile_rates": [
                {
                    key: r[key]
                    for key in (
                        "group",
                        "label",
                        "population",
                        "admissions",
                        "crude_rate_per_100k",
                        "crude_rate_lower_95",
                        "crude_rate_upper_95",
                    )
                }
                for r in quintiles
                if r["group"] != "unknown"
            ],
        },
        "need": need_funnel(icb_need(areas, uptake), areas.icb_names, scope=icb, policy=policy),
    }
    if cut in QUANTILE_CUTS and cut != "imd_quintile":
        result["cut_gradient"] = gradient(rows, repetitions=repetitions, basis=cut)
    return result
