"""The pure modules' hot paths, timed here rather than in unit tests (best of five runs).

- ward_api allocation: 8,000 beds across 400 wards (goal: under 1 s), and closing every ICB's
  July 2024 shortfall to 40 per 100k across the 42 ICBs (goal: under 1 s);
- equity_audit's SII with its default 100,000 simulations at 95 % and 99.8 % (goal: under
  1 s, so an audit's gradients stay interactive);
- equity_audit's reference loaders on the real files, each (goal: under 1 s), when the data
  directory has them;
- monitoring_ingest's native adapter: µs per reading over a 1,000-reading batch, orjson
  decode and normalisation included (goal: under 25 µs, a small slice of the 100 µs per
  reading per core that 20,000 readings/s on two cores leaves for everything).
`python -m bench pure`; no database, no network.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson

RUNS = 5


def _best(work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _allocation() -> list[tuple[str, str]]:
    from services.ward_api.domain.planning import PlanningArea, plan_beds

    rng = random.Random(7)
    wards = [
        PlanningArea(f"W{i:04d}", rng.randint(0, 30), rng.randint(20_000, 120_000))
        for i in range(400)
    ]
    seconds = _best(lambda: plan_beds(wards, 8_000, allow_above_band=True))
    return [("allocate 8,000 beds over 400 wards, s (goal < 1)", f"{seconds:.3f}")]


def _native() -> list[tuple[str, str]]:
    from services.monitoring_ingest.domain.adapters import native
    from services.monitoring_ingest.domain.normalise import Normaliser

    now = datetime.now(UTC)
    kinds = [("spo2", 95, "%"), ("hr", 72, "/min"), ("rr", 16, "/min"),
             ("temp", 98.6, "[degF]"), ("sbp", 121, "mm[Hg]")]  # fmt: skip
    readings = [
        {"id": f"r-{i}", "code": c, "value": v, "unit": u,
         "at": (now - timedelta(seconds=i)).isoformat()}
        for i, (c, v, u) in ((i, kinds[i % len(kinds)]) for i in range(1000))
    ]  # fmt: skip
    body = orjson.dumps({"device_id": "OXI-00042", "readings": readings})
    normaliser = Normaliser(now=now)
    seconds = _best(lambda: native.parse(body, normaliser=normaliser))
    return [("native adapter µs/reading, 1,000-reading batch (goal < 25)", f"{seconds * 1e3:.2f}")]


def _sii() -> list[tuple[str, str]]:
    from services.equity_audit.methods.sii import QuantileValue, slope_index_of_inequality

    # Five quintiles of a rate with 95 % limits (illustrative figures, steeply graded).
    rows = [(1000, 16.0, 10.0, 24.0), (1200, 12.0, 7.0, 19.0), (1100, 9.0, 5.0, 15.0),
            (1300, 7.0, 4.0, 12.0), (900, 4.0, 1.5, 9.0)]  # fmt: skip
    quantiles = [
        QuantileValue(i + 1, pop, value, lower_95=lo, upper_95=hi)
        for i, (pop, value, lo, hi) in enumerate(rows)
    ]
    seconds = _best(
        lambda: slope_index_of_inequality(quantiles, value_type="rate", confidence=(0.95, 0.998))
    )
    return [("SII, 100,000 simulations at 95 % and 99.8 %, s (goal < 1)", f"{seconds:.3f}")]


def _reference() -> list[tuple[str, str]]:
    from shared.reference import datasets as reference
    from shared.settings import DataSettings

    directory = DataSettings().data_dir
    imd_path = directory / "imd2019_lsoa11_england.csv"
    if not imd_path.exists():
        return [("reference loaders", f"skipped: no {imd_path}")]
    imd = reference.load_imd2019(imd_path)
    known = imd.rows.keys()
    figures = [("load imd2019_lsoa11_england.csv, s (goal < 1)",
                f"{_best(lambda: reference.load_imd2019(imd_path)):.3f}")]  # fmt: skip
    loaders = {
        "lsoa11_to_icb.csv": reference.load_icb_lookup,
        "housing_lsoa.csv": reference.load_housing,
        "digital_exclusion_lsoa.csv": reference.load_digital_exclusion,
    }
    for name, loader in loaders.items():
        seconds = _best(functools.partial(loader, directory / name, known_lsoas=known))
        figures.append((f"load {name}, s (goal < 1)", f"{seconds:.3f}"))
    return figures


def run() -> list[tuple[str, str]]:
    return _allocation() + _sii() + _reference() + _native()
