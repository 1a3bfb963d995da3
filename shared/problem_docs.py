"""Route-specific problem responses for the OpenAPI document, one example per problem type.

Every service documents problems this one way: each feature's `responses.py` names what its
routes really raise, and a route passes `responses=problem_responses(...)`, so a client can
integrate from the document alone: every status lists its problem types, each with an
example body. The generic ones every route shares (401, 403 `wrong-role`, 429, 503)
are added centrally by shared/openapi.py; the Problem schema it references lives there too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from shared.problems import PROBLEM_JSON, problem_type

__all__ = [
    "IDEMPOTENCY_KEY_REUSED",
    "MALFORMED_JSON",
    "VALIDATION_ERROR",
    "WRONG_ICB",
    "WRONG_ROLE",
    "WRONG_WARD",
    "ProblemDoc",
    "problem",
    "problem_responses",
]

PROBLEM_SCHEMA_REF = {"$ref": "#/components/schemas/Problem"}
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation error",
    502: "A peer answered wrongly",
    503: "Service unavailable",
}


@dataclass(frozen=True, slots=True)
class ProblemDoc:
    """One problem type a route can answer with, and an example of its body."""

    status: int
    slug: str
    detail: str
    title: str
    extensions: dict[str, Any] = field(default_factory=dict)

    def example(self) -> dict[str, Any]:
        body = {"type": problem_type(self.slug), "title": self.title, "status": self.status}
        return {**body, "detail": self.detail, **self.extensions}


def problem(
    status: int, slug: str, detail: str, *, title: str | None = None, **extensions: Any
) -> ProblemDoc:
    """Describe a problem: `detail` doubles as its summary, `extensions` its extra members."""
    return ProblemDoc(status, slug, detail, title or _TITLES[status], extensions)


def problem_responses(*docs: ProblemDoc) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=`: per status, a problem+json body with one example per type."""
    by_status: dict[int, list[ProblemDoc]] = defaultdict(list)
    for doc in docs:
        by_status[doc.status].append(doc)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        slugs = ", ".join(f"`{d.slug}`" for d in group)
        responses[status] = {
            "description": f"{_TITLES.get(status, 'Problem')}: {slugs}",
            "content": {
                PROBLEM_JSON: {
                    "schema": PROBLEM_SCHEMA_REF,
                    "examples": {
                        d.slug: {"summary": d.detail, "value": d.example()} for d in group
                    },
                }
            },
        }
    return responses


# ---- problems many routes share -------------------------------------------------------------

MALFORMED_JSON = problem(400, "malformed-json", "The request body is not valid JSON.")
VALIDATION_ERROR = problem(
    422,
    "validation-error",
    "1 field(s) failed validation.",
    errors=[{"pointer": "/body/beds", "message": "Input should be an integer", "code": "int"}],
)
IDEMPOTENCY_KEY_REUSED = problem(
    422,
    "idempotency-key-reused",
    "this Idempotency-Key was already used with a different request body",
    idempotency_key="3f0c2a…",
)
WRONG_ROLE = problem(
    403,
    "wrong-role",
    "role vendor may not call this endpoint",
    allowed_roles=["clinician"],
)
WRONG_WARD = problem(
    403, "wrong-ward", "this token is not scoped to ward 0b7e3c52-5a1d-4c36-9f53-2d1f2a6c9e10"
)
WRONG_ICB = problem(403, "wrong-icb", "this token is not scoped to ICB E54000008")
