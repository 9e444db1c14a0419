"""Changes pending in a session are kept as their COPY lines: the text appended on PostgreSQL and the
rows inserted on SQLite are what the change tuples gave before (``str`` of each value, ``\\N`` for
none, the commit time last), one row per distinct change, in the order first recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from db.copytext import NULL
from db.models import ChangeLog
from kontingent_ws.usecases import changefeed
from kontingent_ws.usecases.changefeed import record_change
from kontingent_ws.usecases.changefeed_model import ENTITIES

MOMENT = dt.datetime(2025, 10, 1, 12, 30, 5, 123456, tzinfo=dt.UTC)
IDS = st.integers(min_value=1, max_value=2**62)
CHANGE = st.one_of(
    st.tuples(st.sampled_from(ENTITIES), IDS, st.sampled_from(["upsert", "delete"]), st.none(),
              st.one_of(st.none(), IDS)),
    st.tuples(st.just("student"), IDS, st.just("merge"), IDS, st.one_of(st.none(), IDS)),
)


def _record(session: Session, changes: list[tuple[Any, ...]]) -> dict[str, None]:
    for entity, entity_id, operation, merged_into_id, org_unit_id in changes:
        record_change(session, entity, entity_id, operation, merged_into_id=merged_into_id, org_unit_id=org_unit_id)
    pending: dict[str, None] = session.info[changefeed._PENDING]
    return pending


def _old_text(changes: list[tuple[Any, ...]], at: dt.datetime) -> str:
    """The COPY text as it was made from the change tuples."""
    distinct = dict.fromkeys(changes)
    return "".join("\t".join(NULL if v is None else str(v) for v in (*c, at)) + "\n" for c in distinct)


@settings(max_examples=200, deadline=None)
@given(st.lists(CHANGE, min_size=1, max_size=30).flatmap(lambda cs: st.permutations(cs + cs[: len(cs) // 2])))
def test_pending_lines_give_the_old_copy_text_and_rows(changes: list[tuple[Any, ...]]) -> None:
    engine = create_engine("sqlite://")
    try:
        with Session(engine) as session:
            pending = _record(session, changes)
            assert changefeed._copy_data(pending, MOMENT) == _old_text(changes, MOMENT)
            rows = [changefeed._row(line, MOMENT) for line in pending]
            columns = changefeed._APPEND_COLUMNS
            expected = [dict(zip(columns, (*c, MOMENT), strict=True)) for c in dict.fromkeys(changes)]
            assert rows == expected
            session.rollback()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "at", [MOMENT, dt.datetime(2025, 10, 1, 12, 30, tzinfo=dt.UTC), dt.datetime(2025, 1, 2, 3, 4, 5)]
)
def test_the_time_ends_every_line(at: dt.datetime) -> None:
    text = changefeed._copy_data({"student\t1\tupsert\t\\N\t\\N\t": None, "student\t2\tmerge\t1\t7\t": None}, at)
    assert text == f"student\t1\tupsert\t\\N\t\\N\t{at}\nstudent\t2\tmerge\t1\t7\t{at}\n"


def test_committed_rows_on_every_backend(engine: Engine) -> None:
    changes = [
        ("student", 2**40, "upsert", None, 5),
        ("enrolment", 7, "upsert", None, None),
        ("student", 3, "merge", 2**40, None),
        ("student", 4, "merge", 9, 11),
        ("organization", 5, "delete", None, 5),
        ("student", 2**40, "upsert", None, 5),  # again: one row
        ("student", 2**40, "upsert", None, 6),  # another unit: another change
    ]
    with Session(engine) as session:
        _record(session, changes)
        session.commit()
    with Session(engine) as session:
        rows = session.execute(
            select(ChangeLog.entity, ChangeLog.entity_id, ChangeLog.operation, ChangeLog.merged_into_id,
                   ChangeLog.org_unit_id, ChangeLog.changed_at).order_by(ChangeLog.version)
        ).all()
    assert [tuple(row[:5]) for row in rows] == list(dict.fromkeys(changes))
    assert len({row[5] for row in rows}) == 1


def test_the_copy_text_is_read_a_piece_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changefeed._CopySource, "LINES", 2)
    pending = {f"student\t{n}\tupsert\t\\N\t\\N\t": None for n in range(5)}
    source = changefeed._CopySource(pending, MOMENT)
    pieces = list(iter(lambda: source.read(8192), ""))
    assert [piece.count("\n") for piece in pieces] == [2, 2, 1]
    assert "".join(pieces) == _old_text([("student", n, "upsert", None, None) for n in range(5)], MOMENT)
