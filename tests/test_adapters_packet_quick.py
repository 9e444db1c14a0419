"""The one-pass reader of plain quarter marks (``quick_period_mark``) gives exactly what the full
reader gives, and leaves every row with anything to report or normalise to the full reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

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
