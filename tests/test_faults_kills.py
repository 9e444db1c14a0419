"""A worker and the SMEV participant killed (SIGKILL) at random moments: nothing half-applied,
nothing lost, nothing applied twice.

The kill delays are drawn from a seeded generator, so a run is repeatable; wherever a kill lands
(before the first step, inside a transaction, between durable steps, after the last one), the
invariants checked after each kill and at the end must hold.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine, func, select

from db.engine import make_engine, make_session_factory
from db.models import Job, LoadJournal, Packet, Student
from db.models.exchange import SmevMessage
from kontingent_ws.smev.envelopes import types
from kontingent_ws.usecases.intake.formats import XML_PACKET
from kontingent_ws.usecases.intake.receive import Sender, store_packet
from tests.intakekit import (
    SOUTH_INN,
    SOUTH_KPP,
    enrolment,
    make_world,
    packet_xml,
    settings_for,
    signed,
    snils,
    student,
)
from tests.smevdouble import SCHEMAS_DIR, SmevDouble
from tests.test_smev_restart import double, signers  # noqa: F401 (fixtures)
from tests.test_smev_restart import environment as smev_environment  # noqa: F401 (fixture)

SEED = 20240901
KILLS = 3
STALE_SECONDS = 1.0
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Batch:
    packet_id: int
    students: int


def _spawn(args: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "kontingent_ws.cli", *args], env=environment, cwd=REPO,
                                stdout=out, stderr=subprocess.STDOUT)


def _kill_during(process: subprocess.Popen[bytes], working: Callable[[int], bool], delay: float) -> None:
    """Once ``working(pid)`` says the process has begun its work (or that none is left), SIGKILL it
    ``delay`` seconds later."""
    _until(lambda: working(process.pid) or process.poll() is not None, 60, "the process never began its work")
    assert process.poll() is None, "the process ended on its own"
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


# -- the worker --------------------------------------------------------------------------------------


def _store_packets(engine: Engine, db_url: str, tmp_path: Path) -> list[Batch]:
    """A small packet, a large one (two slices) and another small one from both providers, queued."""
    factory = make_session_factory(engine)
    settings = settings_for(db_url, tmp_path)
    batches = []
    with factory() as session:
        world = make_world(session)
        plan = [("north-small", world.netschool, 40, {}), ("big", world.netschool, 1500, {}),
                ("south-small", world.dnevnik, 60, {"org_inn": SOUTH_INN, "org_kpp": SOUTH_KPP})]
        first = 0
        for name, provider, count, org in plan:
            refs = range(first, first + count)
            rows = {
                "Students": [student(f"s{i}", "Ковалёва", f"Имя{i}", "2012-05-01", sex="2",
                                     snils_value=snils(5000 + i)) for i in refs],
                "Enrolments": [enrolment(f"e{i}", f"s{i}", "2024-09-01") for i in refs],
            }
            data = signed(packet_xml(name, rows, provider=provider.mnemonic, **org), provider.identity)
            stored = store_packet(session, settings, data=data, file_name=f"{name}.xml", format=XML_PACKET,
                                  sender=Sender(system_id=provider.system_id, user_id=None))
            batches.append(Batch(packet_id=stored.packet_id, students=count))
            first += count
        session.commit()
    return batches


def _check_packets(engine: Engine, batches: list[Batch], *, finished: bool) -> int:
    """Each packet is either loaded whole (done, its students, one journal entry) or not at all;
    returns how many are done."""
    done = 0
    with make_session_factory(engine)() as session:
        for batch in batches:
            status = session.scalar(select(Packet.status).where(Packet.id == batch.packet_id))
            students = session.scalar(
                select(func.count()).select_from(Student).where(Student.source_packet_id == batch.packet_id)
            )
            entries = session.execute(
                select(LoadJournal.rows_applied).where(LoadJournal.packet_id == batch.packet_id)
            ).scalars().all()
            if status == "done":
                assert (students, entries) == (batch.students, [2 * batch.students]), batch
                done += 1
            else:
                assert not finished, (batch, status)
                assert status in ("queued", "processing"), (batch, status)
                assert (students, entries) == (0, []), batch
        if finished:
            assert set(session.scalars(select(Job.status))) == {"done"}
            assert session.scalar(select(func.count()).select_from(Student)) == sum(b.students for b in batches)
    return done


def test_a_worker_killed_at_random_moments_loads_every_packet_exactly_once(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    rng = random.Random(SEED)
    environment = {**os.environ, "KONTINGENT_DATABASE_URL": db_url, "KONTINGENT_DATA_DIR": str(tmp_path)}
    command = ["worker", "--poll-seconds", "0.2", "--stale-seconds", str(STALE_SECONDS)]
    log = tmp_path / "worker.log"
    try:
        batches = _store_packets(engine, db_url, tmp_path)
        progress = []
        for _ in range(KILLS):
            _kill_during(_spawn(command, environment, log),
                         lambda pid: _holds_job(engine, pid) or _all_jobs_done(engine),
                         rng.uniform(0, 2.0))
            progress.append(_check_packets(engine, batches, finished=False))
            time.sleep(STALE_SECONDS + 0.5)  # the dead worker's job becomes claimable
        last = _spawn(command, environment, log)
        try:
            _until(lambda: _all_jobs_done(engine), 120, "the last worker did not finish the queue")
        finally:
            last.send_signal(signal.SIGTERM)
            last.wait(timeout=30)
        _check_packets(engine, batches, finished=True)
        print("packets done after each kill:", progress)
    finally:
        engine.dispose()


def _holds_job(engine: Engine, pid: int) -> bool:
    """Whether the worker with ``pid`` holds a job (its name is ``host:pid``)."""
    with make_session_factory(engine)() as session:
        holders = session.scalars(select(Job.locked_by).where(Job.status == "running")).all()
    return any(holder is not None and holder.endswith(f":{pid}") for holder in holders)


def _all_jobs_done(engine: Engine) -> bool:
    with make_session_factory(engine)() as session:
        return set(session.scalars(select(Job.status))) == {"done"}


# -- the SMEV participant ----------------------------------------------------------------------------

QUERY = etree.QName("urn://kontingent-region/test/smev-restart/1.0", "AnyQuery")
REQUESTS = 16


@pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")
def test_a_participant_killed_at_random_moments_answers_every_request_exactly_once(
    double: SmevDouble,  # noqa: F811
    smev_environment: dict[str, str],  # noqa: F811
    signers: dict[str, object],  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    sent = [double.enqueue_request(sender=signers["EPGU"], content=etree.Element(QUERY.text))  # type: ignore[arg-type]
            for _ in range(REQUESTS)]
    env = {**smev_environment, "KONTINGENT_SMEV_POLL_SECONDS": "0.2"}
    log = tmp_path / "smev.log"
    engine = make_engine(db_url)
    try:
        progress = []
        for _ in range(KILLS):
            polls = len(double.calls("GetRequestRequest"))
            _kill_during(_spawn(["smev", "--role", "provider"], env, log),
                         lambda _pid, before=polls: len(double.calls("GetRequestRequest")) > before,
                         rng.uniform(0, 1.0))
            progress.append(_check_answers(double, engine, sent, finished=False))
        last = subprocess.run([sys.executable, "-m", "kontingent_ws.cli", "smev", "--once", "--role", "provider"],
                              env=env, cwd=REPO, capture_output=True, timeout=120, check=False)
        assert last.returncode == 0, last.stderr[-3000:]
        _check_answers(double, engine, sent, finished=True)
        print("requests answered after each kill:", progress)
    finally:
        engine.dispose()


def answers_delivered(smev: SmevDouble) -> dict[str, int]:
    """Request MessageID → how many answers SMEV took and queued for the requester (EPGU)."""
    delivered: dict[str, int] = {}
    with smev.lock:
        for queued in smev.state.responses.get("EPGU", []):
            original = queued.message.findtext(types("OriginalMessageId")) or ""
            delivered[original] = delivered.get(original, 0) + 1
    return delivered


def _check_answers(double: SmevDouble, engine: Engine, sent: list[str], *, finished: bool) -> int:  # noqa: F811
    """SMEV passed on at most one answer per request (exactly one at the end); the participant holds
    one row per request it took, none answered without SMEV having its answer. Returns how many
    requests SMEV has an answer to."""
    delivered = answers_delivered(double)
    assert all(count == 1 for count in delivered.values()), delivered
    with make_session_factory(engine)() as session:
        rows = session.execute(select(SmevMessage.message_id, SmevMessage.status)).tuples().all()
    stored = dict(rows)
    assert len(stored) == len(rows)  # one row per request
    assert set(stored) <= set(sent)
    assert {m for m, status in stored.items() if status == "answered"} <= set(delivered)
    assert double.problems == []
    if finished:
        assert set(delivered) == set(sent)
        assert stored == dict.fromkeys(sent, "answered")
        assert double.waiting("KONTINGENT") == 0
    return len(delivered)
