"""One home visit, recorded once: its visit_id (static/field.js makes one per form) is claimed in Redis
(<prefix>web:visit:<visit_id>) before the tracker records the survey, so a visit sent twice (the offline
queue after a lost answer, a double tap) is recorded once."""
from __future__ import annotations

import re

from fastapi import Request

VISIT_ID = re.compile(r"^[0-9a-f]{32}$")
VISIT_TTL_S = 90 * 24 * 3600


def visit_key(request: Request, visit_id: str) -> str:
    return f"{request.app.state.settings.topic_prefix}web:visit:{visit_id}"


async def claim_visit(request: Request, visit_id: str) -> bool:
    """True the first time this visit arrives (no visit_id: an old page, always first)."""
    if not VISIT_ID.match(visit_id):
        return True
    return bool(await request.app.state.redis.set(visit_key(request, visit_id), "1", nx=True, ex=VISIT_TTL_S))


async def release_visit(request: Request, visit_id: str) -> None:
    """The tracker refused the visit: let a corrected retry through."""
    if VISIT_ID.match(visit_id):
        await request.app.state.redis.delete(visit_key(request, visit_id))
