"""The problems the audit route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import WRONG_ICB, problem, problem_responses

AUDIT = problem_responses(
    WRONG_ICB,
    problem(404, "icb-not-found", "ICB E54000999 is not in the reference geography"),
    problem(
        503,
        "uptake-unavailable",
        "ward_api cannot be reached and no uptake snapshot has been taken yet",
        peer_error="connection refused",
    ),
    problem(503, "reference-data-missing", "reference data (IMD and geography) is not loaded"),
)
