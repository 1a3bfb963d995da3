"""Reading a JSON payload that may arrive as bytes, text or already decoded."""

from __future__ import annotations

import json

import orjson

from services.monitoring_ingest.domain.outcomes import MalformedPayload


def load_json(payload: object) -> object:
    """Decode bytes or text with orjson; pass already-decoded values through.

    orjson refuses a lone surrogate escape (``"\\ud800"``) outright, which would sink the
    whole batch for one bad string. Such a payload is decoded again by the standard library,
    which keeps the surrogate, so only the item carrying it is refused (shared.text).
    """
    if isinstance(payload, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            if "surrogate" not in str(error):
                raise MalformedPayload(f"payload is not JSON: {error}") from error
            return _load_keeping_surrogates(payload, error)
    return payload


def _load_keeping_surrogates(
    payload: bytes | bytearray | memoryview | str, error: Exception
) -> object:
    try:
        text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8")
        return json.loads(text)
    except (ValueError, RecursionError) as again:  # UnicodeDecodeError is a ValueError
        raise MalformedPayload(f"payload is not JSON: {error}") from again
