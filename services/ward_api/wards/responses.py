"""The problems each ward route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import (
    IDEMPOTENCY_KEY_REUSED,
    MALFORMED_JSON,
    VALIDATION_ERROR,
    WRONG_ROLE,
    WRONG_WARD,
    problem,
    problem_responses,
)

_ID = "0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"

WARD_NOT_FOUND = problem(404, "ward-not-found", f"no ward {_ID}", ward_id=_ID)
UNKNOWN_SUB_ICB = problem(
    422,
    "unknown-sub-icb",
    "not sub-ICB locations of ICB E54000008: ['E38000999']",
    sub_icb_codes=["E38000999"],
)

CREATE_WARD = problem_responses(
    MALFORMED_JSON,
    problem(422, "unknown-icb", "no ICB with code E54999999", icb_code="E54999999"),
    UNKNOWN_SUB_ICB,
    IDEMPOTENCY_KEY_REUSED,
    VALIDATION_ERROR,
)

LIST_WARDS = problem_responses(problem(404, "icb-not-found", "no ICB with code E54999999"))

READ_WARD = problem_responses(WRONG_ROLE, WRONG_WARD, WARD_NOT_FOUND)

UPDATE_WARD = problem_responses(
    MALFORMED_JSON,
    WARD_NOT_FOUND,
    problem(
        409,
        "ward-has-patients",
        "ward has 4 patient(s) on it and cannot close",
        occupied=4,
    ),
    UNKNOWN_SUB_ICB,
    VALIDATION_ERROR,
)

CHANGE_CAPACITY = problem_responses(
    MALFORMED_JSON,
    WARD_NOT_FOUND,
    problem(
        409,
        "capacity-below-occupancy",
        "cannot cut capacity to 3: 5 patient(s) are on the ward",
        requested_beds=3,
        occupied=5,
        current_beds=10,
    ),
    VALIDATION_ERROR,
)
