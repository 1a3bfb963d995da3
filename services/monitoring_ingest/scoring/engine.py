"""After readings are stored: score NEWS2 sets and check thresholds, in the same transaction.

Returns the alerts the scores warrant (alerts.raising decides which are raised, and says how
they are de-duplicated), so an alert exists if and only if the readings that caused it do.

Observation sets are a function of the admission's readings, whatever order they arrive in
(the rule is domain.observation_sets'; superseded and withdrawn readings take no part): a
set ends at every NEWS2 reading followed by a pause of more than
`observation_round_gap_seconds` (the end of a round), and, in a run of readings with no such
pause for a whole window (a wearable's stream), at the last reading before each round-gap
boundary of the clock; it holds the latest value of each parameter in the window
(`observation_window_minutes`) ending there. So a temperature observed half a second before
the rest of its round but uploaded last joins that round's set, a round taken while a
wearable streams is still scored whole, and a back-fill leaves one set per round.

A reading can change only the sets ending from one round gap before it to one window after
it, so a batch (and a correction, for the reading it supersedes) re-forms just those spans:
sets that no longer end there are deleted, new or changed ones written, unchanged ones left.

Which sets may alert:
- a new or changed set whose alert rank (news2_red_single < news2_medium < news2_high) is
  above that of what it replaces (its earlier version, and the sets that ended inside its
  window but no longer end: a round that grew); a set that changed without rising is
  rewritten but does not page again;
- an incomplete set is banded by its lower bound (domain.news2), so one already at least 7
  warrants news2_high;
- readings (or sets) observed more than `alert_max_age_minutes` ago are stored and scored
  but never alert: a back-fill of last week's data must not page anyone today;
- alerts are never withdrawn: a set seen while its round was still arriving can alert on
  what it showed then (a partial round already at 7 pages at once), and that alert stands.
  So every alert the final sets warrant is raised (or suppressed by one at least as high),
  whatever the arrival order, and an order can add, never remove, an earlier alert;
- a set that warrants no band alert is checked for a trend: news2_rising when its score (its
  lower bound if incomplete) is at least `news2_trend_rise` above the lowest complete score
  among the admission's sets ending in the `news2_trend_hours` before it, so a rise is raised
  even below 5. Only complete sets are baselines: an incomplete one's true score may be
  higher, and a rise from it is not certain. The baseline names the rise (its dedup key).
  Sets up to `news2_trend_hours` after the ones a batch touches are checked again, so a late
  set that is the baseline of a rise still raises it: no rise that arrival in time order
  would alert is missed in another order (a late, lower baseline may add an alert).
Each set is scored on the SpO2 scale in force at its end (the latest clinician setting made
by then; scale 1 before any).

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

from services.monitoring_ingest.alerts.raising import NEWS2_RANK
from services.monitoring_ingest.domain.canonical import (
    MEASURE_BY_CODE,
    CanonicalReading,
    Measure,
    Provenance,
)
from services.monitoring_ingest.domain.news2 import News2Result, SpO2Scale, score
from services.monitoring_ingest.domain.observation_sets import (
    FormedSet,
    affected_spans,
    form_observation_set,
)
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

# Per admission: its SpO2 scale settings (oldest first), live threshold rules, and the
# readings that take no part in its sets: those its corrections supersede, and its
# withdrawals (which supersede what they withdraw and are never scored themselves); a
# partial index keeps this free for the many admissions with none.
_CONTEXT = """
SELECT a.admission_id,
       (SELECT json_agg(json_build_array(s.set_at, s.scale) ORDER BY s.set_at)
          FROM monitoring.spo2_scale_settings s WHERE s.admission_id = a.admission_id),
       (SELECT json_agg(json_build_array(t.id, t.measure, t.direction, t."limit", t.inclusive))
          FROM monitoring.thresholds t
         WHERE t.admission_id = a.admission_id AND t.retired_at IS NULL),
       ARRAY(SELECT k FROM monitoring.readings c,
                     LATERAL (VALUES (c.supersedes),
                                     (CASE WHEN c.withdrawn THEN c.reading_key END)) v(k)
              WHERE c.admission_id = a.admission_id AND c.supersedes IS NOT NULL
                AND k IS NOT NULL)
FROM unnest($1::uuid[]) AS a(admission_id)
"""

_SUPERSEDED_AT = """
SELECT r.admission_id, r.observed_at FROM monitoring.readings r
WHERE r.reading_key = ANY($1::bytea[])
"""

# The stored sets ending in each span.
_STORED = """
SELECT s.admission_id, n.id, n.window_start, n.window_end, n.scale, n.aggregate,
       n.lower_bound, n.risk, n.complete, n.red_score, n.parameter_scores, n.missing,
       n.reading_keys
FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS s(admission_id, lo, hi)
JOIN monitoring.news2_results n
  ON n.admission_id = s.admission_id AND n.window_end BETWEEN s.lo AND s.hi
"""

# The sets ending in each span, by domain.observation_sets' rule ($4 window, $5 round gap,
# $8 the gap in whole seconds for the clock's boundaries), then the newest reading of each
# code in each set's window. Superseded readings ($7) take no part. Readings from a window
# and a gap before the span are read so that runs and pauses at its edges are seen whole.
_SETS = """
WITH span AS (
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[])
        AS s(admission_id, lo, hi)
), times AS (
    SELECT DISTINCT s.admission_id, s.lo, s.hi, r.observed_at AS at
    FROM span s
    JOIN monitoring.readings r
      ON r.admission_id = s.admission_id
     AND r.observed_at BETWEEN s.lo - $4::interval - $5::interval AND s.hi + $5::interval
    WHERE r.code = ANY($6::text[]) AND r.reading_key <> ALL($7::bytea[])
), marked AS (
    SELECT *, lead(at) OVER w AS nxt, lag(at) OVER w AS prv
    FROM times WINDOW w AS (PARTITION BY admission_id, lo ORDER BY at)
), runs AS (
    SELECT *, max(CASE WHEN prv IS NULL OR at - prv > $5::interval THEN at END)
                  OVER (PARTITION BY admission_id, lo ORDER BY at) AS run_start
    FROM marked
), ends AS (
    SELECT admission_id, at AS window_end FROM runs
    WHERE at BETWEEN lo AND hi
      AND (nxt IS NULL OR nxt - at > $5::interval
           OR (floor(extract(epoch FROM nxt) / $8::int) > floor(extract(epoch FROM at) / $8::int)
               AND run_start <= at - $4::interval))
)
SELECT e.admission_id, e.window_end, x.reading_key, x.device_id, x.code, x.value, x.unit,
       x.observed_at, x.provenance, x.vendor_reading_id, x.code_value
FROM ends e
CROSS JOIN LATERAL (
    SELECT DISTINCT ON (r.code) r.*
    FROM monitoring.readings r
    WHERE r.admission_id = e.admission_id
      AND r.observed_at BETWEEN e.window_end - $4::interval AND e.window_end
      AND r.code = ANY($6::text[]) AND r.reading_key <> ALL($7::bytea[])
    ORDER BY r.code, r.observed_at DESC, r.reading_key
) x
ORDER BY e.admission_id, e.window_end, x.code
"""

# The sets that may show a rise since a batch touched them: from the first set the batch
# created or changed to `news2_trend_hours` after its last ($3), inside the alert horizon
# ($4), warranting no band alert; each with its baseline, the lowest complete score among
# the admission's sets ending in the trend window before it (the latest such set if tied),
# where that is at least the trend rise ($5) below it. Read after the batch's sets are
# written, so it sees the partition as it now stands.
_RISING = """
SELECT c.admission_id, c.window_end, c.aggregate, c.lower_bound, c.complete, c.risk,
       b.window_end, b.aggregate
FROM unnest($1::uuid[], $2::timestamptz[], $6::timestamptz[]) AS t(admission_id, first, last)
JOIN monitoring.news2_results c
  ON c.admission_id = t.admission_id AND c.window_end >= greatest(t.first, $4)
 AND c.window_end <= t.last + $3::interval
 AND NOT c.red_score AND (c.risk IS NULL OR c.risk = 'low')
CROSS JOIN LATERAL (
    SELECT n.window_end, n.aggregate FROM monitoring.news2_results n
    WHERE n.admission_id = c.admission_id AND n.complete
      AND n.window_end >= c.window_end - $3::interval AND n.window_end < c.window_end
    ORDER BY n.aggregate, n.window_end DESC LIMIT 1
) b
WHERE c.lower_bound - b.aggregate >= $5
ORDER BY c.admission_id, c.window_end
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
        """From a _STORED row (columns 2 onwards)."""
        scores = row[10]
        scores = orjson.loads(scores) if isinstance(scores, str | bytes) else scores
        return cls(
            row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
            tuple(sorted(scores.items())), tuple(row[11]), tuple(sorted(row[12])),
        )  # fmt: skip

    @property
    def alert(self) -> tuple[str, str] | None:
        """The NEWS2 alert this set warrants, (kind, risk), by its band or a single red 3."""
        if self.risk in ("high", "medium"):
            return f"news2_{self.risk}", self.risk
        if self.red_score:
            return "news2_red_single", self.risk or ""
        return None

    @property
    def alert_rank(self) -> int:
        """The rank of that alert (0: none)."""
        return NEWS2_RANK[self.alert[0]] if self.alert else 0

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


def _scale_at(history: Sequence[tuple[datetime, int]], at: datetime) -> SpO2Scale:
    """The SpO2 scale in force at `at`: the latest setting made by then, else scale 1."""
    scale = 1
    for set_at, value in history:
        if set_at > at:
            break
        scale = value
    return SpO2Scale(scale)


def _scales(raw: object) -> list[tuple[datetime, int]]:
    data = orjson.loads(raw) if isinstance(raw, str | bytes) else raw or ()
    return [(datetime.fromisoformat(at), int(scale)) for at, scale in data]  # type: ignore[union-attr]


@dataclass(slots=True)
class _Context:
    """What scoring needs to know of one admission besides its readings."""

    scales: list[tuple[datetime, int]]
    rules: list[ThresholdRule]
    superseded: list[bytes]


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
    touched: dict[uuid.UUID, list[datetime]] = {}
    for item in stored:
        reading, target = item.reading, item.attribution
        wards[target.admission_id] = target.ward_id
        if MEASURE_BY_CODE[reading.code] in NEWS2_MEASURES:
            touched.setdefault(target.admission_id, []).append(reading.observed_at)
    admissions = sorted(wards)
    for admission_id in admissions:  # sorted, so concurrent batches cannot deadlock
        await conn.execute(_LOCK, f"alerts:{admission_id}")
    context = {
        row[0]: _Context(_scales(row[1]), _rules(row[2]), list(row[3]))
        for row in await conn.fetch(_CONTEXT, admissions)
    }
    candidates = _threshold_candidates(stored, context, alert_after)
    superseded = [item.supersedes for item in stored if item.supersedes is not None]
    if superseded:
        for admission_id, at in await conn.fetch(_SUPERSEDED_AT, superseded):
            if admission_id in wards:
                touched.setdefault(admission_id, []).append(at)
    if touched:
        candidates += await _rescore(conn, touched, wards, context, settings, alert_after)
    return candidates


def _threshold_candidates(
    stored: Sequence[StoredReading], context: dict[uuid.UUID, _Context], alert_after: datetime
) -> list[AlertCandidate]:
    """One candidate per threshold rule a fresh reading breaches."""
    candidates: list[AlertCandidate] = []
    seen_rules: set[str] = set()
    for item in stored:
        reading, target = item.reading, item.attribution
        found = context.get(target.admission_id)
        if found is None or not found.rules or item.withdrawn or reading.observed_at < alert_after:
            continue
        for breach in breaches(reading, found.rules):
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
    return candidates


async def _rescore(
    conn: asyncpg.Connection,
    touched: dict[uuid.UUID, list[datetime]],
    wards: dict[uuid.UUID, uuid.UUID],
    context: dict[uuid.UUID, _Context],
    settings: IngestSettings,
    alert_after: datetime,
) -> list[AlertCandidate]:
    """Re-form the sets ending in the spans the batch touched; store what changed.

    Returns alert candidates for the sets that are new or whose alert rank rose, oldest first.
    """
    window = timedelta(minutes=settings.observation_window_minutes)
    gap = timedelta(seconds=settings.observation_round_gap_seconds)
    ids, los, his = [], [], []
    for admission_id in sorted(touched):
        for lo, hi in affected_spans(touched[admission_id], window=window, gap=gap):
            ids.append(admission_id)
            los.append(lo)
            his.append(hi)
    before: dict[tuple[uuid.UUID, datetime], tuple[uuid.UUID, _Set]] = {
        (row[0], row[3]): (row[1], _Set.of(row)) for row in await conn.fetch(_STORED, ids, los, his)
    }
    superseded = sorted({k for a in touched for k in context[a].superseded})
    groups: dict[tuple[uuid.UUID, datetime], list[asyncpg.Record]] = {}
    rows = await conn.fetch(
        _SETS, ids, los, his, window, gap, NEWS2_CODES, superseded,
        settings.observation_round_gap_seconds,
    )  # fmt: skip
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)

    writes: list[tuple[object, ...]] = []
    candidates: list[AlertCandidate] = []
    written: dict[uuid.UUID, tuple[datetime, datetime]] = {}  # first and last set written
    ends = set(groups)
    stale = {key: value for key, value in before.items() if key not in ends}
    for (admission_id, end), group in groups.items():
        formed, used_keys = _form(group, window)
        if formed is None:
            continue
        scale = _scale_at(context[admission_id].scales, end)
        result = score(formed.observations, scale=scale)
        new = _Set(
            formed.window_start, end, int(scale), result.aggregate, result.lower_bound,
            str(result.band) if result.band else None, result.complete, result.red_score,
            tuple(sorted((str(p), s) for p, s in result.parameter_scores.items())),
            tuple(str(p) for p in result.missing), tuple(sorted(used_keys)),
        )  # fmt: skip
        prior = before.get((admission_id, end))
        if prior is not None and prior[1] == new:
            continue  # unchanged: neither written again nor alerted again
        writes.append(new.upsert_args(admission_id, wards[admission_id]))
        first, last = written.get(admission_id, (end, end))
        written[admission_id] = (min(first, end), max(last, end))
        alert = new.alert
        # What this set replaces: its own earlier version, and sets that ended inside its
        # window but no longer end (a round that grew); it pages only if it ranks higher.
        replaced = [prior[1]] if prior is not None else []
        replaced += [
            old for (a, old_end), (_, old) in stale.items()
            if a == admission_id and end - window <= old_end <= end
        ]  # fmt: skip
        risen = new.alert_rank > max((old.alert_rank for old in replaced), default=0)
        if alert is not None and risen and end >= alert_after:
            kind, risk = alert
            detail = _news2_detail(result, risk, scale, end)
            candidates.append(
                AlertCandidate(
                    admission_id, wards[admission_id], kind, detail,
                    news2_score=result.aggregate, risk=risk or None,
                    reading_keys=tuple(used_keys),
                )
            )  # fmt: skip
    if stale:  # sets that no longer end there
        await conn.execute(_DELETE_NEWS2, [set_id for set_id, _ in stale.values()])
    if writes:
        await conn.executemany(_UPSERT_NEWS2, writes)
    if written:
        candidates += await _rising(conn, written, wards, settings, alert_after)
    return candidates


async def _rising(
    conn: asyncpg.Connection,
    touched: dict[uuid.UUID, tuple[datetime, datetime]],
    wards: dict[uuid.UUID, uuid.UUID],
    settings: IngestSettings,
    alert_after: datetime,
) -> list[AlertCandidate]:
    """news2_rising candidates: sets the batch touched, or that a late set is a baseline for."""
    hours = settings.news2_trend_hours
    ids = sorted(touched)
    rows = await conn.fetch(
        _RISING, ids, [touched[a][0] for a in ids], timedelta(hours=hours), alert_after,
        settings.news2_trend_rise, [touched[a][1] for a in ids],
    )  # fmt: skip
    candidates = []
    for admission_id, end, aggregate, lower_bound, complete, risk, base_end, base_score in rows:
        state = f"NEWS2 {aggregate}" if complete else f"NEWS2 at least {lower_bound} (incomplete)"
        base_at = base_end.astimezone(UTC).isoformat()
        detail = (
            f"{state}, up from {base_score} within {hours:g} h (set ending {base_at}); "
            f"set ending {end.astimezone(UTC).isoformat()}"
        )
        candidates.append(
            AlertCandidate(
                admission_id, wards[admission_id], "news2_rising", detail,
                news2_score=aggregate, risk=risk,
                dedup_key=f"rising:{admission_id}:{base_at}",
            )
        )  # fmt: skip
    return candidates
