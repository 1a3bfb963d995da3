"""API keys and request signatures: keyed hashes only, constant-time comparisons.

A vendor holds an API key and the signing secret issued with it. The server stores
HMAC-SHA256(pepper, key) and re-derives the signing secret from the presented key and the
pepper, so a copy of the database alone neither authenticates nor signs.

    signature = hex(HMAC-SHA256(signing_secret, f"{timestamp}.{METHOD}.{path}.".encode() + body))
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["derive_signing_secret", "hash_api_key", "new_api_key", "sign", "signature_matches"]

KEY_PREFIX = "vwk_"


def new_api_key() -> str:
    """A fresh random API key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(pepper: bytes, api_key: str) -> bytes:
    """The keyed hash stored for (and looked up by) an API key."""
    return hmac.new(pepper, b"api-key\x00" + api_key.encode(), hashlib.sha256).digest()


def derive_signing_secret(pepper: bytes, api_key: str) -> str:
    """The signing secret issued with `api_key` (hex); never stored."""
    return hmac.new(pepper, b"signing\x00" + api_key.encode(), hashlib.sha256).hexdigest()


def sign(signing_secret: str, *, timestamp: str, method: str, path: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the signing string; what a vendor puts in X-Signature."""
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return hmac.new(signing_secret.encode(), message, hashlib.sha256).hexdigest()


def signature_matches(expected: str, presented: str) -> bool:
    return hmac.compare_digest(expected.encode(), presented.lower().encode())
