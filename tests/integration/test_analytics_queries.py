"""`safetynet sql` reaches the analytics service while it owns the chDB path."""
from __future__ import annotations

import asyncio
import socket

import pytest

from consumers.analytics import queries_http


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_queries_are_answered_read_only(chdb_client, analytics_db):
    chdb_client.command(f"CREATE TABLE {analytics_db}.t (rule String, n UInt32) ENGINE = MergeTree ORDER BY rule")
    chdb_client.insert(f"{analytics_db}.t", [["medical_burden", 3], ["income_shock", 1]], column_names=["rule", "n"])
    port = free_port()
    server = await queries_http.serve(chdb_client, port)
    ask = lambda query: asyncio.to_thread(queries_http.ask, port, query, 30)  # noqa: E731 - sql is a separate process
    try:
        columns, rows = await ask(f"SELECT rule, n FROM {analytics_db}.t ORDER BY rule")
        assert columns == ["rule", "n"] and rows == [["income_shock", 1], ["medical_burden", 3]]
        with pytest.raises(queries_http.QueryFailed, match="UNKNOWN_TABLE|does not exist"):
            await ask(f"SELECT * FROM {analytics_db}.missing")
        for write in (f"INSERT INTO {analytics_db}.t VALUES ('x', 1)", f"  drop table {analytics_db}.t",
                      f"SELECT 1; DROP TABLE {analytics_db}.t"):
            with pytest.raises(queries_http.QueryFailed, match="only one query that reads"):
                await ask(write)
        assert (await ask(f"SELECT count() FROM {analytics_db}.t"))[1] == [[2]]
    finally:
        server.close()
        await server.wait_closed()
    with pytest.raises(queries_http.ServiceDown):
        queries_http.ask(port, "SELECT 1")
    chdb_client.insert(f"{analytics_db}.t", [["x", 1]], column_names=["rule", "n"])  # the sink's client still writes
