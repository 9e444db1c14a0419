import io
import re
import string
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from adapters.packet import (
    PacketSchemaError,
    iter_packet,
    map_packet,
    packet_schema,
    validate_packet,
)
from adapters.packet_fields import NS
from adapters.records import MappedBatch
from adapters.rowerrors import ROW_ERROR_TEMPLATES, flatten, row_error
from adapters.safexml import UnsafeXml, parse_bytes
from xsd import schema_path

SAMPLES = Path(__file__).parent / "samples"
XS = "{http://www.w3.org/2001/XMLSchema}"
DSIG = "http://www.w3.org/2000/09/xmldsig#"


def load(name: str) -> etree._Element:
    return parse_bytes((SAMPLES / name).read_bytes())


def header(extra: str = "", body: str = "") -> bytes:
    return (
        f'<Packet xmlns="{NS}" id="p-1" version="1.0.0" created="2025-03-01T10:00:00+03:00" '
        f'provider="netschool" orgInn="7707083893"{extra}>{body}</Packet>'
    ).encode()


# --- the schema --------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("packet-*.xml")))
def test_every_sample_packet_is_valid(sample):
    validate_packet(load(sample))


def test_schema_is_documented_in_russian_everywhere():
    tree = etree.parse(str(schema_path("packet-1.0.0.xsd")))
    root = tree.getroot()
    assert root.get("targetNamespace") == NS
    assert root.get("elementFormDefault") == "qualified"
    documented = [
        node
        for node in root.iter(f"{XS}element", f"{XS}attribute", f"{XS}complexType", f"{XS}simpleType", f"{XS}group")
        if node.get("name") is not None
    ]
    assert len(documented) > 150
    for node in documented:
        text = node.findtext(f"{XS}annotation/{XS}documentation") or ""
        assert re.search("[А-Яа-яЁё]", text), node.get("name")


def test_signature_may_close_the_packet_but_nothing_else_foreign():
    signature = f'<ds:Signature xmlns:ds="{DSIG}"><ds:SignedInfo/></ds:Signature>'
    validate_packet(parse_bytes(header(' Id="packet"', signature)))
    with pytest.raises(PacketSchemaError):
        validate_packet(parse_bytes(header(body='<x:Extra xmlns:x="urn:other"/>')))


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (header().replace(b' provider="netschool"', b""), "provider"),
        (header().replace(b'version="1.0.0"', b'version="2.0.0"'), "version"),
        (header().replace(b'orgInn="7707083893"', b'orgInn="77070838"'), "orgInn"),
        (header(body="<Students><Student providerRef='a'><LastName>И</LastName></Student></Students>"), "FirstName"),
        (
            header(
                body="<Students><Student providerRef='a'><LastName>И</LastName><FirstName>П</FirstName>"
                "<Sex>1</Sex><BirthDate>2013-05-10</BirthDate><Citizenship>1</Citizenship>"
                "<Snils>112-233-44595</Snils></Student></Students>"
            ),
            "Snils",
        ),
    ],
)
def test_schema_violations_carry_line_and_message(document, fragment):
    with pytest.raises(PacketSchemaError) as caught:
        validate_packet(parse_bytes(document))
    issues = caught.value.issues
    assert issues and all(issue.line >= 1 for issue in issues)
    assert any(fragment in issue.message for issue in issues)
    assert caught.value.message.startswith("Пакет не соответствует схеме")
    assert isinstance(caught.value, ValueError)


def test_a_foreign_root_is_a_schema_error_for_the_mapper_too():
    with pytest.raises(PacketSchemaError):
        map_packet(parse_bytes(b'<Packet xmlns="urn:other" id="1"/>'))


# --- mapping -----------------------------------------------------------------------------------


def test_school_sample_maps_to_normalised_records():
    batch = map_packet(load("packet-school.xml"))
    assert batch.errors == ()
    assert batch.header.packet_id == "6f1c3c1e-2a7b-4c1a-9d3e-0b5f1e2d3c4a"
    assert batch.header.provider == "netschool"
    assert batch.header.created == datetime(2025, 3, 1, 10, tzinfo=timezone(timedelta(hours=3)))
    assert (batch.header.org_inn, batch.header.org_kpp) == ("7707083893", "770701001")
    assert batch.organization is not None
    assert batch.organization.branches[0].oktmo == "45382000001"
    assert batch.organization.addresses[0].fias_guid == "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"
    student = batch.students[0]
    assert student.person.snils == "11223344595"
    assert (student.person.documents[0].series, student.person.documents[0].number) == ("IV-МЮ", "123456")
    mother = student.representatives[0].person
    assert (mother.documents[0].series, mother.documents[0].number) == ("4509", "123456")
    assert mother.inn == "500100732259"
    assert student.health is not None and student.health.health_group == "2" and student.health.ovz is False
    assert [e.ref for e in batch.enrolments] == ["e1", "e2"]
    assert batch.enrolments[1].exit_date == date(2025, 2, 14)
    first, second = batch.diary_marks
    assert (first.mark.numeric, first.weight, first.control_form) == (Decimal(5), Decimal(2), "1")
    assert (second.mark.value, second.mark.numeric, second.weight) == ("exempt", None, Decimal(1))
    assert [(m.kind, m.period_ref, m.mark.value) for m in batch.period_marks] == [
        ("period", "q3", "4"),
        ("annual", None, "pass"),
    ]
    assert batch.exam_results[0].mark.numeric == Decimal(78)


def test_preschool_sample_maps_groups_and_queue():
    batch = map_packet(load("packet-preschool.xml"))
    assert batch.errors == ()
    assert batch.organization is not None and batch.organization.ogrn == "304500116000157"
    assert [(g.orientation, g.compensating_profile, g.regime, g.age_band) for g in batch.class_groups] == [
        ("1", None, "3", "3"),
        ("2", "2", "3", "4"),
    ]
    application = batch.queue_applications[0]
    assert application.child.documents[0].series == "XI-МЮ"
    assert application.applicant.person.snils == "98765432183"
    assert [(p.priority, p.inn, p.kpp) for p in application.preferred_organizations] == [
        (1, "500100732259", None),
        (2, "7707083893", "770701001"),
    ]


MIXED_ERRORS = [
    ("Packet", 1, "mixed-1", "@orgInn", "INN_CHECKSUM", "7707083894"),
    ("Organization", 1, None, "Ogrn", "OGRN_CHECKSUM", "1027700132194"),
    ("ClassGroups", 2, "g2", "SchoolYear", "BAD_SCHOOL_YEAR", "2024/2026"),
    ("ClassGroups", 2, "g2", "ProgramKind", "UNKNOWN_CODE", "99"),
    ("Subjects", 2, "s2", "BaseSubject", "BASE_SUBJECT_MISSING", "Краеведение"),
    ("Subjects", 3, "s3", "BaseSubject", "UNKNOWN_CODE", "99"),
    ("StudyPeriods", 2, "q4", "EndDate", "END_BEFORE_START", "2025-03-31"),
    ("Students", 2, "st2", "Snils", "SNILS_CHECKSUM", "112-233-445 94"),
    ("Students", 2, "st2", "Representatives/Representative[1]/Kind", "UNKNOWN_CODE", "9"),
    ("Students", 4, "st1", "@providerRef", "DUPLICATE_REF", "st1"),
    ("Enrolments", 2, "e2", "StudentRef", "REF_REJECTED", "st2"),
    ("Enrolments", 3, "e3", "StudentRef", "UNKNOWN_REF", "st9"),
    ("Enrolments", 3, "e3", "ClassGroupRef", "REF_REJECTED", "g2"),
    ("Enrolments", 4, "e4", "ExitDate", "EXIT_BEFORE_ENTRY", "2024-08-01"),
    ("Enrolments", 5, "e5", "EducationLevel", "BIRTH_DATE_IMPLAUSIBLE", "3"),
    ("Enrolments", 6, "e6", "ExitReason", "REQUIRED", None),
    ("DiaryMarks", 2, "m2", "Value", "MARK_VALUE_INVALID", "6"),
    ("DiaryMarks", 3, "m3", "SubjectRef", "REF_REJECTED", "s3"),
    ("DiaryMarks", 4, "m4", "Date", "DATE_IN_FUTURE", "2025-04-01"),
    ("PeriodMarks", 2, "p2", "PeriodRef", "REF_REJECTED", "q4"),
    ("ExamResults", 1, "x1", "Value", "MARK_VALUE_INVALID", "101"),
    (
        "QueueApplications",
        2,
        "qa2",
        "Child/IdentityDocuments/IdentityDocument[1]/Number",
        "BIRTH_CERTIFICATE_FORMAT",
        "IIII-АБ 123456",
    ),
    ("QueueApplications", 2, "qa2", "CompensatingProfile", "REQUIRED", None),
    (
        "QueueApplications",
        2,
        "qa2",
        "PreferredOrganizations/PreferredOrganization[1]/Inn",
        "INN_CHECKSUM",
        "7707083894",
    ),
]


def accepted_refs(batch: MappedBatch) -> dict[str, list[str]]:
    return {
        "class_groups": [r.ref for r in batch.class_groups],
        "subjects": [r.ref for r in batch.subjects],
        "study_periods": [r.ref for r in batch.study_periods],
        "students": [r.ref for r in batch.students],
        "enrolments": [r.ref for r in batch.enrolments],
        "diary_marks": [r.ref for r in batch.diary_marks],
        "period_marks": [r.ref for r in batch.period_marks],
        "exam_results": [r.ref for r in batch.exam_results],
        "queue_applications": [r.ref for r in batch.queue_applications],
    }


MIXED_ACCEPTED = {
    "class_groups": ["g1"],
    "subjects": ["s1", "s2"],  # s2 has a warning only
    "study_periods": ["q3"],
    "students": ["st1", "st3"],
    "enrolments": ["e1"],
    "diary_marks": ["m1", "m5"],
    "period_marks": ["p1", "p3"],
    "exam_results": [],
    "queue_applications": ["qa1"],
}


def test_mixed_packet_reports_every_bad_row_and_keeps_the_good_ones():
    batch = map_packet(load("packet-mixed.xml"))
    assert flatten(batch.errors) == MIXED_ERRORS
    assert accepted_refs(batch) == MIXED_ACCEPTED
    assert batch.organization is None
    assert batch.header.org_inn is None
    assert batch.has_errors
    assert batch.students[0].person.documents[0].series == "IV-МЮ"  # look-alikes «1У» normalised
    messages = {error.code: error.message for error in batch.errors}
    assert messages["BIRTH_DATE_IMPLAUSIBLE"] == (
        "Возраст обучающегося на дату зачисления (4, дата рождения 2020-01-15) неправдоподобен "
        "для уровня «Основное общее образование»: допустимо 9–21"
    )
    assert messages["SNILS_CHECKSUM"] == "Неверное контрольное число СНИЛС «112-233-445 94»"


# --- streaming ---------------------------------------------------------------------------------


def collect(chunks) -> tuple[list, dict[str, list[str]], list[str]]:
    errors, refs, sections = [], {}, []
    for chunk in chunks:
        sections.append(chunk.section)
        errors.extend(chunk.errors)
        refs.setdefault(chunk.section, []).extend(getattr(r, "ref", "") for r in chunk.records)
    return flatten(errors), refs, sections


def test_streaming_gives_the_same_rows_and_errors_as_mapping():
    errors, refs, sections = collect(iter_packet(SAMPLES / "packet-mixed.xml", chunk_size=2))
    assert errors == MIXED_ERRORS
    assert refs["Students"] == ["st1", "st3"]
    assert refs["DiaryMarks"] == ["m1", "m5"]
    assert refs["QueueApplications"] == ["qa1"]
    assert sections[:3] == ["Packet", "Organization", "ClassGroups"]
    assert sections.count("DiaryMarks") == 3  # five rows in slices of at most two


def test_streaming_reads_file_objects_and_checks_the_schema():
    data = (SAMPLES / "packet-school.xml").read_bytes()
    errors, refs, _ = collect(iter_packet(io.BytesIO(data)))
    assert errors == [] and refs["Enrolments"] == ["e1", "e2"] and refs["Organization"] == [""]
    broken = data.replace(b"<Snils>112-233-445 95</Snils>", b"<Snils>1122</Snils>")
    with pytest.raises(PacketSchemaError) as caught:
        list(iter_packet(io.BytesIO(broken)))
    assert any("Snils" in issue.message for issue in caught.value.issues)


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE p [<!ENTITY x "x">]><Packet xmlns="' + NS.encode() + b'">&x;</Packet>',
        header()[:-5],
        header(body="<Subjects><Subject providerRef='a'><Name>x</Subject></Subjects>"),
        header() + b"<Packet/>",
    ],
)
def test_streaming_refuses_unsafe_or_broken_xml(data):
    with pytest.raises(UnsafeXml):
        list(iter_packet(io.BytesIO(data)))


MARK = (
    "<DiaryMark providerRef='m{n}'><StudentRef>st1</StudentRef><SubjectRef>s1</SubjectRef>"
    "<Date>2025-02-10</Date><Scale>five_point</Scale><Value>{value}</Value><Weight>1</Weight>"
    "<ControlForm>1</ControlForm><Comment>Работа на уроке, комментарий учителя для родителей</Comment></DiaryMark>\n"
)


def write_big_packet(path: Path, marks: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(header()[:-9].decode())
        out.write(
            "<Subjects><Subject providerRef='s1'><Name>Математика</Name><BaseSubject>11</BaseSubject></Subject>"
            "</Subjects><Students><Student providerRef='st1'><LastName>Иванов</LastName><FirstName>Пётр</FirstName>"
            "<Sex>1</Sex><BirthDate>2013-05-10</BirthDate><Citizenship>1</Citizenship></Student></Students>"
            "<DiaryMarks>\n"
        )
        for start in range(0, marks, 1000):
            out.write("".join(MARK.format(n=n, value=2 + n % 4) for n in range(start, min(marks, start + 1000))))
        out.write("</DiaryMarks></Packet>")


PEAK_SCRIPT = """
import resource, sys
from adapters.packet import iter_packet
rows = sum(len(chunk.records) for chunk in iter_packet(sys.argv[1]))
print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kib(path: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    rows, peak = done.stdout.split()
    return int(rows), int(peak)


@pytest.mark.slow
def test_streaming_memory_does_not_grow_with_the_size_of_the_packet(tmp_path):
    small, big = tmp_path / "small.xml", tmp_path / "big.xml"
    write_big_packet(small, 5_000)
    write_big_packet(big, 100_000)
    assert big.stat().st_size > 25 * 1024 * 1024
    small_rows, small_peak = peak_rss_kib(small)
    big_rows, big_peak = peak_rss_kib(big)
    assert (small_rows, big_rows) == (5_000 + 2, 100_000 + 2)
    # a tree kept in memory would cost several times the 25+ MB of the file
    assert big_peak - small_peak < 12 * 1024


# --- row errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ROW_ERROR_TEMPLATES))
def test_every_row_error_template_renders(code):
    template = ROW_ERROR_TEMPLATES[code]
    names = {name for _, name, _, _ in string.Formatter().parse(template.template) if name}
    params = {name: f"<{name}>" for name in names - {"value"}}
    error = row_error(code, row=3, field="Snils", value="X", section="Students", ref="st1", **params)
    assert error.flat() == ("Students", 3, "st1", "Snils", code, "X")
    assert re.search("[А-Яа-яЁё]", error.message) and "{" not in error.message
    assert error.severity in ("error", "warning")


def test_schema_is_loaded_once():
    assert packet_schema() is packet_schema()
