"""RFC 9457 problem details: one exception tree and one set of handlers for every service.

ProblemError                      any error a client should see as problem+json
├── BadRequest (400)
├── Unauthorized (401)            missing, expired, malformed or wrongly signed credentials
├── Forbidden (403)               valid credentials, wrong role or scope
├── NotFound (404)
├── Conflict (409)
├── PayloadTooLarge (413)
├── Unprocessable (422)
├── TooManyRequests (429)
└── ServiceUnavailable (503)
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Scope, Send

from shared.observability import CLIENT_CLOSED_REQUEST
from shared.text import INVALID_TEXT, INVALID_TEXT_TITLE

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://vward.dev/problems/"

logger = logging.getLogger("vward.problems")


def problem_type(slug: str) -> str:
    """The URI naming one kind of problem; documented in the README's problem catalogue."""
    return PROBLEM_BASE + slug


class ProblemError(Exception):
    """An error rendered as problem+json; subclasses fix the status and default slug."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.type = problem_type(slug or self.slug)
        self.problem_title = title or self.title
        self.headers = headers or {}
        self.extensions = extensions


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class Unprocessable(ProblemError):
    status, slug, title = 422, "validation-error", "Validation error"


class TooManyRequests(ProblemError):
    status, slug, title = 429, "rate-limited", "Too many requests"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


def problem_response(
    request: Request,
    *,
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build one problem+json response; `instance` is the request path."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    body["instance"] = request.url.path
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
    503: ("service-unavailable", "Service unavailable"),
}


async def send_problem(
    scope: Scope,
    send: Send,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    **extensions: Any,
) -> None:
    """Answer a problem from ASGI middleware, before any route or handler has run."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope.get("path", ""),
    }
    request_id = scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _validation_errors(exc: RequestValidationError) -> tuple[str, str, list[dict[str, Any]]]:
    """Field paths and messages; a body that is not JSON at all gets its own problem type."""
    errors = []
    for err in exc.errors():
        loc = [str(part).replace("~", "~0").replace("/", "~1") for part in err.get("loc", ())]
        errors.append(
            {
                "pointer": "/" + "/".join(loc),
                "message": err.get("msg", ""),
                "code": err.get("type", ""),
            }
        )
        if err.get("type") == "json_invalid":
            return "malformed-json", "Malformed JSON", errors
    return "validation-error", "Validation error", errors


DATABASE_RETRY_AFTER_SECONDS = 2


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) means the database could not be reached."""
    import asyncpg
    from sqlalchemy import exc as sa_exc

    lost = (
        ConnectionError,  # refused or reset: not any OSError (a missing file is a bug)
        TimeoutError,
        sa_exc.TimeoutError,  # pool exhausted while connections hang
        asyncpg.PostgresConnectionError,
        asyncpg.CannotConnectNowError,
        asyncpg.AdminShutdownError,
        asyncpg.ConnectionDoesNotExistError,
        asyncpg.InterfaceError,
    )
    for cause in _causes(exc):
        if isinstance(cause, lost):
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
    return False


def refused_by_database_as_text(exc: BaseException) -> bool:
    """True when PostgreSQL refused a text value (NUL byte, untranslatable, too long)."""
    import asyncpg

    refused = (
        asyncpg.CharacterNotInRepertoireError,  # 22021: NUL in text
        asyncpg.UntranslatableCharacterError,  # 22P05
        asyncpg.StringDataRightTruncationError,  # 22001: longer than the column allows
    )
    return any(isinstance(cause, refused) for cause in _causes(exc))


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and everything behind it (SQLAlchemy's `orig`, causes, contexts)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return chain


def install_problem_handlers(
    app: FastAPI, *, precheck: Callable[[Request], ProblemError | None] | None = None
) -> None:
    """Render every error, ours or the framework's, as problem+json; never leak internals.

    `precheck` runs before a body-validation problem is answered, so that a caller who may
    not call the route at all is refused (401/403) rather than told about the body.
    """

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request,
            status=exc.status,
            type_=exc.type,
            title=exc.problem_title,
            detail=exc.detail,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        refusal = precheck(request) if precheck else None
        if refusal is not None:
            return await _problem(request, refusal)
        slug, title, errors = _validation_errors(exc)
        status = 400 if slug == "malformed-json" else 422
        detail = (
            "The request body is not valid JSON."
            if slug == "malformed-json"
            else f"{len(errors)} field(s) failed validation."
        )
        return problem_response(
            request,
            status=status,
            type_=problem_type(slug),
            title=title,
            detail=detail,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            request,
            status=exc.status_code,
            type_=problem_type(slug),
            title=title,
            detail=detail,
            headers=getattr(exc, "headers", None),
        )

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        answer = _database_problem(request, exc)
        if answer is None:
            raise exc  # a bug: on to `_unexpected`, outside the middleware, as a 500
        return answer

    # Registered by class, these run inside the request-id and metrics middleware (the
    # `Exception` handler runs outside it), so a 422 or 503 is logged and counted as sent.
    for database_error in _database_error_types():
        app.add_exception_handler(database_error, _database)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # Nobody is listening; 499 (nginx's "client closed request") is for the log only.
        return Response(status_code=CLIENT_CLOSED_REQUEST)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        answer = _database_problem(request, exc)
        if answer is not None:
            if request_id:
                answer.headers["X-Request-ID"] = request_id
            return answer
        # The error's type and where it happened; never its message, which may quote
        # values (a database DETAIL line can carry an NHS number).
        logger.error(
            "unhandled error",
            extra={
                "path": request.url.path,
                "request_id": request_id,
                "error_type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "stack": [
                    f"{frame.filename}:{frame.lineno} in {frame.name}"
                    for frame in traceback.extract_tb(exc.__traceback__)
                ],
            },
        )
        # This handler runs outside the request-id middleware, so echo the id here.
        return problem_response(
            request,
            status=500,
            type_=problem_type("internal-error"),
            title="Internal error",
            detail="An unexpected error occurred; it has been logged with the request id.",
            headers={"X-Request-ID": request_id} if request_id else None,
        )


def _database_error_types() -> tuple[type[Exception], ...]:
    import asyncpg
    from sqlalchemy import exc as sa_exc

    return (
        sa_exc.DBAPIError,
        sa_exc.TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        ConnectionError,
        TimeoutError,
    )


def _database_problem(request: Request, exc: BaseException) -> JSONResponse | None:
    """The 422 or 503 a database error owes the client, or None when it is a bug."""
    if refused_by_database_as_text(exc):
        # PostgreSQL text cannot hold NUL (U+0000) or exceed a column's length: the client
        # sent it, so it is the client's mistake, never a 500. The edge refuses most such
        # text first (shared.edge); this catches what reaches the database another way.
        return problem_response(
            request,
            status=422,
            type_=problem_type(INVALID_TEXT),
            title=INVALID_TEXT_TITLE,
            detail="A text value contains a NUL (U+0000) character or is too long for its field.",
        )
    if database_unavailable(exc):
        # Not a bug and not the client's fault: tell it to come back shortly.
        logger.warning(
            "database unavailable",
            extra={"path": request.url.path, "error_type": type(exc).__qualname__,
                   "request_id": getattr(request.state, "request_id", None)},
        )  # fmt: skip
        return problem_response(
            request,
            status=503,
            type_=problem_type("database-unavailable"),
            title="Service unavailable",
            detail="The database cannot be reached right now; nothing was changed. "
            "Retry after the delay given.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return None
