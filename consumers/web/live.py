"""The inbox's live feed: one server-sent-events stream per open inbox, from two sources.

    inbox:<group>  Redis Streams written by the notifier (alerts grouped per person)
        --XREAD BLOCK 2 s from the last id seen-->  event: notification   (only the user's townships)
    GET /api/cases as the user (the tracker's Redis projection)
        --after every XREAD, i.e. at most every 2 s; diff case_id -> version-->  event: case

The tracker writes no change stream of its own, so cases opened from the channels (我要预警,
applications, 12345) are found by polling its API with the user's token: the tracker's own scope
checks apply and nothing here reads its Redis keys. A comment line is sent on every round, so a
closed browser tab is noticed within one round. Cost: one blocked Redis connection and one list
call per open inbox every 2 s; past a few hundred open inboxes, have the tracker XADD its changes
to a stream and XREAD that instead of polling.
"""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from consumers.cases.auth import User
from consumers.notifier.routing import RoutingConfig
from consumers.web.backends import BackendError, CasesClient
from consumers.web.console import Session, inbox_rows
from consumers.cases.inbox import OPEN_STATES
from consumers.web.labels import KINDS, SOURCES, STATES, township_name
from consumers.web.views import render_fragment
from schemas.cases import case_id_for_alert
from schemas.townships import places

router = APIRouter()
BLOCK_MS = 2000
RENDER_MARGIN = timedelta(seconds=5)  # clock skew between the tracker (opened_at) and this process


def groups_for(user: User, routing: RoutingConfig) -> list[str]:
    """The notifier groups whose inbox may hold this user's notifications."""
    code = user.township_code or ""
    if user.role in ("auditor", "admin"):
        return sorted(routing.groups)
    county = routing.counties.get(code[:6])
    if county is None:
        return [routing.fallback_group]
    if user.role == "caseworker":
        return [county.townships.get(code, county.default_group)]
    return sorted({county.default_group, *county.townships.values()})


def in_scope(user: User, township: str | None) -> bool:
    """A group's inbox holds several townships: show a caseworker theirs and their county's queue, a
    supervisor their county's."""
    if user.role in ("auditor", "admin"):
        return True
    code = township or ""
    if user.role == "caseworker" and code[:6] == (user.township_code or "")[:6] and places().is_county_level(code):
        return True
    return code.startswith(user.township_code or "-")


def notice_view(body: dict) -> dict:
    """What the page shows of a notifier notification: masked subject, rules, links to the cases."""
    alerts = [{"alert_id": a["alert_id"], "case_id": case_id_for_alert(a["alert_id"]),
               "rule": KINDS.get(a["rule"], a["rule"])}
              for a in body.get("alerts", [])]
    return {"id": body.get("notification_id", ""), "subject": body.get("subject", ""),
            "severity": body.get("severity", ""), "township": township_name(body.get("township_code")),
            "alerts": alerts, "created_at": body.get("created_at")}


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def inbox_events(user: User, token: str, *, cases: CasesClient, redis, routing: RoutingConfig,
                       now: Callable[[], datetime], state: str = "", rule: str = "",
                       source: str = "", rendered: datetime | None = None) -> AsyncIterator[str]:
    """The SSE stream of one inbox until the client goes away or the token expires.

    `rendered`: when the page read its rows. A case opened since (or just before: the tracker's and
    our clocks) may be missing from the page, so the first round sends it as new."""
    streams = {f"inbox:{group}": await _last_id(redis, f"inbox:{group}") for group in groups_for(user, routing)}
    cutoff = (rendered - RENDER_MARGIN) if rendered else None
    seen = {row["case_id"]: row["version"] for row in await cases.list(token)
            if cutoff is None or datetime.fromisoformat(row["opened_at"]) < cutoff}
    yield "retry: 3000\n\n"
    while True:
        for stream, entries in await redis.xread(streams, block=BLOCK_MS, count=50) or []:
            for entry_id, fields in entries:
                streams[_text(stream)] = _text(entry_id)
                body = json.loads(fields[b"body"])
                if in_scope(user, body.get("township_code")):
                    view = notice_view(body)
                    yield sse("notification", {"id": view["id"], "html": render_fragment("_notice.html", n=view)})
        try:
            rows = await cases.list(token)
        except BackendError:
            yield sse("expired", {"message": "登录已过期，请重新登录"})
            return
        for row in inbox_rows([r for r in rows if seen.get(r["case_id"]) != r["version"]], now()):
            new = row["case_id"] not in seen
            shown = ((row["state"] != "closed" if state in ("", OPEN_STATES) else state == "all" or row["state"] == state)
                     and (not rule or row["kind"] == rule) and (not source or row.get("source") == source))
            yield sse("case", {"case_id": row["case_id"], "new": new, "shown": shown, "state": STATES[row["state"]],
                               "html": render_fragment("_case_row.html", row=row, fresh=new)})
        seen.update({row["case_id"]: row["version"] for row in rows})
        yield ": keep-alive\n\n"


@router.get("/console/events")
async def events(request: Request, me: Session, state: str = "", rule: str = "", source: str = "",
                 rendered: float = 0.0) -> StreamingResponse:
    """`rendered`: the page's `rendered_at` (seconds since the epoch), so no case falls between page and stream."""
    user, token = me
    state = state if state in STATES or state in (OPEN_STATES, "all") else ""
    rule, source = (rule if rule in KINDS else ""), (source if source in SOURCES else "")
    app = request.app.state
    when = datetime.fromtimestamp(rendered, UTC) if 0 < rendered < 1e11 else None
    stream = inbox_events(user, token, cases=app.cases, redis=app.redis, routing=app.routing, now=app.clock,
                          state=state, rule=rule, source=source, rendered=when)
    return StreamingResponse(stream, media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _last_id(redis, stream: str) -> str:
    last = await redis.xrevrange(stream, count=1)
    return _text(last[0][0]) if last else "0-0"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
