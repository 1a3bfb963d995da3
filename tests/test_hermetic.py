"""The suite is hermetic: peers default to a closed port, and the default ports are guarded."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.equity_audit.settings import EquitySettings
from services.monitoring_ingest.settings import IngestSettings
from services.ward_api.settings import WardSettings
from tests.support import data, hermetic


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


def test_missing_reference_data_fails_unless_skipping_is_asked_for(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(data.ALLOW_MISSING_ENV, raising=False)
    with pytest.raises(pytest.fail.Exception, match="public reference data not found"):
        data.require_data(directory=tmp_path)
    monkeypatch.setenv(data.ALLOW_MISSING_ENV, "1")
    with pytest.raises(pytest.skip.Exception, match=data.ALLOW_MISSING_ENV):
        data.require_data(directory=tmp_path)
    (tmp_path / "lsoa11_to_icb.csv").write_text("x\n")
    assert data.require_data(directory=tmp_path) == tmp_path


def test_no_suite_skips_on_missing_data_by_itself() -> None:
    """Every test needing the data goes through `require_data`, so none can skip quietly."""
    offenders = []
    for path in Path(__file__).parent.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "pytest.skip(" in line and "data" in line and path.name != "data.py":
                if path == Path(__file__):
                    continue
                offenders.append(f"{path}:{number}")
    assert not offenders, offenders


def test_a_child_process_given_a_default_port_fails_the_test() -> None:
    from vward.platform import Platform

    partial = Platform(database_url="postgresql://x@127.0.0.1:1/x", ports={"ward_api": 1})
    env = partial.environment()  # monitoring_ingest and equity_audit fall back to 8002/8003
    assert env["WARD_EQUITY_AUDIT_URL"] == env["WARD_MONITORING_URL"] == hermetic.closed_url()
    tried = hermetic.take_violations()
    assert sorted(t.split("=")[0] for t in tried) == [
        "WARD_EQUITY_AUDIT_URL",
        "WARD_MONITORING_URL",
    ]
    full = Platform(
        database_url="postgresql://x@127.0.0.1:1/x",
        ports={"ward_api": 1, "monitoring_ingest": 2, "equity_audit": 3},
    )
    full.environment()
    assert hermetic.take_violations() == []


@given(
    host=st.sampled_from(sorted(hermetic.LOCAL_HOSTS)),
    port=st.integers(min_value=0, max_value=65535),
    rest=st.lists(st.integers(min_value=0, max_value=9), max_size=2),
)
def test_exactly_the_default_ports_on_loopback_are_refused(
    host: str, port: int, rest: list[int]
) -> None:
    address = (host, port, *rest)  # IPv6 addresses carry flowinfo and scope id
    assert hermetic._forbidden(address) is (port in hermetic.DEFAULT_PORTS)
    assert hermetic._forbidden(("192.0.2.1", port, *rest)) is False
    assert hermetic._forbidden("/run/postgresql/.s.PGSQL.5432") is False  # AF_UNIX
