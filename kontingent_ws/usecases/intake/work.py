"""What a ``kontingent worker`` process does with one job: claim, beat, load, or retry later."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from db.models import Packet
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.apply import AfterChunk
from kontingent_ws.usecases.intake.pipeline import process_packet

logger = logging.getLogger(__name__)


def worker_name() -> str:
    """``host:pid`` – who holds a job, for operators reading the ``job`` table."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    """How a worker claims and keeps its jobs."""

    name: str
    """Written into ``job.locked_by``."""
    stale_after: dt.timedelta
    """A running job without a heartbeat for this long is taken over."""
    heartbeat_seconds: float
    """How often the heartbeat is refreshed while a job runs."""


def run_one(
    factory: sessionmaker[Session], settings: Settings, config: WorkerConfig, *, after_chunk: AfterChunk | None = None
) -> bool:
    """Claim and run one packet job; ``False`` when there was none."""
    with factory() as session:
        job = jobs.claim_next(session, worker=config.name, kinds=(jobs.PACKET,), stale_after=config.stale_after)
        if job is None:
            return False
        packet_id = int(job.params["packet_id"])
        packet = session.get(Packet, packet_id)
        if packet is not None and packet.status == "queued":
            packet.status = "processing"
            session.commit()
        engine = session.get_bind()
        try:
            with jobs.Heartbeat(engine, job.id, config.name, interval=config.heartbeat_seconds):  # type: ignore[arg-type]
                outcome = process_packet(session, settings, packet_id, job_id=job.id, after_chunk=after_chunk)
            logger.info("packet %s: %s", packet_id, outcome.status)
        except Exception as exc:
            session.rollback()
            state = jobs.retry_later(session, job.id, error=f"{type(exc).__name__}")
            logger.exception("packet %s failed, job %s is %s", packet_id, job.id, state)
    return True
