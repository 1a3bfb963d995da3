"""A small, deterministic, clearly SYNTHETIC reference dataset for the quick start and tests.

It writes the four reference files in exactly the real layouts, so the real loaders read
it, plus a marker file that makes ``load_reference`` label every dataset SYNTHETIC. Codes
are well-formed but sit in ranges no real area uses (E019…, E549…, E389…, E069…), so a
synthetic LSOA can never be mistaken for, or joined to, a real one.

The numbers are plausible, not realistic: each ICB has a deprivation level, LSOAs scatter
around it, and housing, digital exclusion and IUC group follow deprivation with noise.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .reference.catalogue import REFERENCE_FILES, is_synthetic_dir
from .reference.descriptors import (
    DIGITAL_EXCLUSION,
    HOUSING,
    IMD2019,
    LSOA11_TO_ICB,
    SYNTHETIC_MARKER,
    DatasetDescriptor,
    synthetic_descriptor,
)
from .reference.digital import DIGITAL_EXCLUSION_LAYOUT, IUC2018_GROUPS
from .reference.housing import HOUSING_LAYOUT, LSOA11_COUNT
from .reference.icb import LSOA11_TO_ICB_LAYOUT
from .reference.imd import IMD2019_LAYOUT

__all__ = ["DEFAULT_SEED", "ensure_reference_data", "write_synthetic_reference"]

DEFAULT_SEED = 20_240_701

# (name, deprivation level: positive = more deprived, rural: further from services)
_ICBS: tuple[tuple[str, float, bool], ...] = (
    ("Northbridge", 1.1, False),
    ("Eastmere", -0.9, False),
    ("Westvale", 0.1, True),
    ("Southcombe", 0.5, True),
)
# IUC groups an LSOA is likely to fall in, least to most deprived.
_IUC_BY_DEPRIVATION: tuple[tuple[int, ...], ...] = (
    (1, 2, 3, 5),
    (3, 5, 6, 8),
    (5, 6, 7, 8),
    (4, 6, 7, 9),
    (7, 9, 10, 10),
)


@dataclass(frozen=True, slots=True)
class _Lsoa:
    code: str
    icb: int
    sub_icb: int
    deprivation: float
    rural: bool


def write_synthetic_reference(
    directory: Path,
    *,
    seed: int = DEFAULT_SEED,
    icbs: int = 4,
    sub_icbs_per_icb: int = 2,
    lsoas_per_sub_icb: int = 25,
) -> tuple[DatasetDescriptor, ...]:
    """Write the synthetic files into ``directory`` and return their (SYNTHETIC) descriptors."""
    if not 1 <= icbs <= len(_ICBS):
        raise ValueError(f"icbs must be 1–{len(_ICBS)}")
    if sub_icbs_per_icb < 1 or lsoas_per_sub_icb < 1:
        raise ValueError("each ICB needs at least one sub-ICB and each sub-ICB one LSOA")
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not security
    lsoas = _areas(rng, icbs, sub_icbs_per_icb, lsoas_per_sub_icb)
    directory.mkdir(parents=True, exist_ok=True)

    _write(directory, IMD2019, IMD2019_LAYOUT.headers, _imd_rows(rng, lsoas))
    _write(
        directory, LSOA11_TO_ICB, LSOA11_TO_ICB_LAYOUT.headers, _icb_rows(lsoas, sub_icbs_per_icb)
    )
    _write(directory, HOUSING, HOUSING_LAYOUT.headers, _housing_rows(rng, lsoas))
    _write(
        directory, DIGITAL_EXCLUSION, DIGITAL_EXCLUSION_LAYOUT.headers, _digital_rows(rng, lsoas)
    )
    (directory / SYNTHETIC_MARKER).write_text(
        f"seed={seed}\n"
        "This directory holds SYNTHETIC reference data made up by vward"
        " (services/equity_audit/domain/synthetic.py).\n"
        "It describes no real area. Do not use it for decisions.\n",
        encoding="utf-8",
    )
    return tuple(synthetic_descriptor(d, seed=seed) for d in REFERENCE_FILES)


def ensure_reference_data(data_dir: Path, fallback_dir: Path, *, seed: int = DEFAULT_SEED) -> Path:
    """``data_dir`` if it holds the reference files, else a synthetic set in ``fallback_dir``."""
    names = [d.file_name for d in REFERENCE_FILES if d.file_name]
    if all((data_dir / name).is_file() for name in names):
        return data_dir
    if not (is_synthetic_dir(fallback_dir) and all((fallback_dir / n).is_file() for n in names)):
        write_synthetic_reference(fallback_dir, seed=seed)
    return fallback_dir


def _areas(rng: random.Random, icbs: int, subs: int, per_sub: int) -> list[_Lsoa]:
    lsoas = []
    for icb in range(icbs):
        _, level, rural = _ICBS[icb]
        for sub in range(subs):
            sub_level = level + rng.gauss(0, 0.3)
            for _ in range(per_sub):
                code = f"E019{len(lsoas) + 1:05d}"
                lsoas.append(
                    _Lsoa(code, icb, icb * subs + sub, sub_level + rng.gauss(0, 0.8), rural)
                )
    return lsoas


def _deciles(values: Sequence[float]) -> list[int]:
    """Decile of each value among all of them, 1 = highest (most deprived)."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    deciles = [0] * len(values)
    for position, i in enumerate(order):
        deciles[i] = 10 * position // len(values) + 1
    return deciles


def _ranks(values: Sequence[float]) -> list[int]:
    """A national-looking rank (1 = most deprived of 32,844) from position among the values."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for position, i in enumerate(order):
        ranks[i] = math.ceil((position + 0.5) / len(values) * LSOA11_COUNT)
    return ranks


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _imd_rows(rng: random.Random, lsoas: Sequence[_Lsoa]) -> list[list[object]]:
    scores = [_clip(21.7 + 12.0 * a.deprivation + rng.gauss(0, 3), 0.6, 90.0) for a in lsoas]
    deciles = _deciles(scores)
    return [
        [a.code, f"{score:.3f}", decile, round(_clip(rng.gauss(1650, 260), 700, 3500))]
        for a, score, decile in zip(lsoas, scores, deciles, strict=True)
    ]


def _icb_rows(lsoas: Sequence[_Lsoa], subs: int) -> list[list[object]]:
    rows = []
    for a in lsoas:
        name, _, _ = _ICBS[a.icb]
        letter = "ABCD"[a.icb]
        rows.append(
            [
                a.code,
                f"E389{a.sub_icb + 1:05d}",
                f"Z{a.icb}{a.sub_icb % subs}",
                f"E549{a.icb + 1:05d}",
                f"QZ{letter}",
                f"SYNTHETIC NHS {name} Integrated Care Board",
                f"E069{a.sub_icb + 1:05d}",
            ]
        )
    return rows


def _housing_rows(rng: random.Random, lsoas: Sequence[_Lsoa]) -> list[list[object]]:
    indoors = [0.6 * a.deprivation + (0.4 if a.rural else 0.0) + rng.gauss(0, 0.8) for a in lsoas]
    wider = [0.5 * a.deprivation + rng.gauss(0, 0.9) for a in lsoas]
    geographic = [(1.5 if a.rural else -0.5) + rng.gauss(0, 0.7) for a in lsoas]
    barriers = [w + g for w, g in zip(wider, geographic, strict=True)]
    living = [i + rng.gauss(0, 0.5) for i in indoors]
    rows = []
    columns = zip(
        lsoas,
        _deciles(barriers),
        _ranks(barriers),
        _deciles(wider),
        _ranks(wider),
        _deciles(geographic),
        _deciles(living),
        _ranks(living),
        _deciles(indoors),
        _ranks(indoors),
        strict=True,
    )
    for a, *deciles_and_ranks in columns:
        d = a.deprivation
        rows.append(
            [
                a.code,
                *deciles_and_ranks,
                f"{_clip(0.07 + 0.04 * d + rng.gauss(0, 0.02), 0.007, 0.6):.3f}",
                f"{_clip(0.025 + 0.01 * d + rng.gauss(0, 0.01), 0.002, 0.3):.3f}",
                f"{_clip(0.18 + 0.05 * d + rng.gauss(0, 0.04), 0.02, 0.75):.3f}",
                f"{_clip(1.5 + 0.8 * d + rng.gauss(0, 0.5), 0.0, 11.0):.3f}",
                f"{rng.gauss(0.3 * d, 1.2):.3f}",
                f"{_clip((3.5 if a.rural else 0.9) + rng.gauss(0, 0.6), 0.1, 15.0):.3f}",
            ]
        )
    return rows


def _digital_rows(rng: random.Random, lsoas: Sequence[_Lsoa]) -> list[list[object]]:
    deprivation_deciles = _deciles([a.deprivation for a in lsoas])
    rows = []
    for a, decile in zip(lsoas, deprivation_deciles, strict=True):
        broadband = _clip((4.5 if a.rural else 2.5) + rng.gauss(0, 0.8), 0.6, 8.8)
        demography = _clip(2.8 + (0.8 if a.rural else 0.0) + rng.gauss(0, 0.7), 0.2, 7.1)
        deprivation = _clip(2.7 + 1.3 * a.deprivation + rng.gauss(0, 0.4), 0.2, 7.9)
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


def _write(
    directory: Path, descriptor: DatasetDescriptor, header: Sequence[str], rows: list[list[object]]
) -> None:
    assert descriptor.file_name is not None
    with (directory / descriptor.file_name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
