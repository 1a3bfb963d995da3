"""The demo against the three services as real processes: what a newcomer would see (slow)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from shared.auth import Role, TokenCodec
from shared.embedded_pg import free_port
from tests.support.data import require_data
from vward.demo import DemoConfig, Simulation, run_demo
from vward.demo.client import ServiceUrls
from vward.demo.payloads import FORMATS
from vward.demo.runner import DEMO_INGEST_ENV
from vward.platform import SERVICES, Platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

RISK_RANK = {"high": 0, "medium": 1, "low_medium": 2, "low": 3, None: 4}


@pytest.fixture(scope="module")
def platform(database_url: str, tmp_path_factory) -> Iterator[Platform]:
    from vward.reference import load_all

    load_all(database_url, require_data())
    running = Platform(
        database_url=database_url,
        ports={spec.name: free_port() for spec in SERVICES},
        log_dir=str(tmp_path_factory.mktemp("demo-logs")),
        extra_env={
            **DEMO_INGEST_ENV,
            # Background workers are off under VWARD_ENVIRONMENT=test; the demo needs them.
            "INGEST_RELAY_ENABLED": "true",
            "INGEST_RELAY_POLL_SECONDS": "0.2",
            "WARD_BINDING_OUTBOX_ENABLED": "true",
            "WARD_BINDING_POLL_SECONDS": "0.2",
        },
    )
    try:
        running.start_all()
        running.wait_all_ready(timeout=60)
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def demo(platform: Platform, tmp_path_factory) -> Simulation:
    from tests.conftest import TEST_JWT_SECRET

    config = DemoConfig(
        seed=11,
        beds_per_ward=4,
        days=2.5,
        round_seconds=0.8,
        trickle=False,
        urls=ServiceUrls(*(platform.url_of(spec.name) for spec in SERVICES)),
        out_dir=Path(tmp_path_factory.mktemp("demo-out")),
    )
    return asyncio.run(run_demo(config, live=False, codec=TokenCodec(TEST_JWT_SECRET)))


def test_the_first_pass_ran_cleanly(demo: Simulation) -> None:
    stats = demo.stats
    assert stats.round == 10 and stats.snapshots == 1
    assert not stats.errors, stats.last_error
    assert stats.admitted >= 20 and sum(stats.discharges.values()) >= 5
    assert sorted(p.name for p in demo.config.out_dir.iterdir()) == [  # type: ignore[union-attr]
        "equity_E54000008.html",
        "equity_E54000036.html",
        "equity_E54000052.html",
        "equity_england.html",
        "inclusion_plan.json",
    ]


def test_the_demo_costs_an_inclusion_plan_for_its_icbs(demo: Simulation) -> None:
    """Issue #15: beds cost and inclusion cost side by side for each of the demo's ICBs."""
    assert demo.stats.inclusion_plans == 1
    out = demo.config.out_dir
    assert out is not None
    plan = orjson.loads((out / "inclusion_plan.json").read_bytes())
    areas = {a["code"]: a for a in plan["inclusion"]["areas"]}
    assert set(areas) == {"E54000008", "E54000036", "E54000052"}
    given = {a["code"]: a["beds_given"] for a in plan["areas"]}
    for code, area in areas.items():
        assert area["expected"]["beds"] == given[code]
        assert {n["need"] for n in area["needs"]} == {
            "device_or_connectivity",
            "face_to_face",
            "housing_or_welfare",
            "voluntary_sector",
        }


def test_admissions_exist_in_ward_api(demo: Simulation, platform: Platform, auth) -> None:
    admitted = [p for p in demo.patients if p.admission_id]
    with httpx.Client(base_url=platform.url_of("ward_api"), timeout=10) as ward:
        for patient in admitted[:5]:
            response = ward.get(
                f"/v1/admissions/{patient.admission_id}",
                headers=auth(Role.clinician, wards=[patient.ward.id]),
            )
            assert response.status_code == 200, response.text
            assert response.json()["device_id"] == patient.device_id


def test_readings_stored_through_all_three_formats(
    demo: Simulation, platform: Platform, auth
) -> None:
    assert all(demo.stats.readings[f]["stored"] > 0 for f in FORMATS), demo.stats.readings
    with httpx.Client(base_url=platform.url_of("monitoring_ingest"), timeout=10) as ingest:
        for format_name in FORMATS:
            patient = next(
                p for p in demo.patients if p.vendor.format == format_name and p.last_sent
            )
            response = ingest.get(
                f"/v1/admissions/{patient.admission_id}/readings",
                headers=auth(Role.clinician, wards=[patient.ward.id]),
            )
            assert response.status_code == 200, response.text
            assert {r["device_id"] for r in response.json()} >= {patient.device_id}


def test_alerts_reached_ward_api(demo: Simulation, platform: Platform, auth) -> None:
    kinds: list[str] = []
    with httpx.Client(base_url=platform.url_of("ward_api"), timeout=10) as ward:
        for w in demo.wards:
            response = ward.get(
                f"/v1/wards/{w.id}/alerts",
                params={"open_only": "false"},
                headers=auth(Role.clinician, wards=[w.id]),
            )
            assert response.status_code == 200, response.text
            kinds += [a["kind"] for a in response.json()]
    assert any(kind.startswith("news2_") for kind in kinds), kinds
    assert sum(demo.stats.alerts_delivered.values()) >= 1
    assert demo.stats.alerts_acknowledged >= 1


def test_caseloads_list_patients_by_risk(demo: Simulation, platform: Platform, auth) -> None:
    scored = 0
    with httpx.Client(base_url=platform.url_of("ward_api"), timeout=10) as ward:
        for w in demo.wards:
            response = ward.get(
                f"/v1/wards/{w.id}/caseload", headers=auth(Role.clinician, wards=[w.id])
            )
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            ranks = [RISK_RANK[i["risk"]] for i in items]
            assert ranks == sorted(ranks)
            scored += sum(i["risk"] is not None for i in items)
    assert scored >= 3


def test_equity_audit_shows_uptake(demo: Simulation, platform: Platform, auth) -> None:
    with httpx.Client(base_url=platform.url_of("equity_audit"), timeout=30) as equity:
        response = equity.get("/v1/audit", headers=auth(Role.commissioner, icbs=["*"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["snapshot"]["stale"] is False
    assert body["total"]["admissions"] >= 10
    assert any(g["admissions"] for g in body["groups"])
    assert body["digital_access"]["rows"]
