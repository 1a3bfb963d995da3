"""FHIR answers to batch and transaction Bundles, built from a pipeline report.

A `batch` is answered by a `batch-response` Bundle with one entry per request entry, each
with its own HTTP status; a `transaction` is all-or-nothing: a `transaction-response`
Bundle when every entry was accepted, else an OperationOutcome and nothing stored. An entry
yielding several readings (a blood-pressure panel) takes its worst item's status.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.monitoring_ingest.domain.adapters.fhir import ParsedFhir
from services.monitoring_ingest.readings.pipeline import (
    CONFLICT,
    DUPLICATE,
    QUARANTINED,
    REFUSED,
    STORED,
    WITHDRAWN,
)

__all__ = ["MEDIA_TYPE", "FhirAnswer", "batch_response", "failed_entries", "transaction_failure"]

MEDIA_TYPE = "application/fhir+json"

# HTTP status per item status, and which is worse when one entry has several items.
_HTTP = {
    REFUSED: "422 Unprocessable Entity",
    CONFLICT: "409 Conflict",
    STORED: "201 Created",
    WITHDRAWN: "200 OK",
    QUARANTINED: "202 Accepted",
    DUPLICATE: "200 OK",
}
_RANK = {REFUSED: 5, CONFLICT: 4, STORED: 3, WITHDRAWN: 2, QUARANTINED: 1, DUPLICATE: 0}
_ISSUE_CODE = {REFUSED: "invalid", CONFLICT: "conflict"}


@dataclass(frozen=True, slots=True)
class FhirAnswer:
    """An HTTP status and a FHIR resource to answer with."""

    status: int
    body: dict[str, object]


def _fhirpath(pointer: str) -> str:
    """A JSON pointer into the Bundle as a FHIRPath expression (OperationOutcome.expression)."""
    path = "Bundle"
    for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
        path += f"[{part}]" if part.isdigit() else f".{part}"
    return path


def _issue(item: dict[str, object]) -> dict[str, object]:
    status = str(item["status"])
    if status in _ISSUE_CODE:
        issue: dict[str, object] = {
            "severity": "error",
            "code": _ISSUE_CODE[status],
            "details": {"text": str(item.get("reason"))},
            "diagnostics": str(item.get("detail")),
        }
        if item.get("pointer"):
            issue["expression"] = [_fhirpath(str(item["pointer"]))]
        return issue
    text = f"{status} key={item.get('key')}"
    if item.get("supersedes"):
        text += f" supersedes={item['supersedes']}"
    return {"severity": "information", "code": "informational", "diagnostics": text}


def _by_entry(parsed: ParsedFhir, items: Sequence[dict[str, object]]) -> list[list[dict]]:
    entries: list[list[dict]] = [[] for _ in range(parsed.entry_count)]
    for item in items:
        entries[parsed.entries[int(item["index"])]].append(item)  # type: ignore[call-overload]
    return entries


def failed_entries(parsed: ParsedFhir, items: Sequence[dict[str, object]]) -> list[dict]:
    """The items that keep a transaction from being applied (refused or conflicting)."""
    return [item for item in items if item["status"] in _ISSUE_CODE]


def batch_response(
    parsed: ParsedFhir, items: Sequence[dict[str, object]], *, transaction: bool
) -> FhirAnswer:
    """The batch-response (or transaction-response) Bundle, one entry per request entry."""
    entries = []
    for index, found in enumerate(_by_entry(parsed, items)):
        if index in parsed.device_entries:  # a Device the Observations refer to: not stored
            note = {"severity": "information", "code": "informational",
                    "diagnostics": "Device: resolves Observation.device references"}  # fmt: skip
            outcome = {"resourceType": "OperationOutcome", "issue": [note]}
            entries.append({"response": {"status": "200 OK", "outcome": outcome}})
            continue
        worst = max((str(i["status"]) for i in found), key=_RANK.__getitem__, default=REFUSED)
        outcome = {"resourceType": "OperationOutcome", "issue": [_issue(i) for i in found]}
        entries.append({"response": {"status": _HTTP[worst], "outcome": outcome}})
    kind = "transaction-response" if transaction else "batch-response"
    return FhirAnswer(200, {"resourceType": "Bundle", "type": kind, "entry": entries})


def transaction_failure(failed: Sequence[dict[str, object]]) -> FhirAnswer:
    """The OperationOutcome for a transaction not applied: 409 if only conflicts, else 422."""
    status = 409 if all(i["status"] == CONFLICT for i in failed) else 422
    issues = [_issue(item) for item in failed]
    issues.append(
        {
            "severity": "error",
            "code": "processing",
            "diagnostics": "transaction not applied: nothing was stored",
        }
    )
    return FhirAnswer(status, {"resourceType": "OperationOutcome", "issue": issues})
