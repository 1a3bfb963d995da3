"""The audit's group table as CSV: hidden values as `*`, provenance as trailing note rows."""

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


def _cell(row: dict[str, Any], column: str, symbol: str) -> str:
    hidden = set(row.get("suppressed", ()))
    value = row.get(column)
    if value is None and (
        column in hidden
        or any(column.startswith(h.removesuffix("_pct").removesuffix("_per_100k")) for h in hidden)
    ):
        return symbol
    return "" if value is None else str(value)


def render_csv(audit: dict[str, Any]) -> str:
    symbol = audit["disclosure"]["symbol"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in [*audit["groups"], audit["total"]]:
        writer.writerow([_cell(row, c, symbol) for c in COLUMNS])
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
    notes += audit["caveats"] + audit["attribution"]
    for note in notes:
        writer.writerow(["note", note])
    return out.getvalue()
