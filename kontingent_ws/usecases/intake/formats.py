"""The registry of input formats: name → how to verify and open a stored input.

Every format yields the same thing – a header and ``MappedChunk`` slices – so the pipeline does
not care whether rows came from a signed XML packet or a spreadsheet. A new format is one more
entry in ``FORMATS`` (an adapter producing a ``MappedBatch`` is wrapped by ``batch_chunks``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from lxml import etree

from adapters.excel_read import TemplateError, stream_upload
from adapters.foreign_journal import ForeignFormatError, map_journal
from adapters.packet import (
    SECTIONS,
    PacketSchemaError,
    iter_packet,
    map_packet,
    read_header,
    validate_packet,
)
from adapters.records import BatchHeader, MappedBatch, MappedChunk
from adapters.safexml import UnsafeXml, parse_bytes
from kontingent_ws.errors import SchemaError, ValidationError, XmlInputError
from kontingent_ws.xmlsig.packet import TrustCheck, verify_packet, verify_packet_file

XML_PACKET = "xml-1.0.0"
"""The provider packet of ``xsd/packet-1.0.0.xsd``."""
JOURNAL_EXPORT = "eljur-2"
"""The school journal's own export (``<eljur_export>``), signed by the journal system."""
EXCEL = "xlsx"
"""A filled Excel template uploaded by a person (the template kind is stored with the packet)."""
ORGANIZATION = "Organization"
HEAD_BYTES = 4096


@dataclass(frozen=True, kw_only=True)
class PacketSource:
    """A stored input as a format reads it."""

    content: bytes | None
    """The bytes, when stored in the database."""
    path: Path | None
    """The file, when stored on disk."""
    detached_signature: bytes | None
    """A detached ``ds:Signature`` over the file's octets, when the input came with one."""
    trust: TrustCheck
    """Vets the signer's certificate."""
    chunk_size: int
    """Rows per slice."""
    max_bytes: int
    """Largest input parsed whole (a bigger one needs a detached signature and is streamed)."""
    kind: str | None = None
    """The template kind of an Excel upload."""
    received_at: dt.datetime | None = None
    """When the input was received: no date in an upload's rows may be later."""


@dataclass(frozen=True, kw_only=True)
class OpenedInput:
    """A verified input: who sent it about which organization, and its rows slice by slice."""

    header: BatchHeader
    chunks: Iterator[MappedChunk]


Opener = Callable[[PacketSource], OpenedInput]


@dataclass(frozen=True, kw_only=True)
class InputFormat:
    """One registered format."""

    name: str
    """Stored in ``packet.format``."""
    title: str
    """Russian name for people."""
    open: Opener
    """Verifies the input and opens it; refuses with a project error (signature, XML, schema)."""
    root: str | None = None
    """Local name of the root element of a signed XML format (how ``SubmitPacket`` recognises it)."""
    id_attribute: str = "id"
    """The root's attribute carrying the sender's own id of the input."""
    signed: bool = True
    """``False``: a person's upload, attributed to the provider its header names; the person's scope
    is checked when it is received, not against a signer's write scopes."""


def batch_chunks(batch: MappedBatch, chunk_size: int) -> Iterator[MappedChunk]:
    """A whole ``MappedBatch`` as slices in section order, each section's errors with its rows."""
    errors: dict[str, list] = {}
    for error in batch.errors:
        errors.setdefault(error.section, []).append(error)
    if errors.get("Packet"):
        yield MappedChunk(header=batch.header, section="Packet", records=(), errors=tuple(errors["Packet"]))
    organization = (batch.organization,) if batch.organization is not None else ()
    if organization or errors.get(ORGANIZATION):
        yield MappedChunk(
            header=batch.header, section=ORGANIZATION, records=organization, errors=tuple(errors.get(ORGANIZATION, ()))
        )
    for section in SECTIONS:
        records = getattr(batch, section.field)
        section_errors = errors.get(section.name, [])
        if not records and not section_errors:
            continue
        for start in range(0, max(len(records), 1), chunk_size):
            yield MappedChunk(
                header=batch.header,
                section=section.name,
                records=tuple(records[start : start + chunk_size]),
                errors=tuple(section_errors) if start == 0 else (),
            )


def _file_header(path: Path) -> BatchHeader:
    with open(path, "rb") as stream:
        if b"<!DOCTYPE" in stream.read(HEAD_BYTES).upper():
            raise XmlInputError("XML с объявлением DOCTYPE или ENTITY не принимается", detail="dtd")
        stream.seek(0)
        try:
            for _event, element in etree.iterparse(
                stream, events=("start",), resolve_entities=False, no_network=True, load_dtd=False
            ):
                header, _errors = read_header(element)
                return header
        except etree.XMLSyntaxError as exc:
            raise XmlInputError("Пакет не является корректным XML-документом", detail="syntax") from exc
    raise XmlInputError("Пакет пуст", detail="empty")


def _streamed(path: Path, chunk_size: int) -> Iterator[MappedChunk]:
    try:
        yield from iter_packet(path, chunk_size=chunk_size, validate=True)
    except PacketSchemaError as exc:
        raise SchemaError(exc.message) from exc
    except UnsafeXml as exc:
        raise XmlInputError(exc.message, detail=exc.reason) from exc


def open_xml_packet(source: PacketSource) -> OpenedInput:
    """Verify the packet's signature first; then read only what it covers.

    With a detached signature the file is verified by streaming and then streamed through the
    adapter (schema checked while reading); otherwise the enveloped signature is verified on the
    parsed document and only ``VerifyResult.signed_element`` is validated and mapped.
    """
    if source.detached_signature is not None:
        if source.path is None:
            raise ValidationError("Отсоединённая подпись применима только к пакету, сохранённому файлом")
        verify_packet_file(source.path, source.detached_signature, source.trust)
        try:
            header = _file_header(source.path)
        except PacketSchemaError as exc:
            raise SchemaError(exc.message) from exc
        return OpenedInput(header=header, chunks=_streamed(source.path, source.chunk_size))
    _data, root = _parsed(source)
    signed = verify_packet(root, source.trust).signed_element
    try:
        validate_packet(signed)
        batch = map_packet(signed)
    except PacketSchemaError as exc:
        raise SchemaError(exc.message) from exc
    return OpenedInput(header=batch.header, chunks=batch_chunks(batch, source.chunk_size))


def _parsed(source: PacketSource) -> tuple[bytes, etree._Element]:
    data = source.content if source.content is not None else _read(source.path)
    try:
        return data, parse_bytes(data, max_bytes=source.max_bytes)
    except UnsafeXml as exc:
        raise XmlInputError(f"Пакет не принят: {exc.message}", detail=exc.reason) from exc


def open_journal_export(source: PacketSource) -> OpenedInput:
    """The school journal's export, signed (enveloped) by the journal system: verify, then map what is signed."""
    if source.detached_signature is not None:
        raise ValidationError("Выгрузка журнала принимается только с подписью внутри документа")
    data, root = _parsed(source)
    signed = verify_packet(root, source.trust).signed_element
    try:
        batch = map_journal(signed, content_digest=hashlib.sha256(data).hexdigest())
    except ForeignFormatError as exc:
        raise SchemaError(exc.message) from exc
    return OpenedInput(header=batch.header, chunks=batch_chunks(batch, source.chunk_size))


def open_excel_upload(source: PacketSource) -> OpenedInput:
    """A filled template of the stored kind, mapped a slice of rows at a time while the previous slice
    is written; a file that is no such template is refused whole."""
    data = source.content if source.content is not None else _read(source.path)
    try:
        header, batches = stream_upload(data, source.kind or "", created=source.received_at,
                                        slice_rows=source.chunk_size)
    except TemplateError as exc:
        raise ValidationError(exc.message, field="Content") from exc

    def chunks() -> Iterator[MappedChunk]:
        try:
            for batch in batches:
                yield from batch_chunks(batch, source.chunk_size)
        except TemplateError as exc:  # the sheet could not be read to its end: the whole file is refused
            raise ValidationError(exc.message, field="Content") from exc

    return OpenedInput(header=header, chunks=chunks())


def _read(path: Path | None) -> bytes:
    if path is None:
        raise ValidationError("Пакет не сохранён ни в базе данных, ни в файле")
    return path.read_bytes()


FORMATS: Mapping[str, InputFormat] = MappingProxyType(
    {
        XML_PACKET: InputFormat(
            name=XML_PACKET, title="XML-пакет поставщика 1.0.0", open=open_xml_packet, root="Packet"
        ),
        JOURNAL_EXPORT: InputFormat(
            name=JOURNAL_EXPORT, title="Выгрузка электронного журнала (eljur_export)", open=open_journal_export,
            root="eljur_export", id_attribute="export_id",
        ),
        EXCEL: InputFormat(name=EXCEL, title="Шаблон Excel", open=open_excel_upload, signed=False),
    }
)
"""Every format the pipeline reads, by the name stored with the packet."""


def format_named(name: str) -> InputFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValidationError(f"Неизвестный формат входных данных «{name}»", field="format") from None


def signed_format_of(root_name: str | None) -> InputFormat:
    """The signed XML format whose root element is ``root_name``; the provider packet by default."""
    return next((f for f in FORMATS.values() if f.root is not None and f.root == root_name), FORMATS[XML_PACKET])
