"""Writes in the background: PostgreSQL writes one slice while the intake maps the next.

A large packet alternates between Python (parsing, mapping, matching a slice) and the server
(COPY of the slice with its key checks and triggers, bulk UPDATEs). ``CopyPipe`` runs such writes –
statements whose result nobody reads – on one background thread of the same connection and
transaction, in the order submitted, so the two overlap on a machine with two cores: the loader
queues a slice's writes and goes on mapping. Any other statement of the session (a
``before_cursor_execute`` hook: a read, which must see every row written before it) and the commit
wait for the queue to empty first, and the first error of a queued
write is raised in the caller's thread at that point (the transaction is then rolled back as
before; writes queued after a failed one fail too and are not reported). The pipe lives for one
transaction; its end (commit or rollback) waits for the thread and drops it.

A read the loader knows it will need can be queued the same way (``submit_read``): it runs after
the writes queued before it, so it sees them, and its result waits in a future – the next slice's
identity lookups, asked for while the slice after is mapped (``matching.PendingCandidates``).
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from psycopg2 import Error as DriverError
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction

from db.prepared import as_sqlalchemy_error

_KEY = "intake_copy_pipe"
T = TypeVar("T")
MAX_QUEUED_BYTES = 8 * 2**20
"""Data of the writes queued at most; beyond it the loader waits for the oldest. Enough for the
server to keep working through a section it is slower at (enrolments: keys, report triggers, the
students' current state) while the loader reads the next (marks), small enough to keep memory flat."""


SWITCH_INTERVAL = 0.0005
"""Seconds a thread holds the GIL before another may take it, while a pipe is open (Python's
default is 0.005). The pipe's thread needs the GIL for a moment between two writes (to start the
next one, to return from the driver); with the loader busy mapping it waited up to the default
interval each time while the server sat idle – 100,000 spreadsheet rows went 10 % faster with it
shorter. Process-wide, like ``few_collections``: the first open pipe sets it, the last restores it."""
_switch_lock = threading.Lock()
_switch_pipes = 0
_switch_saved = 0.005


def _shorter_switches(opened: bool) -> None:
    global _switch_pipes, _switch_saved
    with _switch_lock:
        if opened:
            if _switch_pipes == 0:
                _switch_saved = sys.getswitchinterval()
                sys.setswitchinterval(min(SWITCH_INTERVAL, _switch_saved))
            _switch_pipes += 1
        else:
            _switch_pipes -= 1
            if _switch_pipes == 0:
                sys.setswitchinterval(_switch_saved)


class CopyPipe:
    """Queued background writes, run one at a time in order on the session's current connection."""

    def __init__(self, session: Session):
        self.session = session
        self.connection: Connection = session.connection()
        self.dbapi: Any = self.connection.connection.dbapi_connection
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-copy")
        self.pending: list[tuple[Future[Any], int, str]] = []
        """Queued writes in order, with the size of their data and their statement (for errors)."""
        self.queued_bytes = 0
        event.listen(self.connection, "before_cursor_execute", self._before_execute)
        event.listen(self.connection, "rollback", self._settle)
        _shorter_switches(True)
        self.closed = False

    def _before_execute(self, *_args: Any) -> None:
        self.drain()

    def _settle(self, *_args: Any) -> None:
        """Before a rollback: the connection must be idle; the writes' own errors no longer matter."""
        pending, self.pending, self.queued_bytes = self.pending, [], 0
        for future, _size, _statement in pending:
            future.exception()

    def _copy(self, statement: str, data: str) -> None:
        cursor = self.dbapi.cursor()
        try:
            # the whole slice in one read: psycopg2 takes the GIL for every read of the buffer, and
            # with the loading thread busy each default 8 KiB read would wait for its turn
            cursor.copy_expert(statement, io.StringIO(data), size=len(data) + 1)
        finally:
            cursor.close()

    def _call(self, call: Callable[[Any], T]) -> T:
        cursor = self.dbapi.cursor()
        try:
            return call(cursor)
        finally:
            cursor.close()

    def _queue(self, future: Future[Any], size: int, statement: str) -> None:
        self.pending.append((future, size, statement))
        self.queued_bytes += size
        while self.queued_bytes > MAX_QUEUED_BYTES and len(self.pending) > 1:
            oldest, oldest_size, oldest_statement = self.pending.pop(0)
            self.queued_bytes -= oldest_size
            error = oldest.exception()
            if error is not None:
                self._settle()
                raise self._as_raised(error, oldest_statement) from error

    def _as_raised(self, error: BaseException, statement: str) -> BaseException:
        """A driver error as SQLAlchemy raises it (parameters hidden), whichever thread met it."""
        if isinstance(error, DriverError):
            return as_sqlalchemy_error(self.connection, self.dbapi, statement, None, error)
        return error

    def submit(self, statement: str, data: str) -> None:
        """Queue ``COPY … FROM STDIN`` of ``data`` after the writes already queued."""
        self._queue(self.executor.submit(self._copy, statement, data), len(data), statement)

    def submit_write(self, write: Callable[[Any], None], size: int, statement: str) -> None:
        """Queue ``write(cursor)`` – the ``statement`` whose result nobody reads, carrying about
        ``size`` bytes – after the writes already queued."""
        self._queue(self.executor.submit(self._call, write), size, statement)

    def submit_read(self, read: Callable[[Any], T], statement: str) -> Future[T]:
        """Queue ``read(cursor)`` after the writes queued so far (it sees them); its result is
        taken with ``result``. The loader asks for a slice's reads before it maps the next one,
        and finds them done when it comes to the slice."""
        future = self.executor.submit(self._call, read)
        self._queue(future, 0, statement)
        return future

    def result(self, future: Future[T], statement: str) -> T:
        """The result of a read queued by ``submit_read``; its error raised as a statement's would be."""
        error = future.exception()
        if error is not None:
            raise self._as_raised(error, statement) from error
        return future.result()

    def drain(self) -> None:
        """Wait for every queued write; the first error is raised here."""
        pending, self.pending, self.queued_bytes = self.pending, [], 0
        first: tuple[BaseException, str] | None = None
        for future, _size, statement in pending:
            error = future.exception()
            if error is not None and first is None:
                first = (error, statement)
        if first is not None:
            raise self._as_raised(*first) from first[0]

    def close(self) -> None:
        """Wait for the thread (an error no longer matters: the transaction is over) and let go."""
        self._settle()
        self.executor.shutdown(wait=True)
        if not self.closed:
            self.closed = True
            _shorter_switches(False)
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
