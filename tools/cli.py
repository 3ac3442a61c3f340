"""`safetynet replay | alerts | bench`: tools that run the pipeline and read what it said (spec section 5)."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from schemas.settings import load_service_settings, load_settings
from streams.cli import settings_option


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--config", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Rules file with the thresholds to back-test (shape of streams/rules.yaml).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write alerts here (default: stdout).")
@click.option("--workers", default=1, show_default=True, help="Faust worker processes to run.")
@click.option("--timeout", default=3600.0, show_default=True, help="Give up after this many seconds.")
@click.option("--direct", is_flag=True, help="Run the same step functions in this process, no Kafka (fast back-test).")
@click.option("--lateness", "lateness_days", type=click.IntRange(min=1),
              help="Dead-letter records more than this many days older than their person's newest (default: unbounded).")
@settings_option
def replay(directory: Path, rules_file: Path | None, out: Path | None, workers: int, timeout: float, direct: bool,
           lateness_days: int | None, settings_file: Path | None) -> None:
    """Run every <feed>*.csv in DIRECTORY through the real pipeline; write the alerts as JSON lines."""
    from infra.stack import StackError, ensure_running
    from tools import replay as replaying
    from streams.config import load_rules
    from streams.export import to_line

    try:
        load_rules(rules_file)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"rules file: {exc}") from None
    settings = load_service_settings(settings_file)
    from infra.progress import Stages

    stages = Stages()  # stderr: a bar per stage on a terminal, a line every 5 s otherwise
    try:
        if direct:
            result = replaying.replay_direct(directory, settings, rules_file, lateness_days=lateness_days)
        else:
            try:
                if ensure_running(settings, only=("kafka",)):
                    click.echo("started the local Kafka (safetynet stack down stops it)", err=True)
            except StackError as exc:
                raise click.ClickException(f"could not start the local stack: {exc}") from None
            click.echo(f"replay: starting {workers} worker(s) (joining the consumer group takes a few seconds)", err=True)
            result = replaying.run(directory, settings, rules_file, workers=workers, timeout=timeout,
                                   lateness_days=lateness_days, progress=stages)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        stages.close()
    lines = "".join(to_line(a) + "\n" for a in result.alerts)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(lines, encoding="utf-8")
    else:
        sys.stdout.write(lines)
    dead = sum(result.dead_letters.values())
    click.echo(f"replay: {result.rows_read} rows read, {result.published} published, {dead} dead-lettered, "
               f"{len(result.alerts)} alerts in {result.seconds['total']:.1f} s "
               f"({', '.join(f'{k} {v:.1f} s' for k, v in result.seconds.items() if k != 'total')})", err=True)
    for reason, n in sorted(result.dead_letters.items(), key=lambda kv: -kv[1]):
        click.echo(f"  dead letter x{n}: {reason}", err=True)
    if result.late:
        click.echo(f"  {result.late} records later than the allowed lateness were dead-lettered (stage late)", err=True)
    click.echo(f"alerts per 10,000 people on the roster ({result.people} people):", err=True)
    for rule, rate in result.per_10k().items():
        click.echo(f"  {rule:<24} {rate:8.1f}", err=True)


@click.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Alerts with event_time on or after this date.")
@click.option("--rule", help="Only this rule.")
@click.option("--township", help="Only this township (or county prefix).")
@settings_option
def alerts(since, rule: str | None, township: str | None, settings_file: Path | None) -> None:
    """Export the standing alerts of the live pipeline as JSON lines (spec section 4)."""
    from streams.config import load_rules
    from streams.export import cooled, fold, read_notices, select, to_line

    settings = load_settings(settings_file)
    standing = cooled(fold(asyncio.run(read_notices(settings))), load_rules(settings.rules_file))
    chosen = select(standing, since=since.date() if since else None, rule=rule, township=township)
    for alert in chosen:
        click.echo(to_line(alert))


@click.command()
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Also write figures as JSON.")
@click.option("--events", default=200_000, show_default=True, help="Events for the throughput runs.")
@click.option("--replay-events", default=1_000_000, show_default=True, help="Events for the replay timing.")
@click.option("--direct-only", is_flag=True, help="Only the step functions' figures, in this process (no Kafka).")
@settings_option
def bench(json_out: Path | None, events: int, replay_events: int, direct_only: bool, settings_file: Path | None) -> None:
    """Measure raw consume vs pipeline rate, latency, replay time and memory, in one run."""
    from tools.bench import main as run_bench
    from tools.bench_direct import main_direct

    if direct_only:
        main_direct(load_settings(settings_file), replay_events=replay_events, json_out=json_out)
        return
    run_bench(load_settings(settings_file), events=events, replay_events=replay_events, json_out=json_out)
