"""Route-table helpers: every API route of a service with a concrete path and a request."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from shared.auth import Role, api_routes, route_policy
from tests.support.sse import StreamingASGITransport

PUBLIC = "public"
VENDOR_SIGNED = "vendor"
ROLES = tuple(Role)

# Path parameters that are not UUIDs get a plausible value. `kind` is deliberately not one of
# the importer's kinds, so an admitted admin's request cannot replace reference data.
PLAUSIBLE = {
    "code": "E54000050",
    "device_id": "DEV-SECURITY-0001",
    "kind": "no-such-kind",
}
_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, with the roles its declared policy admits."""

    service: str
    method: str
    path: str
    policy: frozenset[str]
    has_body: bool
    signed: bool  # authenticated by the vendor's request signature, not a bearer token
    streams: bool = False  # answers an endless text/event-stream when admitted

    @property
    def label(self) -> str:
        return f"{self.service} {self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def url(self, **values: str) -> str:
        """The path with each parameter filled from `values`, else a random UUID or code."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return values.get(name) or PLAUSIBLE.get(name) or str(uuid.uuid4())

        return _PARAM.sub(fill, self.path)

    async def send(
        self,
        client: httpx.AsyncClient,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        **values: str,
    ) -> httpx.Response:
        """Send with an empty JSON object as body (or `body`) wherever a body is possible."""
        content = body if body is not None else (b"{}" if self.method != "GET" else None)
        request_headers = dict(headers or {})
        if content is not None:
            request_headers.setdefault("content-type", "application/json")
        if not self.streams:
            return await client.request(
                self.method, self.url(**values), content=content, headers=request_headers
            )
        # An admitted caller gets a stream that never ends: take its head and hang up.
        transport = StreamingASGITransport(client.app)  # type: ignore[attr-defined]
        async with (
            httpx.AsyncClient(transport=transport, base_url=client.base_url, timeout=10) as sse,
            sse.stream(
                self.method, self.url(**values), content=content, headers=request_headers
            ) as response,
        ):
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                await response.aread()
        return response


def endpoints(service: str, app: FastAPI) -> list[Endpoint]:
    """Every (method, route) of the app; a route without a policy is an error elsewhere."""
    found = []
    for route in api_routes(app):
        policy = route_policy(route) or frozenset()
        # `allow(...)` declares Role members; the vendor signature declares the plain "vendor".
        signed = any(not isinstance(p, Role) and p == VENDOR_SIGNED for p in policy)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            found.append(
                Endpoint(
                    service=service,
                    method=method,
                    path=route.path,
                    policy=frozenset(str(p) for p in policy),
                    has_body=route.body_field is not None,
                    signed=signed,
                    streams=bool(getattr(route, "is_sse_stream", False)),
                )
            )
    return found


def problem_slug(response: httpx.Response) -> str | None:
    """The slug of a problem+json answer (`…/problems/wrong-role` → `wrong-role`)."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    return str(response.json().get("type", "")).rsplit("/", 1)[-1]


def assert_problem(response: httpx.Response, status: int, *slugs: str) -> dict:
    """The answer is a clean RFC 9457 problem with this status (and one of these slugs)."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json"), (
        response.headers["content-type"]
    )
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://vward.dev/problems/")
    assert {"title", "instance"} <= body.keys()
    if slugs:
        assert problem_slug(response) in slugs, (problem_slug(response), slugs, body)
    return body


def _tables() -> dict[str, FastAPI]:
    from services.equity_audit.app import create_app as equity_app
    from services.monitoring_ingest.app import create_app as ingest_app
    from services.ward_api.app import create_app as ward_app

    return {"ward_api": ward_app(), "monitoring_ingest": ingest_app(), "equity_audit": equity_app()}


# Route tables read at collection time from apps that are built but never started.
TABLES: dict[str, FastAPI] = _tables()
ENDPOINTS: list[Endpoint] = [e for name, app in TABLES.items() for e in endpoints(name, app)]
