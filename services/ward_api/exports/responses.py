"""The problems each export route answers with, for the OpenAPI document."""

from __future__ import annotations

from services.ward_api.problem_docs import VALIDATION_ERROR, problem, problem_responses

AGGREGATES = problem_responses(
    problem(422, "invalid-date-range", "`to` must be after `from`"), VALIDATION_ERROR
)
