"""The service client: retries only when safe, forwards request ids, turns problems back."""

from __future__ import annotations

import httpx
import pytest

from shared.auth import Role, TokenCodec
from shared.http_client import PeerError, PeerUnavailable, ServiceClient
from shared.observability import request_id_var
from tests.conftest import TEST_JWT_SECRET


def _client(handler) -> ServiceClient:
    return ServiceClient(
        "http://peer",
        codec=TokenCodec(TEST_JWT_SECRET),
        caller="tester",
        backoff=0.001,
        transport=httpx.MockTransport(handler),
    )


async def test_get_is_retried_on_503_then_succeeds() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503 if len(calls) < 3 else 200, json={"ok": True})

    client = _client(handler)
    response = await client.request("GET", "/x")
    assert response.json() == {"ok": True}
    assert len(calls) == 3
    await client.aclose()


async def test_post_is_not_retried_once_it_may_have_been_sent() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("slow")

    client = _client(handler)
    with pytest.raises(PeerUnavailable):
        await client.request("POST", "/x", json={})
    assert len(calls) == 1
    await client.aclose()


async def test_post_is_retried_when_nothing_was_sent() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        return httpx.Response(201, json={})

    client = _client(handler)
    await client.request("POST", "/x", json={})
    assert len(calls) == 2
    await client.aclose()


async def test_post_503_is_not_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    client = _client(handler)
    with pytest.raises(PeerUnavailable):
        await client.request("POST", "/x", json={})
    assert len(calls) == 1
    await client.aclose()


async def test_non_object_error_body_still_becomes_peer_error() -> None:
    client = _client(lambda request: httpx.Response(404, json=["nope"]))
    with pytest.raises(PeerError) as caught:
        await client.request("GET", "/x")
    assert caught.value.status == 404
    assert caught.value.problem == {}
    await client.aclose()


async def test_idempotent_post_may_be_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow")
        return httpx.Response(201, json={})

    client = _client(handler)
    await client.request("POST", "/alerts", json={}, idempotent=True)
    assert len(calls) == 2
    await client.aclose()


async def test_service_token_and_request_id_are_sent() -> None:
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.headers)
        return httpx.Response(200)

    client = _client(handler)
    token = request_id_var.set("rid-42")
    try:
        await client.request("GET", "/x")
    finally:
        request_id_var.reset(token)
    assert seen["x-request-id"] == "rid-42"
    principal = TokenCodec(TEST_JWT_SECRET).verify(seen["authorization"].split()[1])
    assert (principal.subject, principal.role) == ("tester", Role.service)
    await client.aclose()


async def test_problem_response_becomes_peer_error() -> None:
    problem = {
        "type": "https://vward.dev/problems/ward-full",
        "title": "Full",
        "status": 409,
        "detail": "no bed",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            409, json=problem, headers={"content-type": "application/problem+json"}
        )

    client = _client(handler)
    with pytest.raises(PeerError) as caught:
        await client.request("GET", "/x")
    assert caught.value.status == 409
    assert caught.value.type == problem["type"]
    assert caught.value.detail == "no bed"
    await client.aclose()
