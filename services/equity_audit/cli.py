"""`vward equity …`: import reference files and list the dataset register from the shell.

Register with `app.add_typer(equity_cli, name="equity")` in vward/cli.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from services.equity_audit.datasets import repository
from services.equity_audit.datasets.service import KINDS, ImportOutcome, import_file

app = typer.Typer(help="equity_audit reference data.", no_args_is_help=True)


def _database_url() -> str:
    from services.equity_audit.settings import EquitySettings
    from shared.db_url import resolve_database_url

    return resolve_database_url(EquitySettings())


async def _import(database_url: str, kind: str, path: Path) -> ImportOutcome:
    import asyncpg

    from shared.database import driver_free_url

    conn = await asyncpg.connect(driver_free_url(database_url), timeout=10)
    try:
        async with conn.transaction():
            return await import_file(conn, kind, path)
    finally:
        await conn.close()


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL URL (default: the configured one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Validate a reference CSV and make it the active dataset of KIND (exit 1 if rejected)."""
    if kind not in KINDS:
        typer.echo(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", err=True)
        raise typer.Exit(2)
    outcome = asyncio.run(_import(database_url or _database_url(), kind, path))
    if as_json:
        typer.echo(json.dumps(outcome.as_dict(), indent=2, default=str))
    else:
        typer.echo(f"{kind}: {outcome.status} – {outcome.report.summary()}")
        for problem in outcome.problems:
            typer.echo(f"  problem: {problem}")
        for rejection in outcome.report.rejected[:20]:
            typer.echo(f"  line {rejection.row_number}: {rejection.reason}")
    if outcome.status == "rejected":
        raise typer.Exit(1)


@app.command("datasets")
def datasets_command(
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL URL.")] = None,
) -> None:
    """List the active reference datasets with vintage and licence."""
    import asyncpg

    from shared.database import driver_free_url

    async def _list() -> list[dict]:
        conn = await asyncpg.connect(driver_free_url(database_url or _database_url()), timeout=10)
        try:
            return await repository.list_datasets(conn, active_only=True)
        finally:
            await conn.close()

    for row in asyncio.run(_list()):
        flag = " [SYNTHETIC]" if row["synthetic"] else ""
        typer.echo(f"{row['kind']:18} {row['vintage']} – {row['licence']}{flag}")
