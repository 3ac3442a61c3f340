"""`safetynet worker`: one faust worker of the pipeline (spec section 5)."""
from __future__ import annotations

from pathlib import Path

import click

from schemas.settings import load_service_settings, load_settings

settings_option = click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                               help="YAML settings file (else env SAFETYNET_*).")


@click.command()
@settings_option
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file (thresholds); default streams/rules.yaml.")
@click.option("--loglevel", default="warning", show_default=True)
def worker(settings_file: Path | None, rules_file: Path | None, loglevel: str) -> None:
    """Run one faust worker; more workers on the same settings split the partitions."""
    from streams.worker import run

    overrides = {"rules_file": rules_file} if rules_file else {}
    run(load_service_settings(settings_file, **overrides), loglevel=loglevel)
