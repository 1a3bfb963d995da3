"""Run a creating POST under an optional Idempotency-Key and answer with the stored response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.idempotency.service import StoredResponse, claim, store
from shared.auth import Principal
from shared.problems import BadRequest

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying with the same key returns the first answer and does nothing twice.",
    ),
]


async def run_idempotent(
    session: AsyncSession,
    principal: Principal,
    *,
    endpoint: str,
    key: str | None,
    body: Any,
    work: Callable[[], Awaitable[StoredResponse]],
    required: bool = False,
) -> JSONResponse:
    """Replay a stored answer for a repeated key, else do the work and store its answer."""
    if key is None and required:
        raise BadRequest(
            "this endpoint needs an Idempotency-Key header", slug="idempotency-key-missing"
        )
    payload = jsonable_encoder(body)
    scope = f"{endpoint}:{principal.subject}"
    if key is not None:
        stored = await claim(session, scope=scope, key=key, body=payload)
        if stored is not None:
            return _respond(stored, replayed=True)
    response = await work()
    response = StoredResponse(
        response.status_code, response.media_type, jsonable_encoder(response.body)
    )
    if key is not None:
        await store(session, scope=scope, key=key, response=response)
    return _respond(response, replayed=False)


def _respond(response: StoredResponse, *, replayed: bool) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(
        response.body,
        status_code=response.status_code,
        media_type=response.media_type,
        headers=headers,
    )
