"""What every case route needs: the caller (from the bearer token), the store, the clock, and the refusals
that turn a case error into the HTTP status a caller can act on."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from consumers.cases.auth import InvalidToken, User, can_read, read_token, refusal
from consumers.cases.inbox import indexes_of
from consumers.cases.lifecycle import InvalidTransition
from consumers.cases.store import CaseBusy, CaseNotFound, CaseStore
from schemas.cases import Case


def store_of(request: Request) -> CaseStore:
    return request.app.state.store


def clock_of(request: Request) -> Callable[[], datetime]:
    return request.app.state.clock


def current_user(request: Request, authorization: Annotated[str | None, Header()] = None) -> User:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "log in first: send Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        return read_token(request.app.state.settings, token)
    except InvalidToken as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None


Me = Annotated[User, Depends(current_user)]
Store = Annotated[CaseStore, Depends(store_of)]
Clock = Annotated[Callable[[], datetime], Depends(clock_of)]


async def readable(case_id: str, user: Me, store: Store) -> Case:
    try:
        case = await store.get(case_id)
    except CaseNotFound:
        raise HTTPException(404, f"no case {case_id}") from None
    if not can_read(user, case):
        raise HTTPException(403, refusal(user, case, "查看"))
    return case


async def append(store: CaseStore, case_id: str, decide) -> Case:
    try:
        return await store.append(case_id, decide)
    except InvalidTransition as exc:
        raise HTTPException(409, str(exc)) from None
    except CaseBusy:
        raise HTTPException(503, f"case {case_id} is being changed by someone else; try again") from None


def require(allowed: bool, user: User, case: Case, what: str) -> None:
    """403 naming the real reason: a read-only role, another township, or a ticket one only follows."""
    if not allowed:
        raise HTTPException(403, refusal(user, case, what))


async def visible(user: User, store: CaseStore) -> list[Case]:
    """Every case `user` may see, each once."""
    ids: dict[str, None] = {}
    for index, value in indexes_of(user):
        ids.update(dict.fromkeys(await store.ids(index, value)))
    return [case for case in await store.load_many(ids) if can_read(user, case)]
