"""The problems each inclusion route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import (
    MALFORMED_JSON,
    VALIDATION_ERROR,
    WRONG_ICB,
    WRONG_ROLE,
    WRONG_WARD,
    problem,
    problem_responses,
)

ICB_NOT_FOUND = problem(404, "icb-not-found", "no ICB with code E54999999", code="E54999999")
WARD_NOT_FOUND = problem(404, "ward-not-found", "no ward 0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10")
DATA_MISSING = problem(
    422,
    "inclusion-data-missing",
    "no digital-exclusion reference data is loaded, so inclusion need cannot be estimated",
)

NEED = problem_responses(WRONG_ROLE, WRONG_ICB, ICB_NOT_FOUND, DATA_MISSING, VALIDATION_ERROR)
UNIT_COSTS = problem_responses(WRONG_ROLE, WRONG_ICB, ICB_NOT_FOUND, VALIDATION_ERROR)
SET_UNIT_COST = problem_responses(
    MALFORMED_JSON, WRONG_ROLE, WRONG_ICB, ICB_NOT_FOUND, VALIDATION_ERROR
)
PARTNERS = problem_responses(
    MALFORMED_JSON, WRONG_ROLE, WRONG_WARD, WARD_NOT_FOUND, VALIDATION_ERROR
)
