"""Request and response bodies of the methods endpoints (commissioner-supplied aggregates)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ITEMS = 5_000
MAX_REPETITIONS = 1_000_000
# Counts, denominators and populations: a trillion is past any English aggregate (the
# population is ~57 million; person-years over decades stay far below), and keeps every
# estimate and limit well inside the float range.
MAX_COUNT = 1e12
# Indicator values, their limits and standard errors, and the SII multiplier.
MAX_MAGNITUDE = 1e12
MAX_MULTIPLIER = 1e9

Level = Annotated[float, Field(gt=0, lt=1, description="0.95 for 95%.")]
Levels = Annotated[list[Level], Field(min_length=1, max_length=5)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateItem(_Strict):
    count: float = Field(
        ge=0, le=MAX_COUNT, allow_inf_nan=False, description="Events (e.g. admissions)."
    )
    denominator: float = Field(
        gt=0, le=MAX_COUNT, allow_inf_nan=False, description="Population or person-years."
    )


class RatesRequest(_Strict):
    items: list[RateItem] = Field(min_length=1, max_length=MAX_ITEMS)
    multiplier: float = Field(100_000, gt=0, le=MAX_MULTIPLIER, allow_inf_nan=False)
    confidence: Levels = [0.95, 0.998]


class ProportionItem(_Strict):
    numerator: float = Field(ge=0, le=MAX_COUNT, allow_inf_nan=False)
    denominator: float = Field(gt=0, le=MAX_COUNT, allow_inf_nan=False)


class ProportionsRequest(_Strict):
    items: list[ProportionItem] = Field(min_length=1, max_length=MAX_ITEMS)
    multiplier: float = Field(1, gt=0, le=MAX_MULTIPLIER, allow_inf_nan=False)
    confidence: Levels = [0.95, 0.998]


class SiiQuantile(_Strict):
    quantile: int = Field(ge=1, le=100, description="1 = most deprived.")
    population: float = Field(gt=0, le=MAX_COUNT, allow_inf_nan=False)
    value: float = Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE, allow_inf_nan=False)
    lower: float | None = Field(
        None,
        ge=-MAX_MAGNITUDE,
        le=MAX_MAGNITUDE,
        allow_inf_nan=False,
        description="95% lower limit.",
    )
    upper: float | None = Field(
        None,
        ge=-MAX_MAGNITUDE,
        le=MAX_MAGNITUDE,
        allow_inf_nan=False,
        description="95% upper limit.",
    )
    se: float | None = Field(
        None,
        ge=0,
        le=MAX_MAGNITUDE,
        allow_inf_nan=False,
        description="Standard error, on the log (rate) or logit (proportion) scale whatever"
        " `transform`, as phe_sii takes it; used instead of the limits when given.",
    )


class SiiRequest(_Strict):
    quantiles: list[SiiQuantile] = Field(min_length=5, max_length=100)
    value_type: Literal["rate", "proportion", "other"] = Field(
        "other",
        description="Rates are simulated on the log and proportions on the logit scale,"
        " whatever `transform` (as PHEindicatormethods' value_type).",
    )
    transform: bool = Field(
        False,
        description="As phe_sii's transform: fit log(rate) or logit(proportion) and"
        " back-transform, SII = f^-1(a + b) - f^-1(a), RII = f^-1(a + b) / f^-1(a)."
        " Recommended by the package for rates and proportions; refused for 'other'.",
    )
    multiplier: float = Field(
        1,
        ge=-MAX_MULTIPLIER,
        le=MAX_MULTIPLIER,
        allow_inf_nan=False,
        description="Scales the SII; a negative multiplier flips it and inverts the RII.",
    )
    repetitions: int = Field(100_000, ge=1_000, le=MAX_REPETITIONS)
    confidence: Levels = [0.95]


class Limit(BaseModel):
    level: float
    lower: float
    upper: float


class EstimateItem(BaseModel):
    index: int
    estimate: float
    limits: list[Limit]
    method: str


class RateOut(EstimateItem):
    count: float
    denominator: float


class ProportionOut(EstimateItem):
    numerator: float
    denominator: float


class RatesResponse(BaseModel):
    multiplier: float
    confidence: list[float]
    items: list[RateOut]


class ProportionsResponse(BaseModel):
    multiplier: float
    confidence: list[float]
    items: list[ProportionOut]


class SiiResponse(BaseModel):
    sii: float = Field(
        description="fitted(last) - fitted(first) x multiplier: x runs from 0 at quantile 1"
        " (most deprived) to 1 at the last quantile (least deprived)."
    )
    sii_limits: list[Limit]
    rii: float | None = Field(
        description="PHEindicatormethods convention: fitted(1) / fitted(0), i.e. the LEAST"
        " deprived end over the MOST deprived end (below 1: higher values where deprivation is"
        " higher); inverted by a negative multiplier. Null (with no limits and a `rii_reason`)"
        " when the ratio or a simulated limit is not a positive finite number."
    )
    rii_limits: list[Limit]
    rii_most_over_least_deprived: float | None = Field(
        description="fitted(0) / fitted(1): the MOST deprived end over the LEAST deprived end"
        " (above 1: higher values where deprivation is higher), the reciprocal of the package's"
        " `rii`, whatever the multiplier's sign. Null (with no limits) when the ratio or a"
        " simulated limit is not a positive finite number."
    )
    rii_most_over_least_deprived_limits: list[Limit] = Field(
        description="Simulated limits of `rii_most_over_least_deprived` (the same draws as"
        " `rii_limits`, so they are the reciprocals of those limits, swapped, up to one order"
        " statistic)."
    )
    rii_reason: str | None = Field(
        None,
        description="Why `rii` (or its reciprocal) is null: it is only given when it and its"
        " limits are positive finite ratios.",
    )
    intercept: float = Field(
        description="fitted(0), the most deprived end, as phe_sii returns it: in the values'"
        " units without transform; back-transformed and times |multiplier| with it."
    )
    value_type: str
    transform: bool
    simulation_scale: str
    repetitions: int
    seed: int
    method: str
