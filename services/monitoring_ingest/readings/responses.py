"""The problems each readings route answers with, for the OpenAPI document."""

from __future__ import annotations

from services.monitoring_ingest.devices.responses import ADMISSION_NOT_FOUND
from shared.problem_docs import (
    MALFORMED_JSON,
    VALIDATION_ERROR,
    WRONG_WARD,
    problem,
    problem_responses,
)

MALFORMED_PAYLOAD = problem(
    400, "malformed-payload", "body needs a 'readings' array", format="native"
)
TOO_MANY_ITEMS = problem(
    413,
    "too-many-items",
    "11000 items is more than 10000; split the batch and send the parts",
    title="Too many items",
    max_items=10000,
)
_VENDOR = (
    MALFORMED_JSON,
    MALFORMED_PAYLOAD,
    problem(
        401,
        "vendor-credentials-missing",
        "X-Vendor-Id, X-Api-Key, X-Timestamp and X-Signature are required",
    ),
    problem(401, "api-key-invalid", "the API key is not valid for this vendor"),
    problem(401, "signature-invalid", "the request signature does not match"),
    problem(401, "signature-expired", "the request was signed 900 s from now; the limit is 300 s"),
    problem(401, "request-replayed", "this signed request was already received"),
    problem(403, "wrong-vendor", "devices registered to another vendor", devices=["SN-0042"]),
    TOO_MANY_ITEMS,
)

VENDOR_INGEST = problem_responses(*_VENDOR)
VENDOR_CSV = problem_responses(
    *_VENDOR,
    problem(415, "unsupported-media-type", "send text/csv, not application/json"),
)
ADMISSION_SCOPED = problem_responses(WRONG_WARD, ADMISSION_NOT_FOUND)
CLINICIAN_INGEST = problem_responses(
    MALFORMED_JSON,
    MALFORMED_PAYLOAD,
    WRONG_WARD,
    ADMISSION_NOT_FOUND,
    TOO_MANY_ITEMS,
    VALIDATION_ERROR,
)
ATTRIBUTE = problem_responses(
    WRONG_WARD,
    ADMISSION_NOT_FOUND,
    problem(
        404,
        "quarantine-not-found",
        "no quarantined reading 0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10",
    ),
    problem(409, "quarantine-resolved", "this reading was already attributed to another admission"),
    VALIDATION_ERROR,
)
