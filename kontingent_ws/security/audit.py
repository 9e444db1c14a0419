"""The personal-data audit log (152-ФЗ art. 19): append-only, one row per event.

Reads and writes of personal data are recorded in the call's own transaction, so they are
kept exactly when the call succeeds; the read contracts run in autocommit on PostgreSQL
(``kontingent_ws.app.read_engine``), where a read is recorded as soon as it is made.
Authentication failures and refused accesses are recorded in a transaction of their own,
because the call that caused them is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import BigInteger, Connection, String, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from db.models import AuditEvent, utcnow
from db.prepared import PreparedQuery, is_prepared_here
from kontingent_ws.call import CallContext
from kontingent_ws.security.caller import Caller

READ = "read"
WRITE = "write"
AUTH_FAILURE = "auth_failure"
ACCESS_DENIED = "access_denied"
ADMIN = "admin"

_TABLE = AuditEvent.metadata.tables[AuditEvent.__tablename__]
_INSERT = insert(_TABLE)
"""A Core insert built once: read events are written on the session's connection, without the ORM's
bulk-insert machinery (which cost more CPU per portfolio read than PostgreSQL spends storing the rows)."""

_SHARED = ("occurred_at", "user_id", "system_id", "actor", "client_address", "contract", "operation", "action",
           "object_type", "details", "request_id")  # fmt: skip
_PERSON = func.unnest(bindparam("person_ids", type_=ARRAY(BigInteger))).column_valued("person_id")
_READS = PreparedQuery(
    insert(_TABLE).from_select(
        [*_SHARED, "subject_person_id", "object_id"],
        select(
            *(bindparam(name, type_=_TABLE.c[name].type) for name in _SHARED),
            _PERSON,
            cast(_PERSON, String),
        ),
    ),
    name="audit_reads",
)
"""PostgreSQL: the read events of one call in one prepared statement, one row per person id."""
_EVENT = PreparedQuery(
    insert(_TABLE)
    .values({name: bindparam(name, type_=_TABLE.c[name].type) for name in (*_SHARED, "subject_person_id", "object_id")})
    .inline(),
    name="audit_event",
)
"""One event on the caller's connection: a prepared statement on PostgreSQL, the Core insert elsewhere."""


def _row(
    call: CallContext,
    action: str,
    *,
    actor: str | None = None,
    subject_person_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: str | None = None,
) -> dict[str, object]:
    caller = call.caller if isinstance(call.caller, Caller) else None
    return {
        "occurred_at": utcnow(),
        "user_id": caller.user_id if caller else None,
        "system_id": caller.system_id if caller else None,
        "actor": actor or (caller.name if caller else None),
        "client_address": call.client_address[:64] or None,
        "contract": call.contract,
        "operation": call.operation,
        "action": action,
        "subject_person_id": subject_person_id,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "details": details,
        "request_id": call.request_id,
    }


def record(
    call: CallContext,
    action: str,
    *,
    subject_person_id: int | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: str | None = None,
) -> None:
    """Record an event in the call's transaction (kept only if the call succeeds)."""
    call.session.execute(
        insert(AuditEvent),
        [
            _row(
                call,
                action,
                subject_person_id=subject_person_id,
                object_type=object_type,
                object_id=object_id,
                details=details,
            )
        ],
    )


def record_reads(call: CallContext, person_ids: Iterable[int], *, object_type: str, details: str | None = None) -> None:
    """Record one read event per person whose personal data the call returns."""
    connection = call.session.connection()
    if is_prepared_here(connection):
        persons = list(dict.fromkeys(person_ids))
        if persons:
            shared = _row(call, READ, object_type=object_type, details=details)
            _READS.rows(connection, {**shared, "person_ids": persons})
        return
    rows = [
        _row(call, READ, subject_person_id=pid, object_type=object_type, object_id=pid, details=details)
        for pid in dict.fromkeys(person_ids)
    ]
    if rows:
        connection.execute(_INSERT, rows[0] if len(rows) == 1 else rows)


def insert_event(connection: Connection, row: Mapping[str, object]) -> None:
    """Write one event (every column of :func:`_row`'s keys) on ``connection``, in its transaction."""
    _EVENT.rows(connection, row)


def record_detached(
    call: CallContext,
    action: str,
    *,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: str | None = None,
) -> None:
    """Record an event in its own transaction (survives the rollback of the call).

    The call is failing, so its own transaction is rolled back first: it may hold the write
    lock (SQLite has one writer), and nothing it did must stay.
    """
    call.session.rollback()
    with Session(bind=call.session.get_bind()) as session, session.begin():
        session.execute(
            insert(AuditEvent),
            [_row(call, action, actor=actor, object_type=object_type, object_id=object_id, details=details)],
        )
