"""`safetynet replies run`: 12345 status callbacks and WeChat template messages from case events."""
from __future__ import annotations

from pathlib import Path

import click

from schemas.settings import load_service_settings


@click.group()
def replies() -> None:
    """Answer the systems on the other side: 12345 callbacks, WeChat template messages."""


@replies.command()
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def run(config_file: Path | None) -> None:
    """Consume case-events until SIGINT/SIGTERM."""
    from consumers.process import serve_with_clients
    from consumers.replies.service import serve

    settings = load_service_settings(config_file)
    serve_with_clients(settings, lambda **clients: serve(settings, **clients))
