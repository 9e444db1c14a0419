import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from adapters.excel_errors import build_error_workbook
from adapters.excel_kinds import STUDENTS
from adapters.excel_read import TemplateError, read_upload
from adapters.rowerrors import flatten, row_error
from tests.intakekit import fill_template

CREATED = dt.datetime(2025, 10, 1, tzinfo=dt.UTC)
KEYS = [column.key for column in STUDENTS.columns]
GOOD = {
    "last_name": "Иванов", "first_name": "Иван", "sex": "Мужской", "birth_date": dt.date(2014, 3, 12),
    "citizenship": "Гражданин Российской Федерации", "org_inn": "7707083893",
    "program_kind": "Образовательная программа основного общего образования", "education_form": "Очная",
    "entry_date": dt.date(2025, 9, 1), "entry_reason": "Зачисление (приём)",
}


def upload(rows):
    return fill_template("students", rows)


def column_of(header):
    return next(index for index, column in enumerate(STUDENTS.columns, start=1) if column.header == header)


def test_faulty_cells_are_red_with_comments_and_rows_list_their_messages():
    content = upload([GOOD, {**GOOD, "sex": "X", "birth_date": "31.02.2014"}, GOOD, {**GOOD, "snils": "1"}])
    batch = read_upload(content, "students", created=CREATED)
    stage = row_error("PASSPORT_FORMAT", row=3, field="EntryDate", value="x", section="Enrolments", ref="3")
    errors = (*batch.errors, stage)
    marked = load_workbook(io.BytesIO(build_error_workbook(content, errors)))
    sheet = marked[STUDENTS.title]
    errors_column = len(STUDENTS.columns) + 1
    assert sheet.cell(row=1, column=errors_column).value == "errors"
    assert sheet.cell(row=2, column=errors_column).value == "Ошибки"
    faulty = {
        (cell.row, sheet.cell(row=2, column=cell.column).value): (cell.fill.fgColor.rgb, cell.comment.text)
        for row in sheet.iter_rows(min_row=3)
        for cell in row
        if cell.comment is not None
    }
    assert faulty == {
        (4, "Пол"): ("00FFC7CE", "Значение «X» отсутствует в справочнике «Пол»"),
        (4, "Дата рождения"): ("00FFC7CE", "Некорректная дата «31.02.2014» (ожидается ДД.ММ.ГГГГ)"),
        (6, "СНИЛС"): ("00FFC7CE", "СНИЛС «1» должен состоять из 11 цифр (XXX-XXX-XXX YY)"),
    }
    assert sheet.cell(row=4, column=errors_column).value == (
        "Пол: Значение «X» отсутствует в справочнике «Пол»\n"
        "Дата рождения: Некорректная дата «31.02.2014» (ожидается ДД.ММ.ГГГГ)"
    )
    assert sheet.cell(row=3, column=errors_column).value == f"EntryDate: {stage.message}"
    assert sheet.cell(row=5, column=errors_column).value is None
    assert sheet.cell(row=5, column=column_of("Пол")).fill.fgColor.rgb != "00FFC7CE"
    summary = [tuple(cell.value for cell in row) for row in marked["Ошибки"].iter_rows(min_row=2)]
    assert [(row[0], row[1], row[3]) for row in summary] == [
        (3, "EntryDate", "PASSPORT_FORMAT"), (4, "Пол", "UNKNOWN_NAME"), (4, "Дата рождения", "BAD_DATE_DMY"),
        (6, "СНИЛС", "SNILS_FORMAT"),
    ]
    # the error workbook is still the template: corrected and uploaded again, it reads
    again = read_upload(build_error_workbook(content, errors), "students", created=CREATED)
    assert flatten(again.errors) == flatten(batch.errors)
    assert len(again.students) == 2


def test_warnings_are_yellow_and_several_messages_share_one_comment():
    content = upload([GOOD])
    warning = row_error("BASE_SUBJECT_MISSING", row=3, field="Фамилия", value="Иванов", section="Students")
    error = row_error("REQUIRED", row=3, field="Имя", section="Students")
    both = row_error("TOO_LONG", row=3, field="Имя", value="Иван", section="Students", max_length=2)
    sheet = load_workbook(io.BytesIO(build_error_workbook(content, [warning, error, both])))[STUDENTS.title]
    assert sheet.cell(row=3, column=1).fill.fgColor.rgb == "00FFEB9C"
    name = sheet.cell(row=3, column=2)
    assert name.fill.fgColor.rgb == "00FFC7CE"
    assert name.comment.text == f"{error.message}\n{both.message}"


def test_no_errors_leave_the_rows_unmarked():
    content = upload([GOOD])
    workbook = load_workbook(io.BytesIO(build_error_workbook(content, [])))
    sheet = workbook[STUDENTS.title]
    assert sheet.max_column == len(STUDENTS.columns)
    assert [tuple(cell.value for cell in row) for row in workbook["Ошибки"].iter_rows()] == [
        ("Строка", "Столбец", "Значение", "Код", "Сообщение", "Вид")
    ]


def test_not_a_workbook_is_refused():
    with pytest.raises(TemplateError) as caught:
        build_error_workbook(b"plain text", [])
    assert caught.value.code == "NOT_XLSX"
