"""Shared fixtures: every database test runs on SQLite and, when asked for, on PostgreSQL.

PostgreSQL is asked for by ``KONTINGENT_TEST_POSTGRES_URL`` (``.ci/run`` sets it to a fresh
database). When it is set and the server is unreachable, the run fails: it never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db.engine import make_engine, make_session_factory

POSTGRES_URL = os.environ.get("KONTINGENT_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
POSTGRESQL_ONLY = [backend for backend in BACKENDS if backend == "postgresql"]
"""Params of a fixture for what only PostgreSQL can show (CI always runs PostgreSQL)."""

pytest_plugins = ["tests.live"]


def pytest_report_header(config: pytest.Config) -> str:
    where = make_url(POSTGRES_URL).render_as_string(hide_password=True) if POSTGRES_URL else "not requested"
    return f"database backends: {', '.join(BACKENDS)} (PostgreSQL: {where})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many tests ran on each database backend, so a CI log shows PostgreSQL was exercised."""
    counts = dict.fromkeys(BACKENDS, 0)
    for report in terminalreporter.stats.get("passed", []):
        for backend in BACKENDS:
            if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid or f"-{backend}-" in report.nodeid:
                counts[backend] += 1
    terminalreporter.write_line(
        "database tests passed per backend: " + ", ".join(f"{name} {count}" for name, count in counts.items())
    )


def fresh_postgres_database() -> tuple[str, str]:
    """Create a new database next to the one CI gave us; return (url, name)."""
    base = make_url(POSTGRES_URL)
    name = f"kt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for the block; dropped after it."""
    url, name = fresh_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(name)


def drop_postgres_database(name: str) -> None:
    base = make_url(POSTGRES_URL)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=POSTGRESQL_ONLY)
def postgresql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty PostgreSQL database, for what only PostgreSQL can show (CI always runs these)."""
    with postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty database (no tables) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kontingent.sqlite3'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """URL of a new database migrated to head with the classifiers loaded."""
    from db.migrate import initdb

    initdb(empty_db_url)
    return empty_db_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    factory = make_session_factory(engine)
    with factory() as sess:
        yield sess
        sess.rollback()
