"""A large data sheet read a piece at a time, the next piece loaded while the rows of one are mapped.

python-calamine loads a whole sheet before its first row can be read: for a 100,000-row upload
four to five seconds in which nothing else happens (the loader has no row to map, the database none
to write). Here the sheet's XML is inflated from the upload as a stream and cut before a ``<row>``
element every few thousand rows; each piece – the sheet's opening, its rows, ``</sheetData></worksheet>``
– goes with the workbook's other parts into a small uncompressed workbook that calamine loads on a
background thread (it lets go of the GIL for most of the load) while the rows of the piece before are
mapped. The rows come out as ``excel_read._iter_rows`` gives them for the whole sheet: from A1, an
empty row as ``[]``, cells from column A.

Only a sheet whose XML has the plain layout every spreadsheet program writes (an unprefixed
``<sheetData>`` and rows numbered by their ``r`` attribute) and is large (``MIN_SHEET_BYTES``) is read in
pieces; ``piece_rows`` returns ``None`` for any other, and the sheet is loaded whole.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from python_calamine import CalamineWorkbook

from adapters.safexml import UnsafeXml, parse_bytes

MIN_SHEET_BYTES = 16 * 2**20
"""Sheets with less XML than this (some 6,000 rows of the students template) are loaded whole."""
FIRST_PIECE_ROWS = 2_000
"""Rows of the first piece: small, so that the first rows are mapped and written early."""
PIECE_ROWS = 10_000
MAX_PIECE_BYTES = 256 * 2**20
"""XML of one piece at most: a sheet without a row boundary for this long is refused."""
READ_BYTES = 4 * 2**20
"""XML inflated at a time."""
MAX_OPENING_BYTES = 4 * 2**20
"""XML before the first row at most (the sheet's views, columns, formatting)."""

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
SHEET_DATA = b"<sheetData>"
SHEET_DATA_END = b"</sheetData>"
ROW = b"<row "
CLOSING = b"</sheetData></worksheet>"
EMPTY_SHEET = f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'.encode()
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')

Refusal = Callable[[], Exception]
"""Makes the error a sheet is refused with (``excel_read``'s ``TemplateError``)."""


def _parts(archive: zipfile.ZipFile, name: str) -> tuple[str, list[str]] | None:
    """The part holding sheet ``name`` and the parts of the workbook's other sheets."""
    try:
        workbook = parse_bytes(archive.read("xl/workbook.xml"))
        relations = parse_bytes(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, UnsafeXml, zipfile.BadZipFile):
        return None
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in relations.iter(f"{{{PACKAGE_REL_NS}}}Relationship")
        if rel.get("Type") == WORKSHEET_TYPE
    }
    wanted, others = None, []
    for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        target = targets.get(sheet.get(f"{{{REL_NS}}}id"))
        if target is None:
            continue
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if sheet.get("name") == name:
            wanted = part
        else:
            others.append(part)
    return None if wanted is None else (wanted, others)


def _row_tag_numbered(buffer: bytes | bytearray, at: int) -> bool:
    end = buffer.find(b">", at)
    return end > 0 and b' r="' in buffer[at:end]


class _Cutter:
    """The sheet's XML inflated as a stream and cut into pieces of whole rows."""

    def __init__(self, stream: Any, head: bytes, rest: bytes):
        self.stream = stream
        self.head = head
        self.buffer = bytearray(rest)
        """Inflated and not yet cut (grown in place: a piece is read in several chunks)."""
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(READ_BYTES)
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        if len(self.buffer) > MAX_PIECE_BYTES:
            raise ValueError("a row longer than a piece")
        return True

    def next(self, rows: int) -> bytes | None:
        """The XML of a sheet holding the next ``rows`` rows (or the rest), ``None`` at the end."""
        position, counted = 0, 0
        while True:
            found = self.buffer.find(ROW, position)
            if found < 0 or self.buffer.find(b">", found) < 0:  # the rest of the row tag is not here yet
                if self._more():
                    continue
                break
            if counted >= rows and _row_tag_numbered(self.buffer, found):
                piece = self.head + self.buffer[:found] + CLOSING
                del self.buffer[:found]
                return bytes(piece)
            counted += 1
            position = found + 1
        if not self.buffer:
            return None
        end = self.buffer.rfind(SHEET_DATA_END)
        piece = self.head + (self.buffer[:end] if end >= 0 else self.buffer) + CLOSING
        self.buffer = bytearray()
        return bytes(piece)


class _Workbooks:
    """Small uncompressed workbooks, each the upload's parts with one piece of the sheet."""

    def __init__(self, archive: zipfile.ZipFile, part: str, others: list[str]):
        self.part = part
        skip = {part, *others}
        self.parts = {name: archive.read(name) for name in archive.namelist() if name not in skip}
        self.parts.update((name, EMPTY_SHEET) for name in others if name in archive.namelist())

    def write(self, sheet_xml: bytes) -> str:
        descriptor, path = tempfile.mkstemp(prefix="kontingent-piece-", suffix=".xlsx")
        try:
            with os.fdopen(descriptor, "wb") as file, zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as piece:
                for name, data in self.parts.items():
                    piece.writestr(name, data)
                piece.writestr(self.part, sheet_xml)
        except BaseException:
            os.unlink(path)
            raise
        return path


Loaded = tuple[tuple[int, int] | None, list[list[Any]]]


def _load(path: str, name: str) -> Loaded:
    """The piece's first cell (row, column) and its rows from there (calamine; the file removed)."""
    try:
        workbook = CalamineWorkbook.from_path(path)
        try:
            sheet = workbook.get_sheet_by_name(name)
            start = sheet.start
            return start, (sheet.to_python(skip_empty_area=True) if start is not None else [])
        finally:
            workbook.close()
    finally:
        os.unlink(path)


def piece_rows(content: bytes, name: str, *, max_rows: int, unreadable: Refusal,
               too_many: Refusal) -> Iterator[list[Any]] | None:
    """The rows of sheet ``name`` read in pieces, or ``None`` when it is small or laid out otherwise.

    ``unreadable()`` and ``too_many()`` make what is raised for a sheet that cannot be read further
    and for one of more than ``max_rows`` rows (known at once when the sheet states its size).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        found = _parts(archive, name)
        if found is None:
            return None
        part, others = found
        if archive.getinfo(part).file_size < MIN_SHEET_BYTES:
            return None
        stream = archive.open(part)
        opening = b""
        while len(opening) < MAX_OPENING_BYTES:  # up to the end of the first row's tag
            chunk = stream.read(READ_BYTES)
            opening += chunk
            start = opening.find(SHEET_DATA)
            first_row = opening.find(ROW, start) if start >= 0 else -1
            if not chunk or (first_row >= 0 and opening.find(b">", first_row) >= 0):
                break
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, EOFError):
        return None
    if start < 0 or first_row < 0 or not _row_tag_numbered(opening, first_row):
        stream.close()
        return None  # a prefixed namespace, an empty sheet or unnumbered rows: loaded whole
    head = opening[: start + len(SHEET_DATA)]
    dimension = _DIMENSION.search(head)
    if dimension is not None and dimension.group(1) is not None and int(dimension.group(1)) > max_rows:
        stream.close()
        raise too_many()
    cutter = _Cutter(stream, head, opening[start + len(SHEET_DATA):])
    return _rows(cutter, _Workbooks(archive, part, others), name, max_rows=max_rows, unreadable=unreadable,
                 too_many=too_many)


def _rows(cutter: _Cutter, workbooks: _Workbooks, name: str, *, max_rows: int, unreadable: Refusal,
          too_many: Refusal) -> Iterator[list[Any]]:
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="excel-piece")
    sizes = iter((FIRST_PIECE_ROWS,))

    def load_next() -> Loaded | None:
        xml = cutter.next(next(sizes, PIECE_ROWS))
        return None if xml is None else _load(workbooks.write(xml), name)

    coming: Future[Loaded | None] = loader.submit(load_next)
    next_row = 0
    try:
        while True:
            try:
                loaded = coming.result()
            except Exception as exc:  # calamine's and zip's own errors alike
                raise unreadable() from exc
            if loaded is None:
                return
            coming = loader.submit(load_next)  # the next piece loads while this one's rows are used
            first, rows = loaded
            if first is None:
                continue
            row, column = first
            if row + len(rows) > max_rows:
                raise too_many()
            for _ in range(row - next_row):
                yield []
            if column:
                padding = [""] * column
                for values in rows:
                    yield [*padding, *values]
            else:
                yield from rows
            next_row = row + len(rows)
    finally:
        coming.cancel()
        with contextlib.suppress(Exception):
            coming.result()
        loader.shutdown(wait=True)
        cutter.stream.close()
