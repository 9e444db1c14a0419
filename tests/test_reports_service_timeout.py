"""A synchronous report build that runs past its statement timeout is ``Server.Timeout`` with a
Russian message (PostgreSQL: the SQLite backend has no statement timeout)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from kontingent_ws.security.caller import SYSTEM_ADMIN, Caller
from kontingent_ws.services.faults import to_fault
from kontingent_ws.settings import Settings
from kontingent_ws.usecases import reports
from reports.catalogue import get_report
from tests.authkit import call_context


@pytest.fixture
def empty_db_url(postgresql_url: str) -> str:
    """PostgreSQL only: SQLite has no statement timeout (CI always runs this on PostgreSQL)."""
    return postgresql_url


def test_a_build_past_its_statement_timeout_is_a_timeout_fault(engine: Engine, session: Session) -> None:
    assert engine.dialect.name == "postgresql"
    settings = Settings(database_url=str(engine.url), secret_key=Fernet.generate_key().decode())
    call = call_context(session, settings, caller=Caller(kind="user", role=SYSTEM_ADMIN, name="admin", user_id=1))
    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE organization IN ACCESS EXCLUSIVE MODE"))  # the report waits on it
        with pytest.raises(reports.ReportTimeout) as caught:
            reports.build(call, code="STAT_ORG_BY_TYPE", params={}, fmt=None, timeout_seconds=0.3)
        blocker.rollback()
    fault = to_fault(caught.value, request_id="0" * 32)
    assert fault.faultcode == "Server.Timeout"
    assert fault.faultstring.startswith("Отчёт не построен за отведённое время")
    session.rollback()
    built = reports.build(call, code="STAT_ORG_BY_TYPE", params={}, fmt=None, timeout_seconds=0.3)
    assert built.table is not None and len(built.table.rows) == len(
        get_report("STAT_ORG_BY_TYPE").build(session, {}, None).rows
    )
