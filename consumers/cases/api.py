"""The case tracker's HTTP API: caseworkers list, work and close their cases; reveals are audited.

POST /api/login                  -> token (Authorization: Bearer <token> on every other call)
GET  /api/cases                  -> my group's cases (caseworker: township + county queue, supervisor: county +
                                    cases with no township, others: all; plus tickets I filed); X-Total-Count
GET  /api/inbox                  -> one page of them in urgency order, filtered by source/state/rule, true totals
GET  /api/cases/{id}             -> one case with its evidence and history
GET  /api/cases/{id}/related     -> other cases about the same person that I may see (applications, tip-offs...)
POST /api/cases/{id}/transition  -> next state (assigned / visiting / verified / resolved / closed)
POST /api/cases/{id}/survey      -> a field survey (while visiting)
POST /api/cases/{id}/reveal      -> name and ID number from the vault, logged as IdentityRevealed
POST /api/decisions              -> admins: closed cases' outcomes as roster rows, each logged as DecisionExported
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response

from consumers.cases import lifecycle, metrics
from consumers.cases.api_models import (  # noqa: F401 (re-exported: callers import them from here)
    Body, CaseSummary, ErasureRequest, Login, RevealedIdentity, RevealRequest, Session, TransitionRequest, summarize,
)
from consumers.cases.auth import (
    UserRecord, authenticate, can_act, can_erase, can_export_decisions, can_read, can_reveal, issue_token, load_users,
)
from consumers.cases.decisions import DecisionsExport, DecisionsRequest, export_decisions
from consumers.cases.erasure import Erasure, erase_person
from consumers.cases.deps import (  # noqa: F401 (re-exported: callers import them from here)
    Clock, Me, Store, append, clock_of, current_user, readable, require, store_of, visible,
)
from consumers.cases.follow_up import schedule_follow_up
from consumers.cases.inbox import OPEN_STATES, SOURCES, InboxPage, inbox_page
from consumers.cases.lifecycle import InvalidTransition
from consumers.cases.service import open_store, run, utcnow
from consumers.cases.store import CaseBusy, CaseStore, IdentityUnknown, VaultError, VaultIndex
from producers.apidocs import serve_docs
from producers.ratelimit import Limiter, RateLimit, Rule
from schemas.cases import Case, CaseState, case_id_for_alert
from schemas.channels import FieldSurvey
from schemas.settings import Settings

router = APIRouter(prefix="/api", tags=["cases"])
log = logging.getLogger(__name__)
LIMITS = [Rule("cases-login", r"/api/login", requests=30, seconds=300)]  # per client address
LOGIN_FAILURES = (10, 900)  # failed logins per user name, per 15 minutes


# ---------------------------------------------------------------- routes


@router.post("/login", response_model=Session, responses={429: {"description": "too many failed logins"}})
async def login(form: Login, request: Request) -> Session:
    """Failed logins are counted per user name too: LOGIN_FAILURES per window, whoever tries."""
    limiter = limiter_of(request.app)
    failures = ("login-failed", form.user.lower(), *LOGIN_FAILURES)
    if limiter is not None and (wait := await limiter.over(*failures)):
        raise HTTPException(429, f"too many failed logins for this user; try again in {wait} s",
                            headers={"Retry-After": str(wait)})
    user = await asyncio.to_thread(authenticate, request.app.state.users, form.user, form.password)
    if user is None:
        if limiter is not None:
            await limiter.hit(*failures)
        raise HTTPException(401, "unknown user or wrong password")
    return Session(token=issue_token(request.app.state.settings, user), user=user)


def limiter_of(app) -> Limiter | None:
    store = app.state.store
    return Limiter(store.redis, app.state.settings.topic_prefix) if store is not None else None


@router.get("/cases", response_model=list[CaseSummary])
async def list_cases(user: Me, store: Store, response: Response, state: CaseState | None = None,
                     limit: int = 200) -> list[CaseSummary]:
    """Newest first; X-Total-Count says how many there are when `limit` cut the list."""
    cases = sorted((c for c in await visible(user, store) if state is None or c.state is state),
                   key=lambda c: c.opened_at, reverse=True)
    response.headers["X-Total-Count"] = str(len(cases))
    return [summarize(c) for c in cases[:max(1, limit)]]


@router.get("/inbox", response_model=InboxPage)
async def inbox(user: Me, store: Store, clock: Clock, state: str = OPEN_STATES,
                source: Annotated[str, Query(pattern=f"^(|{'|'.join(SOURCES)})$")] = "",
                rule: Annotated[str, Query(max_length=64)] = "", page: Annotated[int, Query(ge=1)] = 1,
                size: Annotated[int, Query(ge=1, le=500)] = 50) -> InboxPage:
    """My cases in urgency order (severity, then deadline), one page, with the true totals."""
    return inbox_page(await visible(user, store), clock(), state=state, source=source, rule=rule, page=page,
                      size=size)


@router.get("/alerts/{alert_id}", response_model=CaseSummary)
async def case_of_alert(alert_id: str, user: Me, store: Store) -> CaseSummary:
    """The case an alert opened or joined (notifications link alerts, not cases)."""
    case_id = await store.case_of_alert(alert_id, case_id_for_alert(alert_id))
    case = await readable(case_id or "-", user, store)
    return summarize(case)


@router.get("/cases/{case_id}/related", response_model=list[CaseSummary])
async def related(case: Annotated[Case, Depends(readable)], user: Me, store: Store) -> list[CaseSummary]:
    """Other cases about the same person (an application, a tip-off, a ticket linked to an open alert case)."""
    if not case.person_key:
        return []
    others = await store.load_many(c for c in await store.ids("person", case.person_key) if c != case.case_id)
    return [summarize(c) for c in others if can_read(user, c)]


@router.get("/cases/{case_id}", response_model=Case)
async def get_case(case: Annotated[Case, Depends(readable)]) -> Case:
    return case


@router.post("/cases/{case_id}/transition", response_model=Case)
async def transition(body: TransitionRequest, case: Annotated[Case, Depends(readable)], user: Me, store: Store,
                     clock: Clock) -> Case:
    require(can_act(user, case), user, case, "办理")
    changed = await append(store, case.case_id, lambda current: lifecycle.transition(
        current, body.to, actor=user.user, at=clock(), assignee=body.assignee, resolution=body.resolution,
        grant=body.grant, note=body.note))
    metrics.count_resolution(changed, changed.resolution if body.to is CaseState.resolved else None)
    await schedule_follow_up(store, changed, clock())
    return changed


@router.post("/cases/{case_id}/survey", response_model=Case)
async def survey(body: FieldSurvey, case: Annotated[Case, Depends(readable)], user: Me, store: Store,
                 clock: Clock) -> Case:
    require(can_act(user, case), user, case, "填写走访记录")
    if body.case_id != case.case_id:
        raise HTTPException(422, f"survey is for case {body.case_id}, posted to {case.case_id}")
    changed = await append(store, case.case_id, lambda current: lifecycle.record_survey(
        current, visit_date=body.visit_date, findings=body.findings, verdict=body.verdict, actor=user.user,
        at=clock()))
    metrics.count_verdict(changed, body.verdict)
    return changed


@router.post("/cases/{case_id}/reveal", response_model=RevealedIdentity)
async def reveal(body: RevealRequest, case: Annotated[Case, Depends(readable)], user: Me, store: Store,
                 clock: Clock, request: Request) -> RevealedIdentity:
    """Open the vault record of the case's person; the reveal is logged before anything is returned."""
    require(can_reveal(user, case), user, case, "查看身份")
    keys = [k for k in (case.person_key, case.contact_key) if k]
    if not keys:
        raise HTTPException(404, f"case {case.case_id} has no identity on record")
    record = await open_first(request.app.state.vault, keys, case.case_id)
    await append(store, case.case_id, lambda current: lifecycle.reveal(current, reason=body.reason, actor=user.user,
                                                                        at=clock()))
    return RevealedIdentity(case_id=case.case_id, name=record.name, id_number=record.id_number or None,
                            phone=record.phone)


@router.post("/decisions", response_model=DecisionsExport)
async def decisions(body: DecisionsRequest, user: Me, store: Store, clock: Clock, request: Request) -> DecisionsExport:
    """The outcome of closed cases as roster rows (real ID numbers): administrators only, every case audited."""
    if not can_export_decisions(user):
        raise HTTPException(403, "only an administrator may export decisions")
    try:
        export = await export_decisions(request.app.state.settings, store, request.app.state.vault, since=body.since,
                                        actor=user.user, at=clock())
    except InvalidTransition as exc:
        raise HTTPException(409, str(exc)) from None
    except CaseBusy as exc:
        raise HTTPException(503, f"case {exc} is being changed by someone else; try again") from None
    metrics.EXPORTED.inc(len(export.rows))
    return export


@router.post("/people/{person_key}/erase", response_model=Erasure)
async def erase(person_key: str, body: ErasureRequest, user: Me, store: Store, clock: Clock, request: Request) -> Erasure:
    """Erase a person: their sealed identity and the text of every case about them (administrators only)."""
    if not can_erase(user):
        raise HTTPException(403, "only an administrator may erase a person")
    try:
        return await erase_person(store, request.app.state.vault, person_key, actor=user.user, at=clock())
    except CaseBusy as exc:
        raise HTTPException(503, f"a case of this person is being changed by someone else; try again ({exc})") from None


async def open_first(vault: VaultIndex, keys: list[str], case_id: str):
    """The person's own record when the vault has it, else what the reporter said (contact_key)."""
    for key in keys:
        try:
            return await vault.open(key)
        except IdentityUnknown:
            continue
        except VaultError as exc:
            raise HTTPException(500, f"the vault record of case {case_id} cannot be opened: {exc}") from None
    raise HTTPException(404, f"the vault has no identity for case {case_id} yet")


# ---------------------------------------------------------------- app


@router.get("/health", responses={503: {"description": "the tracker loop is not running"}})
async def health(request: Request) -> dict:
    """200 while the tracker loop runs (or none is needed); 503 once it has died."""
    if (error := request.app.state.tracker_error) is not None:
        raise HTTPException(503, f"the case tracker loop stopped: {error!r}")
    return {"tracker": "running"}


def stop_process() -> None:
    """Ask the server to shut down (uvicorn handles SIGTERM); `cases serve` then exits non-zero."""
    os.kill(os.getpid(), signal.SIGTERM)


def create_cases_app(settings: Settings, *, store: CaseStore | None = None, vault: VaultIndex | None = None,
                     users: dict[str, UserRecord] | None = None, clock: Callable[[], datetime] = utcnow,
                     on_tracker_death: Callable[[], None] = stop_process) -> FastAPI:
    """The API; given no store, its lifespan opens one, rebuilds it and runs the tracker loop.

    If the loop dies, /api/health answers 503, `on_tracker_death` stops the process, and
    `app.state.tracker_error` holds why (the CLI exits non-zero): an API without its loop would
    take requests that never become cases."""
    app = FastAPI(title="safetynet case tracker", lifespan=None if store else _serve(settings, on_tracker_death),
                  docs_url=None)
    serve_docs(app)  # Swagger UI from the package, not a CDN
    app.state.settings, app.state.clock, app.state.tracker_error = settings, clock, None
    app.state.store, app.state.vault = store, vault or VaultIndex(settings)
    app.state.users = users if users is not None else load_users(settings.users_path)
    app.include_router(router)
    from consumers.cases import channels_api  # 12345 answers, reporters' own reports

    app.include_router(channels_api.router)
    app.add_middleware(RateLimit, rules=LIMITS, limiter_of=limiter_of)
    return app


def _serve(settings: Settings, on_tracker_death: Callable[[], None]):
    def died(task: asyncio.Task, app: FastAPI) -> None:
        if task.cancelled():
            return
        app.state.tracker_error = task.exception() or RuntimeError("the tracker loop returned")
        log.critical("the case tracker loop died; stopping the service", exc_info=app.state.tracker_error)
        on_tracker_death()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_store(settings) as store:
            app.state.store = store
            await store.rebuild()
            await app.state.vault.refresh()
            tracker = asyncio.create_task(run(settings, store, rebuild=False))
            tracker.add_done_callback(lambda task: died(task, app))
            try:
                yield
            finally:
                tracker.cancel()
                await asyncio.gather(tracker, return_exceptions=True)

    return lifespan
