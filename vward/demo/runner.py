"""Run a simulation with a live terminal view, then say where to look."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable

from rich.console import Console
from rich.live import Live

from shared.auth import TokenCodec
from shared.settings import DEV_JWT_SECRET
from vward.demo.client import DemoClient, Tokens
from vward.demo.simulator import DemoConfig, Simulation

__all__ = ["DEMO_INGEST_ENV", "run_demo", "start_demo_thread", "token_codec"]

# The demo's clock is compressed (a round of six simulated hours takes seconds), and devices
# can promise a reading at most once a minute; so under `vward up --demo` monitoring_ingest
# raises a missed-readings alert after 15 s of silence instead of 2 minutes, the NEWS2-paced
# intervals shrink to match (hourly: about 15 s; 12-hourly: about 3 minutes), and it checks
# every 5 s instead of every minute. Values already in the environment win.
DEMO_INGEST_ENV = {
    "INGEST_MISSED_READINGS_FACTOR": "0.25",
    "INGEST_PACING_CLOCK_SCALE": "0.004",
    "INGEST_MAINTENANCE_INTERVAL_SECONDS": "5",
}


def token_codec() -> TokenCodec:
    """The codec `vward token` uses: VWARD_JWT_SECRET, issuer and audience from the env."""
    return TokenCodec(
        os.environ.get("VWARD_JWT_SECRET", DEV_JWT_SECRET),
        issuer=os.environ.get("VWARD_JWT_ISSUER", "vward"),
        audience=os.environ.get("VWARD_JWT_AUDIENCE", "vward"),
    )


async def run_demo(
    config: DemoConfig,
    *,
    stop: Callable[[], bool] = lambda: False,
    console: Console | None = None,
    live: bool = True,
    announce: bool = True,
    codec: TokenCodec | None = None,
) -> Simulation:
    """Play the demo until it finishes or `stop()`; with `live`, counters on the terminal.

    `announce`: print where to look once the first pass is done (for runs that go on).
    """
    client = DemoClient(config.urls, Tokens(codec or token_codec()))
    simulation = Simulation(config, client)
    console = console or Console()

    def first_pass_done(sim: Simulation) -> None:
        if live and announce:
            console.print("[bold green]First pass done.[/] Where to look:")
            for line in sim.where_to_look():
                console.print(line, highlight=False, soft_wrap=True)

    try:
        if not live:
            await simulation.run(stop, first_pass_done)
            return simulation
        with Live(simulation.stats.render(), console=console, auto_refresh=False) as view:
            task = asyncio.ensure_future(simulation.run(stop, first_pass_done))
            while not task.done():
                view.update(simulation.stats.render(), refresh=True)
                await asyncio.wait({task}, timeout=0.25)
            view.update(simulation.stats.render(), refresh=True)
        if not console.is_terminal:
            console.print()  # a redirected Live leaves its last frame unterminated
        task.result()
        return simulation
    finally:
        await client.aclose()


def start_demo_thread(
    config: DemoConfig, stop: threading.Event, console: Console | None = None
) -> threading.Thread:
    """Run the demo on its own event loop in a thread (`vward up` keeps the main thread)."""
    console = console or Console()

    def play() -> None:
        try:
            asyncio.run(run_demo(config, stop=stop.is_set, console=console))
        except Exception as exc:  # the platform keeps running; say why the demo stopped
            console.print(f"[red]demo stopped:[/] {exc}")

    thread = threading.Thread(target=play, name="vward-demo", daemon=True)
    thread.start()
    return thread
