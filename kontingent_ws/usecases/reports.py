"""Reports for people (VIEW_REPORTS): the catalogue, building a report, report jobs.

A report is built within the caller's scope (its unit and everything below it; the region for a
system administrator). A synchronous build runs under a statement timeout on PostgreSQL. A
report marked ``runs_as_job`` (too heavy to build during a call for the whole region) asked for
by a region-wide caller, or any report asked for in the background, becomes a ``job`` row that a
``kontingent worker`` builds, fetched later by its owner only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db import classifiers
from db.models import Job, OrgUnit
from kontingent_ws.call import CallContext
from kontingent_ws.errors import AccessDenied, KontingentError, NotFound, ValidationError
from kontingent_ws.security import permissions, scope
from kontingent_ws.security.caller import Caller
from kontingent_ws.usecases.intake import jobs
from reports.catalogue import UnknownReport, get_report, list_reports
from reports.definition import FAMILIES, Cell, ReportDefinition, ReportResult, Row
from reports.params import ParamSpec, ReportParamError
from reports.render import FORMATS, MEDIA_TYPES, file_name, render
from reports.render_chart import NoChart

REPORT_JOB = "report"
"""Kind of the job that builds one report; params: code, params, format, scope_unit_id."""
SYNC_TIMEOUT_SECONDS = 30.0
"""Statement timeout of a report built during a SOAP call (PostgreSQL)."""
FOREIGN_JOB = "Доступ запрещён: задание принадлежит другому пользователю"
QUERY_CANCELED = "57014"
"""SQLSTATE of a statement cancelled by ``statement_timeout``."""


class ReportTimeout(KontingentError):
    """A synchronous build ran past its statement timeout."""

    code = "Server.Timeout"
    default_message = "Отчёт не построен за отведённое время: сузьте параметры или постройте его в фоновом режиме"


@dataclass(frozen=True, kw_only=True)
class ReportTable:
    """A built report as text cells: (column key, value or None) per cell."""

    keys: tuple[str, ...]
    rows: list[tuple[str | None, ...]]
    totals: tuple[str | None, ...] | None


@dataclass(frozen=True, kw_only=True)
class ReportFile:
    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True, kw_only=True)
class BuildOutcome:
    """What BuildReport answers: a table, a file, or the id of the job that will build it."""

    definition: ReportDefinition
    job_id: int | None = None
    generated_at: dt.datetime | None = None
    table: ReportTable | None = None
    file: ReportFile | None = None


@dataclass(frozen=True, kw_only=True)
class JobState:
    job_id: int
    code: str
    status: str
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None
    table: ReportTable | None
    file: ReportFile | None


def allowed_values(spec: ParamSpec) -> list[tuple[str, str]]:
    """(code, Russian name) of every value a code or choice parameter accepts."""
    if spec.type == "code" and spec.classifier:
        return [(item.code, item.name) for item in classifiers.items_of(spec.classifier)]
    return [(choice, choice) for choice in spec.choices]


def list_catalogue(call: CallContext, family: str | None) -> list[ReportDefinition]:
    """Every report of the catalogue, or of one family."""
    permissions.require(scope.caller_of(call), permissions.VIEW_REPORTS)
    if family and family not in FAMILIES:
        raise ValidationError(f"Неизвестный раздел каталога: {family}", field="Family")
    return list_reports(family or None)


def build(
    call: CallContext,
    *,
    code: str,
    params: Mapping[str, str],
    fmt: str | None,
    background: bool = False,
    timeout_seconds: float = SYNC_TIMEOUT_SECONDS,
) -> BuildOutcome:
    """Build report ``code`` within the caller's scope, or queue it as a job."""
    caller = scope.caller_of(call)
    permissions.require(caller, permissions.VIEW_REPORTS)
    definition = _definition(code)
    fmt = _format(fmt)
    resolved = _resolved(definition, params)
    unit_id = resolved.get("unit_id")
    if isinstance(unit_id, int):
        scope.ensure_unit_visible(call, unit_id)
    scope_unit_id = _scope_unit(caller)
    if background or (definition.runs_as_job and _region_wide(call.session, scope_unit_id)):
        job = jobs.enqueue(
            call.session,
            kind=REPORT_JOB,
            params={"code": code, "params": dict(params), "format": fmt or "", "scope_unit_id": scope_unit_id},
            request_id=call.request_id,
            owner_user_id=caller.user_id,
        )
        return BuildOutcome(definition=definition, job_id=job.id)
    result = build_within(call.session, definition, params, scope_unit_id, timeout_seconds)
    table, file = package(result, fmt)
    return BuildOutcome(definition=definition, generated_at=result.generated_at, table=table, file=file)


def get_job(call: CallContext, job_id: int) -> JobState:
    """A report job of the caller, with its table or file once done."""
    caller = scope.caller_of(call)
    permissions.require(caller, permissions.VIEW_REPORTS)
    job = call.session.get(Job, job_id)
    if job is None or job.kind != REPORT_JOB:
        raise NotFound(f"Задание построения отчёта {job_id} не найдено", field="JobId")
    if job.owner_user_id != caller.user_id:
        raise scope.deny(call, object_type="job", object_id=job_id, message=FOREIGN_JOB)
    table = file = None
    if job.status == "done" and job.result is not None:
        fmt = str(job.params.get("format") or "")
        if fmt:
            file = ReportFile(name=job.result_name or f"report.{fmt}", media_type=MEDIA_TYPES[fmt], content=job.result)
        else:
            table = table_from_json(job.result)
    return JobState(
        job_id=job.id,
        code=str(job.params.get("code", "")),
        status=job.status,
        submitted_at=job.created_at,
        finished_at=job.finished_at,
        error=job.error if job.status == "failed" else None,
        table=table,
        file=file,
    )


def build_within(
    session: Session,
    definition: ReportDefinition,
    params: Mapping[str, object],
    scope_unit_id: int | None,
    timeout_seconds: float,
) -> ReportResult:
    """Build under ``SET LOCAL statement_timeout`` on PostgreSQL; a cancelled query is ``ReportTimeout``."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text(f"SET LOCAL statement_timeout = {max(int(timeout_seconds * 1000), 1)}"))
    try:
        result = definition.build(session, params, scope_unit_id)
    except OperationalError as error:
        if getattr(error.orig, "pgcode", None) == QUERY_CANCELED:
            raise ReportTimeout() from None
        raise
    except ReportParamError as error:
        raise ValidationError(str(error), field="Params") from None
    if postgres:
        session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))
    return result


def package(result: ReportResult, fmt: str | None) -> tuple[ReportTable | None, ReportFile | None]:
    """The built report as text rows (no format) or as a rendered file."""
    if not fmt:
        return table_of(result), None
    try:
        content = render(result, fmt)
    except NoChart as error:
        raise ValidationError(str(error), field="Format") from None
    return None, ReportFile(name=file_name(result, fmt), media_type=MEDIA_TYPES[fmt], content=content)


def cell_text(value: Cell) -> str | None:
    """A cell as the wire carries it: integers and decimals with a point, text as is; empty: None."""
    return None if value is None or value == "" else str(value)


def table_of(result: ReportResult) -> ReportTable:
    keys = tuple(column.key for column in result.definition.columns)
    return ReportTable(keys=keys, rows=[_texts(row) for row in result.rows], totals=_totals(result.totals))


def table_json(result: ReportResult) -> bytes:
    """The typed rows of a report, kept as a job result."""
    document: dict[str, Any] = {
        "keys": [column.key for column in result.definition.columns],
        "rows": [list(row) for row in result.rows],
        "totals": list(result.totals) if result.totals is not None else None,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def table_from_json(data: bytes) -> ReportTable:
    document = json.loads(data.decode("utf-8"))
    return ReportTable(
        keys=tuple(document["keys"]),
        rows=[_texts(tuple(row)) for row in document["rows"]],
        totals=_totals(tuple(document["totals"])) if document["totals"] is not None else None,
    )


def _texts(row: Row) -> tuple[str | None, ...]:
    return tuple(cell_text(value) for value in row)


def _totals(row: Row | None) -> tuple[str | None, ...] | None:
    return None if row is None else _texts(row)


def _definition(code: str) -> ReportDefinition:
    try:
        return get_report(code)
    except UnknownReport as error:
        raise NotFound(error.message, field="Code") from None


def _format(fmt: str | None) -> str | None:
    fmt = (fmt or "").strip().lower() or None
    if fmt is not None and fmt not in FORMATS:
        raise ValidationError(f"Неизвестный формат отчёта {fmt!r}: допустимы {', '.join(FORMATS)}", field="Format")
    return fmt


def _resolved(definition: ReportDefinition, params: Mapping[str, str]) -> dict[str, Any]:
    try:
        return definition.resolve(params)
    except ReportParamError as error:
        raise ValidationError(str(error), field="Params") from None


def _region_wide(session: Session, scope_unit_id: int | None) -> bool:
    """Whether a scope covers the whole region: none (system administrator) or a root authority."""
    return scope_unit_id is None or session.scalar(select(OrgUnit.parent_id).where(OrgUnit.id == scope_unit_id)) is None


def _scope_unit(caller: Caller) -> int | None:
    try:
        return caller.scope_unit_id
    except PermissionError:
        raise AccessDenied("Доступ запрещён: пользователь не привязан к органу управления или организации") from None
