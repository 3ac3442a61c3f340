"""Analysts' SQL: a read-only ClickHouse session, limited in time and rows, on every path.

The engine enforces it. An analyst's client is a session of its own (chDB: its own connection handle;
a server: the `analyst` user of infra/clickhouse/users.d/analyst.xml) that is put in `readonly = 1`
after its limits are set, so nothing the analyst sends can undo them:

    readonly = 1      no INSERT / ALTER / CREATE / DROP, no SET, no SYSTEM, no SETTINGS overrides,
                      no table functions (file, url, s3, remote, executable, mysql, Python, ...)
    max_execution_time, max_rows_to_read, max_result_rows, max_memory_usage   (LIMITS below)

chDB runs ClickHouse in *local* mode, and local mode trusts its user with the file system: the
scalar function `file(path)` reads any file (no user_files_path check) and `INTO OUTFILE` writes
one, whatever `readonly` says. So before running a query, ClickHouse's own parser is asked for its
shape (`formatQuerySingleLine` refuses multi-statements; `EXPLAIN AST` parses without executing),
and only one SELECT / DESCRIBE / SHOW TABLES without INTO OUTFILE, FORMAT, SETTINGS or `file()` runs.
"""
from __future__ import annotations

from dataclasses import dataclass

LIMITS = {
    "max_execution_time": 60,           # seconds
    "max_rows_to_read": 500_000_000,
    "max_result_rows": 100_000,
    "max_memory_usage": 4 * 1024**3,
    "allow_python_table_function": 0,   # chDB: table functions reading Python objects of this process
}
# root AST node -> the child nodes it may have (anything else: INTO OUTFILE, FORMAT, SETTINGS, LIKE ...)
SHAPES = {
    "SelectWithUnionQuery": {"ExpressionList"},
    "DescribeQuery": {"TableExpression"},
    "ShowTables": {"Identifier"},
}
FORBIDDEN_FUNCTIONS = {"file"}  # the scalar file() reads any path in chDB's local mode
DRIVER_FORMAT = "Identifier Native"  # clickhouse-connect appends FORMAT Native to every query it sends


def open_session(client, *, server: bool = False):
    """Make `client` an analyst's session: limits first, then readonly (after which nothing changes).

    On a server the analyst user's profile sets the same (users.d/analyst.xml); a readonly user may
    not SET, so nothing is sent and the profile is checked instead.
    """
    if server:
        if str(client.query("SELECT getSetting('readonly')").result_rows[0][0]) == "0":
            raise NotReadOnly("the analyst DSN logs in as a user that can write; use the `analyst` user of "
                              "infra/clickhouse/users.d/analyst.xml (SAFETYNET_ANALYST_DSN)")
        return client
    for name, value in LIMITS.items():
        client.command(f"SET {name} = {int(value)}")
    client.command("SET readonly = 1")
    return client


@dataclass(frozen=True)
class Shape:
    root: str
    children: tuple[str, ...]
    functions: frozenset[str]


def shape_of(explained: str) -> Shape:
    """Root node, its direct children and every function named, from `EXPLAIN AST` text."""
    lines = [line for line in explained.splitlines() if line.strip()]
    if not lines:
        raise QueryRefused("the query is empty")
    root = lines[0].split()[0]
    children = [line.strip() for line in lines[1:] if len(line) - len(line.lstrip(" ")) == 1]
    if children and children[-1] == DRIVER_FORMAT:
        children.pop()
    children = tuple(child.split()[0] for child in children)
    functions = frozenset(line.split()[1].lower() for line in lines if line.split()[0] == "Function"
                          and len(line.split()) > 1)
    return Shape(root, children, functions)


def refusal(shape: Shape) -> str | None:
    """Why a query of this shape may not run; None when it may."""
    allowed = SHAPES.get(shape.root)
    if allowed is None:
        return f"only SELECT, DESCRIBE and SHOW TABLES are answered here, not {shape.root}"
    if extra := [c for c in shape.children if c not in allowed]:
        return f"INTO OUTFILE, FORMAT, SETTINGS and LIKE are not allowed here (found {', '.join(extra)})"
    if used := sorted(shape.functions & FORBIDDEN_FUNCTIONS):
        return f"the function {', '.join(used)}() reads server files and is not allowed"
    return None


def checked(client, query: str) -> str:
    """The query as ClickHouse's parser formats it, once the parser says it is one statement that reads."""
    if not query.strip():
        raise QueryRefused("the query is empty")
    formatted = client.query("SELECT formatQuerySingleLine({q:String})", parameters={"q": query}).result_rows[0][0]
    explained = client.query(f"EXPLAIN AST {formatted}").result_rows
    if reason := refusal(shape_of("\n".join(str(row[0]) for row in explained))):
        raise QueryRefused(reason)
    return formatted


def run(client, query: str):
    """Run an analyst's query on an analyst session (see open_session); QueryRefused before it runs."""
    return client.query(checked(client, query))


class QueryRefused(ValueError):
    """The query is not one statement that only reads analytics data."""


class NotReadOnly(RuntimeError):
    """An analyst session that the engine would let write."""
