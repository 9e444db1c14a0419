"""A large data sheet read in pieces (``excel_pieces``) gives the rows the whole-sheet load gives."""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from adapters import excel_pieces
from adapters.excel_read import TemplateError, _iter_rows, open_workbook, read_upload, stream_upload
from adapters.identifiers import make_snils
from tests.intakekit import fill_template as fill
from tests.test_adapters_excel_read import CREATED, STUDENT

SHEET = "Данные"
SHEET_PART = "xl/worksheets/sheet1.xml"


class Unreadable(Exception):
    pass


class TooMany(Exception):
    pass


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sheet read in pieces of a few rows (the first of 3, then 5)."""
    monkeypatch.setattr(excel_pieces, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(excel_pieces, "FIRST_PIECE_ROWS", 3)
    monkeypatch.setattr(excel_pieces, "PIECE_ROWS", 5)
    monkeypatch.setattr(excel_pieces, "READ_BYTES", 64)  # row tags split across reads too


def _workbook(cells: dict[tuple[int, int], Any]) -> bytes:
    """A workbook with the data sheet (cells by 1-based row and column) and a second sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    for (row, column), value in cells.items():
        sheet.cell(row=row, column=column, value=value)
    workbook.create_sheet("Справка").cell(row=1, column=1, value="прочее")
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _normal(rows: Iterator[list[Any]]) -> list[list[Any]]:
    """Rows without their trailing empty cells (a piece is as wide as its own widest row)."""
    result = []
    for values in rows:
        values = list(values)
        while values and values[-1] == "":
            values.pop()
        result.append(values)
    while result and not result[-1]:
        result.pop()
    return result


def _whole(content: bytes) -> list[list[Any]]:
    workbook = open_workbook(content)
    try:
        return _normal(_iter_rows(workbook.get_sheet_by_name(SHEET)))
    finally:
        workbook.close()


def _pieces(content: bytes, *, max_rows: int = 1000) -> Iterator[list[Any]] | None:
    return excel_pieces.piece_rows(content, SHEET, max_rows=max_rows, unreadable=Unreadable, too_many=TooMany)


def _rewrite(content: bytes, change: Callable[[bytes], bytes], part: str = SHEET_PART) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data) if item.filename == part else data)
    return stream.getvalue()


def _shared_strings(content: bytes) -> bytes:
    """The workbook as Excel saves it: every text in ``xl/sharedStrings.xml``, cells pointing to it."""
    strings: dict[str, int] = {}

    def cell(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(3).decode(), len(strings))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2) or b"", index)

    pattern = re.compile(rb'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is><t>(.*?)</t></is></c>')
    source = zipfile.ZipFile(io.BytesIO(content))
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = pattern.sub(cell, data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdStrings" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            target.writestr(item, data)
        items = "".join(f"<si><t>{text}</t></si>" for text in strings)
        target.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                        f'main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    assert strings, "the workbook had no inline text"
    return stream.getvalue()


def _varied() -> dict[tuple[int, int], Any]:
    """Texts, numbers and dates over 40 rows; rows 9–16 leave column A empty (a whole piece starts at
    column B), rows 19–26 are missing (a piece begins after them), row 33 has only column D."""
    cells: dict[tuple[int, int], Any] = {}
    for row in range(1, 41):
        if 19 <= row <= 26:
            continue
        if row == 33:
            cells[(row, 4)] = "одна"
            continue
        if not 9 <= row <= 16:
            cells[(row, 1)] = f"Фамилия {row} <&>"
        cells[(row, 2)] = row * 10
        cells[(row, 3)] = dt.date(2014, 1, 1) + dt.timedelta(days=row)
        cells[(row, 5)] = 1.5 * row if row % 2 else "текст"
    return cells


def test_pieces_give_the_rows_of_the_whole_sheet() -> None:
    content = _workbook(_varied())
    rows = _pieces(content)
    assert rows is not None
    pieces = _normal(rows)
    assert pieces == _whole(content)
    assert len(pieces) == 40 and pieces[18] == [] and pieces[8][0] == "" and pieces[32] == ["", "", "", "одна"]


def test_pieces_of_a_workbook_with_shared_strings_give_the_rows_of_the_whole_sheet() -> None:
    content = _shared_strings(_workbook(_varied()))
    rows = _pieces(content)
    assert rows is not None
    assert _normal(rows) == _whole(content)
    assert _whole(content)[0][0] == "Фамилия 1 <&>"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: re.sub(rb'<row r="\d+"', b"<row", xml), id="rows without numbers"),
        pytest.param(lambda xml: xml.replace(b"<sheetData>", b'<x:sheetData xmlns:x="urn:x">').replace(
            b"</sheetData>", b"</x:sheetData>"), id="a prefixed sheetData"),
    ],
)
def test_a_sheet_laid_out_otherwise_is_left_to_the_whole_load(change: Callable[[bytes], bytes]) -> None:
    assert _pieces(_rewrite(_workbook(_varied()), change)) is None


def test_a_small_sheet_is_left_to_the_whole_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(excel_pieces, "MIN_SHEET_BYTES", 16 * 2**20)
    assert _pieces(_workbook(_varied())) is None


def test_too_many_rows_are_refused_from_the_dimension_at_once_or_when_counted() -> None:
    content = _workbook(_varied())
    with pytest.raises(TooMany):
        _pieces(content, max_rows=39)
    undimensioned = _rewrite(content, lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml))
    rows = _pieces(undimensioned, max_rows=39)
    assert rows is not None
    with pytest.raises(TooMany):
        list(rows)


def test_a_piece_that_cannot_be_read_refuses_the_sheet_there() -> None:
    broken = _rewrite(_workbook(_varied()), lambda xml: xml.replace(b'<row r="30"', b'<row r="30"><c r="A30"><v>'))
    rows = _pieces(broken)
    assert rows is not None
    with pytest.raises(Unreadable):
        list(rows)


def _piece_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("kontingent-piece-*"))


def test_a_sheet_left_half_read_leaves_no_piece_behind() -> None:
    before = _piece_files()
    rows = _pieces(_workbook(_varied()))
    assert rows is not None
    assert next(rows) and next(rows)  # the next piece is loading now
    rows.close()  # type: ignore[attr-defined]
    assert _piece_files() == before


def _students(count: int) -> list[dict[str, object]]:
    return [{**STUDENT, "snils": make_snils(210_000_000 + number), "class_name": f"{5 + number % 2}Б",
             "birth_date": STUDENT["birth_date"] if number % 7 else "не дата"} for number in range(count)]


@pytest.mark.parametrize("slice_rows", [2, 1000])
def test_an_upload_read_in_pieces_maps_as_the_whole_sheet(
    monkeypatch: pytest.MonkeyPatch, slice_rows: int
) -> None:
    content = fill("students", _students(30))
    header, slices = stream_upload(content, "students", created=CREATED, slice_rows=slice_rows)
    batches = list(slices)
    monkeypatch.setattr(excel_pieces, "MIN_SHEET_BYTES", 2**62)
    whole = read_upload(content, "students", created=CREATED)

    assert header == whole.header
    for name in ("class_groups", "students", "enrolments", "errors"):
        assert tuple(item for batch in batches for item in getattr(batch, name)) == getattr(whole, name), name
    assert len(whole.students) == 25 and len(whole.errors) >= 5


def test_an_upload_of_too_many_rows_read_in_pieces_is_refused() -> None:
    content = fill("students", _students(12))
    with pytest.raises(TemplateError) as caught:
        read_upload(content, "students", created=CREATED, max_rows=10)
    assert caught.value.code == "TOO_MANY_ROWS"
