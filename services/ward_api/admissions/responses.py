"""The problems each patient and admission route answers with, for the OpenAPI document."""

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
_OTHER = "5d41c1e8-2f3b-4e8a-a0b4-7c9d0e1f2a3b"

PATIENT_NOT_FOUND = problem(404, "patient-not-found", f"no patient {_ID}")
WARD_NOT_FOUND = problem(404, "ward-not-found", f"no ward {_ID}", ward_id=_ID)
ADMISSION_NOT_FOUND = problem(404, "admission-not-found", f"no admission {_ID}")
IDEMPOTENCY_KEY_MISSING = problem(
    400, "idempotency-key-missing", "this endpoint needs an Idempotency-Key header"
)

CREATE_PATIENT = problem_responses(
    MALFORMED_JSON,
    problem(409, "patient-exists", "a patient with this NHS number exists", patient_id=_ID),
    problem(
        422,
        "invalid-nhs-number",
        "not a valid NHS number (check digit does not match)",
        reason="check digit does not match",
    ),
    problem(422, "unknown-lsoa", "unknown LSOA E01999999", lsoa11cd="E01999999"),
    IDEMPOTENCY_KEY_REUSED,
    VALIDATION_ERROR,
)

GET_PATIENT = problem_responses(
    WRONG_ROLE,
    problem(403, "wrong-ward", "this patient is on no ward in this token's scope"),
    PATIENT_NOT_FOUND,
)

ADMIT = problem_responses(
    MALFORMED_JSON,
    IDEMPOTENCY_KEY_MISSING,
    WRONG_ROLE,
    WRONG_WARD,
    WARD_NOT_FOUND,
    PATIENT_NOT_FOUND,
    problem(
        409,
        "ward-full",
        "no free bed; the patient is number 3 on the wait-list",
        title="Ward full",
        waitlist_position=3,
        waitlist_entry_id=_OTHER,
        beds=12,
    ),
    problem(
        409,
        "already-admitted",
        "the patient is already on a virtual ward",
        admission_id=_OTHER,
        ward_id=_ID,
    ),
    problem(409, "ward-not-open", "ward is closed", status_="closed"),
    problem(
        409,
        "bed-not-free-since",
        "every free bed held another patient after admitted_at; stays in one bed cannot overlap",
        admitted_at="2025-03-10T10:00:00+00:00",
        earliest_admitted_at="2025-03-12T09:30:00+00:00",
    ),
    problem(
        409,
        "overlapping-stay",
        "the patient was on a virtual ward after admitted_at; stays cannot overlap",
        admission_id=_OTHER,
        discharged_at="2025-03-12T09:30:00+00:00",
    ),
    problem(
        422,
        "pathway-not-served",
        "ward does not serve the heart_failure pathway",
        pathways=["acute_respiratory_infection", "frailty"],
    ),
    problem(
        422,
        "admission-in-future",
        "admitted_at is in the future",
        field="admitted_at",
        now="2025-03-10T10:00:00+00:00",
    ),
    problem(
        422,
        "referral-in-future",
        "referred_at is in the future",
        field="referred_at",
        now="2025-03-10T10:00:00+00:00",
    ),
    problem(
        422,
        "admission-before-referral",
        "admitted_at is before referred_at",
        admitted_at="2025-03-09T10:00:00+00:00",
        referred_at="2025-03-10T08:00:00+00:00",
    ),
    IDEMPOTENCY_KEY_REUSED,
    VALIDATION_ERROR,
)

GET_ADMISSION = problem_responses(WRONG_ROLE, WRONG_WARD, ADMISSION_NOT_FOUND)

DISCHARGE = problem_responses(
    MALFORMED_JSON,
    WRONG_ROLE,
    WRONG_WARD,
    ADMISSION_NOT_FOUND,
    problem(
        409,
        "already-discharged",
        "the admission was already discharged",
        discharged_at="2025-03-20T15:00:00+00:00",
    ),
    problem(
        422,
        "discharge-before-admission",
        "discharge time is before the admission",
        admitted_at="2025-03-10T10:00:00+00:00",
    ),
    problem(422, "discharge-in-future", "discharge time is in the future"),
    VALIDATION_ERROR,
)

WARD_SCOPED = problem_responses(WRONG_ROLE, WRONG_WARD, WARD_NOT_FOUND)
