"""Text no service can store, in any path, query or header parameter of any route.

Generated from the route tables, like the authorization matrix: every parameter of every
route gets a NUL, and the answer must be a 422 `invalid-text` problem that carries its
request id and is logged and counted as the 422 it is (never a 500 behind a 4xx).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

import orjson
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.auth import Role, api_routes, route_policy
from shared.text import MAX_PATH_PARAM_CHARS
from tests.security.routes import PLAUSIBLE, TABLES, assert_problem

NUL = "a\x00b"


@dataclass(frozen=True)
class Hole:
    service: str
    method: str
    path: str
    kind: str  # path, query or header
    name: str
    role: Role | None

    @property
    def label(self) -> str:
        return f"{self.service} {self.method} {self.path} {self.kind}:{self.name}"


def _params(dependant: Dependant, kind: str) -> set[str]:
    found = {f.alias for f in getattr(dependant, f"{kind}_params")}
    for sub in dependant.dependencies:
        found |= _params(sub, kind)
    return found


def _role(route: APIRoute) -> Role | None:
    policy = sorted(str(p) for p in route_policy(route) or () if isinstance(p, Role))
    return Role(policy[0]) if policy else None


def _holes() -> list[Hole]:
    holes = []
    for service, app in TABLES.items():
        for route in api_routes(app):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                for kind in ("path", "query", "header"):
                    for name in sorted(_params(route.dependant, kind)):
                        holes.append(Hole(service, method, route.path, kind, name, _role(route)))
    return holes


HOLES = _holes()


def _url(path: str, **values: str) -> str:
    out = path
    for name in _PARAM_NAMES(path):
        value = values.get(name) or PLAUSIBLE.get(name) or "00000000-0000-0000-0000-000000000001"
        out = out.replace("{" + name + "}", quote(value, safe=""))
    return out


def _PARAM_NAMES(path: str) -> list[str]:
    import re

    return re.findall(r"{([^}:]+)(?::[^}]*)?}", path)


def _access_record(caplog: pytest.LogCaptureFixture, service: str) -> logging.LogRecord:
    records = [r for r in caplog.records if r.name == f"vward.{service}.access"]
    assert len(records) == 1, [r.getMessage() for r in records]
    return records[0]


def _counted(app, record: logging.LogRecord, status: int) -> float:
    labels = {
        "service": app.state.service,
        "method": record.method,
        "route": record.route,
        "status": str(status),
    }
    return app.state.metrics.registry.get_sample_value("http_requests_total", labels) or 0.0


async def _send(
    clients, auth, hole: Hole, *, path_value: str | None = None, query=None, headers=None
):
    client = clients[hole.service]
    request_headers = dict(headers or {})
    if hole.role is not None:
        request_headers.update(auth(hole.role, icbs=["*"], wards=["*"]))
    url = _url(hole.path, **({hole.name: path_value} if path_value is not None else {}))
    if query:
        url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    content = b"{}" if hole.method != "GET" else None
    if content is not None:
        request_headers.setdefault("content-type", "application/json")
    return await client.request(hole.method, url, content=content, headers=request_headers)


def test_every_kind_of_parameter_is_covered() -> None:
    kinds = {h.kind for h in HOLES}
    assert {"path", "query"} <= kinds, kinds
    print(f"text edge: {len(HOLES)} parameters across {len(TABLES)} services")


@pytest.mark.parametrize("hole", HOLES, ids=lambda h: h.label)
async def test_nul_in_any_parameter_is_a_logged_422(
    clients, auth, hole: Hole, caplog: pytest.LogCaptureFixture
) -> None:
    app = clients[hole.service].app
    caplog.clear()
    with caplog.at_level(logging.INFO):
        if hole.kind == "path":
            response = await _send(clients, auth, hole, path_value=NUL)
        elif hole.kind == "query":
            response = await _send(clients, auth, hole, query={hole.name: NUL})
        else:
            response = await _send(clients, auth, hole, headers={hole.name: NUL})
    body = assert_problem(response, 422, "invalid-text")
    assert (
        body["errors"][0]["pointer"]
        == f"/{hole.kind}/{hole.name.lower() if hole.kind == 'header' else hole.name}"
    )
    request_id = response.headers.get("x-request-id")
    assert request_id and body["request_id"] == request_id
    record = _access_record(caplog, hole.service)
    assert record.status == response.status_code
    assert _counted(app, record, 422) >= 1


PATH_HOLES = [h for h in HOLES if h.kind == "path"]


@pytest.mark.parametrize("hole", PATH_HOLES, ids=lambda h: h.label)
async def test_overlong_path_parameter_is_a_422(clients, auth, hole: Hole) -> None:
    """A 20 KB device id (or any id) in a path is refused, as a body's would be."""
    response = await _send(clients, auth, hole, path_value="D" * 20_000)
    body = assert_problem(response, 422, "invalid-text")
    assert body["errors"][0]["pointer"] == f"/path/{hole.name}"
    # The limit is the longest id a body accepts: one that long is not refused for length.
    fits = await _send(clients, auth, hole, path_value="D" * MAX_PATH_PARAM_CHARS)
    assert fits.status_code != 422 or "invalid-text" not in fits.text, fits.text[:300]


_WARD = {
    "icb_code": "E54000050",
    "provider_ods_code": "RBL",
    "provider_name": "Edge Trust",
    "pathways": ["frailty"],
    "beds": 1,
}


async def test_lone_surrogate_in_a_body_is_a_logged_422_with_a_pointer(
    clients, auth, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"name": "ward \\ud800", ' + orjson.dumps(_WARD)[1:]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = await clients["ward_api"].post(
            "/v1/wards",
            content=body,
            headers={**auth(Role.admin), "content-type": "application/json"},
        )
    problem = assert_problem(response, 422, "invalid-text")
    assert [e["pointer"] for e in problem["errors"]] == ["/body/name"]
    assert _access_record(caplog, "ward_api").status == 422


@pytest.mark.parametrize("caller", [None, Role.commissioner], ids=["anonymous", "wrong-role"])
async def test_a_refused_caller_learns_nothing_about_the_body_text(
    clients, auth, caller: Role | None
) -> None:
    headers = {"content-type": "application/json"}
    if caller is not None:
        headers.update(auth(caller, icbs=["*"]))
    body = orjson.dumps({"name": "w\x00", **_WARD})
    response = await clients["ward_api"].post("/v1/wards", content=body, headers=headers)
    assert_problem(response, 401 if caller is None else 403)
