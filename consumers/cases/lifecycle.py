"""Decide, then evolve: pure rules for what may happen to a case, and how each event changes it.

    open -> assigned -> visiting -> verified -> resolved -> closed

A decision function looks at the current case and returns the next event (or raises
InvalidTransition saying why not); `evolve` applies an event and never refuses a valid one.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from schemas.alerts import Alert, Evidence
from schemas.cases import (
    AlertJoined,
    AnyCaseEvent,
    Case,
    CaseAssigned,
    CaseEscalated,
    CaseOpened,
    CaseState,
    CaseTransitioned,
    DecisionExported,
    EvidenceUpdated,
    Grant,
    HistoryEntry,
    IdentityRevealed,
    Resolution,
    SurveyRecorded,
    Verdict,
)

DECIDED = frozenset({"assistance_granted", "benefit_stopped"})  # outcomes the civil-affairs system imports
NEXT: dict[CaseState, frozenset[CaseState]] = {
    CaseState.open: frozenset({CaseState.assigned}),
    CaseState.assigned: frozenset({CaseState.visiting}),
    CaseState.visiting: frozenset({CaseState.verified}),
    CaseState.verified: frozenset({CaseState.resolved}),
    CaseState.resolved: frozenset({CaseState.closed}),
    CaseState.closed: frozenset(),
}


# ---------------------------------------------------------------- decide


def transition(case: Case, to: CaseState, *, actor: str, at: datetime, assignee: str | None = None,
               resolution: Resolution | None = None, grant: Grant | None = None,
               note: str = "") -> CaseAssigned | CaseTransitioned:
    """The event that moves `case` to `to`; assigning names an assignee (the actor by default).
    Resolving says what was done; granting assistance says which (救助类别, amount).
    A case whose alerts were all withdrawn may be closed from any state (one click, `预警撤回`)."""
    if to is CaseState.closed and case.withdrawn and case.state is not CaseState.closed:
        return CaseTransitioned(case_id=case.case_id, version=case.version + 1, actor=actor, at=at, to_state=to,
                                note=note or WITHDRAWN_NOTE)
    if to not in NEXT[case.state]:
        raise InvalidTransition(f"{case.case_id}: {case.state} -> {to} is not allowed")
    if to is CaseState.assigned:
        return CaseAssigned(case_id=case.case_id, version=case.version + 1, actor=actor, at=at,
                            assignee=assignee or actor)
    if to is CaseState.verified and case.verdict is None:
        raise InvalidTransition(f"{case.case_id}: record a field survey before verifying")
    if to is CaseState.resolved:
        _check_resolution(case, resolution, grant)
    elif grant is not None:
        raise InvalidTransition(f"{case.case_id}: a grant goes with resolving, not with {to}")
    return CaseTransitioned(case_id=case.case_id, version=case.version + 1, actor=actor, at=at, to_state=to,
                            resolution=resolution if to is CaseState.resolved else None, grant=grant, note=note)


def _check_resolution(case: Case, resolution: Resolution | None, grant: Grant | None) -> None:
    if resolution is None:
        raise InvalidTransition(f"{case.case_id}: resolving needs a resolution")
    if resolution == "answered":
        raise InvalidTransition(f"{case.case_id}: answered is how a 12345 ticket closes by its answer alone")
    if case.verdict == "dismissed" and resolution != "no_action":
        raise InvalidTransition(f"{case.case_id}: a dismissed case can only be resolved with no_action")
    if resolution == "assistance_granted" and grant is None:
        raise InvalidTransition(f"{case.case_id}: granting assistance needs its 救助类别 (grant.category)")
    if resolution != "assistance_granted" and grant is not None:
        raise InvalidTransition(f"{case.case_id}: a grant goes with assistance_granted, not {resolution}")


def answer(case: Case, *, reply: str, actor: str, at: datetime) -> CaseTransitioned:
    """A 12345 ticket that only needs an answer closes without a home visit; the reply goes to the caller."""
    if channel_of(case) != "hotline":
        raise InvalidTransition(f"{case.case_id}: only 12345 tickets close with an answer alone")
    if case.state is not CaseState.assigned:
        raise InvalidTransition(f"{case.case_id}: answer a ticket once it is assigned, not {case.state}")
    if not reply.strip():
        raise InvalidTransition(f"{case.case_id}: the answer needs a reply text for the caller")
    return CaseTransitioned(case_id=case.case_id, version=case.version + 1, actor=actor, at=at,
                            to_state=CaseState.closed, resolution="answered", note=reply)


def channel_of(case: Case) -> str | None:
    """The channel a case came from (also for an identify-person case), from who opened it."""
    if case.channel:
        return case.channel
    opener = case.history[0].actor if case.history else ""
    return opener.removeprefix("channel.") if opener.startswith("channel.") else None


def record_survey(case: Case, *, visit_date: date, findings: str, verdict: Verdict, actor: str,
                  at: datetime) -> SurveyRecorded:
    """A survey belongs to the visit: only while the case is `visiting`."""
    if case.state is not CaseState.visiting:
        raise InvalidTransition(f"{case.case_id}: surveys are recorded while visiting, not {case.state}")
    return SurveyRecorded(case_id=case.case_id, version=case.version + 1, actor=actor, at=at,
                          visit_date=visit_date, findings=findings, verdict=verdict)


def reveal(case: Case, *, reason: str, actor: str, at: datetime) -> IdentityRevealed:
    return IdentityRevealed(case_id=case.case_id, version=case.version + 1, actor=actor, at=at, reason=reason)


def export_decision(case: Case, *, export_id: str, rows: int, actor: str, at: datetime) -> DecisionExported:
    """Only a decided case's outcome leaves in a decisions file: closed, and resolved with an outcome."""
    if case.state is not CaseState.closed or case.resolution not in DECIDED:
        raise InvalidTransition(f"{case.case_id}: only closed cases that granted or stopped a benefit are exported")
    return DecisionExported(case_id=case.case_id, version=case.version + 1, actor=actor, at=at,
                            export_id=export_id, rows=rows)


def update_evidence(case: Case, evidence: list[Evidence], *, severity: str | None, withdrawn: bool, actor: str,
                    at: datetime, alert_id: str | None = None) -> EvidenceUpdated | None:
    """None when nothing changed: a re-delivered alert is a no-op."""
    alert_id = alert_id or case.source_id
    standing = alert_id in case.alert_ids
    if set(evidence) == set(case.evidence) and severity == case.severity and withdrawn != standing:
        return None
    return EvidenceUpdated(case_id=case.case_id, version=case.version + 1, actor=actor, at=at,
                           evidence=evidence, severity=severity, withdrawn=withdrawn, alert_id=alert_id)


def take_notice(case: Case, alert: Alert, *, withdrawn: bool, at: datetime) -> list[AnyCaseEvent]:
    """An alert of this case raised again or withdrawn. When the last standing alert is withdrawn before
    anyone accepted the case, it closes itself as 预警撤回; an accepted case keeps its owner."""
    if not withdrawn and alert.alert_id not in case.alert_ids and alert.alert_id != case.source_id:
        joined = join_alert(case, alert, at=at)
        return [joined] if joined else []
    evidence = alert.evidence if not withdrawn else case.evidence
    severity = case.severity if withdrawn else _higher(case.severity, alert.severity)
    update = update_evidence(case, merge_evidence(evidence, case.evidence), severity=severity, withdrawn=withdrawn,
                             actor="alerts", at=at, alert_id=alert.alert_id)
    if update is None:
        return []
    after = evolve(case, update)
    if after.withdrawn and after.state is CaseState.open:
        return [update, CaseTransitioned(case_id=case.case_id, version=after.version + 1, actor="alerts", at=at,
                                         to_state=CaseState.closed, note=WITHDRAWN_NOTE)]
    return [update]


def join_alert(case: Case, alert: Alert, *, at: datetime) -> AlertJoined | None:
    """A second alert of the case's rule about its subject: new evidence and a timeline entry; deadline kept."""
    if alert.alert_id in case.alert_ids or case.state is CaseState.closed:
        return None
    return AlertJoined(case_id=case.case_id, version=case.version + 1, actor="alerts", at=at, alert_id=alert.alert_id,
                       evidence=alert.evidence, severity=alert.severity, event_time=alert.event_time)


def merge_evidence(new: list[Evidence], old: list[Evidence]) -> list[Evidence]:
    """The newest figures first; an older line for the same record is dropped."""
    seen = {(e.feed, e.key) for e in new}
    return [*new, *(e for e in old if (e.feed, e.key) not in seen)]


SEVERITY_ORDER = ("low", "medium", "high", "critical")


def _higher(a: str | None, b: str | None) -> str | None:
    ranks = [s for s in (a, b) if s in SEVERITY_ORDER]
    return max(ranks, key=SEVERITY_ORDER.index) if ranks else (b or a)


# ---------------------------------------------------------------- evolve


def evolve(case: Case | None, event: AnyCaseEvent) -> Case:
    """The case after `event`. Raises StaleEvent when the event is not the case's next version."""
    if isinstance(event, CaseOpened):
        if case is not None:
            raise StaleEvent(f"{event.case_id}: already opened")
        return _opened(event)
    if case is None or event.version != case.version + 1:
        raise StaleEvent(f"{event.case_id}: v{event.version} does not follow v{case.version if case else 0}")
    update = _changes(case, event)
    history = [*case.history, HistoryEntry(version=event.version, type=event.type, actor=event.actor, at=event.at,
                                           note=update.pop("_note", ""))]
    return case.model_copy(update={**update, "version": event.version, "history": history})


def _opened(event: CaseOpened) -> Case:
    fields = event.model_dump(exclude={"type", "version", "actor", "at"})
    entry = HistoryEntry(version=1, type=event.type, actor=event.actor, at=event.at, note=event.kind)
    channel = event.actor.removeprefix("channel.") if event.category == "channel" else None
    alerts = [] if event.category == "channel" else [event.source_id]
    return Case(**fields, version=1, opened_at=event.at, history=[entry], channel=channel, alert_ids=alerts)


def _changes(case: Case, event: AnyCaseEvent) -> dict:
    match event:
        case CaseAssigned():
            return {"state": CaseState.assigned, "assignee": event.assignee, "_note": event.assignee}
        case CaseTransitioned() if event.resolution:
            return {"state": event.to_state, "resolution": event.resolution, "grant": event.grant,
                    "resolved_at": event.at, "_note": event.note or str(event.to_state), **_closed(event)}
        case CaseTransitioned():
            return {"state": event.to_state, "_note": event.note or str(event.to_state), **_closed(event)}
        case DecisionExported():
            return {"exports": case.exports + 1, "_note": f"export {event.export_id} ({event.rows} rows)"}
        case SurveyRecorded():
            return {"survey": event, "verdict": event.verdict, "_note": event.verdict}
        case IdentityRevealed():
            return {"_note": event.reason}
        case EvidenceUpdated():
            return _evidence_changes(case, event)
        case AlertJoined():
            return {"evidence": merge_evidence(event.evidence, case.evidence),
                    "severity": _higher(case.severity, event.severity), "alert_ids": [*case.alert_ids, event.alert_id],
                    "event_time": event.event_time or case.event_time, "_note": f"alert_joined:{event.severity or ''}"}
        case CaseEscalated():
            return {"escalated": True, "_note": f"overdue:{event.sla_due.isoformat()}"}
    raise TypeError(f"unknown case event {type(event).__name__}")


def _closed(event: CaseTransitioned) -> dict:
    return {"closed_at": event.at} if event.to_state is CaseState.closed else {}


def _evidence_changes(case: Case, event: EvidenceUpdated) -> dict:
    alert = event.alert_id or case.source_id
    if event.withdrawn:
        standing = [a for a in case.alert_ids if a != alert]
        gone = [*case.withdrawn_alerts, *([alert] if alert not in case.withdrawn_alerts else [])]
    else:
        standing = [*case.alert_ids, *([alert] if alert not in case.alert_ids else [])]
        gone = [a for a in case.withdrawn_alerts if a != alert]
    return {"evidence": event.evidence, "severity": event.severity, "alert_ids": standing, "withdrawn_alerts": gone,
            "withdrawn": case.category != "channel" and not standing,
            "_note": "alert_withdrawn" if event.withdrawn else "evidence_updated"}


def replay(events: Iterable[AnyCaseEvent]) -> dict[str, Case]:
    """Fold a log into cases. A stale event (two writers raced for one version) loses to the first."""
    cases: dict[str, Case] = {}
    for event in events:
        try:
            cases[event.case_id] = evolve(cases.get(event.case_id), event)
        except StaleEvent:
            continue
    return cases


WITHDRAWN_NOTE = "预警撤回"


class InvalidTransition(Exception):
    """A transition the lifecycle forbids; the message says which and why."""


class StaleEvent(Exception):
    """An event whose version does not follow the case's: a duplicate or a lost race."""
