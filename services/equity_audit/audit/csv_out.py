"""The audit's group table as CSV: hidden values as `*`, then summary statistics (one
`statistic` row each: name, value, 95% lower, 95% upper, meaning) and provenance notes."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = (
    "group", "label", "population", "admissions", "share_of_admissions_pct",
    "crude_rate_per_100k", "crude_rate_lower_95", "crude_rate_upper_95",
    "crude_rate_lower_99_8", "crude_rate_upper_99_8", "crude_rate_method",
    "age_standardised_rate_per_100k", "discharged", "mean_length_of_stay_days",
    "stays_over_14_days", "escalated", "escalation_pct", "escalation_lower_95",
    "escalation_upper_95", "readings_expected", "readings_received",
    "monitoring_completeness_pct", "monitoring_completeness_lower_95",
    "monitoring_completeness_upper_95",
)  # fmt: skip

_DERIVED_FROM = {"escalated": "escalation_pct"}


def cell_text(row: dict[str, Any], column: str, symbol: str) -> str:
    """One cell as the CSV and HTML renderings show it: `symbol` where it is suppressed."""
    hidden = set(row.get("suppressed", ()))
    value = row.get(column)
    if value is None and (
        column in hidden
        or any(column.startswith(h.removesuffix("_pct").removesuffix("_per_100k")) for h in hidden)
    ):
        return symbol
    return "" if value is None else str(value)


def _statistics(audit: dict[str, Any]) -> list[list[Any]]:
    """Inequality summary rows; empty values when a statistic is not available."""
    inequality = audit["inequality"]
    sii, ratio, core = (
        inequality["imd_quintile"],
        inequality["rate_ratio_most_vs_least_deprived"],
        inequality["core20"],
    )

    def row(name: str, source: dict, key: str, lower: str, upper: str, meaning: str) -> list:
        values = [source.get(k) for k in (key, lower, upper)]
        return ["statistic", name, *("" if v is None else v for v in values), meaning]

    return [
        row("sii_per_100k", sii, "sii", "sii_lower_95", "sii_upper_95",
            "slope index of inequality across IMD quintiles (negative: higher rates where"
            " more deprived)"),
        row("rii", sii, "rii", "rii_lower_95", "rii_upper_95",
            "PHEindicatormethods RII: least deprived end over most deprived end"),
        row("rii_most_over_least_deprived", sii, "rii_most_over_least_deprived",
            "rii_most_over_least_deprived_lower_95", "rii_most_over_least_deprived_upper_95",
            "reciprocal of rii: most deprived end over least deprived end"),
        row("rate_ratio_most_vs_least_deprived", ratio, "rate_ratio", "lower_95", "upper_95",
            "crude rate of IMD quintile 1 over quintile 5"),
        row("core20_admission_share_pct", core, "admission_share_pct",
            "admission_share_lower_95", "admission_share_upper_95",
            f"Core20 share of the population: {core.get('population_share_pct', '')}%"),
    ]  # fmt: skip


def render_csv(audit: dict[str, Any]) -> str:
    symbol = audit["disclosure"]["symbol"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in [*audit["groups"], audit["total"]]:
        writer.writerow([cell_text(row, c, symbol) for c in COLUMNS])
    writer.writerow([])
    writer.writerows(_statistics(audit))
    writer.writerow([])
    snapshot = audit["snapshot"]
    notes = [
        audit["title"],
        f"cut: {audit['cut']}",
        f"period: {audit['period']['from_month']} to {audit['period']['to_month']}",
        f"uptake snapshot taken {snapshot['taken_at']} ({snapshot['age_seconds']} s old"
        f"{', STALE: ward_api unreachable' if snapshot['stale'] else ''})",
    ]
    if audit["synthetic"]:
        notes.insert(0, "SYNTHETIC reference data: not for decisions")
    notes += [f"dataset: {d['name']} ({d['vintage']}; {d['licence']})" for d in audit["datasets"]]
    notes += [f"need rule: {audit['need_rule']}", *audit["caveats"], *audit["attribution"]]
    for note in notes:
        writer.writerow(["note", note])
    return out.getvalue()
