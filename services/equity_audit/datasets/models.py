"""Reference data tables: the dataset register and one row per LSOA 2011 per dataset kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Index, Integer, SmallInteger, Text
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.equity_audit.db import Base


class Dataset(Base):
    """One imported reference file: provenance, checksum, import report; one active per kind."""

    __tablename__ = "datasets"
    __table_args__ = (
        Index(
            "uq_datasets_active_kind",
            "kind",
            unique=True,
            postgresql_where=sql("active"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    vintage: Mapped[str] = mapped_column(Text)
    geography: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text)
    licence: Mapped[str] = mapped_column(Text)
    attribution: Mapped[str] = mapped_column(Text)
    synthetic: Mapped[bool] = mapped_column(Boolean)
    layout: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean)
    loaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )


class Lsoa(Base):
    """IMD 2019 score, decile, quintile, Core20 flag and population of one LSOA 2011."""

    __tablename__ = "lsoas"

    lsoa11cd: Mapped[str] = mapped_column(Text, primary_key=True)
    imd_score: Mapped[float] = mapped_column(Float)
    imd_decile: Mapped[int] = mapped_column(SmallInteger)
    imd_quintile: Mapped[int] = mapped_column(SmallInteger)
    core20: Mapped[bool] = mapped_column(Boolean)
    population: Mapped[int] = mapped_column(Integer)
    dataset_id: Mapped[int] = mapped_column(BigInteger)


class LsoaGeography(Base):
    """LSOA 2011 -> sub-ICB location -> ICB (and local authority)."""

    __tablename__ = "lsoa_geography"

    lsoa11cd: Mapped[str] = mapped_column(Text, primary_key=True)
    sicbl_code: Mapped[str] = mapped_column(Text, index=True)
    sicbl_ods_code: Mapped[str] = mapped_column(Text)
    icb_code: Mapped[str] = mapped_column(Text, index=True)
    icb_ods_code: Mapped[str] = mapped_column(Text, index=True)
    icb_name: Mapped[str] = mapped_column(Text)
    lad22cd: Mapped[str] = mapped_column(Text)
    dataset_id: Mapped[int] = mapped_column(BigInteger)


class Housing(Base):
    """IoD2019 housing deciles (1 = most deprived), the derived housing quintile, indicators."""

    __tablename__ = "housing"

    lsoa11cd: Mapped[str] = mapped_column(Text, primary_key=True)
    indoors_decile: Mapped[int] = mapped_column(SmallInteger)
    barriers_decile: Mapped[int] = mapped_column(SmallInteger)
    living_environment_decile: Mapped[int] = mapped_column(SmallInteger)
    housing_quintile: Mapped[int] = mapped_column(SmallInteger)
    overcrowding_prop: Mapped[float] = mapped_column(Float)
    no_central_heating_prop: Mapped[float] = mapped_column(Float)
    poor_condition_prop: Mapped[float] = mapped_column(Float)
    homelessness_per_1000_households: Mapped[float] = mapped_column(Float)
    affordability_indicator: Mapped[float] = mapped_column(Float)
    road_distance_gp_km: Mapped[float] = mapped_column(Float)
    dataset_id: Mapped[int] = mapped_column(BigInteger)


class DigitalExclusion(Base):
    """DERI v1.6 score and components, its national quintile (1 = highest risk), IUC group."""

    __tablename__ = "digital_exclusion"

    lsoa11cd: Mapped[str] = mapped_column(Text, primary_key=True)
    deri_score: Mapped[float] = mapped_column(Float)
    deri_broadband: Mapped[float] = mapped_column(Float)
    deri_demography: Mapped[float] = mapped_column(Float)
    deri_deprivation: Mapped[float] = mapped_column(Float)
    digital_exclusion_quintile: Mapped[int] = mapped_column(SmallInteger)
    iuc_group_code: Mapped[int] = mapped_column(SmallInteger)
    iuc_group_label: Mapped[str] = mapped_column(Text)
    dataset_id: Mapped[int] = mapped_column(BigInteger)
