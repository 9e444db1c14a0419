"""Where the push of the change feed to the federal segment stands, read back from the outbox.

The pushed pages are the outgoing SMEV messages of kind ``changes``; no other state is kept.
One page is in flight at a time (no pipelining): the next page is built only after the federal
segment has accepted the previous one, so it receives the pages strictly in version order, and a
rejected page is sent again (from the same ``SinceVersion``) before anything newer.

* the cursor is the ``NextVersion`` of the last **delivered** page (0 before the first);
* a page still in status ``sent`` is in flight: ``Consumer.resume`` resends its stored envelope,
  nothing new is built;
* pages ``failed`` after the last delivered one are rejections in a row: the page is built
  again after the participant's back-off, counted from the last rejection.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.safexml import parse_bytes
from db.dates import as_utc
from db.models.exchange import SmevMessage
from kontingent_ws.smev import store
from kontingent_ws.smev.backoff import Backoff
from kontingent_ws.usecases.changefeed_packet import NAMESPACE

KIND_CHANGES = "changes"
"""``smev_message.kind`` of a pushed change packet."""


@dataclass(frozen=True, kw_only=True)
class PushState:
    """The outbox seen from the push: what was accepted, what is pending, what was rejected."""

    since: int
    """NextVersion of the last accepted page: the next page starts after it."""
    in_flight: bool
    """A page is sent and not yet answered."""
    rejections: int
    """Pages rejected since the last accepted one."""
    last_rejected_id: int | None
    """Row id of the latest of those rejections (seeds its back-off jitter)."""
    last_rejected_at: dt.datetime | None
    """When the latest rejection was stored."""

    def due(self, backoff: Backoff, now: dt.datetime) -> bool:
        """Whether a page may be sent now: nothing in flight and the back-off after rejections is over."""
        if self.in_flight:
            return False
        if self.last_rejected_id is None or self.last_rejected_at is None:
            return True
        # the jitter is drawn from the rejected row's id, so every round waits for the same moment
        wait = backoff.delay(self.rejections, random.Random(self.last_rejected_id))
        return now >= as_utc(self.last_rejected_at) + dt.timedelta(seconds=wait)


def push_state(session: Session) -> PushState:
    """Read the push's state from the outgoing messages of kind ``changes``."""
    mine = (SmevMessage.direction == store.OUT, SmevMessage.kind == KIND_CHANGES)
    accepted_id = session.scalar(select(func.max(SmevMessage.id)).where(*mine, SmevMessage.status == "delivered"))
    since = 0
    if accepted_id is not None:
        since = packet_next_version(store.get(session, accepted_id).payload)
    later = session.execute(
        select(SmevMessage.id, SmevMessage.status, SmevMessage.updated_at)
        .where(*mine, SmevMessage.id > (accepted_id or 0))
        .order_by(SmevMessage.id)
    ).all()
    rejected = [row for row in later if row.status == "failed"]
    return PushState(
        since=since,
        in_flight=any(row.status == "sent" for row in later),
        rejections=len(rejected),
        last_rejected_id=rejected[-1].id if rejected else None,
        last_rejected_at=rejected[-1].updated_at if rejected else None,
    )


def packet_next_version(envelope: bytes) -> int:
    """The ``NextVersion`` of the change packet inside a stored SendRequest envelope."""
    found = parse_bytes(envelope).find(f".//{{{NAMESPACE}}}ChangePacket/{{{NAMESPACE}}}NextVersion")
    if found is None or not (found.text or "").strip().isdigit():
        raise ValueError("the stored envelope carries no ChangePacket with a NextVersion")
    return int(found.text or "")


