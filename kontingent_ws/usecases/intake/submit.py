"""``SubmitPacket``: a provider (or a system administrator) hands in a signed XML packet.

The format is recognised by the packet's root element: ``<eljur_export>`` is the school journal's
export (``formats.JOURNAL_EXPORT``), anything else is read as the provider packet (``XML_PACKET``),
whose opener refuses what it is not. ``receive_input`` is shared with the Excel upload.

1. The packet is stored as received with its job and committed at once – nothing received is
   ever lost, whatever happens next (that commit is why this use case commits on its own).
2. The signature is verified against the sender's registered certificate, the XML and the schema
   are checked, the organization is found and the sender's right to write it is checked. A
   refusal is recorded on the packet (status rejected, journal «Ошибка») and raised as a fault
   with its own code; an organization outside the sender's scope is audited.
3. A small packet is then loaded in the call; a larger one is left to ``kontingent worker``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from db.models import Packet, utcnow
from kontingent_ws.call import CallContext
from kontingent_ws.errors import KontingentError
from kontingent_ws.security.permissions import LOAD_XML, require
from kontingent_ws.security.scope import caller_of, deny, ensure_unit_writable
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.formats import signed_format_of
from kontingent_ws.usecases.intake.pipeline import Target, find_target, open_stored, process_packet, reject
from kontingent_ws.usecases.intake.receive import (
    HEAD_BYTES,
    Sender,
    external_id_of,
    find_received,
    peek_root_name,
    store_packet,
)

INLINE_MAX_BYTES = 1024 * 1024
"""Packets up to this size are loaded within the call that brings them."""
INLINE_GRACE_SECONDS = 60
"""A packet loaded in the call is left alone by workers this long (they take it over if the call dies)."""


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """What the sender gets back at once."""

    receipt_id: str
    status: str
    duplicate: bool
    """The same packet was received before: this is its receipt, nothing was loaded again."""


Authorize = Callable[[Target], None]
"""Refuses (with a project error) a sender who may not write the organization an input is about."""


def submit_packet(call: CallContext, *, data: bytes, file_name: str | None) -> Receipt:
    """Receive a signed XML packet (its format recognised by its root element); see the module docstring."""
    caller = caller_of(call)
    require(caller, LOAD_XML)
    head = data[:HEAD_BYTES]
    input_format = signed_format_of(peek_root_name(head))
    sender = Sender(
        system_id=caller.system_id if caller.kind == "system" else None,
        user_id=caller.user_id if caller.kind == "user" else None,
    )

    def authorize(target: Target) -> None:
        if caller.kind == "system":
            ensure_unit_writable(call, target.organization_id, object_type="packet")
        elif not target.writable:
            raise deny(call, object_type="packet", object_id=target.organization_id,
                       message="Поставщику, подписавшему пакет, не разрешено изменять сведения этой организации")

    external_id = external_id_of(head, hashlib.sha256(data).hexdigest(), input_format.id_attribute)
    return receive_input(call, data=data, sender=sender, external_id=external_id, file_name=file_name,
                         format=input_format.name, kind=None, authorize=authorize)


def receive_input(
    call: CallContext,
    *,
    data: bytes,
    sender: Sender,
    external_id: str,
    file_name: str | None,
    format: str,
    kind: str | None,
    authorize: Authorize,
) -> Receipt:
    """Store, commit, open, authorize and (when small) load an input; the same input twice gets one receipt."""
    session = call.session
    existing = find_received(session, system_id=sender.system_id, user_id=sender.user_id, external_id=external_id)
    if existing is not None:
        return Receipt(receipt_id=existing.receipt_id, status=existing.status, duplicate=True)
    small = len(data) <= INLINE_MAX_BYTES
    try:
        stored = store_packet(
            session, call.settings, data=data, sender=sender, external_id=external_id, file_name=file_name,
            format=format, kind=kind, request_id=call.request_id,
            run_after_seconds=INLINE_GRACE_SECONDS if small else 0,
        )
        session.commit()
    except IntegrityError:  # the same packet arrived through another call at the same moment
        session.rollback()
        existing = find_received(session, system_id=sender.system_id, user_id=sender.user_id, external_id=external_id)
        if existing is None:
            raise
        return Receipt(receipt_id=existing.receipt_id, status=existing.status, duplicate=True)
    started = utcnow()
    packet = session.get(Packet, stored.packet_id)
    assert packet is not None
    try:
        opened, signer = open_stored(session, packet, call.settings)
        authorize(find_target(session, opened.header, signer))
    except KontingentError as exc:
        reject(session, stored.packet_id, exc, job_id=stored.job_id, started_at=started)
        raise
    status = "queued"
    if small and jobs.claim_job(session, stored.job_id, worker=f"call:{call.request_id}"):
        session.commit()
        status = process_packet(session, call.settings, stored.packet_id, job_id=stored.job_id).status
    return Receipt(receipt_id=stored.receipt_id, status=status, duplicate=False)
