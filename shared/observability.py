"""Request ids, structured JSON logs and Prometheus metrics, as pure ASGI middleware."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import sys
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being handled, for logs and onward calls."""
    return request_id_var.get()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stderr, each with the service name and the current request id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(_RequestIdFilter())
    handler.set_name("vward-json")
    root = logging.getLogger()
    # Replace only our own handler, so building a second app (or pytest's capture) is safe.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "vward-json"] + [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class RequestContextMiddleware:
    """Accepts or mints X-Request-ID, echoes it, and logs one line per request."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.logger = logging.getLogger(f"vward.{service}.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.fullmatch(incoming) else None
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        outcome = _Outcome(receive)
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
                headers = list(message.get("headers", []))
                if all(key.lower() != b"x-request-id" for key, _ in headers):
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, outcome.receive, send_with_id)
        except BaseException as exc:
            outcome.failed(exc)
            raise
        finally:
            status = outcome.logged_status()
            # Path and status only: bodies and query strings may carry patient data.
            self.logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": _route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes` with a 413 problem, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            # The server enforces Content-Length framing, so the header is enough.
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        if _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)
            return
        # Chunked body of unknown length: read it up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        from shared.problems import send_problem

        await send_problem(
            scope,
            send,
            status=413,
            slug="payload-too-large",
            title="Payload too large",
            detail=f"request bodies are limited to {self.max_bytes} bytes",
            headers=[(b"connection", b"close")],
        )


class Metrics:
    """Per-app Prometheus registry: request counts and latency histograms per route."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by route, method and status.",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by route and method.",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.service = service

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every request and labels it by route template, never by raw path."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        outcome = _Outcome(receive)
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status = message["status"]
            await send(message)

        try:
            await self.app(scope, outcome.receive, recording_send)
        except BaseException as exc:
            outcome.failed(exc)
            raise
        finally:
            status = outcome.logged_status()
            route = _route_template(scope)
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            labels: dict[str, Any] = {
                "service": self.metrics.service,
                "method": method,
                "route": route,
            }
            self.metrics.latency.labels(**labels).observe(time.perf_counter() - started)
            self.metrics.requests.labels(**labels, status=str(status)).inc()


CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that left before the answer


class _Outcome:
    """The status to log for one request: what was sent, or why nothing was.

    A client that disconnects before the answer is 499, not a 500: nothing failed here.
    """

    __slots__ = ("_receive", "disconnected", "status")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.status: int | None = None
        self.disconnected = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.disconnect" and self.status is None:
            self.disconnected = True  # whatever is answered now goes to nobody
        return message

    def failed(self, exc: BaseException) -> None:
        from starlette.requests import ClientDisconnect

        if self.status is None and isinstance(exc, ClientDisconnect | asyncio.CancelledError):
            self.disconnected = True

    def logged_status(self) -> int:
        if self.disconnected:
            return CLIENT_CLOSED_REQUEST
        return 500 if self.status is None else self.status


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            try:
                decoded: str = value.decode("latin-1")
                return decoded
            except UnicodeDecodeError:
                return None
    return None


def _route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/wards/{ward_id}`), or `unmatched`.

    Never the raw path: that would put ids in labels and logs.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
