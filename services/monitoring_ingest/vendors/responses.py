"""The problems each vendor administration route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import VALIDATION_ERROR, problem, problem_responses

_ID = "0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"
VENDOR_NOT_FOUND = problem(404, "vendor-not-found", f"no vendor {_ID}", vendor_id=_ID)

CREATE_VENDOR = problem_responses(
    problem(409, "vendor-exists", "a vendor named 'Acme' exists", vendor_id=_ID),
    VALIDATION_ERROR,
)
ISSUE_KEY = problem_responses(VENDOR_NOT_FOUND)
RETIRE_KEY = problem_responses(
    problem(404, "key-not-found", f"vendor {_ID} has no key 5d41c1e8"),
    problem(409, "last-active-key", "issue a new key before retiring the last active one"),
)
REGISTER_DEVICE = problem_responses(
    VENDOR_NOT_FOUND,
    problem(
        409,
        "device-registered-elsewhere",
        "device SN-0042 is registered to another vendor",
    ),
    VALIDATION_ERROR,
)
LIST_DEVICES = problem_responses(VENDOR_NOT_FOUND)
