"""COPY in the background: PostgreSQL writes one slice while the intake maps the next.

A large packet alternates between Python (parsing, mapping, matching a slice) and the server
(COPY of the slice, with its foreign-key checks). ``CopyPipe`` runs each COPY on one background
thread of the same connection and transaction, so the two overlap on a machine with two cores.
At most one COPY is in flight: the next one, any other statement of the session (a
``before_cursor_execute`` hook), a raw cursor of ``bulk`` and the commit all wait for it first, so
every statement still sees every row written before it and an error of the COPY is raised in the
caller's thread at that point (the transaction is then rolled back as before). The pipe lives for
one transaction; its end (commit or rollback) waits for the thread and drops it.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction

_KEY = "intake_copy_pipe"


class CopyPipe:
    """One background COPY at a time on the session's current connection."""

    def __init__(self, session: Session):
        self.session = session
        self.connection: Connection = session.connection()
        self.dbapi: Any = self.connection.connection.dbapi_connection
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-copy")
        self.pending: Future[None] | None = None
        event.listen(self.connection, "before_cursor_execute", self._before_execute)
        event.listen(self.connection, "rollback", self._settle)

    def _before_execute(self, *_args: Any) -> None:
        self.drain()

    def _settle(self, *_args: Any) -> None:
        """Before a rollback: the connection must be idle; the COPY's own error no longer matters."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.exception()

    def _copy(self, statement: str, data: str) -> None:
        cursor = self.dbapi.cursor()
        try:
            # the whole slice in one read: psycopg2 takes the GIL for every read of the buffer, and
            # with the loading thread busy each default 8 KiB read would wait for its turn
            cursor.copy_expert(statement, io.StringIO(data), size=len(data) + 1)
        finally:
            cursor.close()

    def submit(self, statement: str, data: str) -> None:
        """Start ``COPY … FROM STDIN`` of ``data`` once the previous one has finished."""
        self.drain()
        self.pending = self.executor.submit(self._copy, statement, data)

    def drain(self) -> None:
        """Wait for the COPY in flight; its error is raised here."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        """Wait for the thread (an error no longer matters: the transaction is over) and let go."""
        self._settle()
        self.executor.shutdown(wait=True)
        for name, listener in (("before_cursor_execute", self._before_execute), ("rollback", self._settle)):
            if event.contains(self.connection, name, listener):
                event.remove(self.connection, name, listener)


def _drain_before_commit(session: Session) -> None:
    pipe: CopyPipe | None = session.info.get(_KEY)
    if pipe is not None:
        pipe.drain()


def _close_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    pipe: CopyPipe | None = session.info.pop(_KEY, None)
    if pipe is not None:
        pipe.close()


def pipe_of(session: Session) -> CopyPipe:
    """The session's pipe for its current transaction (made on first use)."""
    pipe: CopyPipe | None = session.info.get(_KEY)
    if pipe is None:
        pipe = session.info[_KEY] = CopyPipe(session)
        if not event.contains(session, "before_commit", _drain_before_commit):
            event.listen(session, "before_commit", _drain_before_commit)
            event.listen(session, "after_transaction_end", _close_at_end)
    return pipe


def drain(session: Session) -> None:
    """Wait for the session's COPY in flight, if any (before using a raw cursor)."""
    pipe: CopyPipe | None = session.info.get(_KEY)
    if pipe is not None:
        pipe.drain()
