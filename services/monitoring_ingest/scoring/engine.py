"""After readings are stored: score NEWS2 sets and check thresholds, in the same transaction.

Returns the alerts the scores warrant (alerts.raising decides which are raised, and says how
they are de-duplicated), so an alert exists if and only if the readings that caused it do.

Observation sets do not depend on the order readings arrive in. An admission's NEWS2
readings (superseded and withdrawn ones left out) are partitioned greedily over its whole
history: a set opens at the earliest reading not yet in a set and takes every reading up to
`observation_window_minutes` later (inclusive), the latest value of each parameter counting.
A batch re-forms the sets from the one it first touches onwards (the stored set opened at or
before its earliest reading, or a correction's superseded reading); sets before that cannot
change. So a temperature observed half a second before the rest of its round but uploaded
last joins that round's set and the set is re-scored, and a back-fill spanning days leaves
one NEWS2 result per set.

Which sets may alert:
- every set a batch creates or changes; an unchanged set is neither rewritten nor re-alerted;
- an incomplete set is banded by its lower bound (domain.news2), so one already at least 7
  warrants news2_high;
- readings (or sets) observed more than `alert_max_age_minutes` ago are stored and scored
  but never alert: a back-fill of last week's data must not page anyone today;
- alerts are never withdrawn: if part of a round arrives first and already warrants an
  alert, that alert stands when the rest raises a higher one. The highest alert for the
  final sets is the same whatever the arrival order.
Scoring takes a transaction-scoped advisory lock per admission (in sorted order, so
concurrent batches cannot deadlock) before it reads the sets, after the batch's readings are
written, and holds it to commit: two requests completing one set at once take turns, and the
second sees the first's readings and alert, so the set is neither missed nor alerted twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson

from services.monitoring_ingest.domain.canonical import (
    MEASURE_BY_CODE,
    CanonicalReading,
    Measure,
    Provenance,
)
from services.monitoring_ingest.domain.news2 import News2Result, RiskBand, SpO2Scale, score
from services.monitoring_ingest.domain.observation_sets import FormedSet, form_observation_set
from services.monitoring_ingest.domain.stored import AlertCandidate, StoredReading
from services.monitoring_ingest.domain.thresholds import Direction, ThresholdRule, breaches
from services.monitoring_ingest.settings import IngestSettings

__all__ = ["NEWS2_CODES", "score_and_check"]

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

_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

_CONTEXT = """
SELECT a.admission_id,
       (SELECT s.scale FROM monitoring.spo2_scale_settings s
         WHERE s.admission_id = a.admission_id ORDER BY s.set_at DESC LIMIT 1),
       (SELECT json_agg(json_build_array(t.id, t.measure, t.direction, t."limit", t.inclusive))
          FROM monitoring.thresholds t
         WHERE t.admission_id = a.admission_id AND t.retired_at IS NULL)
FROM unnest($1::uuid[]) AS a(admission_id)
"""

# Where re-forming starts for each admission (the stored set opened at or before the
# earliest time the batch touches, else that time), the readings its corrections supersede
# and its withdrawals (which supersede what they withdraw and are never scored themselves; a
# partial index keeps this free for the many admissions with none), and the stored sets
# from the restart on.
_STORED = """
WITH asked AS (
    SELECT a.admission_id,
           coalesce((SELECT n.window_start FROM monitoring.news2_results n
                      WHERE n.admission_id = a.admission_id AND n.window_start <= a.earliest
                      ORDER BY n.window_end DESC LIMIT 1), a.earliest) AS restart,
           ARRAY(SELECT k FROM monitoring.readings c,
                         LATERAL (VALUES (c.supersedes),
                                         (CASE WHEN c.withdrawn THEN c.reading_key END)) v(k)
                  WHERE c.admission_id = a.admission_id AND c.supersedes IS NOT NULL
                    AND k IS NOT NULL)
               AS superseded
    FROM unnest($1::uuid[], $2::timestamptz[]) AS a(admission_id, earliest)
)
SELECT a.admission_id, a.restart, n.id, n.window_start, n.window_end, n.scale, n.aggregate,
       n.lower_bound, n.risk, n.complete, n.red_score, n.parameter_scores, n.missing,
       n.reading_keys, a.superseded
FROM asked a
LEFT JOIN monitoring.news2_results n
       ON n.admission_id = a.admission_id AND n.window_start >= a.restart
"""

# The sets from each restart on: openers found one index probe at a time (the first reading
# more than a window after the previous opener), then the newest reading of each code in
# each set's window. Superseded readings ($5, from _STORED) take no part.
_SETS = """
WITH RECURSIVE opener(admission_id, opened_at) AS (
    SELECT a.admission_id, f.t
    FROM unnest($1::uuid[], $2::timestamptz[]) AS a(admission_id, restart)
    CROSS JOIN LATERAL (
        SELECT min(r.observed_at) AS t FROM monitoring.readings r
        WHERE r.admission_id = a.admission_id AND r.observed_at >= a.restart
          AND r.code = ANY($4::text[])
          AND r.reading_key <> ALL($5::bytea[])
    ) f
    WHERE f.t IS NOT NULL
    UNION ALL
    SELECT o.admission_id, f.t
    FROM opener o
    CROSS JOIN LATERAL (
        SELECT min(r.observed_at) AS t FROM monitoring.readings r
        WHERE r.admission_id = o.admission_id AND r.observed_at > o.opened_at + $3::interval
          AND r.code = ANY($4::text[])
          AND r.reading_key <> ALL($5::bytea[])
    ) f
    WHERE f.t IS NOT NULL
)
SELECT o.admission_id, o.opened_at, x.reading_key, x.device_id, x.code, x.value, x.unit,
       x.observed_at, x.provenance, x.vendor_reading_id, x.code_value
FROM opener o
CROSS JOIN LATERAL (
    SELECT DISTINCT ON (r.code) r.*
    FROM monitoring.readings r
    WHERE r.admission_id = o.admission_id
      AND r.observed_at BETWEEN o.opened_at AND o.opened_at + $3::interval
      AND r.code = ANY($4::text[])
      AND r.reading_key <> ALL($5::bytea[])
    ORDER BY r.code, r.observed_at DESC, r.reading_key
) x
ORDER BY o.admission_id, o.opened_at
"""

_SUPERSEDED_AT = """
SELECT r.admission_id, min(r.observed_at) FROM monitoring.readings r
WHERE r.reading_key = ANY($1::bytea[]) GROUP BY r.admission_id
"""

_DELETE_NEWS2 = "DELETE FROM monitoring.news2_results WHERE id = ANY($1::uuid[])"

_UPSERT_NEWS2 = """
INSERT INTO monitoring.news2_results (id, admission_id, ward_id, window_start, window_end, scale,
    aggregate, lower_bound, risk, complete, red_score, parameter_scores, missing, reading_keys)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)
ON CONFLICT (admission_id, window_end) DO UPDATE SET
    window_start = EXCLUDED.window_start, scale = EXCLUDED.scale,
    aggregate = EXCLUDED.aggregate, lower_bound = EXCLUDED.lower_bound, risk = EXCLUDED.risk,
    complete = EXCLUDED.complete, red_score = EXCLUDED.red_score,
    parameter_scores = EXCLUDED.parameter_scores, missing = EXCLUDED.missing,
    reading_keys = EXCLUDED.reading_keys, scored_at = now()
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


@dataclass(frozen=True, slots=True)
class _Set:
    """One scored observation set as stored in news2_results."""

    window_start: datetime
    window_end: datetime
    scale: int
    aggregate: int | None
    lower_bound: int
    risk: str | None
    complete: bool
    red_score: bool
    parameter_scores: tuple[tuple[str, int], ...]
    missing: tuple[str, ...]
    reading_keys: tuple[bytes, ...]

    @classmethod
    def of(cls, row: asyncpg.Record) -> _Set:
        """From a _STORED row (columns 3 onwards)."""
        scores = row[11]
        scores = orjson.loads(scores) if isinstance(scores, str | bytes) else scores
        return cls(
            row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10],
            tuple(sorted(scores.items())), tuple(row[12]), tuple(row[13]),
        )  # fmt: skip

    def upsert_args(self, admission_id: uuid.UUID, ward_id: uuid.UUID) -> tuple[object, ...]:
        scores = orjson.dumps(dict(self.parameter_scores)).decode()
        return (
            admission_id, ward_id, self.window_start, self.window_end, self.scale,
            self.aggregate, self.lower_bound, self.risk, self.complete, self.red_score, scores,
            list(self.missing), list(self.reading_keys),
        )  # fmt: skip


def _form(
    rows: Sequence[asyncpg.Record], window: timedelta
) -> tuple[FormedSet | None, list[bytes]]:
    """The observation set from one set's rows (a _SETS group), and the readings it used."""
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
    """What the alert says: score (or its lower bound and what is missing), scale, red ones."""
    if result.complete:
        state = f"NEWS2 {result.aggregate} ({risk} risk)"
    else:
        missing = ", ".join(map(str, result.missing))
        risk_text = f" ({risk} risk)" if risk else ""
        state = f"NEWS2 at least {result.lower_bound}{risk_text}, incomplete: missing {missing}"
    red = [str(p) for p, s in result.parameter_scores.items() if s == 3]
    detail = f"{state}; SpO2 scale {int(scale)}"
    if red:
        detail += f"; scoring 3: {', '.join(red)}"
    return detail + f"; set ending {end.astimezone(UTC).isoformat()}"


async def score_and_check(
    conn: asyncpg.Connection,
    stored: Sequence[StoredReading],
    *,
    settings: IngestSettings,
    now: datetime,
) -> list[AlertCandidate]:
    """Lock, re-score and check the admissions the readings belong to; the alerts warranted.

    The sets of readings that the stored ones correct (supersede) are re-scored too.
    """
    alert_after = now - timedelta(minutes=settings.alert_max_age_minutes)
    wards: dict[uuid.UUID, uuid.UUID] = {}
    earliest: dict[uuid.UUID, datetime] = {}
    for item in stored:
        reading, target = item.reading, item.attribution
        wards[target.admission_id] = target.ward_id
        if MEASURE_BY_CODE[reading.code] in NEWS2_MEASURES:
            at = earliest.get(target.admission_id)
            earliest[target.admission_id] = (
                min(at, reading.observed_at) if at else reading.observed_at
            )
    admissions = sorted(wards)
    for admission_id in admissions:  # sorted, so concurrent batches cannot deadlock
        await conn.execute(_LOCK, f"alerts:{admission_id}")
    context = {row[0]: (row[1], _rules(row[2])) for row in await conn.fetch(_CONTEXT, admissions)}

    candidates: list[AlertCandidate] = []
    seen_rules: set[str] = set()
    for item in stored:
        reading, target = item.reading, item.attribution
        rules = context.get(target.admission_id, (None, []))[1]
        if not rules or item.withdrawn or reading.observed_at < alert_after:
            continue
        for breach in breaches(reading, rules):
            if breach.rule.rule_id in seen_rules:
                continue
            seen_rules.add(breach.rule.rule_id)
            candidates.append(
                AlertCandidate(
                    target.admission_id, target.ward_id, "threshold_breach",
                    f"threshold breached: {breach.detail}",
                    threshold_id=uuid.UUID(breach.rule.rule_id), reading_keys=(item.key,),
                )
            )  # fmt: skip

    superseded = [item.supersedes for item in stored if item.supersedes is not None]
    if superseded:
        for admission_id, at in await conn.fetch(_SUPERSEDED_AT, superseded):
            if admission_id in wards:
                earliest[admission_id] = min(earliest.get(admission_id, at), at)
    if earliest:
        scales = {a: SpO2Scale(context.get(a, (None, []))[0] or 1) for a in earliest}
        candidates += await _rescore(conn, earliest, wards, scales, settings, alert_after)
    return candidates


async def _rescore(
    conn: asyncpg.Connection,
    earliest: dict[uuid.UUID, datetime],
    wards: dict[uuid.UUID, uuid.UUID],
    scales: dict[uuid.UUID, SpO2Scale],
    settings: IngestSettings,
    alert_after: datetime,
) -> list[AlertCandidate]:
    """Re-form each admission's sets from where the batch touches them; store what changed.

    Returns alert candidates for the sets that are new or changed, oldest first.
    """
    window = timedelta(minutes=settings.observation_window_minutes)
    ids = sorted(earliest)
    restart: dict[uuid.UUID, datetime] = {}
    before: dict[tuple[uuid.UUID, datetime], tuple[uuid.UUID, _Set]] = {}
    superseded: set[bytes] = set()
    for row in await conn.fetch(_STORED, ids, [earliest[a] for a in ids]):
        restart[row[0]] = row[1]
        superseded.update(row[14])
        if row[2] is not None:
            before[(row[0], row[3])] = (row[2], _Set.of(row))
    groups: dict[tuple[uuid.UUID, datetime], list[asyncpg.Record]] = {}
    starts = [restart[a] for a in ids]
    sets = await conn.fetch(_SETS, ids, starts, window, NEWS2_CODES, sorted(superseded))
    for row in sets:
        groups.setdefault((row[0], row[1]), []).append(row)

    writes: list[tuple[object, ...]] = []
    candidates: list[AlertCandidate] = []
    for (admission_id, opened), rows in groups.items():
        formed, used_keys = _form(rows, window)
        if formed is None:
            continue
        scale = scales[admission_id]
        result = score(formed.observations, scale=scale)
        new = _Set(
            opened, formed.window_end, int(scale), result.aggregate, result.lower_bound,
            str(result.band) if result.band else None, result.complete, result.red_score,
            tuple(sorted((str(p), s) for p, s in result.parameter_scores.items())),
            tuple(str(p) for p in result.missing), tuple(used_keys),
        )  # fmt: skip
        prior = before.get((admission_id, opened))
        if prior is not None and prior[1] == new:
            del before[(admission_id, opened)]
            continue  # unchanged: neither written again nor alerted again
        if prior is not None and prior[1].window_end == new.window_end:
            del before[(admission_id, opened)]  # overwritten in place by the upsert
        writes.append(new.upsert_args(admission_id, wards[admission_id]))
        alert = _news2_alert(result)
        if alert is not None and new.window_end >= alert_after:
            kind, risk = alert
            detail = _news2_detail(result, risk, scale, new.window_end)
            candidates.append(
                AlertCandidate(
                    admission_id, wards[admission_id], kind, detail,
                    news2_score=result.aggregate, risk=risk or None,
                    reading_keys=tuple(used_keys),
                )
            )  # fmt: skip
    stale = [set_id for set_id, _ in before.values()]  # sets the new partition no longer has
    if stale:
        await conn.execute(_DELETE_NEWS2, stale)
    if writes:
        await conn.executemany(_UPSERT_NEWS2, writes)
    return candidates
