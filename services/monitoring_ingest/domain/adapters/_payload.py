"""Reading a JSON payload that may arrive as bytes, text or already decoded."""

from __future__ import annotations

import orjson

from services.monitoring_ingest.domain.outcomes import MalformedPayload


def load_json(payload: object) -> object:
    """Decode bytes or text with orjson; pass already-decoded values through."""
    if isinstance(payload, bytes | bytearray | memoryview | str):
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            raise MalformedPayload(f"payload is not JSON: {error}") from error
    return payload
