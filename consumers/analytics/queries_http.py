"""The analytics service answers analysts' queries: with chDB it is the one process that may open
the database, so `safetynet sql` asks it over loopback HTTP while it runs.

POST /query {"query": "SELECT ..."} with `Authorization: Bearer <token>`
  -> {"columns": [...], "rows": [[...], ...]}

- Who may ask: whoever can read the token file (`<data_dir>/analytics/query-token`, mode 0600,
  a fresh random token each time the service starts): the service's own OS user.
- What runs: `readonly.run` on an analyst session of its own (a separate chDB connection handle in
  readonly = 1 with time and row limits), never the sink's writing client.
- Where: in a worker thread, one query at a time, so a heavy query never stalls the sink's loop.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import httpx

from consumers.analytics import readonly

MAX_QUERY_BYTES = 64 * 1024
TOKEN_FILE = Path("analytics") / "query-token"


def jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def answer(session, body: bytes) -> tuple[int, dict]:
    """Run one analyst query on `session` (an analyst session: readonly.open_session)."""
    try:
        query = json.loads(body)["query"]
        result = readonly.run(session, str(query))
    except readonly.QueryRefused as exc:
        return 400, {"error": str(exc)}
    except Exception as exc:  # the driver's first line is what the analyst needs to fix the query
        return 400, {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
    return 200, {"columns": list(result.column_names),
                 "rows": [[jsonable(v) for v in row] for row in result.result_rows]}


def write_token(data_dir: Path) -> str:
    """A fresh token in a file only this OS user can read; the `sql` command reads it from there."""
    path = data_dir / TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token)
    return token


def read_token(data_dir: Path) -> str | None:
    try:
        return (data_dir / TOKEN_FILE).read_text().strip()
    except FileNotFoundError:
        return None


def authorised(headers: list[str], token: str) -> bool:
    sent = next((h.split(":", 1)[1].strip() for h in headers if h.lower().startswith("authorization:")), "")
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


async def serve(session, port: int, token: str) -> asyncio.Server:
    """Listen on 127.0.0.1:port; close the returned server to stop. `session`: readonly.open_session(...)."""
    one_at_a_time = asyncio.Lock()  # one chDB handle runs one query at a time

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *headers = head.decode("latin-1").split("\r\n")
            length = next((int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")), 0)
            if not request_line.startswith("POST /query ") or not 0 <= length <= MAX_QUERY_BYTES:
                status, reply = 404, {"error": "POST /query with a JSON body of at most 64 KiB"}
            elif not authorised(headers, token):
                status, reply = 401, {"error": "send Authorization: Bearer <the token in "
                                               f"<data_dir>/{TOKEN_FILE}>"}
            else:
                body = await reader.readexactly(length)
                async with one_at_a_time:
                    status, reply = await asyncio.to_thread(answer, session, body)
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


def ask(port: int, query: str, token: str | None, timeout: float = 300.0) -> tuple[list[str], list[list]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(f"http://127.0.0.1:{port}/query", json={"query": query}, headers=headers,
                              timeout=timeout)
    except httpx.ConnectError:
        raise ServiceDown(f"nothing listens on 127.0.0.1:{port}") from None
    body = response.json()
    if response.status_code != 200:
        raise QueryFailed(body.get("error", f"HTTP {response.status_code}"))
    return body["columns"], body["rows"]
