"""`safetynet cases serve` (API + tracker loop) and `safetynet cases rebuild` (projection from the log)."""
from __future__ import annotations

import asyncio
from pathlib import Path

import click

from schemas.settings import load_settings, require_production


@click.group()
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="YAML settings file (otherwise SAFETYNET_* environment variables).")
@click.pass_context
def cases(ctx: click.Context, config: Path | None) -> None:
    """The case tracker: alerts and channel requests become cases."""
    ctx.obj = load_settings(config)


@cases.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8040, show_default=True, type=int)
@click.pass_obj
def serve(settings, host: str, port: int) -> None:
    """Rebuild the projection, then serve the API and track cases until stopped."""
    import uvicorn

    from consumers.cases.api import create_cases_app
    from consumers.process import expose_metrics

    require_production(settings)
    expose_metrics(settings)
    app = create_cases_app(settings)
    uvicorn.run(app, host=host, port=port)
    if app.state.tracker_error is not None:
        raise SystemExit(f"the case tracker loop died: {app.state.tracker_error!r}")


@cases.command()
@click.pass_obj
def rebuild(settings) -> None:
    """Replace the Redis projection with a replay of the case-events topic."""
    from consumers.cases.service import open_store

    async def go() -> int:
        async with open_store(settings) as store:
            return await store.rebuild()

    click.echo(f"rebuilt {asyncio.run(go())} cases from {settings.topic('case-events')}")
