"""The problems each methods route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import VALIDATION_ERROR, problem, problem_responses

METHOD = problem_responses(
    problem(
        422,
        "method-input",
        "item 3, denominator: must be at least the count",
        item=3,
        field="denominator",
        reason="must be at least the count",
    ),
    VALIDATION_ERROR,
)
