"""The problems each alert route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import (
    MALFORMED_JSON,
    VALIDATION_ERROR,
    WRONG_ROLE,
    WRONG_WARD,
    problem,
    problem_responses,
)

_ID = "0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"

ALERT_NOT_FOUND = problem(404, "alert-not-found", f"no alert {_ID}")

RECEIVE_ALERT = problem_responses(
    MALFORMED_JSON,
    problem(404, "admission-not-found", f"no admission {_ID}"),
    problem(
        409,
        "admission-ward-mismatch",
        "the admission is not on that ward",
        admission_ward_id="5d41c1e8-2f3b-4e8a-a0b4-7c9d0e1f2a3b",
    ),
    problem(409, "alert-id-reused", "this alert_id was already delivered with a different body"),
    VALIDATION_ERROR,
)

LIST_ALERTS = problem_responses(
    WRONG_ROLE, WRONG_WARD, problem(404, "ward-not-found", f"no ward {_ID}", ward_id=_ID)
)

ACKNOWLEDGE = problem_responses(WRONG_ROLE, WRONG_WARD, ALERT_NOT_FOUND)

RESOLVE = problem_responses(
    MALFORMED_JSON,
    WRONG_ROLE,
    WRONG_WARD,
    ALERT_NOT_FOUND,
    problem(409, "alert-already-resolved", "the alert is already resolved"),
    VALIDATION_ERROR,
)
