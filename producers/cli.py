"""`safetynet ingest FEED FILE...` and `safetynet simulate --out DIR`. Never prints a raw ID or name."""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import date
from pathlib import Path

import click

from schemas.envelope import FEEDS
from schemas.settings import load_service_settings

config_option = click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML settings file (else env SAFETYNET_* and SAFETYNET_CONFIG).",
)


@click.command()
@click.argument("feed", type=click.Choice(FEEDS))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@config_option
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.option("--workers", type=click.IntRange(min=0),
              help="Parse processes for large files (default: one per core, at most 4; 0: parse in this process).")
def ingest(feed: str, files: tuple[Path, ...], config: Path | None, quiet: bool, workers: int | None) -> None:
    """Validate department FILES of FEED and publish them; bad rows go to the dead-letter report.

    Exit status is non-zero only when nothing at all could be read.
    """
    from infra.progress import Progress, count_rows
    from producers.publish import ingest_files

    settings = load_service_settings(config)
    started = time.monotonic()
    reporter = None if quiet else Progress(f"ingest {feed}", total=count_rows(p for p in files if p.is_file()),
                                           unit="rows")
    summary = asyncio.run(ingest_files(settings, feed, files, progress=_progress(reporter) if reporter else None,
                                       workers=workers))
    if reporter:
        reporter.finish(summary.rows_read)
    click.echo(summary_table(summary, time.monotonic() - started))
    if summary.dead_lettered:
        click.echo(f"dead letters: {settings.data_dir / 'dead-letters'} (file, line, column, reason)")
    if summary.nothing_readable:
        raise SystemExit(1)


def _progress(reporter):
    """ingest_files reports (file, rows read in it); the bar counts rows across files."""
    before: dict[str, int] = {}

    def tick(file: str, rows: int) -> None:
        before[file] = rows
        reporter.update(sum(before.values()))

    return tick


def summary_table(summary, seconds: float) -> str:
    """The summary as an aligned two-column table."""
    lines = [("rows read", f"{summary.rows_read:,}"), ("published", f"{summary.published:,}"),
             ("dead-lettered", f"{summary.dead_lettered:,}")]
    lines += [(f"  {reason}", f"{n:,}") for reason, n in summary.dead_lettered_by_reason.items()]
    lines += [(f"extra column {name!r}", f"{n} file(s)") for name, n in summary.extra_columns.items()]
    lines += [(f"unreadable {name}", why) for name, why in summary.files_unreadable.items()]
    lines += [("identity records", f"{summary.vault_records:,}"), ("seconds", f"{seconds:.1f}")]
    width = max(len(k) for k, _ in lines)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in lines)


@click.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Directory for the CSV files.")
@click.option("--scale", default=1.0, show_default=True, help="1.0 ≈ 130,000 monitored people.")
@click.option("--seed", default=1, show_default=True)
@click.option("--start", default="2025-01-01", show_default=True, help="First day of the simulated year.")
@click.option("--days", default=365, show_default=True)
def simulate(out: Path, scale: float, seed: int, start: str, days: int) -> None:
    """Write a synthetic city's department exports, with planted cases for every rule."""
    from infra.progress import Progress
    from producers.simulate import PHASES
    from producers.simulate import simulate as run

    started = time.monotonic()
    progress = Progress(f"simulate scale {scale}", total=PHASES, unit="steps")
    counts = run(out, scale, seed, date.fromisoformat(start), days, phase=progress.update)
    progress.finish()
    for feed, n in counts.items():
        click.echo(f"{feed:<11} {n:>9,} rows")
    click.echo(f"written to {out} in {time.monotonic() - started:.1f} s (planted cases: {out / 'planted.jsonl'})")


if __name__ == "__main__":
    sys.exit(ingest())
