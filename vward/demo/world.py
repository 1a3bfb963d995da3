"""Who is in the simulated integrated care system: the demo's settings, wards and patients."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from shared.settings import DEFAULT_DATA_DIR
from vward.demo.areas import Icb
from vward.demo.client import ServiceUrls, Vendor
from vward.demo.mix import FRAILTY, HEART_FAILURE, RESPIRATORY, AreaSampler, SyntheticPatient
from vward.demo.payloads import Observed
from vward.demo.physiology import Connectivity, Physiology

ROUNDS_PER_DAY = 4
# Mixed (Cheshire and Merseyside), rural and coastal (Cornwall), affluent (Surrey Heartlands).
DEFAULT_ICBS = ("E54000008", "E54000036", "E54000052")
VENDORS = (  # (name, format, device serial prefix)
    ("Demo Oxypoint home hub", "native", "OXP"),
    ("Demo CareBridge FHIR hub", "fhir", "CBF"),
    ("Demo Wellwave app", "openmhealth", "WWA"),
)
WARD_TYPES = (  # (name, pathways with referral weights)
    ("acute respiratory and heart failure", {RESPIRATORY: 0.6, HEART_FAILURE: 0.4}),
    ("frailty", {FRAILTY: 1.0}),
)
LOS_ROUNDS = {RESPIRATORY: (4, 12), HEART_FAILURE: (6, 16), FRAILTY: (6, 16)}
PROVIDER = ("XDEMO", "Demo community provider (synthetic)")
ESCALATE = {"news2_high": 0.7, "news2_medium": 0.2, "news2_red_single": 0.1}
RESOLUTION = {
    "missed_readings": "phoned the patient; device back online",
    "news2_high": "reviewed; treatment started at home",
    "news2_medium": "reviewed by video call; plan updated",
}


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """How big, how fast and how long the demo runs (defaults: ~40 s first pass)."""

    seed: int = 7
    icbs: tuple[str, ...] = DEFAULT_ICBS
    beds_per_ward: int = 12
    days: float = 6.0  # simulated days in the first pass
    round_seconds: float = 1.5  # wall seconds a round takes, at least, in the first pass
    trickle: bool = True  # after the first pass keep going, slower, until stopped
    trickle_round_seconds: float = 6.0
    duration: float | None = None  # stop after this many wall seconds in all
    refresh_every_rounds: int = 8  # equity snapshot refresh cadence while trickling
    concurrency: int = 8  # requests in flight at once
    devices_per_request: int = 16  # a vendor forwards this many devices' readings at once
    data_dir: Path = DEFAULT_DATA_DIR
    out_dir: Path | None = None  # where to save the equity HTML reports, if anywhere
    urls: ServiceUrls = field(default_factory=ServiceUrls)

    @property
    def first_pass_rounds(self) -> int:
        return max(1, math.ceil(self.days * ROUNDS_PER_DAY))


@dataclass(eq=False)
class WardSim:
    index: int
    icb: Icb
    sampler: AreaSampler
    name: str
    pathways: dict[str, float]
    hub: Vendor
    referrals: random.Random
    clinician: random.Random
    id: str = ""
    beds: int = 0


@dataclass(eq=False)
class PatientSim:
    person: SyntheticPatient
    ward: WardSim
    vendor: Vendor
    device_id: str
    rng: random.Random
    physiology: Physiology
    connectivity: Connectivity
    planned_rounds: int
    rounds_on_ward: int = 0
    state: str = "referred"  # referred | waiting | admitted | monitored | discharged
    patient_id: str | None = None
    admission_id: str | None = None
    last_sent: Observed | None = None
    acvpu_due: int = 0
    escalate: str | None = None  # why the patient goes to hospital this round

    @property
    def on_ward(self) -> bool:
        return self.state in ("admitted", "monitored")


def poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
