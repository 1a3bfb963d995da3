"""Periodic upkeep: missed-readings alerts, partitions ahead, fresh statistics, retention, purge.

Every step is idempotent and safe to run on several replicas at once (each step's module says
how). Each step is its own transaction and its failure is logged without skipping the
others; maintenance runs as a task apart from alert delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.alerts.raising import check_missed_readings
from services.monitoring_ingest.readings import retention
from services.monitoring_ingest.readings.partitions import (
    analyze_reading_partitions,
    ensure_partitions,
)
from services.monitoring_ingest.settings import IngestSettings
from services.monitoring_ingest.vendors.service import purge_seen_signatures

logger = logging.getLogger("vward.monitoring_ingest.maintenance")


async def run(engine: AsyncEngine, settings: IngestSettings) -> list[str]:
    """One maintenance round, every step attempted; returns the names of the steps that failed."""
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("missed_readings", lambda: check_missed_readings(engine, settings)),
        ("partitions", lambda: ensure_partitions(engine)),
        ("analyze", lambda: analyze_reading_partitions(engine)),
        ("seen_signatures", lambda: purge_seen_signatures(engine, settings)),
        ("retention", lambda: retention.drop_expired_partitions(engine, settings)),
    ]
    failed = []
    for name, step in steps:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:  # the other steps, and alert delivery, go on
            logger.exception("maintenance step failed", extra={"step": name})
            failed.append(name)
    return failed


async def run_forever(engine: AsyncEngine, settings: IngestSettings) -> None:
    """A round at once and then every `maintenance_interval_seconds`, whatever fails."""
    while True:
        try:
            await run(engine, settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # run() logs its steps; this is only a last resort
            logger.exception("maintenance round failed")
        await asyncio.sleep(settings.maintenance_interval_seconds)
