"""`safetynet notifier run | history`: the notifier's commands."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import click

from schemas.settings import load_service_settings, load_settings

ROUTING = Path(__file__).resolve().parents[2] / "infra" / "routing.yaml"


@click.group()
def notifier() -> None:
    """Route alerts to caseworker groups: Redis inbox streams and webhooks."""


@notifier.command()
@click.option("--routing", "routing_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=ROUTING, show_default=True, help="Township -> group routing.")
@click.option("--window", type=float, default=600.0, show_default=True,
              help="Seconds to gather alerts about one person into one notification.")
@click.option("--attempts", type=int, default=5, show_default=True, help="Webhook attempts before dead letter.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def run(routing_file: Path, window: float, attempts: int, config_file: Path | None) -> None:
    """Consume the alerts topic until SIGINT/SIGTERM."""
    from consumers.notifier.channels import Retry
    from consumers.notifier.routing import load_routing
    from consumers.notifier.service import serve
    from consumers.process import serve_with_clients

    settings, routing = load_service_settings(config_file), load_routing(routing_file)
    serve_with_clients(settings, lambda **clients: serve(settings, routing, **clients, window=timedelta(seconds=window),
                                                         retry=Retry(attempts=attempts)))


@notifier.command()
@click.option("--group", help="Caseworker group.")
@click.option("--person", "person_key", help="person_key (the HMAC pseudonym).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def history(group: str | None, person_key: str | None, limit: int, config_file: Path | None) -> None:
    """Print delivered notifications as JSON lines, newest first."""
    import redis.asyncio as redis

    from consumers.notifier.history import History

    if (group is None) == (person_key is None):
        raise click.UsageError("give exactly one of --group or --person")
    settings = load_settings(config_file)

    async def main() -> list[dict]:
        client = redis.Redis.from_url(settings.redis_url)
        try:
            return await History(client, _no_publish, "").query(group=group, person_key=person_key, limit=limit)
        finally:
            await client.aclose()

    for record in asyncio.run(main()):
        click.echo(json.dumps(record, ensure_ascii=False))


async def _no_publish(topic: str, key: bytes, value: bytes) -> None:
    raise RuntimeError("history is read-only")
