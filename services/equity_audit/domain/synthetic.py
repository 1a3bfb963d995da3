"""equity_audit's part of the SYNTHETIC reference data: housing and digital exclusion.

The areas, the IMD file and the LSOA → ICB lookup come from ``shared.reference.synthetic``,
the generator ward_api uses too, so both services see one made-up England; this adds the
two files only equity_audit reads, continuing the same random stream, in exactly the real
layouts. Housing, digital exclusion and IUC group follow deprivation with noise.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path

from shared.reference.datasets.catalogue import REFERENCE_FILES
from shared.reference.datasets.descriptors import (
    DIGITAL_EXCLUSION,
    HOUSING,
    DatasetDescriptor,
    synthetic_descriptor,
)
from shared.reference.datasets.digital import DIGITAL_EXCLUSION_LAYOUT, IUC2018_GROUPS
from shared.reference.datasets.housing import HOUSING_LAYOUT, LSOA11_COUNT
from shared.reference.synthetic import (
    DEFAULT_SEED,
    SyntheticLsoa,
    clip,
    deciles,
    ensure_files,
    write_csv,
    write_marker,
    write_synthetic_lsoa_files,
)

__all__ = ["DEFAULT_SEED", "ensure_reference_data", "write_synthetic_reference"]

# IUC groups an LSOA is likely to fall in, least to most deprived.
_IUC_BY_DEPRIVATION: tuple[tuple[int, ...], ...] = (
    (1, 2, 3, 5),
    (3, 5, 6, 8),
    (5, 6, 7, 8),
    (4, 6, 7, 9),
    (7, 9, 10, 10),
)


def write_synthetic_reference(
    directory: Path,
    *,
    seed: int = DEFAULT_SEED,
    icbs: int = 4,
    sub_icbs_per_icb: int = 2,
    lsoas_per_sub_icb: int = 25,
) -> tuple[DatasetDescriptor, ...]:
    """Write the synthetic files into ``directory`` and return their (SYNTHETIC) descriptors."""
    rng, lsoas = write_synthetic_lsoa_files(
        directory,
        seed=seed,
        icbs=icbs,
        sub_icbs_per_icb=sub_icbs_per_icb,
        lsoas_per_sub_icb=lsoas_per_sub_icb,
    )
    assert HOUSING.file_name is not None and DIGITAL_EXCLUSION.file_name is not None
    write_csv(directory / HOUSING.file_name, HOUSING_LAYOUT.headers, _housing_rows(rng, lsoas))
    write_csv(
        directory / DIGITAL_EXCLUSION.file_name,
        DIGITAL_EXCLUSION_LAYOUT.headers,
        _digital_rows(rng, lsoas),
    )
    write_marker(directory, seed)
    return tuple(synthetic_descriptor(d, seed=seed) for d in REFERENCE_FILES)


def ensure_reference_data(data_dir: Path, fallback_dir: Path, *, seed: int = DEFAULT_SEED) -> Path:
    """``data_dir`` if it holds the reference files, else a synthetic set in ``fallback_dir``."""
    names = [d.file_name for d in REFERENCE_FILES if d.file_name]
    return ensure_files(
        data_dir, fallback_dir, names, lambda d: write_synthetic_reference(d, seed=seed)
    )


def _ranks(values: Sequence[float]) -> list[int]:
    """A national-looking rank (1 = most deprived of 32,844) from position among the values."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for position, i in enumerate(order):
        ranks[i] = math.ceil((position + 0.5) / len(values) * LSOA11_COUNT)
    return ranks


def _housing_rows(rng: random.Random, lsoas: Sequence[SyntheticLsoa]) -> list[list[object]]:
    indoors = [0.6 * a.deprivation + (0.4 if a.rural else 0.0) + rng.gauss(0, 0.8) for a in lsoas]
    wider = [0.5 * a.deprivation + rng.gauss(0, 0.9) for a in lsoas]
    geographic = [(1.5 if a.rural else -0.5) + rng.gauss(0, 0.7) for a in lsoas]
    barriers = [w + g for w, g in zip(wider, geographic, strict=True)]
    living = [i + rng.gauss(0, 0.5) for i in indoors]
    rows = []
    columns = zip(
        lsoas,
        deciles(barriers),
        _ranks(barriers),
        deciles(wider),
        _ranks(wider),
        deciles(geographic),
        deciles(living),
        _ranks(living),
        deciles(indoors),
        _ranks(indoors),
        strict=True,
    )
    for a, *deciles_and_ranks in columns:
        d = a.deprivation
        rows.append(
            [
                a.code,
                *deciles_and_ranks,
                f"{clip(0.07 + 0.04 * d + rng.gauss(0, 0.02), 0.007, 0.6):.3f}",
                f"{clip(0.025 + 0.01 * d + rng.gauss(0, 0.01), 0.002, 0.3):.3f}",
                f"{clip(0.18 + 0.05 * d + rng.gauss(0, 0.04), 0.02, 0.75):.3f}",
                f"{clip(1.5 + 0.8 * d + rng.gauss(0, 0.5), 0.0, 11.0):.3f}",
                f"{rng.gauss(0.3 * d, 1.2):.3f}",
                f"{clip((3.5 if a.rural else 0.9) + rng.gauss(0, 0.6), 0.1, 15.0):.3f}",
            ]
        )
    return rows


def _digital_rows(rng: random.Random, lsoas: Sequence[SyntheticLsoa]) -> list[list[object]]:
    deprivation_deciles = deciles([a.deprivation for a in lsoas])
    rows = []
    for a, decile in zip(lsoas, deprivation_deciles, strict=True):
        broadband = clip((4.5 if a.rural else 2.5) + rng.gauss(0, 0.8), 0.6, 8.8)
        demography = clip(2.8 + (0.8 if a.rural else 0.0) + rng.gauss(0, 0.7), 0.2, 7.1)
        deprivation = clip(2.7 + 1.3 * a.deprivation + rng.gauss(0, 0.4), 0.2, 7.9)
        score = (broadband + demography + deprivation) / 3
        group = rng.choice(_IUC_BY_DEPRIVATION[(10 - decile) // 2])
        rows.append(
            [
                a.code,
                f"{broadband:.4f}",
                f"{demography:.4f}",
                f"{deprivation:.4f}",
                f"{score:.4f}",
                group,
                IUC2018_GROUPS[group],
            ]
        )
    return rows
