"""A worker killed with SIGKILL mid-packet leaves nothing of it; a restarted worker loads it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from db.engine import make_engine, make_session_factory
from db.models import Job, LoadJournal, Packet, Person, Student
from tests.intakekit import (
    make_world,
    settings_for,
    store_enrolled_students,
)

STUDENTS = 2500
"""Three slices of 1000 rows: the worker pauses after writing two."""
STALE_SECONDS = "2"


def worker(db_url: str, tmp_path: Path, **env: str) -> subprocess.Popen[bytes]:
    command = Path(sys.executable).with_name("kontingent")
    environment = {**os.environ, "KONTINGENT_DATABASE_URL": db_url, "KONTINGENT_DATA_DIR": str(tmp_path), **env}
    log = (tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb")
    return subprocess.Popen([str(command), "worker", "--once", "--stale-seconds", STALE_SECONDS],
                            env=environment, stdout=log, stderr=subprocess.STDOUT)


def test_a_killed_worker_leaves_nothing_and_a_restarted_one_loads_the_packet_once(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        world = make_world(session)
        stored = store_enrolled_students(session, world, settings_for(db_url, tmp_path), "big-1", STUDENTS)
        session.commit()
    marker = tmp_path / "paused"

    def scalar(query: object) -> object:
        with engine.connect() as connection:
            return connection.execute(query).scalar_one()  # type: ignore[call-overload]

    try:
        first = worker(db_url, tmp_path, KONTINGENT_WORKER_PAUSE_AFTER_CHUNKS="2",
                       KONTINGENT_WORKER_PAUSE_FILE=str(marker))
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert first.poll() is None, "the worker ended before its pause point"
            assert time.monotonic() < deadline, "the worker never reached its pause point"
            time.sleep(0.1)
        during = (scalar(select(func.count()).select_from(Person)), scalar(select(Packet.status)),
                  scalar(select(Job.status)))
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        after_kill = scalar(select(func.count()).select_from(Person))

        time.sleep(float(STALE_SECONDS) + 1)
        second = worker(db_url, tmp_path)
        assert second.wait(timeout=300) == 0

        assert during == (0, "processing", "running")  # two slices written, none visible
        assert after_kill == 0
        assert scalar(select(Packet.status).where(Packet.id == stored.packet_id)) == "done"
        assert scalar(select(func.count()).select_from(Student)) == STUDENTS
        assert scalar(select(func.count()).select_from(LoadJournal)) == 1
        assert scalar(select(LoadJournal.rows_applied)) == 2 * STUDENTS
        assert scalar(select(Job.status)) == "done"
        assert scalar(select(Job.attempts)) == 2
    finally:
        engine.dispose()
