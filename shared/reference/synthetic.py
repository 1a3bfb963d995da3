"""A small, deterministic, clearly SYNTHETIC England for the quick start, demos and tests.

One generator for every service: it writes the two LSOA files in exactly the real layouts,
so the real readers read them, and each service's own generator part (equity_audit adds
housing and digital exclusion) continues from the same random stream. A marker file makes
every loader label the data SYNTHETIC. Codes are well-formed but sit in ranges no real area
uses (E019…, E549…, E389…, E069…), so a synthetic LSOA can never be joined to a real one.

The numbers are plausible, not realistic: each ICB has a deprivation level and its LSOAs
scatter around it.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .lsoa import IMD_COLUMNS, IMD_FILE, LOOKUP_COLUMNS, LSOA_ICB_FILE

__all__ = [
    "DEFAULT_SEED",
    "SYNTHETIC_MARKER",
    "SyntheticLsoa",
    "clip",
    "deciles",
    "ensure_files",
    "is_synthetic_dir",
    "synthetic_lsoas",
    "synthetic_seed",
    "write_csv",
    "write_marker",
    "write_synthetic_lsoa_files",
]

DEFAULT_SEED = 20_240_701
SYNTHETIC_MARKER = "SYNTHETIC_REFERENCE_DATA.txt"

# (name, deprivation level: positive = more deprived, rural: further from services)
_ICBS: tuple[tuple[str, float, bool], ...] = (
    ("Northbridge", 1.1, False),
    ("Eastmere", -0.9, False),
    ("Westvale", 0.1, True),
    ("Southcombe", 0.5, True),
)


@dataclass(frozen=True, slots=True)
class SyntheticLsoa:
    """A made-up LSOA: its code, ICB and sub-ICB index, deprivation level and rurality."""

    code: str
    icb: int
    sub_icb: int
    deprivation: float
    rural: bool


def synthetic_lsoas(
    rng: random.Random, *, icbs: int, sub_icbs_per_icb: int, lsoas_per_sub_icb: int
) -> list[SyntheticLsoa]:
    """The made-up areas; ValueError for a size the generator cannot make."""
    if not 1 <= icbs <= len(_ICBS):
        raise ValueError(f"icbs must be 1–{len(_ICBS)}")
    if not 1 <= sub_icbs_per_icb <= 10 or lsoas_per_sub_icb < 1:
        raise ValueError("each ICB needs 1–10 sub-ICBs and each sub-ICB at least one LSOA")
    lsoas: list[SyntheticLsoa] = []
    for icb in range(icbs):
        _, level, rural = _ICBS[icb]
        for sub in range(sub_icbs_per_icb):
            sub_level = level + rng.gauss(0, 0.3)
            for _ in range(lsoas_per_sub_icb):
                code = f"E019{len(lsoas) + 1:05d}"
                sub_icb = icb * sub_icbs_per_icb + sub
                lsoas.append(
                    SyntheticLsoa(code, icb, sub_icb, sub_level + rng.gauss(0, 0.8), rural)
                )
    return lsoas


def deciles(values: Sequence[float]) -> list[int]:
    """Decile of each value among all of them, 1 = highest (most deprived)."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    result = [0] * len(values)
    for position, i in enumerate(order):
        result[i] = 10 * position // len(values) + 1
    return result


def clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def write_synthetic_lsoa_files(
    directory: Path,
    *,
    seed: int = DEFAULT_SEED,
    icbs: int = 4,
    sub_icbs_per_icb: int = 2,
    lsoas_per_sub_icb: int = 25,
) -> tuple[random.Random, list[SyntheticLsoa]]:
    """Write the IMD file and the LSOA → ICB lookup; the random stream and areas go on.

    Callers add their own files from the returned stream, then call ``write_marker``.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not security
    lsoas = synthetic_lsoas(
        rng, icbs=icbs, sub_icbs_per_icb=sub_icbs_per_icb, lsoas_per_sub_icb=lsoas_per_sub_icb
    )
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / IMD_FILE, IMD_COLUMNS, _imd_rows(rng, lsoas))
    write_csv(directory / LSOA_ICB_FILE, LOOKUP_COLUMNS, _lookup_rows(lsoas, sub_icbs_per_icb))
    return rng, lsoas


def write_marker(directory: Path, seed: int) -> None:
    """Mark ``directory`` as SYNTHETIC (loaders then label everything read from it)."""
    (directory / SYNTHETIC_MARKER).write_text(
        f"seed={seed}\n"
        "This directory holds SYNTHETIC reference data made up by vward"
        " (shared/reference/synthetic.py).\n"
        "It describes no real area. Do not use it for decisions.\n",
        encoding="utf-8",
    )


def is_synthetic_dir(data_dir: Path) -> bool:
    """Whether the directory was written by the synthetic generator."""
    return (data_dir / SYNTHETIC_MARKER).is_file()


def synthetic_seed(data_dir: Path) -> int | None:
    """The seed recorded in the synthetic marker, or None for real data."""
    marker = data_dir / SYNTHETIC_MARKER
    if not marker.is_file():
        return None
    for line in marker.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "seed" and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value)
    return 0


def ensure_files(
    data_dir: Path, fallback_dir: Path, names: Iterable[str], write: Callable[[Path], object]
) -> Path:
    """``data_dir`` if it holds every file in ``names``, else a synthetic set in ``fallback_dir``.

    ``write(fallback_dir)`` is called only when the fallback is not already a complete
    synthetic set, so services sharing one fallback directory write it once.
    """
    wanted = list(names)
    if all((data_dir / name).is_file() for name in wanted):
        return data_dir
    if not (is_synthetic_dir(fallback_dir) and all((fallback_dir / n).is_file() for n in wanted)):
        write(fallback_dir)
    return fallback_dir


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _imd_rows(rng: random.Random, lsoas: Sequence[SyntheticLsoa]) -> list[list[object]]:
    scores = [clip(21.7 + 12.0 * a.deprivation + rng.gauss(0, 3), 0.6, 90.0) for a in lsoas]
    return [
        [a.code, f"{score:.3f}", decile, round(clip(rng.gauss(1650, 260), 700, 3500))]
        for a, score, decile in zip(lsoas, scores, deciles(scores), strict=True)
    ]


def _lookup_rows(lsoas: Sequence[SyntheticLsoa], subs: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for a in lsoas:
        name, _, _ = _ICBS[a.icb]
        rows.append(
            [
                a.code,
                f"E389{a.sub_icb + 1:05d}",
                f"Z{a.icb}{a.sub_icb % subs}",
                f"E549{a.icb + 1:05d}",
                f"QZ{'ABCD'[a.icb]}",
                f"SYNTHETIC NHS {name} Integrated Care Board",
                f"E069{a.sub_icb + 1:05d}",
            ]
        )
    return rows
