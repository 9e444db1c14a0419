"""One received packet from storage to the registry, in one transaction.

Verify and open it (``formats``), find the organization it is about and check the sender may
write it, write every slice (``apply``), then the journal entry, the packet's status and the
job's end – all committed together. A refusal (signature, XML, schema, organization, scope)
rolls everything back and records the packet as rejected with an «Ошибка» journal entry; any
other failure rolls back and leaves the job to be retried.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.records import BatchHeader
from db.dates import as_utc
from db.hierarchy import is_within
from db.models import InfoSystem, Organization, Packet, SystemWriteScope, utcnow
from db.retry import retry_conflicts, serialize_organization_writes
from kontingent_ws.errors import AccessDenied, Conflict, KontingentError, NotFound, ValidationError
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.apply import AfterChunk, apply_chunks
from kontingent_ws.usecases.intake.context import ApplyContext
from kontingent_ws.usecases.intake.formats import OpenedInput, PacketSource, format_named
from kontingent_ws.usecases.intake.journal import ERROR, Counts, EntryFacts, count_rows, load_status, write_entry
from kontingent_ws.usecases.intake.priority import load_rules
from kontingent_ws.usecases.intake.trust import SenderTrust, upload_provider

CHUNK_SIZE = 1000
FINAL = frozenset({"done", "done_with_errors", "rejected"})
REJECTED_PREFIX = "rejected:"
"""A refused packet gives up its provider id (``external_id``), so a corrected packet with the same id is accepted."""
SIGNATURE_SUFFIX = ".sig"
"""A detached signature is kept next to the stored packet file."""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How a packet ended."""

    status: str
    """Status of the packet: done, done_with_errors or rejected."""
    journal_status: str
    counts: Counts
    comment: str | None = None


def open_stored(session: Session, packet: Packet, settings: Settings) -> tuple[OpenedInput, InfoSystem]:
    """Verify the stored packet against its sender's certificate and open it.

    A person's upload (an unsigned format) is attributed to the provider its header names.
    """
    path = Path(packet.storage_path) if packet.storage_path else None
    signature = path.with_name(path.name + SIGNATURE_SUFFIX) if path is not None else None
    trust = SenderTrust(session, system_id=packet.system_id)
    source = PacketSource(
        content=packet.content,
        path=path,
        detached_signature=signature.read_bytes() if signature is not None and signature.exists() else None,
        trust=trust,
        chunk_size=CHUNK_SIZE,
        max_bytes=settings.max_request_bytes,
        kind=packet.kind,
        received_at=as_utc(packet.received_at),
    )
    input_format = format_named(packet.format)
    opened = input_format.open(source)
    if not input_format.signed:
        return opened, upload_provider(session, opened.header.provider)
    return opened, trust.sender(opened.header.provider)


@dataclass(frozen=True, kw_only=True)
class Target:
    """The organization a packet is about, and whether its sender may write it."""

    organization_id: int
    writable: bool


def find_target(session: Session, header: BatchHeader, sender: InfoSystem) -> Target:
    """The organization named by the header's ИНН (and КПП) and the sender's right to write it."""
    if header.org_inn is None:
        raise ValidationError("В заголовке пакета не указан ИНН организации (атрибут orgInn)", field="orgInn")
    query = select(Organization.id).where(Organization.inn == header.org_inn)
    if header.org_kpp is not None:
        query = query.where(Organization.kpp == header.org_kpp)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise NotFound(f"Организация с ИНН {header.org_inn} не найдена в реестре", field="orgInn")
    if len(found) > 1:
        raise ValidationError(f"ИНН {header.org_inn} принадлежит нескольким организациям: укажите КПП", field="orgKpp")
    roots = session.scalars(select(SystemWriteScope.org_unit_id).where(SystemWriteScope.system_id == sender.id))
    return Target(organization_id=found[0], writable=any(is_within(session, root, found[0]) for root in roots))


def _facts(packet: Packet, organization_id: int | None, started_at: dt.datetime) -> EntryFacts:
    return EntryFacts(
        packet_id=packet.id,
        system_id=packet.system_id,
        user_id=packet.user_id,
        organization_id=organization_id,
        file_name=packet.file_name,
        started_at=started_at,
    )


def reject(
    session: Session,
    packet_id: int,
    error: KontingentError,
    *,
    job_id: int | None,
    started_at: dt.datetime,
    organization_id: int | None = None,
) -> Outcome:
    """Record the packet as rejected (kept as received) with an «Ошибка» entry; commit."""
    packet = session.get(Packet, packet_id, populate_existing=True)
    assert packet is not None
    packet.status, packet.finished_at = "rejected", utcnow()
    if not packet.external_id.startswith(REJECTED_PREFIX):
        packet.external_id = f"{REJECTED_PREFIX}{packet.receipt_id}"
    counts = Counts(total=0, applied=0, rejected=0, warned=0)
    comment = f"{error.code}: {error.message}"
    write_entry(session, _facts(packet, organization_id, started_at), status=ERROR, counts=counts, comment=comment)
    if job_id is not None:
        jobs.finish(session, job_id)
    session.commit()
    return Outcome(status="rejected", journal_status=ERROR, counts=counts, comment=comment)


def _lock_packet(session: Session, packet_id: int) -> Packet:
    query = select(Packet).where(Packet.id == packet_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    packet = session.scalar(query)
    if packet is None:
        raise NotFound(f"Пакет {packet_id} не найден")
    return packet


def _check_unique(session: Session, packet: Packet, sender: InfoSystem, external_id: str) -> None:
    other = session.scalar(
        select(Packet.receipt_id).where(
            Packet.system_id == sender.id, Packet.external_id == external_id, Packet.id != packet.id
        )
    )
    if other is not None:
        raise Conflict(f"Пакет «{external_id}» уже получен от поставщика: квитанция {other}", field="id")


def process_packet(
    session: Session, settings: Settings, packet_id: int, *, job_id: int | None, after_chunk: AfterChunk | None = None
) -> Outcome:
    """Load one stored packet exactly once; commits (or rolls back) itself. A load that loses a race
    with another (deadlock, serialization failure) is rolled back and run again."""
    return retry_conflicts(
        session, lambda: _process_packet(session, settings, packet_id, job_id=job_id, after_chunk=after_chunk)
    )


def _process_packet(
    session: Session, settings: Settings, packet_id: int, *, job_id: int | None, after_chunk: AfterChunk | None
) -> Outcome:
    packet = _lock_packet(session, packet_id)
    started = utcnow()
    if packet.status in FINAL:  # a worker that died after the commit, or the call applied it at once
        if job_id is not None:
            jobs.finish(session, job_id)
        session.commit()
        return Outcome(status=packet.status, journal_status="", counts=Counts(total=0, applied=0, rejected=0, warned=0))
    organization_id = None
    try:
        opened, sender = open_stored(session, packet, settings)
        signed = format_named(packet.format).signed
        if packet.system_id is None and signed:  # loaded by an administrator: the packet is the signer's
            _check_unique(session, packet, sender, opened.header.packet_id)
            packet.system_id = sender.id
        target = find_target(session, opened.header, sender)
        organization_id = target.organization_id
        serialize_organization_writes(session, organization_id)  # loads about one organization in turn
        if signed and not target.writable:  # a person's upload: the scope was checked when received
            raise AccessDenied("Поставщику данных не разрешено изменять сведения этой организации")
        context = ApplyContext(
            session=session, organization_id=organization_id, system_id=sender.id, packet_id=packet.id,
            now=started, rules=load_rules(session, organization_id),
        )
        apply_chunks(context, opened.chunks, after_chunk)
    except KontingentError as exc:
        session.rollback()
        return reject(session, packet_id, exc, job_id=job_id, started_at=started, organization_id=organization_id)
    counts = count_rows(context.applied, context.errors)
    status = load_status(counts)
    write_entry(session, _facts(packet, organization_id, started), status=status, counts=counts, comment=None,
                errors=context.errors)
    packet.status = "done" if counts.rejected == 0 else "done_with_errors"
    packet.finished_at = utcnow()
    if job_id is not None:
        jobs.finish(session, job_id)
    session.commit()
    return Outcome(status=packet.status, journal_status=status, counts=counts)
