"""ICBs, sub-ICB locations, LSOAs and population denominators."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class Icb(Base):
    """An integrated care board: ONS code (E54…) and ODS code (Q…)."""

    __tablename__ = "icb"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    ods_code: Mapped[str] = mapped_column(String(5), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    region_code: Mapped[str | None] = mapped_column(String(5))


class SubIcb(Base):
    """A sub-ICB location (former CCG footprint)."""

    __tablename__ = "sub_icb"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    ods_code: Mapped[str] = mapped_column(String(5))
    icb_code: Mapped[str] = mapped_column(ForeignKey("icb.code"), index=True)


class Lsoa(Base):
    """An LSOA (2011) with its sub-ICB location, ICB, IMD 2019 decile and mid-2019 population."""

    __tablename__ = "lsoa"

    lsoa11cd: Mapped[str] = mapped_column(String(9), primary_key=True)
    sicbl_code: Mapped[str] = mapped_column(ForeignKey("sub_icb.code"))
    icb_code: Mapped[str] = mapped_column(ForeignKey("icb.code"), index=True)
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)


class PopulationDenominator(Base):
    """A population for an area (ICB, sub-ICB or England) on a named basis at a date."""

    __tablename__ = "population_denominator"
    __table_args__ = (
        UniqueConstraint("area_code", "basis", "effective"),
        CheckConstraint("population > 0", name="population_positive"),
        CheckConstraint(
            "basis IN ('gp_registered_16_plus', 'gp_registered_all_ages', 'ons_mid_year')",
            name="basis_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_code: Mapped[str] = mapped_column(String(9), index=True)
    area_kind: Mapped[str] = mapped_column(String(10))  # icb | sub_icb | england
    basis: Mapped[str] = mapped_column(String(30))
    effective: Mapped[date] = mapped_column(Date)
    population: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(200))
