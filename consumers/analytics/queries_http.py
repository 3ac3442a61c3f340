"""The analytics service answers analysts' queries: with chDB it is the one process that may open
the database, so `safetynet sql` asks it over loopback HTTP while it runs.

POST /query {"query": "SELECT ..."} -> {"columns": [...], "rows": [[...], ...]}; every query runs
with readonly=1, so nothing sent here can change the data.
"""
from __future__ import annotations

import json
import threading
from datetime import date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

MAX_QUERY_BYTES = 64 * 1024


def jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def start(client, port: int) -> ThreadingHTTPServer:
    """Serve queries on 127.0.0.1:port from a daemon thread; `.shutdown()` stops it."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/query" or length > MAX_QUERY_BYTES:
                return self.reply(404 if self.path != "/query" else 413, {"error": "POST /query, at most 64 KiB"})
            try:
                query = json.loads(self.rfile.read(length))["query"]
                with lock:
                    result = client.query(query, settings={"readonly": 1})
            except Exception as exc:  # the driver's first line is what the analyst needs to fix the query
                return self.reply(400, {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__})
            rows = [[jsonable(v) for v in row] for row in result.result_rows]
            self.reply(200, {"columns": list(result.column_names), "rows": rows})

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args) -> None:  # queries may be sensitive; the access log is not needed
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="analytics-queries", daemon=True).start()
    return server


class ServiceDown(Exception):
    """Nobody answers on the query port: the caller may open the database itself."""


def ask(port: int, query: str, timeout: float = 300.0) -> tuple[list[str], list[list]]:
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/query", json={"query": query}, timeout=timeout)
    except httpx.ConnectError:
        raise ServiceDown(f"nothing listens on 127.0.0.1:{port}") from None
    body = response.json()
    if response.status_code != 200:
        raise QueryFailed(body.get("error", f"HTTP {response.status_code}"))
    return body["columns"], body["rows"]


class QueryFailed(Exception):
    """The service ran the query and ClickHouse refused it."""
