"""Wire format of the Intake contract: packets in, receipts and load status out."""

from __future__ import annotations

from spyne import Array, Boolean, ByteArray, ComplexModel, DateTime, Integer, Unicode

from adapters.excel_kinds import KINDS
from kontingent_ws.types.common import OptionalText, RequiredCount, RequiredText, contract_namespace, optional, required

NAMESPACE = contract_namespace("Intake")



PacketBytes = ByteArray(min_occurs=1, nillable=False, doc="Пакет XML, подписанный XMLDSig, в кодировке Base64")
ExcelBytes = ByteArray(min_occurs=1, nillable=False, doc="Заполненный шаблон Excel (xlsx) в кодировке Base64")
TemplateKindCode = Unicode(
    values=list(KINDS),
    type_name="TemplateKind",
    __namespace__=NAMESPACE,
    min_occurs=1,
    nillable=False,
    doc="Вид шаблона Excel: " + ", ".join(f"{name} – {kind.title}" for name, kind in KINDS.items()),
)
OptionalPage = Integer(min_occurs=0, nillable=False, doc="Номер страницы ошибок, начиная с 1 (по умолчанию 1)")
OptionalPageSize = Integer(min_occurs=0, nillable=False, doc="Размер страницы ошибок (по умолчанию 100)")

PacketStatusCode = Unicode(
    values=["queued", "processing", "done", "done_with_errors", "rejected"],
    type_name="PacketStatusCode",
    __namespace__=NAMESPACE,
    doc="Состояние пакета: queued – в очереди, processing – загружается, done – загружен, "
    "done_with_errors – загружен с ошибками в строках, rejected – отклонён целиком",
)
LoadStatusCode = Unicode(
    values=["success", "error", "partial"],
    type_name="LoadStatus",
    __namespace__=NAMESPACE,
    doc="Итог загрузки: success – успешно, error – ошибка, partial – частично",
)
SeverityCode = Unicode(
    values=["error", "warning"],
    type_name="Severity",
    __namespace__=NAMESPACE,
    doc="Вид замечания: error – строка отклонена, warning – строка загружена с предупреждением",
)


class Receipt(ComplexModel):
    """Answer of SubmitPacket: the receipt to ask the status by."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("ReceiptId", RequiredText(doc="Идентификатор квитанции")),
        ("Status", required(PacketStatusCode)),
        ("Duplicate", Boolean(min_occurs=1, nillable=False,
                              doc="Пакет с этим идентификатором уже был получен и повторно не загружается")),
    ]


class RowError(ComplexModel):
    """A row-level error or warning of a load."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Section", OptionalText(doc="Раздел пакета")),
        ("Row", Integer(min_occurs=0, nillable=False, doc="Номер строки в разделе, начиная с 1")),
        ("Code", RequiredText(doc="Код ошибки")),
        ("Field", OptionalText(doc="Поле")),
        ("Value", OptionalText(doc="Значение, как оно было передано")),
        ("Message", RequiredText(doc="Описание")),
        ("Severity", required(SeverityCode)),
    ]


class PacketStatus(ComplexModel):
    """Answer of GetPacketStatus."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("ReceiptId", RequiredText(doc="Идентификатор квитанции")),
        ("Status", required(PacketStatusCode)),
        ("ReceivedAt", DateTime(min_occurs=1, nillable=False, doc="Когда пакет получен")),
        ("FinishedAt", DateTime(min_occurs=0, nillable=False, doc="Когда обработка завершена")),
        ("LoadStatus", optional(LoadStatusCode)),
        ("LoadStatusName", OptionalText(doc="Итог загрузки: Успешно, Ошибка или Частично")),
        ("RowsTotal", RequiredCount(doc="Строк всего")),
        ("RowsApplied", RequiredCount(doc="Строк загружено")),
        ("RowsRejected", RequiredCount(doc="Строк отклонено")),
        ("RowsWarned", RequiredCount(doc="Строк загружено с предупреждениями")),
        ("Comment", OptionalText(doc="Причина отказа или комментарий к загрузке")),
        ("Errors", Array(optional(RowError), min_occurs=1, nillable=False)),
        ("ErrorsTotal", RequiredCount(doc="Всего ошибок и предупреждений")),
    ]


class ExcelFile(ComplexModel):
    """Answer of GetExcelTemplate and GetErrorWorkbook: a workbook and its file name."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("FileName", RequiredText(doc="Имя файла")),
        ("Content", ByteArray(min_occurs=1, nillable=False, doc="Книга Excel (xlsx) в кодировке Base64")),
    ]
