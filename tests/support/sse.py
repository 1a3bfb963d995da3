"""Reading Server-Sent Events in tests: an ASGI transport that streams, and a parser with deadlines.

httpx's ASGITransport collects the whole body before answering, which never happens for an
event stream; `StreamingASGITransport` answers at `http.response.start` and hands the body
over chunk by chunk, and closing the response tells the app the client went away.
Every read is bounded by a deadline, so a test can never hang on a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp, Message


class _Body(httpx.AsyncByteStream):
    def __init__(self, chunks: asyncio.Queue[bytes | None], gone: asyncio.Event, task) -> None:
        self._chunks, self._gone, self._task = chunks, gone, task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self._gone.set()
        try:
            async with asyncio.timeout(5):
                await asyncio.shield(self._task)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Like httpx.ASGITransport, but the response streams while the app is still sending."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        started: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        gone = asyncio.Event()
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start" and not started.done():
                started.set_result(message)
            elif message["type"] == "http.response.body":
                if message.get("body"):
                    chunks.put_nowait(message["body"])
                if not message.get("more_body", False):
                    chunks.put_nowait(None)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            finally:
                chunks.put_nowait(None)
                if not started.done():
                    started.set_exception(RuntimeError("the app sent no response"))

        task = asyncio.create_task(run())
        start = await started
        return httpx.Response(
            start["status"], headers=start.get("headers", []), stream=_Body(chunks, gone, task)
        )


@dataclass
class Event:
    id: str | None = None
    event: str | None = None
    data: Any = None
    comments: list[str] = field(default_factory=list)


class SSEReader:
    """Parses an open `text/event-stream` response; every read has a deadline.

    A task pumps lines into a queue, so a read that times out loses nothing and leaves the
    stream readable. Use `async with SSEReader(response) as reader:`.
    """

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._current = Event()
        self.heartbeats = 0

    async def __aenter__(self) -> SSEReader:
        async def pump() -> None:
            try:
                async for line in self._response.aiter_lines():
                    self._lines.put_nowait(line)
            finally:
                self._lines.put_nowait(None)

        self._pump = asyncio.create_task(pump())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._pump is not None
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.StreamError):
            await self._pump

    async def next(self, within: float) -> Event:
        """The next event (heartbeats counted and skipped); TimeoutError after `within` s."""
        async with asyncio.timeout(within):
            while (line := await self._lines.get()) is not None:
                current = self._current
                if line == "":
                    self._current = Event()
                    if current.event is not None or current.data is not None:
                        return current
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    self.heartbeats += 1
                    current.comments.append(value)
                elif name == "data":
                    current.data = json.loads(value)
                elif name in ("id", "event"):
                    setattr(current, name, value)
            self._lines.put_nowait(None)  # stay ended for the next read
            raise EOFError("the stream ended")

    async def take(self, count: int, within: float) -> list[Event]:
        """Exactly `count` events, all within `within` seconds."""
        deadline = time.monotonic() + within
        return [await self.next(max(0.01, deadline - time.monotonic())) for _ in range(count)]

    async def quiet(self, seconds: float) -> list[Event]:
        """Whatever events arrive in the next `seconds` (for 'nothing else came')."""
        seen: list[Event] = []
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError, EOFError):
            while (left := deadline - time.monotonic()) > 0:
                seen.append(await self.next(left))
        return seen

    async def ended(self, within: float) -> bool:
        """True when the server closes the stream within `within` seconds (events skipped)."""
        try:
            while True:
                await self.next(within)
        except EOFError:
            return True
        except TimeoutError:
            return False
