"""A simulated integrated care system driving the three services over HTTP, round by round.

Clock: the demo runs in **compressed rounds on real timestamps**. One round stands for six
simulated hours (four a simulated day): each active patient's device sends one set of vitals,
clinicians look at their alerts, and stays move on. A round takes `round_seconds` of wall time,
and every reading is stamped with the real time it was sent, never a future or back-dated
one, because monitoring_ingest only alerts on fresh readings and ward_api stamps admissions
with its own clock. So the stays are simulated days long in rounds but seconds long in wall
time, and ward_api's calendar length of stay is 0 days (see the package docstring).

Determinism: every random choice comes from `random.Random` streams seeded from the seed and
a name (per ward for referrals and who is referred; per patient for the illness course, the
device and the stay; per ward for the clinicians), drawn in a fixed order before the round's
requests go out concurrently. The same seed gives the same patients and illness courses; what
depends on the services' timing (the round a binding completes or an alert arrives in) can
shift a device's or a clinician's later choices.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from vward.demo import guide, wards
from vward.demo.areas import load_icbs
from vward.demo.client import ApiError, DemoClient, Vendor
from vward.demo.mix import (
    AreaSampler,
    sample_patient,
)
from vward.demo.payloads import Observed, build
from vward.demo.physiology import Connectivity, Physiology
from vward.demo.stats import DemoStats
from vward.demo.world import (
    DEFAULT_ICBS,
    ESCALATE,
    LOS_ROUNDS,
    RESOLUTION,
    ROUNDS_PER_DAY,
    VENDORS,
    WARD_TYPES,
    DemoConfig,
    PatientSim,
    WardSim,
    poisson,
)

__all__ = ["DEFAULT_ICBS", "DemoConfig", "Simulation"]


class Simulation:
    """Set up wards and vendors, then play rounds; `stats` shows what the services answered."""

    def __init__(self, config: DemoConfig, client: DemoClient, stats: DemoStats | None = None):
        self.config = config
        self.client = client
        self.stats = stats or DemoStats()
        self.wards: list[WardSim] = []
        self.vendors: dict[str, Vendor] = {}
        self.patients: list[PatientSim] = []
        self.by_admission: dict[str, PatientSim] = {}
        self.by_patient_id: dict[str, PatientSim] = {}
        self.alerts_seen: set[str] = set()
        self.alerts_acked: set[str] = set()
        self.round = 0
        self.today = datetime.now(UTC).date()
        self.run_tag = uuid.uuid4().hex[:6]  # device serials are new each run
        self._limit = asyncio.Semaphore(config.concurrency)

    def _rng(self, *name: object) -> random.Random:
        return random.Random(":".join(map(str, (self.config.seed, *name))))  # noqa: S311

    # ---- setup --------------------------------------------------------------------------

    async def setup(self) -> None:
        """Vendors, wards (reused by name across runs) and an empty start on each ward."""
        self.stats.phase = "registering vendors and wards"
        icbs = load_icbs(self.config.data_dir, self.config.icbs)
        for name, format_name, _ in VENDORS:
            self.vendors[format_name] = await self.client.register_vendor(name, format_name)
        hubs = ("native", "fhir")
        for icb_index, icb in enumerate(icbs):
            sampler = AreaSampler(icb)
            for type_index, (kind, pathways) in enumerate(WARD_TYPES):
                index = len(self.wards)
                ward = WardSim(
                    index=index,
                    icb=icb,
                    sampler=sampler,
                    name=f"Demo {kind} virtual ward, {icb.short_name}",
                    pathways=pathways,
                    hub=self.vendors[hubs[(icb_index + type_index) % 2]],
                    referrals=self._rng("referrals", index),
                    clinician=self._rng("clinician", index),
                )
                await wards.ensure_ward(self.client, ward, self.config.beds_per_ward, self.stats)
                self.wards.append(ward)
        self.stats.phase = "discharging patients left by an earlier run"
        for ward in self.wards:
            await wards.clear_ward(self.client, ward)

    # ---- rounds -------------------------------------------------------------------------

    async def play_round(self) -> None:
        """One round (six simulated hours) across every ward."""
        self.round += 1
        self.stats.round = self.round
        await self._referrals()
        await self._check_bindings()
        await self._monitor()
        await self._clinicians()
        await self._discharges()
        self.stats.on_ward = sum(p.on_ward for p in self.patients)
        self.stats.waiting = sum(p.state == "waiting" for p in self.patients)

    async def _gather(self, jobs: Iterable[Awaitable[Any]]) -> list[Any]:
        async def limited(job: Awaitable[Any]) -> Any:
            async with self._limit:
                return await job

        return await asyncio.gather(*(limited(j) for j in jobs))

    def _new_patient(self, ward: WardSim, *, initial: bool) -> PatientSim:
        pathway = ward.referrals.choices(list(ward.pathways), list(ward.pathways.values()))[0]
        index = len(self.patients)
        person = sample_patient(
            ward.referrals, ward.sampler, index=index, pathway=pathway, today=self.today
        )
        rng = self._rng("patient", index)  # stay length and outcome
        vendor = self.vendors["openmhealth"] if person.uses_app else ward.hub
        prefix = next(p for _, f, p in VENDORS if f == vendor.format)
        low, high = LOS_ROUNDS[pathway]
        planned = rng.randint(low, high)
        patient = PatientSim(
            person=person,
            ward=ward,
            vendor=vendor,
            device_id=f"{prefix}-{self.run_tag}-{index:05d}",
            rng=rng,
            physiology=Physiology(
                self._rng("physiology", index), pathway=pathway, deteriorates=person.deteriorates
            ),
            connectivity=Connectivity(
                self._rng("device", index),
                miss=person.miss_probability,
                outage=person.outage_probability,
            ),
            planned_rounds=planned,
            # The first patients are part-way through their stays when the demo starts.
            rounds_on_ward=rng.randrange(planned) if initial else 0,
        )
        self.patients.append(patient)
        return patient

    async def _referrals(self) -> None:
        mean_los = {p: sum(LOS_ROUNDS[p]) / 2 for p in LOS_ROUNDS}
        for ward in self.wards:
            if self.round == 1:
                count = round(0.75 * ward.beds)
            else:
                los = sum(mean_los[p] * w for p, w in ward.pathways.items())
                count = poisson(ward.referrals, 1.1 * ward.beds / los)
            for _ in range(count):
                await self._refer(self._new_patient(ward, initial=self.round == 1))

    async def _refer(self, patient: PatientSim) -> None:
        self.stats.referrals += 1
        person = patient.person
        try:
            patient.patient_id = await self.client.register_patient(person.registration())
            status, body = await self.client.admit(
                {
                    "patient_id": patient.patient_id,
                    "ward_id": patient.ward.id,
                    "pathway": person.pathway,
                    "referral_source": person.referral_source,
                    "urgency": person.urgency,
                    "device": {
                        "vendor_id": patient.vendor.id,
                        "device_id": patient.device_id,
                        "expected_interval_minutes": 1,
                    },
                }
            )
        except ApiError as exc:
            self.stats.error("referral", exc)
            patient.state = "discharged"
            return
        self.by_patient_id[patient.patient_id] = patient
        if status == 201:
            self._admitted(patient, str(body["id"]))
        elif str(body.get("type", "")).endswith("/ward-full"):
            patient.state = "waiting"
            self.stats.waitlisted += 1
        else:  # already on a ward (an NHS number reused from elsewhere): not ours to play
            patient.state = "discharged"

    def _admitted(self, patient: PatientSim, admission_id: str) -> None:
        patient.state, patient.admission_id = "admitted", admission_id
        patient.acvpu_due = self.round
        self.by_admission[admission_id] = patient
        self.stats.admitted += 1

    async def _check_bindings(self) -> None:
        pending = [p for p in self.patients if p.state == "admitted"]
        answers = await self._gather(
            self._safe("binding status", self.client.admission(p.admission_id or ""))
            for p in pending
        )
        for patient, answer in zip(pending, answers, strict=True):
            if answer is not None and answer["binding_status"] == "bound":
                patient.state = "monitored"

    async def _safe(self, what: str, job: Awaitable[Any]) -> Any:
        try:
            return await job
        except ApiError as exc:
            self.stats.error(what, exc)
        except Exception as exc:  # a timeout or a refused connection: count it, carry on
            self.stats.error(what, exc)
        return None

    async def _monitor(self) -> None:
        """Step every patient's physiology; their devices send (or miss) this round's vitals."""
        sends: dict[str, list[tuple[str, list[Observed]]]] = {f: [] for f in self.vendors}
        entries: list[tuple[PatientSim, list[dict[str, Any]]]] = []
        for patient in self.patients:
            if not patient.on_ward:
                continue
            patient.rounds_on_ward += 1
            patient.physiology.step()
            vitals = patient.physiology.vitals()  # drawn every round: same course, same seed
            if patient.state != "monitored":
                continue
            now = datetime.now(UTC)
            if patient.vendor.format == "openmhealth" and self.round >= patient.acvpu_due:
                # The app cannot report consciousness: a clinician records ACVPU at the daily
                # video review (and it stays in NEWS2's 15-minute window for the next sets).
                entries.append(
                    (patient, [{"code": "acvpu", "value": vitals.acvpu, "at": now.isoformat()}])
                )
                patient.acvpu_due = self.round + ROUNDS_PER_DAY
            rng = patient.connectivity.rng
            if not patient.connectivity.delivers():
                self.stats.rounds_missed += 1
                self.stats.rounds_missed_excluded += patient.person.digitally_excluded_area
                continue
            observed = Observed(self.round, now, vitals, artifact=rng.random() < 0.015)
            batch = [observed]
            if patient.last_sent is not None and rng.random() < 0.03:
                batch.insert(0, patient.last_sent)  # a retry after a lost acknowledgement
            patient.last_sent = observed
            sends[patient.vendor.format].append((patient.device_id, batch))
        entry_reports = await self._gather(
            self._safe("clinician entry", self.client.enter_readings(p.admission_id or "", r))
            for p, r in entries
        )
        self.stats.clinician_entries += sum(r is not None for r in entry_reports)
        size = self.config.devices_per_request
        requests = [
            (self.vendors[format_name], devices[start : start + size])
            for format_name, devices in sends.items()
            for start in range(0, len(devices), size)
        ]
        reports = await self._gather(
            self._safe(
                "send readings",
                self.client.send_readings(vendor, build(vendor.format, devices)),
            )
            for vendor, devices in requests
        )
        for (vendor, _), report in zip(requests, reports, strict=True):
            if report is not None:
                self.stats.count_ingest(vendor.format, report)

    async def _clinicians(self) -> None:
        """Each ward's team works its open alerts: acknowledge, decide, resolve."""
        lists = await self._gather(
            self._safe("list alerts", self.client.open_alerts(w.id)) for w in self.wards
        )
        acks: list[str] = []
        resolves: list[tuple[str, str]] = []
        for ward, alerts in zip(self.wards, lists, strict=True):
            for alert in sorted(alerts or [], key=lambda a: (a["raised_at"], a["id"])):
                alert_id, kind = str(alert["id"]), alert["kind"]
                if alert_id not in self.alerts_seen:
                    self.alerts_seen.add(alert_id)
                    self.stats.alerts_delivered[kind] += 1
                patient = self.by_admission.get(str(alert["admission_id"]))
                if patient is None or not patient.on_ward:
                    resolves.append((alert_id, "patient no longer on the virtual ward"))
                    continue
                if alert["acknowledged_at"] is not None or alert_id in self.alerts_acked:
                    resolves.append((alert_id, RESOLUTION.get(kind, "reviewed; no action")))
                    continue
                if kind != "news2_high" and ward.clinician.random() > 0.7:
                    continue  # not reached this round
                acks.append(alert_id)
                self._decide(ward, patient, kind)
        results = await self._gather(
            self._safe("acknowledge alert", self.client.acknowledge(a)) for a in acks
        )
        for alert_id, result in zip(acks, results, strict=True):
            if result is not None:
                self.alerts_acked.add(alert_id)
                self.stats.alerts_acknowledged += 1
        done = await self._gather(
            self._safe("resolve alert", self.client.resolve(a, note)) for a, note in resolves
        )
        self.stats.alerts_resolved += sum(d is not None for d in done)

    def _decide(self, ward: WardSim, patient: PatientSim, kind: str) -> None:
        if kind == "missed_readings":
            if ward.clinician.random() < 0.6:
                patient.connectivity.offline_rounds = 0  # a phone call gets the hub back online
            return
        if ward.clinician.random() < ESCALATE.get(kind, 0.0):
            patient.escalate = f"escalated after a {kind} alert"
        else:  # treated at home: the illness peaks here
            patient.physiology.peak = min(patient.physiology.peak, patient.physiology.severity)

    async def _discharges(self) -> None:
        on_ward = sorted(
            (p for p in self.patients if p.on_ward), key=lambda p: (p.ward.index, p.person.index)
        )
        for patient in on_ward:
            outcome = self._outcome(patient)
            if outcome is not None:
                await self._discharge(patient, outcome)

    def _outcome(self, patient: PatientSim) -> str | None:
        if patient.escalate or patient.physiology.needs_hospital:
            return "escalated_to_hospital"
        if patient.rounds_on_ward < patient.planned_rounds:
            return None
        if patient.physiology.severity > 2.2:
            patient.planned_rounds += ROUNDS_PER_DAY  # not well enough yet: another day
            return None
        return "self_discharged" if patient.rng.random() < 0.04 else "completed"

    async def _discharge(self, patient: PatientSim, outcome: str) -> None:
        try:
            answer = await self.client.discharge(patient.admission_id or "", outcome)
        except ApiError as exc:
            self.stats.error("discharge", exc)
            return
        patient.state = "discharged"
        self.stats.discharges[outcome] += 1
        head = answer.get("admitted_from_waitlist")
        if head:
            waiting = self.by_patient_id.get(str(head["patient_id"]))
            if waiting is not None and waiting.state == "waiting":
                self._admitted(waiting, str(head["id"]))
                self.stats.admitted_from_waitlist += 1
            else:  # someone an earlier run left waiting: not ours to play
                await self._safe("discharge", self.client.discharge(str(head["id"]), "completed"))

    # ---- equity -------------------------------------------------------------------------

    async def cost_inclusion(self) -> None:
        """A costed inclusion plan for the demo's ICBs (10 new beds each); saved if asked."""
        codes = list(dict.fromkeys(w.icb.code for w in self.wards))
        if not codes:
            return
        plan = await self._safe(
            "inclusion plan", self.client.inclusion_plan(codes, new_beds=10 * len(codes))
        )
        if plan is None:
            return
        self.stats.inclusion_plans += 1
        out = self.config.out_dir
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "inclusion_plan.json").write_bytes(
                orjson.dumps(plan, option=orjson.OPT_INDENT_2)
            )

    async def refresh_equity(self) -> None:
        """Pull ward_api's aggregates into equity_audit; save the HTML reports if asked."""
        if await self._safe("refresh snapshot", self.client.refresh_snapshot()) is None:
            return
        self.stats.snapshots += 1
        out = self.config.out_dir
        if out is None:
            return
        out.mkdir(parents=True, exist_ok=True)
        for icb in [None, *(w.icb for w in self.wards[:: len(WARD_TYPES)])]:
            response = await self._safe(
                "equity report", self.client.audit(icb.code if icb else None, "html")
            )
            if response is not None:
                name = f"equity_{icb.code if icb else 'england'}.html"
                (out / name).write_bytes(response.content)

    # ---- the whole run ------------------------------------------------------------------

    async def run(
        self,
        stop: Callable[[], bool] = lambda: False,
        on_first_pass: Callable[[Simulation], None] | None = None,
    ) -> DemoStats:
        """Set up, play the first pass, refresh equity; then trickle until told to stop."""
        config = self.config
        started = time.monotonic()

        def out_of_time() -> bool:
            return stop() or (
                config.duration is not None and time.monotonic() - started >= config.duration
            )

        ready = 60.0 if config.duration is None else min(60.0, config.duration)
        await self.client.wait_ready(within=ready)
        await self.setup()
        self.stats.rounds_planned = config.first_pass_rounds
        self.stats.phase = "first pass"
        while self.round < config.first_pass_rounds and not out_of_time():
            await self._paced(config.round_seconds)
        self.stats.phase = "refreshing the equity snapshot"
        await self.refresh_equity()
        await self.cost_inclusion()
        if on_first_pass is not None:
            on_first_pass(self)
        if not config.trickle:
            self.stats.phase = "done"
            return self.stats
        self.stats.phase = "trickling (Ctrl-C stops)"
        while not out_of_time():
            await self._paced(config.trickle_round_seconds, out_of_time)
            if self.round % config.refresh_every_rounds == 0:
                await self.refresh_equity()
        await self.refresh_equity()
        self.stats.phase = "stopped"
        return self.stats

    async def _paced(self, seconds: float, stop: Callable[[], bool] = lambda: False) -> None:
        began = time.monotonic()
        await self.play_round()
        # `stop` may be set from another thread (vward up), so it is polled, not awaited.
        while time.monotonic() - began < seconds and not stop():  # noqa: ASYNC110
            await asyncio.sleep(min(0.2, seconds))

    def where_to_look(self) -> list[str]:
        """Commands a newcomer can paste to see the caseloads, capacity and equity reports."""
        return guide.where_to_look(self.config, self.wards)
