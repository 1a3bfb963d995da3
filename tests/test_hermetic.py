"""The suite is hermetic: peers default to a closed port, and the default ports are guarded."""

from __future__ import annotations

import socket

import httpx
import pytest

from services.equity_audit.settings import EquitySettings
from services.monitoring_ingest.settings import IngestSettings
from services.ward_api.settings import WardSettings
from tests.support import hermetic


def test_every_peer_url_defaults_to_the_closed_port() -> None:
    closed = hermetic.closed_url()
    assert WardSettings().monitoring_url == closed
    assert WardSettings().equity_audit_url == closed
    assert IngestSettings().ward_api_url == closed
    assert EquitySettings().ward_api_url == closed
    assert WardSettings(equity_audit_url="http://127.0.0.1:1").equity_audit_url.endswith(":1")


def test_the_closed_port_refuses_at_once() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(hermetic.closed_url(), timeout=2, trust_env=False)
    with socket.socket() as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", hermetic.closed_port()))  # nobody else can take it


@pytest.mark.parametrize("port", sorted(hermetic.DEFAULT_PORTS))
async def test_reaching_a_default_port_is_refused_and_recorded(port: int) -> None:
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(trust_env=False) as client:
            await client.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    with pytest.raises(ConnectionRefusedError), socket.socket() as sock:
        sock.connect(("localhost", port))
    tried = hermetic.take_violations()  # taken here, so this test itself does not fail
    assert tried and all(f", {port}" in t for t in tried), tried
