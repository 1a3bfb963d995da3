"""The `vward` command: run the platform, migrate the database, issue development tokens."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shared.auth import Role, TokenCodec
from shared.settings import DEV_JWT_SECRET, DataSettings

if TYPE_CHECKING:
    from vward.demo import DemoConfig
    from vward.demo.client import ServiceUrls
    from vward.platform import Platform

app = typer.Typer(help="vward: NHS virtual-ward platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
data_app = typer.Typer(help="Public reference data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

# The data directory is the services' `data_dir` setting (VWARD_DATA_DIR); --data-dir wins.
DataDirOption = Annotated[
    Path | None,
    typer.Option(help="Public reference data directory (default: the VWARD_DATA_DIR setting)."),
]


def _data_dir(option: Path | None) -> Path:
    return DataSettings().data_dir if option is None else option.expanduser()


def _add_service_commands() -> None:
    """Each service may ship a typer sub-app in services/<name>/cli.py (`vward ward ...`)."""
    import importlib

    for command, module_name in (
        ("ward", "services.ward_api.cli"),
        ("ingest", "services.monitoring_ingest.cli"),
        ("equity", "services.equity_audit.cli"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        app.add_typer(module.app, name=command)


_add_service_commands()


def _database_url() -> tuple[str, bool]:
    """DATABASE_URL if set, else the embedded server (started on demand); and which."""
    from shared.db_url import resolve_database_url

    external = bool(os.environ.get("DATABASE_URL"))
    return resolve_database_url(), not external


@db_app.command("upgrade")
def db_upgrade(target: str = "heads") -> None:
    """Apply migrations (all service branches by default)."""
    from shared.migrate import upgrade

    url, _ = _database_url()
    upgrade(url, target)
    typer.echo(f"migrated to {target}")


@db_app.command("downgrade")
def db_downgrade(target: str = typer.Argument(..., help="e.g. base, or ward_api@-1")) -> None:
    """Revert migrations to a target."""
    from shared.migrate import downgrade

    url, _ = _database_url()
    downgrade(url, target)
    typer.echo(f"downgraded to {target}")


@data_app.command("load")
def data_load(
    data_dir: DataDirOption = None,
) -> None:
    """Load (or refresh) every service's reference data; safe to repeat."""
    from vward.reference import load_all

    url, _ = _database_url()
    for line in load_all(url, _data_dir(data_dir)):
        typer.echo(line)


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="Role the token carries.")],
    subject: Annotated[str, typer.Option(help="Who the token is for.")] = "dev-user",
    icb: Annotated[
        list[str] | None, typer.Option(help="ICB code in scope (repeat; * = all).")
    ] = None,
    ward: Annotated[
        list[str] | None, typer.Option(help="Ward id in scope (repeat; * = all).")
    ] = None,
    vendor: Annotated[str | None, typer.Option(help="Vendor the token acts for.")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a development bearer token signed with VWARD_JWT_SECRET."""
    secret = os.environ.get("VWARD_JWT_SECRET", DEV_JWT_SECRET)
    codec = TokenCodec(
        secret,
        issuer=os.environ.get("VWARD_JWT_ISSUER", "vward"),
        audience=os.environ.get("VWARD_JWT_AUDIENCE", "vward"),
    )
    typer.echo(
        codec.issue(
            subject=subject,
            role=role,
            icbs=icb or (),
            wards=ward or (),
            vendor=vendor,
            ttl_seconds=ttl,
        )
    )


class _Stop(Exception):
    """Raised from a signal handler to unwind `vward up` through its cleanup."""


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


_DemoSeed = Annotated[int, typer.Option("--demo-seed", help="Demo random seed.")]
_DemoBeds = Annotated[int, typer.Option("--demo-beds", help="Beds per demo ward (6 wards).")]
_DemoDays = Annotated[
    float, typer.Option("--demo-days", help="Simulated days in the demo's first pass.")
]


def _demo_config(
    *, seed: int, beds: int, days: float, data_dir: Path, urls: ServiceUrls, **extra: Any
) -> DemoConfig:
    """The demo's settings from the command line; HTML reports go to .vward/demo/."""
    from vward.demo import DemoConfig

    return DemoConfig(
        seed=seed,
        beds_per_ward=beds,
        days=days,
        data_dir=data_dir,
        urls=urls,
        out_dir=Path(".vward") / "demo",
        **extra,
    )


def _prepare(url: str, data_dir: Path) -> None:
    """Migrate the database and load the reference data, saying so."""
    from shared.migrate import upgrade
    from vward.reference import load_all

    upgrade(url)
    typer.echo("migrations: applied")
    for line in load_all(url, data_dir):
        typer.echo(f"reference data: {line}")


def _watch(platform: Platform) -> bool:
    """Wait until a service exits (True: it crashed); a stop signal raises _Stop instead."""
    while True:
        for name, service in platform.running.items():
            if service.process.poll() is not None:
                typer.echo(f"{name} exited ({service.process.returncode}); stopping", err=True)
                return True
        time.sleep(0.5)


@app.command()
def up(
    data_dir: DataDirOption = None,
    stop_database: Annotated[bool, typer.Option(help="Stop the embedded database on exit.")] = True,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Once the services are ready, run a simulated integrated care system "
            "against them (see `vward demo --help`) until Ctrl-C.",
        ),
    ] = False,
    demo_seed: _DemoSeed = 7,
    demo_beds: _DemoBeds = 12,
    demo_days: _DemoDays = 6.0,
) -> None:
    """Start the database, migrate, load reference data and serve all three services."""
    import threading

    from shared.db_url import embedded_port
    from shared.embedded_pg import EmbeddedPostgres
    from vward.demo.client import ServiceUrls
    from vward.demo.runner import DEMO_INGEST_ENV, start_demo_thread
    from vward.platform import Platform

    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in stop_signals:
        signal.signal(signum, _raise_stop)
    embedded = not os.environ.get("DATABASE_URL")
    platform: Platform | None = None
    crashed = False
    demo_stop = threading.Event()
    demo_thread: threading.Thread | None = None
    try:
        url, embedded = _database_url()
        typer.echo(f"database: {'embedded PostgreSQL' if embedded else 'DATABASE_URL'} ready")
        _prepare(url, _data_dir(data_dir))
        log_dir = Path(".vward") / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        extra_env = {k: os.environ.get(k, v) for k, v in DEMO_INGEST_ENV.items()} if demo else {}
        platform = Platform(database_url=url, log_dir=str(log_dir), extra_env=extra_env)
        platform.start_all()
        platform.wait_all_ready()
        for name, service in platform.running.items():
            typer.echo(f"{name:18} {service.url}  (docs: {service.url}/docs)")
        typer.echo("token: .venv/bin/vward token --role admin   (see --help for scopes)")
        typer.echo(f"logs: {log_dir}/  -- Ctrl-C stops everything")
        if demo:
            urls = ServiceUrls(
                platform.url_of("ward_api"),
                platform.url_of("monitoring_ingest"),
                platform.url_of("equity_audit"),
            )
            config = _demo_config(
                seed=demo_seed,
                beds=demo_beds,
                days=demo_days,
                data_dir=_data_dir(data_dir),
                urls=urls,
            )
            demo_thread = start_demo_thread(config, demo_stop)
        crashed = _watch(platform)
    except _Stop as stop:
        typer.echo(f"{stop}: stopping")
    except Exception as exc:
        crashed = True
        typer.echo(f"vward up failed: {exc}", err=True)
    finally:
        for signum in stop_signals:
            signal.signal(signum, signal.SIG_IGN)  # finish cleaning up whatever comes
        demo_stop.set()
        if demo_thread is not None:
            demo_thread.join(timeout=30)  # its last round and equity refresh, then stop
        if platform is not None:
            platform.stop_all()
        if embedded and stop_database:
            EmbeddedPostgres(port=embedded_port()).stop()
        typer.echo("stopped")
    sys.exit(1 if crashed else 0)


@app.command("demo")
def demo_command(
    duration: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds (default: run until Ctrl-C)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same patients.")] = 7,
    beds: Annotated[int, typer.Option(help="Beds per ward (two wards per ICB).")] = 12,
    days: Annotated[float, typer.Option(help="Simulated days in the first pass.")] = 6.0,
    icb: Annotated[
        list[str] | None, typer.Option(help="ICB code (E54... or Q...; repeat). Default: 3.")
    ] = None,
    ward_api: Annotated[str, typer.Option(help="ward_api base URL.")] = "http://127.0.0.1:8001",
    monitoring_ingest: Annotated[
        str, typer.Option(help="monitoring_ingest base URL.")
    ] = "http://127.0.0.1:8002",
    equity_audit: Annotated[
        str, typer.Option(help="equity_audit base URL.")
    ] = "http://127.0.0.1:8003",
    data_dir: DataDirOption = None,
) -> None:
    """Simulate wards, patients, devices and clinicians against running services.

    Synthetic patients in real LSOAs of three ICBs; three device vendors posting
    native JSON, FHIR and Open mHealth; NEWS2 alerts worked by simulated clinicians;
    equity_audit refreshed. Needs the services up and the same VWARD_JWT_SECRET.
    """
    import asyncio
    import threading

    from vward.demo import DEFAULT_ICBS, run_demo
    from vward.demo.client import ServiceUrls

    config = _demo_config(
        seed=seed,
        beds=beds,
        days=days,
        data_dir=_data_dir(data_dir),
        urls=ServiceUrls(ward_api, monitoring_ingest, equity_audit),
        icbs=tuple(icb or DEFAULT_ICBS),
        duration=duration,
    )
    stop = threading.Event()

    def stop_gently(signum: int, _frame: object) -> None:
        if stop.is_set():  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        typer.echo(f"{signal.Signals(signum).name}: finishing the round, then stopping")
        stop.set()

    previous = {
        signum: signal.signal(signum, stop_gently) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        simulation = asyncio.run(run_demo(config, stop=stop.is_set, announce=duration is None))
    except Exception as exc:
        typer.echo(f"vward demo failed: {exc}", err=True)
        sys.exit(1)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    typer.echo("Where to look:")
    for line in simulation.where_to_look():
        typer.echo(line)


if __name__ == "__main__":
    app()
