"""monitoring_ingest's own revisions step down and up again on their branch alone."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from shared.migrate import downgrade, upgrade
from tests.conftest import _drop_database, fresh_database


def _indexes(url: str) -> set[str]:
    async def _fetch() -> set[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'monitoring'"
            )
            return {r["indexname"] for r in rows}
        finally:
            await conn.close()

    return asyncio.run(_fetch())


def test_alert_state_index_revision_downgrades_and_upgrades(database_server_url: str) -> None:
    url = fresh_database(database_server_url, prefix="vward_ingest_migrations")
    try:
        upgrade(url, "monitoring_ingest@head")
        assert "ix_alerts_status_raised_at" in _indexes(url)
        downgrade(url, "monitoring_ingest_0002")
        indexes = _indexes(url)
        assert "ix_alerts_status_raised_at" not in indexes and "ix_alerts_pending" in indexes
        upgrade(url, "monitoring_ingest@head")
        assert "ix_alerts_status_raised_at" in _indexes(url)
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


def _retention_objects(url: str) -> set[str]:
    async def _fetch() -> set[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'monitoring' UNION ALL "
                "SELECT t.tgname FROM pg_trigger t "
                "WHERE t.tgrelid = 'monitoring.reading_identities'::regclass "
                "AND NOT t.tgisinternal UNION ALL "
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'monitoring'"
            )
            return {r[0] for r in rows}
        finally:
            await conn.close()

    return asyncio.run(_fetch())


def test_retention_revision_downgrades_and_upgrades(database_server_url: str) -> None:
    url = fresh_database(database_server_url, prefix="vward_ingest_migrations")
    added = {
        "drop_expired_reading_partition",
        "refuse_identity_change",
        "reading_identities_no_truncate",
    }
    try:
        upgrade(url, "monitoring_ingest@head")
        assert added | {"reading_identities_append_only"} <= _retention_objects(url)
        downgrade(url, "monitoring_ingest_0003")
        objects = _retention_objects(url)
        assert not added & objects
        assert {"reading_identities_append_only", "refuse_change"} <= objects
        upgrade(url, "monitoring_ingest@head")
        assert added <= _retention_objects(url)
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


def _lease_and_lock(url: str) -> tuple[set[str], bool]:
    """The alerts' lease columns, and whether ensure_reading_partitions takes its lock."""

    async def _fetch() -> tuple[set[str], bool]:
        conn = await asyncpg.connect(url)
        try:
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                "'monitoring' AND table_name = 'alerts' AND column_name IN "
                "('locked_until', 'lease_token')"
            )
            source = await conn.fetchval(
                "SELECT prosrc FROM pg_proc WHERE proname = 'ensure_reading_partitions'"
            )
            return {r[0] for r in columns}, "pg_advisory_xact_lock" in source
        finally:
            await conn.close()

    return asyncio.run(_fetch())


def test_lease_and_partition_lock_revisions_downgrade_and_upgrade(
    database_server_url: str,
) -> None:
    url = fresh_database(database_server_url, prefix="vward_ingest_migrations")
    try:
        upgrade(url, "monitoring_ingest@head")
        assert _lease_and_lock(url) == ({"locked_until", "lease_token"}, True)
        downgrade(url, "monitoring_ingest_0005")
        assert _lease_and_lock(url) == ({"locked_until", "lease_token"}, False)
        downgrade(url, "monitoring_ingest_0004")
        assert _lease_and_lock(url) == (set(), False)
        upgrade(url, "monitoring_ingest@head")
        assert _lease_and_lock(url) == ({"locked_until", "lease_token"}, True)
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


def _has_plans(url: str) -> bool:
    async def _fetch() -> bool:
        conn = await asyncpg.connect(url)
        try:
            found = await conn.fetchval("SELECT to_regclass('monitoring.monitoring_plans')")
            return found is not None
        finally:
            await conn.close()

    return asyncio.run(_fetch())


def test_monitoring_plans_revision_downgrades_and_upgrades(database_server_url: str) -> None:
    url = fresh_database(database_server_url, prefix="vward_ingest_migrations")
    try:
        upgrade(url, "monitoring_ingest@head")
        assert _has_plans(url)
        downgrade(url, "monitoring_ingest_0008")
        assert not _has_plans(url)
        upgrade(url, "monitoring_ingest@head")
        assert _has_plans(url)
    finally:
        _drop_database(database_server_url, make_url(url).database or "")
