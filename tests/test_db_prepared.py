"""Prepared statements (db/prepared.py): the same rows as the Core statement on every backend,
prepared once per PostgreSQL connection, errors raised as SQLAlchemy raises them."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Engine,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine
from db.prepared import PreparedQuery, is_prepared_here

metadata = MetaData()
things = Table(
    "prepared_thing",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("born", Date),
    Column("share", Numeric(5, 2)),
    Column("guid", Uuid),
)
BY_IDS = PreparedQuery(
    select(things.c.id, things.c.name, things.c.born, things.c.share, things.c.guid)
    .where(things.c.id.in_(bindparam("ids", expanding=True)), things.c.name != bindparam("not_named"))
    .order_by(things.c.id),
    name="test_things_by_ids",
)
ADD = PreparedQuery(insert(things).values(id=bindparam("id"), name=bindparam("name")), name="test_things_add")
ROWS = [
    {"id": 1, "name": "один", "born": dt.date(2010, 5, 1), "share": decimal.Decimal("1.50"), "guid": uuid.uuid4()},
    {"id": 2, "name": "два", "born": None, "share": None, "guid": None},
    {"id": 3, "name": "100%", "born": dt.date(2011, 1, 2), "share": decimal.Decimal("0.25"), "guid": uuid.uuid4()},
]


@contextmanager
def filled(url: str) -> Iterator[Engine]:
    engine = make_engine(url, hide_parameters=True)  # as the service's engines
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(things), ROWS)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    with filled(empty_db_url) as engine:
        yield engine


@pytest.fixture
def pg_engine(postgresql_url: str) -> Iterator[Engine]:
    """PostgreSQL only: where statements are prepared."""
    with filled(postgresql_url) as engine:
        yield engine


@pytest.mark.parametrize(("ids", "not_named"), [([1, 2, 3], "два"), ([3], "x"), ([], "x"), ([2, 9], "один")])
def test_the_rows_are_those_of_the_core_statement(engine: Engine, ids: list[int], not_named: str) -> None:
    parameters = {"ids": ids, "not_named": not_named}
    with engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(BY_IDS.statement, parameters)]
        assert [tuple(row) for row in BY_IDS.rows(connection, parameters)] == expected
        assert expected == [
            tuple(row[key] for key in ("id", "name", "born", "share", "guid"))
            for row in ROWS
            if row["id"] in ids and row["name"] != not_named
        ]
        first = BY_IDS.first(connection, parameters)
        assert (tuple(first) if first is not None else None) == (expected[0] if expected else None)


def test_prepared_once_per_connection_and_kept_across_rollbacks(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        assert is_prepared_here(connection)
        for _ in range(3):
            transaction = connection.begin()
            assert len(BY_IDS.rows(connection, {"ids": [1], "not_named": "x"})) == 1
            transaction.rollback()
        names = list(connection.execute(text("SELECT name FROM pg_prepared_statements")).scalars())
        assert [name for name in names if name.startswith("k_test_things_by_ids_")] == [
            BY_IDS._compiled["postgresql"].name
        ]


def test_an_error_is_raised_as_sqlalchemy_raises_it_without_the_values(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError) as raised:
        ADD.rows(connection, {"id": 1, "name": "секретное имя"})
    assert "секретное имя" not in str(raised.value)
    with engine.begin() as connection:  # the connection is usable again, the statement too
        ADD.rows(connection, {"id": 4, "name": "четыре"})
        assert [tuple(row)[:2] for row in BY_IDS.rows(connection, {"ids": [4], "not_named": "x"})] == [(4, "четыре")]


def test_a_connection_replaced_after_a_loss_prepares_again(pg_engine: Engine) -> None:
    with pg_engine.connect() as connection:
        BY_IDS.rows(connection, {"ids": [1], "not_named": "x"})
        connection.invalidate()  # as after a lost server: the pooled connection is closed and replaced
    with pg_engine.connect() as connection:
        assert len(BY_IDS.rows(connection, {"ids": [1, 3], "not_named": "x"})) == 2


UNTYPED = PreparedQuery(
    select(things.c.id).where(things.c.name == select(bindparam("name")).scalar_subquery()), name="test_untyped"
)


def test_an_untyped_value_is_left_for_the_server_to_infer(engine: Engine) -> None:
    with engine.connect() as connection:
        assert [tuple(row) for row in UNTYPED.rows(connection, {"name": "два"})] == [(2,)]
        assert UNTYPED.rows(connection, {"name": "нет такого"}) == []
