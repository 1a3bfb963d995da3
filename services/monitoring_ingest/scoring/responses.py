"""The problems each scoring route answers with, for the OpenAPI document."""

from __future__ import annotations

from services.monitoring_ingest.devices.responses import ADMISSION_NOT_FOUND
from shared.problem_docs import VALIDATION_ERROR, WRONG_WARD, problem, problem_responses

ADMISSION_SCOPED = problem_responses(WRONG_WARD, ADMISSION_NOT_FOUND)
ADD_THRESHOLD = problem_responses(
    WRONG_WARD,
    ADMISSION_NOT_FOUND,
    problem(422, "invalid-threshold", "a threshold needs a lower or an upper bound"),
    VALIDATION_ERROR,
)
RETIRE_THRESHOLD = problem_responses(
    WRONG_WARD,
    ADMISSION_NOT_FOUND,
    problem(
        404,
        "threshold-not-found",
        "no threshold 0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10 on this admission",
    ),
)
