"""Text PostgreSQL can store: the one check every string a client sends goes through.

PostgreSQL `text` cannot hold NUL (U+0000), and a lone surrogate (a JSON escape such as
``\\ud800``) is not a character at all, so neither can be encoded for the wire. Both are
the client's mistake; refusing them where they arrive keeps them from becoming a database
error (logged as a 500) behind the client's 422.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "INVALID_TEXT",
    "INVALID_TEXT_TITLE",
    "MAX_PATH_PARAM_CHARS",
    "pointer_token",
    "text_errors",
    "unstorable",
]

INVALID_TEXT = "invalid-text"
INVALID_TEXT_TITLE = "Invalid text"
# Path parameters are ids and codes; the longest id a body schema accepts is a device id of
# 200 characters (monitoring_ingest's device registration), so no path segment needs more.
MAX_PATH_PARAM_CHARS = 200


def unstorable(text: str) -> str | None:
    """Why PostgreSQL cannot store `text`, or None when it can."""
    if "\x00" in text:
        return "contains a NUL (U+0000) character, which text cannot hold"
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is not text"
    return None


def pointer_token(part: object) -> str:
    """One RFC 6901 reference token."""
    return str(part).replace("~", "~0").replace("/", "~1")


def text_errors(value: Any, pointer: str = "") -> list[dict[str, str]]:
    """Every string in a decoded JSON value (keys too) that PostgreSQL cannot store."""
    errors: list[dict[str, str]] = []
    stack: list[tuple[str, Any]] = [(pointer, value)]
    while stack:  # iterative: a deeply nested body must not exhaust the recursion limit
        where, item = stack.pop()
        if isinstance(item, str):
            why = unstorable(item)
            if why is not None:
                errors.append({"pointer": where or "/", "message": why, "code": "invalid_text"})
        elif isinstance(item, dict):
            children = []
            for key, inner in item.items():
                child = f"{where}/{pointer_token(key)}"
                why = unstorable(key) if isinstance(key, str) else None
                if why is not None:
                    errors.append(
                        {"pointer": child, "message": f"key {why}", "code": "invalid_text"}
                    )
                children.append((child, inner))
            stack.extend(reversed(children))  # reversed: errors come out in document order
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(f"{where}/{i}", inner) for i, inner in enumerate(item)]))
    return errors
