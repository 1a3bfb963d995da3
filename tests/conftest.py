"""Test fixtures: one real PostgreSQL per run (embedded unless DATABASE_URL is set)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

os.environ.setdefault("VWARD_ENVIRONMENT", "test")
TEST_JWT_SECRET = "test-secret-for-the-vward-suite-only-0123456789"
os.environ["VWARD_JWT_SECRET"] = TEST_JWT_SECRET

from shared.auth import Role, TokenCodec  # noqa: E402
from shared.scratch_db import create_database, drop_database  # noqa: E402
from tests.support import hermetic  # noqa: E402

hermetic.point_peers_at_closed_port()
hermetic.install_guard()


@pytest.fixture(autouse=True)
def _no_service_it_did_not_start() -> Iterator[None]:
    """Fail a test that reached 8001-8003: a developer's `make up`, not the test's own."""
    yield from hermetic.check_no_default_ports()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if tried := hermetic.take_violations():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\ntried to reach services the tests did not start: {sorted(set(tried))}")


def _drop_database(server_url: str, name: str) -> None:
    drop_database(server_url, name)


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """DATABASE_URL's server when given, else a throwaway embedded PostgreSQL."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    from shared.embedded_pg import EmbeddedPostgres, free_port

    root = Path(tempfile.mkdtemp(prefix="vward-test-pg-"))
    server = EmbeddedPostgres(root=root, port=free_port())
    url = server.start()
    try:
        yield url
    finally:
        server.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str, prefix: str = "vward_test") -> str:
    """Create an empty database on the server and return its URL."""
    return create_database(server_url, prefix)


@pytest.fixture(scope="session")
def database_url(database_server_url: str) -> Iterator[str]:
    """A fresh database for this run with every migration applied."""
    from shared.migrate import upgrade

    url = fresh_database(database_server_url)
    upgrade(url)
    try:
        yield url
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


@pytest.fixture(scope="session")
def codec() -> TokenCodec:
    return TokenCodec(TEST_JWT_SECRET)


@pytest.fixture(scope="session")
def auth(codec: TokenCodec) -> Callable[..., dict[str, str]]:
    """`auth(Role.clinician, wards=["W1"])` -> Authorization header for that principal."""

    def _auth(role: Role, **scopes: Any) -> dict[str, str]:
        subject = scopes.pop("subject", f"test-{role}")
        token = codec.issue(subject=subject, role=role, **scopes)
        return {"Authorization": f"Bearer {token}"}

    return _auth


@asynccontextmanager
async def serve_in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and hand back a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        # Like a real server: unhandled errors become 500 responses, not test exceptions.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@asynccontextmanager
async def _service_client(
    create_app: Callable[..., FastAPI], settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """One service in-process on the run's database; the client carries its `app`."""
    app = create_app(settings)
    async with serve_in_process(app) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="session")
async def ward_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from services.ward_api.app import create_app
    from services.ward_api.settings import WardSettings

    async with _service_client(create_app, WardSettings(database_url=database_url)) as client:
        yield client


@pytest.fixture(scope="session")
async def ingest_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from services.monitoring_ingest.app import create_app
    from services.monitoring_ingest.settings import IngestSettings

    async with _service_client(create_app, IngestSettings(database_url=database_url)) as client:
        yield client


@pytest.fixture(scope="session")
async def equity_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from services.equity_audit.app import create_app
    from services.equity_audit.settings import EquitySettings

    async with _service_client(create_app, EquitySettings(database_url=database_url)) as client:
        yield client
