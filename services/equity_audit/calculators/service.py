"""Run the pure methods over request items, naming the failing item in any input error."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

from services.equity_audit.calculators.schemas import (
    Limit,
    ProportionOut,
    ProportionsRequest,
    ProportionsResponse,
    RateOut,
    RatesRequest,
    RatesResponse,
    SiiRequest,
    SiiResponse,
)
from services.equity_audit.methods import (
    ConfidenceLimits,
    MethodInputError,
    QuantileValue,
    proportion,
    rate,
    slope_index_of_inequality,
)
from shared.problems import Unprocessable

T = TypeVar("T")

# Quantiles x repetitions drawn at once; 10 million normals are about 80 MB.
MAX_DRAWS = 10_000_000


def _limits(limits: Sequence[ConfidenceLimits]) -> list[Limit]:
    return [Limit(level=lim.level, lower=lim.lower, upper=lim.upper) for lim in limits]


def _per_item(items: Sequence[object], compute: Callable[[int, object], T]) -> list[T]:
    """Apply `compute` to each item; a MethodInputError without an index gets the item's."""
    results = []
    for index, item in enumerate(items):
        try:
            results.append(compute(index, item))
        except MethodInputError as error:
            if error.item_index is None:
                raise MethodInputError(index, error.field, error.reason) from None
            raise
    return results


def rates(request: RatesRequest) -> list[RateOut]:
    """Crude rates with exact (count < 10) or Byars limits, item by item."""

    def one(index: int, item: object) -> RateOut:
        result = rate(
            item.count,  # type: ignore[attr-defined]
            item.denominator,  # type: ignore[attr-defined]
            multiplier=request.multiplier,
            confidence=request.confidence,
        )
        return RateOut(
            index=index,
            count=result.count,
            denominator=result.denominator,
            estimate=result.estimate,
            limits=_limits(result.limits),
            method=result.method,
        )

    return _per_item(request.items, one)


def proportions(request: ProportionsRequest) -> list[ProportionOut]:
    """Proportions with Wilson score limits, item by item."""

    def one(index: int, item: object) -> ProportionOut:
        result = proportion(
            item.numerator,  # type: ignore[attr-defined]
            item.denominator,  # type: ignore[attr-defined]
            multiplier=request.multiplier,
            confidence=request.confidence,
        )
        return ProportionOut(
            index=index,
            numerator=result.numerator,
            denominator=result.denominator,
            estimate=result.estimate,
            limits=_limits(result.limits),
            method=result.method,
        )

    return _per_item(request.items, one)


def sii(request: SiiRequest) -> SiiResponse:
    """SII, RII and intercept as phe_sii; `transform` fits log(rate) or logit(proportion).

    Whatever `transform`, rates are simulated on the log and proportions on the logit scale.
    """
    if request.repetitions * len(request.quantiles) > MAX_DRAWS:
        raise MethodInputError(
            None,
            "repetitions",
            f"repetitions x quantiles must not exceed {MAX_DRAWS:,}"
            f" (at most {MAX_DRAWS // len(request.quantiles):,} for"
            f" {len(request.quantiles)} quantiles)",
        )
    for index, q in enumerate(request.quantiles):
        for field in ("value", "lower", "upper"):
            number = getattr(q, field)
            if number is None:
                continue
            if request.value_type == "rate" and number < 0:
                raise MethodInputError(index, field, "a rate must not be negative")
            if request.value_type == "proportion" and not 0 <= number <= 1:
                raise MethodInputError(index, field, "a proportion must be between 0 and 1")
    value_type = {"rate": "rate", "proportion": "proportion"}.get(request.value_type, "normal")
    scale = {"rate": "log", "proportion": "logit"}.get(value_type, "natural")
    result = slope_index_of_inequality(
        [
            QuantileValue(
                quantile=q.quantile,
                population=q.population,
                value=q.value,
                se=q.se,
                lower_95=q.lower,
                upper_95=q.upper,
            )
            for q in request.quantiles
        ],
        value_type=value_type,  # type: ignore[arg-type]
        transform=request.transform,
        multiplier=request.multiplier,
        confidence=request.confidence,
        repetitions=request.repetitions,
    )
    fit = f"{scale} values" if request.transform else "values"
    return SiiResponse(
        sii=result.sii,
        sii_limits=_limits(result.sii_limits),
        rii=result.rii,
        rii_limits=_limits(result.rii_limits),
        rii_most_over_least_deprived=result.rii_most_over_least_deprived,
        rii_most_over_least_deprived_limits=_limits(result.rii_most_over_least_deprived_limits),
        rii_reason=result.rii_reason,
        intercept=result.intercept,
        value_type=request.value_type,
        transform=request.transform,
        simulation_scale=scale,
        repetitions=result.repetitions,
        seed=result.seed,
        method=(
            f"Population-weighted least squares of {fit} on cumulative population mid-points"
            f" (Low & Low 2004); limits by Monte Carlo simulation on the {scale} scale"
            " (PHEindicatormethods phe_sii)"
        ),
    )


async def _off_loop(compute: Callable[[], T]) -> T:
    """Compute off the event loop; an input error becomes a 422 naming item and field."""
    try:
        return await asyncio.to_thread(compute)
    except MethodInputError as error:
        where = error.field if error.item_index is None else f"item {error.item_index}"
        raise Unprocessable(
            f"{where}: {error.reason}"
            if error.item_index is None
            else f"{where}, {error.field}: {error.reason}",
            slug="method-input",
            item=error.item_index,
            field=error.field,
            reason=error.reason,
        ) from None


async def rates_answer(request: RatesRequest) -> RatesResponse:
    items = await _off_loop(lambda: rates(request))
    return RatesResponse(multiplier=request.multiplier, confidence=request.confidence, items=items)


async def proportions_answer(request: ProportionsRequest) -> ProportionsResponse:
    items = await _off_loop(lambda: proportions(request))
    return ProportionsResponse(
        multiplier=request.multiplier, confidence=request.confidence, items=items
    )


async def sii_answer(request: SiiRequest) -> SiiResponse:
    return await _off_loop(lambda: sii(request))
