"""A feed row that records one dated action about one person (hukou, employment): the Envelope they share.

Natural key 身份证号 + 业务类型 + date; the payload is built last, from the checked action, so a row's
first error is reported in the same order for every such feed: ID number, date, action, then the payload.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel

from producers.identity import Pseudonymizer
from producers.reader import event_id, one_of, parse_date, person, required
from schemas.envelope import Envelope


def person_action(feed: str, row: dict[str, str], keys: Pseudonymizer, *, date_column: str,
                  actions: frozenset[str], payload: Callable[[str], BaseModel], ingested_at: datetime) -> Envelope:
    """`row` has its fields named already (reader.as_fields); `payload(action)` builds the feed's payload."""
    who = person(row, "id_number", keys)
    on = parse_date(required(row, date_column), date_column)
    action = one_of(row, "action", actions)
    return Envelope(
        event_id=event_id(feed, who.key, action, on.isoformat()),
        feed=feed,
        source_key=f"{keys.token(who.id_number)}|{action}|{on.isoformat()}",
        event_time=on,
        ingested_at=ingested_at,
        person_key=who.key,
        masked_id=who.masked,
        payload=payload(action),
    )
