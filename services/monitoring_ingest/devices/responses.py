"""The problems each binding route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import (
    MALFORMED_JSON,
    VALIDATION_ERROR,
    WRONG_WARD,
    problem,
    problem_responses,
)

_ID = "0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"

ADMISSION_NOT_FOUND = problem(
    404, "admission-not-found", f"admission {_ID} has no monitoring binding"
)
DEVICE_ALREADY_BOUND = problem(
    409, "device-already-bound", "device SN-0042 is bound to another open admission"
)
BOUND_AT_IN_FUTURE = problem(
    422,
    "bound-at-in-future",
    "bound_at is in the future; a device is bound at or before the call",
)
BOUND_AT_OUTSIDE_STAY = problem(
    422,
    "bound-at-outside-stay",
    "bound_at is before the admission began (or more than a year ago)",
)

BIND = problem_responses(
    MALFORMED_JSON,
    problem(404, "vendor-not-found", f"no vendor {_ID}", vendor_id=_ID),
    DEVICE_ALREADY_BOUND,
    BOUND_AT_IN_FUTURE,
    BOUND_AT_OUTSIDE_STAY,
    VALIDATION_ERROR,
)
UNBIND = problem_responses(
    problem(
        404,
        "binding-not-found",
        f"device SN-0042 of vendor {_ID} was never bound to that admission",
    ),
    problem(
        422,
        "unbound-at-naive",
        "unbound_at needs a UTC offset, or the instant of discharge is unknown",
    ),
    problem(422, "unbound-before-bound", "unbound_at is before the device was bound"),
    problem(
        422,
        "unbound-in-future",
        "unbound_at is in the future; a binding ends at or before the discharge call",
    ),
    VALIDATION_ERROR,
)
CLINICIAN_BIND = problem_responses(
    MALFORMED_JSON,
    WRONG_WARD,
    problem(404, "admission-not-found", f"ward_api knows no admission {_ID}"),
    DEVICE_ALREADY_BOUND,
    problem(
        409,
        "admission-discharged",
        f"admission {_ID} was discharged; only an open admission is bound",
    ),
    problem(
        422,
        "binding-ward-mismatch",
        "ward_id is not the admission's ward (the ward comes from ward_api)",
    ),
    BOUND_AT_IN_FUTURE,
    BOUND_AT_OUTSIDE_STAY,
    VALIDATION_ERROR,
    problem(
        503,
        "ward-api-unavailable",
        "ward_api could not be asked about the admission: connection refused",
    ),
)
# Every clinician route on one admission: it must be bound to a ward in the token's scope.
ADMISSION_SCOPED = problem_responses(WRONG_WARD, ADMISSION_NOT_FOUND)
