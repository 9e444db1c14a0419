"""A packet checked apart is parsed by the loader without its quarter marks' bytes (``packet_skip``),
the marks coming from the check's child (``packet_check``): the same slices, row errors and refusals
as one validating parse, whatever the bytes around and inside the section hold."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters import packet as packet_module
from adapters.packet import PacketSchemaError, iter_packet
from adapters.packet_fields import NS
from adapters.packet_skip import OFF, SectionSkip
from adapters.safexml import UnsafeXml

SAMPLES = Path(__file__).parent / "samples"
APART, INLINE = 0, 2**62
SUBJECTS = "".join(f"<Subject providerRef='sub{n}'><Name>Предмет {n}</Name><BaseSubject>11</BaseSubject></Subject>"
                   for n in range(2))
PERIODS = "".join(f"<StudyPeriod providerRef='q{n}'><Kind>quarter</Kind><Number>{n}</Number>"
                  "<SchoolYear>2024/2025</SchoolYear><StartDate>2024-09-02</StartDate><EndDate>2024-10-25</EndDate>"
                  "</StudyPeriod>" for n in range(1, 5))
STUDENTS = "".join(f"<Student providerRef='s{n}'><LastName>Иванов</LastName><FirstName>Пётр{n}</FirstName>"
                   "<Sex>1</Sex><BirthDate>2013-05-10</BirthDate><Citizenship>1</Citizenship></Student>"
                   for n in range(30))


def period_mark(n: int, value: str | None = None) -> str:
    return (f"<PeriodMark providerRef='p{n}'><StudentRef>s{n % 30}</StudentRef><SubjectRef>sub{n % 2}</SubjectRef>"
            f"<PeriodRef>q{n % 4 + 1}</PeriodRef><SchoolYear>2024/2025</SchoolYear><Scale>five_point</Scale>"
            f"<Value>{value or 3 + n % 3}</Value></PeriodMark>\n")


def packet(*, marks: str | None = None, before: str = "", after: str = "", prolog: str = "",
           start: str = "<PeriodMarks>", end: str = "</PeriodMarks>") -> bytes:
    if marks is None:
        marks = "".join(period_mark(n) for n in range(400))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<Packet xmlns="{NS}" id="p-1" version="1.0.0" '
            'created="2025-06-01T10:00:00+03:00" provider="netschool" orgInn="7707083893">'
            f"<Subjects>{SUBJECTS}</Subjects><StudyPeriods>{PERIODS}</StudyPeriods>"
            f"<Students>{before}{STUDENTS}</Students>{start}{marks}{end}{after}</Packet>").encode()


def recorded(monkeypatch, module: object, name: str) -> list:
    """Every instance made of the class ``module.name`` while the test runs, in order."""
    made: list = []
    original = getattr(module, name)

    class Recorded(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(module, name, Recorded)
    return made


@pytest.fixture
def skips(monkeypatch) -> list[SectionSkip]:
    return recorded(monkeypatch, packet_module, "SectionSkip")


def slices(path: Path, check_apart_from: int) -> list:
    return [(chunk.section, chunk.records, chunk.errors)
            for chunk in iter_packet(path, chunk_size=50, check_apart_from=check_apart_from)]


def same_as_inline(tmp_path: Path, data: bytes, skips: list[SectionSkip]) -> tuple[list, SectionSkip]:
    path = tmp_path / "packet.xml"
    path.write_bytes(data)
    apart = slices(path, APART)
    assert apart == slices(path, INLINE)
    return apart, skips[-1]


def marks_of(result: list) -> list:
    return [record for section, records, _ in result if section == "PeriodMarks" for record in records]


@pytest.mark.parametrize("read_bytes", [1 << 16, 97, 7])
def test_the_marks_bytes_are_skipped_and_the_marks_come_from_the_check(monkeypatch, tmp_path, skips, read_bytes):
    monkeypatch.setattr(packet_module, "READ_BYTES", read_bytes)  # tags and comments cut anywhere
    data = packet(prolog="<!-- <PeriodMarks> in a comment -->\n<?pi <PeriodMarks>?>\n")
    result, skip = same_as_inline(tmp_path, data, skips)
    assert len(marks_of(result)) == 400
    section = data[data.rindex(b"<PeriodMarks>") + len(b"<PeriodMarks>") : data.rindex(b"</PeriodMarks>")]
    assert skip.skipped == len(section)


def test_a_prefixed_section_with_declarations_in_its_tag_is_skipped(tmp_path, skips):
    marks = "".join(period_mark(n) for n in range(100)).replace("<PeriodMark ", f"<PeriodMark xmlns='{NS}' ")
    data = packet(marks=marks, start=f"<p:PeriodMarks xmlns:p='{NS}' xmlns:x=\"urn:a/b?c=d\" >",
                  end="</p:PeriodMarks\n >")
    result, skip = same_as_inline(tmp_path, data, skips)
    assert len(marks_of(result)) == 100 and skip.skipped > 100 * 200


def test_comments_and_cdata_inside_the_section_are_stepped_over(tmp_path, skips):
    marks = (period_mark(1) + "<!-- </PeriodMarks> -->" + period_mark(2, "<![CDATA[4]]>")
             + "<?note </PeriodMarks>?>" + period_mark(3))
    result, skip = same_as_inline(tmp_path, packet(marks=marks), skips)
    assert [record.ref for record in marks_of(result)] == ["p1", "p2", "p3"]
    assert skip.skipped == len(marks.encode())


def test_a_name_of_the_section_elsewhere_is_not_taken_for_it(tmp_path, skips):
    # no PeriodMarks section; an element of that name in a signature (which the schema lets through lax)
    signature = ("<ds:Signature xmlns:ds='http://www.w3.org/2000/09/xmldsig#'><x:PeriodMarks xmlns:x='urn:other'>"
                 "<x:PeriodMark/></x:PeriodMarks></ds:Signature>")
    result, skip = same_as_inline(tmp_path, packet(marks="", start="", end="", after=signature), skips)
    assert not marks_of(result) and skip.skipped == 0 and skip.state == OFF


def test_rows_the_check_cannot_take_as_columns_are_read_row_by_row(tmp_path, skips):
    odd = [period_mark(1).replace("<PeriodRef>q2</PeriodRef>", "<Kind>annual</Kind>"),  # an annual mark
           period_mark(2).replace("<StudentRef>s2</StudentRef>", "<StudentRef>s99</StudentRef>"),  # unknown student
           period_mark(3).replace("<Value>3</Value>", "<Value> 3 </Value>")]  # spaces to collapse
    marks = "".join(odd) + "".join(period_mark(n) for n in range(4, 200))
    result, skip = same_as_inline(tmp_path, packet(marks=marks), skips)
    errors = [error for section, _, errors in result if section == "PeriodMarks" for error in errors]
    assert [(error.row, error.field, error.value) for error in errors] == [(2, "StudentRef", "s99")]
    assert len(marks_of(result)) == 198 and skip.skipped > 0


def refusal(path: Path, check_apart_from: int) -> tuple[type, tuple[str, ...]]:
    with pytest.raises((PacketSchemaError, UnsafeXml)) as caught:
        slices(path, check_apart_from)
    error = caught.value
    if isinstance(error, PacketSchemaError):
        return type(error), tuple(f"{issue.line}: {issue.message}" for issue in error.issues)
    return type(error), (error.reason, error.message)


@pytest.mark.parametrize(("name", "marks", "cut"), [
    ("violation", period_mark(1) + period_mark(2, "4</Value><Value>5") + period_mark(3), None),
    ("mismatched tag", period_mark(1) + period_mark(2).replace("</Scale>", "</Scala>") + period_mark(3), None),
    ("truncated", "".join(period_mark(n) for n in range(50)), b"<Value>4</Va"),
    ("declaration", period_mark(1) + "<!ELEMENT x ANY>" + period_mark(2), None),
    ("quote in a tag name", period_mark(1) + period_mark(2).replace("<Scale>", "<Sca'le>") + period_mark(3), None),
    ("empty", "", None),
])
def test_a_broken_section_is_refused_as_by_one_validating_parse(tmp_path, skips, name, marks, cut):
    data = packet(marks=marks, start="<PeriodMarks/>", end="") if name == "empty" else packet(marks=marks)
    if cut is not None:
        data = data[: data.rindex(cut) + len(cut)]
    path = tmp_path / "packet.xml"
    path.write_bytes(data)
    apart = refusal(path, APART)
    assert apart == refusal(path, INLINE)
    assert apart[0] is (PacketSchemaError if name in {"violation", "empty"} else UnsafeXml)


def read_all(data: bytes, size: int = 64) -> tuple[bytes, SectionSkip]:
    raw = io.BytesIO(data)
    skip = SectionSkip(raw, raw)
    out = b""
    while chunk := skip.read(size):
        out += chunk
    return out, skip


@pytest.mark.parametrize("data", [
    packet().decode().replace("UTF-8", "UTF-16").encode(),  # declared another encoding
    b"\xff\xfe" + packet().decode().encode("utf-16-le"),
])
def test_no_skip_but_in_utf8(data):
    out, skip = read_all(data)
    assert out == data and skip.skipped == 0


def test_without_the_parsers_confirmation_nothing_is_skipped():
    data = packet()
    out, skip = read_all(data)  # nobody confirms the tag found
    assert out == data and skip.skipped == 0 and skip.state == OFF
