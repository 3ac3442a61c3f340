"""`safetynet sql` reaches the analytics service while it owns the chDB path."""
from __future__ import annotations

import socket

import pytest

from consumers.analytics import queries_http


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_queries_are_answered_read_only(chdb_client, analytics_db):
    chdb_client.command(f"CREATE TABLE {analytics_db}.t (rule String, n UInt32) ENGINE = MergeTree ORDER BY rule")
    chdb_client.insert(f"{analytics_db}.t", [["medical_burden", 3], ["income_shock", 1]], column_names=["rule", "n"])
    port = free_port()
    server = queries_http.start(chdb_client, port)
    try:
        columns, rows = queries_http.ask(port, f"SELECT rule, n FROM {analytics_db}.t ORDER BY rule")
        assert columns == ["rule", "n"] and rows == [["income_shock", 1], ["medical_burden", 3]]
        with pytest.raises(queries_http.QueryFailed, match="readonly"):
            queries_http.ask(port, f"INSERT INTO {analytics_db}.t VALUES ('x', 1)")
        with pytest.raises(queries_http.QueryFailed, match="UNKNOWN_TABLE|does not exist"):
            queries_http.ask(port, f"SELECT * FROM {analytics_db}.missing")
    finally:
        server.shutdown()
    with pytest.raises(queries_http.ServiceDown):
        queries_http.ask(port, "SELECT 1")
