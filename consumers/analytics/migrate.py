"""Apply infra/clickhouse/migrations/NNNN_name.sql in order, each once, recorded in schema_migrations.

Statements use IF NOT EXISTS, so a migration interrupted half-way can simply run again. A file
changed after it was applied is refused (its checksum no longer matches): write a new migration.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[2] / "infra" / "clickhouse" / "migrations"
NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version String, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version"""


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self) -> list[str]:
        """Split on `;` at line ends; comments are dropped."""
        body = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


def discover(folder: Path = MIGRATIONS) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        if not (match := NAME.match(path.name)):
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_case.sql")
        found.append(Migration(match[1], match[2], path.read_text(encoding="utf-8")))
    return found


def applied(client) -> dict[str, str]:
    client.command(LEDGER)
    return dict(client.query("SELECT version, argMax(checksum, applied_at) FROM schema_migrations "
                             "GROUP BY version").result_rows)


def migrate(client, folder: Path = MIGRATIONS) -> list[str]:
    """Apply what is pending with `client` (already bound to the target database). Returns the versions applied."""
    done, ran = applied(client), []
    for migration in discover(folder):
        if migration.version in done:
            if done[migration.version] != migration.checksum:
                raise MigrationError(f"{migration.version}_{migration.name} changed after it was applied; "
                                     "add a new migration instead")
            continue
        for statement in migration.statements():
            client.command(statement)
        client.insert("schema_migrations", [[migration.version, migration.name, migration.checksum]],
                      column_names=["version", "name", "checksum"])
        ran.append(migration.version)
    return ran


def connect(dsn: str, database: str, create: bool = True):
    """A clickhouse-connect client bound to `database` (created if missing)."""
    import clickhouse_connect

    if create:
        bootstrap = clickhouse_connect.get_client(dsn=dsn)
        bootstrap.command(f"CREATE DATABASE IF NOT EXISTS {database}")
        bootstrap.close()
    return clickhouse_connect.get_client(dsn=dsn, database=database)


class MigrationError(Exception):
    pass
