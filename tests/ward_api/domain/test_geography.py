from decimal import Decimal

import pytest

from services.ward_api.domain.capacity import PopulationBasis
from services.ward_api.domain.geography import Geography, build_geography
from services.ward_api.domain.sitrep import SitrepRow
from shared.reference import IMD_COLUMNS, LOOKUP_COLUMNS, parse_imd, parse_lsoa_lookup

LOOKUP = [
    ",".join(LOOKUP_COLUMNS),
    "E01000001,E38000001,01A,E54000001,QAA,NHS Alpha ICB,E06000001",
    "E01000002,E38000001,01A,E54000001,QAA,NHS Alpha ICB,E06000001",
    "E01000003,E38000002,02B,E54000001,QAA,NHS Alpha ICB,E06000002",
    "E01000004,E38000003,03C,E54000002,QBB,NHS Beta ICB,E06000003",
]
IMD = [
    ",".join(IMD_COLUMNS),
    "E01000001,45.1,1,1500",
    "E01000002,30.2,3,1600",
    "E01000003,20.0,2,1700",
    "E01000004,5.5,10,1800",
]


def _build(lookup: list[str] = LOOKUP, imd: list[str] = IMD) -> Geography:
    links, link_errors = parse_lsoa_lookup(lookup)
    deprivation, imd_errors = parse_imd(imd)
    assert link_errors == imd_errors == ()
    return build_geography(links, deprivation)


def test_populations_sum_by_hand() -> None:
    geography = _build()
    alpha = geography.icbs["E54000001"]
    assert alpha.population == 1500 + 1600 + 1700
    assert alpha.core20_population == 1500 + 1700  # deciles 1 and 2
    assert alpha.core20_share == Decimal(3200) / Decimal(4800)
    assert alpha.sub_icb_codes == ("E38000001", "E38000002")
    assert geography.sub_icbs["E38000001"].population == 3100
    assert geography.icb_by_ods("QBB").population == 1800
    assert geography.population == 6600


def test_bad_rows_are_reported_by_line() -> None:
    _, errors = parse_lsoa_lookup([*LOOKUP, "W01000005,E38000003,03C,E54000002,QBB,Beta,E06000003"])
    assert [(e.line, e.column) for e in errors] == [(6, "lsoa11cd")]
    _, errors = parse_imd([*IMD[:2], "E01000002,30.2,11,0"])
    assert {(e.line, e.column) for e in errors} == {
        (3, "imd2019_decile"),
        (3, "population_mid2019"),
    }


def test_files_must_cover_the_same_lsoas() -> None:
    with pytest.raises(ValueError, match="LSOA sets differ"):
        _build(imd=IMD[:-1])


def test_a_sub_icb_location_must_lie_in_one_icb() -> None:
    bad = [*LOOKUP[:-1], "E01000004,E38000002,02B,E54000002,QBB,NHS Beta ICB,E06000003"]
    with pytest.raises(ValueError, match="two ICBs"):
        _build(lookup=bad)


# The real files.


def test_real_geography_counts(geography: Geography) -> None:
    assert len(geography.icbs) == 42
    assert len(geography.sub_icbs) == 106
    assert sum(icb.lsoa_count for icb in geography.icbs.values()) == 32_844
    assert geography.population == 56_286_961


def test_real_icb_denominators_are_ons_mid_2019(geography: Geography) -> None:
    for icb in geography.icbs.values():
        denominator = icb.denominator
        assert denominator.basis is PopulationBasis.ONS_MID_YEAR
        assert denominator.vintage == 2019
        subs = [geography.sub_icbs[code] for code in icb.sub_icb_codes]
        assert sum(s.population for s in subs) == icb.population


def test_core20_is_a_fifth_of_lsoas(geography: Geography) -> None:
    core20 = sum(icb.core20_population for icb in geography.icbs.values())
    assert Decimal("0.18") < Decimal(core20) / geography.population < Decimal("0.22")


def test_gp_registered_to_ons_ratio_matches_sources_note(
    geography: Geography, sitrep_rows: tuple[SitrepRow, ...]
) -> None:
    # SOURCES.md: GP-registered (all ages) is 1.05–1.37 times the ONS mid-2019 sum per ICB.
    ratios = [
        Decimal(r.population) / geography.icbs[r.icb_code].population
        for r in sitrep_rows
        if r.period == "2024-04" and not r.is_england
    ]
    assert len(ratios) == 42
    assert Decimal("1.05") <= min(ratios) and max(ratios) < Decimal("1.37") + Decimal("0.005")
