"""Excel templates for people: download a template, upload it filled, get it back with the faults marked.

An upload is an input like a packet (``submit.receive_input``): stored as received and committed
first, then read; its sender is the uploading person and its rows are attributed to the ``EXCEL``
provider. The organization is the one the rows name (ИНН) and must lie within the person's scope.
The error workbook is rebuilt from the stored bytes and the load journal's row errors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from adapters.excel_errors import build_error_workbook
from adapters.excel_kinds import KINDS
from adapters.excel_read import TemplateError
from adapters.excel_template import build_template
from adapters.rowerrors import RowError
from db.models import LoadJournal, LoadRowError, Packet
from kontingent_ws.call import CallContext
from kontingent_ws.errors import Conflict, NotFound, ValidationError
from kontingent_ws.security.permissions import LOAD_EXCEL, require
from kontingent_ws.security.scope import caller_of, deny, ensure_unit_visible, ensure_unit_writable
from kontingent_ws.usecases.intake.formats import EXCEL
from kontingent_ws.usecases.intake.pipeline import Target
from kontingent_ws.usecases.intake.receive import Sender
from kontingent_ws.usecases.intake.submit import Receipt, receive_input

XLSX_SUFFIX = ".xlsx"


@dataclass(frozen=True, kw_only=True)
class ExcelFile:
    """A workbook handed to a person."""

    content: bytes
    file_name: str


def _kind(name: str) -> str:
    if name not in KINDS:
        raise ValidationError(f"Неизвестный вид шаблона «{name}»; известны: {', '.join(KINDS)}", field="Kind")
    return name


def get_template(call: CallContext, *, kind: str) -> ExcelFile:
    """The empty template of ``kind``."""
    require(caller_of(call), LOAD_EXCEL)
    template = KINDS[_kind(kind)]
    file_name = f"{template.name}-{template.version}{XLSX_SUFFIX}"
    return ExcelFile(content=build_template(template.name), file_name=file_name)


def upload_excel(call: CallContext, *, kind: str, data: bytes, file_name: str | None) -> Receipt:
    """Receive a filled template of ``kind``; the same file uploaded again by the same person gets its receipt."""
    caller = caller_of(call)
    require(caller, LOAD_EXCEL)

    def authorize(target: Target) -> None:
        ensure_unit_writable(call, target.organization_id, object_type="packet")

    return receive_input(
        call, data=data, sender=Sender(system_id=None, user_id=caller.user_id),
        external_id=f"{_kind(kind)}:sha256:{hashlib.sha256(data).hexdigest()}", file_name=file_name, format=EXCEL,
        kind=kind, authorize=authorize,
    )


def _content(packet: Packet) -> bytes:
    if packet.content is not None:
        return packet.content
    if packet.storage_path is None:
        raise NotFound(f"Файл загрузки {packet.receipt_id} не сохранён")
    return Path(packet.storage_path).read_bytes()


def get_error_workbook(call: CallContext, *, receipt_id: str) -> ExcelFile:
    """The uploaded workbook with its faulty cells marked.

    For the uploader, or a person whose scope holds the organization the file was loaded into.
    """
    caller = caller_of(call)
    require(caller, LOAD_EXCEL)
    session = call.session
    packet = session.scalar(select(Packet).where(Packet.receipt_id == receipt_id.strip(), Packet.format == EXCEL))
    if packet is None:
        raise NotFound(f"Загрузка файла Excel с квитанцией {receipt_id} не найдена", field="ReceiptId")
    entry = session.scalar(
        select(LoadJournal).where(LoadJournal.packet_id == packet.id).order_by(LoadJournal.id.desc()).limit(1)
    )
    if packet.user_id != caller.user_id:
        if entry is None or entry.organization_id is None:  # nobody but the uploader sees an unplaced file
            raise deny(call, object_type="packet", object_id=receipt_id)
        ensure_unit_visible(call, entry.organization_id, object_type="packet")
    if entry is None:
        raise Conflict("Файл ещё не обработан: книга с ошибками будет доступна после загрузки", field="ReceiptId")
    rows = select(LoadRowError).where(LoadRowError.journal_id == entry.id).order_by(LoadRowError.id)
    errors = [
        RowError(code=r.code, row=r.row or 0, field=r.field or "", value=r.value, message=r.message,
                 severity="warning" if r.severity == "warning" else "error", section=r.section or "")
        for r in session.scalars(rows)
    ]
    try:
        content = build_error_workbook(_content(packet), errors)
    except TemplateError as exc:
        raise ValidationError(exc.message, field="ReceiptId") from exc
    stem = Path(packet.file_name or "upload").stem
    return ExcelFile(content=content, file_name=f"{stem}-ошибки{XLSX_SUFFIX}")
