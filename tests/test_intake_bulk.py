"""Bulk writes of the intake (``bulk``, ``copy_pipe``): new ids, COPY and UPDATE queued in the
background on PostgreSQL, executed at once on SQLite – the rows written are the same; a read sees
every write queued before it; a failed write is raised at the next read and rolls the packet back."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    event,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.engine import make_engine
from kontingent_ws.usecases.intake import bulk, copy_pipe
from kontingent_ws.usecases.intake.bulk import allocate_ids, copy_rows, update_rows

METADATA = MetaData()
ROWS = Table(
    "bulk_probe", METADATA,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, CheckConstraint("value >= 0", name="value_not_negative"), nullable=False),
    Column("label", String(20)),
)


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    eng = make_engine(empty_db_url)
    METADATA.create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def _postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def test_ids_are_fresh_ascending_and_never_handed_out_twice(engine: Engine) -> None:
    seen: list[int] = []
    with Session(engine) as session:
        for count in (3, 5, 40, 1):
            ids = allocate_ids(session, ROWS, count)
            assert len(ids) == count and ids == sorted(ids)
            copy_rows(session, ROWS, ("id", "value", "label"), [(i, 1, None) for i in ids])
            seen.extend(ids)
        session.commit()
    with Session(engine) as session:  # a new transaction: what the last one kept is not reused
        later = allocate_ids(session, ROWS, 2)
        session.rollback()
    assert len(set(seen)) == len(seen)
    assert min(later) > max(seen)
    with Session(engine) as session:
        assert sorted(session.scalars(select(ROWS.c.id))) == sorted(seen)


def test_postgresql_takes_ids_in_growing_blocks_without_waiting_for_queued_writes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _postgres(engine):
        return  # SQLite numbers rows after the highest id under its one write lock: no sequence
    fetched: list[int] = []

    def counting(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "nextval" in statement:
            fetched.append(parameters["count"])

    event.listen(engine, "before_cursor_execute", counting)
    try:
        with Session(engine) as session:
            pipe = copy_pipe.pipe_of(session)
            release = threading.Event()
            pipe.submit_write(lambda _cursor: release.wait(30), 0, "a write still running")
            for _ in range(8):  # the queued write does not finish before the ids are handed out
                allocate_ids(session, ROWS, 10)
            assert pipe.pending and not pipe.pending[0][0].done()
            release.set()
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", counting)
    assert fetched == [10, 10, 20, 40]  # 80 ids in four round trips: what was asked, then all taken before


def test_postgresql_fetches_the_next_block_of_ids_in_the_background(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _postgres(engine):
        return  # no sequence on SQLite
    monkeypatch.setattr(bulk, "PREFETCH_FROM", 20)
    fetched: list[tuple[int, bool]] = []

    def counting(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "nextval" in statement:
            fetched.append((parameters["count"], threading.current_thread() is threading.main_thread()))

    event.listen(engine, "before_cursor_execute", counting)
    handed: list[int] = []
    try:
        with Session(engine) as session:
            for _ in range(12):
                handed.extend(allocate_ids(session, ROWS, 10))
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", counting)
    # 10, 10 and 20 asked for by the load; from 20 taken on, each next block comes from the other thread
    assert fetched[:3] == [(10, True), (10, True), (20, False)]
    assert all(not in_main for _count, in_main in fetched[2:])
    assert len(fetched) >= 4
    assert handed == sorted(handed) and len(set(handed)) == 120


def test_a_process_forked_after_a_background_fetch_fetches_in_its_own_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _postgres(engine):
        return
    monkeypatch.setattr(bulk, "PREFETCH_FROM", 10)
    with Session(engine) as session:
        allocate_ids(session, ROWS, 10)
        allocate_ids(session, ROWS, 10)  # the prefetching thread has run in this process
        session.rollback()
    url = engine.url.render_as_string(hide_password=False)
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports by its exit status
        signal.alarm(30)  # a prefetch waiting for a thread the fork did not copy would hang here
        status = 1
        try:
            child_engine = make_engine(url)
            with Session(child_engine) as session:
                ids = [i for _ in range(4) for i in allocate_ids(session, ROWS, 10)]
                session.rollback()
            status = 0 if len(set(ids)) == 40 else 2
        finally:
            os._exit(status)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_failed_background_fetch_of_ids_is_raised_when_its_ids_are_needed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _postgres(engine):
        return
    monkeypatch.setattr(bulk, "PREFETCH_FROM", 10)
    real = bulk._next_values

    def failing(eng: Engine, table: Table, count: int) -> list[int]:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("sequence unavailable")
        return real(eng, table, count)

    monkeypatch.setattr(bulk, "_next_values", failing)
    with Session(engine) as session:
        first = allocate_ids(session, ROWS, 10)  # taken at once; the next block fails in the background
        with pytest.raises(RuntimeError, match="sequence unavailable"):
            allocate_ids(session, ROWS, 10)
        session.rollback()
    assert len(first) == 10


def test_rows_by_id_reads_the_rows_that_exist_among_the_ids_including_those_just_queued(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "LOOKUP_BATCH", 7)  # several IN lists on SQLite
    with Session(engine) as session:
        ids = allocate_ids(session, ROWS, 30)
        copy_rows(session, ROWS, ("id", "value", "label"),
                  [(i, n, None if n % 3 else f"r{n}") for n, i in enumerate(ids)])
        wanted = [*ids[::2], max(ids) + 1000, ids[0]]  # one missing, one twice

        found = bulk.rows_by_id(session, ROWS, ("label", "value"), wanted)

        expected = {(i, None if n % 3 else f"r{n}", n) for n, i in enumerate(ids) if n % 2 == 0}
        assert sorted(found) == sorted(expected)
        assert bulk.rows_by_id(session, ROWS, ("value",), []) == []
        session.rollback()


def test_a_read_sees_every_write_queued_before_it(engine: Engine) -> None:
    with Session(engine) as session:
        ids = allocate_ids(session, ROWS, 500)
        copy_rows(session, ROWS, ("id", "value", "label"), [(i, n, "new") for n, i in enumerate(ids)])
        update_rows(session, ROWS, ("value", "label"), [(i, 1000 + n, "updated") for n, i in enumerate(ids[:200])])
        copy_rows(session, ROWS, ("id", "value", "label"), [(i, 7, "late") for i in allocate_ids(session, ROWS, 3)])
        rows = session.execute(select(ROWS.c.label, ROWS.c.value).order_by(ROWS.c.id)).all()
        session.commit()
    assert [label for label, _ in rows] == ["updated"] * 200 + ["new"] * 300 + ["late"] * 3
    assert [value for _, value in rows[:200]] == list(range(1000, 1200))


def test_a_failed_write_is_raised_at_the_next_read_and_nothing_stays(engine: Engine) -> None:
    with Session(engine) as session:
        ids = allocate_ids(session, ROWS, 10)
        copy_rows(session, ROWS, ("id", "value", "label"), [(i, 1, None) for i in ids])
        session.commit()
    with Session(engine) as session, pytest.raises(DBAPIError) as error:
        update_rows(session, ROWS, ("value",), [(ids[0], 5)])
        update_rows(session, ROWS, ("value",), [(ids[1], -1)])  # refused by the check constraint
        copy_rows(session, ROWS, ("id", "value", "label"), [(ids[-1] + 1000, 3, None)])
        session.execute(select(ROWS.c.id)).all()
    assert "value_not_negative" in str(error.value)
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*), sum(value) FROM bulk_probe")).one() == (10, 10)
        ids_after = allocate_ids(session, ROWS, 1)  # the session works again after the rollback
        assert ids_after[0] > max(ids)


def test_the_queue_holds_a_bounded_amount_of_data(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    if not _postgres(engine):
        return  # SQLite writes at once: nothing is queued
    monkeypatch.setattr(copy_pipe, "MAX_QUEUED_BYTES", 4000)
    most = 0
    with Session(engine) as session:
        pipe = copy_pipe.pipe_of(session)
        for batch in range(40):
            ids = allocate_ids(session, ROWS, 50)
            copy_rows(session, ROWS, ("id", "value", "label"), [(i, batch, "x" * 10) for i in ids])
            largest = max(size for _, size, _ in pipe.pending)
            most = max(most, pipe.queued_bytes - largest)
        count = session.execute(text("SELECT count(*) FROM bulk_probe")).scalar_one()
        session.commit()
    assert most <= 4000
    assert count == 2000
    assert bulk.ID_BLOCK_MAX >= 50


def test_ids_handed_out_but_not_written_yet_are_not_handed_out_again(engine: Engine) -> None:
    """A slice's plan takes the ids of its new rows before writing them (``apply_people.plan_people``)."""
    with Session(engine) as session:
        first = allocate_ids(session, ROWS, 3)
        second = allocate_ids(session, ROWS, 2)
        assert not set(first) & set(second)
        copy_rows(session, ROWS, ("id", "value", "label"), [(i, 0, None) for i in second])
        session.commit()
    with Session(engine) as session:
        assert allocate_ids(session, ROWS, 1)[0] > max(second)


def test_threads_switch_more_often_only_while_a_pipe_is_open(engine: Engine) -> None:
    if not _postgres(engine):
        return  # SQLite writes at once: no pipe
    before = sys.getswitchinterval()
    with Session(engine) as session:
        copy_rows(session, ROWS, ("id", "value", "label"), [(i, 1, None) for i in allocate_ids(session, ROWS, 5)])
        assert sys.getswitchinterval() == min(copy_pipe.SWITCH_INTERVAL, before)
        session.commit()
    assert sys.getswitchinterval() == before


WIDE = Table(
    "bulk_wide", METADATA,
    Column("id", Integer, primary_key=True),
    Column("label", String(5)),
    Column("note", Text),
    Column("day", Date),
    Column("amount", Numeric(5, 2)),
    Column("flag", Boolean),
    Column("count", BigInteger),
)
"""Every kind of column an intake update writes, and a short one (an explicit cast cuts a longer text)."""
WIDE_COLUMNS = ("label", "note", "day", "amount", "flag", "count")


def _wide_values(rng: random.Random, *, long_labels: bool = True) -> tuple[object, ...]:
    def maybe(value: object) -> object:
        return None if rng.random() < 0.15 else value

    text = "".join(rng.choice([*'aЁ %\\\t\n\r"{},', "NULL", "'"]) for _ in range(rng.randrange(0, 8)))
    day = dt.date(1, 1, 1) + dt.timedelta(days=rng.randrange(3_650_000))
    return (
        maybe(text if long_labels and rng.random() < 0.3 else text[:5]), maybe(text), maybe(day),
        maybe(Decimal(rng.randrange(-99_999, 99_999)).scaleb(-3)), maybe(rng.random() < 0.5),
        maybe(rng.randrange(-(2**62), 2**62)),
    )


def test_updates_write_what_a_cast_of_each_value_writes(engine: Engine) -> None:
    """``update_rows`` against one ``UPDATE … SET column = CAST(value AS type)`` a row on PostgreSQL
    (its ``VALUES`` list cast each value so) and ``executemany`` on SQLite."""
    rng = random.Random(5)
    ids = list(range(1, 401))
    with Session(engine) as session:
        session.execute(WIDE.insert(), [
            {"id": i, **dict(zip(WIDE_COLUMNS, _wide_values(rng, long_labels=False), strict=True))} for i in ids
        ])
        session.commit()
    shapes = [WIDE_COLUMNS, ("note",), ("day", "flag"), ("amount", "count", "label")]
    updates = [(shape, [(i, *(dict(zip(WIDE_COLUMNS, _wide_values(rng), strict=True))[name] for name in shape))
                        for i in rng.sample(ids, 150)]) for shape in shapes]
    with Session(engine) as session:
        for shape, rows in updates:
            update_rows(session, WIDE, shape, rows)
        written = session.execute(select(WIDE).order_by(WIDE.c.id)).all()
        session.rollback()
    with Session(engine) as session:  # the same updates value by value
        types = {name: WIDE.c[name].type.compile(engine.dialect) for name in WIDE_COLUMNS}
        for shape, rows in updates:
            for row in rows:
                values = dict(zip(shape, row[1:], strict=True))
                if not _postgres(engine):
                    session.execute(WIDE.update().where(WIDE.c.id == row[0]).values(values))
                    continue
                casts = ", ".join(f"{name} = CAST(:{name} AS {types[name]})" for name in shape)
                session.execute(text(f"UPDATE bulk_wide SET {casts} WHERE id = :id"), {"id": row[0], **values})
        expected = session.execute(select(WIDE).order_by(WIDE.c.id)).all()
        session.rollback()
    assert written == expected
    if _postgres(engine):
        assert any(row.label is not None and len(row.label) == 5 for row in written)
