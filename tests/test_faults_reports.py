"""A report that cannot be built is a clear SOAP fault with its own code, never ``Server.Internal``:
past its statement timeout (``Server.Timeout``), or when the disk refuses the report file's
temporary data (``Server.StorageFull``). Both through the whole SOAP stack, in process."""

from __future__ import annotations

import datetime as dt
import errno
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import Job
from kontingent_ws.app import make_app
from kontingent_ws.call import CallContext
from kontingent_ws.security.caller import SYSTEM_ADMIN, Caller
from kontingent_ws.settings import Settings
from kontingent_ws.usecases import report_jobs, reports
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.work import WorkerConfig
from tests.authkit import make_small_region
from tests.live import WsgiResponse, call_wsgi, read_fault, soap_envelope

NS = "urn://kontingent-region.ru/ws/reports/1.0"
TIMEOUT_SECONDS = 0.3


class Admin:
    """Authenticates every call as the region's system administrator."""

    def authenticate(self, call: CallContext) -> object:
        return Caller(kind="user", role=SYSTEM_ADMIN, name="admin", user_id=None)


def build_report(engine: Engine, fmt: str | None = None) -> WsgiResponse:
    settings = Settings(database_url=str(engine.url), secret_key=Fernet.generate_key().decode())
    app = make_app(settings, session_factory=make_session_factory(engine), authenticator=Admin())
    fmt_xml = f"<r:Format>{fmt}</r:Format>" if fmt else ""
    body = f'<r:BuildReport xmlns:r="{NS}"><r:Code>STAT_ORG_BY_TYPE</r:Code>{fmt_xml}</r:BuildReport>'
    return call_wsgi(app, "/ws/Reports", soap_envelope(body))


@pytest.fixture
def region_engine(engine: Engine) -> Engine:
    with make_session_factory(engine).begin() as session:
        make_small_region(session)
    return engine


@pytest.fixture
def postgres_engine(postgresql_url: str) -> Iterator[Engine]:
    """PostgreSQL only: SQLite has no statement timeout (CI always runs this on PostgreSQL)."""
    engine = make_engine(postgresql_url)
    try:
        initdb(postgresql_url)
        with make_session_factory(engine).begin() as session:
            make_small_region(session)
        yield engine
    finally:
        engine.dispose()


def test_a_report_past_its_statement_timeout_is_a_timeout_fault_and_the_next_one_is_built(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults: dict[str, Any] = reports.build.__kwdefaults__ or {}
    monkeypatch.setitem(defaults, "timeout_seconds", TIMEOUT_SECONDS)  # the tiny timeout of this test
    with postgres_engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE organization IN ACCESS EXCLUSIVE MODE"))  # the report waits on it
        started = time.monotonic()
        refused = build_report(postgres_engine)
        waited = time.monotonic() - started
        blocker.rollback()
    built = build_report(postgres_engine)

    fault = read_fault(refused.body)
    assert (refused.status, fault.code) == (500, "Server.Timeout")
    assert fault.message.startswith("Отчёт не построен за отведённое время")
    assert len(fault.detail["RequestId"]) == 32
    assert waited < 10 * TIMEOUT_SECONDS + 5
    assert built.status == 200 and b"BuildReportResponse" in built.body


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # the xlsx archive is closed
def test_a_report_file_the_disk_refuses_is_a_storage_fault_and_nothing_leaks(
    region_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import openpyxl.worksheet._writer as sheet_writer

    def disk_full(*_args: object, **_kwargs: object) -> object:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    assert build_report(region_engine, "xlsx").status == 200
    # The xlsx writer spools every sheet through a temporary file: the disk has no room for it.
    monkeypatch.setattr(sheet_writer, "NamedTemporaryFile", disk_full)
    refused = build_report(region_engine, "xlsx")
    monkeypatch.undo()
    again = build_report(region_engine, "xlsx")

    fault = read_fault(refused.body)
    assert (refused.status, fault.code) == (500, "Server.StorageFull")
    assert fault.message.startswith("На сервере недостаточно места для записи данных")
    assert "server fault Server.StorageFull" in caplog.text
    assert "No space left" not in caplog.text  # foreign messages stay out of the log
    assert again.status == 200 and b"BuildReportResponse" in again.body


class CanceledByTimeout(Exception):
    """What the driver raises for a statement cancelled by ``statement_timeout`` (SQLSTATE 57014)."""

    pgcode = "57014"


def run_failing_job(engine: Engine, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> Job:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        params = {"code": "STAT_ORG_BY_TYPE", "format": "xlsx"}
        job_id = jobs.enqueue(session, kind=reports.REPORT_JOB, params=params).id

    def failing(*_args: object, **_kwargs: object) -> object:
        raise error

    monkeypatch.setattr(report_jobs, "produce", failing)
    config = WorkerConfig(name="test-worker", stale_after=dt.timedelta(minutes=5), heartbeat_seconds=60)
    assert report_jobs.run_report_job(factory, config) is True
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def test_a_report_job_past_its_statement_timeout_fails_at_once_with_the_russian_reason(
    region_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = run_failing_job(region_engine, monkeypatch, CanceledByTimeout("canceling statement due to statement timeout"))
    assert job.status == "failed"
    assert job.error is not None and job.error.startswith("Server.Timeout: Запрос не выполнен за отведённое время")
    assert job.result is None


def test_a_report_job_the_disk_refuses_goes_back_to_the_queue_with_the_russian_reason(
    region_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = run_failing_job(region_engine, monkeypatch, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    assert job.status == "queued" and job.locked_by is None
    assert job.error is not None and job.error.startswith("Server.StorageFull: На сервере недостаточно места")
    assert "No space left" not in job.error
