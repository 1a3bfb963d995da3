"""The OpenAPI document names each route's own problems, with an example body for each."""

from __future__ import annotations

from typing import Any

import pytest

from services.ward_api.app import create_app
from shared.auth import api_routes
from vward.problems_doc import problem_slugs

PROBLEM_JSON = "application/problem+json"

# (method, path) -> {status: slugs the route really answers with}
EXPECTED: dict[tuple[str, str], dict[int, set[str]]] = {
    ("post", "/v1/patients"): {
        409: {"patient-exists"},
        422: {"invalid-nhs-number", "unknown-lsoa", "idempotency-key-reused"},
    },
    ("get", "/v1/patients/{patient_id}"): {403: {"wrong-ward"}, 404: {"patient-not-found"}},
    ("post", "/v1/admissions"): {
        400: {"idempotency-key-missing", "malformed-json"},
        403: {"wrong-ward"},
        404: {"ward-not-found", "patient-not-found"},
        409: {
            "ward-full",
            "already-admitted",
            "ward-not-open",
            "bed-not-free-since",
            "overlapping-stay",
        },
        422: {
            "pathway-not-served",
            "admission-in-future",
            "referral-in-future",
            "admission-before-referral",
            "idempotency-key-reused",
        },
    },
    ("get", "/v1/admissions/{admission_id}"): {404: {"admission-not-found"}, 403: {"wrong-ward"}},
    ("post", "/v1/admissions/{admission_id}/discharge"): {
        404: {"admission-not-found"},
        409: {"already-discharged"},
        422: {"discharge-before-admission", "discharge-in-future"},
    },
    ("get", "/v1/wards/{ward_id}/waitlist"): {404: {"ward-not-found"}, 403: {"wrong-ward"}},
    ("get", "/v1/wards/{ward_id}/caseload"): {404: {"ward-not-found"}, 403: {"wrong-ward"}},
    ("post", "/v1/wards"): {422: {"unknown-icb", "unknown-sub-icb", "idempotency-key-reused"}},
    ("get", "/v1/wards"): {404: {"icb-not-found"}},
    ("get", "/v1/wards/{ward_id}"): {404: {"ward-not-found"}, 403: {"wrong-ward"}},
    ("patch", "/v1/wards/{ward_id}"): {
        404: {"ward-not-found"},
        409: {"ward-has-patients"},
        422: {"unknown-sub-icb"},
    },
    ("post", "/v1/wards/{ward_id}/capacity"): {
        404: {"ward-not-found"},
        409: {"capacity-below-occupancy"},
    },
    ("get", "/v1/wards/{ward_id}/capacity-history"): {404: {"ward-not-found"}},
    ("post", "/v1/internal/alerts"): {
        404: {"admission-not-found"},
        409: {"admission-ward-mismatch", "alert-id-reused"},
    },
    ("get", "/v1/wards/{ward_id}/alerts"): {404: {"ward-not-found"}, 403: {"wrong-ward"}},
    ("post", "/v1/alerts/{alert_id}/acknowledge"): {404: {"alert-not-found"}},
    ("post", "/v1/alerts/{alert_id}/resolve"): {
        404: {"alert-not-found"},
        409: {"alert-already-resolved"},
    },
    ("get", "/v1/capacity"): {403: {"wrong-icb"}, 404: {"icb-not-found"}},
    ("get", "/v1/capacity/history"): {
        403: {"wrong-icb"},
        404: {"icb-not-found", "capacity-history-not-found"},
    },
    ("post", "/v1/capacity/plans"): {
        403: {"wrong-icb"},
        404: {"icb-not-found", "ward-not-found"},
        422: {
            "plan-parameters-conflict",
            "plan-has-no-areas",
            "ward-catchment-missing",
            "catchment-bases-differ",
        },
        502: {"bad-gateway", "need-weights-incomplete"},
        503: {"need-weights-unavailable", "database-unavailable"},
    },
    ("get", "/v1/capacity/plans/{plan_id}"): {403: {"wrong-icb"}, 404: {"plan-not-found"}},
    ("post", "/v1/admin/sitrep"): {
        400: {"bad-encoding", "malformed-json"},
        422: {"sitrep-invalid", "unsupported-media-type"},
    },
    ("get", "/v1/internal/aggregates/admissions"): {422: {"invalid-date-range"}},
    ("get", "/v1/icbs/{code}"): {404: {"icb-not-found"}},
}

# Problem types the generated catalogue misses (class defaults and hand-built bodies are seen).
UNLISTED_SLUGS: set[str] = set()  # none since the catalogue is read from the AST


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def document(app) -> dict[str, Any]:
    return app.openapi()


def _declared(app, method: str, path: str) -> dict[int | str, dict[str, Any]]:
    (route,) = [r for r in api_routes(app) if r.path == path and method.upper() in r.methods]
    return route.responses


def _examples(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    content = response.get("content", {}).get(PROBLEM_JSON, {})
    assert content.get("schema") == {"$ref": "#/components/schemas/Problem"}, response
    return {name: example["value"] for name, example in content.get("examples", {}).items()}


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED), ids="{0[0]} {0[1]}".format)
def test_route_documents_its_problems(app, document, method: str, path: str) -> None:
    operation = document["paths"][path][method]
    for status, slugs in EXPECTED[(method, path)].items():
        if status == 422:
            # shared/openapi.py currently replaces every route's 422 with its generic one,
            # so the route's own 422 problems are checked where the route declares them.
            response = _declared(app, method, path)[status]
        else:
            response = operation["responses"][str(status)]
        examples = _examples(response)
        assert slugs <= set(examples), (status, sorted(examples))
        for slug in slugs:
            assert f"`{slug}`" in response["description"]


def test_every_example_is_a_problem_ward_api_raises(app) -> None:
    raised = set().union(*problem_slugs().values()) | UNLISTED_SLUGS
    seen = 0
    for route in api_routes(app):
        for status, response in route.responses.items():
            if PROBLEM_JSON not in response.get("content", {}):
                continue
            for slug, body in _examples(response).items():
                seen += 1
                assert body["type"].endswith(f"/{slug}") and body["status"] == int(status)
                assert body["title"] and body["detail"], (route.path, slug)
                assert slug in raised, (route.path, slug)
    assert seen > 60
