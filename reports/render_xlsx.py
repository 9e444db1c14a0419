"""Excel rendering (openpyxl): title, parameters, bold frozen header with a filter, totals, formats."""

from __future__ import annotations

import io
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from reports.definition import Cell, Column, ReportResult
from reports.formatting import generated_line

NUMBER_FORMATS = {"int": "#,##0", "float": "0.00", "percent": "0.00", "str": "@"}
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
MAX_WIDTH = 60


def render_xlsx(result: ReportResult) -> bytes:
    """The report as an .xlsx workbook with one sheet."""
    definition = result.definition
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = definition.code[:31]
    lines = [definition.title]
    lines += [f"{spec.label}: {spec.display(result.params.get(spec.name))}" for spec in definition.params]
    if definition.description:
        lines.append(definition.description)
    lines.append(generated_line(result.generated_at))
    for number, line in enumerate(lines, start=1):
        sheet.cell(row=number, column=1, value=line)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    header_row = len(lines) + 2
    for index, column in enumerate(definition.columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=column.heading)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for offset, row in enumerate(result.rows, start=1):
        _write(sheet, header_row + offset, row, definition.columns, bold=False)
    last_data_row = header_row + len(result.rows)
    if result.totals is not None:
        _write(sheet, last_data_row + 1, result.totals, definition.columns, bold=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    last_column = get_column_letter(len(definition.columns))
    sheet.auto_filter.ref = f"A{header_row}:{last_column}{last_data_row}"
    _widths(sheet, result)
    buffer = io.BytesIO()
    # openpyxl's own save leaves its zip archive open when writing fails (a full temporary disk);
    # the archive is closed here whatever happens.
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


def _write(sheet: Worksheet, number: int, row: tuple[Cell, ...], columns: tuple[Column, ...], *, bold: bool) -> None:
    for index, (value, column) in enumerate(zip(row, columns, strict=True), start=1):
        cell = sheet.cell(row=number, column=index, value=value)
        cell.number_format = NUMBER_FORMATS[column.type]
        cell.border = BORDER
        if bold:
            cell.font = Font(bold=True)


def _widths(sheet: Worksheet, result: ReportResult) -> None:
    for index, column in enumerate(result.definition.columns):
        values = [row[index] for row in result.rows]
        longest = max((len(str(value)) for value in values if value is not None), default=0)
        heading = max(len(word) for word in column.heading.split()) if column.heading else 0
        width = max(longest + 2, heading + 2, min(len(column.heading), 18), 8)
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(width, MAX_WIDTH)
