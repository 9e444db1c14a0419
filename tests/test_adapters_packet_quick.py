"""The one-pass reader of plain quarter marks (``quick_period_mark``) gives exactly what the full
reader gives, and leaves every row with anything to report or normalise to the full reader."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from lxml import etree

from adapters.packet import PacketSchemaError, iter_packet, packet_schema
from adapters.packet_fields import NS
from adapters.packet_marks import quick_period_mark, read_period_mark
from adapters.packet_state import PacketState
from adapters.records import BatchHeader

PLAIN = {"StudentRef": "s1", "SubjectRef": "sub", "PeriodRef": "q1", "SchoolYear": "2024/2025",
         "Scale": "five_point", "Value": "4"}
# (case, fields in order: name → text, or None for an empty element; the quick reader takes it)
CASES: list[tuple[str, list[tuple[str, str | None]], bool]] = [
    ("plain", list(PLAIN.items()), True),
    ("plain-other-value", [*list(PLAIN.items())[:5], ("Value", "2")], True),
    ("pass-fail-scale", [*list(PLAIN.items())[:4], ("Scale", "pass_fail"), ("Value", "pass")], True),
    ("hundred-point", [*list(PLAIN.items())[:4], ("Scale", "hundred"), ("Value", "87")], True),
    ("spaces-to-collapse", [("StudentRef", " s1 "), *list(PLAIN.items())[1:]], False),
    ("inner-space", [*list(PLAIN.items())[:3], ("SchoolYear", "2024/ 2025"), *list(PLAIN.items())[4:]], False),
    ("tab", [*list(PLAIN.items())[:5], ("Value", "4\t")], False),
    ("unknown-student", [("StudentRef", "s9"), *list(PLAIN.items())[1:]], False),
    ("unknown-subject", [("StudentRef", "s1"), ("SubjectRef", "x"), *list(PLAIN.items())[2:]], False),
    ("unknown-period", [*list(PLAIN.items())[:2], ("PeriodRef", "q9"), *list(PLAIN.items())[3:]], False),
    ("bad-year", [*list(PLAIN.items())[:3], ("SchoolYear", "2024/2026"), *list(PLAIN.items())[4:]], False),
    ("unknown-scale", [*list(PLAIN.items())[:4], ("Scale", "seven"), ("Value", "4")], False),
    ("value-off-scale", [*list(PLAIN.items())[:5], ("Value", "7")], False),
    ("hundred-out-of-range", [*list(PLAIN.items())[:4], ("Scale", "hundred"), ("Value", "101")], False),
    ("not-attested", [*list(PLAIN.items())[:4], ("Scale", "na")], False),
    ("empty-value", [*list(PLAIN.items())[:5], ("Value", None)], False),
    ("annual-kind", [*list(PLAIN.items())[:2], ("Kind", "annual"), *list(PLAIN.items())[3:]], False),
    ("repeated-element", [*list(PLAIN.items())[:5], ("StudentRef", "s1")], False),
    ("missing-value", list(PLAIN.items())[:5], False),
    ("refs-swapped", [("SubjectRef", "sub"), ("StudentRef", "s1"), *list(PLAIN.items())[2:]], False),
    ("year-after-scale", [*list(PLAIN.items())[:3], *list(PLAIN.items())[4:], list(PLAIN.items())[3]], False),
]


def _element(fields: list[tuple[str, str | None]]) -> etree._Element:
    children = "".join(f"<{name}>{text or ''}</{name}>" for name, text in fields)
    return etree.fromstring(f'<PeriodMark xmlns="{NS}" providerRef="p1">{children}</PeriodMark>')


@pytest.mark.parametrize(("fields", "quick"), [(f, q) for _, f, q in CASES], ids=[c for c, _, _ in CASES])
def test_quick_reader_equals_full_reader(fields: list[tuple[str, str | None]], quick: bool) -> None:
    header = BatchHeader(packet_id="p", provider="netschool", created=datetime(2025, 6, 1, tzinfo=UTC),
                         org_inn=None, org_kpp=None, version="1.0.0")
    state = PacketState(header=header)
    state.accepted.update({"Students": {"s1"}, "Subjects": {"sub"}, "StudyPeriods": {"q1"}})
    element = _element(fields)
    record, errors = state.map_row("PeriodMarks", element, 7, lambda f: read_period_mark(f, state))
    fast = quick_period_mark(element, state, 7)
    if quick:
        assert errors == [] and record is not None
        assert fast == record
    else:
        assert fast is None


def _packet(fields: list[tuple[str, str | None]], *, annual: bool = False) -> bytes:
    """A whole packet with the one mark row (a student, a subject and a quarter it may point at)."""
    children = "".join(f"<{name}>{text or ''}</{name}>" for name, text in fields)
    return (
        f'<Packet xmlns="{NS}" id="p-1" version="1.0.0" created="2025-06-01T10:00:00+03:00" provider="netschool">'
        "<Subjects><Subject providerRef='sub'><Name>Математика</Name><BaseSubject>11</BaseSubject></Subject></Subjects>"
        "<StudyPeriods><StudyPeriod providerRef='q1'><Kind>quarter</Kind><Number>1</Number>"
        "<SchoolYear>2024/2025</SchoolYear><StartDate>2024-09-02</StartDate><EndDate>2024-10-25</EndDate>"
        "</StudyPeriod></StudyPeriods>"
        "<Students><Student providerRef='s1'><LastName>Иванов</LastName><FirstName>Пётр</FirstName><Sex>1</Sex>"
        "<BirthDate>2013-05-10</BirthDate><Citizenship>1</Citizenship></Student></Students>"
        f"<PeriodMarks><PeriodMark providerRef='p1'>{children}</PeriodMark></PeriodMarks></Packet>"
    ).encode()


def _streamed_marks(data: bytes, *, validate: bool) -> tuple[list[object], list[object]]:
    records, errors = [], []
    for chunk in iter_packet(io.BytesIO(data), validate=validate):
        if chunk.section == "PeriodMarks":
            records.extend(chunk.records)
            errors.extend(chunk.errors)
    return records, errors


@pytest.mark.parametrize("fields", [f for _, f, _ in CASES], ids=[c for c, _, _ in CASES])
def test_streamed_marks_equal_the_full_reader_with_and_without_the_schema(fields: list[tuple[str, str | None]]) -> None:
    """The validated stream reads marks by position (``state.validated``): wherever the schema accepts
    the row, the result equals the unvalidated stream's and the full reader's; a row it refuses fails
    the packet."""
    data = _packet(fields)
    unchecked = _streamed_marks(data, validate=False)
    state = PacketState(header=BatchHeader(packet_id="p-1", provider="netschool",
                                           created=datetime(2025, 6, 1, 10, tzinfo=UTC), org_inn=None, org_kpp=None))
    state.accepted.update({"Students": {"s1"}, "Subjects": {"sub"}, "StudyPeriods": {"q1"}})
    record, errors = state.map_row("PeriodMarks", _element(fields), 1, lambda f: read_period_mark(f, state))
    assert unchecked == ([record] if record is not None else [], errors)
    if packet_schema().validate(etree.fromstring(data)):
        assert _streamed_marks(data, validate=True) == unchecked
    else:
        with pytest.raises(PacketSchemaError):
            _streamed_marks(data, validate=True)


@pytest.mark.parametrize("validated", [False, True])
def test_quick_reader_leaves_misplaced_or_foreign_children_to_the_full_reader(validated: bool) -> None:
    header = BatchHeader(packet_id="p", provider="netschool", created=datetime(2025, 6, 1, tzinfo=UTC),
                         org_inn=None, org_kpp=None, version="1.0.0")
    state = PacketState(header=header, validated=validated)
    state.accepted.update({"Students": {"s1"}, "Subjects": {"sub"}, "StudyPeriods": {"q1", "annual"}})
    kind = [*list(PLAIN.items())[:2], ("Kind", "annual"), *list(PLAIN.items())[3:]]
    assert quick_period_mark(_element(kind), state, 1) is None  # an annual mark, whatever the schema says
    plain = list(PLAIN.items())
    swapped = [plain[1], plain[0], *plain[2:]]
    if not validated:  # the schema would refuse the packet: only the unvalidated reader looks
        assert quick_period_mark(_element(swapped), state, 1) is None
    assert quick_period_mark(_element(list(PLAIN.items())), state, 1) is not None
