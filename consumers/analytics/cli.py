"""`safetynet sql` and `safetynet analytics run | migrate`.

chDB lets one process own the analytics path. While `safetynet analytics run` owns it, it answers
`safetynet sql` on 127.0.0.1:<analytics_query_port>; when it is not running, `sql` opens the path.
"""
from __future__ import annotations

import asyncio
import csv
import json
import sys
from pathlib import Path

import click

from consumers.analytics.queries_http import jsonable as plain
from schemas.settings import load_settings

DATABASE = "safetynet"
_config = click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_database = click.option("--database", default=DATABASE, show_default=True, help="ClickHouse database.")


@click.group()
def analytics() -> None:
    """Kafka -> ClickHouse sink and its schema migrations."""


@analytics.command()
@_config
@_database
def migrate(config_file: Path | None, database: str) -> None:
    """Apply pending migrations (idempotent)."""
    from consumers.analytics.migrate import connect, migrate as apply

    settings = load_settings(config_file)
    ran = apply(connect(settings.analytics_dsn, database))
    click.echo(f"applied {', '.join(ran)}" if ran else "schema up to date")


@analytics.command()
@_config
@_database
def run(config_file: Path | None, database: str) -> None:
    """Consume feeds, alerts, case events and notifications into ClickHouse until SIGINT/SIGTERM.

    It also answers `safetynet sql` (read-only) on 127.0.0.1:<analytics_query_port>.
    """
    from consumers.analytics import queries_http
    from consumers.process import expose_metrics, stop_on_signals
    from consumers.analytics.migrate import connect, migrate as apply
    from consumers.analytics.sink import serve

    settings = load_settings(config_file)
    client = connect(settings.analytics_dsn, database)
    apply(client)
    expose_metrics(settings)

    async def main() -> None:
        stop = stop_on_signals()
        queries = await queries_http.serve(client, settings.analytics_query_port)
        try:
            await serve(settings, client, stop)
        finally:
            queries.close()

    asyncio.run(main())


@click.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@_config
@_database
def sql(query: str, fmt: str, config_file: Path | None, database: str) -> None:
    """Run QUERY against the analytics database, e.g. `safetynet sql "SELECT * FROM rule_precision"`.

    With chDB (the default DSN) only one process may open the database: while `safetynet analytics
    run` owns it, the query goes to that service (read-only); otherwise this command opens it.
    """
    from consumers.analytics import queries_http
    from consumers.analytics.migrate import connect

    settings = load_settings(config_file)
    try:
        if settings.analytics_dsn.startswith("chdb://"):
            try:
                columns, rows = queries_http.ask(settings.analytics_query_port, query)
                click.echo(render(columns, [tuple(r) for r in rows], fmt), nl=False)
                return
            except queries_http.ServiceDown:
                pass  # nobody owns the path: open it here
        result = connect(settings.analytics_dsn, database, create=False).query(query)
    except Exception as exc:  # the driver's message is what the analyst needs to fix the query
        raise click.ClickException(str(exc).splitlines()[0]) from None
    click.echo(render(list(result.column_names), result.result_rows, fmt), nl=False)


def render(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return "".join(json.dumps(dict(zip(columns, map(plain, r))), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        out = _Lines()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([[plain(v) for v in r] for r in rows])
        return "".join(out)
    cells = [columns] + [[str(plain(v)) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n({len(rows)} rows)\n"


class _Lines(list):
    def write(self, text: str) -> None:
        self.append(text)


if __name__ == "__main__":
    sys.exit(sql())
