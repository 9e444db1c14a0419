import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.foreign_journal import ForeignFormatError, map_journal, read_journal
from adapters.foreign_journal_rules import control_form_of, mark_of, split_class, split_full_name
from adapters.records import (
    BatchHeader,
    ClassGroupRecord,
    DiaryMarkRecord,
    MappedBatch,
    MarkValue,
    PersonRecord,
    StudentRecord,
    SubjectRecord,
)
from adapters.rowerrors import ROW_ERROR_TEMPLATES, flatten
from adapters.safexml import parse_bytes

SAMPLES = Path(__file__).parent / "samples"
MSK = dt.timezone(dt.timedelta(hours=3))


def sample(name: str) -> MappedBatch:
    return read_journal((SAMPLES / name).read_bytes())


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Иванов Иван Иванович", ("Иванов", "Иван", "Иванович")),
        ("  ПЕТРОВА   мария  ", ("Петрова", "Мария", None)),
        ("римский-корсаков николай андреевич", ("Римский-Корсаков", "Николай", "Андреевич")),
        ("Мамедов эльчин рашид оглы", ("Мамедов", "Эльчин", "Рашид оглы")),
        ("Алиева Лейла Руслан КЫЗЫ", ("Алиева", "Лейла", "Руслан кызы")),
        ("Д'Артаньян Шарль", ("Д'Артаньян", "Шарль", None)),
        ("ДиКаприо Леонардо", ("ДиКаприо", "Леонардо", None)),
        ("Сидоров", None),
        ("Иванов Иван Иванович Петрович", None),
        ("Иванов 2 Иванович", None),
        ("Иванов Иван Иванович оглы Второй", None),
    ],
)
def test_full_names_split_by_rules(full_name, expected):
    assert split_full_name(full_name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("5А", (5, "А")), ("10 б", (10, "Б")), ("11-В", (11, "В")), ("1", (1, None)), ("0А", None), ("13А", None),
     ("5АБ", None), ("Солнышко", None)],
)
def test_classes_split_into_number_and_letter(name, expected):
    assert split_class(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", ("five_point", "5")), ("4+", ("five_point", "4")), ("3-", ("five_point", "3")),
     ("Зачёт", ("pass_fail", "pass")), ("незач", ("pass_fail", "fail")), ("Н/А", ("na", "na")),
     ("осв.", ("exempt", "exempt")), ("6", None), ("+", None), ("отл", None)],
)
def test_journal_marks_map_to_scales(value, expected):
    assert mark_of(value) == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [("Контрольная работа", "1"), ("К/Р", "1"), ("с/р", "2"), ("Ответ на уроке", "4"), ("Тестирование", "7"),
     ("тест", "7"), ("Д/З", "8"), ("Диктант", "3"), ("Устный опрос", None)],
)
def test_control_forms_map_by_table_and_classifier_names(name, code):
    assert control_form_of(name) == code


def test_clean_export_maps_to_exact_records():
    batch = sample("foreign-eljur-clean.xml")
    assert batch.header == BatchHeader(
        packet_id="EJ-2025-09-15-001", provider="ELJUR", created=dt.datetime(2025, 9, 15, 18, 30, tzinfo=MSK),
        org_inn="7707083893", version="eljur-2",
    )
    assert batch.class_groups == (
        ClassGroupRecord(ref="5А", row=1, name="5А", school_year="2025/2026", program_kind="13", grade=5,
                         letter="А"),
    )
    assert batch.students == (
        StudentRecord(ref="p1001", row=1, person=PersonRecord(
            last_name="Иванов", first_name="Иван", middle_name="Иванович", sex="1",
            birth_date=dt.date(2014, 3, 12), snils="12345678964")),
        StudentRecord(ref="p1002", row=2, person=PersonRecord(
            last_name="Петрова", first_name="Мария", sex="2", birth_date=dt.date(2013, 7, 1))),
    )
    assert batch.subjects == (
        SubjectRecord(ref="Математика", row=1, name="Математика", base_subject="11"),
        SubjectRecord(ref="Русский язык", row=2, name="Русский язык", base_subject="01"),
    )
    day = dt.date(2025, 9, 12)
    assert batch.diary_marks == (
        DiaryMarkRecord(ref="m1", row=1, student_ref="p1001", subject_ref="Математика", lesson_date=day,
                        mark=MarkValue(scale="five_point", value="5", numeric=Decimal(5)), weight=Decimal(2),
                        control_form="1"),
        DiaryMarkRecord(ref="m2", row=2, student_ref="p1002", subject_ref="Математика", lesson_date=day,
                        mark=MarkValue(scale="five_point", value="4", numeric=Decimal(4)), control_form="1"),
        DiaryMarkRecord(ref="m4", row=4, student_ref="p1001", subject_ref="Русский язык",
                        lesson_date=dt.date(2025, 9, 13), mark=MarkValue(scale="pass_fail", value="pass",
                                                                         numeric=None)),
    )
    assert batch.errors == ()


def test_mixed_export_keeps_good_rows_and_reports_the_bad_ones():
    batch = sample("foreign-eljur-mixed.xml")
    assert batch.header.created == dt.datetime(2025, 9, 15, tzinfo=MSK)
    assert [(s.ref, s.person.last_name, s.person.first_name, s.person.middle_name) for s in batch.students] == [
        ("p1", "Мамедов", "Эльчин", "Рашид оглы")
    ]
    assert batch.class_groups == (
        ClassGroupRecord(ref="7Б", row=1, name="7Б", school_year="2025/2026", program_kind="13", grade=7,
                         letter="Б"),
    )
    assert batch.subjects == (
        SubjectRecord(ref="Алгебра", row=1, name="Алгебра", base_subject="12"),
        SubjectRecord(ref="Робототехника", row=2, name="Робототехника"),
    )
    assert [(m.ref, m.subject_ref, m.mark.value, m.control_form) for m in batch.diary_marks] == [
        ("1", "Алгебра", "3", None), ("5", "Робототехника", "exempt", None)
    ]
    assert flatten(batch.errors) == [
        ("Students", 2, "p2", "@fio", "BAD_FULL_NAME", "Сидоров"),
        ("Students", 2, "p2", "@birthday", "BAD_DATE_DMY", "31.02.2013"),
        ("Students", 2, "p2", "@sex", "UNKNOWN_NAME", "X"),
        ("Students", 3, "p3", "@snils", "SNILS_CHECKSUM", "123-456-789 65"),
        ("Students", 3, "p3", "@class", "BAD_CLASS_NAME", "15Я"),
        ("Students", 4, "p1", "@id", "DUPLICATE_REF", "p1"),
        ("Students", 5, None, "@id", "REQUIRED", None),
        ("Students", 5, None, "@birthday", "DATE_IN_FUTURE", "20.09.2025"),
        ("DiaryMarks", 1, "1", "@type", "UNMAPPED_NAME", "Устный опрос"),
        ("DiaryMarks", 2, "2", "@pupil", "REF_REJECTED", "p2"),
        ("DiaryMarks", 3, "3", "@pupil", "UNKNOWN_REF", "p9"),
        ("DiaryMarks", 4, "4", "@value", "MARK_VALUE_INVALID", "7"),
        ("DiaryMarks", 4, "4", "@weight", "BAD_NUMBER", "x"),
        ("DiaryMarks", 5, "5", "@subject", "BASE_SUBJECT_MISSING", "Робототехника"),
        ("DiaryMarks", 7, "7", "@date", "REQUIRED", None),
    ]
    severities = {error.code: error.severity for error in batch.errors}
    assert severities["UNMAPPED_NAME"] == severities["BASE_SUBJECT_MISSING"] == "warning"


def test_bad_school_inn_is_a_row_error_of_the_header():
    document = (SAMPLES / "foreign-eljur-clean.xml").read_bytes().replace(b"7707083893", b"7707083894")
    batch = read_journal(document)
    assert batch.header.org_inn is None
    assert flatten(batch.errors) == [("Packet", 1, "EJ-2025-09-15-001", "@school_inn", "INN_CHECKSUM", "7707083894")]


def test_a_signature_after_the_rows_is_ignored():
    document = (SAMPLES / "foreign-eljur-clean.xml").read_bytes().replace(
        b"</eljur_export>",
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></eljur_export>',
    )
    assert read_journal(document) == sample("foreign-eljur-clean.xml")


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (b"<Packet/>", "NOT_ELJUR"),
        (b'<e:eljur_export xmlns:e="urn:x" generated="01.01.2025" school_year="2024/2025"/>', "NOT_ELJUR"),
        (b'<eljur_export school_year="2024/2025"/>', "BAD_HEADER"),
        (b'<eljur_export generated="2025-01-01" school_year="2024/2025"/>', "BAD_HEADER"),
        (b'<eljur_export generated="01.01.2025 25:00" school_year="2024/2025"/>', "BAD_HEADER"),
        (b'<eljur_export generated="01.01.2025" school_year="2024/2026"/>', "BAD_HEADER"),
        (b"<eljur_export", "UNSAFE_XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><eljur_export/>', "UNSAFE_XML"),
        (b"", "UNSAFE_XML"),
    ],
)
def test_documents_that_are_no_export_are_refused(document, code):
    with pytest.raises(ForeignFormatError) as caught:
        read_journal(document)
    assert caught.value.code == code
    assert caught.value.message


def test_an_export_without_rows_is_an_empty_batch():
    root = parse_bytes(b'<eljur_export generated="01.01.2025" school_year="2024/2025" school_inn="7707083893"/>')
    batch = map_journal(root, content_digest="ab")
    assert batch.header.packet_id == "sha256:ab"
    assert (batch.students, batch.diary_marks, batch.errors) == ((), (), ())


attribute_values = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20),
    st.sampled_from(["p1", "p2", "5А", "31.02.2014", "01.09.2025", "М", "Ж", "4+", "н", "к/р", "Математика",
                     "Иванов Иван", "123-456-789 64", "-1", "NaN", "Infinity", "1e999"]),
)
pupil_names = ["id", "fio", "birthday", "sex", "snils", "class"]
mark_names = ["id", "pupil", "subject", "date", "value", "type", "weight", "comment"]


def element(tag, names):
    return st.dictionaries(st.sampled_from(names), attribute_values, max_size=len(names)).map(
        lambda attributes: (tag, attributes)
    )


@settings(max_examples=200, deadline=None)
@given(
    pupils=st.lists(element("pupil", pupil_names), max_size=5),
    marks=st.lists(element("mark", mark_names), max_size=8),
    junk=st.lists(element("something", ["x"]), max_size=2),
)
def test_malformed_rows_become_row_errors_never_exceptions(pupils, marks, junk):
    root = etree.Element("eljur_export", generated="15.09.2025 18:30", school_year="2025/2026",
                         school_inn="7707083893")
    for container, rows in (("pupils", pupils + junk), ("marks", marks)):
        holder = etree.SubElement(root, container)
        for tag, attributes in rows:
            etree.SubElement(holder, tag, attributes)
    batch = read_journal(etree.tostring(root))
    assert all(error.code in ROW_ERROR_TEMPLATES for error in batch.errors)
    rejected = {(e.section, e.row) for e in batch.errors if e.severity == "error"}
    assert not rejected & {("Students", s.row) for s in batch.students}
    assert not rejected & {("DiaryMarks", m.row) for m in batch.diary_marks}
    assert {m.student_ref for m in batch.diary_marks} <= {s.ref for s in batch.students}


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                 st.text(max_size=50).map(lambda t: f'<eljur_export generated="{t}">'.encode())))
def test_garbage_raises_only_the_typed_error(content):
    try:
        read_journal(content)
    except ForeignFormatError as exc:
        assert exc.code in {"UNSAFE_XML", "NOT_ELJUR", "BAD_HEADER"}
