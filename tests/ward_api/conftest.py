"""Fixtures for ward_api HTTP tests: reference data loaded once, factories for wards/patients."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from services.ward_api import reference_data
from shared.auth import Role
from tests.support.data import require_data

# A real LSOA (2011) in North East and North Cumbria ICB.
LSOA = "E01012345"


@pytest.fixture(scope="session")
def reference(database_url: str) -> str:
    return reference_data.load(database_url, require_data())


def nhs_number() -> str:
    """A random valid NHS number in the 9xx synthetic range."""
    while True:
        digits = [9, *(random.randint(0, 9) for _ in range(8))]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


@pytest.fixture
def make_ward(ward_client: httpx.AsyncClient, auth, reference) -> Callable[..., Any]:
    async def _make(beds: int = 2, icb: str = "E54000008", **extra: Any) -> dict:
        body = {
            "name": f"Ward {uuid.uuid4().hex[:6]}",
            "icb_code": icb,
            "provider_ods_code": "RBL",
            "provider_name": "Test Trust",
            "pathways": ["acute_respiratory_infection", "frailty"],
            "beds": beds,
            **extra,
        }
        response = await ward_client.post("/v1/wards", json=body, headers=auth(Role.admin))
        assert response.status_code == 201, response.text
        return response.json()

    return _make


@pytest.fixture
def make_patient(ward_client: httpx.AsyncClient, auth, reference) -> Callable[..., Any]:
    async def _make(**extra: Any) -> dict:
        body = {
            "nhs_number": nhs_number(),
            "date_of_birth": "1948-03-02",
            "sex": "female",
            "ethnic_category": "A",
            "lsoa11cd": LSOA,
            "own_device": True,
            "broadband": True,
            "housing_concern": False,
            **extra,
        }
        headers = auth(Role.clinician, wards=["*"])
        response = await ward_client.post("/v1/patients", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    return _make


def admit_body(patient: dict, ward: dict, **extra: Any) -> dict:
    return {
        "patient_id": patient["id"],
        "ward_id": ward["id"],
        "pathway": "acute_respiratory_infection",
        "referral_source": "gp",
        **extra,
    }


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}
