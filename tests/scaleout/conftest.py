"""Two replicas of every service, as real processes on loopback, against one fresh database."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shared.embedded_pg import free_port
from tests.conftest import _drop_database, fresh_database
from tests.faults.harness import log_tail
from tests.support.data import require_data
from vward.platform import SERVICES, Platform

# Both outboxes on (they are off under VWARD_ENVIRONMENT=test), polling often so the test is
# quick; peer timeouts explicit. Everything else is the services' defaults.
REPLICA_ENV = {
    "WARD_BINDING_OUTBOX_ENABLED": "true",
    "WARD_BINDING_POLL_SECONDS": "0.2",
    "INGEST_RELAY_ENABLED": "true",
    "INGEST_RELAY_POLL_SECONDS": "0.2",
    "WARD_HTTP_TIMEOUT_SECONDS": "5",
    "INGEST_HTTP_TIMEOUT_SECONDS": "5",
    "EQUITY_HTTP_TIMEOUT_SECONDS": "5",
}
PEER_URL_VARIABLES = {
    # variable: (service it points at)
    "WARD_MONITORING_URL": "monitoring_ingest",
    "WARD_EQUITY_AUDIT_URL": "equity_audit",
    "INGEST_WARD_API_URL": "ward_api",
    "EQUITY_WARD_API_URL": "ward_api",
}
READY_WITHIN = 45.0


@dataclass(frozen=True)
class Replicas:
    """Replica 0 and replica 1 of each service; `urls(name)` gives both base URLs."""

    database_url: str
    platforms: tuple[Platform, Platform]

    def urls(self, name: str) -> tuple[str, str]:
        first, second = self.platforms
        return first.url_of(name), second.url_of(name)


def resident_memory(platforms: list[Platform]) -> str:
    """VmRSS of each running service process, in MiB (Linux /proc; '?' elsewhere)."""
    figures = []
    for n, platform in enumerate(platforms):
        for name, service in platform.running.items():
            status = Path(f"/proc/{service.process.pid}/status")
            rss = "?"
            if status.is_file():
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss = f"{int(line.split()[1]) / 1024:.0f}"
            figures.append(f"{name}[{n}]={rss}")
    return " ".join(figures) + " MiB"


@pytest.fixture(scope="module")
def scaleout_db(database_server_url: str) -> Iterator[str]:
    """A database of its own, every migration applied, the public reference data loaded."""
    directory = require_data()
    from shared.migrate import upgrade
    from vward.reference import load_all

    started = time.monotonic()
    url = fresh_database(database_server_url, prefix="vward_scaleout")
    try:
        upgrade(url)
        load_all(url, directory)
        print(f"\n[scaleout] database migrated and loaded in {time.monotonic() - started:.1f}s")
        yield url
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


@pytest.fixture(scope="module")
def replicas(scaleout_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """Two platforms on free ports, cross-wired: each replica calls the *other* replica's peers.

    Behind a Kubernetes Service any pod may answer any call; crossing the wires makes every
    service-to-service hop in these tests go from one replica to the other one.
    """
    ports = [{spec.name: free_port() for spec in SERVICES} for _ in range(2)]
    platforms = []
    for n in (0, 1):
        other = ports[1 - n]
        crossed = {var: f"http://127.0.0.1:{other[svc]}" for var, svc in PEER_URL_VARIABLES.items()}
        log_dir = Path(tmp_path_factory.mktemp(f"replica-{n}"))
        platforms.append(
            Platform(
                database_url=scaleout_db,
                ports=ports[n],
                extra_env={**REPLICA_ENV, **crossed},
                log_dir=str(log_dir),
            )
        )
    first, second = platforms
    started = time.monotonic()
    try:
        for platform in platforms:
            platform.start_all()
        for platform in platforms:
            platform.wait_all_ready(timeout=READY_WITHIN)
        print(f"\n[scaleout] 2 x 3 services ready in {time.monotonic() - started:.1f}s")
        yield Replicas(scaleout_db, (first, second))
    finally:
        print(f"\n[scaleout] resident memory after the tests: {resident_memory(platforms)}")
        for n, platform in enumerate(platforms):
            platform.stop_all()
            for spec in SERVICES:
                tail = log_tail(platform, spec.name, lines=15)
                if "Traceback" in tail or "ERROR" in tail:
                    print(f"\n--- replica {n} {spec.name} log tail ---\n{tail}")
