"""The problems each event stream answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import (
    VALIDATION_ERROR,
    WRONG_ROLE,
    WRONG_WARD,
    problem,
    problem_responses,
)

_ID = "0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"

TOO_MANY_STREAMS = problem(
    429,
    "too-many-streams",
    "this caller already has the most open event streams allowed",
    title="Too many requests",
)

WARD_EVENTS = problem_responses(
    WRONG_ROLE,
    WRONG_WARD,
    problem(404, "ward-not-found", f"no ward {_ID}", ward_id=_ID),
    TOO_MANY_STREAMS,
    VALIDATION_ERROR,
)

SCOPE_EVENTS = problem_responses(WRONG_ROLE, TOO_MANY_STREAMS, VALIDATION_ERROR)
