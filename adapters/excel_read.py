"""Reading a filled Excel template: python-calamine for speed, then the pure row mappers.

``read_upload(content, expected_kind)`` refuses a file that is not xlsx, is not one of our
templates, or is a template of another kind or version with ``TemplateError``; every bad row
becomes row errors (row = the spreadsheet row number, field = the column header) and never raises.
``stream_upload`` does the same a slice of rows at a time, so a load writes the first rows while
the rest of the sheet is still to be mapped.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any, Protocol

from python_calamine import CalamineSheet, CalamineWorkbook

from adapters.excel_cells import RowCells, cell_text
from adapters.excel_kinds import FIRST_DATA_ROW, HEADER_ROW, KINDS, META_PREFIX, META_SHEET, TemplateKind
from adapters.excel_marks import MarkRows
from adapters.excel_pieces import piece_rows
from adapters.excel_queue import QueueRows
from adapters.excel_students import StudentRows
from adapters.records import BatchHeader, MappedBatch, few_collections
from adapters.rowerrors import RowError, row_error
from adapters.validation import RowSink

ZIP_MAGIC = b"PK\x03\x04"
DEFAULT_PROVIDER = "EXCEL"
"""Mnemonic of the data provider an upload is attributed to unless the caller says otherwise."""
DEFAULT_MAX_ROWS = 300_000
SLICE_ROWS = 1000
"""Spreadsheet rows mapped per slice by ``stream_upload``."""


class TemplateError(ValueError):
    """The file cannot be read as the expected template. ``code`` is stable, ``message`` Russian.

    Codes: ``NOT_XLSX`` (not an Excel 2007+ workbook), ``NOT_A_TEMPLATE`` (no template mark or no data
    sheet), ``WRONG_KIND``, ``WRONG_VERSION``, ``UNKNOWN_KIND`` (the caller asked for a kind that does not
    exist), ``TOO_MANY_ROWS``.
    """

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class RowMapper(Protocol):
    """What ``read_upload`` needs of a kind's row mapper."""

    @property
    def org_inn(self) -> str | None: ...

    @property
    def org_settled(self) -> bool: ...

    def add(self, cells: RowCells, row: int) -> None: ...

    def batch(self, header: BatchHeader, errors: tuple[RowError, ...]) -> MappedBatch: ...


MAPPERS: dict[str, type[StudentRows] | type[MarkRows] | type[QueueRows]] = {
    "students": StudentRows,
    "marks": MarkRows,
    "queue": QueueRows,
}


def kind_named(name: str) -> TemplateKind:
    """The template kind ``name``, or ``TemplateError("UNKNOWN_KIND")``."""
    kind = KINDS.get(name)
    if kind is None:
        known = ", ".join(KINDS)
        raise TemplateError("UNKNOWN_KIND", f"Неизвестный вид шаблона «{name}»; известны: {known}")
    return kind


def open_workbook(content: bytes) -> CalamineWorkbook:
    """The workbook, or ``TemplateError("NOT_XLSX")``."""
    if not content.startswith(ZIP_MAGIC):
        raise TemplateError("NOT_XLSX", "Файл не является книгой Excel в формате xlsx")
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # calamine raises its own errors, zip and XML errors alike
        raise TemplateError("NOT_XLSX", "Файл не является книгой Excel в формате xlsx или повреждён") from exc


def _unreadable(name: str) -> TemplateError:
    return TemplateError("NOT_XLSX", f"Лист «{name}» не читается: файл повреждён")


def _too_many(max_rows: int) -> TemplateError:
    return TemplateError("TOO_MANY_ROWS", f"В файле больше {max_rows} строк: разделите его на части")


def _sheet(workbook: CalamineWorkbook, name: str, max_rows: int) -> CalamineSheet:
    try:
        sheet = workbook.get_sheet_by_name(name)
    except Exception as exc:
        raise _unreadable(name) from exc
    if sheet.height > max_rows:
        raise _too_many(max_rows)
    return sheet


def _sheet_rows(workbook: CalamineWorkbook, name: str, max_rows: int) -> list[list[Any]]:
    sheet = _sheet(workbook, name, max_rows)
    try:
        return sheet.to_python(skip_empty_area=False)
    except Exception as exc:
        raise _unreadable(name) from exc


def _iter_rows(sheet: CalamineSheet) -> Iterator[list[Any]]:
    """The sheet's rows from A1, converted to Python one at a time (``TemplateError`` if one cannot be)."""
    try:
        if sheet.start not in (None, (0, 0)):  # rows or columns before the first filled cell: keep them
            yield from sheet.to_python(skip_empty_area=False)
            return
        yield from sheet.iter_rows()
    except Exception as exc:
        raise _unreadable(sheet.name) from exc


def check_mark(workbook: CalamineWorkbook, kind: TemplateKind) -> None:
    """The hidden sheet must say ``kontingent:<kind>:<version>`` of the expected kind and version."""
    refusal = f"Файл не является шаблоном «{kind.title}»: скачайте шаблон и заполните его"
    if META_SHEET not in workbook.sheet_names:
        raise TemplateError("NOT_A_TEMPLATE", refusal)
    rows = _sheet_rows(workbook, META_SHEET, 10)
    mark = cell_text(rows[0][0]) if rows and rows[0] else None
    parts = (mark or "").split(":")
    if len(parts) != 3 or parts[0] != META_PREFIX:
        raise TemplateError("NOT_A_TEMPLATE", refusal)
    _, name, version = parts
    if name != kind.name:
        other = KINDS.get(name)
        title = other.title if other is not None else name
        raise TemplateError("WRONG_KIND", f"Загружен шаблон «{title}», а ожидался шаблон «{kind.title}»")
    if version != kind.version:
        raise TemplateError(
            "WRONG_VERSION",
            f"Версия шаблона {version} не поддерживается: скачайте шаблон «{kind.title}» версии {kind.version}",
        )
    if kind.title not in workbook.sheet_names:
        raise TemplateError("NOT_A_TEMPLATE", f"В файле нет листа «{kind.title}»: не переименовывайте листы шаблона")


def column_positions(keys_row: Sequence[Any]) -> dict[str, int]:
    """Machine key → column index, from the hidden first row."""
    positions: dict[str, int] = {}
    for index, value in enumerate(keys_row):
        key = cell_text(value)
        if key is not None:
            positions.setdefault(key, index)
    return positions


def _missing_columns(kind: TemplateKind, positions: dict[str, int]) -> list[RowError]:
    return [
        row_error("MISSING_COLUMN", row=HEADER_ROW, field=column.header, value=column.header, section=kind.section)
        for column in kind.columns
        if column.required and column.key not in positions
    ]


class SheetMapper:
    """The data rows of a template sheet mapped by the kind's mapper, as many rows at a time as asked (pure)."""

    def __init__(self, kind: TemplateKind, rows: Iterable[Sequence[Any]], *, today: date):
        self.kind = kind
        self.rows = iter(rows)
        keys = next(self.rows, None)
        self.positions = column_positions(keys) if keys is not None else {}
        self.mapper: RowMapper = MAPPERS[kind.name](today=today)
        self.columns = {column.key: column for column in kind.columns}
        self.width = max(self.positions.values(), default=0) + 1
        self.index = 1
        """Rows read so far (the keys row included)."""
        self.done = False
        self.errors: list[RowError] = _missing_columns(kind, self.positions)
        """Errors not yet handed out by ``take``."""
        if self.errors:  # no row can be read without its columns
            self.done = True

    def read(self, count: int | None = None) -> None:
        """Map the next ``count`` spreadsheet rows (every row left: ``None``)."""
        section, positions, columns, width, mapper = (
            self.kind.section, self.positions, self.columns, self.width, self.mapper
        )
        errors = self.errors
        consumed = 0
        for values in self.rows if count is None else islice(self.rows, count):
            consumed += 1
            self.index += 1
            if self.index < FIRST_DATA_ROW:
                continue
            if not values:
                continue
            first = values[0]  # most rows start with a filled cell: no need to look at the others
            if not (first.strip() if first.__class__ is str else first != "") and not any(
                value.strip() if value.__class__ is str else value != "" for value in values
            ):
                continue
            if len(values) < width:
                values = [*values, *([""] * (width - len(values)))]
            row = self.index
            sink = RowSink(section=section, row=row, ref=str(row))
            mapper.add(RowCells(values, positions, columns, sink), row)
            errors.extend(sink.errors)
        if count is None or consumed < count:
            self.done = True

    def take(self, header: BatchHeader) -> MappedBatch:
        """The records and errors mapped since the previous ``take``."""
        errors, self.errors = self.errors, []
        return self.mapper.batch(header, tuple(errors))


def map_rows(
    kind: TemplateKind, rows: Sequence[Sequence[Any]], *, today: date
) -> tuple[RowMapper, list[RowError]]:
    """Map the data rows of a template sheet (pure): the kind's mapper with its records, and every row error."""
    sheet = SheetMapper(kind, rows, today=today)
    if not sheet.done:
        sheet.read()
    return sheet.mapper, sheet.errors


def _header(content: bytes, kind: TemplateKind, mapper: RowMapper, provider: str, created: datetime) -> BatchHeader:
    return BatchHeader(
        packet_id=f"sha256:{hashlib.sha256(content).hexdigest()}",
        provider=provider,
        created=created,
        org_inn=mapper.org_inn,
        version=kind.mark,
    )


def read_upload(
    content: bytes,
    expected_kind: str,
    *,
    provider: str = DEFAULT_PROVIDER,
    created: datetime | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> MappedBatch:
    """Read a filled template of ``expected_kind``; raises ``TemplateError`` only for the file as a whole.

    ``created`` (default: now) is the upload's time: no date in the rows may be later. The batch's
    ``packet_id`` is ``sha256:<hex>`` of the content, so the same file uploaded twice is the same input.
    """
    _, slices = stream_upload(content, expected_kind, provider=provider, created=created, max_rows=max_rows,
                              slice_rows=None)
    (batch,) = slices  # the whole sheet is one slice
    return batch


def stream_upload(
    content: bytes,
    expected_kind: str,
    *,
    provider: str = DEFAULT_PROVIDER,
    created: datetime | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    slice_rows: int | None = SLICE_ROWS,
) -> tuple[BatchHeader, Iterator[MappedBatch]]:
    """``read_upload`` a slice of ``slice_rows`` spreadsheet rows at a time (``None``: the whole sheet in
    one): the header, then the records and errors of each slice (a class, subject or period with the
    first slice naming it).

    The file as a whole is checked before this returns (``TemplateError``); the rows are mapped
    as the slices are taken, up to the first one naming the file's organization (the header
    needs it). A sheet that cannot be read further raises ``TemplateError`` from the iterator.
    """
    kind = kind_named(expected_kind)
    workbook = open_workbook(content)
    rows: Iterator[list[Any]] | None = None
    try:
        check_mark(workbook, kind)
        rows = piece_rows(content, kind.title, max_rows=max_rows, unreadable=lambda: _unreadable(kind.title),
                          too_many=lambda: _too_many(max_rows))
        if rows is None:  # a small sheet, or one laid out unlike the usual: loaded whole
            rows = _iter_rows(_sheet(workbook, kind.title, max_rows))
    except BaseException:
        workbook.close()
        raise
    created = created or datetime.now(UTC)

    def close() -> None:
        if isinstance(rows, Generator):
            rows.close()  # a piece still loading is waited for, its file removed
        workbook.close()

    mapper = SheetMapper(kind, rows, today=created.date())
    try:
        with few_collections():
            while not mapper.done and (slice_rows is None or not mapper.mapper.org_settled):
                mapper.read(slice_rows)
    except BaseException:
        close()
        raise
    header = _header(content, kind, mapper.mapper, provider, created)

    def slices() -> Iterator[MappedBatch]:
        try:
            yield mapper.take(header)  # the rows read to find the organization
            while not mapper.done:
                mapper.read(slice_rows)
                yield mapper.take(header)
        finally:
            close()

    return header, slices()
