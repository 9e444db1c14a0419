"""``GetPacketStatus``: where a packet is, its counts and its row errors, page by page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from db.dates import as_utc
from db.models import LoadJournal, LoadRowError, Packet
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound
from kontingent_ws.security.permissions import LOAD_EXCEL, LOAD_XML, has_permission, require
from kontingent_ws.security.scope import caller_of, deny
from kontingent_ws.usecases.journal import STATUS_NAMES, RowErrorView
from kontingent_ws.usecases.listing import PageOf, check_paging


@dataclass(frozen=True, kw_only=True)
class PacketStatus:
    """A packet's state as its sender sees it."""

    receipt_id: str
    status: str
    """queued, processing, done, done_with_errors or rejected."""
    received_at: dt.datetime
    finished_at: dt.datetime | None
    load_status: str | None
    """success, error or partial once loaded (or refused)."""
    load_status_name: str | None
    rows_total: int
    rows_applied: int
    rows_rejected: int
    rows_warned: int
    comment: str | None
    errors: PageOf[RowErrorView]


def _visible(call: CallContext, packet: Packet) -> bool:
    caller = caller_of(call)
    if caller.kind == "system":
        return packet.system_id == caller.system_id and packet.user_id is None
    if caller.sees_region and has_permission(caller, LOAD_XML):
        return True
    return has_permission(caller, LOAD_EXCEL) and packet.user_id == caller.user_id


def get_packet_status(call: CallContext, *, receipt_id: str, page: int, page_size: int) -> PacketStatus:
    """The status of the packet with ``receipt_id``, for its sender (or a system administrator)."""
    caller = caller_of(call)
    if not has_permission(caller, LOAD_XML):
        require(caller, LOAD_EXCEL)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    packet = call.session.scalar(select(Packet).where(Packet.receipt_id == receipt_id.strip()))
    if packet is None:
        raise NotFound(f"Квитанция {receipt_id} не найдена", field="ReceiptId")
    if not _visible(call, packet):
        raise deny(call, object_type="packet", object_id=receipt_id)
    entry = call.session.scalar(
        select(LoadJournal).where(LoadJournal.packet_id == packet.id).order_by(LoadJournal.id.desc()).limit(1)
    )
    errors: PageOf[RowErrorView] = PageOf(items=[], total=0)
    if entry is not None:
        where = LoadRowError.journal_id == entry.id
        total = call.session.scalar(select(func.count()).select_from(LoadRowError).where(where)) or 0
        rows = call.session.scalars(
            select(LoadRowError).where(where).order_by(LoadRowError.id).offset(paging.offset).limit(paging.limit)
        )
        errors = PageOf(
            items=[
                RowErrorView(section=r.section, row=r.row, code=r.code, field=r.field, value=r.value,
                             message=r.message, severity=r.severity)
                for r in rows
            ],
            total=total,
        )
    return PacketStatus(
        receipt_id=packet.receipt_id,
        status=packet.status,
        received_at=as_utc(packet.received_at),
        finished_at=as_utc(packet.finished_at) if packet.finished_at else None,
        load_status=entry.status if entry else None,
        load_status_name=STATUS_NAMES.get(entry.status) if entry else None,
        rows_total=entry.rows_total if entry else 0,
        rows_applied=entry.rows_applied if entry else 0,
        rows_rejected=entry.rows_rejected if entry else 0,
        rows_warned=entry.rows_warned if entry else 0,
        comment=entry.comment if entry else None,
        errors=errors,
    )
