"""``kontingent worker [--once] [--poll-seconds N] [--stale-seconds N]``: load queued packets, build queued reports.

Any number of workers on any hosts share the queue (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
A worker that dies mid-packet leaves nothing of it applied; its job is taken over once its
heartbeat is older than ``--stale-seconds``.

A database that goes away (restarted, unreachable) does not end the worker: the job it was running
is rolled back with its connection, the worker waits (0.5 s doubling up to 10 s) and tries again,
and once the database answers it puts the jobs it still held back in the queue and carries on.

For the crash and fault tests only: ``KONTINGENT_WORKER_PAUSE_AFTER_CHUNKS=N`` with
``KONTINGENT_WORKER_PAUSE_FILE=path`` makes the worker, after writing N slices of a packet (not
committed), create that file and wait until it is killed – or, with
``KONTINGENT_WORKER_RESUME_FILE=path``, until that file exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.retry import Outage, is_unavailable
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.apply import AfterChunk
from kontingent_ws.usecases.intake.work import WorkerConfig, run_one, worker_name
from kontingent_ws.usecases.report_jobs import run_report_job

PAUSE_AFTER = "KONTINGENT_WORKER_PAUSE_AFTER_CHUNKS"
PAUSE_FILE = "KONTINGENT_WORKER_PAUSE_FILE"
RESUME_FILE = "KONTINGENT_WORKER_RESUME_FILE"

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("worker", help="загружать полученные пакеты и строить отчёты из очереди")
    parser.add_argument("--once", action="store_true", help="обработать одно задание и завершиться")
    parser.add_argument("--poll-seconds", type=float, default=2.0, help="пауза при пустой очереди, секунд")
    parser.add_argument("--stale-seconds", type=float, default=300.0,
                        help="задание без отметки активности дольше этого срока перезапускается, секунд")
    parser.set_defaults(handler=run)


def pause_point() -> AfterChunk | None:
    """The test pause point from the environment, if set."""
    after, marker = os.environ.get(PAUSE_AFTER), os.environ.get(PAUSE_FILE)
    if not after or not marker:
        return None
    limit = int(after)
    resume = os.environ.get(RESUME_FILE)

    def pause(written: int) -> None:
        if written == limit:
            Path(marker).write_text(str(os.getpid()), encoding="utf-8")
            while not (resume and Path(resume).exists()):
                time.sleep(0.1)

    return pause


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url, hide_parameters=True)
    factory = make_session_factory(engine)
    config = WorkerConfig(
        name=worker_name(),
        stale_after=dt.timedelta(seconds=args.stale_seconds),
        heartbeat_seconds=max(args.stale_seconds / 5, 0.5),
    )
    hook = pause_point()
    outage = Outage()
    try:
        while True:
            try:
                if outage.failures:
                    _release_held(factory, config.name)
                worked = run_one(factory, settings, config, after_chunk=hook) or run_report_job(factory, config)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                pause = outage.failed()
                logger.warning("worker: database unavailable (%s), next attempt in %.1f s", type(exc).__name__, pause)
                time.sleep(pause)
                continue
            outage.recovered()
            if args.once:
                return 0
            if not worked:
                time.sleep(args.poll_seconds)
    finally:
        engine.dispose()


def _release_held(factory: sessionmaker[Session], worker: str) -> None:
    """The database is back: the jobs this worker held when it went away are queued again at once."""
    with factory() as session:
        released = jobs.release_held(session, worker=worker)
    logger.info("worker: database available again, %d held job(s) queued again", released)
