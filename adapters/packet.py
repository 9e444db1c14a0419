"""Provider packets (``xsd/packet-1.0.0.xsd``): validate, map to records, or stream huge ones.

- ``validate_packet(root)`` checks a parsed packet (from ``adapters.safexml.parse_bytes``) against
  the schema and raises ``PacketSchemaError`` with the line and message of every violation;
- ``map_packet(root)`` maps a parsed packet to a ``MappedBatch``: a bad row never raises, it becomes
  row errors (identifier checksums, classifier codes, dates, references);
- ``iter_packet(source)`` does the same for a file of any size, section slice by section slice,
  validating against the schema while it reads and clearing every row once mapped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, Any

from lxml import etree

from adapters import identifiers
from adapters.packet_check import (
    APART_FROM_BYTES,
    COLUMNS,
    SchemaCheck,
    marks_columns,
    marks_rows,
    schema_violations,
    syntax_error_line,
)
from adapters.packet_fields import NS, Fields, qname
from adapters.packet_marks import (
    PERIOD_MARK,
    PERIOD_MARKS,
    Columns,
    period_mark_columns,
    period_mark_rows,
    quick_period_mark,
    quick_period_marks,
    read_diary_mark,
    read_exam_result,
    read_period_mark,
)
from adapters.packet_sections import (
    read_class_group,
    read_enrolment,
    read_organization,
    read_queue_application,
    read_student,
    read_study_period,
    read_subject,
)
from adapters.packet_skip import SectionSkip
from adapters.packet_state import PacketState
from adapters.records import (
    BatchHeader,
    MappedBatch,
    MappedChunk,
    OrganizationRecord,
    PeriodMarkColumns,
    Record,
)
from adapters.rowerrors import RowError
from adapters.safexml import STREAM_OPTIONS, UnsafeXml, syntax_error, truncated_document
from adapters.validation import RowSink, normalize_inn
from xsd import schema_path

SCHEMA_FILE = "packet-1.0.0.xsd"
PACKET_VERSION = "1.0.0"
DEFAULT_CHUNK_SIZE = 1000


@dataclass(frozen=True, kw_only=True)
class SchemaIssue:
    """One violation of the packet schema."""

    line: int
    message: str


class PacketSchemaError(ValueError):
    """The packet does not match ``xsd/packet-1.0.0.xsd``; ``issues`` lists every violation."""

    def __init__(self, issues: tuple[SchemaIssue, ...]):
        self.issues = issues
        first = issues[0] if issues else SchemaIssue(line=0, message="")
        self.message = f"Пакет не соответствует схеме {SCHEMA_FILE}: строка {first.line}: {first.message}"
        super().__init__(self.message)


Reader = Callable[[Fields, PacketState], Any]
QuickReader = Callable[[etree._Element, PacketState, int], Any]
"""Reads a plainly valid row in one pass, or returns ``None`` to leave it to the section's reader."""


@dataclass(frozen=True, kw_only=True)
class Section:
    """One section of the packet: its container, its row element, the batch field, the reader."""

    name: str
    row: str
    field: str
    read: Reader
    quick: QuickReader | None = None


SECTIONS: tuple[Section, ...] = (
    Section(name="ClassGroups", row="ClassGroup", field="class_groups", read=read_class_group),
    Section(name="Subjects", row="Subject", field="subjects", read=read_subject),
    Section(name="StudyPeriods", row="StudyPeriod", field="study_periods", read=read_study_period),
    Section(name="Students", row="Student", field="students", read=read_student),
    Section(name="Enrolments", row="Enrolment", field="enrolments", read=read_enrolment),
    Section(name="DiaryMarks", row="DiaryMark", field="diary_marks", read=read_diary_mark),
    Section(name="PeriodMarks", row="PeriodMark", field="period_marks", read=read_period_mark,
            quick=quick_period_mark),
    Section(name="ExamResults", row="ExamResult", field="exam_results", read=read_exam_result),
    Section(name="QueueApplications", row="QueueApplication", field="queue_applications", read=read_queue_application),
)
"""Row sections in schema order (the organization is a single element, mapped apart)."""

ORGANIZATION = "Organization"
BULK_SECTION, BULK_ROW = PERIOD_MARKS, PERIOD_MARK
"""The section read a batch of rows at a time while streaming (``quick_period_marks``)."""
READ_BYTES = 1 << 16
"""Bytes of a streamed packet parsed at a time."""
_BY_ROW_TAG = {qname(section.row): section for section in SECTIONS}


@cache
def _schema_document() -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(schema_path(SCHEMA_FILE)), parser)


@cache
def packet_schema() -> etree.XMLSchema:
    """The compiled packet schema (loaded once, from the package, never from the network)."""
    return etree.XMLSchema(_schema_document())


def _issues(log: Any) -> tuple[SchemaIssue, ...]:
    return tuple(SchemaIssue(line=entry.line, message=entry.message) for entry in log)


def validate_packet(root: etree._Element) -> None:
    """Raise ``PacketSchemaError`` unless ``root`` is a valid packet."""
    schema = packet_schema()
    if not schema.validate(root):
        raise PacketSchemaError(_issues(schema.error_log))


def read_header(root: etree._Element) -> tuple[BatchHeader, list[RowError]]:
    """The packet's attributes; a bad ИНН or КПП of the organization is a row error of ``Packet``."""
    if root.tag != qname("Packet"):
        raise PacketSchemaError((SchemaIssue(line=root.sourceline or 0, message=f"ожидался элемент {{{NS}}}Packet"),))
    try:
        created = datetime.fromisoformat(root.get("created", ""))
    except ValueError as exc:
        line = root.sourceline or 0
        raise PacketSchemaError((SchemaIssue(line=line, message="неверное значение атрибута created"),)) from exc
    sink = RowSink(section="Packet", row=1, ref=root.get("id"))
    org_inn = _header_identifier(root, "orgInn", normalize_inn, sink)
    org_kpp = _header_identifier(root, "orgKpp", identifiers.normalize_kpp, sink)
    header = BatchHeader(
        packet_id=root.get("id", ""),
        provider=root.get("provider", ""),
        created=created,
        org_inn=org_inn,
        org_kpp=org_kpp,
        version=root.get("version", PACKET_VERSION),
    )
    return header, sink.errors


def _header_identifier(root: etree._Element, name: str, normalize: Callable[[str], str], sink: RowSink) -> str | None:
    raw = root.get(name)
    if raw is None:
        return None
    try:
        return normalize(raw)
    except identifiers.IdentifierError as exc:
        sink.fail(exc.code, f"@{name}", raw)
        return None


def _map_organization(element: etree._Element, state: PacketState) -> tuple[OrganizationRecord | None, list[RowError]]:
    return state.map_row(ORGANIZATION, element, 1, lambda fields: read_organization(fields, state))


def _map_row(section: Section, element: etree._Element, row: int, state: PacketState) -> tuple[Any, list[RowError]]:
    return state.map_row(section.name, element, row, lambda fields: section.read(fields, state))


def map_packet(root: etree._Element) -> MappedBatch:
    """Map a parsed (and validated) packet; bad rows become row errors and are left out."""
    header, errors = read_header(root)
    state = PacketState(header=header)
    organization = None
    element = root.find(qname(ORGANIZATION))
    if element is not None:
        organization, row_errors = _map_organization(element, state)
        errors.extend(row_errors)
    records: dict[str, list[Any]] = {}
    for section in SECTIONS:
        container = root.find(qname(section.name))
        rows = [] if container is None else container.findall(qname(section.row))
        accepted = records.setdefault(section.field, [])
        for row, element in enumerate(rows, start=1):
            record, row_errors = _map_row(section, element, row, state)
            errors.extend(row_errors)
            if record is not None:
                accepted.append(record)
    return MappedBatch(
        header=header,
        organization=organization,
        errors=tuple(errors),
        **{name: tuple(items) for name, items in records.items()},
    )


class NoDoctype:
    """A binary stream that refuses a DOCTYPE in the first 4 KiB, like ``safexml.parse_bytes``."""

    HEAD = 4096

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.head = b""

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if len(self.head) < self.HEAD:
            self.head += data[: self.HEAD]
            if b"<!DOCTYPE" in self.head.upper():
                raise UnsafeXml("dtd", "XML с объявлением DOCTYPE или ENTITY не принимается")
        return data


def iter_packet(
    source: str | Path | IO[bytes],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    validate: bool = True,
    check_apart_from: int = APART_FROM_BYTES,
) -> Iterator[MappedChunk]:
    """Stream a packet of any size as ``MappedChunk`` slices of at most ``chunk_size`` rows.

    Memory stays flat: every row is cleared as soon as it is mapped; only the identifiers of
    referenced sections (students, classes, subjects, periods) are kept. With ``validate`` the
    schema is checked while reading; a violation raises ``PacketSchemaError`` after the slices read
    so far were yielded, so a caller writes the slices in one transaction and rolls back on error.
    A file of ``check_apart_from`` bytes or more is checked by a child process while this one
    parses it without the schema (``packet_check``), with the same outcome; that child also reads
    the quarter marks for this one, which skips their bytes (``packet_skip``).
    Malformed XML raises ``UnsafeXml``.
    """
    if isinstance(source, str | Path):
        apart = validate and os.stat(source).st_size >= check_apart_from
        check = SchemaCheck(Path(source)) if apart else None
        try:
            with open(source, "rb") as stream:
                yield from _iter_stream(stream, chunk_size=chunk_size, validate=validate, check=check)
        finally:
            if check is not None:
                check.stop()
    else:
        yield from _iter_stream(source, chunk_size=chunk_size, validate=validate)


def _iter_stream(
    stream: IO[bytes], *, chunk_size: int, validate: bool, check: SchemaCheck | None = None
) -> Iterator[MappedChunk]:
    packet, bulk = qname("Packet"), qname(BULK_SECTION)
    # checked apart, the quarter marks come from the check's child, which parses them anyway: this
    # parser is given the section's start and end tags without the rows between when it can be
    # (``packet_skip``), and drops whatever rows of the section it is given
    # quarter marks – most of a packet's rows – raise no event: they are read a batch at a time
    # from their section's element after every read of the file (``_Chunker.add_bulk``)
    tags = [packet, qname(ORGANIZATION), bulk, *(tag for tag in _BY_ROW_TAG if tag != qname(BULK_ROW))]
    # lxml reports streaming schema violations through the thread's global error log: start it empty
    etree.clear_error_log()
    schema = packet_schema() if validate and check is None else None
    parser = etree.XMLPullParser(events=("start", "end"), tag=tags, schema=schema, **STREAM_OPTIONS)
    skip = SectionSkip(NoDoctype(stream), stream) if check is not None else None
    source = NoDoctype(stream) if skip is None else skip
    chunker: _Chunker | None = None
    container: etree._Element | None = None
    complete = closing = False
    line = 0
    try:
        while True:
            data = source.read(READ_BYTES)
            if data:
                parser.feed(data)
            else:
                closing = True
                parser.close()
            for event, element in parser.read_events():
                line = element.sourceline or line
                if event == "start":
                    if chunker is None:
                        header, errors = read_header(element)
                        chunker = _Chunker(state=PacketState(header=header, validated=validate), size=chunk_size)
                        if errors:
                            yield MappedChunk(header=header, section="Packet", records=(), errors=tuple(errors))
                    elif element.tag == bulk:
                        container = element
                        if skip is not None:
                            skip.confirm(element)
                    continue
                if chunker is None:
                    continue
                if element.tag == packet:
                    complete = True
                    continue
                if element.tag == bulk and check is not None:
                    del element[:]
                    container = None
                    for kind, payload in check.marks():
                        if kind == COLUMNS:
                            yield from chunker.add_columns(marks_columns(payload))
                        else:
                            for row in _rows_of(check, payload):
                                yield from chunker.add(row)
                    if check.verdict is not None:  # the check ended inside the section: not a valid packet
                        _raise_verdict(check.verdict, None)
                    continue
                if element.tag == bulk:
                    chunks = chunker.add_bulk(element, len(element))
                    del element[:]
                    container = None
                else:
                    chunks = chunker.add(element)
                    _release(element)
                if chunks:
                    yield from chunks
            if not data:
                break
            if container is not None and check is not None:
                del container[: len(container) - 1]  # read by the check's child
            elif container is not None and chunker is not None and len(container) > 1:
                count = len(container) - 1  # the last row may not be complete yet
                chunks = chunker.add_bulk(container, count)
                del container[:count]
                if chunks:
                    yield from chunks
    except etree.XMLSyntaxError as exc:
        violations = schema_violations(exc, line)
        if violations:
            raise PacketSchemaError(tuple(SchemaIssue(line=at, message=message) for at, message in violations)) from exc
        if check is not None:  # the check's verdict: what one validating parse reports (it parsed every byte)
            _raise_verdict(check.wait(), exc)
        if closing and schema is None:  # the file ended inside the document (a validating parser says
            raise truncated_document() from exc  # nothing then, and the check below tells)
        if not exc.lineno and stream.seekable():
            line = syntax_error_line(stream) or line
        raise syntax_error(exc.lineno or line) from exc
    if not complete:
        # the closing tag of the root is the proof that the whole document was read
        raise truncated_document()
    if check is not None:
        _raise_verdict(check.wait(), None)
    if chunker is not None:
        yield from chunker.flush()


def _rows_of(check: SchemaCheck, payload: bytes) -> list[etree._Element]:
    """The period marks of an ``X`` frame. Bytes of the packet the child's parser validated in place,
    maybe with errors it reports: what they hold that is not rows of marks refuses the packet by its
    verdict."""
    try:
        rows = marks_rows(payload)
    except UnsafeXml as exc:
        _raise_verdict(check.wait(), exc)
        raise
    if any(row.tag != qname(PERIOD_MARK) for row in rows):
        _raise_verdict(check.wait(), None)
        raise RuntimeError("the packet's schema check passed what is not a row of marks")
    return rows


def _raise_verdict(verdict: dict[str, Any], cause: BaseException | None) -> None:
    """Raise ``PacketSchemaError`` if the child's verdict lists violations, ``UnsafeXml`` if it refuses the XML."""
    if "schema" in verdict:
        raise PacketSchemaError(
            tuple(SchemaIssue(line=line, message=message) for line, message in verdict["schema"])
        ) from cause
    if "unsafe" in verdict:
        raise UnsafeXml(*verdict["unsafe"]) from cause


def _release(element: etree._Element) -> None:
    """Free a mapped row and every earlier sibling still held by its parent."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _row_of(record: Any) -> int:
    row: int = record.row
    return row


class _Chunker:
    """Gathers mapped rows of the current section into slices of at most ``size`` rows."""

    def __init__(self, *, state: PacketState, size: int):
        self.state = state
        self.size = size
        self.section = ""
        self.row = 0
        self.pending = 0
        self.records: list[Record] = []
        self.runs: list[PeriodMarkColumns] = []
        """Quarter marks read a batch at a time (``add_bulk``), as columns."""
        self.errors: list[RowError] = []

    def add(self, element: etree._Element) -> list[MappedChunk]:
        """Map one row; the slices it completes (none most of the time)."""
        done: list[MappedChunk] = []
        section = _BY_ROW_TAG.get(element.tag)
        name = ORGANIZATION if section is None else section.name
        if name != self.section:
            done.extend(self.flush())
            self.section, self.row = name, 0
        self.row += 1
        self.pending += 1
        if section is None:
            record, errors = _map_organization(element, self.state)
        elif section.quick is not None and (record := section.quick(element, self.state, self.row)) is not None:
            errors = []
        else:
            record, errors = _map_row(section, element, self.row, self.state)
        if errors:
            self.errors.extend(errors)
        if record is not None:
            self.records.append(record)
        if self.pending >= self.size:
            done.extend(self.flush())
        return done

    def add_bulk(self, container: etree._Element, count: int) -> list[MappedChunk]:
        """Map the first ``count`` rows of the ``PeriodMarks`` element ``container``; the slices they
        complete. In one go when every row is a plain quarter mark, else row by row as ``add``."""
        done = self._bulk_section()
        records = quick_period_marks(container, count, self.state, self.row + 1)
        return self._add_batch(done, records, lambda: container[:count])

    def add_columns(self, columns: Columns) -> list[MappedChunk]:
        """Map a batch of plain period marks taken apart by the schema check's child
        (``packet_marks.Columns``); the slices they complete."""
        done = self._bulk_section()
        records = period_mark_columns(columns, self.state, self.row + 1)
        return self._add_batch(done, records, lambda: period_mark_rows(columns))

    def _bulk_section(self) -> list[MappedChunk]:
        """Enter the ``PeriodMarks`` section; the slice of the section before, if any."""
        done: list[MappedChunk] = list(self.flush()) if self.section != BULK_SECTION else []
        if self.section != BULK_SECTION:
            self.section, self.row = BULK_SECTION, 0
        return done

    def _add_batch(
        self, done: list[MappedChunk], records: PeriodMarkColumns | None, rows: Callable[[], Iterable[etree._Element]]
    ) -> list[MappedChunk]:
        """Add a batch of period marks read as columns, or, when ``records`` is ``None``, its ``rows`` one by one."""
        if records is None:
            for element in rows():
                done.extend(self.add(element))
            return done
        count = len(records)
        self.row += count
        start = 0
        while start < count:
            taken = min(self.size - self.pending, count - start)
            self.runs.append(records[start : start + taken])
            self.pending += taken
            start += taken
            if self.pending >= self.size:
                done.extend(self.flush())
        return done

    def flush(self) -> Iterator[MappedChunk]:
        records: Sequence[Record] = tuple(self.records)
        if self.runs:  # quarter marks read a batch at a time: one run of columns, unless rows came between
            records = PeriodMarkColumns.joined(self.runs) if not self.records else tuple(
                sorted((*self.records, *(mark for run in self.runs for mark in run)), key=_row_of)
            )
        if records or self.errors:
            yield MappedChunk(header=self.state.header, section=self.section, records=records,
                              errors=tuple(self.errors))
        self.records, self.runs, self.errors, self.pending = [], [], [], 0
