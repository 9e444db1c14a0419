"""Pooled PostgreSQL connections: pinged only after resting, replaced when found dead; the read
contracts' engine runs in autocommit."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

import db.engine
from db.engine import make_engine
from kontingent_ws.app import read_engine
from kontingent_ws.settings import Settings


@pytest.fixture
def pool(postgresql_url: str) -> Iterator[Engine]:
    engine = make_engine(postgresql_url, pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        engine.dispose()


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(url: str, pid: int) -> None:
    """End a backend from outside and wait until it is gone."""
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            for _ in range(100):
                gone = text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)")
                if connection.execute(gone, {"pid": pid}).scalar_one():
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} still there")
    finally:
        admin.dispose()


def test_a_connection_reused_at_once_is_not_pinged(pool: Engine) -> None:
    pings: list[str] = []
    event.listen(pool, "before_cursor_execute", lambda *args: pings.append(args[2]))
    first = backend_pid(pool)
    second = backend_pid(pool)
    assert first == second
    assert pings == ["SELECT pg_backend_pid()", "SELECT pg_backend_pid()"]


def test_a_rested_connection_found_dead_is_replaced_without_failing_the_call(
    pool: Engine, postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = backend_pid(pool)
    terminate(postgresql_url, dead)
    monkeypatch.setattr(db.engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    alive = backend_pid(pool)  # the checkout pings, finds the connection dead, the pool opens a new one
    assert alive != dead


def test_a_connection_the_server_ended_while_pooled_is_replaced_at_once(pool: Engine, postgresql_url: str) -> None:
    dead = backend_pid(pool)
    terminate(postgresql_url, dead)  # the server's goodbye waits on the pooled connection's socket
    assert backend_pid(pool) != dead  # reused at once, yet found dead by its socket and replaced


def test_a_connection_lost_without_a_word_fails_one_call_then_the_pool_recovers(
    pool: Engine, postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = backend_pid(pool)
    terminate(postgresql_url, dead)
    monkeypatch.setattr(db.engine, "_has_news", lambda connection: False)  # as a host gone silent
    with pytest.raises(OperationalError):
        backend_pid(pool)  # reused at once and not pinged: the statement meets the dead connection
    assert backend_pid(pool) != dead  # the pool dropped it; the next call gets a new connection


@pytest.mark.parametrize(("mode", "synchronous_commit"), [("async", "off"), ("sync", "on")])
def test_the_read_engine_runs_in_autocommit(postgresql_url: str, mode: str, synchronous_commit: str) -> None:
    engine = read_engine(Settings(database_url=postgresql_url, read_audit_commit=mode))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW synchronous_commit")).scalar_one() == synchronous_commit
            raw = connection.connection.dbapi_connection
            assert raw is not None
            from psycopg2.extensions import TRANSACTION_STATUS_IDLE

            connection.execute(text("SELECT 1"))
            # no transaction was opened by the statement: nothing for a COMMIT to end
            assert raw.get_transaction_status() == TRANSACTION_STATUS_IDLE
            assert raw.info.dsn_parameters["keepalives_idle"] == "30"  # libpq settings kept beside the option
    finally:
        engine.dispose()
