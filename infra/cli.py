"""`safetynet stack up|down|status` and `safetynet demo`."""
from __future__ import annotations

import time
from pathlib import Path

import click

from infra import stack as local_stack
from schemas.settings import Settings, load_service_settings, load_settings

config_option = click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML settings file (else env SAFETYNET_* and SAFETYNET_CONFIG).",
)


@click.group()
@config_option
@click.pass_context
def stack(ctx: click.Context, config: Path | None) -> None:
    """Local Kafka (KRaft) and Redis as plain processes under <data_dir>; chDB is embedded."""
    ctx.obj = load_settings(config)


@stack.command()
@click.pass_obj
def up(settings: Settings) -> None:
    """Start what is not running and wait until every service is healthy."""
    start = time.monotonic()
    status = _run(local_stack.up, settings)
    click.echo(status)
    started = ", ".join(status.started) or "nothing (already running)"
    click.echo(f"started: {started} in {time.monotonic() - start:.1f} s")


@stack.command()
@click.pass_obj
def down(settings: Settings) -> None:
    """Stop the services started under this data_dir (SIGTERM, then SIGKILL after a deadline)."""
    start = time.monotonic()
    _run(local_stack.down, settings)
    click.echo(f"stopped in {time.monotonic() - start:.1f} s")


@stack.command()
@click.pass_obj
def status(settings: Settings) -> None:
    """Print each service's address, pid and health, and the replay runs on Kafka; exit 1 if one is unhealthy."""
    result = local_stack.status(settings)
    click.echo(result)
    if not result.healthy:
        raise SystemExit(1)
    import asyncio

    from tools.runs import list_runs

    for run in asyncio.run(list_runs(settings)):
        state = "live" if run.live else "LEFT OVER (safetynet stack clean removes it)"
        click.echo(f"replay {run.run_id}: {len(run.topics)} topics, {state}: {run.why}")


@stack.command()
@click.pass_obj
def clean(settings: Settings) -> None:
    """Delete the topics, consumer group and orphaned workers of replay runs that no longer exist."""
    import asyncio

    from tools.runs import clean as clean_runs

    removed = asyncio.run(clean_runs(settings))
    for run in removed:
        click.echo(f"removed replay {run.run_id}: {len(run.topics)} topics")
    click.echo(f"{len(removed)} left-over replay runs removed")


@click.command()
@config_option
@click.option("--scale", default=0.05, show_default=True, help="City size (1.0 = about 130,000 monitored people).")
@click.option("--seed", default=1, show_default=True)
@click.option("--exit", "exit_after", is_flag=True, help="Stop the services once the city is processed.")
def demo(config: Path | None, scale: float, seed: int, exit_after: bool) -> None:
    """The whole system on a simulated city: stack, services, ingest, findings, console URL and logins."""
    from infra.demo import run

    try:
        raise SystemExit(run(load_service_settings(config), scale, seed, wait=not exit_after, echo=click.echo))
    except (local_stack.StackError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


def _run(action, settings: Settings):
    try:
        return action(settings)
    except local_stack.StackError as exc:
        raise click.ClickException(str(exc)) from None
