"""The HTML report: self-contained (no scripts, no external assets) and renders in Chromium."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.auth import Role
from tests.equity_audit.cases import icb_cases
from tests.equity_audit.conftest import aggregate_row

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1200,2000",
]  # fmt: skip


def _require_chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium is not installed and CI is not set")
    return CHROMIUM


@pytest.fixture(scope="module")
async def report(database_url, reference_loaded, stub_client, stub_ward, auth) -> tuple[str, str]:
    (case,) = await icb_cases(database_url, 1)
    stub_ward.down = False
    stub_ward.rows = [
        aggregate_row(icb_code=case.icb_code, lsoa11cd=case.lsoa_by_quintile[q], admissions=n)
        for q, n in zip(range(1, 6), [120, 100, 80, 60, 40], strict=True)
    ]
    await stub_client.post(
        "/v1/admin/snapshots/refresh", params={"full": "true"}, headers=auth(Role.admin)
    )
    response = await stub_client.get(
        "/v1/audit",
        params={"icb": case.icb_ods_code, "format": "html"},
        headers=auth(Role.commissioner, icbs=[case.icb_ods_code]),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text, case.icb_ods_code


def test_report_is_self_contained(report):
    html, ods = report
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "<svg" in html and html.count("<svg") == 2
    assert (
        "Contains public sector information licensed under the Open Government Licence v3.0" in html
    )
    assert "Core20 share" in html and "Data, vintages and caveats" in html
    assert ods in html
    assert '<h2 id="digital">Digital access by IMD quintile</h2>' in html
    assert "Relative index of inequality, most deprived over least deprived" in html
    assert "as PHEindicatormethods reports it (least deprived over most deprived)" in html
    assert 'id="need-rule">Need proxy, not measured need' in html


async def test_report_renders_in_headless_chromium(report, tmp_path):
    chromium = _require_chromium()
    html, _ = report
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    profile = tmp_path / "profile"
    screenshot = tmp_path / "report.png"

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    dom = await asyncio.to_thread(run, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    for heading in ("Admission rates by IMD quintile", "ICBs: Core20 uptake against need",
                    "Attribution"):  # fmt: skip
        assert heading in dom.stdout
    assert "<svg" in dom.stdout
    shot = await asyncio.to_thread(run, f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = screenshot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank 1200x2000 page compresses to a few kB


def test_report_says_when_inclusion_cannot_be_costed(report):
    """The stub ward_api does not answer /v1/inclusion/need: the section says so, no 500."""
    html, _ = report
    assert '<h2 id="inclusion">What inclusion would cost here</h2>' in html
    assert "Not available: ward_api could not cost inclusion" in html
