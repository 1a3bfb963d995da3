"""Column arrays the audit works on (pure, numpy): reference areas and uptake aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

AREA_CUTS = (
    "imd_quintile",
    "imd_decile",
    "core20",
    "digital_exclusion_quintile",
    "housing_quintile",
    "icb",
    "sub_icb",
)
PERSON_CUTS = (
    "ethnic_category",
    "age_band",
    "sex",
    "pathway",
    "own_device",
    "broadband",
    "housing_concern",
)
# Yes/no attributes ward_api records per patient; published as "yes", "no" (or unknown).
FLAG_CUTS = ("own_device", "broadband", "housing_concern")
CUTS = (*AREA_CUTS, *PERSON_CUTS)
QUANTILE_CUTS = ("imd_quintile", "imd_decile", "digital_exclusion_quintile", "housing_quintile")


@dataclass(slots=True)
class Areas:
    """One entry per LSOA 2011 with an IMD row and an ICB; 0 in a quintile means unknown."""

    codes: NDArray[np.str_]
    icb: NDArray[np.str_]
    sub_icb: NDArray[np.str_]
    population: NDArray[np.float64]
    imd_score: NDArray[np.float64]
    imd_decile: NDArray[np.int64]
    housing_quintile: NDArray[np.int64]
    digital_quintile: NDArray[np.int64]
    icb_names: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (ods, name)
    index: dict[str, int] = field(default_factory=dict)
    _icb_groups: tuple[NDArray[np.str_], NDArray[np.intp]] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {code: i for i, code in enumerate(self.codes.tolist())}

    def icb_groups(self) -> tuple[NDArray[np.str_], NDArray[np.intp]]:
        """The ICB codes in order and each area's index into them, sorted once per Areas."""
        if self._icb_groups is None:
            self._icb_groups = np.unique(self.icb, return_inverse=True)
        return self._icb_groups

    @property
    def imd_quintile(self) -> NDArray[np.int64]:
        return (self.imd_decile + 1) // 2

    @property
    def core20(self) -> NDArray[np.bool_]:
        return self.imd_decile <= 2

    def __len__(self) -> int:
        return int(self.codes.size)


@dataclass(slots=True)
class Uptake:
    """Aggregate rows: the LSOA (index into Areas, -1 if unknown), ward ICB and counts.

    `person` holds the person-level attribute of the requested cut (age band, sex, ethnic
    category, pathway, or "yes"/"no" for a flag), or is empty for area cuts. The last four
    arrays count admissions of patients recorded with and without their own device and
    broadband, for the digital-access table.
    """

    area: NDArray[np.int64]
    icb: NDArray[np.str_]
    person: NDArray[np.str_]
    admissions: NDArray[np.int64]
    discharged: NDArray[np.int64]
    escalated: NDArray[np.int64]
    los_days_sum: NDArray[np.int64]
    stays_over_14_days: NDArray[np.int64]
    readings_expected: NDArray[np.int64]
    readings_received: NDArray[np.int64]
    own_device_yes: NDArray[np.int64]
    own_device_no: NDArray[np.int64]
    broadband_yes: NDArray[np.int64]
    broadband_no: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.area.size)

    def select(self, mask: NDArray[np.bool_]) -> Uptake:
        return Uptake(*(getattr(self, name)[mask] for name in self.__slots__))
