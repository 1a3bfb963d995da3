"""The synthetic reference data: deterministic, labelled SYNTHETIC, read by the real loaders."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from services.equity_audit.domain.synthetic import (
    DEFAULT_SEED,
    ensure_reference_data,
    write_synthetic_reference,
)
from shared.reference.datasets import (
    REFERENCE_FILES,
    SYNTHETIC_MARKER,
    is_synthetic_dir,
    load_reference,
)
from tests.support.data import data_dir, require_data

FILE_NAMES = [d.file_name for d in REFERENCE_FILES]


@pytest.fixture
def synthetic_dir(tmp_path: Path) -> Path:
    write_synthetic_reference(tmp_path / "synthetic")
    return tmp_path / "synthetic"


def test_writes_the_four_files_and_a_marker(synthetic_dir: Path) -> None:
    for name in FILE_NAMES:
        assert (synthetic_dir / str(name)).is_file()
    assert is_synthetic_dir(synthetic_dir)
    assert "SYNTHETIC" in (synthetic_dir / SYNTHETIC_MARKER).read_text(encoding="utf-8")


def test_every_descriptor_it_yields_says_synthetic(tmp_path: Path) -> None:
    descriptors = write_synthetic_reference(tmp_path, seed=11)
    assert len(descriptors) == 4
    for descriptor in descriptors:
        assert descriptor.synthetic
        assert "SYNTHETIC" in descriptor.name
        assert descriptor.vintage == "SYNTHETIC (seed 11)"
        assert "SYNTHETIC" in descriptor.attribution
        assert "Open Government Licence" not in descriptor.attribution


def test_round_trips_through_the_real_loaders(synthetic_dir: Path) -> None:
    reference = load_reference(synthetic_dir)
    for report in reference.reports:
        assert report.ok, (report.summary(), report.rejected[:3])
        assert report.accepted == 200
    assert reference.synthetic
    assert all(d.synthetic and "SYNTHETIC" in d.name for d in reference.descriptors)
    assert all(d.vintage == f"SYNTHETIC (seed {DEFAULT_SEED})" for d in reference.descriptors)

    icb_rows = reference.icb.rows.values()
    assert len({r.icb_code for r in icb_rows}) == 4
    assert len({r.sicbl_code for r in icb_rows}) == 8
    assert all(r.icb_name.startswith("SYNTHETIC") for r in icb_rows)

    profiles = reference.profiles()
    assert len(profiles) == 200
    assert Counter(p.imd_decile for p in profiles.values()) == dict.fromkeys(range(1, 11), 20)
    assert sum(p.core20 for p in profiles.values()) == 40
    assert all(700 <= p.population <= 3500 for p in profiles.values())
    assert {p.housing_quintile for p in profiles.values()} == {1, 2, 3, 4, 5}
    assert {p.digital_exclusion_quintile for p in profiles.values()} == {1, 2, 3, 4, 5}


def test_deprived_icbs_look_deprived(synthetic_dir: Path) -> None:
    profiles = load_reference(synthetic_dir).profiles()
    core20_share: dict[str, list[bool]] = {}
    for p in profiles.values():
        core20_share.setdefault(p.icb_code, []).append(p.core20)
    shares = {icb: sum(flags) / len(flags) for icb, flags in core20_share.items()}
    assert shares["E54900001"] > shares["E54900002"]  # Northbridge vs Eastmere


def test_codes_cannot_collide_with_real_areas(synthetic_dir: Path) -> None:
    reference = load_reference(synthetic_dir)
    assert all(code.startswith("E019") for code in reference.imd.rows)
    assert all(r.icb_code.startswith("E549") for r in reference.icb.rows.values())
    assert all(r.sicbl_code.startswith("E389") for r in reference.icb.rows.values())


def test_is_deterministic(tmp_path: Path) -> None:
    write_synthetic_reference(tmp_path / "a", seed=5)
    write_synthetic_reference(tmp_path / "b", seed=5)
    write_synthetic_reference(tmp_path / "c", seed=6)
    for name in FILE_NAMES:
        first = (tmp_path / "a" / str(name)).read_bytes()
        assert first == (tmp_path / "b" / str(name)).read_bytes()
        if name != "lsoa11_to_icb.csv":  # the geography itself does not depend on the seed
            assert first != (tmp_path / "c" / str(name)).read_bytes()


def test_size_is_configurable(tmp_path: Path) -> None:
    write_synthetic_reference(tmp_path, icbs=2, sub_icbs_per_icb=1, lsoas_per_sub_icb=10)
    assert load_reference(tmp_path).imd.report.accepted == 20


@pytest.mark.parametrize(
    "kwargs", [{"icbs": 0}, {"icbs": 5}, {"sub_icbs_per_icb": 0}, {"lsoas_per_sub_icb": 0}]
)
def test_rejects_impossible_sizes(tmp_path: Path, kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        write_synthetic_reference(tmp_path, **kwargs)


def test_headers_match_the_real_files(synthetic_dir: Path) -> None:
    real = require_data("imd2019_lsoa11_england.csv", directory=data_dir())
    for name in FILE_NAMES:
        with (
            (real / str(name)).open(encoding="utf-8") as r,
            (synthetic_dir / str(name)).open(encoding="utf-8") as s,
        ):
            assert r.readline() == s.readline(), name


def test_ensure_reference_data_prefers_real_files(tmp_path: Path, synthetic_dir: Path) -> None:
    assert ensure_reference_data(synthetic_dir, tmp_path / "unused") == synthetic_dir
    assert not (tmp_path / "unused").exists()


def test_ensure_reference_data_falls_back_to_synthetic_and_reuses_it(tmp_path: Path) -> None:
    fallback = tmp_path / "quickstart"
    chosen = ensure_reference_data(tmp_path / "no-such-dir", fallback)
    assert chosen == fallback and is_synthetic_dir(fallback)
    marker = fallback / SYNTHETIC_MARKER
    before = marker.stat().st_mtime_ns
    assert ensure_reference_data(tmp_path / "no-such-dir", fallback) == fallback
    assert marker.stat().st_mtime_ns == before
    assert load_reference(chosen).synthetic
