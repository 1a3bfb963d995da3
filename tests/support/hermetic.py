"""Tests reach only the services they start.

A developer's `make up` listens on the services' default ports (8001-8003), so a test whose
settings keep a default peer URL would talk to that live service and pass or fail by what
the machine runs. Two defences, installed for the whole run by `tests/conftest.py`:

- every peer URL setting (`*_url` except `database_url`, in every service's settings class)
  defaults, through its environment variable, to a loopback port held bound but never
  listening by this process: connecting is refused at once, and nobody else can take it;
- a guard on `socket.connect` refuses, and records, any connection to a default port, so
  the test that tried fails even when the code under test turned the refusal into an answer;
  services started as child processes (`vward.platform.Platform`) are out of its reach, so
  a peer URL handed to one that names a default port is recorded (and replaced) instead.

Tests that start a peer pass its URL explicitly (or through `vward.platform.Platform`).
"""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from shared.settings import ServiceSettings
from vward.platform import SERVICES, Platform

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})  # noqa: S104
DEFAULT_PORTS = frozenset(spec.default_port for spec in SERVICES)

_held: socket.socket | None = None
_violations: list[str] = []


def closed_port() -> int:
    """A loopback port bound (never listened on) by this process for the whole run."""
    global _held
    if _held is None:
        _held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        _held.bind(("127.0.0.1", 0))
    return int(_held.getsockname()[1])


def closed_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def peer_url_env_names() -> list[str]:
    """The environment variable of every peer URL field of every service's settings."""
    names = []
    for spec in SERVICES:
        module = importlib.import_module(f"services.{spec.name}.settings")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ServiceSettings)
                and value is not ServiceSettings
            ):
                prefix = value.model_config.get("env_prefix", "")
                names += [
                    f"{prefix}{name}".upper()
                    for name in value.model_fields
                    if name.endswith("_url") and name != "database_url"
                ]
    return names


def point_peers_at_closed_port() -> None:
    """Default every peer URL to the closed port (an explicit setting still wins)."""
    for name in peer_url_env_names():
        os.environ[name] = closed_url()


def _forbidden(address: Any) -> bool:
    return (
        isinstance(address, tuple)
        and len(address) >= 2
        and str(address[0]).lower() in LOCAL_HOSTS
        and address[1] in DEFAULT_PORTS
    )


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _refuse(kind: str, address: Any) -> None:
    if _forbidden(address):
        _violations.append(f"{kind}{address}")
        raise ConnectionRefusedError(f"tests must not reach {address}: they did not start it")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _refuse("connect", address)
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _refuse("connect_ex", address)
    return _connect_ex(self, address)


_environment = Platform.environment


def _guarded_environment(self: Platform) -> dict[str, str]:
    """A child process is out of the socket guard's reach: check the URLs it is given."""
    env = _environment(self)
    for name, value in env.items():
        url = urlsplit(value) if name.endswith("_URL") and "://" in value else None
        if url is not None and url.hostname in LOCAL_HOSTS and url.port in DEFAULT_PORTS:
            _violations.append(f"{name}={value} for a child process")
            env[name] = closed_url()
    return env


def install_guard() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    Platform.environment = _guarded_environment  # type: ignore[method-assign]


def take_violations() -> list[str]:
    """Connections refused by the guard since the last call."""
    taken = list(_violations)
    _violations.clear()
    return taken


def check_no_default_ports() -> Iterator[None]:
    """Body of the autouse fixture: fail the test that tried to reach a default port."""
    yield  # what a session fixture set up for this test tried is reported here too
    if tried := take_violations():
        import pytest

        pytest.fail(f"tried to reach services it did not start: {sorted(set(tried))}")
