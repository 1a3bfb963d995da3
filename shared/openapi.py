"""Document the problem responses every route can give, so clients can integrate from the spec."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from shared.auth import api_routes, route_policy
from shared.problems import PROBLEM_BASE, PROBLEM_JSON
from shared.text import MAX_PATH_PARAM_CHARS

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "Names the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Validation errors, each pointing at a field.",
            "items": {
                "type": "object",
                "properties": {
                    "pointer": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}


def _response(description: str, status: int, slug: str) -> dict[str, Any]:
    example = {"type": PROBLEM_BASE + slug, "title": description, "status": status}
    return {
        "description": description,
        "content": {
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}
        },
    }


def install_problem_docs(app: FastAPI) -> None:
    """Add the Problem schema and the generic problem responses to every operation."""

    build = app.openapi  # FastAPI's own builder; we decorate what it produces

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        policies = {
            (route.path, method.lower()): route_policy(route) or frozenset()
            for route in api_routes(app)
            for method in route.methods or ()
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                policy = policies.get((path, method), frozenset())
                _add_generic(operation, public="public" in policy)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_generic(operation: dict[str, Any], *, public: bool) -> None:
    responses = operation.setdefault("responses", {})
    takes_input = bool(operation.get("requestBody") or operation.get("parameters"))
    generic = {
        "503": _response("Database unavailable; retry after the delay given", 503,
                         "database-unavailable"),
    }  # fmt: skip
    if not public:
        generic["401"] = _response("Missing, expired or invalid credentials", 401, "token-missing")
        generic["403"] = _response("The caller's role or scope does not allow this", 403,
                                   "wrong-role")  # fmt: skip
        generic["429"] = _response("Rate limit exceeded; see Retry-After", 429, "rate-limited")
    if takes_input:
        # FastAPI documents its own 422 shape; ours is a problem with `errors`. A route's own
        # 422 (its domain validation problems) is kept.
        current = responses.get("422")
        if current is None or "HTTPValidationError" in str(current):
            responses["422"] = _response(
                "Validation error (`validation-error`), or text no field can store, a NUL or a "
                f"lone surrogate, or a path parameter over {MAX_PATH_PARAM_CHARS} characters "
                "(`invalid-text`)",
                422,
                "validation-error",
            )
    if operation.get("requestBody"):
        generic["400"] = _response("Malformed JSON", 400, "malformed-json")
        generic["413"] = _response("Request body too large", 413, "payload-too-large")
    for status, response in generic.items():
        responses.setdefault(status, response)
    for status, response in responses.items():
        # A route may document an error by description alone: give it the problem shape.
        if status.isdigit() and int(status) >= 400 and "content" not in response:
            response["content"] = {
                PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
