"""Importing reference files: parse and validate with the domain loaders, then bulk-load.

A file replaces the active dataset of its kind only when every row is valid and every known
LSOA is covered; otherwise nothing changes and the report says why. Re-importing a file
whose checksum is already active is a no-op, so `vward up` can run the loader every time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.datasets import repository
from services.equity_audit.datasets.schemas import DatasetList, DatasetOut, ImportResult
from shared.database import driver_connection
from shared.problems import Conflict, Unprocessable
from shared.reference.datasets import (
    DatasetDescriptor,
    Geography,
    ImportReport,
    LoadedDataset,
    Rejection,
    decile_to_quintile,
    housing_quintile,
    is_core20,
    load_digital_exclusion,
    load_housing,
    load_icb_lookup,
    load_imd2019,
    load_iod,
    national_quintiles,
    synthetic_descriptor,
)
from shared.reference.datasets.descriptors import (
    DIGITAL_EXCLUSION,
    HOUSING,
    IMD2019,
    LSOA11_TO_ICB,
)

Kind = Literal["imd", "icb_lookup", "housing", "digital_exclusion"]
KINDS: tuple[Kind, ...] = ("imd", "icb_lookup", "housing", "digital_exclusion")
DESCRIPTORS: dict[str, DatasetDescriptor] = {
    "imd": IMD2019,
    "icb_lookup": LSOA11_TO_ICB,
    "housing": HOUSING,
    "digital_exclusion": DIGITAL_EXCLUSION,
}
REPORT_REJECTIONS = 200  # rejections kept in a report; the count is always complete


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A parsed file: its rows as table records, provenance, checksum and import report."""

    kind: str
    descriptor: DatasetDescriptor
    layout: str | None
    checksum: str
    records: list[tuple[Any, ...]]
    report: ImportReport
    problems: tuple[str, ...] = field(default=())

    @property
    def acceptable(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did: `loaded`, `unchanged` (same checksum active) or `rejected`."""

    kind: str
    status: Literal["loaded", "unchanged", "rejected"]
    dataset_id: int | None
    descriptor: DatasetDescriptor
    checksum: str
    report: ImportReport
    problems: tuple[str, ...]

    def out(self) -> ImportResult:
        return ImportResult.model_validate(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "dataset_id": self.dataset_id,
            "dataset": descriptor_dict(self.descriptor),
            "checksum": self.checksum,
            "problems": list(self.problems),
            "report": report_dict(self.report),
        }


def checksum_of(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def descriptor_dict(descriptor: DatasetDescriptor) -> dict[str, Any]:
    data = dataclasses.asdict(descriptor)
    data["geography"] = str(descriptor.geography)
    return data


def report_dict(report: ImportReport) -> dict[str, Any]:
    """An import report as JSON: the first rejections in full, every count exact."""
    return {
        "dataset": report.dataset,
        "file_name": report.file_name,
        "layout": report.layout,
        "ok": report.ok,
        "accepted": report.accepted,
        "rejected_count": len(report.rejected),
        "rejected": [dataclasses.asdict(r) for r in report.rejected[:REPORT_REJECTIONS]],
        "skipped": report.skipped,
        "missing_count": len(report.missing_areas),
        "missing_areas": list(report.missing_areas[:REPORT_REJECTIONS]),
        "warnings": list(report.warnings),
        "summary": report.summary(),
    }


def parse_file(
    kind: str,
    path: Path,
    *,
    known_lsoas: Collection[str] | None,
    synthetic_seed: int | None = None,
    checksum: str | None = None,
) -> ParsedFile:
    """Parse and validate one reference file (blocking: run it in a thread from async code)."""
    descriptor = DESCRIPTORS[kind]
    if synthetic_seed is not None:
        descriptor = synthetic_descriptor(descriptor, seed=synthetic_seed)
    digest = checksum or checksum_of(path)
    loaded: LoadedDataset[str, Any]
    records: list[tuple[object, ...]]
    if kind == "imd":
        return _parse_imd(path, descriptor, digest)
    if known_lsoas is not None and not known_lsoas:
        report = ImportReport(descriptor.name, path.name, None, 0)
        return ParsedFile(
            kind, descriptor, None, digest, [], report, ("load the imd dataset first",)
        )
    if kind == "icb_lookup":
        loaded = load_icb_lookup(path, known_lsoas=known_lsoas, descriptor=descriptor)
        records = [
            (r.lsoa11cd, r.sicbl_code, r.sicbl_ods_code, r.icb_code, r.icb_ods_code, r.icb_name,
             r.lad22cd)
            for r in loaded.rows.values()
        ]  # fmt: skip
    elif kind == "housing":
        loaded = load_housing(path, known_lsoas=known_lsoas, descriptor=descriptor)
        records = [
            (r.lsoa11cd, r.indoors_decile, r.barriers_decile, r.living_environment_decile,
             housing_quintile(r), r.overcrowding_prop, r.no_central_heating_prop,
             r.poor_condition_prop, r.homelessness_per_1000_households,
             r.affordability_indicator, r.road_distance_gp_km)
            for r in loaded.rows.values()
        ]  # fmt: skip
    elif kind == "digital_exclusion":
        loaded = load_digital_exclusion(path, known_lsoas=known_lsoas, descriptor=descriptor)
        quintile = national_quintiles({c: r.deri_score for c, r in loaded.rows.items()})
        records = [
            (r.lsoa11cd, r.deri_score, r.deri_broadband, r.deri_demography, r.deri_deprivation,
             quintile[r.lsoa11cd], r.iuc_group_code, r.iuc_group_label)
            for r in loaded.rows.values()
        ]  # fmt: skip
    else:  # pragma: no cover - the endpoint and CLI only pass known kinds
        raise ValueError(f"unknown dataset kind {kind!r}")
    report = loaded.report
    if known_lsoas is not None and report.layout is not None:
        missing = tuple(sorted(set(known_lsoas) - loaded.rows.keys()))
        if missing:
            report = report.with_missing(missing)
    return ParsedFile(
        kind, loaded.descriptor, report.layout, digest, records, report, _problems(report)
    )


def _parse_imd(path: Path, descriptor: DatasetDescriptor, digest: str) -> ParsedFile:
    """The vward IMD 2019 file, or MHCLG's own IoD2019 File 7 (LSOA 2011, with population)."""
    loaded = load_imd2019(path, descriptor=descriptor)
    records: list[tuple[object, ...]]
    if loaded.report.layout is not None:
        records = [
            (r.lsoa11cd, r.imd_score, r.imd_decile, decile_to_quintile(r.imd_decile),
             is_core20(r.imd_decile), r.population)
            for r in loaded.rows.values()
        ]  # fmt: skip
        return ParsedFile(
            "imd", loaded.descriptor, loaded.report.layout, digest, records, loaded.report,
            _problems(loaded.report),
        )  # fmt: skip
    iod = load_iod(path)
    report = iod.report
    if report.layout is None:
        return ParsedFile("imd", descriptor, None, digest, [], loaded.report, _problems(report))
    if iod.descriptor.geography is not Geography.LSOA11:
        problem = (
            f"{report.layout} is published on LSOA 2021 boundaries; this audit's areas are"
            " LSOA 2011 (re-basing through the ONS LSOA11-LSOA21 lookup is not supported yet)"
        )
        return ParsedFile("imd", iod.descriptor, report.layout, digest, [], report, (problem,))
    rows = list(iod.rows.values())
    if rows and (rows[0].imd_score is None or rows[0].population is None):
        problem = f"{report.layout} has no IMD score or population: import File 7 instead"
        return ParsedFile("imd", iod.descriptor, report.layout, digest, [], report, (problem,))
    records = [
        (r.lsoa_code, r.imd_score, r.imd_decile, decile_to_quintile(r.imd_decile),
         is_core20(r.imd_decile), r.population)
        for r in rows
    ]  # fmt: skip
    return ParsedFile(
        "imd", iod.descriptor, report.layout, digest, records, report, _problems(report)
    )


def _problems(report: ImportReport) -> tuple[str, ...]:
    problems = []
    if report.layout is None:
        reason = report.rejected[0].reason if report.rejected else "layout not recognised"
        problems.append(reason)
    elif report.rejected:
        problems.append(f"{len(report.rejected)} row(s) rejected: nothing was loaded")
    if report.missing_areas:
        problems.append(
            f"{len(report.missing_areas)} known LSOA(s) have no row: nothing was loaded"
        )
    if report.layout is not None and report.accepted == 0:
        problems.append("the file has no rows")
    return tuple(problems)


async def import_parsed(conn: asyncpg.Connection, parsed: ParsedFile) -> ImportOutcome:
    """Load a parsed file unless it is unacceptable or already active (caller's transaction)."""
    if not parsed.acceptable:
        return _outcome(parsed, "rejected", None)
    active = await repository.active_checksums(conn)
    if active.get(parsed.kind) == parsed.checksum:
        return _outcome(parsed, "unchanged", None)
    register = {
        **descriptor_dict(parsed.descriptor),
        "layout": parsed.layout or "",
        "checksum": parsed.checksum,
        "report": report_dict(parsed.report),
    }
    dataset_id = await repository.replace_dataset(
        conn, kind=parsed.kind, register=register, records=parsed.records
    )
    return _outcome(parsed, "loaded", dataset_id)


async def import_file(
    conn: asyncpg.Connection,
    kind: str,
    path: Path,
    *,
    synthetic_seed: int | None = None,
) -> ImportOutcome:
    """Validate `path` against the LSOAs already loaded and load it (caller's transaction)."""
    known = None if kind == "imd" else await repository.known_lsoas(conn)
    parsed = await asyncio.to_thread(
        parse_file, kind, path, known_lsoas=known, synthetic_seed=synthetic_seed
    )
    return await import_parsed(conn, parsed)


async def list_datasets(session: AsyncSession, *, history: bool) -> DatasetList:
    """The register (active datasets, or every one with `history`), newest first per kind."""
    conn = await driver_connection(session)
    rows = await repository.list_datasets(conn, active_only=not history)
    return DatasetList(
        datasets=[DatasetOut.model_validate(row) for row in rows],
        synthetic=any(r["synthetic"] and r["active"] for r in rows),
    )


async def import_upload(session: AsyncSession, kind: Kind, body: bytes) -> ImportOutcome:
    """Import a posted file: `loaded` or `unchanged`; a file that cannot be loaded is a 422."""
    if not body.strip():
        raise Unprocessable("the request body must be a CSV file", slug="dataset-rejected")
    conn = await driver_connection(session)
    if kind != "imd" and not await repository.known_lsoas(conn):
        raise Conflict(
            "no LSOAs are loaded yet: import the imd dataset first", slug="reference-missing"
        )
    with tempfile.TemporaryDirectory(prefix="vward-import-") as tmp:
        path = Path(tmp) / f"{kind}.csv"
        await asyncio.to_thread(path.write_bytes, body)
        outcome = await import_file(conn, kind, path)
    if outcome.status == "rejected":
        raise Unprocessable(
            "; ".join(outcome.problems),
            slug="dataset-rejected",
            report=report_dict(outcome.report),
        )
    return outcome


def _outcome(parsed: ParsedFile, status: Any, dataset_id: int | None) -> ImportOutcome:
    return ImportOutcome(
        parsed.kind,
        status,
        dataset_id,
        parsed.descriptor,
        parsed.checksum,
        parsed.report,
        parsed.problems,
    )


__all__ = [
    "KINDS",
    "ImportOutcome",
    "Kind",
    "ParsedFile",
    "Rejection",
    "checksum_of",
    "import_file",
    "import_parsed",
    "import_upload",
    "list_datasets",
    "parse_file",
]
