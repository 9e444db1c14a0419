"""Background jobs: rows of ``job`` claimed by any number of workers on any hosts.

PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` hands each queued job to exactly one worker
without waiting. SQLite has a single writer, so there the claim is a conditional ``UPDATE``
(``WHERE id = … AND status = 'queued'``): of two workers that read the same row, only one
changes it. A running job whose heartbeat is older than ``stale_after`` belonged to a worker
that died; it is claimed again. Claims commit at once, so everyone sees that the job is taken.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.models import Job, utcnow

logger = logging.getLogger(__name__)

PACKET = "packet"
"""Kind of the job that loads one received packet; ``params = {"packet_id": …}``."""
RETRY_DELAY = dt.timedelta(seconds=30)
"""Pause before a failed job is tried again, multiplied by the attempts so far."""


def enqueue(
    session: Session,
    *,
    kind: str,
    params: dict[str, Any],
    run_after: dt.datetime | None = None,
    request_id: str | None = None,
    owner_user_id: int | None = None,
) -> Job:
    """Add a queued job in the session's transaction."""
    job = Job(
        kind=kind,
        status="queued",
        params=params,
        attempts=0,
        run_after=run_after or utcnow(),
        request_id=request_id,
        owner_user_id=owner_user_id,
    )
    session.add(job)
    session.flush()
    return job


def _claimable(now: dt.datetime, stale_after: dt.timedelta) -> ColumnElement[bool]:
    return or_(
        and_(Job.status == "queued", Job.run_after <= now),
        and_(Job.status == "running", Job.heartbeat_at < now - stale_after),
    )


def _take(session: Session, job_id: int, worker: str, condition: ColumnElement[bool], now: dt.datetime) -> bool:
    taken = session.execute(
        update(Job)
        .where(Job.id == job_id, condition)
        .values(
            status="running",
            attempts=Job.attempts + 1,
            locked_by=worker,
            locked_at=now,
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(taken, "rowcount", 0) == 1)


def claim_next(
    session: Session, *, worker: str, kinds: Sequence[str], stale_after: dt.timedelta
) -> Job | None:
    """Take the oldest claimable job of ``kinds`` for ``worker`` and commit; ``None`` if there is none."""
    now = utcnow()
    condition = _claimable(now, stale_after)
    query = select(Job.id).where(Job.kind.in_(kinds), condition).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for _attempt in range(5):
        job_id = session.scalar(query)
        if job_id is None:
            session.rollback()
            return None
        if _take(session, job_id, worker, condition, now):
            session.commit()
            return session.get(Job, job_id, populate_existing=True)
        session.rollback()
    return None


def claim_job(session: Session, job_id: int, *, worker: str) -> bool:
    """Take one given queued job (the receiving call applying a small packet at once); no commit."""
    return _take(session, job_id, worker, Job.status == "queued", utcnow())


def finish(session: Session, job_id: int, *, status: str = "done", error: str | None = None) -> None:
    """Mark the job done (or failed) in the session's transaction."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status=status, finished_at=utcnow(), error=error, locked_by=None)
        .execution_options(synchronize_session=False)
    )


def retry_later(session: Session, job_id: int, *, error: str) -> str:
    """Put a failed job back in the queue with a growing delay, or fail it for good; commit."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        return "missing"
    if job.attempts >= job.max_attempts:
        job.status, job.finished_at = "failed", utcnow()
    else:
        job.status, job.run_after = "queued", utcnow() + RETRY_DELAY * max(job.attempts, 1)
    job.error, job.locked_by = error[:4000], None
    session.commit()
    return job.status


def release_held(session: Session, *, worker: str) -> int:
    """Put back in the queue every job ``worker`` still holds (it lost them with its database
    connection), without counting that try; commit. Returns how many there were."""
    released = session.execute(
        update(Job)
        .where(Job.status == "running", Job.locked_by == worker)
        .values(status="queued", run_after=utcnow(), locked_by=None, attempts=Job.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(released, "rowcount", 0) or 0)


class Heartbeat:
    """Refreshes ``heartbeat_at`` of a running job from a thread with its own connection.

    The job's own transaction stays uncommitted while a packet is written, so the beat must come
    from elsewhere; a worker that dies stops beating and its job becomes claimable again.
    """

    def __init__(self, engine: Engine, job_id: int, worker: str, *, interval: float):
        self.engine = engine
        self.job_id = job_id
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.locked_by == self.worker, Job.status == "running")
                        .values(heartbeat_at=utcnow())
                    )
            except SQLAlchemyError as exc:  # a missed beat only risks an early retry, never a double apply
                logger.warning("heartbeat of job %s failed: %s", self.job_id, type(exc).__name__)
