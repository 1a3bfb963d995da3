"""Age bands use the patient's age on the London date of admission, not UTC's nor today's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from services.ward_api.exports.service import age_band, local_date
from shared.auth import Role
from tests.ward_api.conftest import admit_body, key


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 6, 30, 23, 30, tzinfo=UTC), date(2025, 7, 1)),  # BST: already 1 July
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), date(2025, 12, 31)),  # GMT: same day
        (datetime(2025, 3, 30, 0, 30, tzinfo=UTC), date(2025, 3, 30)),  # the clocks go forward
        (datetime(2025, 10, 25, 23, 0, tzinfo=UTC), date(2025, 10, 26)),  # 00:00 BST
    ],
)
def test_local_date_is_london(moment: datetime, expected: date) -> None:
    assert local_date(moment) == expected


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(1950, 7, 1), date(2025, 6, 30), "70-74"),  # the day before the 75th birthday
        (date(1950, 7, 1), date(2025, 7, 1), "75-79"),  # on it
        (date(1936, 2, 29), date(2026, 2, 28), "85-89"),  # leap-day births turn 90 on 1 March
        (date(1936, 2, 29), date(2026, 3, 1), "90+"),
        (date(2025, 1, 1), date(2025, 1, 1), "0-4"),
    ],
)
def test_age_band_on_a_date(born: date, on: date, band: str) -> None:
    assert age_band(born, on) == band


async def test_aggregates_use_the_london_admission_date(
    database_url, ward_client, auth, make_ward, make_patient
) -> None:
    """Admitted 23:30 UTC on 30 June 2025 = 00:30 BST on 1 July, the patient's 75th birthday."""
    ward = await make_ward(beds=1, icb="E54000057")
    patient = await make_patient(date_of_birth="1950-07-01")
    clinician = auth(Role.clinician, wards=[ward["id"]])
    admitted = await ward_client.post(
        "/v1/admissions",
        json=admit_body(patient, ward, pathway="frailty"),
        headers={**clinician, **key()},
    )
    assert admitted.status_code == 201
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE ward.admission SET admitted_at = $1, referred_at = $1 WHERE id = $2",
            datetime(2025, 6, 30, 23, 30, tzinfo=UTC),
            uuid.UUID(admitted.json()["id"]),
        )
    finally:
        await conn.close()

    async def rows(start: str, end: str) -> list[dict]:
        response = await ward_client.get(
            "/v1/internal/aggregates/admissions",
            params={"from": start, "to": end},
            headers=auth(Role.service),
        )
        assert response.status_code == 200, response.text
        return [
            r
            for r in response.json()["rows"]
            if r["lsoa11cd"] == patient["lsoa11cd"] and r["pathway"] == "frailty"
        ]

    (row,) = await rows("2025-07-01", "2025-07-02")
    assert (row["month"], row["age_band"], row["admissions"]) == ("2025-07", "75-79", 1)
    assert await rows("2025-06-30", "2025-07-01") == []  # not on 30 June (the UTC date)
