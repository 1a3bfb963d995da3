"""The loaders against the real public files in the configured data directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.reference.datasets import (
    LoadedDataset,
    ReferenceData,
    load_digital_exclusion,
    load_housing,
    load_icb_lookup,
    load_imd2019,
    load_reference,
)

LSOAS = 32_844


@pytest.fixture(scope="module")
def reference(real_data_dir: Path) -> ReferenceData:
    return load_reference(real_data_dir)


def test_every_file_loads_every_lsoa_cleanly(reference: ReferenceData) -> None:
    for report in reference.reports:
        assert report.accepted == LSOAS, report.summary()
        assert report.ok, (report.summary(), report.rejected[:5])
        assert report.skipped == 0


def test_icb_hierarchy(reference: ReferenceData) -> None:
    rows = reference.icb.rows.values()
    assert len({row.icb_code for row in rows}) == 42
    assert len({row.sicbl_code for row in rows}) == 106
    assert len({row.icb_ods_code for row in rows}) == 42


def test_england_population(reference: ReferenceData) -> None:
    assert sum(row.population for row in reference.imd.rows.values()) == 56_286_961


def test_descriptors_are_real_and_carry_the_required_attribution(reference: ReferenceData) -> None:
    for descriptor in reference.descriptors:
        assert not descriptor.synthetic
        assert "Open Government Licence v3.0" in descriptor.attribution
        assert descriptor.geography == "lsoa11"
    assert not reference.synthetic


def test_known_rows_parse_to_the_published_values(reference: ReferenceData) -> None:
    imd = reference.imd.rows["E01000001"]
    assert (imd.imd_score, imd.imd_decile, imd.population) == (6.208, 9, 1636)
    icb = reference.icb.rows["E01000001"]
    assert (icb.icb_code, icb.icb_ods_code, icb.sicbl_code) == ("E54000029", "QMF", "E38000255")
    assert reference.housing.rows["E01000001"].indoors_decile == 5
    digital = reference.digital.rows["E01000001"]
    assert (digital.deri_score, digital.iuc_group_label) == (2.4924, "e-Veterans")


def test_imd_deciles_hold_a_tenth_of_lsoas_each(reference: ReferenceData) -> None:
    counts = Counter(row.imd_decile for row in reference.imd.rows.values())
    assert sorted(counts) == list(range(1, 11))
    assert all(abs(n - LSOAS / 10) <= 2 for n in counts.values())


def test_profiles_cover_england(reference: ReferenceData) -> None:
    profiles = reference.profiles()
    assert len(profiles) == LSOAS
    assert sum(p.core20 for p in profiles.values()) == 6_568  # deciles 1 and 2
    for field in ("imd_quintile", "digital_exclusion_quintile", "housing_quintile"):
        counts = Counter(getattr(p, field) for p in profiles.values())
        assert sorted(counts) == [1, 2, 3, 4, 5], field
        assert all(abs(n - LSOAS / 5) <= 10 for n in counts.values()), (field, counts)


def test_most_digitally_excluded_quintile_has_the_highest_scores(reference: ReferenceData) -> None:
    profiles = reference.profiles()
    worst = [p.deri_score for p in profiles.values() if p.digital_exclusion_quintile == 1]
    best = [p.deri_score for p in profiles.values() if p.digital_exclusion_quintile == 5]
    assert min(s for s in worst if s is not None) >= max(s for s in best if s is not None)


LOADERS: dict[str, Callable[..., LoadedDataset[str, object]]] = {
    "imd2019_lsoa11_england.csv": load_imd2019,
    "lsoa11_to_icb.csv": load_icb_lookup,
    "housing_lsoa.csv": load_housing,
    "digital_exclusion_lsoa.csv": load_digital_exclusion,
}


@pytest.mark.parametrize("file_name", list(LOADERS))
def test_each_file_loads_every_lsoa(
    real_data_dir: Path, reference: ReferenceData, file_name: str
) -> None:
    """How long each takes (goal: well under a second) is measured by bench/pure.py."""
    kwargs = {} if file_name.startswith("imd") else {"known_lsoas": reference.imd.rows.keys()}
    loaded = LOADERS[file_name](real_data_dir / file_name, **kwargs)
    assert loaded.report.accepted == LSOAS
