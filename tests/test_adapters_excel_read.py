import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from adapters.excel_kinds import META_SHEET
from adapters.excel_read import TemplateError, read_upload, stream_upload
from adapters.excel_template import build_template
from adapters.identifiers import make_snils
from adapters.records import (
    AddressRecord,
    BatchHeader,
    ClassGroupRecord,
    ContactsRecord,
    DocumentRecord,
    EnrolmentRecord,
    MarkValue,
    PeriodMarkRecord,
    PersonRecord,
    PreferredOrganizationRecord,
    QueueApplicationRecord,
    RepresentativeRecord,
    StudentRecord,
    StudyPeriodRecord,
    SubjectRecord,
)
from adapters.rowerrors import flatten
from tests.intakekit import fill_template as fill

CREATED = dt.datetime(2025, 10, 1, 12, 0, tzinfo=dt.UTC)
ORG_INN = "7707083893"


def read(kind: str, rows: list[dict[str, object]]):
    return read_upload(fill(kind, rows), kind, created=CREATED)


STUDENT = {
    "last_name": "Иванов",
    "first_name": "Иван",
    "middle_name": "Иванович",
    "sex": "Мужской",
    "birth_date": dt.date(2014, 3, 12),
    "citizenship": "Гражданин Российской Федерации",
    "snils": "123-456-789 64",
    "document_type": "Свидетельство о рождении",
    "document_series": "iv-аб",
    "document_number": "012345",
    "document_issue_date": dt.date(2014, 3, 20),
    "document_issuer": "Отдел ЗАГС",
    "address": "г. Энск,  ул. Школьная, д. 1",
    "postal_code": "012345",
    "phone": "+7 900 000-00-00",
    "email": "ivanov@example.ru",
    "rep_kind": "Родитель",
    "rep_last_name": "Иванова",
    "rep_first_name": "Мария",
    "rep_snils": "20030040048",
    "org_inn": ORG_INN,
    "class_name": "5А",
    "school_year": "2025/2026",
    "program_kind": "Образовательная программа основного общего образования",
    "education_form": "Очная",
    "entry_date": "01.09.2025",
    "entry_reason": "Зачисление (приём)",
}


def test_students_round_trip_records_and_row_errors():
    batch = read(
        "students",
        [
            STUDENT,
            {},  # an empty row is skipped
            {**STUDENT, "snils": "123-456-789 65", "sex": "Мальчик", "birth_date": "31.02.2014",
             "email": "нет", "org_inn": "7707083894"},
            {**STUDENT, "snils": None, "last_name": "Петрова", "first_name": "Анна", "middle_name": None,
             "sex": "Ж", "birth_date": "05.06.2013", "document_type": None, "document_series": None,
             "document_number": None, "document_issue_date": None, "rep_kind": None, "rep_last_name": None,
             "rep_first_name": None, "rep_snils": None, "class_name": "5 а", "program_kind": "13",
             "entry_date": dt.datetime(2025, 9, 2)},
            {**STUDENT, "snils": "12345678964", "last_name": None, "class_name": "Солнышко",
             "entry_date": "02.10.2025", "rep_kind": None, "org_inn": "5408130693"},
            {**STUDENT, "snils": None, "birth_date": dt.date(2023, 1, 1), "education_level": "Уровень X",
             "rep_kind": None, "rep_last_name": None, "document_number": None},
        ],
    )
    assert batch.header == BatchHeader(
        packet_id=batch.header.packet_id, provider="EXCEL", created=CREATED, org_inn=ORG_INN,
        version="kontingent:students:1.0",
    )
    assert batch.header.packet_id.startswith("sha256:")
    person = PersonRecord(
        last_name="Иванов", first_name="Иван", middle_name="Иванович", sex="1", birth_date=dt.date(2014, 3, 12),
        citizenship="1", snils="12345678964",
        documents=(DocumentRecord(type="03", series="IV-АБ", number="012345", issue_date=dt.date(2014, 3, 20),
                                  issuer="Отдел ЗАГС"),),
        addresses=(AddressRecord(kind="1", text="г. Энск, ул. Школьная, д. 1", postal_code="012345"),),
        contacts=ContactsRecord(phones=("+7 900 000-00-00",), emails=("ivanov@example.ru",)),
    )
    mother = RepresentativeRecord(
        kind="1", person=PersonRecord(last_name="Иванова", first_name="Мария", snils="20030040048")
    )
    second = PersonRecord(
        last_name="Петрова", first_name="Анна", sex="2", birth_date=dt.date(2013, 6, 5), citizenship="1",
        addresses=person.addresses, contacts=person.contacts,
    )
    assert batch.students == (
        StudentRecord(ref="3", row=3, person=person, representatives=(mother,)),
        StudentRecord(ref="6", row=6, person=second),
    )
    assert batch.class_groups == (
        ClassGroupRecord(ref="2025/2026 5А", row=3, name="5А", school_year="2025/2026", program_kind="13",
                         grade=5, letter="А"),
        ClassGroupRecord(ref="2025/2026 5 а", row=6, name="5 а", school_year="2025/2026", program_kind="13",
                         grade=5, letter="А"),
    )
    enrolment = {"program_kind": "13", "education_level": "3", "education_form": "11", "entry_reason": "1"}
    assert batch.enrolments == (
        EnrolmentRecord(ref="3", row=3, student_ref="3", class_group_ref="2025/2026 5А",
                        entry_date=dt.date(2025, 9, 1), **enrolment),
        EnrolmentRecord(ref="6", row=6, student_ref="6", class_group_ref="2025/2026 5 а",
                        entry_date=dt.date(2025, 9, 2), **enrolment),
    )
    assert flatten(batch.errors) == [
        ("Students", 5, "5", "Пол", "UNKNOWN_NAME", "Мальчик"),
        ("Students", 5, "5", "Дата рождения", "BAD_DATE_DMY", "31.02.2014"),
        ("Students", 5, "5", "СНИЛС", "SNILS_CHECKSUM", "123-456-789 65"),
        ("Students", 5, "5", "Электронная почта", "BAD_FORMAT", "нет"),
        ("Students", 5, "5", "ИНН организации", "INN_CHECKSUM", "7707083894"),
        ("Students", 7, "7", "Фамилия", "REQUIRED", None),
        ("Students", 7, "7", "СНИЛС", "DUPLICATE_REF", "12345678964"),
        ("Students", 7, "7", "Вид законного представителя", "REQUIRED", None),
        ("Students", 7, "7", "ИНН организации", "OTHER_ORGANIZATION", "5408130693"),
        ("Students", 7, "7", "Класс (группа)", "BAD_CLASS_NAME", "Солнышко"),
        ("Students", 7, "7", "Дата зачисления", "DATE_IN_FUTURE", "02.10.2025"),
        ("Students", 8, "8", "Номер документа", "REQUIRED", None),
        ("Students", 8, "8", "Вид законного представителя", "REQUIRED", None),
        ("Students", 8, "8", "Фамилия представителя", "REQUIRED", None),
        ("Students", 8, "8", "Уровень образования", "UNKNOWN_NAME", "Уровень X"),
    ]
    messages = {error.code: error.message for error in batch.errors}
    assert messages["OTHER_ORGANIZATION"] == (
        "ИНН организации 5408130693 отличается от ИНН 7707083893: один файл – одна организация"
    )
    assert messages["BAD_DATE_DMY"] == "Некорректная дата «31.02.2014» (ожидается ДД.ММ.ГГГГ)"


def test_age_must_fit_the_level_and_is_reported_on_the_birth_date():
    batch = read("students", [{**STUDENT, "birth_date": dt.date(2022, 1, 1)}])
    assert batch.students == ()
    assert flatten(batch.errors) == [("Students", 3, "3", "Дата рождения", "BIRTH_DATE_IMPLAUSIBLE", "3")]
    assert "Основное общее образование" in batch.errors[0].message


def test_identifiers_typed_as_numbers_lose_leading_zeros_and_are_reported():
    batch = read("students", [{**STUDENT, "snils": 12345678964}, {**STUDENT, "snils": None, "postal_code": 12345}])
    assert [student.person.snils for student in batch.students] == ["12345678964"]
    assert flatten(batch.errors) == [("Students", 4, "4", "Почтовый индекс", "BAD_FORMAT", "12345")]


MARK = {
    "snils": "123-456-789 64",
    "last_name": "Иванов",
    "first_name": "Иван",
    "org_inn": ORG_INN,
    "subject": "Математика",
    "school_year": "2024/2025",
    "mark_kind": "Отметка за учебный период",
    "period_kind": "Четверть",
    "period_number": 1,
    "period_start": dt.date(2024, 9, 2),
    "period_end": dt.date(2024, 10, 27),
    "scale": "Пятибалльная",
    "value": "5 (отлично)",
}


def test_marks_round_trip():
    annual = {"mark_kind": "Годовая отметка", "period_kind": None, "period_number": None, "period_start": None,
              "period_end": None}
    batch = read(
        "marks",
        [
            MARK,
            {**MARK, "subject": "Робототехника", "value": "4"},
            {**MARK, "snils": None, "last_name": "Петрова", "first_name": "Анна", "birth_date": "05.06.2013",
             **annual, "scale": "Зачёт / незачёт", "value": "Зачтено"},
            {**MARK, "snils": None, "birth_date": None, "value": 6},
            {**MARK, "period_end": dt.date(2024, 9, 1), "period_number": "первая", "school_year": "2024/2026"},
            {**MARK, **annual, "scale": "Стобалльная", "value": 87},
            {**MARK, **annual, "mark_kind": "Отметка за учебный период", "scale": "Не аттестован (н/а)",
             "value": None},
        ],
    )
    period = StudyPeriodRecord(ref="2024/2025 quarter 1", row=3, kind="quarter", number=1, school_year="2024/2025",
                               start_date=dt.date(2024, 9, 2), end_date=dt.date(2024, 10, 27))
    assert batch.study_periods == (period,)
    assert batch.subjects == (
        SubjectRecord(ref="Математика", row=3, name="Математика", base_subject="11"),
        SubjectRecord(ref="Робототехника", row=4, name="Робототехника"),
    )
    ivanov = PersonRecord(last_name="Иванов", first_name="Иван", snils="12345678964")
    petrova = PersonRecord(last_name="Петрова", first_name="Анна", birth_date=dt.date(2013, 6, 5))
    assert batch.students == (
        StudentRecord(ref="snils:12345678964", row=3, person=ivanov),
        StudentRecord(ref="person:петрова анна  2013-06-05", row=5, person=petrova),
    )
    five = MarkValue(scale="five_point", value="5", numeric=Decimal(5))
    assert batch.period_marks == (
        PeriodMarkRecord(ref="3", row=3, student_ref="snils:12345678964", subject_ref="Математика", kind="period",
                         period_ref=period.ref, school_year="2024/2025", mark=five),
        PeriodMarkRecord(ref="4", row=4, student_ref="snils:12345678964", subject_ref="Робототехника",
                         kind="period", period_ref=period.ref, school_year="2024/2025",
                         mark=MarkValue(scale="five_point", value="4", numeric=Decimal(4))),
        PeriodMarkRecord(ref="5", row=5, student_ref="person:петрова анна  2013-06-05", subject_ref="Математика",
                         kind="annual", period_ref=None, school_year="2024/2025",
                         mark=MarkValue(scale="pass_fail", value="pass", numeric=None)),
        PeriodMarkRecord(ref="8", row=8, student_ref="snils:12345678964", subject_ref="Математика", kind="annual",
                         period_ref=None, school_year="2024/2025",
                         mark=MarkValue(scale="hundred", value="87", numeric=Decimal(87))),
    )
    assert flatten(batch.errors) == [
        ("PeriodMarks", 4, "4", "Предмет", "BASE_SUBJECT_MISSING", "Робототехника"),
        ("PeriodMarks", 6, "6", "СНИЛС обучающегося", "STUDENT_NOT_IDENTIFIED", None),
        ("PeriodMarks", 6, "6", "Отметка", "MARK_VALUE_INVALID", "6"),
        ("PeriodMarks", 7, "7", "Учебный год", "BAD_SCHOOL_YEAR", "2024/2026"),
        ("PeriodMarks", 7, "7", "Номер периода", "BAD_NUMBER", "первая"),
        ("PeriodMarks", 7, "7", "Окончание периода", "END_BEFORE_START", "01.09.2024"),
        ("PeriodMarks", 9, "9", "Учебный период", "REQUIRED", None),
        ("PeriodMarks", 9, "9", "Номер периода", "REQUIRED", None),
        ("PeriodMarks", 9, "9", "Начало периода", "REQUIRED", None),
        ("PeriodMarks", 9, "9", "Окончание периода", "REQUIRED", None),
    ]
    assert batch.errors[0].severity == "warning"


QUEUE = {
    "number": "0001",
    "submitted_date": dt.date(2025, 3, 1),
    "child_last_name": "Смирнова",
    "child_first_name": "Ева",
    "child_sex": "Женский",
    "child_birth_date": dt.date(2023, 5, 5),
    "certificate_series": "I-МЮ",
    "certificate_number": "654321",
    "applicant_kind": "Родитель",
    "applicant_last_name": "Смирнов",
    "applicant_first_name": "Олег",
    "applicant_phone": "89000000000",
    "municipality_oktmo": "45000000",
    "desired_date": dt.date(2026, 9, 1),
    "orientation": "Общеразвивающая",
    "regime": "Полного дня (10,5–12 часов в день)",
    "preferred_inns": "7707083893, 5408130693",
    "status": "Очередник",
}


def test_queue_round_trip():
    batch = read(
        "queue",
        [
            QUEUE,
            {**QUEUE, "orientation": "Компенсирующая", "preferred_inns": "7707083893; 1234567890",
             "certificate_number": "12", "municipality_oktmo": 4500},
        ],
    )
    child = PersonRecord(
        last_name="Смирнова", first_name="Ева", sex="2", birth_date=dt.date(2023, 5, 5),
        documents=(DocumentRecord(type="03", series="I-МЮ", number="654321"),),
    )
    applicant = RepresentativeRecord(
        kind="1",
        person=PersonRecord(last_name="Смирнов", first_name="Олег", contacts=ContactsRecord(phones=("89000000000",))),
    )
    assert batch.queue_applications == (
        QueueApplicationRecord(
            ref="3", row=3, number="0001", submitted_date=dt.date(2025, 3, 1), child=child, applicant=applicant,
            municipality_oktmo="45000000", desired_date=dt.date(2026, 9, 1), orientation="1",
            compensating_profile=None, regime="3", privilege=None,
            preferred_organizations=(PreferredOrganizationRecord(priority=1, inn="7707083893"),
                                     PreferredOrganizationRecord(priority=2, inn="5408130693")),
            status="2",
        ),
    )
    assert batch.header.org_inn is None
    assert flatten(batch.errors) == [
        ("QueueApplications", 4, "4", "Номер заявления", "DUPLICATE_REF", "0001"),
        ("QueueApplications", 4, "4", "Номер свидетельства о рождении", "BIRTH_CERTIFICATE_FORMAT", "I-МЮ 12"),
        ("QueueApplications", 4, "4", "ОКТМО муниципального образования", "OKTMO_FORMAT", "4500"),
        ("QueueApplications", 4, "4", "Профиль компенсирующей группы", "REQUIRED", None),
        ("QueueApplications", 4, "4", "ИНН желаемых организаций", "INN_CHECKSUM", "1234567890"),
    ]


# --- refusals of the whole file ----------------------------------------------------------------


def test_template_of_another_kind_is_refused_in_russian():
    with pytest.raises(TemplateError) as caught:
        read_upload(fill("marks", [MARK]), "students")
    assert caught.value.code == "WRONG_KIND"
    assert caught.value.message == "Загружен шаблон «Отметки», а ожидался шаблон «Обучающиеся»"


def test_template_of_another_version_is_refused():
    workbook = load_workbook(io.BytesIO(build_template("students")))
    workbook[META_SHEET]["A1"] = "kontingent:students:0.9"
    stream = io.BytesIO()
    workbook.save(stream)
    with pytest.raises(TemplateError) as caught:
        read_upload(stream.getvalue(), "students")
    assert caught.value.code == "WRONG_VERSION"
    assert "0.9" in caught.value.message and "1.0" in caught.value.message


def test_a_workbook_that_is_no_template_is_refused():
    workbook = Workbook()
    workbook.active.title = "Обучающиеся"
    stream = io.BytesIO()
    workbook.save(stream)
    with pytest.raises(TemplateError) as caught:
        read_upload(stream.getvalue(), "students")
    assert caught.value.code == "NOT_A_TEMPLATE"


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04broken zip", "Фамилия;Имя\n".encode()])
def test_a_file_that_is_not_xlsx_is_refused(content):
    with pytest.raises(TemplateError) as caught:
        read_upload(content, "students")
    assert caught.value.code == "NOT_XLSX"
    assert caught.value.message.startswith("Файл не является книгой Excel")


def test_a_deleted_required_column_is_a_row_error_of_the_header_row():
    workbook = load_workbook(io.BytesIO(fill("students", [STUDENT])))
    sheet = workbook["Обучающиеся"]
    sheet.delete_cols(5)  # «Дата рождения»
    stream = io.BytesIO()
    workbook.save(stream)
    batch = read_upload(stream.getvalue(), "students", created=CREATED)
    assert batch.students == ()
    assert flatten(batch.errors) == [("Students", 2, None, "Дата рождения", "MISSING_COLUMN", "Дата рождения")]


def test_too_many_rows_are_refused():
    with pytest.raises(TemplateError) as caught:
        read_upload(fill("students", [STUDENT] * 3), "students", max_rows=4)
    assert caught.value.code == "TOO_MANY_ROWS"


def _varied_students(count: int) -> list[dict[str, object]]:
    """Valid rows of distinct students in 3 classes; every 5th row with an error, the 4th row a duplicate СНИЛС."""
    rows = []
    for number in range(count):
        row = {**STUDENT, "snils": make_snils(200_000_000 + number), "rep_snils": None, "rep_kind": None,
               "rep_last_name": None, "rep_first_name": None, "class_name": f"{5 + number % 3}А"}
        if number % 5 == 4:
            row["birth_date"] = "не дата"
        rows.append(row)
    rows[3]["snils"] = rows[1]["snils"]
    return rows


@pytest.mark.parametrize("slice_rows", [1, 4, 7, 1000])
def test_a_streamed_upload_gives_what_the_whole_read_gives(slice_rows):
    content = fill("students", _varied_students(23))
    whole = read_upload(content, "students", created=CREATED)

    header, slices = stream_upload(content, "students", created=CREATED, slice_rows=slice_rows)
    batches = list(slices)

    assert header == whole.header
    assert all(batch.header == header for batch in batches)
    for name in ("class_groups", "students", "enrolments", "errors"):
        assert tuple(item for batch in batches for item in getattr(batch, name)) == getattr(whole, name), name
    assert len(whole.class_groups) == 3 and len(whole.students) == 18
    assert ("DUPLICATE_REF", 6) in {(error.code, error.row) for error in whole.errors}
    if slice_rows < 23:
        assert sum(1 for batch in batches if batch.students) > 1


def test_a_streamed_upload_maps_ahead_to_the_first_row_naming_the_organization():
    rows = [{**STUDENT, "org_inn": "не ИНН"}] * 5 + [STUDENT]
    content = fill("students", rows)

    header, slices = stream_upload(content, "students", created=CREATED, slice_rows=2)

    assert header.org_inn == ORG_INN
    batches = list(slices)
    assert [len(batch.students) for batch in batches][:1] == [1]  # the rows read to find it come first
    assert sorted({error.row for batch in batches for error in batch.errors}) == [3, 4, 5, 6, 7]


def test_marks_and_queue_uploads_stream_each_record_once():
    marks = [MARK, {**MARK, "subject": "Физика"}, {**MARK, "period_number": 2, "period_start": dt.date(2024, 11, 5),
                                                  "period_end": dt.date(2024, 12, 28)}]
    content = fill("marks", marks)
    whole = read_upload(content, "marks", created=CREATED)
    _, slices = stream_upload(content, "marks", created=CREATED, slice_rows=1)
    batches = list(slices)
    for name in ("students", "subjects", "study_periods", "period_marks"):
        assert tuple(item for batch in batches for item in getattr(batch, name)) == getattr(whole, name), name
    assert len(whole.students) == 1 and len(whole.subjects) == 2 and len(whole.study_periods) == 2

    queue = fill("queue", [QUEUE, {**QUEUE, "number": "0002"}])
    header, slices = stream_upload(queue, "queue", created=CREATED, slice_rows=1)
    assert header.org_inn is None
    assert [len(batch.queue_applications) for batch in slices if batch.queue_applications] == [1, 1]


def test_a_streamed_upload_refuses_a_bad_file_before_any_row():
    with pytest.raises(TemplateError) as caught:
        stream_upload(fill("marks", [MARK]), "students")
    assert caught.value.code == "WRONG_KIND"
