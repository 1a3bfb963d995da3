"""One shape for all three services (README "Code layout"), checked from the source and OpenAPI."""

from __future__ import annotations

import ast
import inspect
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from shared.auth import api_routes
from shared.http_client import ServiceClient
from shared.settings import REPO_ROOT
from vward.platform import SERVICES
from vward.problems_doc import problem_slugs

NAMES = [s.name for s in SERVICES]
FHIR_JSON = "application/fhir+json"
PROBLEM_JSON = "application/problem+json"
# Operational routes every service gets from shared/app_factory.py, not from a feature.
OPERATIONAL = {"/healthz", "/readyz", "/metrics"}


@cache
def _app(service: str) -> Any:
    spec = next(s for s in SERVICES if s.name == service)
    module, factory = spec.app.split(":")
    return getattr(__import__(module, fromlist=[factory]), factory)()


def _sources(*roots: str) -> list[Path]:
    return [p for root in roots for p in sorted((REPO_ROOT / root).glob("**/*.py"))]


def _imports(path: Path) -> list[ast.ImportFrom]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]


def _is_module(package: str, name: str) -> bool:
    base = REPO_ROOT.joinpath(*package.split("."), name)
    return base.with_suffix(".py").exists() or base.is_dir()


def test_no_module_imports_another_modules_private_names() -> None:
    """What one module shares with another is public: `_moment` is nobody else's business."""
    offenders = []
    for path in _sources("services"):
        for node in _imports(path):
            module = node.module or ""
            if not module.startswith("services."):
                continue
            private = [
                a.name
                for a in node.names
                if a.name.startswith("_") and not _is_module(module, a.name)
            ]
            if private:
                offenders.append(f"{path.relative_to(REPO_ROOT)}: {module} {private}")
    assert not offenders


def test_one_raw_connection_helper() -> None:
    users = [
        str(p.relative_to(REPO_ROOT))
        for p in _sources("services", "shared")
        if "get_raw_connection" in p.read_text(encoding="utf-8")
    ]
    assert users == ["shared/database.py"]


@pytest.mark.parametrize("path", _sources("services"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_endpoints_are_thin(path: Path) -> None:
    """A router parses, calls its service and returns: no queries, no reaching into app.state."""
    if path.name != "endpoints.py":
        return
    text = path.read_text(encoding="utf-8")
    for node in _imports(path):
        module = node.module or ""
        assert not module.endswith(".repository"), module
        assert "repository" not in {a.name for a in node.names}, module
        assert not module.startswith(("sqlalchemy", "asyncpg")), module
    assert "app.state" not in text, "settings and peer clients come through typed dependencies"


# Awaited in a router without being a call into the feature's logic.
_PLUMBING = {"request.body", "request.json", "run_idempotent"}


@pytest.mark.parametrize("path", _sources("services"), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_an_endpoint_makes_one_service_call(path: Path) -> None:
    """Scope checks and follow-up reads belong in the service, where every caller gets them."""
    if path.name != "endpoints.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    crowded = {}
    for function in tree.body:
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        calls = [
            ast.unparse(node.value.func)
            for node in ast.walk(function)
            if isinstance(node, ast.Await) and isinstance(node.value, ast.Call)
        ]
        calls = [c for c in calls if c not in _PLUMBING]
        if len(calls) > 1:
            crowded[function.name] = calls
    assert crowded == {}


@pytest.mark.parametrize("service", NAMES)
def test_one_client_module_per_peer(service: str) -> None:
    """`clients/<peer>.py` holds the one client class for `<peer>`."""
    clients = REPO_ROOT / "services" / service / "clients"
    modules = sorted(p.stem for p in clients.glob("*.py") if p.stem != "__init__")
    assert modules and set(modules) <= set(NAMES) - {service}, modules
    for name in modules:
        module = __import__(f"services.{service}.clients.{name}", fromlist=["_"])
        classes = [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, ServiceClient)
            and obj is not ServiceClient
            and obj.__module__ == module.__name__
        ]
        assert [c.peer for c in classes] == [name], (name, classes)


def _untyped(schema: dict[str, Any]) -> bool:
    """An empty schema or a bare object with no properties: OpenAPI shows `object`."""
    if not schema:
        return True
    if "$ref" in schema or "anyOf" in schema or "allOf" in schema:
        return False
    if schema.get("type") == "array":
        return _untyped(schema.get("items", {}))
    if schema.get("type") == "object" and not schema.get("properties"):
        extra = schema.get("additionalProperties", True)
        return extra is True or (isinstance(extra, dict) and _untyped(extra))
    return False


@pytest.mark.parametrize("service", NAMES)
def test_every_success_response_has_a_schema(service: str) -> None:
    document = _app(service).openapi()
    untyped = []
    for path, operations in document["paths"].items():
        if path in OPERATIONAL:
            continue
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                json = response.get("content", {}).get("application/json")
                if json is not None and _untyped(json.get("schema", {})):
                    untyped.append(f"{method} {path} {status}")
    assert not untyped


@pytest.mark.parametrize("service", NAMES)
def test_route_problems_are_documented_one_way(service: str) -> None:
    """Every problem a route declares is a problem+json body with one example per slug."""
    raised = set().union(*problem_slugs().values())
    raised |= {"validation-error", "database-unavailable", "bad-gateway", "ward-full"}
    for route in api_routes(_app(service)):
        if route.path in OPERATIONAL:
            continue
        for status, response in route.responses.items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            if route.path.endswith("/readings/fhir") and list(content) == [FHIR_JSON]:
                continue  # a failed transaction Bundle: FHIR's own OperationOutcome, as FHIR says
            assert list(content) == [PROBLEM_JSON], (route.path, status)
            examples = content[PROBLEM_JSON].get("examples", {})
            assert examples, (route.path, status)
            for slug, example in examples.items():
                assert slug in raised, (route.path, slug)
                assert example["value"]["status"] == int(status), (route.path, slug)
                assert f"`{slug}`" in response["description"], (route.path, slug)


@pytest.mark.parametrize("service", NAMES)
def test_every_problem_a_service_raises_is_documented(service: str) -> None:
    """Each problem type raised in a service's code is an example on at least one route."""
    documented: set[str] = set()
    for route in api_routes(_app(service)):
        for response in route.responses.values():
            content = response.get("content", {}).get(PROBLEM_JSON, {})
            documented |= set(content.get("examples", {}))
    assert sorted(problem_slugs().get(service, set()) - documented) == []
