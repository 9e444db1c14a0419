"""The Reports contract: the report catalogue, building reports (rows or files), report jobs. Thin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spyne import Boolean, ServiceBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.common import OptionalText, RequiredText
from kontingent_ws.types.reports import (
    AllowedValue,
    Cell,
    JobIdField,
    ParamList,
    ReportAnswer,
    ReportColumn,
    ReportFile,
    ReportInfo,
    ReportJob,
    ReportList,
    ReportParameter,
    ReportTable,
    TableRow,
    required,
)
from kontingent_ws.usecases import reports
from reports.definition import ReportDefinition
from reports.params import ParamSpec


def _parameter(spec: ParamSpec) -> ReportParameter:
    return ReportParameter(
        Name=spec.name,
        Label=spec.label,
        Type=spec.type,
        Required=spec.required,
        Default=None if spec.default is None else str(spec.default),
        AllowedValues=[AllowedValue(Code=code, Name=name) for code, name in reports.allowed_values(spec)],
    )


def _info(definition: ReportDefinition) -> ReportInfo:
    return ReportInfo(
        Code=definition.code,
        Title=definition.title,
        Family=definition.family,
        FamilyTitle=definition.family_title,
        Description=definition.description or None,
        Parameters=[_parameter(spec) for spec in definition.params],
        Columns=[ReportColumn(Key=c.key, Heading=c.heading, Type=c.type) for c in definition.columns],
        HasChart=definition.chart is not None,
        RunsAsJob=definition.runs_as_job,
    )


def _row(keys: tuple[str, ...], values: tuple[str | None, ...]) -> TableRow:
    return TableRow(Cells=[Cell(Key=key, Value=value) for key, value in zip(keys, values, strict=True)])


def _table(table: reports.ReportTable | None) -> ReportTable | None:
    if table is None:
        return None
    totals = _row(table.keys, table.totals) if table.totals is not None else None
    return ReportTable(Rows=[_row(table.keys, row) for row in table.rows], Totals=totals)


def _file(file: reports.ReportFile | None) -> ReportFile | None:
    if file is None:
        return None
    return ReportFile(FileName=file.name, MediaType=file.media_type, Content=[file.content])


def _params(values: Iterable[Any] | None) -> dict[str, str]:
    return {str(item.Name).strip(): item.Value or "" for item in values or ()}


class ReportsService(ServiceBase):
    """Reports over the regional registry, within the caller's scope."""

    @operation(OptionalText(doc="Код раздела каталога (по умолчанию – все отчёты)"), _returns=required(ReportList))
    def ListReports(ctx: Any, Family: str | None) -> ReportList:
        return ReportList(Reports=[_info(definition) for definition in reports.list_catalogue(call_of(ctx), Family)])

    @operation(
        RequiredText(doc="Код отчёта (см. ListReports)"),
        ParamList,
        OptionalText(doc="Формат файла: xlsx, pdf, png или svg; без формата – строки отчёта в ответе"),
        Boolean(min_occurs=0, nillable=False, doc="Построить в фоновом режиме (ответ – идентификатор задания)"),
        _returns=required(ReportAnswer),
    )
    def BuildReport(ctx: Any, Code: str, Params: Any, Format: str | None, Background: bool | None) -> ReportAnswer:
        outcome = reports.build(
            call_of(ctx), code=Code.strip(), params=_params(Params), fmt=Format, background=bool(Background)
        )
        return ReportAnswer(
            Code=outcome.definition.code,
            Title=outcome.definition.title,
            JobId=outcome.job_id,
            GeneratedAt=outcome.generated_at,
            Table=_table(outcome.table),
            File=_file(outcome.file),
        )

    @operation(JobIdField, _returns=required(ReportJob))
    def GetReportJob(ctx: Any, JobId: int) -> ReportJob:
        state = reports.get_job(call_of(ctx), JobId)
        return ReportJob(
            JobId=state.job_id,
            Code=state.code,
            Status=state.status,
            SubmittedAt=state.submitted_at,
            FinishedAt=state.finished_at,
            Error=state.error,
            Table=_table(state.table),
            File=_file(state.file),
        )
