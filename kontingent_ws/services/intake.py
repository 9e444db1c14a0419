"""The Intake contract: providers' signed packets in, receipts and load status out. Thin."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spyne import ServiceBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.common import OptionalText, RequiredText
from kontingent_ws.types.intake import (
    ExcelBytes,
    ExcelFile,
    OptionalPage,
    OptionalPageSize,
    PacketBytes,
    PacketStatus,
    Receipt,
    RowError,
    TemplateKindCode,
    required,
)
from kontingent_ws.usecases.intake import submit
from kontingent_ws.usecases.intake.excel import get_error_workbook, get_template, upload_excel
from kontingent_ws.usecases.intake.status import get_packet_status
from kontingent_ws.usecases.intake.submit import submit_packet

DEFAULT_PAGE_SIZE = 100


def _bytes(value: bytes | Iterable[bytes]) -> bytes:
    """Spyne hands a base64Binary over as a sequence of chunks."""
    return value if isinstance(value, bytes) else b"".join(value)


def _receipt(receipt: submit.Receipt) -> Receipt:
    return Receipt(ReceiptId=receipt.receipt_id, Status=receipt.status, Duplicate=receipt.duplicate)


class IntakeService(ServiceBase):
    """Receives provider packets and people's Excel uploads and reports what became of them."""

    @operation(PacketBytes, OptionalText, _returns=required(Receipt))
    def SubmitPacket(ctx: Any, PacketXml: Any, FileName: str | None) -> Receipt:
        """A signed packet: the provider packet, or the school journal's export (root element eljur_export)."""
        return _receipt(submit_packet(call_of(ctx), data=_bytes(PacketXml), file_name=FileName))

    @operation(TemplateKindCode, _returns=required(ExcelFile))
    def GetExcelTemplate(ctx: Any, Kind: str) -> ExcelFile:
        found = get_template(call_of(ctx), kind=Kind)
        return ExcelFile(FileName=found.file_name, Content=found.content)

    @operation(TemplateKindCode, ExcelBytes, OptionalText, _returns=required(Receipt))
    def UploadExcel(ctx: Any, Kind: str, Content: Any, FileName: str | None) -> Receipt:
        return _receipt(upload_excel(call_of(ctx), kind=Kind, data=_bytes(Content), file_name=FileName))

    @operation(RequiredText, _returns=required(ExcelFile))
    def GetErrorWorkbook(ctx: Any, ReceiptId: str) -> ExcelFile:
        found = get_error_workbook(call_of(ctx), receipt_id=ReceiptId)
        return ExcelFile(FileName=found.file_name, Content=found.content)

    @operation(RequiredText, OptionalPage, OptionalPageSize, _returns=required(PacketStatus))
    def GetPacketStatus(ctx: Any, ReceiptId: str, Page: int | None, PageSize: int | None) -> PacketStatus:
        found = get_packet_status(
            call_of(ctx), receipt_id=ReceiptId, page=Page or 1, page_size=PageSize or DEFAULT_PAGE_SIZE
        )
        return PacketStatus(
            ReceiptId=found.receipt_id,
            Status=found.status,
            ReceivedAt=found.received_at,
            FinishedAt=found.finished_at,
            LoadStatus=found.load_status,
            LoadStatusName=found.load_status_name,
            RowsTotal=found.rows_total,
            RowsApplied=found.rows_applied,
            RowsRejected=found.rows_rejected,
            RowsWarned=found.rows_warned,
            Comment=found.comment,
            Errors=[
                RowError(Section=e.section, Row=e.row, Code=e.code, Field=e.field, Value=e.value, Message=e.message,
                         Severity=e.severity)
                for e in found.errors.items
            ],
            ErrorsTotal=found.errors.total,
        )
