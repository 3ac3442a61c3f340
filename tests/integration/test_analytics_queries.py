"""Analysts' SQL is read-only on every path, enforced by ClickHouse: each attack here must fail.

Paths: the query service that `analytics run` serves while it owns the chDB path (token, thread),
and the direct chDB session `safetynet sql` opens when no service runs. Both use readonly.run on
an analyst session; the sink's own client keeps writing.
"""
from __future__ import annotations

import asyncio
import os
import socket
import stat
import threading
import time
from pathlib import Path

import clickhouse_connect
import pytest

from consumers.analytics import queries_http, readonly

SECRET_FILE_TEXT = "340403199001011234 张三 13800000000"
ATTACKS = {
    "file table function": "SELECT line FROM file('{secret}', 'LineAsString')",
    "file scalar function": "SELECT file('{secret}')",
    "file function in upper case": "SELECT FILE('{secret}')",
    "file function in a lambda": "SELECT arrayMap(x -> file(x), ['{secret}'])",
    "url table function": "SELECT * FROM url('http://127.0.0.1:1/x', 'LineAsString', 'x String')",
    "remote table function": "SELECT * FROM remote('127.0.0.1', system.one)",
    "executable table function": "SELECT * FROM executable('cat {secret}', 'LineAsString', 'x String')",
    "s3 table function": "SELECT * FROM s3('http://127.0.0.1:1/x.csv')",
    "into outfile": "SELECT 1 INTO OUTFILE '{out}'",
    "show into outfile": "SHOW TABLES INTO OUTFILE '{out}'",
    "set": "SET readonly = 0",
    "settings clause": "SELECT count() FROM t SETTINGS max_execution_time = 0",
    "system": "SYSTEM FLUSH LOGS",
    "kill": "KILL QUERY WHERE 1",
    "use": "USE system",
    "insert": "INSERT INTO t VALUES ('x', 1)",
    "insert into a file": "INSERT INTO FUNCTION file('{out}', 'CSV', 'x UInt8') VALUES (1)",
    "drop": "DROP TABLE t",
    "create": "CREATE TABLE u (x UInt8) ENGINE = Memory",
    "two statements": "SELECT 1; DROP TABLE t",
    "backup": "BACKUP TABLE t TO File('{out}')",
    "too many rows read": "SELECT count() FROM numbers(10000000000)",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def analytics(chdb_client, analytics_db, stack, tmp_path):
    """A table in a fresh database, an analyst session on it, a secret file and an output path."""
    chdb_client.command(f"CREATE TABLE {analytics_db}.t (rule String, n UInt32) ENGINE = MergeTree ORDER BY rule")
    chdb_client.insert(f"{analytics_db}.t", [["medical_burden", 3], ["income_shock", 1]], column_names=["rule", "n"])
    session = readonly.open_session(clickhouse_connect.get_client(dsn=stack.analytics_dsn, database=analytics_db))
    secret = tmp_path / "department.csv"
    secret.write_text(SECRET_FILE_TEXT, encoding="utf-8")
    yield session, analytics_db, secret, tmp_path / "out.txt"
    session.close()


def attack(name: str, secret: Path, out: Path) -> str:
    return ATTACKS[name].format(secret=secret, out=out)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_direct_session_refuses(analytics, chdb_client, name):
    session, db, secret, out = analytics
    with pytest.raises(Exception) as refused:
        result = readonly.run(session, attack(name, secret, out))
        pytest.fail(f"{name} ran: {result.result_rows[:3]}")
    assert "张三" not in str(refused.value) and "340403199001011234" not in str(refused.value)
    assert not out.exists()
    assert chdb_client.query(f"SELECT count() FROM {db}.t").result_rows == [(2,)]
    assert readonly.run(session, "SELECT getSetting('readonly')").result_rows == [(1,)]


def test_a_direct_session_reads(analytics):
    session, db, *_ = analytics
    assert readonly.run(session, "SELECT rule, n FROM t ORDER BY rule").result_rows == [("income_shock", 1),
                                                                                        ("medical_burden", 3)]
    assert readonly.run(session, "WITH x AS (SELECT n FROM t) SELECT sum(n) FROM x;").result_rows == [(4,)]
    assert ("t",) in readonly.run(session, "SHOW TABLES").result_rows
    assert readonly.run(session, "DESCRIBE TABLE t").result_rows[0][:2] == ("rule", "String")


async def test_the_service_needs_its_token_and_refuses_every_attack(analytics, chdb_client, tmp_path):
    session, db, secret, out = analytics
    port, token = free_port(), queries_http.write_token(tmp_path / "data")
    assert stat.S_IMODE(os.stat(tmp_path / "data" / queries_http.TOKEN_FILE).st_mode) == 0o600
    assert queries_http.read_token(tmp_path / "data") == token
    server = await queries_http.serve(session, port, token)
    ask = lambda query, key=token: asyncio.to_thread(queries_http.ask, port, query, key, 60)  # noqa: E731
    try:
        for wrong in (None, "x" * 43, token[:-1]):
            with pytest.raises(queries_http.QueryFailed, match="Authorization"):
                await ask("SELECT rule FROM t", wrong)
        assert await ask("SELECT rule, n FROM t ORDER BY rule") == (["rule", "n"], [["income_shock", 1],
                                                                                   ["medical_burden", 3]])
        for name in sorted(ATTACKS):
            with pytest.raises(queries_http.QueryFailed):
                await ask(attack(name, secret, out))
        assert not out.exists()
        assert chdb_client.query(f"SELECT count() FROM {db}.t").result_rows == [(2,)]
    finally:
        server.close()
        await server.wait_closed()
    with pytest.raises(queries_http.ServiceDown):
        queries_http.ask(port, "SELECT 1", token)
    chdb_client.insert(f"{db}.t", [["x", 1]], column_names=["rule", "n"])  # the sink's client still writes


async def test_a_heavy_query_does_not_stall_the_loop(analytics, tmp_path):
    """The query runs in a thread: the event loop (the sink's) keeps turning while it works."""
    session, *_ = analytics
    port, token = free_port(), queries_http.write_token(tmp_path)
    server = await queries_http.serve(session, port, token)
    heavy = "SELECT count() FROM numbers(400000000) WHERE sipHash64(number) % 7 = 1"
    try:
        query = asyncio.create_task(asyncio.to_thread(queries_http.ask, port, heavy, token, 120))
        ticks = 0
        while not query.done():
            await asyncio.sleep(0.01)
            ticks += 1
        await query
    finally:
        server.close()
        await server.wait_closed()
    assert ticks > 10  # the loop ran other work (here: its own ticks) during the query, not once after it


ENGINE_ENFORCED = ["file table function", "url table function", "remote table function", "executable table function",
                   "s3 table function", "set", "settings clause", "system", "insert", "insert into a file", "drop",
                   "create", "too many rows read"]


@pytest.mark.parametrize("name", ENGINE_ENFORCED)
def test_the_engine_itself_refuses_without_the_shape_check(analytics, name):
    """The session's readonly = 1 and limits hold even when a query skips readonly.checked."""
    session, db, secret, out = analytics
    with pytest.raises(Exception, match="READONLY|TOO_MANY_ROWS|Limit for rows") as refused:
        session.query(attack(name, secret, out))
    assert "张三" not in str(refused.value)
    assert not out.exists()
