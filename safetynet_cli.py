"""The `safetynet` command: one group per component, each defined in its own package."""
from __future__ import annotations

import importlib

import click

# subcommand name -> "module:attribute"; imported lazily so `safetynet --help` stays fast
COMMANDS = {
    "stack": "infra.cli:stack",
    "ingest": "producers.cli:ingest",
    "simulate": "producers.cli:simulate",
    "intake": "producers.intake_cli:intake",
    "web": "consumers.web.cli:web",
    "worker": "streams.cli:worker",
    "replay": "tools.cli:replay",
    "alerts": "tools.cli:alerts",
    "bench": "tools.cli:bench",
    "notifier": "consumers.cli:notifier",
    "replies": "consumers.replies.cli:replies",
    "cases": "consumers.cli:cases",
    "decisions": "consumers.cases.cli:decisions",
    "analytics": "consumers.cli:analytics",
    "sql": "consumers.cli:sql",
    "demo": "infra.cli:demo",
    "vault": "producers.vault_cli:vault",
}


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context):
        """Infrastructure that is not there is a clear one-line error, not a traceback."""
        from aiokafka.errors import KafkaConnectionError
        from redis.exceptions import ConnectionError as RedisConnectionError

        from schemas.settings import SettingsError

        try:
            return super().invoke(ctx)
        except KafkaConnectionError as exc:
            raise click.ClickException(f"cannot reach Kafka ({exc}); start the local stack with "
                                       "`safetynet stack up` or set SAFETYNET_KAFKA_BOOTSTRAP") from None
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        except RedisConnectionError as exc:
            raise click.ClickException(f"cannot reach Redis ({exc}); start the local stack with "
                                       "`safetynet stack up` or set SAFETYNET_REDIS_URL") from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            return _unavailable(name, exc)


def _unavailable(name: str, exc: Exception) -> click.Command:
    def fail() -> None:
        raise click.ClickException(f"command {name!r} is not available: {exc}")

    return click.Command(name, callback=fail, help=f"(unavailable: {exc})")


@click.group(cls=LazyGroup)
def main() -> None:
    """safetynet: find people in hardship early, stop payments that should stop."""
    import logging

    # aiokafka warns on every retry a new topic's first produce needs (NotLeaderForPartition):
    # routine, and it would drown the summaries; real failures still raise
    logging.getLogger("aiokafka").setLevel(logging.ERROR)


if __name__ == "__main__":
    main()
