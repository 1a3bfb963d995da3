"""Start, watch and stop the three services as child processes (for `vward up` and tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import httpx

from shared.settings import REPO_ROOT


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    app: str
    env_prefix: str
    default_port: int


SERVICES = (
    ServiceSpec("ward_api", "services.ward_api.app:create_app", "WARD_", 8001),
    ServiceSpec("monitoring_ingest", "services.monitoring_ingest.app:create_app", "INGEST_", 8002),
    ServiceSpec("equity_audit", "services.equity_audit.app:create_app", "EQUITY_", 8003),
)


@dataclass
class RunningService:
    spec: ServiceSpec
    port: int
    process: subprocess.Popen[bytes]
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Platform:
    """The three services on loopback, wired to each other and to one database."""

    database_url: str
    ports: Mapping[str, int] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    log_dir: str | None = None
    running: dict[str, RunningService] = field(default_factory=dict)

    def port_of(self, name: str) -> int:
        spec = next(s for s in SERVICES if s.name == name)
        return self.ports.get(name, spec.default_port)

    def url_of(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port_of(name)}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.database_url,
                # A service-specific URL in our own environment would otherwise win.
                "WARD_DATABASE_URL": self.database_url,
                "INGEST_DATABASE_URL": self.database_url,
                "EQUITY_DATABASE_URL": self.database_url,
                "WARD_MONITORING_URL": self.url_of("monitoring_ingest"),
                "WARD_EQUITY_AUDIT_URL": self.url_of("equity_audit"),
                "INGEST_WARD_API_URL": self.url_of("ward_api"),
                "EQUITY_WARD_API_URL": self.url_of("ward_api"),
                "PYTHONPATH": str(REPO_ROOT),
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, name: str) -> RunningService:
        """Launch one service under uvicorn; returns at once (see `wait_ready`)."""
        spec = next(s for s in SERVICES if s.name == name)
        port = self.port_of(name)
        env = self.environment()
        env[f"{spec.env_prefix}PORT"] = str(port)
        log: IO[bytes] | int = (
            open(os.path.join(self.log_dir, f"{name}.log"), "ab")  # noqa: SIM115
            if self.log_dir
            else subprocess.DEVNULL
        )
        try:
            process = self._spawn(spec, port, env, log)
        finally:
            if not isinstance(log, int):
                log.close()  # the child keeps its own copy of the descriptor
        service = RunningService(spec, port, process)
        self.running[name] = service
        return service

    @staticmethod
    def _spawn(
        spec: ServiceSpec, port: int, env: dict[str, str], log: Any
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                spec.app,
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "10",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our Ctrl-C handling decides when children stop
        )

    def start_all(self) -> None:
        for spec in SERVICES:
            self.start(spec.name)

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        """Poll /readyz until 200; fail early if the process died."""
        service = self.running[name]
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {service.process.returncode}")
            try:
                response = httpx.get(f"{service.url}/readyz", timeout=2.0, trust_env=False)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout}s: {last}")

    def wait_all_ready(self, timeout: float = 60.0) -> None:
        for name in self.running:
            self.wait_ready(name, timeout)

    def stop(self, name: str, *, kill: bool = False, timeout: float = 15.0) -> None:
        """SIGTERM (or SIGKILL) one service and wait for it to exit."""
        service = self.running.pop(name, None)
        if service is None or service.process.poll() is not None:
            return
        service.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            service.process.wait(timeout)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(5)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)
