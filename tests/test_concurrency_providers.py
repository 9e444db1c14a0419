"""Providers writing the same students at once, on PostgreSQL: the result is the one provider
priority dictates whatever the interleaving, no lost update, no deadlock or serialization failure
reaches a client, and readers (a report, the change feed) meanwhile get no error.

The dangerous interleaving is forced, not hoped for: the first load pauses after writing its slice
(row locks held, not committed) until the second is seen waiting on a lock in ``pg_stat_activity``.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import LoadJournal, LoadRowError, Packet, Person, ProviderPriority
from kontingent_ws.app import make_app
from kontingent_ws.call import CallContext
from kontingent_ws.security.caller import SYSTEM, SYSTEM_ADMIN, Caller
from kontingent_ws.settings import Settings
from kontingent_ws.types.common import contract_namespace
from kontingent_ws.usecases.intake.formats import XML_PACKET
from kontingent_ws.usecases.intake.pipeline import CHUNK_SIZE, process_packet
from kontingent_ws.usecases.intake.priority import field_writer
from kontingent_ws.usecases.intake.receive import Sender, store_packet
from tests.conftest import BACKENDS, drop_postgres_database, fresh_postgres_database
from tests.intakekit import (
    SOUTH_INN,
    SOUTH_KPP,
    Provider,
    World,
    load,
    make_world,
    packet_xml,
    signed,
    snils,
    student,
)
from tests.live import call_wsgi, read_fault, soap_envelope

HIGH, LOW, BASE = "+7 900 000-00-01", "+7 900 000-00-02", "+7 900 000-00-03"
"""Phones sent by the higher-ranked provider (netschool), the lower-ranked one (dnevnik), and the
value the student starts with (written by dnevnik)."""
SEED = 4242


@dataclass(kw_only=True)
class Region:
    engine: Engine
    url: str
    world: World
    settings: Settings
    tmp_path: Path

    def session(self) -> Session:
        return make_session_factory(self.engine)()


@pytest.fixture(params=[backend for backend in BACKENDS if backend == "postgresql"])
def region(tmp_path: Path) -> Iterator[Region]:
    """A fresh PostgreSQL database (only there: SQLite has one writer at a time, CI always runs
    this): the small region, netschool ranked above dnevnik at the northern school."""
    url, name = fresh_postgres_database()
    initdb(url)
    engine = make_engine(url, pool_size=20)
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key=Fernet.generate_key().decode())
    try:
        with make_session_factory(engine)() as session:
            world = make_world(session)
            session.add_all([
                ProviderPriority(organization_id=world.region.north_school_id, system_id=world.netschool.system_id,
                                 rank=1),
                ProviderPriority(organization_id=world.region.north_school_id, system_id=world.dnevnik.system_id,
                                 rank=2),
            ])
            session.commit()
        yield Region(engine=engine, url=url, world=world, settings=settings, tmp_path=tmp_path)
    finally:
        engine.dispose()
        drop_postgres_database(name)


def _students(numbers: list[int], phone: str) -> list[str]:
    return [student(f"s{n}", "Носова", f"Анна{n}", "2013-02-03", sex="2", snils_value=snils(300 + n), phone=phone)
            for n in numbers]


def _store(region: Region, provider: Provider, packet_id: str, numbers: list[int], phone: str) -> tuple[int, int]:
    data = signed(packet_xml(packet_id, {"Students": _students(numbers, phone)}, provider=provider.mnemonic),
                  provider.identity)
    with region.session() as session:
        stored = store_packet(session, region.settings, data=data, file_name=f"{packet_id}.xml", format=XML_PACKET,
                              sender=Sender(system_id=provider.system_id, user_id=None))
        session.commit()
    return stored.packet_id, stored.job_id


def _phones(region: Region, numbers: list[int]) -> dict[int, tuple[str | None, int | None]]:
    """Student number → (phone kept, system owning the phone)."""
    with region.session() as session:
        result = {}
        for n in numbers:
            person = session.scalars(select(Person).where(Person.snils == snils(300 + n))).one()
            owner = field_writer(session, "person", person.id, "phone")
            result[n] = (person.phone, owner.system_id if owner else None)
        return result


def _waiting_on_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )).scalar_one())


@dataclass
class Outcomes:
    errors: list[BaseException] = field(default_factory=list)

    def run(self, target: Callable[[], object]) -> threading.Thread:
        def guarded() -> None:
            try:
                target()
            except BaseException as exc:  # collected and asserted by the test
                self.errors.append(exc)

        thread = threading.Thread(target=guarded)
        thread.start()
        return thread


def _load(region: Region, packet: tuple[int, int], hook: Callable[[int], None] | None = None) -> None:
    with region.session() as session:
        process_packet(session, region.settings, packet[0], job_id=packet[1], after_chunk=hook)


@pytest.mark.parametrize("first", ["higher-first", "lower-first"])
def test_two_providers_writing_the_same_students_at_once_give_the_priority_result(region: Region, first: str) -> None:
    world = region.world
    numbers = [1, 2, 3]
    with region.session() as session:
        load(session, region.settings, world.dnevnik, packet_xml("base", {"Students": _students(numbers, BASE)},
                                                                 provider="dnevnik"))
    high = _store(region, world.netschool, "high", numbers, HIGH)
    low = _store(region, world.dnevnik, "low", list(reversed(numbers)), LOW)  # the other row order
    leader, follower = (high, low) if first == "higher-first" else (low, high)
    written, go = threading.Event(), threading.Event()

    def pause(_chunks: int) -> None:
        written.set()
        assert go.wait(30)

    outcomes = Outcomes()
    threads = [outcomes.run(lambda: _load(region, leader, pause))]
    assert written.wait(30)
    threads.append(outcomes.run(lambda: _load(region, follower)))
    deadline = time.monotonic() + 10
    while not _waiting_on_lock(region.engine):  # the follower is blocked behind the leader's locks
        assert time.monotonic() < deadline, "the second load never waited for the first"
        time.sleep(0.05)
    go.set()
    for thread in threads:
        thread.join(60)

    assert outcomes.errors == []
    assert _phones(region, numbers) == dict.fromkeys(numbers, (HIGH, world.netschool.system_id))
    with region.session() as session:
        assert session.scalars(select(Packet.status).where(Packet.id.in_([high[0], low[0]]))).all() == ["done"] * 2
        assert session.scalar(select(func.count()).select_from(Person)) == len(numbers)  # nobody created twice
        kept = session.scalar(
            select(func.count()).select_from(LoadRowError).join(LoadJournal, LoadJournal.id == LoadRowError.journal_id)
            .where(LoadJournal.packet_id == low[0], LoadRowError.code == "PRIORITY_KEPT")
        )
    # The lower-ranked packet is told its value was kept out exactly when it came second.
    assert kept == (len(numbers) if first == "higher-first" else 0)


def test_racing_loads_in_random_order_never_fail_and_always_end_with_the_higher_ranked_value(region: Region) -> None:
    world = region.world
    rng = random.Random(SEED)
    rounds = 4
    for r in range(rounds):
        numbers = [10 * (r + 1) + i for i in range(5)]
        with region.session() as session:
            load(session, region.settings, world.dnevnik,
                 packet_xml(f"base-{r}", {"Students": _students(numbers, BASE)}, provider="dnevnik"))
        shuffled = numbers[:]
        rng.shuffle(shuffled)
        packets = [_store(region, world.netschool, f"high-{r}", numbers, HIGH),
                   _store(region, world.dnevnik, f"low-{r}", shuffled, LOW)]
        rng.shuffle(packets)
        delays = [rng.uniform(0, 0.05) for _ in packets]
        outcomes = Outcomes()
        threads = [outcomes.run(lambda p=p, d=d: (time.sleep(d), _load(region, p))) for p, d in zip(packets, delays,
                                                                                                    strict=True)]
        for thread in threads:
            thread.join(60)
        assert outcomes.errors == [], (r, outcomes.errors)
        assert _phones(region, numbers) == dict.fromkeys(numbers, (HIGH, world.netschool.system_id)), r


def test_a_deadlock_between_loads_of_two_schools_is_retried_inside_the_service(
    region: Region, caplog: pytest.LogCaptureFixture
) -> None:
    """Two schools' loads update the same two persons in opposite orders, each pausing between its
    slices with the first person locked: PostgreSQL breaks the deadlock by failing one of them,
    which is rolled back and run again; both end loaded, nothing fails."""
    world = region.world
    shared = [1, 2]
    with region.session() as session:
        load(session, region.settings, world.dnevnik, packet_xml("base", {"Students": _students(shared, BASE)},
                                                                 provider="dnevnik"))
    filler = CHUNK_SIZE - 1  # the first slice ends with the first shared person, the second holds the other
    north = _store(region, world.netschool, "north", [*range(1000, 1000 + filler), 1, 2], HIGH)
    south_rows = _students([*range(3000, 3000 + filler), 2, 1], LOW)
    south_data = signed(packet_xml("south", {"Students": south_rows}, provider="dnevnik", org_inn=SOUTH_INN,
                                   org_kpp=SOUTH_KPP), world.dnevnik.identity)
    with region.session() as session:
        stored = store_packet(session, region.settings, data=south_data, file_name="south.xml", format=XML_PACKET,
                              sender=Sender(system_id=world.dnevnik.system_id, user_id=None))
        session.commit()
    south = (stored.packet_id, stored.job_id)
    paused = [threading.Event(), threading.Event()]
    go = threading.Event()

    def pause_after_first(index: int) -> Callable[[int], None]:
        def hook(chunks: int) -> None:
            if chunks == 1:
                paused[index].set()
                assert go.wait(60)
        return hook

    outcomes = Outcomes()
    with caplog.at_level("WARNING", logger="db.retry"):
        threads = [outcomes.run(lambda: _load(region, north, pause_after_first(0))),
                   outcomes.run(lambda: _load(region, south, pause_after_first(1)))]
        assert all(event.wait(60) for event in paused)  # each holds one shared person, wants the other
        go.set()
        for thread in threads:
            thread.join(120)

    assert outcomes.errors == []
    assert "transaction lost a race (sqlstate 40P01)" in caplog.text
    with region.session() as session:
        assert session.scalars(select(Packet.status).where(Packet.id.in_([north[0], south[0]]))).all() == ["done"] * 2
        entries = session.scalars(select(LoadJournal.packet_id).where(LoadJournal.packet_id.in_([north[0], south[0]])))
        assert sorted(entries.all()) == sorted([north[0], south[0]])  # one journal entry each: applied once
        assert session.scalar(select(func.count()).select_from(Person)) == len(shared) + 2 * filler


class AsCaller:
    """Authenticates every call as the given caller (the tests' stand-in for WS-Security)."""

    def __init__(self, caller: Caller):
        self.caller = caller

    def authenticate(self, call: CallContext) -> object:
        return self.caller


def _provider_caller(provider: Provider, unit_id: int) -> Caller:
    return Caller(kind="system", role=SYSTEM, name=provider.mnemonic, system_id=provider.system_id,
                  write_unit_ids=frozenset({unit_id}), contracts=frozenset({"Intake"}), is_provider=True)


def test_submissions_racing_with_a_report_and_the_change_feed_answer_every_client(region: Region) -> None:
    """Two providers submit packets about the same students through SOAP while a report and the
    change feed are read in a loop: every call answers without a fault, nothing is lost."""
    world = region.world
    factory = make_session_factory(region.engine)
    apps = {
        "netschool": make_app(region.settings, session_factory=factory,
                              authenticator=AsCaller(_provider_caller(world.netschool, world.region.north_id))),
        "dnevnik": make_app(region.settings, session_factory=factory,
                            authenticator=AsCaller(_provider_caller(world.dnevnik, world.region.ministry_id))),
        "reader": make_app(region.settings, session_factory=factory,
                           authenticator=AsCaller(Caller(kind="user", role=SYSTEM_ADMIN, name="admin"))),
    }
    intake_ns, reports_ns = contract_namespace("Intake"), contract_namespace("Reports")
    changes_ns = contract_namespace("ChangeFeed")
    numbers = list(range(100, 120))
    rng = random.Random(SEED)
    submissions = []
    for k in range(4):
        for provider, phone in ((world.netschool, HIGH), (world.dnevnik, LOW)):
            order = numbers[:]
            rng.shuffle(order)
            data = signed(packet_xml(f"{provider.mnemonic}-{k}", {"Students": _students(order, phone)},
                                     provider=provider.mnemonic), provider.identity)
            submissions.append((provider.mnemonic, data))
    rng.shuffle(submissions)
    faults: list[str] = []
    done = threading.Event()

    def submit(mnemonic: str, data: bytes) -> None:
        body = (f'<i:SubmitPacket xmlns:i="{intake_ns}"><i:PacketXml>{base64.b64encode(data).decode()}'
                f"</i:PacketXml></i:SubmitPacket>")
        answer = call_wsgi(apps[mnemonic], "/ws/Intake", soap_envelope(body))
        if answer.status != 200 or b"<fault" in answer.body.lower():
            faults.append(f"SubmitPacket: {read_fault(answer.body).code}")

    def read_loop() -> None:
        report = f'<r:BuildReport xmlns:r="{reports_ns}"><r:Code>STAT_ORG_BY_TYPE</r:Code></r:BuildReport>'
        feed = (f'<c:GetChanges xmlns:c="{changes_ns}"><c:SinceVersion>0</c:SinceVersion>'
                f"<c:PageSize>100</c:PageSize></c:GetChanges>")
        while not done.is_set():
            for path, body in (("/ws/Reports", report), ("/ws/ChangeFeed", feed)):
                answer = call_wsgi(apps["reader"], path, soap_envelope(body))
                if answer.status != 200:
                    faults.append(f"{path}: {read_fault(answer.body).code}")

    outcomes = Outcomes()
    readers = [outcomes.run(read_loop) for _ in range(2)]
    writers = [outcomes.run(lambda m=m, d=d: submit(m, d)) for m, d in submissions]
    for thread in writers:
        thread.join(120)
    done.set()
    for thread in readers:
        thread.join(60)

    assert outcomes.errors == []
    assert faults == []
    with region.session() as session:
        statuses = session.scalars(select(Packet.status)).all()
        assert statuses == ["done"] * len(submissions)
        assert session.scalar(select(func.count()).select_from(LoadJournal)) == len(submissions)
        assert session.scalar(select(func.count()).select_from(Person)) == len(numbers)
    assert _phones(region, numbers) == dict.fromkeys(numbers, (HIGH, world.netschool.system_id))
