"""Raw audit tables (pure, vectorised): counts per group of a cut, and ICB need comparisons.

Admissions are attributed to areas by residence: a row counts for the LSOA ward_api reported
and through it for that LSOA's sub-ICB and ICB, whose ONS mid-2019 populations are the
denominators. Rows with no known LSOA form an `unknown` group with no population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.equity_audit.audit.frame import AREA_CUTS, FLAG_CUTS, Areas, Uptake

COUNT_FIELDS = (
    "admissions",
    "discharged",
    "escalated",
    "los_days_sum",
    "stays_over_14_days",
    "readings_expected",
    "readings_received",
)
UNKNOWN = "unknown"
_AGE_ORDER = {f"{5 * i}-{5 * i + 4}": i for i in range(18)} | {"90+": 18}
FLAG_LABELS = {
    "own_device": {"yes": "Own device", "no": "No own device"},
    "broadband": {"yes": "Broadband at home", "no": "No broadband at home"},
    "housing_concern": {"yes": "Housing concern recorded", "no": "No housing concern"},
}
DIGITAL_FIELDS = ("own_device_yes", "own_device_no", "broadband_yes", "broadband_no")


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """True (unprotected) totals of one group; never published as they are."""

    key: str
    label: str
    population: float | None
    admissions: int
    discharged: int
    escalated: int
    los_days_sum: int
    stays_over_14_days: int
    readings_expected: int
    readings_received: int


@dataclass(frozen=True, slots=True)
class DigitalCounts:
    """True admissions of one IMD quintile with and without own device and broadband."""

    key: str
    label: str
    own_device_yes: int
    own_device_no: int
    broadband_yes: int
    broadband_no: int


@dataclass(frozen=True, slots=True)
class IcbNeed:
    """An ICB's admissions from Core20 areas against the number its need predicts."""

    icb_code: str
    admissions: int  # admissions of residents with a known LSOA
    core20_admissions: int
    need_share: float  # Core20 areas' share of the ICB's population x IMD score
    population: float
    core20_population: float


def scope_masks(
    areas: Areas, uptake: Uptake, icb: str | None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which areas and which rows belong to an ICB (all of them for England)."""
    if icb is None:
        return np.ones(len(areas), bool), np.ones(len(uptake), bool)
    area_mask = areas.icb == icb
    known = uptake.area >= 0
    # Residence ICB for rows with a known LSOA, else the ICB ward_api reported.
    row_mask = np.where(known, area_mask[np.where(known, uptake.area, 0)], uptake.icb == icb)
    return area_mask, row_mask


def _area_keys(areas: Areas, cut: str) -> tuple[NDArray[np.int64], list[str], list[str]]:
    """Group index of every area, and the group keys and labels (in display order)."""
    if cut in ("imd_quintile", "digital_exclusion_quintile", "housing_quintile"):
        values = {
            "imd_quintile": areas.imd_quintile,
            "digital_exclusion_quintile": areas.digital_quintile,
            "housing_quintile": areas.housing_quintile,
        }[cut]
        keys = [str(q) for q in range(1, 6)]
        labels = ["1 (most deprived)", "2", "3", "4", "5 (least deprived)"]
        if cut != "imd_quintile":
            labels[0], labels[4] = "1 (highest risk)", "5 (lowest risk)"
        # 0 (unknown quintile) -> index 5, which callers map to the unknown group.
        return np.where(values > 0, values - 1, 5).astype(np.int64), keys, labels
    if cut == "imd_decile":
        keys = [str(d) for d in range(1, 11)]
        labels = ["1 (most deprived)", *keys[1:9], "10 (least deprived)"]
        return (areas.imd_decile - 1).astype(np.int64), keys, labels
    if cut == "core20":
        return (
            np.where(areas.core20, 0, 1).astype(np.int64),
            ["core20", "other"],
            [
                "Core20 (IMD deciles 1-2)",
                "Other areas (IMD deciles 3-10)",
            ],
        )
    if cut == "icb":
        keys_arr, inverse = areas.icb_groups()
    else:
        keys_arr, inverse = np.unique(areas.sub_icb, return_inverse=True)
    keys = keys_arr.tolist()
    labels = [
        f"{k} {areas.icb_names[k][1]}" if cut == "icb" and k in areas.icb_names else k for k in keys
    ]
    return inverse.astype(np.int64), keys, labels


def group_counts(areas: Areas, uptake: Uptake, cut: str, icb: str | None) -> list[GroupCounts]:
    """Counts per group of `cut` within the scope (an ICB, or England when icb is None)."""
    area_mask, row_mask = scope_masks(areas, uptake, icb)
    rows = uptake.select(row_mask)
    if cut in AREA_CUTS:
        area_key, keys, labels = _area_keys(areas, cut)
        if cut in ("icb", "sub_icb"):
            # Only the groups inside the scope.
            present = np.unique(area_key[area_mask])
            remap = np.full(len(keys), -1)
            remap[present] = np.arange(present.size)
            area_key = remap[area_key]
            keys = [keys[i] for i in present]
            labels = [labels[i] for i in present]
        n = len(keys)
        area_key = np.where(area_key < 0, n, np.minimum(area_key, n))
        population = np.bincount(
            area_key[area_mask], weights=areas.population[area_mask], minlength=n + 1
        )
        known = rows.area >= 0
        row_key = np.full(len(rows), n, dtype=np.int64)
        row_key[known] = area_key[rows.area[known]]
        populations: list[float | None] = [float(p) for p in population[:n]] + [None]
    else:
        values = rows.person
        uniques = sorted(set(values.tolist()), key=_person_order(cut))
        keys = [u for u in uniques if u != UNKNOWN]
        names = FLAG_LABELS.get(cut, {})
        labels = [names.get(k, k) for k in keys]
        n = len(keys)
        lookup = {k: i for i, k in enumerate(keys)}
        row_key = np.array([lookup.get(v, n) for v in values.tolist()], dtype=np.int64)
        populations = [None] * (n + 1)
    totals = {
        name: np.bincount(row_key, weights=getattr(rows, name), minlength=n + 1).astype(np.int64)
        for name in COUNT_FIELDS
    }
    groups = []
    for i, (key, label) in enumerate([*zip(keys, labels, strict=True), (UNKNOWN, "Unknown")]):
        if i == n and totals["admissions"][n] == 0:
            continue  # no unknown group when every row was placed
        groups.append(
            GroupCounts(
                key=key,
                label=label,
                population=populations[i],
                **{name: int(totals[name][i]) for name in COUNT_FIELDS},
            )
        )
    return groups


def _person_order(cut: str):
    if cut == "age_band":
        return lambda v: (_AGE_ORDER.get(v, 99), v)
    if cut == "sex":
        order = {"female": 0, "male": 1, "other": 2}
        return lambda v: (order.get(v, 9), v)
    if cut in FLAG_CUTS:
        return lambda v: ({"yes": 0, "no": 1}.get(v, 9), v)
    return lambda v: (v == UNKNOWN, v)


def digital_counts(areas: Areas, uptake: Uptake, icb: str | None) -> list[DigitalCounts]:
    """Admissions with and without own device and broadband, per IMD quintile of residence.

    Rows without a known LSOA are left out: the table is about deprivation of residence.
    """
    _, row_mask = scope_masks(areas, uptake, icb)
    mask = row_mask & (uptake.area >= 0)
    area_key, keys, labels = _area_keys(areas, "imd_quintile")
    row_key = area_key[uptake.area[mask]]
    totals = {
        name: np.bincount(row_key, weights=getattr(uptake, name)[mask], minlength=6).astype(
            np.int64
        )
        for name in DIGITAL_FIELDS
    }
    return [
        DigitalCounts(key, label, **{name: int(totals[name][i]) for name in DIGITAL_FIELDS})
        for i, (key, label) in enumerate(zip(keys, labels, strict=True))
    ]


def icb_need(areas: Areas, uptake: Uptake) -> list[IcbNeed]:
    """Every ICB's Core20 admissions and the Core20 share of its need (population x IMD score)."""
    codes, area_icb_index = areas.icb_groups()
    n = codes.size
    weight = areas.population * areas.imd_score
    core20 = areas.core20
    need_all = np.bincount(area_icb_index, weights=weight, minlength=n)
    need_core20 = np.bincount(area_icb_index[core20], weights=weight[core20], minlength=n)
    population = np.bincount(area_icb_index, weights=areas.population, minlength=n)
    core20_population = np.bincount(
        area_icb_index[core20], weights=areas.population[core20], minlength=n
    )
    known = uptake.area >= 0
    row_area = uptake.area[known]
    row_icb = area_icb_index[row_area]
    admissions = uptake.admissions[known]
    total = np.bincount(row_icb, weights=admissions, minlength=n)
    in_core20 = core20[row_area]
    core20_total = np.bincount(row_icb[in_core20], weights=admissions[in_core20], minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(need_all > 0, need_core20 / need_all, 0.0)
    return [
        IcbNeed(
            icb_code=str(codes[i]),
            admissions=int(total[i]),
            core20_admissions=int(core20_total[i]),
            need_share=float(share[i]),
            population=float(population[i]),
            core20_population=float(core20_population[i]),
        )
        for i in range(n)
    ]
