"""Maintenance: partitions made once however many replicas race, statistics kept fresh."""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from services.monitoring_ingest import maintenance
from services.monitoring_ingest.readings import partitions
from services.monitoring_ingest.settings import IngestSettings
from shared.database import async_url

REPLICAS = 6


async def _partitions(conn: asyncpg.Connection, prefix: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'monitoring.readings'::regclass AND c.relname LIKE $1",
        prefix + "%",
    )
    return {r[0] for r in rows}


async def _drop_partitions(database_url: str, prefix: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        for name in await _partitions(conn, prefix):
            await conn.execute(f"DROP TABLE monitoring.{name}")
    finally:
        await conn.close()


async def test_replicas_creating_the_same_partitions_at_once_all_succeed(database_url) -> None:
    """Each replica's round sees the months missing; they take turns and none fails."""
    year = random.randint(2300, 2900)  # months no other test uses
    prefix = f"readings_y{year}"
    conns = [await asyncpg.connect(database_url) for _ in range(REPLICAS)]
    transactions = [conn.transaction() for conn in conns]
    try:
        for transaction in transactions:
            await transaction.start()
        # All call at once inside open transactions, as concurrent maintenance rounds do:
        # the first creates, the rest wait for it and must then find the work done.
        calls = {
            asyncio.ensure_future(
                conn.fetchval(
                    "SELECT monitoring.ensure_reading_partitions($1, 3)", date(year, 1, 1)
                )
            ): index
            for index, conn in enumerate(conns)
        }
        created = []
        pending = set(calls)
        while pending:
            done, pending = await asyncio.wait(pending, timeout=20, return_when="FIRST_COMPLETED")
            assert done, "a replica is stuck behind another"
            for call in done:
                created.append(call.result())  # raised DuplicateTableError before the fix
                await transactions[calls[call]].commit()
        assert sorted(created) == [0] * (REPLICAS - 1) + [3]
        assert await _partitions(conns[0], prefix) == {
            f"{prefix}m01",
            f"{prefix}m02",
            f"{prefix}m03",
        }
    finally:
        for conn in conns:  # closing rolls back whatever is still open
            conn.terminate()
        await _drop_partitions(database_url, prefix)


async def test_replicas_racing_without_transactions_all_succeed(database_url) -> None:
    year = random.randint(2300, 2900)
    prefix = f"readings_y{year}"
    conns = [await asyncpg.connect(database_url) for _ in range(REPLICAS)]
    try:
        created = await asyncio.gather(
            *(
                conn.fetchval(
                    "SELECT monitoring.ensure_reading_partitions($1, 2)", date(year, 6, 1)
                )
                for conn in conns
            )
        )
        assert sum(created) == 2
        assert len(await _partitions(conns[0], prefix)) == 2
    finally:
        for conn in conns:
            await conn.close()
        await _drop_partitions(database_url, prefix)


@pytest.mark.parametrize(
    ("live", "changed", "expected"),
    [
        (0, 0, False),
        (500, 500, False),  # too few rows to matter
        (5_000, 5_000, True),  # never analysed, or analysed when empty
        (100_000, 5_000, False),  # 5 % growth: the statistics still hold
        (100_000, 20_000, True),
    ],
)
def test_needs_analyze(live: int, changed: int, expected: bool) -> None:
    assert partitions.needs_analyze(live, changed, min_changes=1000, growth=0.1) is expected


async def _current_partition_stats(conn: asyncpg.Connection) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT relname, n_mod_since_analyze, analyze_count FROM pg_stat_user_tables "
        "WHERE schemaname = 'monitoring' AND relname = to_char(now(), '\"readings_y\"YYYY\"m\"MM')"
    )


async def test_a_grown_partition_is_analysed_once(database_url) -> None:
    engine = create_async_engine(async_url(database_url))
    conn = await asyncpg.connect(database_url)
    try:
        now = datetime.now(UTC)
        admission, ward = uuid.uuid4(), uuid.uuid4()
        rows = [
            (hashlib.sha256(f"analyse-{admission}-{i}".encode()).digest(),
             now - timedelta(seconds=i % 3600), admission, ward, "DEV-A", "8867-4", 70.0,
             "/min", "device")
            for i in range(3000)
        ]  # fmt: skip
        await conn.copy_records_to_table(
            "readings",
            schema_name="monitoring",
            records=rows,
            columns=["reading_key", "observed_at", "admission_id", "ward_id", "device_id",
                     "code", "value", "unit", "provenance"],
        )  # fmt: skip
        await conn.execute("SELECT pg_stat_force_next_flush()")
        before = await _current_partition_stats(conn)
        assert before["n_mod_since_analyze"] >= 3000

        analysed = await partitions.analyze_reading_partitions(engine, min_changes=2000)
        assert before["relname"] in analysed
        after = await _current_partition_stats(conn)
        assert after["analyze_count"] == before["analyze_count"] + 1
        assert after["n_mod_since_analyze"] < 2000
        assert await partitions.analyze_reading_partitions(engine, min_changes=2000) == []
    finally:
        await conn.close()
        await engine.dispose()


async def test_one_failing_step_does_not_skip_the_others(database_url, monkeypatch) -> None:
    engine = create_async_engine(async_url(database_url))
    ran: list[str] = []

    async def broken(engine, settings) -> int:
        raise RuntimeError("bindings table is locked")

    async def partitions(engine, months: int = 3) -> int:
        ran.append("partitions")
        return 0

    monkeypatch.setattr(maintenance, "check_missed_readings", broken)
    monkeypatch.setattr(maintenance, "ensure_partitions", partitions)
    try:
        failed = await maintenance.run(engine, IngestSettings(database_url=database_url))
    finally:
        await engine.dispose()
    assert failed == ["missed_readings"] and ran == ["partitions"]
