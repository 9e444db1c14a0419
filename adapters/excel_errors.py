"""The error workbook: the uploaded file handed back with its faults marked.

``build_error_workbook(content, errors)`` fills every faulty cell (found by the row number and the
column header of each ``RowError``) red – yellow for a warning – with a comment carrying the Russian
message, adds an «Ошибки» column listing each faulty row's messages, and an «Ошибки» sheet listing
every error, those of no particular cell included (a missing column, a database-stage error).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from adapters.excel_cells import cell_text
from adapters.excel_kinds import FIRST_DATA_ROW, HEADER_ROW, KEYS_ROW, KINDS
from adapters.excel_read import TemplateError, open_workbook
from adapters.rowerrors import RowError

ERRORS_HEADER = "Ошибки"
ERRORS_KEY = "errors"
ERROR_FILL = PatternFill(fill_type="solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill(fill_type="solid", fgColor="FFEB9C")
COMMENT_AUTHOR = "АИС «Контингент»"
SUMMARY_HEADERS = ("Строка", "Столбец", "Значение", "Код", "Сообщение", "Вид")
SEVERITY_NAMES = {"error": "ошибка", "warning": "предупреждение"}


def _load(content: bytes) -> Workbook:
    open_workbook(content).close()  # the same refusal of a non-xlsx file as the reader
    try:
        return load_workbook(io.BytesIO(content))
    except Exception as exc:  # openpyxl raises zip, XML and its own errors alike
        raise TemplateError("NOT_XLSX", "Файл не является книгой Excel в формате xlsx или повреждён") from exc


def _data_sheet(workbook: Workbook) -> Worksheet:
    titles = {kind.title for kind in KINDS.values()}
    for sheet in workbook.worksheets:
        if sheet.title in titles:
            return sheet
    return workbook.worksheets[0]


def _columns(sheet: Worksheet) -> dict[str, int]:
    """Header (and machine key) → column number."""
    found: dict[str, int] = {}
    for row in (HEADER_ROW, KEYS_ROW):
        for cell in sheet[row]:
            text = cell_text(cell.value)
            if text is not None and isinstance(cell.column, int):
                found.setdefault(text, cell.column)
    return found


def _mark_cell(sheet: Worksheet, row: int, column: int, errors: Sequence[RowError]) -> None:
    cell = sheet.cell(row=row, column=column)
    serious = any(error.severity == "error" for error in errors)
    cell.fill = ERROR_FILL if serious else WARNING_FILL
    text = "\n".join(error.message for error in errors)
    cell.comment = Comment(text, COMMENT_AUTHOR, width=320, height=40 + 20 * len(errors))


def _errors_column(sheet: Worksheet) -> int:
    last = max((cell.column for cell in sheet[HEADER_ROW] if cell.value is not None), default=0)
    if sheet.cell(row=HEADER_ROW, column=last).value == ERRORS_HEADER:  # a corrected error workbook, uploaded again
        for row in range(FIRST_DATA_ROW, sheet.max_row + 1):
            sheet.cell(row=row, column=last).value = None
        return int(last)
    column = int(last) + 1
    sheet.cell(row=KEYS_ROW, column=column, value=ERRORS_KEY)
    header = sheet.cell(row=HEADER_ROW, column=column, value=ERRORS_HEADER)
    header.font = Font(bold=True, color="C00000")
    sheet.column_dimensions[header.column_letter].width = 60
    return column


def _summary(workbook: Workbook, errors: Sequence[RowError]) -> None:
    if ERRORS_HEADER in workbook.sheetnames:
        del workbook[ERRORS_HEADER]
    sheet = workbook.create_sheet(ERRORS_HEADER, 1)
    sheet.append(SUMMARY_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for error in sorted(errors, key=lambda item: item.row):
        sheet.append(
            (error.row, error.field, error.value, error.code, error.message, SEVERITY_NAMES.get(error.severity, ""))
        )
    for letter, width in zip("ABCDEF", (8, 30, 24, 22, 80, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def build_error_workbook(content: bytes, errors: Sequence[RowError]) -> bytes:
    """The uploaded workbook with faulty cells marked, an «Ошибки» column and an «Ошибки» sheet."""
    workbook = _load(content)
    sheet = _data_sheet(workbook)
    columns = _columns(sheet)
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        if error.row >= FIRST_DATA_ROW:
            by_row.setdefault(error.row, []).append(error)
    if by_row:
        errors_column = _errors_column(sheet)
        for row, row_errors in sorted(by_row.items()):
            by_cell: dict[int, list[RowError]] = {}
            for error in row_errors:
                column = columns.get(error.field)
                if column is not None and column != errors_column:
                    by_cell.setdefault(column, []).append(error)
            for column, cell_errors in by_cell.items():
                _mark_cell(sheet, row, column, cell_errors)
            listing = "\n".join(f"{error.field}: {error.message}" for error in row_errors)
            target = sheet.cell(row=row, column=errors_column, value=listing)
            target.alignment = Alignment(wrap_text=True, vertical="top")
    _summary(workbook, errors)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
