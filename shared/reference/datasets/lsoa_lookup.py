"""Two-way LSOA 2011 <-> LSOA 2021 mapping from the ONS exact-fit lookup (England rows).

ONS layout: ``LSOA11CD, LSOA11NM, LSOA21CD, LSOA21NM, CHGIND, LAD22CD, LAD22NM, LAD22NMW,
ObjectId``; only the codes and CHGIND are needed. CHGIND says how an area changed:
U unchanged (one to one), S split (one 2011 LSOA to several 2021 LSOAs), M merged (several
2011 LSOAs to one 2021 LSOA), X irregular redesign (no like-for-like comparison).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from shared.reference import LAD, LSOA, CellError, is_welsh_lsoa, parse_code

from ._table import Column, Layout, read_table
from .descriptors import LSOA11_TO_LSOA21, DatasetDescriptor
from .report import LoadedDataset

__all__ = [
    "LSOA11_TO_LSOA21_LAYOUT",
    "ChangeIndicator",
    "LsoaChange",
    "LsoaMapping",
    "build_mapping",
    "load_lsoa_lookup",
]


class ChangeIndicator(enum.StrEnum):
    """ONS CHGIND: how a 2011 LSOA relates to its 2021 LSOA(s)."""

    UNCHANGED = "U"
    SPLIT = "S"
    MERGED = "M"
    COMPLEX = "X"


@dataclass(frozen=True, slots=True)
class LsoaChange:
    """One 2011–2021 pair from the lookup."""

    lsoa11cd: str
    lsoa21cd: str
    change: ChangeIndicator
    lad22cd: str | None = None


@dataclass(frozen=True, slots=True)
class LsoaMapping:
    """Lookups in both directions; an area absent from the lookup maps to nothing."""

    forward: Mapping[str, tuple[str, ...]]
    backward: Mapping[str, tuple[str, ...]]
    change: Mapping[tuple[str, str], ChangeIndicator]

    def to_2021(self, lsoa11cd: str) -> tuple[str, ...]:
        """The 2021 LSOA(s) covering a 2011 LSOA."""
        return self.forward.get(lsoa11cd, ())

    def to_2011(self, lsoa21cd: str) -> tuple[str, ...]:
        """The 2011 LSOA(s) covering a 2021 LSOA."""
        return self.backward.get(lsoa21cd, ())

    def comparable(self, lsoa11cd: str) -> bool:
        """Whether the 2011 LSOA has a like-for-like 2021 equivalent (U, S or M, never X)."""
        pairs = self.to_2021(lsoa11cd)
        return bool(pairs) and all(
            self.change[(lsoa11cd, new)] is not ChangeIndicator.COMPLEX for new in pairs
        )


def _lsoa(text: str | None, field: str) -> str:
    code = (text or "").strip()
    if is_welsh_lsoa(code):
        return code
    return parse_code(code, field, LSOA, "an LSOA code (E01/W01 + 6 digits)")


def _parse(values: Sequence[str | None]) -> LsoaChange:
    old, new, change, lad = values
    try:
        indicator = ChangeIndicator((change or "").strip().upper())
    except ValueError:
        raise CellError(f"CHGIND: {change!r} is not one of U, S, M, X") from None
    lad_code = (lad or "").strip()
    return LsoaChange(
        lsoa11cd=_lsoa(old, "LSOA11CD"),
        lsoa21cd=_lsoa(new, "LSOA21CD"),
        change=indicator,
        lad22cd=(
            None
            if not lad_code or lad_code.startswith("W")
            else parse_code(lad_code, "LAD22CD", LAD, "an English local authority code")
        ),
    )


LSOA11_TO_LSOA21_LAYOUT: Layout[LsoaChange] = Layout(
    name="ONS LSOA11 to LSOA21 to LAD22 lookup",
    descriptor=LSOA11_TO_LSOA21,
    columns=(
        Column("lsoa11cd", "LSOA11CD"),
        Column("lsoa21cd", "LSOA21CD"),
        Column("change", "CHGIND"),
        Column("lad22cd", "LAD22CD", required=False),
    ),
    parse=_parse,
)


def load_lsoa_lookup(
    path: Path, *, descriptor: DatasetDescriptor | None = None
) -> LoadedDataset[tuple[str, str], LsoaChange]:
    """Load the English rows of the lookup, keyed by (2011, 2021) pair; warn on odd CHGINDs."""
    loaded = read_table(
        path,
        [LSOA11_TO_LSOA21_LAYOUT],
        key=lambda row: (row.lsoa11cd, row.lsoa21cd),
        area=lambda row: row.lsoa11cd,
        in_scope=lambda row: not (is_welsh_lsoa(row.lsoa11cd) or is_welsh_lsoa(row.lsoa21cd)),
        descriptor=descriptor,
    )
    warnings = _check_change_indicators(loaded.rows.values())
    if not warnings:
        return loaded
    return replace(loaded, report=replace(loaded.report, warnings=tuple(warnings)))


def build_mapping(changes: Mapping[tuple[str, str], LsoaChange]) -> LsoaMapping:
    """Index the lookup both ways."""
    forward: dict[str, list[str]] = defaultdict(list)
    backward: dict[str, list[str]] = defaultdict(list)
    for old, new in changes:
        forward[old].append(new)
        backward[new].append(old)
    return LsoaMapping(
        forward=MappingProxyType({k: tuple(sorted(v)) for k, v in forward.items()}),
        backward=MappingProxyType({k: tuple(sorted(v)) for k, v in backward.items()}),
        change=MappingProxyType({pair: row.change for pair, row in changes.items()}),
    )


def _check_change_indicators(rows: Iterable[LsoaChange]) -> list[str]:
    """U must be one to one, S one to many, M many to one; X may be anything."""
    pairs = list(rows)
    old_count: dict[str, int] = defaultdict(int)
    new_count: dict[str, int] = defaultdict(int)
    for row in pairs:
        old_count[row.lsoa11cd] += 1
        new_count[row.lsoa21cd] += 1
    warnings = []
    for row in pairs:
        fans_out, fans_in = old_count[row.lsoa11cd] > 1, new_count[row.lsoa21cd] > 1
        expected = {
            ChangeIndicator.UNCHANGED: not fans_out and not fans_in,
            ChangeIndicator.SPLIT: fans_out,
            ChangeIndicator.MERGED: fans_in,
            ChangeIndicator.COMPLEX: True,
        }[row.change]
        if not expected:
            warnings.append(
                f"{row.lsoa11cd} -> {row.lsoa21cd} is marked {row.change.value} but maps"
                f" {old_count[row.lsoa11cd]} to {new_count[row.lsoa21cd]}"
            )
    return warnings
