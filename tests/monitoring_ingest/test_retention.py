"""Reading retention on a fresh schema: old monthly partitions go with their identities.

Its own database, so dropping partitions cannot disturb other tests' readings, and so the
readings "far in the past" (2018, 2019) meet only the partitions made here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.readings import retention
from services.monitoring_ingest.settings import IngestSettings
from shared.database import create_engine
from shared.migrate import upgrade
from tests.conftest import _drop_database, fresh_database

PAST = [datetime(2019, 1, 15, tzinfo=UTC), datetime(2019, 2, 10, tzinfo=UTC),
        datetime(2019, 3, 5, tzinfo=UTC)]  # fmt: skip
IN_DEFAULT = datetime(2018, 6, 1, tzinfo=UTC)  # no monthly partition: lands in DEFAULT


@pytest.fixture(scope="module")
def retention_db(database_server_url: str) -> Iterator[str]:
    url = fresh_database(database_server_url, prefix="vward_ingest_retention")
    upgrade(url, "monitoring_ingest@head")
    try:
        yield url
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


@pytest.fixture
async def conn(retention_db: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(retention_db)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def engine(retention_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(retention_db, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _store(conn: asyncpg.Connection, at: datetime) -> bytes:
    """One reading and its identity, as the ingest path stores them."""
    key = hashlib.sha256(f"{at.isoformat()}-{uuid.uuid4()}".encode()).digest()
    await conn.execute(
        "INSERT INTO monitoring.reading_identities (reading_key, observed_at) VALUES ($1, $2)",
        key,
        at,
    )
    await conn.execute(
        "INSERT INTO monitoring.readings (reading_key, observed_at, admission_id, ward_id, "
        "device_id, code, value, unit, provenance) "
        "VALUES ($1, $2, $3, $4, 'DEV-OLD', '8867-4', 70, '/min', 'device')",
        key,
        at,
        uuid.uuid4(),
        uuid.uuid4(),
    )
    return key


async def _partitions(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'monitoring.readings'::regclass"
    )
    return {r[0] for r in rows}


async def _identities(conn: asyncpg.Connection, keys: list[bytes]) -> set[bytes]:
    rows = await conn.fetch(
        "SELECT reading_key FROM monitoring.reading_identities "
        "WHERE reading_key = ANY($1::bytea[])",
        keys,
    )
    return {r[0] for r in rows}


def _month_name(at: datetime) -> str:
    return f"readings_y{at:%Y}m{at:%m}"


def _months_ago(months: int) -> datetime:
    now = datetime.now(UTC)
    total = now.year * 12 + now.month - 1 - months
    return datetime(total // 12, total % 12 + 1, 1, tzinfo=UTC)


async def test_retention_drops_old_partitions_and_their_identities_only(
    conn: asyncpg.Connection, engine: AsyncEngine
) -> None:
    await conn.execute("SELECT monitoring.ensure_reading_partitions('2019-01-01', 3)")
    past = [await _store(conn, at) for at in PAST]
    kept_default = await _store(conn, IN_DEFAULT)
    two_months_ago = await _store(conn, _months_ago(2) + timedelta(days=3))
    last_month = await _store(conn, _months_ago(1) + timedelta(days=3))
    current = await _store(conn, datetime.now(UTC) - timedelta(seconds=1))
    before = await _partitions(conn)
    assert {_month_name(at) for at in PAST} <= before

    # Off by default: nothing is touched.
    assert await retention.drop_expired_partitions(engine, IngestSettings()) == []
    assert await _partitions(conn) == before

    # Three years: the 2019 months go, oldest first, with exactly their identities.
    three_years = IngestSettings(reading_retention_months=36)
    dropped = await retention.drop_expired_partitions(engine, three_years)
    assert [d.name for d in dropped] == [_month_name(at) for at in PAST]
    assert [d.identities_deleted for d in dropped] == [1, 1, 1]
    assert await _partitions(conn) == before - {_month_name(at) for at in PAST}
    assert await _identities(conn, past) == set()
    keep = [kept_default, two_months_ago, last_month, current]
    assert await _identities(conn, keep) == set(keep)
    old_rows = await conn.fetchval(
        "SELECT count(*) FROM monitoring.readings WHERE observed_at < '2020-01-01'"
    )
    assert old_rows == 1  # the DEFAULT partition's reading: never dropped
    assert await retention.drop_expired_partitions(engine, three_years) == []  # idempotent

    # The shortest retention still keeps last month, this month and the months ahead.
    one_month = await retention.drop_expired_partitions(
        engine, IngestSettings(reading_retention_months=1)
    )
    assert _month_name(_months_ago(2)) in {d.name for d in one_month}
    remaining = await _partitions(conn)
    ahead = [_months_ago(-n) for n in range(0, 3)]
    assert {_month_name(_months_ago(1)), "readings_default"} | {
        _month_name(m) for m in ahead
    } <= remaining
    assert await _identities(conn, keep) == {kept_default, last_month, current}


async def test_identities_stay_append_only_outside_retention(conn: asyncpg.Connection) -> None:
    key = await _store(conn, datetime.now(UTC) - timedelta(minutes=5))
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("DELETE FROM monitoring.reading_identities WHERE reading_key = $1", key)
    with pytest.raises(asyncpg.RestrictViolationError):
        await conn.execute("TRUNCATE monitoring.reading_identities")
    # The retention setting never reaches the current month, even if set by hand.
    async with conn.transaction():
        await conn.execute("SELECT set_config('monitoring.retention_cutoff', '2999-01-01', true)")
        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute(
                "DELETE FROM monitoring.reading_identities WHERE reading_key = $1", key
            )
    with pytest.raises(asyncpg.InvalidParameterValueError):
        await conn.execute(
            "SELECT * FROM monitoring.drop_expired_reading_partition(0, interval '31 days')"
        )
    assert await _identities(conn, [key]) == {key}
