"""PostgreSQL "restarted" under a running service and worker: clean faults, then recovery in place.

The shared PostgreSQL is never restarted: the service and the worker reach it through a TCP proxy
(``tests/pgproxy.py``). Down = every proxied connection cut, new ones refused, the database's
server processes terminated; up = connections accepted again. Nothing is restarted on our side.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from lxml import etree
from sqlalchemy import func, select
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from db.engine import make_engine, make_session_factory
from db.models import Job, LoadJournal, Packet, Person, Student
from db.models.exchange import SmevMessage
from kontingent_ws.security.caller import SYSTEM_ADMIN
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.settings import Settings
from tests.intakekit import (
    make_world,
    settings_for,
    store_enrolled_students,
)
from tests.live import LiveServer, zeep_client
from tests.pgproxy import TcpProxy, proxied, terminate_backends
from tests.smevdouble import SCHEMAS_DIR, SmevDouble
from tests.test_faults_kills import answers_delivered
from tests.test_smev_restart import double, signers  # noqa: F401 (fixtures)
from tests.test_smev_restart import environment as smev_environment  # noqa: F401 (fixture)

pytestmark = pytest.mark.live

PASSWORD = "Restart-password-2024"
CALLS = 6
"""Calls per phase: enough for both gunicorn workers to meet the outage and the recovery."""
ANSWER_SECONDS = 15.0
"""A call during the outage must be answered (with a fault) within this time: never a hang."""
STUDENTS = 2500
"""Three slices of 1000 rows: the worker pauses after writing two."""


@pytest.fixture
def empty_db_url(postgresql_url: str) -> str:
    """PostgreSQL only: the outage is played on PostgreSQL's wire (CI always runs this)."""
    return postgresql_url


@pytest.fixture
def proxy(db_url: str) -> Iterator[TcpProxy]:
    with proxied(db_url) as running:
        yield running


def go_down(proxy: TcpProxy, db_url: str) -> None:
    proxy.down()
    terminate_backends(db_url)


def service_info(base_url: str) -> tuple[str, object]:
    """One authenticated GetServiceInfo: ("ok", state) or (fault code, fault message)."""
    client = zeep_client(base_url, "ServiceInfo", wsse=UsernameToken("admin", PASSWORD, use_digest=True))
    try:
        return "ok", client.service.GetServiceInfo().Database.State
    except Fault as fault:
        return str(fault.code).split(":", 1)[-1], fault.message


def test_calls_fail_cleanly_while_the_database_is_down_and_succeed_after_without_a_restart(
    db_url: str, proxy: TcpProxy, tmp_path: Path
) -> None:
    secret = Fernet.generate_key().decode()
    engine = make_engine(db_url)
    with make_session_factory(engine).begin() as session:
        new_user(session, Settings(database_url=db_url, secret_key=secret), login="admin", password=PASSWORD,
                 role=SYSTEM_ADMIN, unit_id=None, full_name="Администратор")
    engine.dispose()
    server = LiveServer(database_url=proxy.url_for(db_url), env={"KONTINGENT_SECRET_KEY": secret},
                        log_path=tmp_path / "gunicorn.log")
    base_url = server.start()
    try:
        before = [service_info(base_url) for _ in range(CALLS)]

        go_down(proxy, db_url)
        during, slowest = [], 0.0
        for _ in range(CALLS):
            started = time.monotonic()
            during.append(service_info(base_url))
            slowest = max(slowest, time.monotonic() - started)
        health_down = requests.get(f"{base_url}/health", timeout=ANSWER_SECONDS)

        proxy.up()
        health_up = requests.get(f"{base_url}/health", timeout=ANSWER_SECONDS)
        after = [service_info(base_url) for _ in range(CALLS)]
        pid_after = server.process.pid if server.process else None
        alive = server.process is not None and server.process.poll() is None
    finally:
        server.stop()

    assert before == [("ok", "ok")] * CALLS
    assert [code for code, _ in during] == ["Server.Unavailable"] * CALLS, server.log()[-3000:]
    assert all("База данных временно недоступна" in str(message) for _, message in during)
    assert slowest < ANSWER_SECONDS
    assert health_down.status_code == 503
    assert json.loads(health_down.content)["database"]["reachable"] is False
    assert health_up.status_code == 200
    assert after == [("ok", "ok")] * CALLS  # recovered in place: the same gunicorn, never restarted
    assert alive and pid_after is not None
    assert "Server.Internal" not in server.log() and "internal error" not in server.log()


def _worker(database_url: str, tmp_path: Path, **env: str) -> subprocess.Popen[bytes]:
    command = Path(sys.executable).with_name("kontingent")
    environment = {**os.environ, "KONTINGENT_DATABASE_URL": database_url, "KONTINGENT_DATA_DIR": str(tmp_path),
                   **env}
    log = (tmp_path / "worker.log").open("wb")
    return subprocess.Popen([str(command), "worker", "--once", "--stale-seconds", "600"],
                            env=environment, stdout=log, stderr=subprocess.STDOUT)


def _wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, "the worker ended before its pause point"
        assert time.monotonic() < deadline, "the worker never reached its pause point"
        time.sleep(0.05)


def test_a_worker_mid_packet_rides_out_the_outage_and_applies_the_packet_once(
    db_url: str, proxy: TcpProxy, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    with factory() as session:
        world = make_world(session)
        stored = store_enrolled_students(session, world, settings_for(db_url, tmp_path), "restart-1", STUDENTS)
        session.commit()

    def scalar(query: object) -> object:
        with factory() as session:
            return session.execute(query).scalar_one()  # type: ignore[call-overload]

    paused, resume = tmp_path / "paused", tmp_path / "resume"
    worker = _worker(proxy.url_for(db_url), tmp_path, KONTINGENT_WORKER_PAUSE_AFTER_CHUNKS="2",
                     KONTINGENT_WORKER_PAUSE_FILE=str(paused), KONTINGENT_WORKER_RESUME_FILE=str(resume))
    try:
        _wait_for(paused, worker, 120)
        go_down(proxy, db_url)
        resume.touch()  # the worker writes its third slice into a dead connection
        deadline = time.monotonic() + 30
        log = tmp_path / "worker.log"
        while log.read_text(encoding="utf-8", errors="replace").count("database unavailable") < 2:
            assert worker.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "the worker never noticed the outage"
            time.sleep(0.1)
        during = (scalar(select(func.count()).select_from(Person)), scalar(select(Packet.status)),
                  scalar(select(Job.status)))
        proxy.up()
        code = worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    try:
        worker_log = (tmp_path / "worker.log").read_text(encoding="utf-8", errors="replace")
        assert code == 0, worker_log[-3000:]
        assert during == (0, "processing", "running")  # two slices written, none visible, none kept
        assert scalar(select(Packet.status).where(Packet.id == stored.packet_id)) == "done"
        assert scalar(select(func.count()).select_from(Student)) == STUDENTS
        assert scalar(select(func.count()).select_from(Person)) == STUDENTS
        assert scalar(select(func.count()).select_from(LoadJournal)) == 1
        assert scalar(select(LoadJournal.rows_applied)) == 2 * STUDENTS
        assert scalar(select(Job.status)) == "done"
        assert scalar(select(Job.attempts)) == 1  # the try the outage took is not counted
        assert "1 held job(s) queued again" in worker_log
    finally:
        engine.dispose()


SMEV_REQUESTS = 30
SMEV_QUERY = etree.QName("urn://kontingent-region/test/smev-restart/1.0", "AnyQuery")


@pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")
def test_the_smev_participant_waits_out_the_outage_and_answers_every_request_once(
    db_url: str, proxy: TcpProxy, tmp_path: Path,
    double: SmevDouble,  # noqa: F811
    smev_environment: dict[str, str],  # noqa: F811
    signers: dict[str, object],  # noqa: F811
) -> None:
    sent = [double.enqueue_request(sender=signers["EPGU"], content=etree.Element(SMEV_QUERY.text))  # type: ignore[arg-type]
            for _ in range(SMEV_REQUESTS)]
    env = {**smev_environment, "KONTINGENT_DATABASE_URL": proxy.url_for(db_url), "KONTINGENT_SMEV_POLL_SECONDS": "0.2"}
    log = tmp_path / "smev.log"
    with log.open("wb") as out:
        participant = subprocess.Popen([sys.executable, "-m", "kontingent_ws.cli", "smev", "--role", "provider"],
                                       env=env, stdout=out, stderr=subprocess.STDOUT)

    def text_of_log() -> str:
        return log.read_text(encoding="utf-8", errors="replace")

    try:
        deadline = time.monotonic() + 60
        while not answers_delivered(double):
            assert participant.poll() is None and time.monotonic() < deadline, text_of_log()[-3000:]
            time.sleep(0.02)
        go_down(proxy, db_url)
        while "database unavailable" not in text_of_log():
            assert participant.poll() is None and time.monotonic() < deadline, text_of_log()[-3000:]
            time.sleep(0.1)
        answered_while_down = len(answers_delivered(double))
        proxy.up()
        deadline = time.monotonic() + 60
        while len(answers_delivered(double)) < SMEV_REQUESTS:
            assert participant.poll() is None and time.monotonic() < deadline, text_of_log()[-3000:]
            time.sleep(0.1)
    finally:
        participant.send_signal(signal.SIGTERM)
        participant.wait(timeout=30)

    delivered = answers_delivered(double)
    assert answered_while_down < SMEV_REQUESTS  # the outage came while requests were waiting
    assert delivered == dict.fromkeys(sent, 1)  # each answered, once
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            stored = dict(session.execute(select(SmevMessage.message_id, SmevMessage.status)).tuples().all())
    finally:
        engine.dispose()
    assert stored == dict.fromkeys(sent, "answered")
    assert double.problems == []
