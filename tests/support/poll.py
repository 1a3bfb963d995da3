"""The one way tests wait: poll a condition until it holds, and fail at a deadline.

`eventually` (async) and `eventually_blocking` (for sync tests driving real processes) share
the rule: a truthy value ends the wait and is returned; a falsy value, or a transient error
(a connection refused or cut, a database restarting), means "not yet"; at the deadline the
test fails naming what it waited for and the last value or error seen. Anything else raised
by `check` (an assertion, a bug) ends the wait at once.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import asyncpg
import httpx

T = TypeVar("T")

# What a check may raise while the thing it watches is still coming up or back.
TRANSIENT: tuple[type[BaseException], ...] = (httpx.TransportError, OSError, asyncpg.PostgresError)


class _Poll:
    def __init__(self, what: str, within: float) -> None:
        self.what, self.within = what, within
        self.deadline = time.monotonic() + within
        self.last: Any = None

    def failed(self, exc: BaseException) -> None:
        self.last = f"{type(exc).__name__}: {exc}"

    def give_up_if_late(self) -> None:
        if time.monotonic() >= self.deadline:
            self._fail()

    def _fail(self) -> NoReturn:
        raise AssertionError(f"{self.what}: not within {self.within} s (last: {self.last!r})")


async def eventually(
    check: Callable[[], Awaitable[T] | T], *, within: float, what: str, every: float = 0.05
) -> T:
    """Await `check()` (sync or async) every `every` s until truthy; fail after `within` s."""
    poll = _Poll(what, within)
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value  # type: ignore[return-value]
            poll.last = value
        except TRANSIENT as exc:
            poll.failed(exc)
        poll.give_up_if_late()
        await asyncio.sleep(every)


def eventually_blocking(
    check: Callable[[], T], *, within: float, what: str, every: float = 0.2
) -> T:
    """`eventually` for sync tests: call `check()` until truthy; fail after `within` s."""
    poll = _Poll(what, within)
    while True:
        try:
            value = check()
            if value:
                return value
            poll.last = value
        except TRANSIENT as exc:
            poll.failed(exc)
        poll.give_up_if_late()
        time.sleep(every)
