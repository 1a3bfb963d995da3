"""Each service's OpenAPI document says which problems a client can get back."""

from __future__ import annotations

import pytest

from vward.platform import SERVICES


def _schema(service: str) -> dict:
    spec = next(s for s in SERVICES if s.name == service)
    module, factory = spec.app.split(":")
    return getattr(__import__(module, fromlist=[factory]), factory)().openapi()


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_every_protected_operation_documents_auth_and_rate_problems(service: str) -> None:
    schema = _schema(service)
    assert "Problem" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "503" in responses, (method, path)
            if path in ("/healthz", "/readyz", "/metrics"):
                assert "401" not in responses
                continue
            for status in ("401", "403", "429"):
                assert status in responses, (method, path, status)
                content = responses[status]["content"]
                assert "application/problem+json" in content, (method, path, status)


def test_validation_errors_are_documented_as_problems() -> None:
    operation = _schema("ward_api")["paths"]["/v1/admissions"]["post"]
    content = operation["responses"]["422"]["content"]
    assert list(content) == ["application/problem+json"]
    assert {"400", "413"} <= set(operation["responses"])
