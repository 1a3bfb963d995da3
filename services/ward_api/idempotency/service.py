"""Idempotency keys: a retried request gets the first answer; a reused key with another body fails.

The key row is inserted in the same transaction as the work it guards. A concurrent retry
blocks on the primary key until the first transaction ends, then reads its stored answer; if
the first rolled back, the retry does the work itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.idempotency.models import IdempotencyRecord
from shared.problems import Unprocessable


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    media_type: str
    body: Any


def request_hash(body: Any) -> str:
    """SHA-256 of the canonical JSON of the request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(session: AsyncSession, *, scope: str, key: str, body: Any) -> StoredResponse | None:
    """Claim the key for this request; the stored response if it was answered before."""
    digest = request_hash(body)
    inserted = await session.scalar(
        insert(IdempotencyRecord)
        .values(scope=scope, key=key, request_hash=digest)
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.key)
    )
    if inserted is not None:
        return None
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    )
    assert record is not None
    if record.request_hash != digest:
        raise Unprocessable(
            "this Idempotency-Key was already used with a different request body",
            slug="idempotency-key-reused",
            idempotency_key=key,
        )
    assert record.status_code is not None and record.response is not None
    return StoredResponse(
        record.status_code, record.response["media_type"], record.response["body"]
    )


async def store(session: AsyncSession, *, scope: str, key: str, response: StoredResponse) -> None:
    """Remember the answer given under the key (same transaction as the work)."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .values(
            status_code=response.status_code,
            response={"media_type": response.media_type, "body": response.body},
        )
    )
