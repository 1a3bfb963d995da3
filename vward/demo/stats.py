"""What the demo has done so far, counted from the services' own answers, and its live view."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

__all__ = ["DemoStats"]

INGEST_OUTCOMES = ("stored", "duplicate", "quarantined", "refused")


@dataclass
class DemoStats:
    """Counters; ingest outcomes and alerts are what the services reported, not guesses."""

    round: int = 0
    rounds_planned: int = 0
    phase: str = "setting up"
    referrals: int = 0
    admitted: int = 0
    waitlisted: int = 0
    admitted_from_waitlist: int = 0
    on_ward: int = 0
    waiting: int = 0
    discharges: Counter[str] = field(default_factory=Counter)
    batches_sent: Counter[str] = field(default_factory=Counter)
    readings: dict[str, Counter[str]] = field(default_factory=dict)  # format -> outcome -> n
    rounds_missed: int = 0
    rounds_missed_excluded: int = 0  # misses of patients in the 20% most digitally excluded
    clinician_entries: int = 0
    alerts_raised: int = 0  # NEWS2/threshold alerts monitoring_ingest reported raising
    alerts_delivered: Counter[str] = field(default_factory=Counter)  # seen in ward_api, by kind
    alerts_acknowledged: int = 0
    alerts_resolved: int = 0
    snapshots: int = 0
    inclusion_plans: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    last_error: str | None = None

    def count_ingest(self, format_name: str, report: dict[str, object]) -> None:
        counts = report.get("counts")
        bucket = self.readings.setdefault(format_name, Counter())
        if isinstance(counts, dict):
            bucket.update({k: int(v) for k, v in counts.items() if isinstance(v, int)})
        alerts = report.get("alerts")
        self.alerts_raised += len(alerts) if isinstance(alerts, list) else 0
        self.batches_sent[format_name] += 1

    def error(self, what: str, exc: BaseException) -> None:
        self.errors[what] += 1
        self.last_error = f"{what}: {exc}"[:160]

    def total(self, outcome: str) -> int:
        return sum(bucket[outcome] for bucket in self.readings.values())

    def render(self) -> Table:
        """The live terminal view: progress through the first pass, then the counters."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", justify="right")
        table.add_column()
        day = self.round / 4
        if self.rounds_planned:
            done = min(self.round, self.rounds_planned)
            progress = Table.grid(padding=(0, 1))
            progress.add_row(
                ProgressBar(total=self.rounds_planned, completed=done, width=40),
                f"{done}/{self.rounds_planned} rounds",
            )
            table.add_row("first pass", progress)
        table.add_row("simulated", f"day {day:.2f} (round {self.round}, 6 h each): {self.phase}")
        table.add_row(
            "patients",
            f"{self.referrals} referred, {self.admitted} admitted "
            f"({self.admitted_from_waitlist} from a wait-list), {self.waitlisted} wait-listed; "
            f"now {self.on_ward} on wards, {self.waiting} waiting",
        )
        by_format = ", ".join(
            f"{name} {bucket['stored']}" for name, bucket in sorted(self.readings.items())
        )
        table.add_row(
            "readings",
            " / ".join(f"{self.total(o)} {o}" for o in INGEST_OUTCOMES)
            + f"  (stored by format: {by_format or '-'})",
        )
        table.add_row(
            "gaps",
            f"{self.rounds_missed} device rounds missed ({self.rounds_missed_excluded} in the most "
            f"digitally excluded areas); {self.clinician_entries} clinician ACVPU entries",
        )
        delivered = sum(self.alerts_delivered.values())
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.alerts_delivered.items()))
        table.add_row(
            "alerts",
            f"{self.alerts_raised} NEWS2 raised, {delivered} delivered to ward_api"
            f"{f' ({kinds})' if kinds else ''}, {self.alerts_acknowledged} acknowledged, "
            f"{self.alerts_resolved} resolved",
        )
        outcomes = ", ".join(f"{k} {n}" for k, n in sorted(self.discharges.items())) or "-"
        table.add_row("discharges", f"{sum(self.discharges.values())}: {outcomes}")
        table.add_row("equity", f"{self.snapshots} uptake snapshot(s) refreshed")
        table.add_row("inclusion", f"{self.inclusion_plans} costed inclusion plan(s)")
        if self.errors:
            table.add_row("errors", Text(f"{sum(self.errors.values())}: {self.last_error}", "red"))
        return table
