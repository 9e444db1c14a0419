import io
import re

import pytest
from openpyxl import load_workbook

from adapters.excel_kinds import KINDS, LISTS_SHEET, META_SHEET, STUDENTS
from adapters.excel_read import TemplateError
from adapters.excel_template import build_template
from db import classifiers


def open_template(kind: str):
    return load_workbook(io.BytesIO(build_template(kind)))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_template_sheets_and_mark(kind):
    workbook = open_template(kind)
    template = KINDS[kind]
    assert workbook.sheetnames == [template.title, "Инструкция", LISTS_SHEET, META_SHEET]
    states = [workbook[name].sheet_state for name in workbook.sheetnames]
    assert states == ["visible", "visible", "hidden", "veryHidden"]
    assert workbook[META_SHEET]["A1"].value == f"kontingent:{kind}:1.0"
    assert workbook.active.title == template.title


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_data_sheet_headers_keys_formats_and_widths(kind):
    template = KINDS[kind]
    sheet = open_template(kind)[template.title]
    assert [cell.value for cell in sheet[1]] == [column.key for column in template.columns]
    assert [cell.value for cell in sheet[2]] == [column.header for column in template.columns]
    assert sheet.row_dimensions[1].hidden
    assert sheet.freeze_panes == "A3"
    for cell, column in zip(sheet[2], template.columns, strict=True):
        assert cell.font.b
        assert re.search("[А-Яа-яЁё]", cell.value)
        dimension = sheet.column_dimensions[cell.column_letter]
        assert dimension.width == column.width
        expected = {"date": "DD.MM.YYYY", "identifier": "@", "text": "@", "choice": "@", "integer": "General"}
        assert dimension.number_format == expected[column.type], column.key


def test_drop_down_lists_come_from_the_classifiers():
    workbook = open_template("students")
    sheet = workbook[STUDENTS.title]
    lists = workbook[LISTS_SHEET]
    validations = {str(item.sqref): item for item in sheet.data_validations.dataValidation}
    choices = [(index, column) for index, column in enumerate(STUDENTS.columns, start=1) if column.type == "choice"]
    assert len(validations) == len(choices)
    for index, column in choices:
        letter = sheet.cell(row=2, column=index).column_letter
        validation = validations[f"{letter}3:{letter}1048576"]
        assert validation.type == "list"
        source = re.fullmatch(r"'Справочники'!\$([A-Z]+)\$2:\$\1\$(\d+)", validation.formula1)
        assert source is not None, validation.formula1
        names = [lists[f"{source.group(1)}{row}"].value for row in range(2, int(source.group(2)) + 1)]
        assert names == [item.name for item in classifiers.items_of(column.classifier)]
    sex = validations["D3:D1048576"]
    assert sex.showErrorMessage and "Пол" in sex.error


def test_instruction_sheet_describes_every_column():
    template = KINDS["marks"]
    sheet = open_template("marks")["Инструкция"]
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    described = {row[0]: row for row in rows if row[0] and row[1] in ("да", "нет")}
    for column in template.columns:
        name = column.header + (" *" if column.required else "")
        assert name in described
        assert described[name][1] == ("да" if column.required else "нет")
    assert described["Дата рождения"][2] == "Дата ДД.ММ.ГГГГ"
    assert described["Шкала *"][2] == "Значение из списка «Шкалы оценивания»"
    assert any("ДД.ММ.ГГГГ" in (row[0] or "") for row in rows)


def test_unknown_kind_is_refused():
    with pytest.raises(TemplateError) as caught:
        build_template("teachers")
    assert caught.value.code == "UNKNOWN_KIND"
    assert "teachers" in caught.value.message
