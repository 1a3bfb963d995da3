"""After readings are stored: score NEWS2 per admission, check thresholds, raise alerts.

Runs in the same transaction as the readings, so an alert exists if and only if the
reading that caused it does (transactional outbox).

Every observation set a batch completes is scored (domain.observation_sets.window_ends), so
a back-fill spanning days leaves a NEWS2 history, not only its newest set; a live batch is
one set, as before.

Alert de-duplication rule (per admission):
- NEWS2 kinds are ranked news2_red_single < news2_medium < news2_high. A candidate is not
  raised if an alert of the same or higher rank was raised for the admission within
  `alert_suppress_minutes`; escalation to a higher rank is always raised.
- threshold_breach: at most one per threshold rule within `alert_suppress_minutes`.
- Readings (or sets) observed more than `alert_max_age_minutes` ago are stored and scored
  but never alert: a back-fill of last week's data must not page anyone today.
Concurrent batches for one admission serialise on a transaction-scoped advisory lock taken
only when there is a candidate, so two replicas cannot both raise the same alert.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
import orjson

from services.monitoring_ingest.domain.canonical import (
    MEASURE_BY_CODE,
    CanonicalReading,
    Measure,
    Provenance,
)
from services.monitoring_ingest.domain.news2 import News2Result, RiskBand, SpO2Scale, score
from services.monitoring_ingest.domain.observation_sets import (
    FormedSet,
    form_observation_set,
    window_ends,
)
from services.monitoring_ingest.domain.thresholds import Direction, ThresholdRule, breaches
from services.monitoring_ingest.settings import IngestSettings

if TYPE_CHECKING:
    from services.monitoring_ingest.readings.pipeline import Attribution

NEWS2_MEASURES = frozenset(
    {
        Measure.RESPIRATORY_RATE,
        Measure.SPO2,
        Measure.SUPPLEMENTAL_OXYGEN,
        Measure.INHALED_O2_FLOW,
        Measure.INHALED_O2_CONCENTRATION,
        Measure.SYSTOLIC_BP,
        Measure.HEART_RATE,
        Measure.CONSCIOUSNESS,
        Measure.BODY_TEMPERATURE,
    }
)
NEWS2_CODES = sorted(code for code, m in MEASURE_BY_CODE.items() if m in NEWS2_MEASURES)
NEWS2_RANK = {"news2_red_single": 1, "news2_medium": 2, "news2_high": 3}

_CONTEXT = """
SELECT a.admission_id,
       (SELECT s.scale FROM monitoring.spo2_scale_settings s
         WHERE s.admission_id = a.admission_id ORDER BY s.set_at DESC LIMIT 1),
       (SELECT json_agg(json_build_array(t.id, t.measure, t.direction, t."limit", t.inclusive))
          FROM monitoring.thresholds t
         WHERE t.admission_id = a.admission_id AND t.retired_at IS NULL)
FROM unnest($1::uuid[]) AS a(admission_id)
"""

# For each (admission, window end) asked for, only the newest non-superseded reading of each
# code in that window comes back: that is all form_observation_set uses, and it keeps the
# transfer constant per window however dense the readings are.
_WINDOW = """
WITH win AS MATERIALIZED (
    SELECT r.admission_id, w.window_end, r.reading_key, r.device_id, r.code, r.value, r.unit,
           r.observed_at, r.provenance, r.vendor_reading_id, r.code_value, r.supersedes
    FROM unnest($1::uuid[], $2::timestamptz[]) AS w(admission_id, window_end)
    JOIN monitoring.readings r
      ON r.admission_id = w.admission_id
     AND r.observed_at BETWEEN w.window_end - $3::interval AND w.window_end
    WHERE r.code = ANY($4::text[])
)
SELECT DISTINCT ON (admission_id, window_end, code) *
FROM win
WHERE NOT EXISTS (SELECT 1 FROM win c WHERE c.supersedes = win.reading_key)
ORDER BY admission_id, window_end, code, observed_at DESC, reading_key
"""

_UPSERT_NEWS2 = """
INSERT INTO monitoring.news2_results (id, admission_id, ward_id, window_start, window_end, scale,
    aggregate, risk, complete, red_score, parameter_scores, missing, reading_keys)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)
ON CONFLICT (admission_id, window_end) DO UPDATE SET
    window_start = EXCLUDED.window_start, scale = EXCLUDED.scale,
    aggregate = EXCLUDED.aggregate, risk = EXCLUDED.risk, complete = EXCLUDED.complete,
    red_score = EXCLUDED.red_score, parameter_scores = EXCLUDED.parameter_scores,
    missing = EXCLUDED.missing, reading_keys = EXCLUDED.reading_keys, scored_at = now()
"""

_INSERT_ALERT = """
INSERT INTO monitoring.alerts (id, admission_id, ward_id, kind, news2_score, risk, detail,
    raised_at, threshold_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


def _rules(raw: object) -> list[ThresholdRule]:
    """Rules from the json column (decoded already by the engine's codec, or text)."""
    data = orjson.loads(raw) if isinstance(raw, str | bytes) else raw or ()
    rules = []
    for rule_id, measure, direction, limit, inclusive in data:  # type: ignore[union-attr]
        rules.append(
            ThresholdRule(str(rule_id), Measure(measure), Direction(direction), limit, inclusive)
        )
    return rules


def _news2_alert(result: News2Result) -> tuple[str, str] | None:
    if result.band is RiskBand.HIGH:
        return "news2_high", "high"
    if result.band is RiskBand.MEDIUM:
        return "news2_medium", "medium"
    if result.red_score:
        return "news2_red_single", str(result.band) if result.band else ""
    return None


def _form(
    rows: Sequence[asyncpg.Record], window: timedelta
) -> tuple[FormedSet | None, list[bytes]]:
    """The observation set from one window's rows, and the keys of the readings it used."""
    readings = [
        CanonicalReading(
            row[3], row[4], row[5], row[6], row[7], Provenance(row[8]), row[9], row[10]
        )
        for row in rows
    ]
    formed = form_observation_set(readings, window=window)
    if formed is None:
        return None, []
    used = {id(r) for r in formed.used}
    return formed, [row[2] for r, row in zip(readings, rows, strict=True) if id(r) in used]


def _news2_detail(result: News2Result, risk: str, scale: SpO2Scale, end: datetime) -> str:
    """What the alert says: score or what is missing, scale, red parameters, set time."""
    state = (
        f"NEWS2 {result.aggregate} ({risk} risk)"
        if result.complete
        else f"incomplete set, missing {', '.join(map(str, result.missing))}"
    )
    red = [str(p) for p, s in result.parameter_scores.items() if s == 3]
    detail = f"{state}; SpO2 scale {int(scale)}"
    if red:
        detail += f"; scoring 3: {', '.join(red)}"
    return detail + f"; set ending {end.astimezone(UTC).isoformat()}"


async def after_store(
    conn: asyncpg.Connection,
    stored: Sequence[tuple[CanonicalReading, Attribution, bytes]],
    *,
    settings: IngestSettings,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """Score and check the admissions the stored readings belong to; returns alert ids."""
    now = now or datetime.now(UTC)
    alert_after = now - timedelta(minutes=settings.alert_max_age_minutes)
    wards: dict[uuid.UUID, uuid.UUID] = {}
    news2_times: dict[uuid.UUID, list[datetime]] = {}
    for reading, target, _ in stored:
        wards[target.admission_id] = target.ward_id
        if MEASURE_BY_CODE[reading.code] in NEWS2_MEASURES:
            news2_times.setdefault(target.admission_id, []).append(reading.observed_at)
    admissions = list(wards)
    context = {row[0]: (row[1], _rules(row[2])) for row in await conn.fetch(_CONTEXT, admissions)}

    # Candidate alerts: (admission, kind, score, risk, detail, threshold id).
    candidates: list[tuple[uuid.UUID, str, int | None, str | None, str, uuid.UUID | None]] = []
    seen_rules: set[str] = set()
    for reading, target, _ in stored:
        rules = context.get(target.admission_id, (None, []))[1]
        if not rules or reading.observed_at < alert_after:
            continue
        for breach in breaches(reading, rules):
            if breach.rule.rule_id in seen_rules:
                continue
            seen_rules.add(breach.rule.rule_id)
            detail = f"threshold breached: {breach.detail}"
            candidates.append(
                (target.admission_id, "threshold_breach", None, None, detail,
                 uuid.UUID(breach.rule.rule_id))
            )  # fmt: skip

    if news2_times:
        window = timedelta(minutes=settings.observation_window_minutes)
        # Every set the batch completes is scored (a back-fill has many), oldest first.
        sets = [
            (admission_id, end)
            for admission_id, times in news2_times.items()
            for end in window_ends(times, window=window)
        ]
        rows = await conn.fetch(
            _WINDOW, [a for a, _ in sets], [end for _, end in sets], window, NEWS2_CODES
        )
        by_set: dict[tuple[uuid.UUID, datetime], list[asyncpg.Record]] = {}
        for row in rows:
            by_set.setdefault((row[0], row[1]), []).append(row)
        results = []
        for admission_id, end in sets:
            formed, used_keys = _form(by_set.get((admission_id, end), ()), window)
            if formed is None:
                continue
            scale = SpO2Scale(context.get(admission_id, (None, []))[0] or 1)
            result = score(formed.observations, scale=scale)
            results.append(
                (
                    admission_id,
                    wards[admission_id],
                    formed.window_start,
                    formed.window_end,
                    int(scale),
                    result.aggregate,
                    str(result.band) if result.band else None,
                    result.complete,
                    result.red_score,
                    orjson.dumps({str(p): s for p, s in result.parameter_scores.items()}).decode(),
                    [str(p) for p in result.missing],
                    used_keys,
                )
            )
            alert = _news2_alert(result)
            if alert is not None and formed.window_end >= alert_after:
                kind, risk = alert
                detail = _news2_detail(result, risk, scale, formed.window_end)
                candidates.append(
                    (admission_id, kind, result.aggregate, risk or None, detail, None)
                )
        if results:
            await conn.executemany(_UPSERT_NEWS2, results)
    if not candidates:
        return []
    return await _raise_alerts(conn, candidates, wards, settings=settings, now=now)


async def _raise_alerts(
    conn: asyncpg.Connection,
    candidates: list[tuple[uuid.UUID, str, int | None, str | None, str, uuid.UUID | None]],
    wards: dict[uuid.UUID, uuid.UUID],
    *,
    settings: IngestSettings,
    now: datetime,
) -> list[uuid.UUID]:
    admissions = sorted({c[0] for c in candidates})
    for admission_id in admissions:  # sorted, so concurrent batches cannot deadlock
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"alerts:{admission_id}"
        )
    since = now - timedelta(minutes=settings.alert_suppress_minutes)
    recent = await conn.fetch(
        "SELECT admission_id, kind, threshold_id FROM monitoring.alerts "
        "WHERE admission_id = ANY($1::uuid[]) AND raised_at >= $2",
        admissions,
        since,
    )
    news2_rank: dict[uuid.UUID, int] = {}
    rules_alerted: set[uuid.UUID] = set()
    for admission_id, kind, threshold_id in recent:
        if kind in NEWS2_RANK:
            news2_rank[admission_id] = max(news2_rank.get(admission_id, 0), NEWS2_RANK[kind])
        elif threshold_id is not None:
            rules_alerted.add(threshold_id)
    rows = []
    for admission_id, kind, news2_score, risk, detail, threshold_id in candidates:
        if kind in NEWS2_RANK:
            if news2_rank.get(admission_id, 0) >= NEWS2_RANK[kind]:
                continue
            news2_rank[admission_id] = NEWS2_RANK[kind]
        elif threshold_id is not None:
            if threshold_id in rules_alerted:
                continue
            rules_alerted.add(threshold_id)
        alert_id = uuid.uuid4()
        rows.append(
            (alert_id, admission_id, wards[admission_id], kind, news2_score, risk, detail, now,
             threshold_id)
        )  # fmt: skip
    if rows:
        await conn.executemany(_INSERT_ALERT, rows)
    return [row[0] for row in rows]
