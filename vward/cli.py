"""The `vward` command: run the platform, migrate the database, issue development tokens."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from shared.auth import Role, TokenCodec
from shared.settings import DEFAULT_DATA_DIR, DEV_JWT_SECRET

app = typer.Typer(help="vward: NHS virtual-ward platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
data_app = typer.Typer(help="Public reference data.", no_args_is_help=True)
app.add_typer(data_app, name="data")


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
    data_dir: Annotated[
        Path, typer.Option(envvar="VWARD_DATA_DIR", help="Public reference data directory.")
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Load (or refresh) every service's reference data; safe to repeat."""
    from vward.reference import load_all

    url, _ = _database_url()
    for line in load_all(url, data_dir):
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


@app.command()
def up(
    data_dir: Annotated[
        Path, typer.Option(envvar="VWARD_DATA_DIR", help="Public reference data directory.")
    ] = DEFAULT_DATA_DIR,
    stop_database: Annotated[bool, typer.Option(help="Stop the embedded database on exit.")] = True,
) -> None:
    """Start the database, migrate, load reference data and serve all three services."""
    from shared.db_url import embedded_port
    from shared.embedded_pg import EmbeddedPostgres
    from shared.migrate import upgrade
    from vward.platform import Platform
    from vward.reference import load_all

    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for signum in stop_signals:
        signal.signal(signum, _raise_stop)
    embedded = not os.environ.get("DATABASE_URL")
    platform: Platform | None = None
    crashed = False
    try:
        url, embedded = _database_url()
        typer.echo(f"database: {'embedded PostgreSQL' if embedded else 'DATABASE_URL'} ready")
        upgrade(url)
        typer.echo("migrations: applied")
        for line in load_all(url, data_dir):
            typer.echo(f"reference data: {line}")
        log_dir = Path(".vward") / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        platform = Platform(database_url=url, log_dir=str(log_dir))
        platform.start_all()
        platform.wait_all_ready()
        for name, service in platform.running.items():
            typer.echo(f"{name:18} {service.url}  (docs: {service.url}/docs)")
        typer.echo("token: .venv/bin/vward token --role admin   (see --help for scopes)")
        typer.echo(f"logs: {log_dir}/  -- Ctrl-C stops everything")
        while not crashed:
            for name, service in platform.running.items():
                if service.process.poll() is not None:
                    typer.echo(f"{name} exited ({service.process.returncode}); stopping", err=True)
                    crashed = True
            time.sleep(0.5)
    except _Stop as stop:
        typer.echo(f"{stop}: stopping")
    except Exception as exc:
        crashed = True
        typer.echo(f"vward up failed: {exc}", err=True)
    finally:
        for signum in stop_signals:
            signal.signal(signum, signal.SIG_IGN)  # finish cleaning up whatever comes
        if platform is not None:
            platform.stop_all()
        if embedded and stop_database:
            EmbeddedPostgres(port=embedded_port()).stop()
        typer.echo("stopped")
    sys.exit(1 if crashed else 0)


if __name__ == "__main__":
    app()
