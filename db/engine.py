"""Engines and sessions, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

POSTGRES_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}
"""libpq settings: a server that does not answer fails a connect within 10 s, and a connection to a
host that vanished (no FIN, no RST) is found dead within about a minute instead of hanging a call.
A server that went away and came back is met by :func:`ping_when_idle`: a pooled connection that
rested longer than :data:`PING_AFTER_IDLE_SECONDS` is pinged on checkout and replaced when dead, and
a connection that fails mid-call makes the pool drop every connection older than the failure, so
the service recovers without a restart."""

PING_AFTER_IDLE_SECONDS = 2.0
"""A pooled connection idle longer than this is pinged before use.

``pool_pre_ping`` would ping on every checkout: one more round trip per call (and a ``SELECT 1`` for
the server) although a connection handed back a moment ago is almost surely alive. Under load every
connection is reused within milliseconds: it is pinged only when its socket shows that the server
wrote to it while it waited in the pool (which a server does only to end a connection: a restart, a
terminated backend), found with one ``poll`` and no round trip. After a quiet spell (a host that
vanished without a word) the first checkout pings. A server lost while connections are busy fails
the calls in flight whatever the ping (they get ``Server.Unavailable``), and SQLAlchemy then
invalidates the whole pool, so later calls open fresh connections."""
_LAST_CHECKIN = "kontingent_last_checkin"


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = str(engine_or_url.url) if isinstance(engine_or_url, Engine) else engine_or_url
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_LAST_CHECKIN] = time.monotonic()


def _has_news(dbapi_connection: Any) -> bool:
    """Whether the server wrote to a connection that waits in the pool (no query in flight): it
    only does so to end it – the termination message and FIN of a restart or ``pg_terminate_backend``,
    or a reset. One ``poll`` with no timeout, no round trip."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # closed, or a driver without a socket: ask the server
        return True


def ping_when_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pool ``checkout`` listener: ping a connection that rested or that the server wrote to while it
    waited, and have the pool replace it (``DisconnectionError``: the pool retries with a new
    connection) when the ping fails."""
    rested = record.info.get(_LAST_CHECKIN)
    if rested is None:
        return
    if time.monotonic() - rested < PING_AFTER_IDLE_SECONDS and not _has_news(dbapi_connection):
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as exc:  # any driver error: the connection is not usable
        raise DisconnectionError(f"pooled connection found dead after {time.monotonic() - rested:.0f} s idle") from exc
    finally:
        record.info.pop(_LAST_CHECKIN, None)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the project's settings for the given URL."""
    if is_sqlite(url):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("connect_args", POSTGRES_CONNECT_ARGS)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", ping_when_idle)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
