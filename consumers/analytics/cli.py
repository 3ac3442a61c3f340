"""`safetynet sql` and `safetynet analytics run | migrate`.

chDB lets one process own the analytics path. While `safetynet analytics run` owns it, it answers
`safetynet sql` on 127.0.0.1:<analytics_query_port> (token in <data_dir>/analytics/query-token); when
it is not running, `sql` opens the path. Every path runs the query in a read-only analyst session
(consumers/analytics/readonly.py); with a ClickHouse server, `sql` logs in as `analyst_dsn`.
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from consumers.analytics.queries_http import jsonable as plain
from consumers.csv_export import write_rows
from schemas.settings import load_service_settings, load_settings

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

    With chDB it also answers `safetynet sql` (read-only) on 127.0.0.1:<analytics_query_port>.
    """
    from consumers.analytics import queries_http, readonly
    from consumers.process import expose_metrics, stop_on_signals
    from consumers.analytics.migrate import connect, migrate as apply
    from consumers.analytics.sink import serve

    settings = load_service_settings(config_file)
    client = connect(settings.analytics_dsn, database)
    apply(client)
    expose_metrics(settings)
    embedded = settings.analytics_dsn.startswith("chdb://")
    session = readonly.open_session(connect(settings.analytics_dsn, database, create=False)) if embedded else None

    async def main() -> None:
        stop = stop_on_signals()
        queries = None
        if session is not None:
            queries = await queries_http.serve(session, settings.analytics_query_port,
                                               queries_http.write_token(settings.data_dir))
        try:
            await serve(settings, client, stop)
        finally:
            if queries is not None:
                queries.close()
                (settings.data_dir / queries_http.TOKEN_FILE).unlink(missing_ok=True)

    asyncio.run(main())


@click.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@_config
@_database
def sql(query: str, fmt: str, config_file: Path | None, database: str) -> None:
    """Run QUERY against the analytics database, e.g. `safetynet sql "SELECT * FROM rule_precision"`.

    Read-only on every path. With chDB (the default DSN) only one process may open the database:
    while `safetynet analytics run` owns it, the query goes to that service; otherwise this command
    opens it. With a ClickHouse server it logs in as `analyst_dsn` (a read-only user).
    """
    from consumers.analytics import queries_http, readonly
    from consumers.analytics.migrate import connect

    settings = load_settings(config_file)
    try:
        if settings.analytics_dsn.startswith("chdb://"):
            try:
                columns, rows = queries_http.ask(settings.analytics_query_port, query,
                                                 queries_http.read_token(settings.data_dir))
                click.echo(render(columns, [tuple(r) for r in rows], fmt), nl=False)
                return
            except queries_http.ServiceDown:
                pass  # nobody owns the path: open it here
            session = readonly.open_session(connect(settings.analytics_dsn, database, create=False))
        elif settings.analyst_dsn is None:
            raise click.ClickException("with a ClickHouse server, set SAFETYNET_ANALYST_DSN to the read-only "
                                       "`analyst` user (infra/clickhouse/users.d/analyst.xml)")
        else:
            session = readonly.open_session(connect(settings.analyst_dsn.get_secret_value(), database,
                                                    create=False), server=True)
        result = readonly.run(session, query)
    except click.ClickException:
        raise
    except Exception as exc:  # the driver's message is what the analyst needs to fix the query
        raise click.ClickException(str(exc).splitlines()[0]) from None
    click.echo(render(list(result.column_names), result.result_rows, fmt), nl=False)


def render(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return "".join(json.dumps(dict(zip(columns, map(plain, r))), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        out = _Lines()
        write_rows(out, [columns, *([plain(v) for v in r] for r in rows)])
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
