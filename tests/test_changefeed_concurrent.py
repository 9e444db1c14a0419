"""The change feed under concurrent writers on PostgreSQL: no change is skipped or repeated.

The hazard is shown first, deterministically: with plain sequence inserts a reader that moves
past a committed version loses an older version committed later. Then ``record_change`` is run
through the same interleaving (the later writer must wait), and finally several threads write
with random delays inside the critical window while a reader pages: the union of pages equals
the set of committed changes, without duplicates.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import ChangeLog, utcnow
from kontingent_ws.usecases.changefeed import get_changes, record_change
from tests.conftest import POSTGRES_URL, drop_postgres_database, fresh_postgres_database

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs KONTINGENT_TEST_POSTGRES_URL (PostgreSQL)")


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    url, name = fresh_postgres_database()
    initdb(url)
    engine = make_engine(url, pool_size=20, max_overflow=5)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_postgres_database(name)


def _raw_row(entity_id: int) -> dict[str, object]:
    return {"entity": "student", "entity_id": entity_id, "operation": "upsert", "changed_at": utcnow()}


def _ids(session: Session, since: int) -> tuple[list[int], int]:
    page = get_changes(session, since, 100)
    session.commit()  # a fresh snapshot for the next read
    return [c.entity_id for c in page.changes], page.next_version


def test_plain_sequence_inserts_lose_a_change_the_hazard(pg_engine: Engine) -> None:
    factory = make_session_factory(pg_engine)
    with factory() as slow, factory() as fast, factory() as reader:
        slow.execute(insert(ChangeLog), [_raw_row(1)])  # takes the lower version, commits last
        fast.execute(insert(ChangeLog), [_raw_row(2)])
        fast.commit()
        first, cursor = _ids(reader, 0)
        slow.commit()
        second, _ = _ids(reader, cursor)
    assert first == [2] and second == []  # change 1 is lost for this reader


def test_record_change_makes_the_later_writer_wait_for_the_earlier_commit(pg_engine: Engine) -> None:
    factory = make_session_factory(pg_engine)
    inside = threading.Event()
    release = threading.Event()
    with factory() as slow, factory() as reader:
        record_change(slow, "student", 1, "upsert")

        def hold(_: Session) -> None:  # runs after the append, before COMMIT: the dangerous window
            inside.set()
            assert release.wait(10)

        event.listen(slow, "before_commit", hold)
        slow_commit = threading.Thread(target=slow.commit)
        slow_commit.start()
        assert inside.wait(10)

        fast_done = threading.Event()

        def fast_writer() -> None:
            with factory() as fast:
                record_change(fast, "student", 2, "upsert")
                fast.commit()
            fast_done.set()

        fast_thread = threading.Thread(target=fast_writer)
        fast_thread.start()
        assert not fast_done.wait(0.5), "the second writer committed while the first held its version"
        seen, cursor = _ids(reader, 0)
        assert seen == []
        release.set()
        slow_commit.join(10)
        fast_thread.join(10)
        assert fast_done.is_set()
        seen, _ = _ids(reader, cursor)
    assert seen == [1, 2]


def _writer(factory: sessionmaker[Session], base: int, rounds: int, committed: list[int], lock: threading.Lock) -> None:
    rng = random.Random(base)
    for round_ in range(rounds):
        with factory() as session:
            ids = [base + round_ * 10 + k for k in range(rng.randint(1, 4))]
            for entity_id in ids:
                record_change(session, "student", entity_id, "upsert")
            time.sleep(rng.random() * 0.004)  # work inside the transaction
            event.listen(session, "before_commit", lambda _s: time.sleep(rng.random() * 0.004))  # after the append
            if rng.random() < 0.15:
                session.rollback()
                continue
            session.commit()
            with lock:
                committed.extend(ids)


def test_concurrent_writers_and_a_paging_reader_see_every_change_exactly_once(pg_engine: Engine) -> None:
    factory = make_session_factory(pg_engine)
    committed: list[int] = []
    lock = threading.Lock()
    writers = [
        threading.Thread(target=_writer, args=(factory, 1_000_000 * (n + 1), 40, committed, lock)) for n in range(8)
    ]
    for thread in writers:
        thread.start()
    seen: list[int] = []
    versions: list[int] = []
    since = 0
    with factory() as reader:
        while any(t.is_alive() for t in writers):
            page = get_changes(reader, since, random.choice([1, 3, 7, 50]))
            reader.commit()
            seen += [c.entity_id for c in page.changes]
            versions += [c.version for c in page.changes]
            since = page.next_version
        for thread in writers:
            thread.join()
        while True:
            page = get_changes(reader, since, 50)
            seen += [c.entity_id for c in page.changes]
            versions += [c.version for c in page.changes]
            since = page.next_version
            if not page.has_more:
                break
        stored = reader.scalars(select(ChangeLog.entity_id)).all()
    assert len(committed) > 100
    assert len(seen) == len(set(seen)), "a change was returned twice"
    assert sorted(seen) == sorted(committed) == sorted(stored)
    assert versions == sorted(versions)
