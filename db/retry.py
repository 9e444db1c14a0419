"""What a database error means for the caller: the server is gone (try later), a transaction lost a
race (try again at once), or a statement ran out of time.

PostgreSQL reports a lost race with SQLSTATE class 40: ``40P01`` (deadlock detected) and ``40001``
(serialization failure). Such a transaction was rolled back by the server and is safe to run again
from its start; :func:`retry_conflicts` does that a few times before giving up. A server that is
down, restarting or unreachable shows as an ``OperationalError``/``InterfaceError`` without a
conflict code, or as an invalidated connection; :func:`is_unavailable` recognises it.
"""

from __future__ import annotations

import errno
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg2
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
CONFLICTS = frozenset({DEADLOCK, SERIALIZATION_FAILURE})
QUERY_CANCELED = "57014"
"""A statement cancelled by ``statement_timeout`` (or by an operator)."""
NO_SPACE = frozenset({"53100", "53400"})
"""The server's disk is full (``disk_full``), or a query's temporary files passed ``temp_file_limit``."""
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
CONFLICT_ATTEMPTS = 5
"""How many times :func:`retry_conflicts` runs a transaction that keeps losing races."""


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL), wrapped by SQLAlchemy or raised by the driver
    itself (bulk writes go through the raw connection)."""
    code = getattr(exc, "pgcode", None) or getattr(getattr(exc, "orig", None), "pgcode", None)
    return code if isinstance(code, str) else None


def is_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction was rolled back and may run again."""
    return sqlstate(exc) in CONFLICTS


def is_timeout(exc: BaseException) -> bool:
    """A statement cancelled by its statement timeout."""
    return sqlstate(exc) == QUERY_CANCELED


def is_out_of_space(exc: BaseException) -> bool:
    """A write refused for want of space: the database's disk, or a local file (no space, quota)."""
    if isinstance(exc, OSError):
        return exc.errno in NO_SPACE_ERRNOS
    return sqlstate(exc) in NO_SPACE


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or the connection was lost (not a conflict, not a timeout)."""
    if is_conflict(exc) or is_timeout(exc) or is_out_of_space(exc):
        return False
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):  # raised on the raw connection
        return True
    if isinstance(exc, sa_exc.DisconnectionError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def conflict_pause(attempt: int, rng: random.Random | None = None) -> float:
    """A short random pause before the next attempt, so the two losers do not collide again."""
    return (rng or random).uniform(0.01, 0.05) * attempt


def retry_conflicts(
    session: Session,
    work: Callable[[], T],
    *,
    attempts: int = CONFLICT_ATTEMPTS,
    sleep: Callable[[float], object] = time.sleep,
) -> T:
    """Run ``work`` (one transaction on ``session`` that commits itself); when it loses a race
    (deadlock, serialization failure) roll back and run it again, up to ``attempts`` times.
    Any other error, or the last conflict, is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as error:
            if not is_conflict(error) or attempt == attempts:
                raise
            session.rollback()
            logger.warning("transaction lost a race (sqlstate %s), attempt %d of %d",
                           sqlstate(error), attempt, attempts)
        sleep(conflict_pause(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


class Outage:
    """Waits between attempts while the database is unavailable: 0.5 s doubling up to ``ceiling``."""

    def __init__(self, *, first: float = 0.5, ceiling: float = 10.0):
        self.first = first
        self.ceiling = ceiling
        self.failures = 0

    def failed(self) -> float:
        """Count a failure; the pause before the next attempt."""
        self.failures += 1
        return min(self.first * 2 ** (self.failures - 1), self.ceiling)

    def recovered(self) -> bool:
        """Forget the failures; ``True`` when there were any (the database is back)."""
        was_down, self.failures = self.failures > 0, 0
        return was_down


ORGANIZATION_WRITES = 1_000_001
"""First key of the advisory locks that serialize writes about one organization."""


def serialize_organization_writes(session: Session, organization_id: int) -> None:
    """Wait until no other transaction writes data of ``organization_id``, and hold that right until
    this transaction ends (PostgreSQL ``pg_advisory_xact_lock``; SQLite has a single writer anyway).

    Loads about one organization then run one after the other: a later load reads what the earlier
    one committed (field provenance, matched persons) before it decides anything, so provider
    priority gives the same result whatever the arrival order, two loads cannot deadlock on the
    same rows, and a new person sent by two providers at once is created once.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(func.pg_advisory_xact_lock(literal(ORGANIZATION_WRITES), literal(organization_id)))
        )
