"""Persisted states of SMEV messages (table ``smev_message``); the caller commits.

Incoming requests: received → acknowledged → processing → answered (or failed).
Outgoing requests: sent → delivered (or failed).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models.exchange import SmevMessage
from kontingent_ws.smev.messages import IncomingRequest

IN = "in"
OUT = "out"
KIND_REQUEST = "request"
UNFINISHED_IN = ("received", "acknowledged", "processing")


def root_name(element_tag: str) -> str:
    """The QName text stored as ``root_element`` (cut to the column's size)."""
    return element_tag[:300]


def save_incoming(
    session: Session, *, request: IncomingRequest, payload: bytes, request_id: str
) -> tuple[SmevMessage, bool]:
    """Store a received request (status received); return it and whether it is new.

    A MessageID already stored (a duplicate delivery) returns the stored row unchanged.
    """
    existing = find(session, IN, request.message_id)
    if existing is not None:
        return existing, False
    message = SmevMessage(
        direction=IN,
        kind=KIND_REQUEST,
        message_id=request.message_id,
        reference_message_id=request.reference_message_id,
        transaction_code=request.transaction_code,
        root_element=root_name(str(request.content.tag)),
        status="received",
        payload=payload,
        attempts=0,
        request_id=request_id,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        stored = find(session, IN, request.message_id)
        if stored is None:
            raise
        return stored, False
    return message, True


def save_outgoing(
    session: Session, *, message_id: str, kind: str, root_element: str, payload: bytes, request_id: str
) -> SmevMessage:
    """Store a request about to be sent (status sent): the outbox row, resent until SMEV takes it."""
    message = SmevMessage(
        direction=OUT,
        kind=kind,
        message_id=message_id,
        root_element=root_name(root_element),
        status="sent",
        payload=payload,
        attempts=0,
        request_id=request_id,
    )
    session.add(message)
    session.flush()
    return message


def find(session: Session, direction: str, message_id: str) -> SmevMessage | None:
    return session.scalars(
        select(SmevMessage).where(SmevMessage.direction == direction, SmevMessage.message_id == message_id)
    ).one_or_none()


def get(session: Session, pk: int) -> SmevMessage:
    return session.get_one(SmevMessage, pk)


def claim(session: Session, pk: int, *, from_statuses: tuple[str, ...], to_status: str) -> bool:
    """Move a message to ``to_status`` only if it is still in one of ``from_statuses``."""
    result = session.execute(
        update(SmevMessage)
        .where(SmevMessage.id == pk, SmevMessage.status.in_(from_statuses))
        .values(status=to_status)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))


def unfinished_incoming(session: Session) -> list[int]:
    """Ids of received requests not yet answered, oldest first."""
    return list(
        session.scalars(
            select(SmevMessage.id)
            .where(SmevMessage.direction == IN, SmevMessage.status.in_(UNFINISHED_IN))
            .order_by(SmevMessage.id)
        )
    )


def unconfirmed_outgoing(session: Session) -> list[int]:
    """Ids of outgoing requests still in status sent, oldest first."""
    return list(
        session.scalars(
            select(SmevMessage.id)
            .where(SmevMessage.direction == OUT, SmevMessage.status == "sent")
            .order_by(SmevMessage.id)
        )
    )
