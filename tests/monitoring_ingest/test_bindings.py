"""Bindings per contract, completeness at discharge, and quarantine with re-attribution."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.auth import Role
from tests.monitoring_ingest.helpers import SERVICE, ago, bearer, bind, post_signed, statuses

NATIVE = "/v1/readings/native"


def _body(admission_id: str, ward_id: str, bound_at: datetime, interval: int = 240) -> dict:
    return {
        "admission_id": admission_id,
        "ward_id": ward_id,
        "expected_interval_minutes": interval,
        "bound_at": bound_at.isoformat(),
    }


async def test_bind_is_idempotent_and_refuses_second_admission(ingest_client, vendor) -> None:
    path = f"/v1/internal/bindings/{vendor.vendor_id}/DEV-{uuid.uuid4().hex[:8]}"
    body = _body(str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC))
    first = await ingest_client.put(path, json=body, headers=SERVICE)
    again = await ingest_client.put(path, json=body, headers=SERVICE)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = await ingest_client.put(
        path, json={**body, "admission_id": str(uuid.uuid4())}, headers=SERVICE
    )
    assert other.status_code == 409
    assert other.json()["type"].endswith("/device-already-bound")


async def test_bind_unknown_vendor_is_404(ingest_client) -> None:
    path = f"/v1/internal/bindings/{uuid.uuid4()}/DEV-1"
    body = _body(str(uuid.uuid4()), str(uuid.uuid4()), datetime.now(UTC))
    response = await ingest_client.put(path, json=body, headers=SERVICE)
    assert response.status_code == 404
    assert response.json()["type"].endswith("/vendor-not-found")


async def test_internal_bindings_need_service_role(ingest_client, bound) -> None:
    path = f"/v1/internal/bindings/{bound.vendor.vendor_id}/{bound.device_id}"
    response = await ingest_client.delete(
        path, params={"admission_id": bound.admission_id}, headers=bound.clinician
    )
    assert response.status_code == 403


async def test_unbind_reports_completeness_and_is_idempotent(ingest_client, vendor) -> None:
    bound_at = datetime.now(UTC) - timedelta(hours=10, minutes=1)
    b = await bind(ingest_client, vendor, interval=60, bound_at=bound_at)
    # Readings in 4 of the 10 hourly slots (two in one slot count once).
    readings = [
        {
            "code": "hr",
            "value": 70 + i,
            "unit": "/min",
            "at": (bound_at + timedelta(minutes=m)).isoformat(),
        }
        for i, m in enumerate((5, 20, 70, 200, 590))
    ]
    response = await post_signed(
        ingest_client, vendor, NATIVE, {"device_id": b.device_id, "readings": readings}
    )
    assert statuses(response) == ["stored"] * 5
    path = f"/v1/internal/bindings/{vendor.vendor_id}/{b.device_id}"
    first = await ingest_client.delete(
        path, params={"admission_id": b.admission_id}, headers=SERVICE
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["readings_expected"], body["readings_received"]) == (10, 4)
    again = await ingest_client.delete(
        path, params={"admission_id": b.admission_id}, headers=SERVICE
    )
    assert again.json() == body
    # After discharge the device's readings are quarantined, never attributed.
    late = await post_signed(
        ingest_client,
        vendor,
        NATIVE,
        {
            "device_id": b.device_id,
            "readings": [{"code": "hr", "value": 99, "unit": "/min", "at": ago(0)}],
        },
    )
    assert statuses(late) == ["quarantined"]
    assert late.json()["items"][0]["reason"] == "discharged"


async def test_quarantine_reattributed_exactly_once(ingest_client, vendor) -> None:
    device_id = f"DEV-{uuid.uuid4().hex[:8]}"
    register = await ingest_client.post(
        f"/v1/admin/vendors/{vendor.vendor_id}/devices",
        json={"device_id": device_id},
        headers=bearer(Role.admin),
    )
    assert register.status_code == 201
    reading = {"id": "q-1", "code": "spo2", "value": 95, "unit": "%", "at": ago(30)}
    early = await post_signed(
        ingest_client, vendor, NATIVE, {"device_id": device_id, "readings": [reading]}
    )
    assert statuses(early) == ["quarantined"]
    assert early.json()["items"][0]["reason"] == "unbound"
    key = early.json()["items"][0]["key"]

    b = await bind(ingest_client, vendor, device_id=device_id, bound_at=datetime.now(UTC))
    listing = await ingest_client.get("/v1/quarantine", headers=b.clinician)
    entry = next(e for e in listing.json() if e["key"] == key)
    assert entry["reason"] == "unbound" and entry["device_id"] == device_id

    other_ward = bearer(Role.clinician, wards=[str(uuid.uuid4())])
    refused = await ingest_client.post(
        f"/v1/quarantine/{entry['id']}/attribute",
        json={"admission_id": b.admission_id},
        headers=other_ward,
    )
    assert refused.status_code == 403

    path = f"/v1/quarantine/{entry['id']}/attribute"
    first = await ingest_client.post(
        path, json={"admission_id": b.admission_id}, headers=b.clinician
    )
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "stored"
    again = await ingest_client.post(
        path, json={"admission_id": b.admission_id}, headers=b.clinician
    )
    assert again.json()["outcome"] == "already_attributed"
    elsewhere = await ingest_client.post(
        path, json={"admission_id": str(uuid.uuid4())}, headers=b.clinician
    )
    assert elsewhere.status_code == 409

    readings = await ingest_client.get(
        f"/v1/admissions/{b.admission_id}/readings", headers=b.clinician
    )
    assert [r["key"] for r in readings.json()] == [key]
    # The vendor re-sending it now that the device is bound is a duplicate, not a 2nd row.
    resent = await post_signed(
        ingest_client, vendor, NATIVE, {"device_id": device_id, "readings": [reading], "try": 2}
    )
    assert statuses(resent) == ["duplicate"]
    open_entries = await ingest_client.get("/v1/quarantine", headers=b.clinician)
    assert key not in {e["key"] for e in open_entries.json()}


def _hr(at: datetime, value: int = 70) -> dict:
    return {"code": "hr", "value": value, "unit": "/min", "at": at.isoformat()}


async def test_unbind_at_discharge_time_ends_attribution_and_expectation(
    ingest_client, vendor
) -> None:
    bound_at = datetime.now(UTC) - timedelta(hours=10, minutes=1)
    discharged_at = bound_at + timedelta(hours=5)
    b = await bind(ingest_client, vendor, interval=60, bound_at=bound_at)
    # Two readings during the stay, and one after discharge sent while the unbind was late.
    before = [_hr(bound_at + timedelta(minutes=m), 70 + m) for m in (5, 70)]
    after = [_hr(bound_at + timedelta(hours=6))]
    response = await post_signed(
        ingest_client, vendor, NATIVE, {"device_id": b.device_id, "readings": before + after}
    )
    assert statuses(response) == ["stored"] * 3

    path = f"/v1/internal/bindings/{vendor.vendor_id}/{b.device_id}"
    params = {"admission_id": b.admission_id, "unbound_at": discharged_at.isoformat()}
    first = await ingest_client.delete(path, params=params, headers=SERVICE)
    assert first.status_code == 200, first.text
    body = first.json()
    # Five hourly slots up to discharge, not ten up to the (late) call; two of them had data.
    assert (body["readings_expected"], body["readings_received"]) == (5, 2)
    assert datetime.fromisoformat(body["unbound_at"]) == discharged_at

    # Repeats answer the same, whatever time (or none) they carry: the first ending wins.
    for repeat in (params, {"admission_id": b.admission_id}, {**params, "unbound_at": ago(1)}):
        again = await ingest_client.delete(path, params=repeat, headers=SERVICE)
        assert (again.status_code, again.json()) == (200, body)

    # Readings observed after discharge are quarantined; late ones from the stay still count.
    late = await post_signed(
        ingest_client,
        vendor,
        NATIVE,
        {
            "device_id": b.device_id,
            "readings": [
                _hr(discharged_at + timedelta(minutes=30), 90),
                _hr(discharged_at),
                _hr(bound_at + timedelta(hours=3, minutes=10), 80),
            ],
        },
    )
    assert statuses(late) == ["quarantined", "quarantined", "stored"]
    assert [i.get("reason") for i in late.json()["items"][:2]] == ["discharged", "discharged"]
    final = await ingest_client.delete(path, params=params, headers=SERVICE)
    assert (final.json()["readings_expected"], final.json()["readings_received"]) == (5, 3)


async def test_unbind_at_refuses_naive_early_and_future_times(ingest_client, vendor) -> None:
    bound_at = datetime.now(UTC) - timedelta(hours=2)
    b = await bind(ingest_client, vendor, interval=60, bound_at=bound_at)
    path = f"/v1/internal/bindings/{vendor.vendor_id}/{b.device_id}"
    refusals = {
        "unbound-at-naive": (bound_at + timedelta(hours=1)).replace(tzinfo=None).isoformat(),
        "unbound-before-bound": (bound_at - timedelta(seconds=1)).isoformat(),
        "unbound-in-future": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    for slug, when in refusals.items():
        response = await ingest_client.delete(
            path, params={"admission_id": b.admission_id, "unbound_at": when}, headers=SERVICE
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith(f"/{slug}"), response.json()
    # Nothing was ended by the refusals; a time within the clock skew is accepted.
    within_skew = datetime.now(UTC) + timedelta(minutes=1)
    ok = await ingest_client.delete(
        path,
        params={"admission_id": b.admission_id, "unbound_at": within_skew.isoformat()},
        headers=SERVICE,
    )
    assert ok.status_code == 200, ok.text
    assert datetime.fromisoformat(ok.json()["unbound_at"]) == within_skew


async def test_a_binding_from_the_future_is_422(ingest_client, vendor) -> None:
    """A future `bound_at` made `readings_expected` negative, which equity_audit refuses."""
    path = f"/v1/internal/bindings/{vendor.vendor_id}/DEV-{uuid.uuid4().hex[:8]}"
    future = datetime.now(UTC) + timedelta(days=3650)
    body = _body(str(uuid.uuid4()), str(uuid.uuid4()), future)
    response = await ingest_client.put(path, json=body, headers=SERVICE)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/bound-at-in-future")
    within_skew = _body(
        body["admission_id"], body["ward_id"], datetime.now(UTC) + timedelta(minutes=1)
    )
    assert (await ingest_client.put(path, json=within_skew, headers=SERVICE)).status_code == 201


async def test_a_binding_dated_year_one_is_422(ingest_client, vendor) -> None:
    """Issue #9 §3: a year-1 binding at 1 minute overflowed the count into a retried 500."""
    path = f"/v1/internal/bindings/{vendor.vendor_id}/DEV-{uuid.uuid4().hex[:8]}"
    body = _body(str(uuid.uuid4()), str(uuid.uuid4()), datetime(1, 1, 1, tzinfo=UTC), 1)
    response = await ingest_client.put(path, json=body, headers=SERVICE)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/bound-at-outside-stay")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bindings=st.lists(
        st.tuples(
            # From the year-1 bindings the issue names to ten years ahead.
            st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(2036, 12, 31)),
            st.integers(min_value=1, max_value=7 * 24 * 60),
        ),
        min_size=1,
        max_size=4,
    )
)
async def test_completeness_is_never_negative_nor_overflows(
    ingest_client, vendor, bindings
) -> None:
    """Whatever bindings exist (old rows included), 0 <= received <= expected < 2^31."""
    from sqlalchemy import text

    from services.monitoring_ingest.devices import service

    admission = uuid.uuid4()
    async with ingest_client.app.state.sessionmaker() as session:  # rolled back at the end
        for naive_bound_at, interval in bindings:
            device, bound_at = f"DEV-{uuid.uuid4().hex[:12]}", naive_bound_at.replace(tzinfo=UTC)
            await session.execute(
                text("INSERT INTO monitoring.devices (vendor_id, device_id) VALUES (:v, :d)"),
                {"v": vendor.vendor_id, "d": device},
            )
            await session.execute(
                text(
                    "INSERT INTO monitoring.bindings (id, vendor_id, device_id, admission_id,"
                    " ward_id, expected_interval_minutes, bound_at)"
                    " VALUES (:i, :v, :d, :a, :w, :n, :b)"
                ),
                {
                    "i": uuid.uuid4(),
                    "v": vendor.vendor_id,
                    "d": device,
                    "a": admission,
                    "w": uuid.uuid4(),
                    "n": interval,
                    "b": bound_at,
                },
            )
        expected, received = await service.completeness(session, admission_id=admission)
        await session.rollback()
    assert 0 <= received <= expected <= 2**31 - 1
