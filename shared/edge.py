"""The edge: text no service can store is refused before routing, wherever it arrives.

Every path parameter, query parameter and header goes through `shared.text.unstorable`
here, and every path parameter is held to `MAX_PATH_PARAM_CHARS`; JSON bodies go through
the same check in `refuse_unstorable_body`, after the caller's credentials are judged. The
refusal is a 422 `invalid-text` problem answered inside the request-id and metrics
middleware, so the status logged and counted is the status sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import api_routes, refusal_before_body
from shared.problems import Unprocessable, send_problem
from shared.text import (
    INVALID_TEXT,
    INVALID_TEXT_TITLE,
    MAX_PATH_PARAM_CHARS,
    pointer_token,
    text_errors,
    unstorable,
)

__all__ = ["TextGuardMiddleware", "judges_text_per_item", "refuse_unstorable_body"]

_PER_ITEM = "__vward_judges_text_per_item__"

_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")  # a NUL or surrogate escape


def _error(kind: str, name: str, message: str, code: str = "invalid_text") -> dict[str, str]:
    return {"pointer": f"/{kind}/{pointer_token(name)}", "message": message, "code": code}


class TextGuardMiddleware:
    """Refuses NUL, lone surrogates and overlong ids in the path, query and headers."""

    def __init__(self, app: ASGIApp, max_path_param_chars: int = MAX_PATH_PARAM_CHARS) -> None:
        self.app = app
        self.max_chars = max_path_param_chars
        self._routes: list[APIRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, errors = self._check(scope)
        if not errors:
            await self.app(scope, receive, send)
            return
        if route is not None:
            scope["route"] = route  # so the refusal is logged and counted under its route
        await send_problem(
            scope,
            send,
            status=422,
            slug=INVALID_TEXT,
            title=INVALID_TEXT_TITLE,
            detail=f"{len(errors)} parameter(s) carry text that cannot be stored or is too "
            "long; NUL (U+0000) and lone surrogates are never accepted.",
            errors=errors,
        )

    def _check(self, scope: Scope) -> tuple[APIRoute | None, list[dict[str, str]]]:
        errors: list[dict[str, str]] = []
        route: APIRoute | None = None
        segments = [s for s in scope.get("path", "").split("/") if s]
        if any(len(s) > self.max_chars or unstorable(s) for s in segments):
            # Only now find the route, to name the parameter (and label the log line).
            route, params = self._match(scope)
            if params is None:  # no route: name the segment, so a 404 is not a 500 either
                params = {str(i): s for i, s in enumerate(segments)}
        else:
            params = {}
        for name, value in params.items():
            text = str(value)
            why = unstorable(text)
            if why is not None:
                errors.append(_error("path", name, why))
            elif len(text) > self.max_chars:
                message = f"at most {self.max_chars} characters"
                errors.append(_error("path", name, message, "string_too_long"))
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:  # percent-decoding yields no surrogates
            for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                why = unstorable(key) or unstorable(value)
                if why is not None:
                    errors.append(_error("query", key, why))
        for key, value in scope.get("headers", ()):
            if b"\x00" in value or b"\x00" in key:
                name = key.replace(b"\x00", b"").decode("latin-1")
                errors.append(_error("header", name, "contains a NUL (U+0000) character"))
        return route, errors

    def _match(self, scope: Scope) -> tuple[APIRoute | None, dict[str, Any] | None]:
        app = scope.get("app")
        if app is None:
            return None, None
        if self._routes is None:
            self._routes = api_routes(app)
        partial: tuple[APIRoute, dict[str, Any]] | None = None
        for route in self._routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, child.get("path_params", {})
            if match is Match.PARTIAL and partial is None:  # path matches, method does not
                partial = (route, child.get("path_params", {}))
        return partial if partial is not None else (None, None)


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def judges_text_per_item(endpoint: _Endpoint) -> _Endpoint:
    """Mark a batch endpoint whose items are judged one by one, text included.

    The body-wide check would refuse the whole batch for one bad item; such an endpoint
    refuses only that item instead (with its pointer), and stores the rest.
    """
    setattr(endpoint, _PER_ITEM, True)
    return endpoint


async def refuse_unstorable_body(request: Request) -> None:
    """A JSON body's strings (keys too) must be text PostgreSQL can store: else 422.

    Runs as an app-wide dependency, after FastAPI has decoded the body; a caller the route
    refuses is told so (401/403) rather than anything about the body.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return
    if getattr(route.endpoint, _PER_ITEM, False):
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    raw = await request.body()
    if not _SUSPECT_JSON.search(raw):
        return
    refusal = refusal_before_body(request)
    if refusal is not None:
        raise refusal
    errors = text_errors(await request.json(), "/body")
    if errors:
        raise Unprocessable(
            f"{len(errors)} field(s) carry text that cannot be stored: NUL (U+0000) and lone "
            "surrogates are never accepted.",
            slug=INVALID_TEXT,
            title=INVALID_TEXT_TITLE,
            errors=errors,
        )
