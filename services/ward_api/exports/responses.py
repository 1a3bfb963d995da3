"""The problems each export route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import VALIDATION_ERROR, problem, problem_responses

AGGREGATES = problem_responses(
    problem(422, "invalid-date-range", "`to` must be after `from`"), VALIDATION_ERROR
)
SITREP = problem_responses(problem(422, "invalid-period", "period must be YYYY-MM"))
