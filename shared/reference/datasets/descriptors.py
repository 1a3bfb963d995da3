"""Provenance of every reference dataset: what it is, where it came from, how to credit it.

The attribution texts are the ones /work/shared/data/SOURCES.md requires; they must be shown
wherever a figure built from the dataset is published.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from shared.reference import IMD_FILE, LSOA_ICB_FILE
from shared.reference.synthetic import SYNTHETIC_MARKER

__all__ = [
    "CENSUS2021_TS046",
    "CENSUS2021_TS052",
    "DIGITAL_EXCLUSION",
    "HOUSING",
    "IMD2019",
    "IOD2019_FILE1",
    "IOD2019_FILE7",
    "IOD2025_FILE1",
    "IOD2025_FILE7",
    "LSOA11_TO_ICB",
    "LSOA11_TO_LSOA21",
    "OGL",
    "SYNTHETIC_MARKER",
    "DatasetDescriptor",
    "Geography",
    "synthetic_descriptor",
]

OGL = "Open Government Licence v3.0"
_OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
_ONS_ATTRIBUTION = (
    f"{_OGL_ATTRIBUTION} Source: Office for National Statistics licensed under the Open"
    " Government Licence v3.0. Contains National Statistics data © Crown copyright and"
    " database right."
)


class Geography(enum.StrEnum):
    """The LSOA boundary vintage a dataset is published on."""

    LSOA11 = "lsoa11"
    LSOA21 = "lsoa21"


@dataclass(frozen=True, slots=True)
class DatasetDescriptor:
    """Name, vintage, geography, source, publisher, licence and attribution of a dataset."""

    name: str
    vintage: str
    geography: Geography
    source: str
    publisher: str
    licence: str
    attribution: str
    file_name: str | None = None
    synthetic: bool = False


IMD2019 = DatasetDescriptor(
    name="English Indices of Deprivation 2019: IMD score and decile, mid-2019 population",
    vintage="IoD2019; ONS mid-2019 LSOA population estimates",
    geography=Geography.LSOA11,
    source=(
        "mysociety/composite_uk_imd af4866b06fe603b65beced39ec120b5217b1b754"
        " (data/packages/uk_index/UK_IMD_E.csv; data/analysis/population/2019_population.csv)"
    ),
    publisher="MHCLG (English Indices of Deprivation 2019); ONS (mid-2019 LSOA estimates)",
    licence=f"{OGL} (mySociety repackaging CC-BY-4.0)",
    attribution=f"{_ONS_ATTRIBUTION} Repackaged by mySociety (CC-BY-4.0).",
    file_name=IMD_FILE,
)

LSOA11_TO_ICB = DatasetDescriptor(
    name="LSOA (2011) to Sub ICB Locations to Integrated Care Boards (July 2022) Lookup",
    vintage="July 2022",
    geography=Geography.LSOA11,
    source=(
        "humaniverse/geographr c026be5cc76cb576358082b53f1f13d69ab577ae"
        " (data/lookup_lsoa11_sicbl22_icb22_ltla22.rda)"
    ),
    publisher="ONS Open Geography Portal",
    licence=OGL,
    attribution=_ONS_ATTRIBUTION,
    file_name=LSOA_ICB_FILE,
)

HOUSING = DatasetDescriptor(
    name="IoD2019 housing domains, sub-domains and indicators",
    vintage="IoD2019 (Census 2011 indicators)",
    geography=Geography.LSOA11,
    source=(
        "humaniverse/IMD 2f6c9050afee99a40041eb63b02b6b0c58850704 (IoD2019 File 7, File 4"
        " and File 8 via imd2019_england_lsoa11*.rda)"
    ),
    publisher="MHCLG (English Indices of Deprivation 2019); ONS (Census 2011 parts)",
    licence=OGL,
    attribution=_ONS_ATTRIBUTION,
    file_name="housing_lsoa.csv",
)

DIGITAL_EXCLUSION = DatasetDescriptor(
    name="Digital Exclusion Risk Index v1.6 and Internet User Classification 2018",
    vintage="DERI v1.6 (nation-level scaling); IUC 2018",
    geography=Geography.LSOA11,
    source=(
        "humaniverse/DEPAHRI 87459858693a051761b2a64de31a5d7c70d0dc5b"
        " (data/england_lsoa_depahri.rda, DERI columns);"
        " alexsingleton/IUC_IMD 17d1db2924d0e9e8409f04b0b338e25bcfb7b621 (data/iuc2018.csv)"
    ),
    publisher=(
        "Greater Manchester Combined Authority / Greater Manchester Office of Data Analytics"
        " (DERI); ESRC Consumer Data Research Centre (IUC 2018)"
    ),
    licence=f"{OGL} (IUC: OGL as listed by CDRC; check before redistributing)",
    attribution=(
        f"{_OGL_ATTRIBUTION} Data provided by the ESRC Consumer Data Research Centre;"
        " Contains National Statistics data Crown copyright and database right 2018;"
        " Contains OS data Crown copyright and database right 2018."
    ),
    file_name="digital_exclusion_lsoa.csv",
)

_MHCLG_IOD = "https://www.gov.uk/government/statistics/english-indices-of-deprivation"

IOD2025_FILE1 = DatasetDescriptor(
    name="English Indices of Deprivation 2025, File 1: Index of Multiple Deprivation",
    vintage="IoD2025",
    geography=Geography.LSOA21,
    source=f"{_MHCLG_IOD}-2025 (File 1, IMD25 sheet saved as CSV)",
    publisher="MHCLG",
    licence=OGL,
    attribution=_OGL_ATTRIBUTION,
)

IOD2025_FILE7 = DatasetDescriptor(
    name="English Indices of Deprivation 2025, File 7: all ranks, scores, deciles, populations",
    vintage="IoD2025; population mid-2022",
    geography=Geography.LSOA21,
    source=f"{_MHCLG_IOD}-2025 (File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators)",
    publisher="MHCLG",
    licence=OGL,
    attribution=_OGL_ATTRIBUTION,
)

IOD2019_FILE1 = replace(
    IOD2025_FILE1,
    name="English Indices of Deprivation 2019, File 1: Index of Multiple Deprivation",
    vintage="IoD2019",
    geography=Geography.LSOA11,
    source=f"{_MHCLG_IOD}-2019 (File 1 saved as CSV)",
)

IOD2019_FILE7 = replace(
    IOD2025_FILE7,
    name="English Indices of Deprivation 2019, File 7: all ranks, scores, deciles, populations",
    vintage="IoD2019; population mid-2015",
    geography=Geography.LSOA11,
    source=f"{_MHCLG_IOD}-2019 (File 7 CSV)",
)

_NOMIS_BULK = "https://www.nomisweb.co.uk/sources/census_2021_bulk"

CENSUS2021_TS052 = DatasetDescriptor(
    name="Census 2021 TS052: Occupancy rating for bedrooms",
    vintage="Census 2021 (21 March 2021)",
    geography=Geography.LSOA21,
    source=f"{_NOMIS_BULK} (census2021-ts052-lsoa.csv)",
    publisher="ONS",
    licence=OGL,
    attribution=_ONS_ATTRIBUTION,
)

CENSUS2021_TS046 = DatasetDescriptor(
    name="Census 2021 TS046: Central heating",
    vintage="Census 2021 (21 March 2021)",
    geography=Geography.LSOA21,
    source=f"{_NOMIS_BULK} (census2021-ts046-lsoa.csv)",
    publisher="ONS",
    licence=OGL,
    attribution=_ONS_ATTRIBUTION,
)

LSOA11_TO_LSOA21 = DatasetDescriptor(
    name="LSOA (2011) to LSOA (2021) to Local Authority District (2022) Lookup for E&W",
    vintage="December 2022",
    geography=Geography.LSOA21,
    source="ONS Open Geography Portal (LSOA11_LSOA21_LAD22 exact fit lookup)",
    publisher="ONS Open Geography Portal",
    licence=OGL,
    attribution=_ONS_ATTRIBUTION,
)


def synthetic_descriptor(real: DatasetDescriptor, *, seed: int) -> DatasetDescriptor:
    """The descriptor of a synthetic stand-in for ``real``: same layout, nothing real in it."""
    return replace(
        real,
        name=f"SYNTHETIC stand-in for: {real.name}",
        vintage=f"SYNTHETIC (seed {seed})",
        source="vward synthetic reference generator (shared/reference/synthetic.py)",
        publisher="vward (SYNTHETIC data, no publisher)",
        licence="SYNTHETIC data; no licence conditions",
        attribution=(
            "SYNTHETIC data made up by vward for demonstration and testing. It describes no"
            " real area and must not be used for decisions."
        ),
        synthetic=True,
    )
