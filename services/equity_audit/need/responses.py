"""The problems the need-weights route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import problem, problem_responses

NEED_WEIGHTS = problem_responses(
    problem(503, "reference-data-missing", "reference data (IMD and geography) is not loaded"),
)
