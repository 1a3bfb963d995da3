"""One typed base for calls between services: timeouts, retries, request ids, problems."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from typing import Any

import httpx

from shared.auth import Role, TokenCodec
from shared.observability import REQUEST_ID_HEADER, current_request_id

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUS = frozenset({502, 503, 504})


class PeerError(Exception):
    """A peer answered with a problem (or not at all); carries what it said."""

    def __init__(
        self, peer: str, status: int | None, problem: Mapping[str, Any] | None, detail: str
    ) -> None:
        super().__init__(f"{peer}: {detail}")
        self.peer = peer
        self.status = status
        self.problem = dict(problem or {})
        self.detail = detail

    @property
    def type(self) -> str | None:
        return self.problem.get("type")


class PeerUnavailable(PeerError):
    """The peer could not be reached or kept failing after retries."""


class ServiceClient:
    """Wraps one httpx.AsyncClient for one peer; subclasses add typed methods."""

    peer = "peer"

    def __init__(
        self,
        base_url: str,
        *,
        codec: TokenCodec,
        caller: str,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.2,
        deadline: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._codec = codec
        self._caller = caller
        self._retries = retries
        self._backoff = backoff
        # One call, retries included, never takes much longer than this.
        self._deadline = deadline if deadline is not None else timeout * 2
        self._token: tuple[str, float] | None = None
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            transport=transport,
            trust_env=False,  # never route service tokens through an ambient HTTP proxy
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def _service_token(self) -> str:
        """A short-lived service token, minted again shortly before it expires."""
        now = time.time()
        if self._token is None or self._token[1] - now < 60:
            ttl = 300
            token = self._codec.issue(
                subject=self._caller, role=Role.service, icbs=["*"], wards=["*"], ttl_seconds=ttl
            )
            self._token = (token, now + ttl)
        return self._token[0]

    async def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send with auth and request id; retry idempotent calls on transport errors and 5xx."""
        method = method.upper()
        may_retry = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        all_headers = {"Authorization": f"Bearer {self._service_token()}"}
        request_id = current_request_id()
        if request_id:
            all_headers[REQUEST_ID_HEADER] = request_id
        all_headers.update(headers or {})
        attempts = self._retries + 1
        deadline = time.monotonic() + self._deadline
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                # Exponential backoff with full jitter, never past the overall deadline.
                pause = random.uniform(0, self._backoff * 2 ** (attempt - 1))  # noqa: S311
                if time.monotonic() + pause >= deadline:
                    break
                await asyncio.sleep(pause)
            try:
                response = await self._client.request(
                    method, url, json=json, params=params, headers=all_headers
                )
            except httpx.ConnectError as exc:
                last = exc  # nothing was sent: safe to try again whatever the method
                continue
            except httpx.TransportError as exc:
                last = exc
                if not may_retry:
                    break  # the peer may have acted on it: only the caller can decide
                continue
            if response.status_code in RETRYABLE_STATUS and may_retry and attempt + 1 < attempts:
                last = PeerUnavailable(self.peer, response.status_code, None, "peer not ready")
                continue
            if response.status_code >= 400:
                raise self._problem(response)
            return response
        raise PeerUnavailable(self.peer, None, None, f"unreachable: {last!r}")

    def _problem(self, response: httpx.Response) -> PeerError:
        try:
            body = response.json()
        except ValueError:
            body = None
        problem = body if isinstance(body, dict) else None
        detail = (problem or {}).get("detail") or response.reason_phrase
        cls = PeerUnavailable if response.status_code >= 500 else PeerError
        return cls(self.peer, response.status_code, problem, str(detail))
