"""Vital signs as a simple physiological random walk, and a device's patchy connectivity.

One latent number, illness severity s >= 0, drives all seven NEWS2 parameters. Patients
arrive unwell (s uniform in 0.5-2.0) and most recover: s drifts down 0.12 a round with noise
(sd 0.2). A deteriorating patient starts to worsen 1-4 rounds after admission, drifting up
0.45 a round, until a peak drawn from 2.5-5.5 after which they recover again, unless a
clinician escalates them to hospital first. Each round's vitals are
    RR = 15 + 2.3 s        SpO2 = 96 - 1.5 s (95 on the respiratory pathway)
    HR = 76 + 8 s          SBP = 130 - 7 s, DBP = 78 - 3 s
    T = 36.9 + 0.35 s (respiratory) or + 0.15 s
plus measurement noise; supplemental oxygen from s > 3.8 on the respiratory and heart
failure pathways, and new confusion from s > 4.5 (from s > 3.8 on the frailty pathway). So
s around 1 scores NEWS2 0-2, s = 3 scores about 6-7 (medium), s = 4 about 8+ (high).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Connectivity", "Physiology", "Vitals"]

_RESPIRATORY = "acute_respiratory_infection"
_FRAILTY = "frailty"
MAX_SEVERITY = 6.0
HOSPITAL_SEVERITY = 5.2  # past this the patient (or family) calls 999 whatever the ward does


@dataclass(frozen=True, slots=True)
class Vitals:
    """One round of observations, in NEWS2 units."""

    respiratory_rate: int  # /min
    spo2: int  # %
    on_oxygen: bool
    oxygen_flow: float  # L/min, 0 on room air
    systolic_bp: int  # mmHg
    diastolic_bp: int
    heart_rate: int  # /min
    temperature: float  # Cel
    acvpu: str  # A, C, V, P or U


class Physiology:
    """A patient's severity and its walk; `step()` advances one round (6 simulated hours)."""

    def __init__(self, rng: random.Random, *, pathway: str, deteriorates: bool) -> None:
        self.rng = rng
        self.pathway = pathway
        self.severity = rng.uniform(0.5, 2.0)
        self.onset = rng.randint(1, 4) if deteriorates else None
        self.peak = rng.uniform(2.5, 5.5)
        self.rounds = 0
        self.worsening = False

    def step(self) -> None:
        self.rounds += 1
        if self.onset is not None and self.rounds >= self.onset:
            self.worsening = self.severity < self.peak
            if not self.worsening:
                self.onset = None  # past the peak: recovering from here on
        drift, noise = (0.45, 0.25) if self.worsening else (-0.12, 0.2)
        self.severity = min(
            MAX_SEVERITY, max(0.0, self.severity + drift + self.rng.gauss(0, noise))
        )

    @property
    def needs_hospital(self) -> bool:
        return self.severity >= HOSPITAL_SEVERITY

    def vitals(self) -> Vitals:
        s, g = self.severity, self.rng.gauss
        base_spo2 = 95.0 if self.pathway == _RESPIRATORY else 96.0
        fever = 0.35 if self.pathway == _RESPIRATORY else 0.15
        on_oxygen = s > 3.8 and self.pathway != _FRAILTY
        confused = s > (3.8 if self.pathway == _FRAILTY else 4.5)
        spo2 = base_spo2 - 1.5 * s + g(0, 0.7) + (2.0 if on_oxygen else 0.0)
        return Vitals(
            respiratory_rate=round(max(6.0, 15 + 2.3 * s + g(0, 1.2))),
            spo2=round(min(100.0, max(70.0, spo2))),
            on_oxygen=on_oxygen,
            oxygen_flow=2.0 if on_oxygen else 0.0,
            systolic_bp=round(max(60.0, 130 - 7 * s + g(0, 6))),
            diastolic_bp=round(max(35.0, 78 - 3 * s + g(0, 4))),
            heart_rate=round(max(35.0, 76 + 8 * s + g(0, 4))),
            temperature=round(36.9 + fever * s + g(0, 0.15), 1),
            acvpu="C" if confused else "A",
        )


class Connectivity:
    """Whether a device's reading gets through this round: random misses and outages."""

    def __init__(self, rng: random.Random, *, miss: float, outage: float) -> None:
        self.rng = rng
        self.miss = miss
        self.outage = outage
        self.offline_rounds = 0

    def delivers(self) -> bool:
        """Draw this round: False while offline or on a random miss."""
        if self.offline_rounds > 0:
            self.offline_rounds -= 1
            return False
        if self.rng.random() < self.outage:
            self.offline_rounds = self.rng.randint(6, 12) - 1
            return False
        return self.rng.random() >= self.miss
