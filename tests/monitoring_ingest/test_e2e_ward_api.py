"""monitoring_ingest's relay against the real ward_api over loopback (slow)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from shared.auth import Role
from shared.embedded_pg import free_port
from tests.monitoring_ingest.helpers import ADMIN, SERVICE, ago, bearer, full_set
from tests.support import hermetic
from tests.support.poll import eventually_blocking
from vward.platform import Platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


@pytest.fixture(scope="module")
def platform(database_url: str, tmp_path_factory) -> Iterator[Platform]:
    # equity_audit is not started: ward_api's URL for it is the closed port, not 8003.
    ports = {
        "ward_api": free_port(),
        "monitoring_ingest": free_port(),
        "equity_audit": hermetic.closed_port(),
    }
    running = Platform(
        database_url=database_url,
        ports=ports,
        log_dir=str(tmp_path_factory.mktemp("ingest-e2e-logs")),
        extra_env={
            "INGEST_RELAY_ENABLED": "true",
            "INGEST_RELAY_POLL_SECONDS": "0.2",
            "INGEST_RELAY_BACKOFF_BASE_SECONDS": "0.2",
            "INGEST_RELAY_BACKOFF_MAX_SECONDS": "1",
            "INGEST_RELAY_BREAKER_THRESHOLD": "3",
            "INGEST_RELAY_BREAKER_COOLDOWN_SECONDS": "1",
            # ward_api's binding outbox worker (off in test unless enabled; ignored if absent).
            "WARD_BINDING_OUTBOX_ENABLED": "true",
            "WARD_BINDING_POLL_SECONDS": "0.2",
        },
    )
    try:
        running.start("ward_api")
        running.start("monitoring_ingest")
        running.wait_all_ready(timeout=60)
        yield running
    finally:
        running.stop_all()


def _signed(creds: dict, path: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    from services.monitoring_ingest.vendors.credentials import sign

    body = orjson.dumps(payload)
    ts = str(int(time.time()))
    signature = sign(creds["signing_secret"], timestamp=ts, method="POST", path=path, body=body)
    return body, {
        "X-Vendor-Id": creds["vendor_id"],
        "X-Api-Key": creds["api_key"],
        "X-Timestamp": ts,
        "X-Signature": signature,
        "content-type": "application/json",
    }


def test_relay_reaches_ward_api_which_judges_the_alert(platform: Platform, database_url) -> None:
    """An alert for an admission ward_api does not know is delivered, answered 404, rejected."""
    ingest = platform.url_of("monitoring_ingest")
    with httpx.Client(base_url=ingest, timeout=10) as client:
        created = client.post(
            "/v1/admin/vendors", json={"name": f"e2e-{uuid.uuid4()}"}, headers=ADMIN
        )
        key = created.json()["issued_key"]
        creds = {k: key[k] for k in ("vendor_id", "api_key", "signing_secret")}
        device, admission = f"E2E-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
        bound = client.put(
            f"/v1/internal/bindings/{creds['vendor_id']}/{device}",
            json={"admission_id": admission, "ward_id": str(uuid.uuid4()),
                  "expected_interval_minutes": 240, "bound_at": ago(60 * 24)},
            headers=SERVICE,
        )  # fmt: skip
        assert bound.status_code == 201, bound.text
        path = "/v1/readings/native"
        batch = {"device_id": device, "readings": full_set(ago(5), rr=25, spo2=91, hr=131)}
        body, headers = _signed(creds, path, batch)
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        (alert_id,) = response.json()["alerts"]

        def settled() -> dict | None:
            found = client.get("/v1/alerts", params={"admission_id": admission}, headers=ADMIN)
            assert found.status_code == 200, found.text
            (alert,) = [a for a in found.json() if a["id"] == alert_id]
            return alert if alert["status"] != "pending" else None

        alert = eventually_blocking(settled, within=30, what="the alert judged by ward_api")
    assert alert["status"] == "rejected", alert
    assert "admission-not-found" in (alert["last_error"] or "")


# ---- a real admission in ward_api, its alerts delivered exactly once ---------------------

LSOA = "E01012345"  # a real LSOA (2011) in North East and North Cumbria ICB (E54000008)
HIGH = {"rr": 25, "spo2": 91, "hr": 131}  # NEWS2 9
MEDIUM = {"rr": 22, "spo2": 94, "hr": 95, "temp": 38.5}  # NEWS2 5
SIX = {**MEDIUM, "sbp": 105}  # NEWS2 6: medium, hourly observations (RCP Chart 4)


@pytest.fixture(scope="module")
def reference(database_url: str) -> None:
    """ward_api needs its geography (ICBs, LSOAs) to create wards and patients."""
    from services.ward_api import reference_data
    from tests.support.data import require_data

    reference_data.load(database_url, require_data())


def _nhs_number() -> str:
    """A random valid NHS number in the 9xx synthetic range."""
    while True:
        digits = [9, *(secrets.randbelow(10) for _ in range(8))]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check % 11)


class Ward:
    """One ward in the running ward_api, a vendor in monitoring_ingest, and admissions."""

    def __init__(self, platform: Platform) -> None:
        self.api = httpx.Client(base_url=platform.url_of("ward_api"), timeout=10)
        self.ingest = httpx.Client(base_url=platform.url_of("monitoring_ingest"), timeout=10)
        created = self.ingest.post(
            "/v1/admin/vendors", json={"name": f"e2e-{uuid.uuid4()}"}, headers=ADMIN
        )
        assert created.status_code == 201, created.text
        key = created.json()["issued_key"]
        self.creds = {k: key[k] for k in ("vendor_id", "api_key", "signing_secret")}
        ward = self.api.post(
            "/v1/wards",
            json={"name": f"E2E {uuid.uuid4().hex[:6]}", "icb_code": "E54000008",
                  "provider_ods_code": "RBL", "provider_name": "Test Trust",
                  "pathways": ["acute_respiratory_infection"], "beds": 10},
            headers=ADMIN,
        )  # fmt: skip
        assert ward.status_code == 201, ward.text
        self.id = ward.json()["id"]
        self.clinician = bearer(Role.clinician, wards=[self.id])
        self.bound_by: list[str] = []

    def close(self) -> None:
        self.api.close()
        self.ingest.close()

    def admit(self) -> tuple[str, str]:
        """Admit a new patient with a device of our vendor; (admission id, device id)."""
        patient = self.api.post(
            "/v1/patients",
            json={"nhs_number": _nhs_number(), "date_of_birth": "1948-03-02", "sex": "female",
                  "ethnic_category": "A", "lsoa11cd": LSOA, "own_device": True,
                  "broadband": True, "housing_concern": False},
            headers=self.clinician,
        )  # fmt: skip
        assert patient.status_code == 201, patient.text
        device = f"E2E-{uuid.uuid4().hex[:10]}"
        admitted = self.api.post(
            "/v1/admissions",
            json={"patient_id": patient.json()["id"], "ward_id": self.id,
                  "pathway": "acute_respiratory_infection", "referral_source": "gp",
                  "device": {"vendor_id": self.creds["vendor_id"], "device_id": device,
                             "expected_interval_minutes": 240}},
            headers={**self.clinician, "Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        assert admitted.status_code == 201, admitted.text
        admission = admitted.json()
        self._await_binding(admission, device)
        return admission["id"], device

    def _await_binding(self, admission: dict, device: str) -> None:
        """ward_api binds the device (at admission, or soon after by its outbox worker).

        Where ward_api has neither, the test binds through the internal contract itself,
        as ward_api would, so the alert path is still tested end to end.
        """
        path = f"/v1/admissions/{admission['id']}/bindings"
        patience = 0.0 if "test" in self.bound_by else 10.0
        try:
            eventually_blocking(
                lambda: self.ingest.get(path, headers=ADMIN).status_code == 200,
                within=patience,
                what="binding made by ward_api",
            )
            self.bound_by.append("ward_api")
            return
        except AssertionError:
            pass
        bound = self.ingest.put(
            f"/v1/internal/bindings/{self.creds['vendor_id']}/{device}",
            json={"admission_id": admission["id"], "ward_id": self.id,
                  "expected_interval_minutes": 240, "bound_at": admission["admitted_at"]},
            headers=SERVICE,
        )  # fmt: skip
        assert bound.status_code in (200, 201), bound.text
        self.bound_by.append("test")

    def post_set(self, device: str, **values) -> list[str]:
        """Post one signed round of observations taken now; the alert ids it raised."""
        path = "/v1/readings/native"
        body, headers = _signed(
            self.creds, path, {"device_id": device, "readings": full_set(ago(0), **values)}
        )
        response = self.ingest.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["counts"]["stored"] == 7, response.text
        return response.json()["alerts"]

    def ward_api_alerts(self) -> list[dict]:
        """Every alert ward_api holds for the ward, as its clinicians see them."""
        response = self.api.get(
            f"/v1/wards/{self.id}/alerts", params={"open_only": "false"}, headers=self.clinician
        )
        assert response.status_code == 200, response.text
        return response.json()

    def outbox(self, state: str) -> set[str]:
        response = self.ingest.get(
            "/v1/alerts", params={"state": state, "ward_id": self.id, "limit": 1000},
            headers=ADMIN,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()}


@pytest.fixture
def ward(platform: Platform, reference) -> Iterator[Ward]:
    made = Ward(platform)
    try:
        yield made
    finally:
        made.close()


@pytest.mark.timeout(60)
def test_alert_delivered_once_to_a_real_admission_even_across_a_ward_api_outage(
    platform: Platform, ward: Ward
) -> None:
    started = time.monotonic()
    # 1. The happy path: a high NEWS2 at monitoring_ingest is an alert in ward_api, once.
    first, first_device = ward.admit()
    (alert_id,) = ward.post_set(first_device, **HIGH)
    eventually_blocking(
        lambda: alert_id in ward.outbox("delivered"), within=15, what="alert delivered"
    )
    seen = ward.ward_api_alerts()
    assert [(a["id"], a["admission_id"], a["kind"], a["news2_score"]) for a in seen] == [
        (alert_id, first, "news2_high", 9)
    ]

    # 2. ward_api goes down. Readings are still accepted and alerts still raised.
    others = [ward.admit() for _ in range(3)]
    platform.stop("ward_api")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{platform.url_of('ward_api')}/readyz", timeout=2)
    sent: list[str] = []
    for _, device in others:
        sent += ward.post_set(device, **MEDIUM)
        sent += ward.post_set(device, **HIGH)  # escalation: a second alert
    assert ward.post_set(first_device, **HIGH) == []  # suppressed repeat, readings stored
    assert len(sent) == 6
    # The relay tries, opens its breaker, probes again after the cool-down, and keeps every
    # alert pending (its breaker stops it calling for each one).
    eventually_blocking(
        lambda: set(sent) <= ward.outbox("pending") and sum(_attempts(ward, sent)) >= 4,
        within=10,
        what="relay retrying while ward_api is down",
    )

    # 3. ward_api comes back; the outbox drains.
    platform.start("ward_api")
    platform.wait_ready("ward_api", timeout=30)
    eventually_blocking(
        lambda: not set(sent) & ward.outbox("pending"), within=20, what="outbox drained"
    )
    # A quiet second is the test here, not a wait: an absence cannot be polled for, so the
    # relay (polling every 0.2 s) gets about five rounds to send anything a second time.
    time.sleep(1)

    # 4. Count from ward_api's side, by alert id.
    held = ward.ward_api_alerts()
    copies = Counter(a["id"] for a in held)
    expected = {alert_id, *sent}
    acknowledged = ward.outbox("delivered") & expected
    stored = set(copies) & expected
    duplicated = sum(n - 1 for n in copies.values()) + len(set(copies) - expected)
    lost = expected - stored
    print(
        f"\nward_api outage: sent={len(expected)} acknowledged={len(acknowledged)} "
        f"stored={len(stored)} duplicated={duplicated} lost={len(lost)} "
        f"rejected={len(ward.outbox('rejected'))} bound_by={ward.bound_by} "
        f"in {time.monotonic() - started:.1f}s"
    )
    assert (len(stored), duplicated, len(lost)) == (len(expected), 0, 0)
    assert acknowledged == expected
    kinds = Counter((a["admission_id"], a["kind"]) for a in held)
    for admission_id, _ in others:
        assert kinds[(admission_id, "news2_medium")] == kinds[(admission_id, "news2_high")] == 1
    assert kinds[(first, "news2_high")] == 1


def _attempts(ward: Ward, ids: list[str]) -> list[int]:
    """Delivery attempts so far of each of `ids` still pending."""
    response = ward.ingest.get(
        "/v1/alerts", params={"state": "pending", "ward_id": ward.id}, headers=ADMIN
    )
    attempts = {a["id"]: a["attempts"] for a in response.json()}
    return [attempts.get(i, 0) for i in ids]


@pytest.mark.timeout(60)
def test_incomplete_but_dangerous_set_tops_the_caseload_and_alerts(
    platform: Platform, ward: Ward
) -> None:
    """RR 24, SpO2 92, pulse 125, 39.5 C and nothing else: at least 8, high, on the ward."""
    calm, calm_device = ward.admit()
    ward.post_set(calm_device)
    sick, device = ward.admit()
    at = ago(0)
    readings = [
        {"code": "rr", "value": 24, "unit": "/min", "at": at},
        {"code": "spo2", "value": 92, "unit": "%", "at": at},
        {"code": "hr", "value": 125, "unit": "/min", "at": at},
        {"code": "temp", "value": 39.5, "unit": "Cel", "at": at},
    ]
    path = "/v1/readings/native"
    body, headers = _signed(ward.creds, path, {"device_id": device, "readings": readings})
    (alert_id,) = ward.ingest.post(path, content=body, headers=headers).json()["alerts"]
    eventually_blocking(
        lambda: any(a["id"] == alert_id for a in ward.ward_api_alerts()),
        within=15,
        what="alert delivered",
    )
    (alert,) = [a for a in ward.ward_api_alerts() if a["id"] == alert_id]
    assert (alert["admission_id"], alert["kind"], alert["risk"]) == (sick, "news2_high", "high")
    assert "at least 8" in alert["detail"]
    caseload = ward.api.get(f"/v1/wards/{ward.id}/caseload", headers=ward.clinician).json()
    top, other = caseload["items"][:2]
    assert (top["admission_id"], top["risk"], top["news2_at_least"]) == (sick, "high", 8)
    assert (top["news2_score"], top["news2_complete"]) == (None, False)
    assert (other["admission_id"], other["risk"], other["news2_score"]) == (calm, "low", 0)


def _check_missed_readings(database_url: str, now: datetime) -> None:
    """One missed-readings round at `now`, as the service's maintenance runs it."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from services.monitoring_ingest.alerts.raising import check_missed_readings
    from services.monitoring_ingest.settings import IngestSettings
    from shared.database import async_url

    async def run() -> None:
        engine = create_async_engine(async_url(database_url))
        try:
            await check_missed_readings(engine, IngestSettings(database_url=database_url), now=now)
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.mark.timeout(60)
def test_news2_6_whose_readings_stop_is_missed_within_the_hour(
    platform: Platform, ward: Ward, database_url: str
) -> None:
    """Issue #12 s.3: NEWS2 6, then silence: readings missed at 61 minutes, not at 59."""
    admission, device = ward.admit()
    ward.post_set(device, **SIX)
    last = datetime.now(UTC)  # just after the round was observed
    _check_missed_readings(database_url, last + timedelta(minutes=59))
    outbox = ward.ingest.get("/v1/alerts", params={"admission_id": admission}, headers=ADMIN)
    assert [a["kind"] for a in outbox.json()] == ["news2_medium"]
    _check_missed_readings(database_url, last + timedelta(minutes=61))

    def missed() -> list[dict]:
        return [
            a
            for a in ward.ward_api_alerts()
            if a["admission_id"] == admission and a["kind"] == "missed_readings"
        ]

    (alert,) = eventually_blocking(missed, within=15, what="missed_readings in ward_api")
    assert "expected every 60 minutes" in alert["detail"] and "hourly" in alert["detail"]
