"""The federal change feed: every change to students, enrolments, organizations and authorities,
numbered by a monotonically increasing ``change_log.version``, read in pages exactly once.

Write side – :func:`record_change`
    The write paths (intake pipeline, admin operations) call it inside their own transaction. It
    only remembers the change in the session; the rows are appended in the session's
    ``before_commit`` hook, after taking a transaction-scoped advisory lock
    (``pg_advisory_xact_lock``) that PostgreSQL releases only after the commit has become
    visible. So the versions of committed change rows are handed out in commit order.

Why this design (and not the others)
    A sequence alone is not enough: transaction A takes version 10, B takes 11 and commits
    first; a reader sees 11, moves its cursor past 10, and 10 is lost when A commits. Among the
    fixes – (a) store ``pg_current_xact_id()`` per row and only return versions of transactions
    older than ``pg_snapshot_xmin(pg_current_snapshot())``, (b) serialize the appends with an
    advisory lock held to commit, (c) a per-transaction allocation table – (b) is chosen: it needs
    no new column, the reader stays one indexed range scan (``version > since`` – no snapshot
    arithmetic, no waiting for long unrelated transactions as (a) does, since any long-running
    transaction of the database holds back xmin), and deferring the append to
    ``before_commit`` keeps the serialized section to one COPY (an INSERT on SQLite) plus the
    commit itself, whatever the length of the transaction that made the changes. Writers never wait on
    each other's row locks while holding it, so no deadlock is possible. The price – commits of
    writing transactions are serialized – costs a few hundred microseconds each.
    On SQLite writers are serialized by the database itself, so no lock is needed.

Read side – :func:`get_changes`
    Rows with ``version > since`` in version order, ``limit`` of them, with the entity's current
    data; ``next_version`` is the cursor for the next call and ``has_more`` says whether to call
    again at once. A reader that stores ``next_version`` sees every committed change exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import islice

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session, SessionTransaction

from db.copytext import NULL
from db.models import ChangeLog, utcnow
from kontingent_ws.call import CallContext
from kontingent_ws.errors import ValidationError
from kontingent_ws.security.caller import SYSTEM_ADMIN
from kontingent_ws.security.scope import caller_of, deny
from kontingent_ws.usecases.changefeed_model import (
    ENTITIES,
    MERGE,
    OPERATIONS,
    STUDENT,
    ChangePage,
)
from kontingent_ws.usecases.changefeed_packet import render_change_packet
from kontingent_ws.usecases.changefeed_snapshots import read_page

APPEND_LOCK_KEY = 0x4B6F6E7447
"""Key of the advisory lock serializing change-log appends (``KontG`` in ASCII)."""
MAX_PAGE_SIZE = 5000
CONTRACT = "ChangeFeed"
_PENDING = "kontingent.pending_changes"
_APPEND_COLUMNS = ("entity", "entity_id", "operation", "merged_into_id", "org_unit_id", "changed_at")


def record_change(
    session: Session,
    entity: str,
    entity_id: int,
    operation: str,
    *,
    merged_into_id: int | None = None,
    org_unit_id: int | None = None,
) -> None:
    """Register a change of ``entity`` #``entity_id`` made in the session's current transaction.

    ``operation``: ``upsert`` (created or changed), ``delete``, or ``merge`` (a duplicate
    person ``entity_id`` merged into ``merged_into_id``, entity ``student``). ``org_unit_id`` is
    the organization or authority the change belongs to (for consumers that filter by
    territory). The row gets its version when the transaction commits; a rollback forgets it.
    """
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {ENTITIES}")
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; expected one of {OPERATIONS}")
    if (operation == MERGE) != (merged_into_id is not None):
        raise ValueError("merged_into_id is given exactly for merges")
    if operation == MERGE and entity != STUDENT:
        raise ValueError("only persons (entity 'student') are merged")
    pending: dict[str, None] | None = session.info.get(_PENDING)
    if pending is None:  # the first change of the transaction (the end of a transaction forgets them)
        session.connection()  # begin the transaction now, so that its rollback forgets the change
        pending = session.info[_PENDING] = {}
        if not event.contains(session, "before_commit", _append_pending):
            event.listen(session, "before_commit", _append_pending)
            event.listen(session, "after_transaction_end", _forget_pending)
    # the change as its line of COPY text up to the time (a string: small, hashed once, never
    # walked by the garbage collector); ordered, and the same change twice in a transaction is one row
    org = NULL if org_unit_id is None else f"{org_unit_id:d}"
    if merged_into_id is None:
        pending[f"{entity}\t{entity_id:d}\t{operation}\t{NULL}\t{org}\t"] = None
    else:
        pending[f"{entity}\t{entity_id:d}\t{operation}\t{merged_into_id:d}\t{org}\t"] = None


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _append_pending(session: Session) -> None:
    pending: dict[str, None] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    now = utcnow()
    if not _is_postgres(session):
        session.execute(insert(ChangeLog), [_row(line, now) for line in pending])
        return
    # COPY: the lock is held for the append and the commit, and COPY appends a bulk writer's
    # thousands of rows several times faster than a multi-row INSERT. Entities and operations are
    # checked names, the rest numbers and a timestamp: nothing needs COPY's escaping, so each change
    # was kept as its line, and the time ends every one.
    data = _CopySource(pending, now)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})
    cursor = session.connection().connection.cursor()
    try:
        cursor.copy_expert(f"COPY change_log ({', '.join(_APPEND_COLUMNS)}) FROM STDIN", data)
    finally:
        cursor.close()


def _copy_data(pending: Iterable[str], at: dt.datetime) -> str:
    """The COPY text of the pending changes (``_APPEND_COLUMNS``), each ended by the time ``at``:
    what ``_CopySource`` gives a piece at a time."""
    return "".join(iter(_CopySource(pending, at).read, ""))


class _CopySource:
    """The COPY text of the pending changes read a thousand lines at a time (what ``_copy_data``
    returns at once): a load of 200,000 students leaves 400,000 changes, whose text made whole –
    and copied again into an ``io.StringIO``, four bytes a character – was the peak of the load's
    memory, at its very end."""

    LINES = 1000

    def __init__(self, pending: Iterable[str], at: dt.datetime):
        self.lines = iter(pending)
        self.end = f"{at}\n"

    def read(self, _size: int = -1) -> str:
        piece = list(islice(self.lines, self.LINES))
        return self.end.join(piece) + self.end if piece else ""


def _row(line: str, at: dt.datetime) -> dict[str, object]:
    """A pending change's line as the values of its ``change_log`` row."""
    entity, entity_id, operation, merged_into_id, org_unit_id, _ = line.split("\t")
    return {
        "entity": entity,
        "entity_id": int(entity_id),
        "operation": operation,
        "merged_into_id": None if merged_into_id == NULL else int(merged_into_id),
        "org_unit_id": None if org_unit_id == NULL else int(org_unit_id),
        "changed_at": at,
    }


def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed (already appended) or rolled back
        session.info.pop(_PENDING, None)


def get_changes(session: Session, since: int, limit: int) -> ChangePage:
    """Committed changes with ``version > since``, at most ``limit``, with current snapshots."""
    if since < 0:
        raise ValidationError("Номер версии SinceVersion не может быть отрицательным", field="SinceVersion")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"Размер страницы PageSize должен быть от 1 до {MAX_PAGE_SIZE}", field="PageSize")
    changes = read_page(session, since, limit + 1)
    has_more = len(changes) > limit
    changes = changes[:limit]
    return ChangePage(changes=tuple(changes), next_version=changes[-1].version if changes else since, has_more=has_more)


def build_change_packet(session: Session, since: int, limit: int) -> bytes:
    """The ``ChangePacket`` (``xsd/change-feed-1.0.0.xsd``) of the changes after ``since``, for the SMEV push.

    The sender keeps the packet's ``NextVersion`` once SMEV has accepted the message and starts
    the next packet from it.
    """
    return render_change_packet(get_changes(session, since, limit), since=since)


def changes_for_call(call: CallContext, since: int, limit: int) -> ChangePage:
    """The ChangeFeed contract's ``GetChanges``: a consumer system granted it, or the system administrator."""
    _check_reader(call)
    return get_changes(call.session, since, limit)


def packet_for_call(call: CallContext, since: int, limit: int) -> bytes:
    """The ChangeFeed contract's ``GetChangePacket``: the page as the ``ChangePacket`` the SMEV push sends."""
    _check_reader(call)
    return build_change_packet(call.session, since, limit)


def _check_reader(call: CallContext) -> None:
    caller = caller_of(call)
    allowed = caller.role == SYSTEM_ADMIN or (
        caller.kind == "system" and caller.is_consumer and CONTRACT in caller.contracts
    )
    if not allowed:
        raise deny(
            call,
            object_type="contract",
            object_id=CONTRACT,
            message="Лента изменений доступна только информационным системам-потребителям, которым "
            "предоставлен этот сервис",
        )
