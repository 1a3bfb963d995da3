"""deploy/Dockerfile: multi-stage, non-root, no secrets; and the health check it runs."""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType

import pytest

from shared.settings import REPO_ROOT
from vward.platform import SERVICES

from .settings_env import secret_env_names, settings_class

DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|PEPPER|TOKEN|DATABASE_URL", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    parsed = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            parsed.append((keyword.upper(), arguments.strip()))
    return parsed


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, FROM first."""
    found: list[list[tuple[str, str]]] = []
    for keyword, arguments in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, arguments))
    return found


def build_args() -> dict[str, str]:
    pairs = (args.split("=", 1) for key, args in instructions() if key == "ARG" and "=" in args)
    return dict(pairs)


def test_is_multi_stage_with_a_slim_python_311_runtime() -> None:
    all_stages = stages()
    assert len(all_stages) >= 2
    base = all_stages[-1][0][1].split()[0]
    for name, value in build_args().items():
        base = base.replace(f"${{{name}}}", value)
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base)
    copies = [args for key, args in all_stages[-1] if key == "COPY"]
    assert any(args.startswith("--from=builder") for args in copies)


def test_builder_and_runtime_share_a_base_so_the_copied_venv_runs() -> None:
    bases = {stage[0][1].split()[0] for stage in stages()}
    assert len(bases) == 1, bases


def test_runtime_runs_as_a_numeric_non_root_user() -> None:
    users = [args for key, args in stages()[-1] if key == "USER"]
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert not gid or (gid.isdigit() and int(gid) > 0)


def test_health_check_asks_healthz() -> None:
    (check,) = [args for key, args in stages()[-1] if key == "HEALTHCHECK"]
    assert "/healthz" in check
    assert "deploy/healthcheck.py" in check


def test_no_secret_is_baked_in() -> None:
    secrets = {name for spec in SERVICES for name in secret_env_names(settings_class(spec))}
    for keyword, arguments in instructions():
        if keyword in ("ENV", "ARG"):
            assert not SECRET_WORDS.search(arguments), arguments
            assert not any(name in arguments for name in secrets), arguments


def test_installs_the_pinned_dependencies_before_the_source() -> None:
    builder = stages()[0]
    copies = [args for key, args in builder if key == "COPY"]
    assert copies[0] == "pyproject.toml ./"
    assert any("pip install -r" in args for key, args in builder if key == "RUN")


def test_everything_copied_from_the_context_exists() -> None:
    for keyword, arguments in instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            *sources, _ = arguments.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), source


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".env", ".git", ".venv", ".vward"} <= ignored


# --- deploy/healthcheck.py -----------------------------------------------------------------


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "vward_healthcheck", REPO_ROOT / "deploy" / "healthcheck.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_health_check_knows_every_service_port_variable(healthcheck) -> None:
    assert set(healthcheck.PORT_VARIABLES) == {f"{spec.env_prefix}PORT" for spec in SERVICES}


def test_health_check_uses_the_one_port_set(healthcheck) -> None:
    assert healthcheck.service_port({"INGEST_PORT": "8002"}) == 8002
    with pytest.raises(ValueError, match="exactly one"):
        healthcheck.service_port({})
    with pytest.raises(ValueError, match="exactly one"):
        healthcheck.service_port({"WARD_PORT": "8001", "EQUITY_PORT": "8003"})


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_service() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_health_check_exit_code_follows_the_status(healthcheck, local_service, monkeypatch):
    monkeypatch.setenv("WARD_PORT", str(local_service))
    monkeypatch.delenv("INGEST_PORT", raising=False)
    monkeypatch.delenv("EQUITY_PORT", raising=False)
    assert healthcheck.main(["healthcheck.py", "/healthz"]) == 0
    assert healthcheck.main(["healthcheck.py", "/readyz"]) == 1  # 503
