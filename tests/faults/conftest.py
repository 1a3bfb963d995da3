"""Fault-suite fixtures: a fresh database per test (exact counts) and platforms on free ports."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shared.embedded_pg import free_port
from tests.conftest import _drop_database, fresh_database
from tests.faults.harness import log_tail
from vward.platform import SERVICES, Platform

# Short peer timeouts keep every fault bounded: a dead or frozen peer costs 2 s, not 5.
BASE_ENV = {
    "WARD_HTTP_TIMEOUT_SECONDS": "2",
    "INGEST_HTTP_TIMEOUT_SECONDS": "2",
    "EQUITY_HTTP_TIMEOUT_SECONDS": "2",
}


def migrated_database(server_url: str) -> str:
    from shared.migrate import upgrade

    url = fresh_database(server_url, prefix="vward_faults")
    upgrade(url)
    return url


def load_ward_reference(url: str) -> None:
    """ICBs, LSOAs and denominators, without which ward_api cannot open a ward."""
    from services.ward_api import reference_data
    from tests.support.data import require_data

    reference_data.load(url, require_data())


@pytest.fixture
def fresh_db(database_server_url: str) -> Iterator[str]:
    """A database of its own for one test, every migration applied, dropped afterwards."""
    url = migrated_database(database_server_url)
    try:
        yield url
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


@pytest.fixture
def ward_db(fresh_db: str) -> str:
    """fresh_db with ward_api's reference data loaded."""
    load_ward_reference(fresh_db)
    return fresh_db


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def make_platform(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Platform]]:
    """`make_platform(url, env={...})`: services on free ports; all stopped after the test.

    On failure the end of each service's log is printed, since that is where a fault shows.
    """
    made: list[Platform] = []

    def make(
        database_url: str,
        *,
        env: Mapping[str, str] | None = None,
        ports: Mapping[str, int] | None = None,
    ) -> Platform:
        log_dir = tmp_path / f"platform-{len(made)}"
        log_dir.mkdir()
        platform = Platform(
            database_url=database_url,
            ports={**{s.name: free_port() for s in SERVICES}, **(ports or {})},
            extra_env={**BASE_ENV, **(env or {})},
            log_dir=str(log_dir),
        )
        made.append(platform)
        return platform

    yield make
    failed = request.node.stash.get(_FAILED, False)
    for platform in made:
        for service in platform.running.values():
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGCONT)  # in case a test froze it
        platform.stop_all()
        if failed:
            for spec in SERVICES:
                if tail := log_tail(platform, spec.name):
                    print(f"\n--- {spec.name} log ({platform.log_dir}) ---\n{tail}")
