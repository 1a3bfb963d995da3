"""`vward ward …`: ward_api commands (registered by vward/cli.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from services.ward_api.capacity.sitrep_import import import_sitrep
from services.ward_api.settings import WardSettings
from shared.database import create_engine, create_sessionmaker
from shared.db_url import resolve_database_url
from shared.problems import ProblemError

app = typer.Typer(help="ward_api: capacity data and wards.", no_args_is_help=True)


async def _import(path: Path, text: str) -> str:
    settings = WardSettings()
    engine = create_engine(resolve_database_url(settings), pool_size=1, application_name="cli")
    try:
        async with create_sessionmaker(engine)() as session:
            result = await import_sitrep(session, text, source=str(path), imported_by="cli")
            await session.commit()
            return result.model_dump_json()
    finally:
        await engine.dispose()


@app.command("import-sitrep")
def import_sitrep_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Sitrep CSV"),
) -> None:
    """Validate and load sitrep months from a CSV with the published columns (all or nothing)."""
    try:
        typer.echo(asyncio.run(_import(path, path.read_text(encoding="utf-8-sig"))))
    except ProblemError as exc:
        typer.echo(f"{exc.detail}", err=True)
        for error in exc.extensions.get("errors", [])[:50]:
            typer.echo(f"  line {error['line']}, {error['column']}: {error['message']}", err=True)
        raise typer.Exit(1) from exc
