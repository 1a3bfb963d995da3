"""A living demo: a simulated integrated care system driving the three services over HTTP.

`vward up --demo` starts it once the services are ready and keeps it trickling until Ctrl-C;
`vward demo [--duration N]` runs it against services that are already running. It talks to
the services only over their public HTTP APIs, with tokens minted from VWARD_JWT_SECRET as
`vward token` does, and vendor requests signed with the keys monitoring_ingest issued.

What it does: six wards (acute respiratory and heart failure; frailty) in three ICBs of
contrasting deprivation and digital exclusion; synthetic patients (999 NHS numbers, no names)
referred from real LSOAs (`mix`), admitted or wait-listed, with a device bound by ward_api;
three vendors posting native JSON, FHIR Bundles and Open mHealth (`payloads`) with vitals from
a physiological random walk and patchy connectivity (`physiology`); NEWS2 and missed-readings
alerts that monitoring_ingest relays to ward_api, worked by simulated clinicians; discharges
(completed, self-discharged, escalated to hospital); equity_audit's uptake snapshot refreshed
after the first pass and every few rounds after, with the HTML reports saved.

Clock ("compressed rounds on real timestamps"): a round is six simulated hours and takes a
second or two; every reading is stamped with the wall-clock time it is sent. Readings are
never in the future and never back-dated: monitoring_ingest alerts only on fresh readings
and ward_api stamps admissions with its own clock, so back-dating a simulated week is not
possible through the APIs. Consequences: ward_api's calendar length of stay is 0 days, and
device completeness (one reading expected per `expected_interval_minutes`, at least 1) has
little to count over stays that last seconds. `vward up --demo` compresses monitoring_ingest's
missed-readings clock to match (DEMO_INGEST_ENV: alert after 15 s of silence, checked every
5 s); against services run otherwise, missed-readings alerts need 2 minutes of silence.

Modules: `areas` (real LSOAs from the reference data), `mix` (the patient-mix model),
`physiology`, `payloads`, `client` (the HTTP calls), `simulator` (the rounds), `stats` (live
counters) and `runner` (terminal view and thread for `vward up`).
"""

from vward.demo.runner import run_demo
from vward.demo.simulator import DEFAULT_ICBS, DemoConfig, Simulation

__all__ = ["DEFAULT_ICBS", "DemoConfig", "Simulation", "run_demo"]
