"""The problems each capacity route answers with, for the OpenAPI document."""

from __future__ import annotations

from shared.problem_docs import (
    IDEMPOTENCY_KEY_REUSED,
    MALFORMED_JSON,
    VALIDATION_ERROR,
    WRONG_ICB,
    WRONG_ROLE,
    problem,
    problem_responses,
)

ICB_NOT_FOUND = problem(404, "icb-not-found", "no ICB with code E54999999", code="E54999999")

CAPACITY = problem_responses(WRONG_ROLE, WRONG_ICB, ICB_NOT_FOUND, VALIDATION_ERROR)

HISTORY = problem_responses(
    WRONG_ROLE,
    WRONG_ICB,
    ICB_NOT_FOUND,
    problem(404, "capacity-history-not-found", "no published history for England"),
    VALIDATION_ERROR,
)

CREATE_PLAN = problem_responses(
    MALFORMED_JSON,
    WRONG_ROLE,
    WRONG_ICB,
    problem(404, "icb-not-found", "unknown or out-of-scope ICB(s): ['E54999999']"),
    problem(
        404,
        "ward-not-found",
        "not open wards of ICB E54000008 at 2025-03-10: ['0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10']",
        ward_ids=["0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"],
    ),
    problem(
        422,
        "plan-parameters-conflict",
        "level differs between the query (ward) and the body (icb)",
    ),
    problem(422, "plan-has-no-areas", "no ICBs to plan for"),
    problem(
        422,
        "ward-catchment-missing",
        "every ward needs a catchment (sub-ICB locations or a population with its basis)",
        ward_ids=["0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"],
    ),
    problem(
        422,
        "catchment-bases-differ",
        "ward catchments are on different population bases; rates on them are not "
        "comparable (give every ward the same basis)",
    ),
    IDEMPOTENCY_KEY_REUSED,
    VALIDATION_ERROR,
    problem(
        502,
        "bad-gateway",
        "equity_audit refused need weights: …",
    ),
    problem(
        502,
        "need-weights-incomplete",
        "equity_audit gave no weight for 1 ICB(s)",
        missing=["E54000008"],
    ),
    problem(
        503,
        "database-unavailable",
        "The database cannot be reached right now; nothing was changed. Retry after the "
        "delay given.",
    ),
    problem(
        503,
        "need-weights-unavailable",
        "equity_audit could not be reached for need weights; retry, or plan without need_weighting",
    ),
    problem(
        422,
        "inclusion-data-missing",
        "no digital-exclusion reference data is loaded, so inclusion need cannot be estimated",
    ),
)

GET_PLAN = problem_responses(
    WRONG_ROLE,
    problem(403, "wrong-icb", "this token is not scoped to ICB E54000008 (the plan covers it)"),
    problem(404, "plan-not-found", "no capacity plan 0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"),
)

IMPORT_SITREP = problem_responses(
    problem(400, "bad-encoding", "the body is not UTF-8"),
    MALFORMED_JSON,
    problem(
        422,
        "sitrep-invalid",
        "2 invalid cell(s); nothing was imported",
        title="Sitrep rows failed validation",
        errors=[
            {"line": 5, "column": "capacity", "message": "-4 is not a whole number ≥ 0"},
            {"line": 7, "column": "icb_code", "message": "unknown ICB E54999999"},
        ],
    ),
    problem(422, "unsupported-media-type", "send text/csv or application/json"),
    problem(
        422,
        "validation-error",
        'expected {"rows": [...]}',
        errors=[
            {"pointer": "/rows/0", "message": "Input should be a dictionary", "code": "dict_type"}
        ],
    ),
)
