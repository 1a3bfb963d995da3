"""Per-LSOA uptake totals: rebuilt by each refresh, read for whole-period area cuts, and
giving exactly what summing the snapshot's rows gives."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import text

from services.equity_audit.audit import repository
from services.equity_audit.audit.frame import AREA_CUTS, Uptake
from services.equity_audit.audit.report import build_audit
from shared.auth import Role
from tests.equity_audit.cases import icb_cases
from tests.equity_audit.conftest import StubWardApi, aggregate_row


def _months() -> tuple[str, str]:
    """This month and the one before: inside every later refresh's look-back window."""
    today = date.today()
    before = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return before.strftime("%Y-%m"), today.strftime("%Y-%m")


@pytest.fixture(scope="module")
async def snapshot_id(database_url, reference_loaded, stub_client, stub_ward: StubWardApi, auth):
    (case,) = await icb_cases(database_url, 1)
    earlier, later = _months()
    lsoas = list(case.lsoa_by_quintile.values())
    stub_ward.down = False
    stub_ward.rows = [
        *(
            aggregate_row(
                month=month, icb_code=case.icb_code, lsoa11cd=lsoa, admissions=5 + i,
                outcome=outcome, own_device=flag, broadband=not flag, los_days_sum=3 * i,
                readings_expected=40, readings_received=30, sex="male" if i % 2 else "female",
            )
            for i, lsoa in enumerate(lsoas)
            for month in (earlier, later)
            for outcome, flag in (("completed", True), ("ongoing", None),
                                  ("escalated_to_hospital", False))
        ),
        # Residence unknown (no LSOA, or one outside the reference data); no ICB either.
        aggregate_row(month=later, icb_code=case.icb_code, lsoa11cd=None, admissions=11),
        aggregate_row(month=earlier, icb_code=None, lsoa11cd="E01999999", admissions=4),
        aggregate_row(month=later, icb_code=None, lsoa11cd=None, admissions=2),
    ]  # fmt: skip
    response = await stub_client.post(
        "/v1/admin/snapshots/refresh", params={"full": "true"}, headers=auth(Role.admin)
    )
    assert response.status_code == 200, response.text
    return response.json()["snapshot"]["id"]


def _sorted(uptake: Uptake) -> dict[str, list]:
    order = np.lexsort((uptake.admissions, uptake.icb, uptake.area))
    return {name: getattr(uptake, name)[order].tolist() for name in Uptake.__slots__}


async def test_refresh_builds_totals_for_its_snapshot(stub_client, snapshot_id):
    async with stub_client.app.state.sessionmaker() as session:
        built = await session.execute(text("SELECT DISTINCT snapshot_id FROM equity.uptake_totals"))
        raw = await session.scalar(text("SELECT sum(admissions) FROM equity.uptake"))
        summed = await session.scalar(text("SELECT sum(admissions) FROM equity.uptake_totals"))
    assert built.scalars().all() == [snapshot_id]
    assert summed == raw


@pytest.mark.parametrize("cut", AREA_CUTS)
async def test_totals_give_what_the_rows_give(stub_client, snapshot_id, cut):
    async with stub_client.app.state.sessionmaker() as session:
        areas = await repository.load_areas(session)
        read = {
            source: await repository.load_uptake(
                session, areas, cut=cut, from_month=None, to_month=None, snapshot_id=snapshot
            )
            # None and a snapshot the totals were not built for both sum the rows.
            for source, snapshot in (("totals", snapshot_id), ("rows", None),
                                     ("stale", snapshot_id + 1000))
        }  # fmt: skip
    (totals, months), (rows, raw_months), (stale, _) = read.values()
    assert len(totals) == 5 + 3  # per LSOA over months, outcomes and flags; 3 unknown
    assert months == raw_months == list(_months())
    assert _sorted(totals) == _sorted(rows) == _sorted(stale)
    icb = areas.icb[totals.area[totals.area >= 0][0]]
    for scope in (None, str(icb)):
        assert build_audit(areas, totals, cut=cut, icb=scope, repetitions=1000) == build_audit(
            areas, rows, cut=cut, icb=scope, repetitions=1000
        )


async def test_part_period_and_person_cuts_sum_the_rows(stub_client, snapshot_id):
    earlier, later = _months()
    async with stub_client.app.state.sessionmaker() as session:
        areas = await repository.load_areas(session)
        part, months = await repository.load_uptake(
            session, areas, cut="imd_quintile", from_month=later, to_month=None,
            snapshot_id=snapshot_id,
        )  # fmt: skip
        by_sex, _ = await repository.load_uptake(
            session, areas, cut="sex", from_month=None, to_month=None, snapshot_id=snapshot_id
        )
        whole, _ = await repository.load_uptake(
            session, areas, cut="sex", from_month=earlier, to_month=later, snapshot_id=snapshot_id
        )
    assert months == [later]
    assert int(part.admissions.sum()) == sum(5 + i for i in range(5)) * 3 + 11 + 2
    assert set(by_sex.person.tolist()) == {"female", "male"}
    assert _sorted(by_sex) == _sorted(whole)


async def test_whole_period_area_cut_reads_only_the_totals(stub_client, snapshot_id, monkeypatch):
    async def no_rows(*args: object) -> None:
        raise AssertionError("summed the raw uptake rows")

    monkeypatch.setattr(repository, "_sum_uptake", no_rows)
    async with stub_client.app.state.sessionmaker() as session:
        areas = await repository.load_areas(session)
        uptake, _ = await repository.load_uptake(
            session, areas, cut="imd_decile", from_month=None, to_month=None,
            snapshot_id=snapshot_id,
        )  # fmt: skip
    assert len(uptake) == 5 + 3
