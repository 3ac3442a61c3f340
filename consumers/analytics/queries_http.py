"""The analytics service answers analysts' queries: with chDB it is the one process that may open
the database, so `safetynet sql` asks it over loopback HTTP while it runs.

POST /query {"query": "SELECT ..."} -> {"columns": [...], "rows": [[...], ...]}. Only one
statement that reads (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) is accepted. Queries share the
sink's client and run on its event loop, one at a time: chDB allows one engine per process, a
session keeps settings such as readonly once set, and errors raised from a second thread hung it.
"""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime
from decimal import Decimal

import httpx

MAX_QUERY_BYTES = 64 * 1024
READING = ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS")


def jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def answer(client, body: bytes) -> tuple[int, dict]:
    try:
        query = json.loads(body)["query"].strip().rstrip(";")
        if not query.split(None, 1) or query.split(None, 1)[0].upper() not in READING or ";" in query:
            return 400, {"error": f"only one query that reads is answered here ({', '.join(READING)}; no ';')"}
        result = client.query(query)
    except Exception as exc:  # the driver's first line is what the analyst needs to fix the query
        return 400, {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
    return 200, {"columns": list(result.column_names),
                 "rows": [[jsonable(v) for v in row] for row in result.result_rows]}


async def serve(client, port: int) -> asyncio.Server:
    """Listen on 127.0.0.1:port; close the returned server to stop."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *headers = head.decode("latin-1").split("\r\n")
            length = next((int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0)
            if not request_line.startswith("POST /query ") or length > MAX_QUERY_BYTES:
                status, reply = 404, {"error": "POST /query with a JSON body of at most 64 KiB"}
            else:
                status, reply = answer(client, await reader.readexactly(length))
            data = json.dumps(reply, ensure_ascii=False).encode()
            writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: application/json; "
                         f"charset=utf-8\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
            pass  # a broken request: nothing to answer
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port)


class ServiceDown(Exception):
    """Nobody answers on the query port: the caller may open the database itself."""


class QueryFailed(Exception):
    """The service ran the query and ClickHouse refused it."""


def ask(port: int, query: str, timeout: float = 300.0) -> tuple[list[str], list[list]]:
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/query", json={"query": query}, timeout=timeout)
    except httpx.ConnectError:
        raise ServiceDown(f"nothing listens on 127.0.0.1:{port}") from None
    body = response.json()
    if response.status_code != 200:
        raise QueryFailed(body.get("error", f"HTTP {response.status_code}"))
    return body["columns"], body["rows"]
