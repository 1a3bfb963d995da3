"""docker-compose.yml agrees with the settings classes: ports, variables, peers, health."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from shared.settings import REPO_ROOT
from vward.platform import SERVICES, ServiceSpec

from .settings_env import (
    CONTAINER_HOST,
    env_names,
    load_settings,
    peer_url_fields,
    secret_env_names,
    settings_class,
)

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
# Secrets the operator exports before `docker compose up` (deploy/README.md).
SECRETS = sorted(
    {"POSTGRES_PASSWORD"}
    | {name for spec in SERVICES for name in secret_env_names(settings_class(spec))}
    - {"DATABASE_URL"}  # built from POSTGRES_PASSWORD
)
OPERATOR_ENV = {name: f"{name.lower()}-" + "s" * 40 for name in SECRETS}

_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    """A `${NAME:?message}` variable was not set."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` substitution."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = variables.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if not unset:
            return current or ""
        if op in (":?", "?"):
            raise MissingVariable(f"{name}: {arg}")
        return arg if op in (":-", "-") else ""

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    return compose["services"][name]


def environment(
    entry: dict[str, Any], variables: Mapping[str, str] = OPERATOR_ENV
) -> dict[str, str]:
    return {key: interpolate(str(value), variables) for key, value in entry["environment"].items()}


def published_ports(entry: dict[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) for each `[ip:]host:container` entry."""
    pairs = []
    for port in entry.get("ports", []):
        *_, host, container = str(port).split(":")
        pairs.append((int(host), int(container)))
    return pairs


def test_compose_runs_postgres_migrate_and_the_three_services(compose) -> None:
    expected = {"postgres", "migrate", *(spec.name for spec in SERVICES)}
    assert set(compose["services"]) == expected


def test_postgres_is_a_supported_version_with_a_health_check_and_a_volume(compose) -> None:
    postgres = service(compose, "postgres")
    assert re.fullmatch(r"postgres:1[56](\.\d+)?(-\w+)?", postgres["image"])
    assert "pg_isready" in postgres["healthcheck"]["test"]
    (volume,) = postgres["volumes"]
    assert volume.split(":")[0] in compose["volumes"]


def test_migrate_job_upgrades_every_branch_once_postgres_is_healthy(compose) -> None:
    migrate = service(compose, "migrate")
    assert migrate["command"] == ["vward", "db", "upgrade"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    assert set(migrate["environment"]) == {"DATABASE_URL"}
    assert make_url(environment(migrate)["DATABASE_URL"]).host == "postgres"


@pytest.mark.parametrize("secret", SECRETS)
def test_secrets_are_required_variables_never_defaults(secret: str) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    uses = re.findall(rf"\$\{{{secret}([^}}]*)\}}", text)
    assert uses, f"{secret} is not used"
    assert all(use.startswith(":?") for use in uses), f"{secret} must be ${{{secret}:?...}}"
    with pytest.raises(MissingVariable, match=secret):
        interpolate(text, {name: "x" for name in SECRETS if name != secret})


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
class TestService:
    def test_command_serves_the_app_on_the_settings_port(self, compose, spec: ServiceSpec):
        port = settings_class(spec).model_fields["port"].default
        assert port == spec.default_port
        command = service(compose, spec.name)["command"]
        assert command[:3] == ["uvicorn", spec.app, "--factory"]
        assert command[command.index("--host") + 1] == CONTAINER_HOST
        assert command[command.index("--port") + 1] == str(port)

    def test_published_port_is_the_settings_port(self, compose, spec: ServiceSpec) -> None:
        port = settings_class(spec).model_fields["port"].default
        assert published_ports(service(compose, spec.name)) == [(port, port)]

    def test_secrets_come_from_required_variables(self, compose, spec: ServiceSpec) -> None:
        env = service(compose, spec.name)["environment"]
        for name in secret_env_names(settings_class(spec)) - {"DATABASE_URL"}:
            assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env.get(name, "")), name

    def test_every_variable_is_a_settings_field(self, compose, spec: ServiceSpec) -> None:
        names = set(service(compose, spec.name)["environment"])
        unknown = names - env_names(settings_class(spec))
        assert not unknown, f"{spec.name} does not read {sorted(unknown)}"

    def test_settings_load_from_the_compose_environment(self, compose, spec: ServiceSpec):
        entry = service(compose, spec.name)
        env = environment(entry)
        settings = load_settings(settings_class(spec), env)
        assert settings.port == spec.default_port
        assert env[f"{spec.env_prefix}PORT"] == str(spec.default_port)
        assert settings.environment == "production"
        assert settings.jwt_secret.get_secret_value() == OPERATOR_ENV["VWARD_JWT_SECRET"]
        assert make_url(settings.database_url or "").host == "postgres"
        assert env["DATABASE_URL"] == environment(service(compose, "migrate"))["DATABASE_URL"]

    def test_peer_urls_point_at_the_peer_service_and_port(self, compose, spec: ServiceSpec):
        cls = settings_class(spec)
        settings = load_settings(cls, environment(service(compose, spec.name)))
        peers = {peer.name: peer for peer in SERVICES}
        for field, peer in peer_url_fields(cls).items():
            assert peer in compose["services"]
            expected = f"http://{peer}:{peers[peer].default_port}"
            assert getattr(settings, field) == expected, field

    def test_reference_data_is_mounted_read_only_at_the_data_dir(self, compose, spec):
        entry = service(compose, spec.name)
        settings = load_settings(settings_class(spec), environment(entry))
        mounts = [interpolate(volume, {}).split(":") for volume in entry["volumes"]]
        assert [str(settings.data_dir), "ro"] in [mount[1:] for mount in mounts]

    def test_health_check_asks_readyz(self, compose, spec: ServiceSpec) -> None:
        test = service(compose, spec.name)["healthcheck"]["test"]
        assert test[0] == "CMD" and "/readyz" in test
        script = Path(test[2])
        assert script.parts[:2] == ("/", "app")
        assert (REPO_ROOT / script.relative_to("/app")).is_file()

    def test_starts_after_migrations_succeed(self, compose, spec: ServiceSpec) -> None:
        depends_on = service(compose, spec.name)["depends_on"]
        assert depends_on == {"migrate": {"condition": "service_completed_successfully"}}

    def test_container_is_hardened(self, compose, spec: ServiceSpec) -> None:
        entry = service(compose, spec.name)
        assert entry["read_only"] is True
        assert entry["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in entry["security_opt"]
        assert entry["build"]["dockerfile"] == "deploy/Dockerfile"
