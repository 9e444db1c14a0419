"""The Reports contract over a live gunicorn with zeep, on every backend: the catalogue, rows equal
to the catalogue's own build (region-wide and within a scope), files, faults and a report job
built by a ``kontingent worker`` process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import zeep
from cryptography.fernet import Fernet
from pypdf import PdfReader
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from db import classifiers
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from kontingent_ws.security.caller import EMPLOYEE, SYSTEM_ADMIN
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.settings import Settings
from reports.catalogue import ALL_REPORTS, build_report, list_reports
from reports.definition import ReportResult
from tests.conftest import BACKENDS, drop_postgres_database, fresh_postgres_database
from tests.live import LiveServer, zeep_client
from tests.reportdata import (
    CITY_AUTHORITY,
    DATE_FROM,
    DATE_TO,
    ON_DATE,
    RURAL_AUTHORITY,
    SCHOOL_3,
    SCHOOL_YEAR,
    build_dataset,
    insert_dataset,
)

PASSWORD = "Reports-password-2024"
USERS = {"admin": (SYSTEM_ADMIN, None), "city": (EMPLOYEE, CITY_AUTHORITY), "rural": (EMPLOYEE, RURAL_AUTHORITY)}
VALUES = {
    "on_date": ON_DATE.isoformat(),
    "date_from": DATE_FROM.isoformat(),
    "date_to": DATE_TO.isoformat(),
    "school_year": str(SCHOOL_YEAR),
    "year": str(SCHOOL_YEAR),
}
Cells = tuple[str | None, ...]


@dataclass(frozen=True, kw_only=True)
class ReportsEnv:
    base_url: str
    db_url: str


@pytest.fixture(scope="module", params=BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportsEnv]:
    """The report test region, three users and a live gunicorn sharing the secret key."""
    directory = tmp_path_factory.mktemp("reports")
    postgres_name = None
    if request.param == "sqlite":
        db_url = f"sqlite:///{directory / 'kontingent.sqlite3'}"
    else:
        db_url, postgres_name = fresh_postgres_database()
    secret = Fernet.generate_key().decode()
    server = LiveServer(database_url=db_url, env={"KONTINGENT_SECRET_KEY": secret}, log_path=directory / "gunicorn.log")
    try:
        initdb(db_url)
        settings = Settings(database_url=db_url, secret_key=secret)
        engine = make_engine(db_url)
        try:
            with make_session_factory(engine)() as session:
                insert_dataset(session, build_dataset())
                for login, (role, unit) in USERS.items():
                    new_user(session, settings, login=login, password=PASSWORD, role=role, unit_id=unit,
                             full_name=login)  # fmt: skip
                session.commit()
        finally:
            engine.dispose()
        yield ReportsEnv(base_url=server.start(), db_url=db_url)
    finally:
        server.stop()
        if postgres_name is not None:
            drop_postgres_database(postgres_name)


def client(env: ReportsEnv, login: str) -> zeep.Client:
    return zeep_client(env.base_url, "Reports", wsse=UsernameToken(login, PASSWORD, use_digest=True))


def params_of(code: str) -> dict[str, str]:
    """The required parameters of a report, filled with the dates of the test region."""
    report = next(report for report in ALL_REPORTS if report.code == code)
    return {spec.name: VALUES[spec.name] for spec in report.params if spec.required}


def wire_params(params: Mapping[str, str]) -> dict[str, Any]:
    return {"Param": [{"Name": name, "Value": value} for name, value in params.items()]}


def direct(env: ReportsEnv, code: str, params: Mapping[str, str], scope: int | None) -> ReportResult:
    engine = make_engine(env.db_url)
    try:
        with make_session_factory(engine)() as session:
            return build_report(session, code, params, scope)
    finally:
        engine.dispose()


def texts(row: tuple[Any, ...] | None) -> Cells | None:
    """A row as the wire carries it: numbers and text as strings, an empty cell without a value."""
    return None if row is None else tuple(None if value in (None, "") else str(value) for value in row)


def wire_row(row: Any, keys: list[str]) -> Cells:
    cells = row.Cells.Cell or []
    assert [cell.Key for cell in cells] == keys
    return tuple(cell.Value for cell in cells)


def wire_table(table: Any, keys: list[str]) -> tuple[list[Cells], Cells | None]:
    rows = [wire_row(row, keys) for row in (table.Rows.TableRow or [])]
    return rows, None if table.Totals is None else wire_row(table.Totals, keys)


def keys_of(result: ReportResult) -> list[str]:
    return [column.key for column in result.definition.columns]


def expect_fault(code: str, call: Any, **kwargs: Any) -> str:
    with pytest.raises(Fault) as caught:
        call(**kwargs)
    assert caught.value.code.split(":")[-1] == code, caught.value.message
    return str(caught.value.message)


def test_catalogue_lists_every_report_with_parameters_and_columns(env: ReportsEnv) -> None:
    answer = client(env, "city").service.ListReports()
    listed = answer.ReportInfo
    assert [info.Code for info in listed] == [report.code for report in list_reports()]
    final = next(info for info in listed if info.Code == "OO_PERFORMANCE_FINAL")
    assert final.Title == "Успеваемость по итогам учебных периодов и года"
    assert (final.Family, final.FamilyTitle) == ("schools", "Общеобразовательные организации")
    assert final.RunsAsJob is False and final.HasChart is False
    by_name = {parameter.Name: parameter for parameter in final.Parameters.ReportParameter}
    assert by_name["school_year"].Required is True and by_name["school_year"].Type == "int"
    org_type = {value.Code: value.Name for value in by_name["org_type"].AllowedValues.AllowedValue}
    assert org_type == {item.code: item.name for item in classifiers.items_of(classifiers.ORG_TYPE)}
    assert [value.Code for value in by_name["kind"].AllowedValues.AllowedValue] == ["period", "annual", "final"]
    assert [column.Key for column in final.Columns.ReportColumn][:3] == ["subject", "period", "marks"]
    schools = client(env, "admin").service.ListReports(Family="schools").ReportInfo
    assert {info.Family for info in schools} == {"schools"}
    assert len(schools) == len(list_reports("schools"))
    expect_fault("Client.Validation", client(env, "admin").service.ListReports, Family="no-such-family")


def test_rows_of_every_report_equal_the_catalogue_build(env: ReportsEnv) -> None:
    """Reports heavy for the whole region come back as jobs that a running worker builds."""
    service = client(env, "admin").service
    queued: dict[str, int] = {}
    for report in ALL_REPORTS:
        params = params_of(report.code)
        answer = service.BuildReport(Code=report.code, Params=wire_params(params))
        assert answer.File is None and answer.Title == report.title
        if report.runs_as_job:
            assert answer.JobId is not None and answer.Table is None, report.code
            queued[report.code] = answer.JobId
            continue
        assert answer.JobId is None, report.code
        expected = direct(env, report.code, params, None)
        rows, totals = wire_table(answer.Table, keys_of(expected))
        assert rows == [texts(row) for row in expected.rows], report.code
        assert totals == texts(expected.totals), report.code
    with running_worker(env):
        for code, job_id in queued.items():
            done = wait_for_job(service, job_id)
            expected = direct(env, code, params_of(code), None)
            rows, totals = wire_table(done.Table, keys_of(expected))
            assert rows == [texts(row) for row in expected.rows] and totals == texts(expected.totals), code


def test_a_scoped_user_gets_only_its_subtree(env: ReportsEnv) -> None:
    service = client(env, "city").service
    for code in ("STAT_STUDENTS_BY_TYPE", "OO_PERFORMANCE_CURRENT", "OO_PERFORMANCE_FINAL"):
        params = params_of(code)
        answer = service.BuildReport(Code=code, Params=wire_params(params))
        scoped, region = direct(env, code, params, CITY_AUTHORITY), direct(env, code, params, None)
        rows, totals = wire_table(answer.Table, keys_of(scoped))
        assert rows == [texts(row) for row in scoped.rows] and totals == texts(scoped.totals)
        assert rows != [texts(row) for row in region.rows], code
    message = expect_fault(
        "Client.AccessDenied",
        service.BuildReport,
        Code="OO_PERFORMANCE_FINAL",
        Params=wire_params({**params_of("OO_PERFORMANCE_FINAL"), "unit_id": str(SCHOOL_3)}),
    )
    assert "вне зоны ответственности" in message


def test_files_carry_the_same_numbers(env: ReportsEnv) -> None:
    service = client(env, "admin").service
    expected = direct(env, "STAT_ORG_BY_TYPE", {}, None)
    xlsx = service.BuildReport(Code="STAT_ORG_BY_TYPE", Format="xlsx").File
    assert xlsx.MediaType == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.FileName.startswith("STAT_ORG_BY_TYPE_") and xlsx.FileName.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.Content), read_only=True, data_only=True).active
    assert sheet is not None
    types = expected.column_values("org_type")
    numbers = [row[1:5] for row in sheet.iter_rows(values_only=True) if row and row[0] in types]
    assert numbers == [row[1:5] for row in expected.rows]
    assert sum(row[1] for row in numbers) > 0
    pdf = service.BuildReport(Code="STAT_ORG_BY_TYPE", Format="pdf").File
    assert pdf.MediaType == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.Content)).pages)
    assert "Количество образовательных организаций по типам" in " ".join(text.split())
    png = service.BuildReport(Code="STAT_ORG_BY_TYPE", Format="png").File
    assert png.MediaType == "image/png" and png.Content.startswith(b"\x89PNG\r\n\x1a\n")


def test_faults_name_what_is_wrong(env: ReportsEnv) -> None:
    service = client(env, "admin").service
    assert "NO_SUCH_REPORT" in expect_fault("Client.NotFound", service.BuildReport, Code="NO_SUCH_REPORT")
    missing = expect_fault("Client.Validation", service.BuildReport, Code="OO_PERFORMANCE_FINAL")
    assert "Учебный год (год начала)" in missing
    bad_date = expect_fault(
        "Client.Validation", service.BuildReport, Code="STAT_STUDENTS_BY_TYPE", Params=wire_params({"on_date": "01.10"})
    )
    assert "Дата среза" in bad_date
    unknown = expect_fault(
        "Client.Validation", service.BuildReport, Code="STAT_ORG_BY_TYPE", Params=wire_params({"colour": "red"})
    )
    assert "colour" in unknown
    no_chart = expect_fault(
        "Client.Validation",
        service.BuildReport,
        Code="OO_PERFORMANCE_FINAL",
        Params=wire_params(params_of("OO_PERFORMANCE_FINAL")),
        Format="png",
    )
    assert "нет диаграммы" in no_chart
    assert "docx" in expect_fault("Client.Validation", service.BuildReport, Code="STAT_ORG_BY_TYPE", Format="docx")


def worker_command(env: ReportsEnv, *args: str) -> tuple[list[str], dict[str, str]]:
    command = [str(Path(sys.executable).with_name("kontingent")), "worker", *args]
    return command, {**os.environ, "KONTINGENT_DATABASE_URL": env.db_url}


def run_worker(env: ReportsEnv) -> None:
    """One ``kontingent worker --once``: it takes one queued job."""
    command, environment = worker_command(env, "--once")
    done = subprocess.run(command, env=environment, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")


@contextmanager
def running_worker(env: ReportsEnv) -> Iterator[None]:
    """A ``kontingent worker`` polling the queue for the duration of the block."""
    command, environment = worker_command(env, "--poll-seconds", "0.2")
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_job(service: Any, job_id: int, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = service.GetReportJob(JobId=job_id)
        if state.Status in ("done", "failed"):
            assert state.Status == "done", state.Error
            return state
        time.sleep(0.3)
    pytest.fail(f"report job {job_id} not done in {timeout} s")


def test_a_report_job_round_trip_belongs_to_its_owner(env: ReportsEnv) -> None:
    city = client(env, "city").service
    params = params_of("OO_PERFORMANCE_CURRENT")
    submitted = city.BuildReport(Code="OO_PERFORMANCE_CURRENT", Params=wire_params(params), Background=True)
    assert submitted.JobId is not None and submitted.Table is None and submitted.File is None
    queued = city.GetReportJob(JobId=submitted.JobId)
    assert (queued.Status, queued.Code, queued.Table) == ("queued", "OO_PERFORMANCE_CURRENT", None)
    expect_fault("Client.AccessDenied", client(env, "rural").service.GetReportJob, JobId=submitted.JobId)
    expect_fault("Client.AccessDenied", client(env, "admin").service.GetReportJob, JobId=submitted.JobId)
    as_file = city.BuildReport(
        Code="OO_PERFORMANCE_CURRENT", Params=wire_params(params), Format="xlsx", Background=True
    ).JobId
    run_worker(env)
    run_worker(env)
    done = city.GetReportJob(JobId=submitted.JobId)
    assert done.Status == "done" and done.FinishedAt is not None and done.Error is None
    expected = direct(env, "OO_PERFORMANCE_CURRENT", params, CITY_AUTHORITY)
    rows, totals = wire_table(done.Table, keys_of(expected))
    assert rows == [texts(row) for row in expected.rows] and totals == texts(expected.totals)
    file = city.GetReportJob(JobId=as_file).File
    assert file.FileName.endswith(".xlsx") and file.Content.startswith(b"PK")
    expect_fault("Client.NotFound", city.GetReportJob, JobId=as_file + 1000)
