"""Turn raw audit tables into publishable ones (pure): disclosure control first, then the
statistics, always computed from the *published* (rounded) counts.

Rules (domain/disclosure.py, NHS Digital convention): counts 1–7 are hidden, other counts
rounded to the nearest 5, secondary suppression within each column and its total; a rate,
proportion or mean is hidden when a count it is built from is hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from services.equity_audit.audit.compute import (
    COUNT_FIELDS,
    UNKNOWN,
    DigitalCounts,
    GroupCounts,
    IcbNeed,
)
from services.equity_audit.domain.disclosure import (
    DEFAULT_POLICY,
    DisclosurePolicy,
    ProtectedValue,
    protect_count,
    protect_series,
    protect_table,
)
from services.equity_audit.methods import (
    FunnelSignificance,
    FunnelUnit,
    MethodInputError,
    QuantileValue,
    classify_units,
    core20_share,
    funnel_limits,
    proportion,
    rate,
    rate_ratio,
    slope_index_of_inequality,
)

LEVELS = (0.95, 0.998)
PER = 100_000

NEED_RULE = (
    "Need proxy, not measured need: IMD 2019 score stands in for need for virtual-ward care."
    " For each ICB, need share = sum over its Core20 LSOAs (IMD deciles 1-2) of population x"
    " IMD score / the same sum over all its LSOAs, i.e. the Core20 share of the ICB's"
    " population weighted by IMD score (the need-weights basis). Expected Core20 admissions"
    " E = the ICB's admissions of residents with a known LSOA (published, i.e. rounded) x need"
    " share. Observed O = admissions of residents of the ICB's Core20 LSOAs (published). O/E"
    " is plotted against E with exact Poisson control limits around 1 (PHEindicatormethods"
    " funnels, ratio). An ICB is flagged 'below_need' when O/E is below the 99.8% lower limit"
    " and 'watch' when below the 95% limit only; ICBs whose O or total is suppressed are not"
    " placed. Age, sex and clinical need are not adjusted for."
)
NEED_COVERAGE = {
    True: "All ICBs in England are shown (national scope).",
    False: "Only the ICBs in this token's scope are shown: other ICBs' figures are not"
    " published to a commissioner scoped to some ICBs, and the limits span the ICBs shown.",
}
RII_CONVENTION = (
    "rii follows PHEindicatormethods: fitted value at the least deprived end over the most"
    " deprived end (below 1 = higher rates where deprivation is higher)."
    " rii_most_over_least_deprived is its reciprocal, most deprived end over least deprived"
    " end (above 1 = higher rates where deprivation is higher), with limits from the same"
    " simulations."
)


def _value(v: ProtectedValue) -> int | float | None:
    return None if v.suppressed else v.value


def _num(v: ProtectedValue) -> float:
    assert v.value is not None
    return float(v.value)


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, digits)


def _round_ratio(x: float | None) -> float | None:
    """A ratio to 4 significant figures, so a small positive RII never prints as 0."""
    return None if x is None or not math.isfinite(x) else float(f"{x:.4g}")


def _level_key(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def publish_groups(
    groups: Sequence[GroupCounts], policy: DisclosurePolicy = DEFAULT_POLICY
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Protected rows (one per group) and the protected total row."""
    protected = {
        name: protect_series([getattr(g, name) for g in groups], policy) for name in COUNT_FIELDS
    }
    population = [g.population for g in groups]
    known_population = sum(p for p in population if p is not None)
    rows = []
    for i, group in enumerate(groups):
        cells: dict[str, ProtectedValue | None] = {
            name: protected[name].cells[i] for name in COUNT_FIELDS
        }
        rows.append(_row(group.key, group.label, group.population, cells, group, protected, policy))
    totals = {name: protected[name].total for name in COUNT_FIELDS}
    total_group = GroupCounts(
        "total",
        "Total",
        known_population if any(p is not None for p in population) else None,
        *(sum(getattr(g, name) for g in groups) for name in COUNT_FIELDS),
    )
    total_row = _row(
        "total", "Total", total_group.population, totals, total_group, protected, policy
    )
    return rows, total_row


def _row(
    key: str,
    label: str,
    population: float | None,
    cells: dict[str, ProtectedValue | None],
    raw: GroupCounts,
    protected: dict[str, Any],
    policy: DisclosurePolicy,
) -> dict[str, Any]:
    suppressed = [
        n for n, v in cells.items() if v is not None and v.suppressed and n != "los_days_sum"
    ]
    row: dict[str, Any] = {"group": key, "label": label}
    row["population"] = None if population is None else round(population)
    for name in COUNT_FIELDS:
        if name == "los_days_sum":
            continue  # a sum of days, published only through the mean
        cell = cells[name]
        row[name] = None if cell is None else _value(cell)
    admissions = cells["admissions"]
    total = protected["admissions"].total
    # Crude rate per 100,000 (exact / Byars limits) from the published count.
    rate_fields: dict[str, object] = {"crude_rate_per_100k": None, "crude_rate_method": None}
    for level in LEVELS:
        rate_fields[f"crude_rate_lower_{_level_key(level)}"] = None
        rate_fields[f"crude_rate_upper_{_level_key(level)}"] = None
    if population and admissions is not None and not admissions.suppressed:
        result = rate(_num(admissions), population, multiplier=PER, confidence=LEVELS)
        rate_fields["crude_rate_per_100k"] = _round(result.estimate)
        rate_fields["crude_rate_method"] = result.method
        for lim in result.limits:
            rate_fields[f"crude_rate_lower_{_level_key(lim.level)}"] = _round(lim.lower)
            rate_fields[f"crude_rate_upper_{_level_key(lim.level)}"] = _round(lim.upper)
    elif population and admissions is not None:
        suppressed.append("crude_rate_per_100k")
    row.update(rate_fields)
    row["age_standardised_rate_per_100k"] = None
    # Share of all admissions.
    share = None
    if admissions is not None and not admissions.suppressed and total and not total.suppressed:
        share = _round(_num(admissions) / _num(total) * 100, 1) if total.value else None
    elif admissions is not None:
        suppressed.append("share_of_admissions_pct")
    row["share_of_admissions_pct"] = share
    # Mean length of stay of discharged admissions.
    discharged = cells["discharged"]
    mean_los = None
    if discharged is not None and not discharged.suppressed and raw.discharged > 0:
        mean_los = _round(raw.los_days_sum / raw.discharged, 1)
    elif discharged is not None and discharged.suppressed:
        suppressed.append("mean_length_of_stay_days")
    row["mean_length_of_stay_days"] = mean_los
    # Escalation to hospital among discharged admissions, and monitoring completeness.
    row.update(_proportion("escalation", cells["escalated"], discharged, suppressed))
    expected, received = cells["readings_expected"], cells["readings_received"]
    blocked = admissions is not None and admissions.suppressed
    row.update(
        _proportion("monitoring_completeness", received, expected, suppressed, blocked=blocked)
    )
    row["suppressed"] = sorted(set(suppressed))
    return row


def _proportion(
    name: str,
    numerator: ProtectedValue | None,
    denominator: ProtectedValue | None,
    suppressed: list[str],
    *,
    blocked: bool = False,
) -> dict[str, Any]:
    fields: dict[str, Any] = {f"{name}_pct": None}
    for level in LEVELS[:1]:
        fields[f"{name}_lower_{_level_key(level)}"] = None
        fields[f"{name}_upper_{_level_key(level)}"] = None
    if numerator is None or denominator is None:
        return fields
    if blocked or numerator.suppressed or denominator.suppressed:
        suppressed.append(f"{name}_pct")
        return fields
    if not denominator.value:
        return fields
    top = min(_num(numerator), _num(denominator))  # more readings than expected count as 100%
    result = proportion(top, _num(denominator), multiplier=100, confidence=LEVELS[:1])
    fields[f"{name}_pct"] = _round(result.estimate, 1)
    for lim in result.limits:
        fields[f"{name}_lower_{_level_key(lim.level)}"] = _round(lim.lower, 1)
        fields[f"{name}_upper_{_level_key(lim.level)}"] = _round(lim.upper, 1)
    return fields


def gradient(rows: Sequence[dict[str, Any]], *, repetitions: int, basis: str) -> dict[str, Any]:
    """SII and RII of crude rates across ordered quantiles (1 = worst off), published counts.

    SII follows PHEindicatormethods: x runs from 0 (most deprived end) to 1 (least deprived
    end), so a negative SII means rates fall towards less deprived areas, i.e. uptake is
    higher where deprivation is higher. RII is given both ways round (RII_CONVENTION):
    `rii` = fitted(1) / fitted(0) as the package reports it, and
    `rii_most_over_least_deprived` = fitted(0) / fitted(1). For the digital-exclusion and
    housing quintiles "most deprived" reads "highest risk" (quintile 1).

    The package recommends transform = TRUE for rates: the line is fitted to log(rate) and
    its ends back-transformed, so the RII is e^slope and always a positive ratio (a line
    fitted to the rates themselves can cross zero, e.g. counts 30, 18, 12, 9, 4 in equal
    populations, and its "RII" is then negative). A quantile with no admissions has no log;
    then the rates are fitted as they are and an RII that is not a positive ratio is left
    out with `rii_reason`.
    """
    quantiles = [r for r in rows if r["group"] not in (UNKNOWN, "total")]
    out: dict[str, Any] = {"basis": basis, "measure": "crude admission rate per 100,000"}
    reason = None
    if any(r["admissions"] is None for r in quantiles):
        reason = "a quantile's admissions are suppressed (small numbers)"
    elif any(not r["population"] for r in quantiles):
        reason = "a quantile has no resident population in this scope"
    elif sum(r["admissions"] for r in quantiles) == 0:
        reason = "no admissions in this scope"
    if reason is not None:
        return out | {"available": False, "reason": reason}
    counts = np.array([r["admissions"] for r in quantiles], dtype=float)
    population = np.array([r["population"] for r in quantiles], dtype=float)
    inputs = []
    for i, (count, people) in enumerate(zip(counts, population, strict=True)):
        crude = rate(count, people, multiplier=PER, confidence=(0.95,))
        inputs.append(
            QuantileValue(
                quantile=i + 1,
                population=people,
                value=crude.estimate,
                lower_95=crude.limits[0].lower,
                upper_95=crude.limits[0].upper,
            )
        )
    transform = bool(counts.min() > 0)
    try:
        result = slope_index_of_inequality(
            inputs,
            value_type="rate" if transform else "normal",
            transform=transform,
            confidence=LEVELS,
            repetitions=repetitions,
        )
    except MethodInputError as error:
        return out | {"available": False, "reason": str(error)}
    share = population / population.sum()
    x = np.cumsum(share) - share / 2
    if transform:
        # The fitted line on the log scale; its back-transform is the curve the SII spans.
        intercept = math.log(result.intercept)
        slope = math.log(result.intercept + result.sii) - intercept
    else:
        slope = result.sii
        intercept = result.intercept
    out |= {
        "available": True,
        "sii": _round(result.sii),
        "rii": _round_ratio(result.rii),
        "rii_most_over_least_deprived": _round_ratio(result.rii_most_over_least_deprived),
        "rii_reason": result.rii_reason,
        "rii_convention": RII_CONVENTION,
        "transform": "log" if transform else "none (a quantile has no admissions)",
        "simulation_scale": "log" if transform else "natural (a quantile has no admissions)",
        "repetitions": result.repetitions,
        "seed": result.seed,
        "fitted_line": {
            "scale": "log" if transform else "natural",
            "intercept": _round(intercept, 6 if transform else 2),
            "slope": _round(slope, 6 if transform else 2),
        },
        "quantile_rank": [_round(float(v), 4) for v in x],
    }
    for lim in result.sii_limits:
        out[f"sii_lower_{_level_key(lim.level)}"] = _round(lim.lower)
        out[f"sii_upper_{_level_key(lim.level)}"] = _round(lim.upper)
    for name, limits in (
        ("rii", result.rii_limits),
        ("rii_most_over_least_deprived", result.rii_most_over_least_deprived_limits),
    ):
        for level in LEVELS:  # present, and null, when the RII is left out
            out[f"{name}_lower_{_level_key(level)}"] = None
            out[f"{name}_upper_{_level_key(level)}"] = None
        for lim in limits:
            out[f"{name}_lower_{_level_key(lim.level)}"] = _round_ratio(lim.lower)
            out[f"{name}_upper_{_level_key(lim.level)}"] = _round_ratio(lim.upper)
    return out


def digital_access(
    quintiles: Sequence[DigitalCounts], policy: DisclosurePolicy = DEFAULT_POLICY
) -> dict[str, Any]:
    """Own device and broadband by IMD quintile: protected counts and shares of those recorded.

    Each measure is a quintile x (yes, no) table protected with its margins, so a small
    "yes" or "no" cell is hidden together with a partner; the share is yes / recorded from
    the published counts and hidden with either.
    """
    rows: list[dict[str, Any]] = [
        {"group": q.key, "label": q.label, "suppressed": []} for q in quintiles
    ]
    total: dict[str, Any] = {"group": "total", "label": "Total", "suppressed": []}
    for measure in ("own_device", "broadband"):
        table = protect_table(
            [[getattr(q, f"{measure}_yes"), getattr(q, f"{measure}_no")] for q in quintiles],
            policy,
        )
        assert table.row_totals is not None and table.column_totals is not None
        lines = [
            *(
                (cells[0], recorded)
                for cells, recorded in zip(table.cells, table.row_totals, strict=True)
            ),
            (table.column_totals[0], table.grand_total),
        ]
        for row, (yes, recorded) in zip([*rows, total], lines, strict=True):
            assert recorded is not None
            row[f"{measure}_recorded"] = _value(recorded)
            row[measure] = _value(yes)
            for name, value in ((measure, yes), (f"{measure}_recorded", recorded)):
                if value.suppressed:
                    row["suppressed"].append(name)
            row.update(_proportion(measure, yes, recorded, row["suppressed"]))
    return {
        "basis": "imd_quintile",
        "measure": "admissions of patients recorded with their own device / broadband at home,"
        " as a % of those with it recorded",
        "rows": rows,
        "total": total,
    }


def most_vs_least(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Rate ratio of the most deprived quintile to the least deprived, published counts."""
    quantiles = [r for r in rows if r["group"] not in (UNKNOWN, "total")]
    first, last = quantiles[0], quantiles[-1]
    out: dict[str, Any] = {"index": first["group"], "comparator": last["group"]}
    if first["admissions"] is None or last["admissions"] is None:
        return out | {"available": False, "reason": "suppressed (small numbers)"}
    if not first["population"] or not last["population"]:
        return out | {"available": False, "reason": "no resident population in a quintile"}
    result = rate_ratio(
        first["admissions"], first["population"], last["admissions"], last["population"],
        confidence=LEVELS,
    )  # fmt: skip
    if result.estimate is None:
        return out | {"available": False, "reason": result.reason, "method": result.method}
    out |= {"available": True, "rate_ratio": _round(result.estimate, 3), "method": result.method}
    for lim in result.limits:
        out[f"lower_{_level_key(lim.level)}"] = _round(lim.lower, 3)
        out[f"upper_{_level_key(lim.level)}"] = _round(lim.upper, 3)
    return out


def core20(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Core20 (IMD quintile 1) share of admissions against its share of the population."""
    quantiles = [r for r in rows if r["group"] not in (UNKNOWN, "total")]
    if any(r["admissions"] is None for r in quantiles):
        return {"available": False, "reason": "suppressed (small numbers)"}
    admissions = sum(r["admissions"] for r in quantiles)
    population = sum(r["population"] or 0 for r in quantiles)
    core_admissions, core_population = quantiles[0]["admissions"], quantiles[0]["population"]
    if not admissions or not population or not core_population:
        reason = "no admissions" if not admissions else "no Core20 areas in this scope"
        return {"available": False, "reason": reason}
    result = core20_share(
        core20_admissions=core_admissions,
        total_admissions=admissions,
        core20_population=core_population,
        total_population=population,
        confidence=LEVELS,
    )
    out: dict[str, Any] = {
        "available": True,
        "core20_admissions": core_admissions,
        "admissions_with_known_area": admissions,
        "admission_share_pct": _round(result.admission_share * 100, 1),
        "population_share_pct": _round(result.population_share * 100, 1),
        "share_ratio": _round(result.share_ratio, 3),
    }
    for lim in result.admission_share_limits:
        out[f"admission_share_lower_{_level_key(lim.level)}"] = _round(lim.lower * 100, 1)
        out[f"admission_share_upper_{_level_key(lim.level)}"] = _round(lim.upper * 100, 1)
    return out


def need_funnel(
    needs: Sequence[IcbNeed],
    names: dict[str, tuple[str, str]],
    *,
    scope: str | None,
    visible_icbs: frozenset[str] | None = None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """ICBs' Core20 admissions against need, with funnel limits; published counts only.

    Only the ICBs in `visible_icbs` (None: every ICB, for a national caller) are placed,
    listed or used for the limit grid, so nothing here depends on another ICB's figures:
    a commissioner scoped to some ICBs sees only those (their Core20 counts would otherwise
    give away their totals too, as expected / need share). Each point's significance is
    against the fixed baseline 1, so it does not depend on which other ICBs are shown.
    """
    points: list[dict[str, Any]] = []
    suppressed, without_core20 = [], []
    placed = []
    for need in needs:
        if visible_icbs is not None and need.icb_code not in visible_icbs:
            continue
        observed = protect_count(need.core20_admissions, policy)
        total = protect_count(need.admissions, policy)
        if need.need_share <= 0:
            without_core20.append(need.icb_code)
            continue
        if observed.suppressed or total.suppressed or not total.value:
            suppressed.append(need.icb_code)
            continue
        expected = _num(total) * need.need_share
        placed.append((need, _num(observed), expected))
    if placed:
        classified = classify_units(
            [FunnelUnit(o, e) for _, o, e in placed], statistic="ratio", multiplier=1, baseline=1
        )
    else:
        classified = ()
    for (need, observed_count, expected), point in zip(placed, classified, strict=True):
        flag = {
            FunnelSignificance.BELOW_99_8: "below_need",
            FunnelSignificance.BELOW_95: "watch",
        }.get(point.significance)
        ods, name = names.get(need.icb_code, ("", need.icb_code))
        points.append(
            {
                "icb_code": need.icb_code,
                "icb_ods_code": ods,
                "icb_name": name,
                "observed_core20_admissions": int(observed_count),
                "expected_core20_admissions": _round(expected, 1),
                "ratio": _round(point.value, 3),
                "significance": str(point.significance),
                "flag": flag,
                "in_scope": need.icb_code == scope,
            }
        )
    limits = []
    if placed:
        expected_values = [e for _, _, e in placed]
        grid = np.geomspace(max(min(expected_values) / 1.5, 0.5), max(expected_values) * 1.5, 60)
        for lim in funnel_limits(1, grid.tolist(), statistic="ratio", multiplier=1):
            entry: dict[str, Any] = {"expected": _round(lim.denominator, 2)}
            for level_limits in lim.limits:
                key = _level_key(level_limits.level)
                entry[f"lower_{key}"] = _round(level_limits.lower, 4)
                entry[f"upper_{key}"] = _round(level_limits.upper, 4)
            limits.append(entry)
    return {
        "rule": NEED_RULE,
        "coverage": "england" if visible_icbs is None else "icbs_in_scope",
        "coverage_note": NEED_COVERAGE[visible_icbs is None],
        "points": points,
        "flagged": [p["icb_code"] for p in points if p["flag"] == "below_need"],
        "watch": [p["icb_code"] for p in points if p["flag"] == "watch"],
        "suppressed_icbs": sorted(suppressed),
        "icbs_without_core20_areas": sorted(without_core20),
        "limits": limits,
    }
