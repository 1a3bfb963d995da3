"""Hostile input: oversized, deeply nested, huge, badly encoded, injected or forged requests.

Every refusal must be a clean problem+json 4xx: never a 500, a hang or a crash.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import warnings
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import jwt.warnings
import orjson
import pytest

from shared.auth import Role, TokenCodec
from tests.conftest import TEST_JWT_SECRET
from tests.monitoring_ingest.helpers import VendorCreds, bind, new_vendor, post_signed
from tests.security.conftest import ICB_A, LSOA_A, World
from tests.security.routes import assert_problem
from tests.ward_api.conftest import nhs_number

NOW = datetime.now(UTC).isoformat()


async def _bounded(request) -> httpx.Response:
    """A request that must be answered within 30 s: a hang is a failure, not a slow pass."""
    return await asyncio.wait_for(request, timeout=30)


# ---- oversized bodies -----------------------------------------------------------------------


@pytest.mark.parametrize("service", ["ward_api", "monitoring_ingest", "equity_audit"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_oversized_body_is_413(clients, auth, service: str, framing: str) -> None:
    client = clients[service]
    limit = client.app.state.settings.max_body_bytes
    body = b"[" + b"0," * (limit // 2) + b"0]"
    assert len(body) > limit

    async def chunks():
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    content = body if framing == "content-length" else chunks()
    response = await _bounded(
        client.post(
            "/v1/whoami",
            content=content,
            headers={**auth(Role.admin), "content-type": "application/json"},
        )
    )
    assert_problem(response, 413, "payload-too-large")


# ---- deeply nested JSON ---------------------------------------------------------------------

DEPTH = 100_000
NESTED = {
    "array": b"[" * DEPTH + b"]" * DEPTH,
    "object": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
}


def _nested_targets(world: World) -> list[tuple[str, str, str, dict]]:
    clinician_a = {"wards": [world.ward_a]}
    return [
        ("ward_api", "POST", "/v1/wards", {"role": Role.admin}),
        ("ward_api", "POST", "/v1/patients", {"role": Role.clinician, **clinician_a}),
        ("ward_api", "POST", "/v1/admin/sitrep", {"role": Role.admin}),
        (
            "monitoring_ingest",
            "POST",
            f"/v1/admissions/{world.admission_a}/readings",
            {"role": Role.clinician, **clinician_a},
        ),
        ("equity_audit", "POST", "/v1/methods/rates", {"role": Role.admin}),
    ]


@pytest.mark.parametrize("shape", sorted(NESTED))
@pytest.mark.parametrize(
    "target",
    range(5),
    ids=lambda i: ["wards", "patients", "sitrep", "clinician-readings", "methods-rates"][i],
)
async def test_deeply_nested_json_is_a_4xx(
    clients, auth, world: World, target: int, shape: str
) -> None:
    service, method, path, who = _nested_targets(world)[target]
    role = who.pop("role")
    response = await _bounded(
        clients[service].request(
            method,
            path,
            content=NESTED[shape],
            headers={**auth(role, **who), "content-type": "application/json"},
        )
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("shape", sorted(NESTED))
@pytest.mark.parametrize("path", ["/v1/readings/native", "/v1/readings/fhir"])
async def test_deeply_nested_vendor_payload_is_400(
    clients, world: World, path: str, shape: str
) -> None:
    response = await _bounded(
        post_signed(clients["monitoring_ingest"], world.vendor, path, NESTED[shape])
    )
    assert_problem(response, 400, "malformed-payload")


# ---- huge batches ---------------------------------------------------------------------------


async def test_latest_vitals_over_1000_ids_is_422(clients, auth) -> None:
    ids = [str(uuid.uuid4()) for _ in range(1001)]
    response = await clients["monitoring_ingest"].post(
        "/v1/internal/latest-vitals", json={"admission_ids": ids}, headers=auth(Role.service)
    )
    assert_problem(response, 422, "validation-error")


@pytest.mark.parametrize("method", ["rates", "proportions"])
async def test_methods_over_5000_items_is_422(clients, auth, method: str) -> None:
    item = (
        {"count": 1, "denominator": 10}
        if method == "rates"
        else {"numerator": 1, "denominator": 10}
    )
    response = await clients["equity_audit"].post(
        f"/v1/methods/{method}", json={"items": [item] * 5001}, headers=auth(Role.admin)
    )
    assert_problem(response, 422, "validation-error")


async def test_sitrep_over_5000_rows_is_422(clients, auth) -> None:
    response = await clients["ward_api"].post(
        "/v1/admin/sitrep", json={"rows": [{"period": "2024-07"}] * 5001}, headers=auth(Role.admin)
    )
    assert_problem(response, 422)


READINGS_CAP = 10_000


async def test_vendor_batch_over_the_item_cap_is_refused(clients) -> None:
    ingest = clients["monitoring_ingest"]
    vendor = await new_vendor(ingest)
    bound = await bind(ingest, vendor)  # a throwaway admission, so nothing else sees the rows
    at = datetime.now(UTC) - timedelta(hours=1)
    readings = [
        {
            "code": "hr",
            "value": 60 + i % 40,
            "unit": "/min",
            "at": (at + timedelta(milliseconds=i)).isoformat(),
        }
        for i in range(READINGS_CAP + 1)
    ]
    response = await _bounded(
        post_signed(
            ingest,
            vendor,
            "/v1/readings/native",
            {"device_id": bound.device_id, "readings": readings},
        )
    )
    assert response.status_code in (413, 422), response.status_code
    assert_problem(response, response.status_code)


# ---- invalid UTF-8 --------------------------------------------------------------------------

BAD_UTF8 = b'{"name": "\xff\xfe\xc3\x28 ward"}'


@pytest.mark.parametrize(
    ("service", "path", "content_type"),
    [
        ("ward_api", "/v1/wards", "application/json"),
        ("ward_api", "/v1/admin/sitrep", "application/json"),
        ("ward_api", "/v1/admin/sitrep", "text/csv"),
        ("monitoring_ingest", "/v1/admin/vendors", "application/json"),
        ("equity_audit", "/v1/methods/rates", "application/json"),
        ("equity_audit", "/v1/admin/datasets/housing", "text/csv"),
    ],
)
async def test_invalid_utf8_body_is_400_or_422(
    clients, auth, service: str, path: str, content_type: str
) -> None:
    response = await clients[service].post(
        path, content=BAD_UTF8, headers={**auth(Role.admin), "content-type": content_type}
    )
    assert response.status_code in (400, 422), response.text[:300]
    assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/readings/native", "application/json"), ("/v1/readings/csv", "text/csv")],
)
async def test_invalid_utf8_vendor_payload_is_400(
    clients, world: World, path: str, content_type: str
) -> None:
    response = await post_signed(
        clients["monitoring_ingest"], world.vendor, path, BAD_UTF8, content_type=content_type
    )
    assert_problem(response, 400, "malformed-payload")


# ---- NUL characters -------------------------------------------------------------------------


def _nul_cases(world: World) -> dict[str, tuple[str, str, str, dict | None, dict]]:
    admin, clinician = {"role": Role.admin}, {"role": Role.clinician, "wards": [world.ward_a]}
    ward = {
        "name": "a\x00b",
        "icb_code": ICB_A,
        "provider_ods_code": "RBL",
        "provider_name": "T",
        "pathways": ["frailty"],
        "beds": 1,
    }
    patient = {
        "nhs_number": nhs_number(),
        "given_name": "a\x00b",
        "date_of_birth": "1950-01-01",
        "sex": "female",
        "ethnic_category": "A",
        "lsoa11cd": LSOA_A,
        "own_device": True,
        "broadband": True,
        "housing_concern": False,
    }
    threshold = {"measure": "heart_rate", "direction": "above", "limit": 150, "reason": "r\x00rr"}
    vendor = world.vendor.vendor_id
    return {
        "create-ward": ("ward_api", "POST", "/v1/wards", ward, admin),
        "create-patient": ("ward_api", "POST", "/v1/patients", patient, clinician),
        "rename-ward": ("ward_api", "PATCH", f"/v1/wards/{world.ward_b}", {"name": "x\x00"}, admin),
        "icb-path": ("ward_api", "GET", "/v1/icbs/E54%00", None, admin),
        "wards-query": ("ward_api", "GET", "/v1/wards?icb_code=E54%00", None, admin),
        "capacity-query": ("ward_api", "GET", "/v1/capacity?code=E54%00", None, admin),
        "vendor-name": (
            "monitoring_ingest",
            "POST",
            "/v1/admin/vendors",
            {"name": "v\x00"},
            admin,
        ),
        "device-id": (
            "monitoring_ingest",
            "POST",
            f"/v1/admin/vendors/{vendor}/devices",
            {"device_id": "d\x00"},
            admin,
        ),
        "readings-query": (
            "monitoring_ingest",
            "GET",
            f"/v1/admissions/{world.admission_a}/readings?code=h%00r",
            None,
            clinician,
        ),
        "threshold-reason": (
            "monitoring_ingest",
            "POST",
            f"/v1/admissions/{world.admission_a}/thresholds",
            threshold,
            clinician,
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "create-ward",
        "create-patient",
        "rename-ward",
        "icb-path",
        "wards-query",
        "capacity-query",
        "vendor-name",
        "device-id",
        "readings-query",
        "threshold-reason",
    ],
)
async def test_nul_character_is_a_4xx(clients, auth, world: World, case: str) -> None:
    service, method, path, body, who = _nul_cases(world)[case]
    role = who.pop("role")
    response = await clients[service].request(method, path, json=body, headers=auth(role, **who))
    # PostgreSQL text cannot hold NUL: it is refused at the edge, with a pointer to it.
    body = assert_problem(response, 422, "invalid-text")
    assert body["errors"] and body["request_id"] == response.headers["x-request-id"]


async def test_nul_in_audit_icb_is_handled(clients, auth) -> None:
    """Refused at the edge like every other NUL (it was a 404 when only the lookup saw it)."""
    response = await clients["equity_audit"].get(
        "/v1/audit", params={"icb": "Q\x00"}, headers=auth(Role.admin)
    )
    body = assert_problem(response, 422, "invalid-text")
    assert body["errors"][0]["pointer"] == "/query/icb"


# ---- SQL injection --------------------------------------------------------------------------

INJECTIONS = ["' OR 1=1 --", "'; DROP TABLE ward.ward; --", "E01012345' OR '1'='1"]


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_injected_lsoa_is_refused_and_nothing_is_created(
    clients, auth, world: World, payload: str
) -> None:
    number = nhs_number()
    body = {
        "nhs_number": number,
        "date_of_birth": "1950-01-01",
        "sex": "female",
        "ethnic_category": "A",
        "lsoa11cd": payload,
        "own_device": True,
        "broadband": True,
        "housing_concern": False,
    }
    headers = auth(Role.clinician, wards=[world.ward_a])
    response = await clients["ward_api"].post("/v1/patients", json=body, headers=headers)
    problem = assert_problem(response, 422, "validation-error", "unknown-lsoa")
    if problem["type"].endswith("validation-error"):
        assert [e["pointer"] for e in problem["errors"]] == ["/body/lsoa11cd"]
    again = await clients["ward_api"].post(
        "/v1/patients", json={**body, "lsoa11cd": LSOA_A}, headers=headers
    )
    assert again.status_code == 201, again.text  # the NHS number was never stored


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    ("service", "path", "param"),
    [
        ("ward_api", "/v1/icbs/{}", None),
        ("ward_api", "/v1/wards", "icb_code"),
        ("ward_api", "/v1/capacity", "code"),
        ("ward_api", "/v1/capacity/history", "code"),
        ("equity_audit", "/v1/audit", "icb"),
    ],
)
async def test_injected_codes_are_unknown(
    clients, auth, service: str, path: str, param: str | None, payload: str
) -> None:
    url = path.format(httpx.URL("/" + payload).raw_path.decode()[1:]) if param is None else path
    params = {param: payload} if param else None
    response = await clients[service].get(url, params=params, headers=auth(Role.admin))
    assert_problem(response, 404)


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_injected_strings_are_stored_as_data(clients, auth, world: World, payload) -> None:
    ingest = clients["monitoring_ingest"]
    name = f"{payload} {uuid.uuid4().hex[:6]}"
    created = await ingest.post("/v1/admin/vendors", json={"name": name}, headers=auth(Role.admin))
    assert created.status_code == 201, created.text
    listed = await ingest.get("/v1/admin/vendors", headers=auth(Role.admin))
    assert name in {v["name"] for v in listed.json()}
    readings = await ingest.get(
        f"/v1/admissions/{world.admission_a}/readings",
        params={"code": payload},
        headers=auth(Role.clinician, wards=[world.ward_a]),
    )
    assert readings.status_code == 200 and readings.json() == [], readings.text


# ---- header injection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_id",
    ["abc\r\nSet-Cookie: session=stolen", "abc\nX-Injected: 1", "abc\rdef", "a" * 129, "ok id"],
)
async def test_request_id_with_control_characters_is_replaced(
    clients, auth, request_id: str
) -> None:
    raw = [(b"x-request-id", request_id.encode())]
    response = await clients["ward_api"].get(
        "/v1/whoami", headers=httpx.Headers([*raw, *auth(Role.admin).items()])
    )
    assert response.status_code == 200
    echoed = response.headers["x-request-id"]
    assert echoed != request_id and len(echoed) == 32 and echoed.isalnum()
    assert "set-cookie" not in response.headers and "x-injected" not in response.headers
    for name, value in response.headers.raw:
        assert b"\r" not in name + value and b"\n" not in name + value
    assert response.json()["request_id"] == echoed


# ---- forged and replayed vendor signatures --------------------------------------------------


def _signed(creds: VendorCreds, body: bytes, **override: str) -> dict[str, str]:
    return {
        **creds.headers("POST", "/v1/readings/native", body),
        "content-type": "application/json",
        **override,
    }


BODY = orjson.dumps({"device_id": "DEV-FORGED", "readings": []})


@pytest.mark.parametrize(
    ("case", "slug"),
    [
        ("no-headers", "vendor-credentials-missing"),
        ("no-signature", "vendor-credentials-missing"),
        ("vendor-not-uuid", "api-key-invalid"),
        ("wrong-key", "api-key-invalid"),
        ("other-vendors-id", "api-key-invalid"),
        ("forged-signature", "signature-invalid"),
        ("tampered-body", "signature-invalid"),
        ("signed-other-path", "signature-invalid"),
        ("timestamp-not-int", "signature-invalid"),
        ("signed-an-hour-ago", "signature-expired"),
        ("signed-an-hour-ahead", "signature-expired"),
    ],
)
async def test_forged_vendor_requests_are_401(clients, world: World, case: str, slug: str) -> None:
    ingest, creds = clients["monitoring_ingest"], world.vendor
    body, headers = BODY, _signed(creds, BODY)
    if case == "no-headers":
        headers = {"content-type": "application/json"}
    elif case == "no-signature":
        headers.pop("X-Signature")
    elif case == "vendor-not-uuid":
        headers["X-Vendor-Id"] = "' OR 1=1 --"
    elif case == "wrong-key":
        headers["X-Api-Key"] = "vwk_" + "A" * 43
    elif case == "other-vendors-id":
        headers["X-Vendor-Id"] = str(uuid.uuid4())
    elif case == "forged-signature":
        headers["X-Signature"] = "ab" * 32
    elif case == "tampered-body":
        body = BODY.replace(b"FORGED", b"TAMPER")
    elif case == "signed-other-path":
        headers = {
            **creds.headers("POST", "/v1/readings/fhir", body),
            "content-type": "application/json",
        }
    elif case == "timestamp-not-int":
        ts = "soon"
        from services.monitoring_ingest.vendors.credentials import sign

        headers["X-Timestamp"] = ts
        headers["X-Signature"] = sign(
            creds.signing_secret, timestamp=ts, method="POST", path="/v1/readings/native", body=body
        )
    else:
        shift = -3600 if case == "signed-an-hour-ago" else 3600
        headers = _signed(creds, body)
        headers.update(
            creds.headers("POST", "/v1/readings/native", body, timestamp=int(time.time()) + shift)
        )
    response = await ingest.post("/v1/readings/native", content=body, headers=headers)
    assert_problem(response, 401, slug)


async def test_replayed_vendor_request_is_401(clients, world: World) -> None:
    ingest = clients["monitoring_ingest"]
    body = orjson.dumps({"device_id": f"DEV-{uuid.uuid4().hex[:8]}", "readings": []})
    headers = _signed(world.vendor, body)
    first = await ingest.post("/v1/readings/native", content=body, headers=headers)
    assert first.status_code == 200, first.text
    replay = await ingest.post("/v1/readings/native", content=body, headers=headers)
    assert_problem(replay, 401, "request-replayed")


# ---- bearer tokens --------------------------------------------------------------------------


def _claims(**override) -> dict:
    now = int(time.time())
    claims = {
        "iss": "vward",
        "aud": "vward",
        "sub": "mallory",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "role": "admin",
        "icbs": ["*"],
        "wards": ["*"],
    }
    claims.update(override)
    return {k: v for k, v in claims.items() if v is not None}


def _hs512(claims: dict, key: str) -> str:
    """A token signed with the right key but another algorithm than the one verified."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm="HS512")


TOKEN_CASES = [
    "alg-none",
    "alg-none-signature-stripped",
    "expired",
    "garbage",
    "hs512",
    "no-expiry",
    "scope-not-a-list",
    "unknown-role",
    "wrong-audience",
    "wrong-issuer",
    "wrong-secret",
]


def _tokens() -> dict[str, tuple[str, str]]:
    good = TEST_JWT_SECRET
    past = int(time.time()) - 7200
    unsigned = jwt.encode(_claims(), key="", algorithm="none")
    return {
        "expired": (jwt.encode(_claims(iat=past, nbf=past, exp=past + 60), good), "token-expired"),
        "alg-none": (unsigned, "token-invalid"),
        "alg-none-signature-stripped": (
            jwt.encode(_claims(), good).rsplit(".", 1)[0] + ".",
            "token-invalid",
        ),
        "wrong-secret": (jwt.encode(_claims(), "not-the-secret-" * 3), "token-invalid"),
        "wrong-audience": (jwt.encode(_claims(aud="elsewhere"), good), "token-invalid"),
        "wrong-issuer": (jwt.encode(_claims(iss="mallory"), good), "token-invalid"),
        "no-expiry": (jwt.encode(_claims(exp=None), good), "token-invalid"),
        "unknown-role": (jwt.encode(_claims(role="root"), good), "token-invalid"),
        "scope-not-a-list": (jwt.encode(_claims(wards="*"), good), "token-invalid"),
        "hs512": (_hs512(_claims(), good), "token-invalid"),
        "garbage": ("not.a.jwt", "token-invalid"),
    }


@pytest.mark.parametrize("case", TOKEN_CASES)
@pytest.mark.parametrize("service", ["ward_api", "monitoring_ingest", "equity_audit"])
async def test_bad_tokens_are_401(clients, service: str, case: str) -> None:
    token, slug = _tokens()[case]
    response = await clients[service].get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 401, slug)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_valid_token_still_works(clients) -> None:
    token = TokenCodec(TEST_JWT_SECRET).issue(subject="alice", role=Role.admin)
    response = await clients["ward_api"].get(
        "/v1/whoami", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.json()["subject"] == "alice"
