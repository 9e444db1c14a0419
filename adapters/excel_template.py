"""Blank Excel templates: ``build_template(kind) -> bytes``.

Each template has a data sheet (machine keys in a hidden first row, bold frozen Russian headers,
column widths, date and text formats so dates read as ДД.ММ.ГГГГ and leading zeros of СНИЛС and
ИНН survive, drop-down lists fed from the classifiers), an instruction sheet in Russian, a hidden
«Справочники» sheet with the lists and a very hidden sheet marking the kind and version.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from adapters.excel_kinds import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    INSTRUCTION_SHEET,
    KEYS_ROW,
    LISTS_SHEET,
    META_SHEET,
    TYPE_FORMATS,
    Column,
    TemplateKind,
)
from adapters.excel_read import kind_named
from db import classifiers

DATE_FORMAT = "DD.MM.YYYY"
TEXT_FORMAT = "@"
LAST_ROW = 1_048_576
"""Last row of an xlsx sheet: formats and lists cover the whole column."""
HEADER_FILL = PatternFill(fill_type="solid", fgColor="DDEBF7")
REQUIRED_MARK = " *"
REQUIRED_COLOR = "C00000"


def _number_format(column: Column) -> str | None:
    if column.type == "date":
        return DATE_FORMAT
    if column.type in ("identifier", "text", "choice"):
        return TEXT_FORMAT
    return None


def _lists(workbook: Workbook, kind: TemplateKind) -> dict[str, str]:
    """Write one column per classifier on the hidden lists sheet; classifier → range formula."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    formulas: dict[str, str] = {}
    for column in kind.columns:
        if column.classifier is None or column.classifier in formulas:
            continue
        position = len(formulas) + 1
        letter = get_column_letter(position)
        items = classifiers.items_of(column.classifier)
        sheet.cell(row=1, column=position, value=classifiers.title_of(column.classifier))
        for row, item in enumerate(items, start=2):
            sheet.cell(row=row, column=position, value=item.name)
        sheet.column_dimensions[letter].width = 40
        formulas[column.classifier] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(items) + 1}"
    return formulas


def _data_sheet(sheet: Worksheet, kind: TemplateKind, formulas: dict[str, str]) -> None:
    sheet.title = kind.title
    for position, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(position)
        sheet.cell(row=KEYS_ROW, column=position, value=column.key)
        header = sheet.cell(row=HEADER_ROW, column=position, value=column.header)
        header.font = Font(bold=True, color=REQUIRED_COLOR if column.required else None)
        header.fill = HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="center")
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        number_format = _number_format(column)
        if number_format is not None:
            dimension.number_format = number_format
        if column.classifier is not None:
            validation = DataValidation(
                type="list",
                formula1=formulas[column.classifier],
                allow_blank=True,
                showErrorMessage=column.strict,
                errorTitle="Значение не из справочника",
                error=f"Выберите значение из списка «{classifiers.title_of(column.classifier)}»",
                promptTitle=column.header,
                prompt="Выберите значение из списка",
                showInputMessage=True,
            )
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[KEYS_ROW].hidden = True
    sheet.row_dimensions[HEADER_ROW].height = 45
    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=1)


def _instruction_sheet(workbook: Workbook, kind: TemplateKind) -> None:
    sheet = workbook.create_sheet(INSTRUCTION_SHEET)
    bold = Font(bold=True)
    sheet["A1"] = f"Шаблон загрузки «{kind.title}», версия {kind.version}"
    sheet["A1"].font = Font(bold=True, size=14)
    lines = (
        kind.description,
        f"Заполняйте лист «{kind.title}» начиная с {FIRST_DATA_ROW}-й строки; не меняйте заголовки, "
        "не удаляйте и не переставляйте столбцы, не переименовывайте листы.",
        "Даты – в формате ДД.ММ.ГГГГ. СНИЛС, ИНН, ОКТМО и номера документов хранятся как текст: "
        "ведущие нули сохраняются.",
        "Значения справочников выбирайте из раскрывающихся списков. Обязательные столбцы выделены красным "
        "и отмечены знаком «*» в таблице ниже.",
        "Строки с ошибками не загружаются; по квитанции можно получить файл, где ошибочные ячейки "
        "выделены красным, а в столбце «Ошибки» перечислены причины.",
    )
    for row, line in enumerate(lines, start=3):
        sheet.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        sheet.row_dimensions[row].height = 32
    table = len(lines) + 4
    for position, title in enumerate(("Столбец", "Обязательный", "Формат", "Описание"), start=1):
        sheet.cell(row=table, column=position, value=title).font = bold
    for row, column in enumerate(kind.columns, start=table + 1):
        kind_format = TYPE_FORMATS[column.type]
        if column.classifier is not None:
            kind_format = f"{kind_format} «{classifiers.title_of(column.classifier)}»"
        sheet.cell(row=row, column=1, value=column.header + (REQUIRED_MARK if column.required else ""))
        sheet.cell(row=row, column=2, value="да" if column.required else "нет")
        sheet.cell(row=row, column=3, value=kind_format).alignment = Alignment(wrap_text=True)
        sheet.cell(row=row, column=4, value=column.help or column.header).alignment = Alignment(wrap_text=True)
    for letter, width in zip("ABCD", (36, 14, 40, 70), strict=True):
        sheet.column_dimensions[letter].width = width


def build_template(kind_name: str) -> bytes:
    """A blank template of ``kind_name`` (``students``, ``marks``, ``queue``) as xlsx bytes."""
    kind = kind_named(kind_name)
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    formulas = _lists(workbook, kind)
    _data_sheet(data, kind, formulas)
    _instruction_sheet(workbook, kind)
    workbook.move_sheet(INSTRUCTION_SHEET, offset=-(len(workbook.sheetnames) - 2))
    meta = workbook.create_sheet(META_SHEET)
    meta["A1"] = kind.mark
    meta.sheet_state = "veryHidden"
    workbook.active = 0
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
