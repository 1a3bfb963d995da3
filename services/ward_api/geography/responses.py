"""The problems each geography route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import problem, problem_responses

GET_ICB = problem_responses(
    problem(404, "icb-not-found", "no ICB with code E54999999", code="E54999999")
)
