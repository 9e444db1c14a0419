"""Wire format of the Reports contract: the catalogue, report tables, files and report jobs."""

from __future__ import annotations

from typing import Any

from spyne import Array, Boolean, ByteArray, ComplexModel, DateTime, Integer, Unicode

from kontingent_ws.types.common import OptionalText, RequiredText, contract_namespace, optional, required

NAMESPACE = contract_namespace("Reports")



def listed(model: Any) -> Any:
    """A list of ``model`` that is always present (possibly empty)."""
    return Array(optional(model), min_occurs=1, nillable=False)


RequiredFlag = Boolean(min_occurs=1, nillable=False)
JobIdField = Integer(min_occurs=1, nillable=False, doc="Идентификатор задания построения отчёта")
JobStatusCode = Unicode(
    values=["queued", "running", "done", "failed"],
    type_name="JobStatus",
    __namespace__=NAMESPACE,
    doc="Состояние задания: queued – в очереди, running – строится, done – готово, failed – не построено",
)


class AllowedValue(ComplexModel):
    """One accepted value of a parameter (a classifier code or a fixed choice)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Code", RequiredText(doc="Значение, передаваемое в параметре")),
        ("Name", RequiredText(doc="Наименование")),
    ]


class ReportParameter(ComplexModel):
    """A parameter a report accepts."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Name", RequiredText(doc="Имя параметра, передаваемое в BuildReport")),
        ("Label", RequiredText(doc="Наименование параметра")),
        ("Type", RequiredText(doc="Тип значения: date (ГГГГ-ММ-ДД), int, str или code (код справочника)")),
        ("Required", RequiredFlag),
        ("Default", OptionalText(doc="Значение по умолчанию")),
        ("AllowedValues", listed(AllowedValue)),
    ]


class ReportColumn(ComplexModel):
    """A column of a report table."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Key", RequiredText(doc="Ключ столбца (имя ячейки в строках отчёта)")),
        ("Heading", RequiredText(doc="Заголовок столбца")),
        ("Type", RequiredText(doc="Тип значения: int, float, str или percent (от 0 до 100)")),
    ]


class ReportInfo(ComplexModel):
    """A report of the catalogue."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Code", RequiredText(doc="Код отчёта")),
        ("Title", RequiredText(doc="Наименование отчёта")),
        ("Family", RequiredText(doc="Код раздела каталога")),
        ("FamilyTitle", RequiredText(doc="Раздел каталога")),
        ("Description", OptionalText(doc="Пояснение к отчёту")),
        ("Parameters", listed(ReportParameter)),
        ("Columns", listed(ReportColumn)),
        ("HasChart", RequiredFlag),
        ("RunsAsJob", RequiredFlag),
    ]


class ReportList(ComplexModel):
    """Answer of ListReports."""

    __namespace__ = NAMESPACE
    _type_info = [("Reports", listed(ReportInfo))]


class Param(ComplexModel):
    """One parameter value of BuildReport."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Name", RequiredText(doc="Имя параметра (см. ListReports)")),
        ("Value", OptionalText(doc="Значение как текст: дата ГГГГ-ММ-ДД, целое число, код")),
    ]


ParamList = Array(optional(Param), min_occurs=0, nillable=False)


class Cell(ComplexModel):
    """One cell of a report row; an empty cell has no Value."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Key", RequiredText(doc="Ключ столбца")),
        ("Value", OptionalText(doc="Значение: целое, десятичное с точкой или текст")),
    ]


class TableRow(ComplexModel):
    """One row of a report table: a cell per column, in column order."""

    __namespace__ = NAMESPACE
    _type_info = [("Cells", listed(Cell))]


class ReportTable(ComplexModel):
    """The rows of a built report with its totals row."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Rows", listed(TableRow)),
        ("Totals", optional(TableRow)),
    ]


class ReportFile(ComplexModel):
    """A rendered report."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("FileName", RequiredText(doc="Имя файла")),
        ("MediaType", RequiredText(doc="Тип содержимого (MIME)")),
        ("Content", ByteArray(min_occurs=1, nillable=False, doc="Содержимое файла в кодировке Base64")),
    ]


class ReportAnswer(ComplexModel):
    """Answer of BuildReport: the table, the file, or the job that will build it."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Code", RequiredText(doc="Код отчёта")),
        ("Title", RequiredText(doc="Наименование отчёта")),
        ("JobId", Integer(min_occurs=0, nillable=False, doc="Задание, когда отчёт строится в фоновом режиме")),
        ("GeneratedAt", DateTime(min_occurs=0, nillable=False, doc="Когда отчёт построен")),
        ("Table", optional(ReportTable)),
        ("File", optional(ReportFile)),
    ]


class ReportJob(ComplexModel):
    """Answer of GetReportJob."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("JobId", JobIdField),
        ("Code", RequiredText(doc="Код отчёта")),
        ("Status", required(JobStatusCode)),
        ("SubmittedAt", DateTime(min_occurs=1, nillable=False, doc="Когда задание принято")),
        ("FinishedAt", DateTime(min_occurs=0, nillable=False, doc="Когда задание завершено")),
        ("Error", OptionalText(doc="Почему отчёт не построен")),
        ("Table", optional(ReportTable)),
        ("File", optional(ReportFile)),
    ]
