"""Load the four reference files of a data directory together and cross-check them.

The directory is an argument: callers pass the ``data_dir`` setting (``shared.settings``,
``VWARD_DATA_DIR``); it is never looked up here. A directory written by the synthetic
generator carries a marker file; its datasets are then described as SYNTHETIC whatever
their file names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from shared.reference.synthetic import is_synthetic_dir, synthetic_seed

from .descriptors import (
    DIGITAL_EXCLUSION,
    HOUSING,
    IMD2019,
    LSOA11_TO_ICB,
    DatasetDescriptor,
    synthetic_descriptor,
)
from .digital import DigitalExclusionRow, load_digital_exclusion
from .housing import HousingRow, load_housing
from .icb import IcbLookupRow, load_icb_lookup
from .imd import ImdRow, load_imd2019
from .profiles import HousingMeasure, LsoaProfile, build_profiles
from .report import ImportReport, LoadedDataset

__all__ = [
    "REFERENCE_FILES",
    "ReferenceData",
    "is_synthetic_dir",
    "load_reference",
]

T = TypeVar("T")

REFERENCE_FILES: tuple[DatasetDescriptor, ...] = (
    IMD2019,
    LSOA11_TO_ICB,
    HOUSING,
    DIGITAL_EXCLUSION,
)


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """The four reference datasets, each with its descriptor and import report."""

    imd: LoadedDataset[str, ImdRow]
    icb: LoadedDataset[str, IcbLookupRow]
    housing: LoadedDataset[str, HousingRow]
    digital: LoadedDataset[str, DigitalExclusionRow]

    @property
    def reports(self) -> tuple[ImportReport, ...]:
        """Import reports in load order."""
        return (self.imd.report, self.icb.report, self.housing.report, self.digital.report)

    @property
    def descriptors(self) -> tuple[DatasetDescriptor, ...]:
        """Provenance of each dataset, for the attribution footer of any output."""
        return (
            self.imd.descriptor,
            self.icb.descriptor,
            self.housing.descriptor,
            self.digital.descriptor,
        )

    @property
    def synthetic(self) -> bool:
        """Whether any dataset is synthetic (outputs must then say so)."""
        return any(d.synthetic for d in self.descriptors)

    def profiles(
        self, housing_measure: HousingMeasure = HousingMeasure.INDOORS
    ) -> dict[str, LsoaProfile]:
        """Per-LSOA quintiles and flags."""
        return build_profiles(
            self.imd.rows,
            self.icb.rows,
            self.housing.rows,
            self.digital.rows,
            housing_measure=housing_measure,
        )


def load_reference(data_dir: Path) -> ReferenceData:
    """Load and cross-check the four files; problems are in the reports, not exceptions.

    Raises FileNotFoundError only when a file is absent altogether.
    """
    seed = synthetic_seed(data_dir)

    def describe(real: DatasetDescriptor) -> DatasetDescriptor:
        return real if seed is None else synthetic_descriptor(real, seed=seed)

    def path(real: DatasetDescriptor) -> Path:
        assert real.file_name is not None
        return data_dir / real.file_name

    imd = load_imd2019(path(IMD2019), descriptor=describe(IMD2019))
    known = imd.rows.keys()
    icb = load_icb_lookup(
        path(LSOA11_TO_ICB), known_lsoas=known, descriptor=describe(LSOA11_TO_ICB)
    )
    housing = load_housing(path(HOUSING), known_lsoas=known, descriptor=describe(HOUSING))
    digital = load_digital_exclusion(
        path(DIGITAL_EXCLUSION), known_lsoas=known, descriptor=describe(DIGITAL_EXCLUSION)
    )
    return ReferenceData(
        imd=imd,
        icb=_with_missing(icb, known),
        housing=_with_missing(housing, known),
        digital=_with_missing(digital, known),
    )


def _with_missing(loaded: LoadedDataset[str, T], expected: Iterable[str]) -> LoadedDataset[str, T]:
    missing = tuple(sorted(code for code in expected if code not in loaded.rows))
    if not missing:
        return loaded
    return replace(loaded, report=loaded.report.with_missing(missing))
