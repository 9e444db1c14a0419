"""Store a packet exactly as received, before anything else, and queue its load.

Small packets are kept in ``packet.content``; larger ones in a file under
``settings.data_dir/packets`` (written, synced and renamed into place), always with their SHA-256.
A packet is identified by its sender and its own id (the root's ``id`` attribute, read without
trusting anything else in it; the SHA-256 of the bytes when it has none), so a packet sent twice
is the same packet: the same receipt, nothing applied twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Packet, utcnow
from kontingent_ws.settings import Settings
from kontingent_ws.usecases.intake import jobs
from kontingent_ws.usecases.intake.pipeline import SIGNATURE_SUFFIX

CONTENT_MAX_BYTES = 1024 * 1024
"""Packets up to this size are kept in the database; larger ones on disk."""
HEAD_BYTES = 4096
PACKET_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
COPY_BUFFER = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class Stored:
    """A stored packet and the job that will load it."""

    packet_id: int
    receipt_id: str
    job_id: int
    size_bytes: int


def _peek_root(head: bytes) -> etree._Element | None:
    """The root's start tag from the first bytes of a packet (no DTD, no entities), or ``None``."""
    if b"<!DOCTYPE" in head[:HEAD_BYTES].upper():
        return None
    try:
        for _event, element in etree.iterparse(
            io.BytesIO(head), events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        ):
            return element
    except etree.XMLSyntaxError:
        return None
    return None


def peek_root_name(head: bytes) -> str | None:
    """The local name of the root element, or ``None`` when unreadable."""
    element = _peek_root(head)
    return None if element is None or not isinstance(element.tag, str) else etree.QName(element).localname


def peek_packet_id(head: bytes, attribute: str = "id") -> str | None:
    """The root's ``attribute`` (the packet's own id), or ``None`` when unreadable.

    Only the start tag is read; nothing else of the packet is trusted yet.
    """
    element = _peek_root(head)
    value = None if element is None else element.get(attribute)
    return value if value is not None and PACKET_ID.fullmatch(value) else None


def external_id_of(head: bytes, sha256: str, attribute: str = "id") -> str:
    """The key a packet is deduplicated by: its own id, else its hash."""
    return peek_packet_id(head, attribute) or f"sha256:{sha256}"


def find_received(session: Session, *, system_id: int | None, user_id: int | None, external_id: str) -> Packet | None:
    """A packet already received from the same sender under the same id."""
    query = select(Packet).where(Packet.external_id == external_id)
    query = query.where(Packet.system_id == system_id) if system_id is not None else query.where(
        Packet.system_id.is_(None), Packet.user_id == user_id
    )
    return session.scalar(query)


def _packet_path(settings: Settings, receipt_id: str) -> Path:
    directory = settings.data_dir.resolve() / "packets" / receipt_id[:2]
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{receipt_id}.xml"


def _write_synced(path: Path, chunks: io.BufferedIOBase | io.BytesIO) -> str:
    digest = hashlib.sha256()
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as target:
        while block := chunks.read(COPY_BUFFER):
            digest.update(block)
            target.write(block)
        target.flush()
        os.fsync(target.fileno())
    partial.replace(path)
    return digest.hexdigest()


@dataclass(frozen=True, kw_only=True)
class Sender:
    """Who sent a packet: a provider system, or a person (a system administrator loading XML)."""

    system_id: int | None
    user_id: int | None


def store_packet(
    session: Session,
    settings: Settings,
    *,
    data: bytes | None = None,
    source_path: Path | None = None,
    detached_signature: bytes | None = None,
    sender: Sender,
    external_id: str | None = None,
    file_name: str | None,
    format: str,
    kind: str | None = None,
    request_id: str | None = None,
    run_after_seconds: float = 0,
) -> Stored:
    """Keep the bytes (or copy the file) and add the packet row and its job; no commit.

    ``external_id`` defaults to the packet's own id (or its hash).
    """
    receipt_id = str(uuid.uuid4())
    content = storage_path = None
    if data is not None and len(data) <= CONTENT_MAX_BYTES and detached_signature is None:
        content, size, sha256, head = data, len(data), hashlib.sha256(data).hexdigest(), data[:HEAD_BYTES]
    else:
        path = _packet_path(settings, receipt_id)
        if data is not None:
            sha256, size, head = _write_synced(path, io.BytesIO(data)), len(data), data[:HEAD_BYTES]
        else:
            assert source_path is not None
            with open(source_path, "rb") as stream:
                head = stream.read(HEAD_BYTES)
                stream.seek(0)
                sha256 = _write_synced(path, stream)
            size = path.stat().st_size
        if detached_signature is not None:
            _write_synced(path.with_name(path.name + SIGNATURE_SUFFIX), io.BytesIO(detached_signature))
        storage_path = str(path)
    packet = Packet(
        receipt_id=receipt_id,
        system_id=sender.system_id,
        user_id=sender.user_id,
        external_id=external_id or external_id_of(head, sha256),
        format=format,
        kind=kind,
        file_name=(file_name or None) and file_name[:500],
        sha256=sha256,
        size_bytes=size,
        content=content,
        storage_path=storage_path,
        status="queued",
        received_at=utcnow(),
        request_id=request_id,
    )
    session.add(packet)
    session.flush()
    job = jobs.enqueue(
        session,
        kind=jobs.PACKET,
        params={"packet_id": packet.id},
        run_after=utcnow() + dt.timedelta(seconds=run_after_seconds),
        request_id=request_id,
        owner_user_id=sender.user_id,
    )
    return Stored(packet_id=packet.id, receipt_id=receipt_id, job_id=job.id, size_bytes=size)

