"""The three services as real processes on loopback, calling each other over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from shared.auth import Role
from shared.embedded_pg import free_port
from vward.platform import SERVICES, Platform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def platform(database_url: str, tmp_path_factory) -> Iterator[Platform]:
    ports = {spec.name: free_port() for spec in SERVICES}
    log_dir = tmp_path_factory.mktemp("platform-logs")
    running = Platform(database_url=database_url, ports=ports, log_dir=str(log_dir))
    try:
        running.start_all()
        running.wait_all_ready(timeout=60)
        yield running
    finally:
        running.stop_all()


def test_all_three_ready(platform: Platform) -> None:
    for name in platform.running:
        response = httpx.get(f"{platform.url_of(name)}/readyz", timeout=5)
        assert response.status_code == 200, name


@pytest.mark.parametrize("caller", ["monitoring_ingest", "equity_audit"])
def test_service_to_service_call_carries_identity_and_request_id(
    platform: Platform, auth, caller: str
) -> None:
    response = httpx.get(
        f"{platform.url_of(caller)}/v1/peers",
        headers={**auth(Role.admin), "X-Request-ID": f"e2e-{caller}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    saw = response.json()["ward_api"]
    assert saw["status"] == "ok"
    assert saw["saw"]["subject"] == caller
    assert saw["saw"]["role"] == "service"
    assert saw["saw"]["request_id"] == f"e2e-{caller}"
    assert response.headers["x-request-id"] == f"e2e-{caller}"


def test_ward_api_reaches_both_peers(platform: Platform, auth) -> None:
    response = httpx.get(
        f"{platform.url_of('ward_api')}/v1/peers", headers=auth(Role.admin), timeout=10
    )
    body = response.json()
    assert {name: peer["status"] for name, peer in body.items()} == {
        "monitoring_ingest": "ok",
        "equity_audit": "ok",
    }


def test_stopping_leaves_no_process(database_url: str) -> None:
    ports = {spec.name: free_port() for spec in SERVICES}
    running = Platform(database_url=database_url, ports=ports)
    running.start_all()
    processes = [s.process for s in running.running.values()]
    running.wait_all_ready(timeout=60)
    running.stop_all()
    assert all(p.poll() is not None for p in processes)
