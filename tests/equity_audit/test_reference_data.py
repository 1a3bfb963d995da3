"""Reference data: the start-up loader, the admin importer and the CLI."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from shared.auth import Role
from shared.reference.datasets.housing import HOUSING_LAYOUT
from tests.conftest import _drop_database, fresh_database


def test_loader_is_idempotent_and_quick(database_url, reference_loaded, reference_dir, tmp_path):
    from services.equity_audit.reference_data import load

    started = time.perf_counter()
    summary = load(database_url, reference_dir, synthetic_dir=tmp_path / "synthetic")
    assert "unchanged" in summary
    assert time.perf_counter() - started < 2


def test_synthetic_fallback_is_labelled(database_server_url, tmp_path):
    from services.equity_audit.reference_data import load
    from shared.migrate import upgrade

    url = fresh_database(database_server_url, prefix="vward_equity_synthetic")
    try:
        upgrade(url)
        summary = load(url, tmp_path / "missing", synthetic_dir=tmp_path / "synthetic")
        assert "SYNTHETIC" in summary
        assert "imd loaded" in summary and "digital_exclusion loaded" in summary

        async def _check() -> tuple[int, set[bool], str]:
            conn = await asyncpg.connect(url)
            try:
                count = await conn.fetchval("SELECT count(*) FROM equity.lsoas")
                flags = {
                    r["synthetic"]
                    for r in await conn.fetch("SELECT synthetic FROM equity.datasets")
                }
                vintage = await conn.fetchval(
                    "SELECT vintage FROM equity.datasets WHERE kind = 'imd'"
                )
                return count, flags, vintage
            finally:
                await conn.close()

        count, flags, vintage = asyncio.run(_check())
        assert count > 0 and flags == {True} and "SYNTHETIC" in vintage
        assert "unchanged" in load(url, tmp_path / "missing", synthetic_dir=tmp_path / "synthetic")
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


async def test_datasets_register_has_provenance(equity_client, reference_loaded, auth):
    response = await equity_client.get("/v1/datasets", headers=auth(Role.commissioner, icbs=["Q"]))
    assert response.status_code == 200
    datasets = {d["kind"]: d for d in response.json()["datasets"]}
    assert set(datasets) == {"imd", "icb_lookup", "housing", "digital_exclusion"}
    for d in datasets.values():
        assert d["vintage"] and d["licence"] and d["attribution"] and d["source"]
        assert d["row_count"] > 0


def _csv(header: str, *lines: str) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


async def _known_lsoas(database_url: str, n: int) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT lsoa11cd FROM equity.lsoas ORDER BY lsoa11cd LIMIT $1", n)
        return [r["lsoa11cd"] for r in rows]
    finally:
        await conn.close()


async def test_import_rejects_duplicates_unknown_areas_and_bad_codes(
    equity_client, reference_loaded, database_url, auth
):
    a, b = await _known_lsoas(database_url, 2)
    header = "lsoa11cd,sicbl_code,sicbl_ods_code,icb_code,icb_ods_code,icb_name,lad22cd"
    good = (
        f"{a},E38000255,A3A8R,E54000029,QMF,NHS North East London Integrated Care Board,E09000001"
    )
    body = _csv(
        header,
        good,
        good,  # duplicate
        good.replace(a, "E01999999"),  # unknown area
        good.replace(a, b).replace("E54000029", "X54000029"),  # bad ICB code
    )
    response = await equity_client.post(
        "/v1/admin/datasets/icb_lookup",
        content=body,
        headers={**auth(Role.admin), "content-type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/dataset-rejected")
    reasons = " | ".join(r["reason"] for r in problem["report"]["rejected"])
    assert "duplicate" in reasons and "unknown area E01999999" in reasons and "icb_code" in reasons
    assert problem["report"]["missing_count"] > 0
    # Nothing changed.
    datasets = (await equity_client.get("/v1/datasets", headers=auth(Role.admin))).json()
    lookup = next(d for d in datasets["datasets"] if d["kind"] == "icb_lookup")
    assert lookup["row_count"] > 2


async def test_import_rejects_unknown_layout_and_lsoa21_vintage(
    equity_client, reference_loaded, auth
):
    headers = {**auth(Role.admin), "content-type": "text/csv"}
    wrong = await equity_client.post(
        "/v1/admin/datasets/housing", content=b"a,b\n1,2\n", headers=headers
    )
    assert wrong.status_code == 422
    assert "header does not match" in wrong.json()["detail"]
    iod2025 = _csv(
        "LSOA code (2021),LSOA name (2021),Local Authority District code (2024),"
        "Local Authority District name (2024),Index of Multiple Deprivation (IMD) Rank (where 1"
        " is most deprived),Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived"
        " 10% of LSOAs)",
        "E01000001,City of London 001A,E09000001,City of London,30000,10",
    )
    vintage = await equity_client.post("/v1/admin/datasets/imd", content=iod2025, headers=headers)
    assert vintage.status_code == 422, vintage.text
    assert "LSOA 2021" in vintage.json()["detail"]


HOUSING_HEADER = ",".join(HOUSING_LAYOUT.headers).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (HOUSING_HEADER + b"\nE01000001,\xff\xfe\xc3\x28\n", "not UTF-8"),
        (HOUSING_HEADER + b'\n"' + b"x" * 200_000 + b'",1\n', "not a readable CSV file"),
    ],
    ids=["not-utf8", "oversized-field"],
)
async def test_import_refuses_an_unreadable_file(
    equity_client, reference_loaded, auth, body: bytes, reason: str
):
    """A client's bad file is a 422 with a report line, never a 500 from the CSV reader."""
    response = await equity_client.post(
        "/v1/admin/datasets/housing",
        content=body,
        headers={**auth(Role.admin), "content-type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/dataset-rejected")
    assert reason in problem["detail"] and "known LSOA" not in problem["detail"]
    (rejection,) = problem["report"]["rejected"]
    assert rejection["row_number"] == 2 and reason in rejection["reason"]


async def test_reimporting_the_active_file_is_unchanged(
    equity_client, reference_loaded, reference_dir, auth
):
    from shared.reference.datasets.descriptors import IMD2019
    from tests.support.data import require_data

    path = require_data(IMD2019.file_name or "", directory=Path(reference_dir)) / (
        IMD2019.file_name or ""
    )
    response = await equity_client.post(
        "/v1/admin/datasets/imd",
        content=path.read_bytes(),
        headers={**auth(Role.admin), "content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "unchanged"


@pytest.mark.parametrize("role", [Role.commissioner, Role.service, Role.clinician])
async def test_import_is_admin_only(equity_client, auth, role):
    response = await equity_client.post(
        "/v1/admin/datasets/imd", content=b"x", headers={**auth(role, icbs=["*"])}
    )
    assert response.status_code == 403


def test_cli_import_reports_rejections(database_url, reference_loaded, tmp_path):
    from services.equity_audit.cli import app

    bad = tmp_path / "digital.csv"
    bad.write_text(
        "lsoa11cd,deri_broadband_component,deri_demography_component,deri_deprivation_component,"
        "deri_score,iuc2018_group_code,iuc2018_group_label\n"
        "E01999999,1,1,1,1,3,e-Veterans\n"
    )
    result = CliRunner().invoke(
        app, ["import", "digital_exclusion", str(bad), "--database-url", database_url]
    )
    assert result.exit_code == 1, result.output
    assert "rejected" in result.output and "unknown area E01999999" in result.output
    unknown = CliRunner().invoke(app, ["import", "weather", str(bad)])
    assert unknown.exit_code == 2
