"""Assemble the whole audit from areas and uptake (pure; what the benchmark times).

The audit answers, for an ICB or England and a period: counts and outcomes by a cut
(deprivation, digital exclusion, housing, geography, or a person attribute such as age
band, pathway, own device, broadband or housing concern), all disclosure-controlled; the
gradient of admission rates across IMD quintiles (SII, and RII both ways round); the rate
ratio of the most to the least deprived quintile; the Core20 share; digital access (own
device, broadband) by IMD quintile; and the need funnel across ICBs.

Need-flagging rule (the JSON's `need_rule`, see publish.NEED_RULE). It uses a need *proxy*:
IMD 2019 score stands in for need, nothing clinical is measured. For each ICB

    need share  = sum(population x IMD score over its Core20 LSOAs)
                  / sum(population x IMD score over all its LSOAs)
    expected E  = published admissions of its residents with a known LSOA x need share
    observed O  = published admissions of residents of its Core20 LSOAs (IMD deciles 1-2)

and O/E is set against exact Poisson funnel limits around 1: below the 99.8% limit is
flagged `below_need`, below the 95% limit only `watch`. ICBs whose O or total is hidden by
disclosure control are listed as suppressed and not placed. A national caller sees every ICB;
a commissioner scoped to some ICBs sees only those (`coverage`: `icbs_in_scope`).
"""

from __future__ import annotations

from typing import Any

from services.equity_audit.audit.compute import digital_counts, group_counts, icb_need
from services.equity_audit.audit.frame import QUANTILE_CUTS, Areas, Uptake
from services.equity_audit.audit.publish import (
    NEED_RULE,
    core20,
    digital_access,
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
    " 1 (least deprived); a negative SII means higher rates in more deprived areas. As the"
    " package recommends for rates (phe_sii transform = TRUE), the line is fitted to the log"
    " of the admission rates and simulated on the log scale; the SII is the difference of its"
    " back-transformed ends, per 100,000, and the RII their ratio (e to the slope), so it is"
    " always positive. Where a quantile has no admissions there is no log, the rates are"
    " fitted as they are, and an RII that is not a positive ratio is not shown. The"
    " package's RII (rii) is the least deprived end over the most deprived end;"
    " rii_most_over_least_deprived is its reciprocal (most over least deprived).",
    "Own device, broadband and housing concern are as recorded by the ward at registration;"
    " digital-access shares are of admissions with the item recorded.",
)


def build_audit(
    areas: Areas,
    uptake: Uptake,
    *,
    cut: str,
    icb: str | None,
    repetitions: int = 100_000,
    visible_icbs: frozenset[str] | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """Protected group table, inequality summary and the need funnel over `visible_icbs`.

    `visible_icbs` is the ICB codes the caller may see, None for a national caller (every
    ICB); the funnel places only those, so a scoped audit depends on no other ICB's data.
    """
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
        "digital_access": digital_access(digital_counts(areas, uptake, icb), policy),
        "need_rule": NEED_RULE,
        "need": need_funnel(
            icb_need(areas, uptake),
            areas.icb_names,
            scope=icb,
            visible_icbs=visible_icbs,
            policy=policy,
        ),
    }
    if cut in QUANTILE_CUTS and cut != "imd_quintile":
        result["cut_gradient"] = gradient(rows, repetitions=repetitions, basis=cut)
    return result
