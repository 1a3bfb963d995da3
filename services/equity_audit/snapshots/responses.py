"""The problems each uptake snapshot route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import problem, problem_responses

REFRESH = problem_responses(
    problem(
        503,
        "uptake-unavailable",
        "ward_api could not be reached: connection refused",
        last_snapshot=None,
    ),
)
LATEST = problem_responses(
    problem(404, "snapshot-not-found", "no uptake snapshot has been taken yet"),
)
