"""Quarter marks read a batch at a time while a packet streams (``quick_period_marks``) give exactly
what reading them row by row gives: the same records in the same slices, the same row errors."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from adapters import packet as packet_module
from adapters.packet import iter_packet
from adapters.packet_fields import NS
from adapters.records import MarkValue, PeriodMarkColumns

STUDENT = ("<Student providerRef='s{n}'><LastName>Иванов</LastName><FirstName>Пётр{n}</FirstName><Sex>1</Sex>"
           "<BirthDate>2013-05-10</BirthDate><Citizenship>1</Citizenship></Student>")
PLAIN = ("s{student}", "sub{subject}", "q{period}", "2024/2025", "five_point", "{value}")
ODD = {
    # a row the batch reader must leave to the row reader: it has something to report or normalise
    "annual": lambda f: [f[0], f[1], ("Kind", "annual"), *f[3:]],
    "no-value": lambda f: f[:5],
    "unknown-student": lambda f: [("StudentRef", "s999"), *f[1:]],
    "unknown-period": lambda f: [*f[:2], ("PeriodRef", "q9"), *f[3:]],
    "off-scale": lambda f: [*f[:5], ("Value", "7")],
    "bad-year": lambda f: [*f[:3], ("SchoolYear", "2024/2026"), *f[4:]],
    "pass-fail": lambda f: [*f[:4], ("Scale", "pass_fail"), ("Value", "pass")],
}
NAMES = ("StudentRef", "SubjectRef", "PeriodRef", "SchoolYear", "Scale", "Value")


def mark(n: int, rng: random.Random, odd: str | None) -> str:
    values = {"student": rng.randrange(40), "subject": rng.randrange(3), "period": rng.randrange(1, 5),
                  "value": rng.randrange(2, 6)}
    fields = [(name, text.format(**values)) for name, text in zip(NAMES, PLAIN, strict=True)]
    if odd is not None:
        fields = ODD[odd](fields)
    body = "".join(f"<{name}>{text}</{name}>" for name, text in fields)
    return f"<PeriodMark providerRef='p{n % 5000}'>{body}</PeriodMark>\n"  # refs repeat: not tracked


def write_packet(path: Path, marks: int, odd_share: float, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<Packet xmlns="{NS}" id="p-1" version="1.0.0" created="2025-06-01T10:00:00+03:00" '
                  'provider="netschool" orgInn="7707083893"><Subjects>')
        out.write("".join(f"<Subject providerRef='sub{n}'><Name>Предмет {n}</Name><BaseSubject>11</BaseSubject>"
                          "</Subject>" for n in range(3)))
        out.write("</Subjects><StudyPeriods>")
        out.write("".join(f"<StudyPeriod providerRef='q{n}'><Kind>quarter</Kind><Number>{n}</Number>"
                          "<SchoolYear>2024/2025</SchoolYear><StartDate>2024-09-02</StartDate>"
                          "<EndDate>2024-10-25</EndDate></StudyPeriod>" for n in range(1, 5)))
        out.write("</StudyPeriods><Students>")
        out.write("".join(STUDENT.format(n=n) for n in range(40)))
        out.write("</Students><PeriodMarks>\n")
        for n in range(marks):
            odd = rng.choice(sorted(ODD)) if rng.random() < odd_share else None
            out.write(mark(n, rng, odd))
        out.write("</PeriodMarks></Packet>")


def slices(path: Path, chunk_size: int, check_apart_from: int = 2**62) -> list:
    return [(chunk.section, chunk.records, chunk.errors)
            for chunk in iter_packet(path, chunk_size=chunk_size, check_apart_from=check_apart_from)]


@pytest.mark.parametrize("apart", [False, True], ids=["inline", "marks-from-the-check"])
@pytest.mark.parametrize(("odd_share", "chunk_size"), [(0.0, 1000), (0.0, 7), (0.0005, 1000), (0.05, 333)])
def test_marks_read_in_batches_equal_marks_read_row_by_row(monkeypatch, tmp_path, odd_share, chunk_size, apart):
    """Inline, the loader reads the batches; apart, the schema check's child takes them apart
    (``packet_check``) and the loader checks and maps its columns or rows (``add_columns``)."""
    path = tmp_path / "packet.xml"
    write_packet(path, marks=6000, odd_share=odd_share, seed=int(odd_share * 10_000) + chunk_size)
    assert path.stat().st_size > 4 * packet_module.READ_BYTES  # several batches, cut anywhere
    batched = slices(path, chunk_size, 0 if apart else 2**62)
    calls: list[int] = []
    original = packet_module.quick_period_marks
    monkeypatch.setattr(packet_module, "quick_period_marks", lambda *args: calls.append(1) or None)
    row_by_row = slices(path, chunk_size)
    assert calls  # the reference really read row by row
    assert batched == row_by_row
    marks = [record for section, records, _ in batched if section == "PeriodMarks" for record in records]
    errors = [error for _, _, errors in batched for error in errors]
    assert len(marks) + len({(e.section, e.row) for e in errors if e.severity == "error"}) >= 6000 * 0.9
    if odd_share:
        assert errors
    monkeypatch.setattr(packet_module, "quick_period_marks", original)


def test_a_batch_with_an_annual_mark_is_read_row_by_row(tmp_path):
    path = tmp_path / "packet.xml"
    write_packet(path, marks=600, odd_share=0.0, seed=1)
    data = path.read_text(encoding="utf-8").replace("<PeriodRef>q1</PeriodRef>", "<Kind>annual</Kind>", 1)
    path.write_text(data, encoding="utf-8")
    records = [r for section, records, _ in slices(path, 1000) if section == "PeriodMarks" for r in records]
    assert len(records) == 600
    assert sum(record.kind == "annual" for record in records) == 1
    assert [record.row for record in records] == list(range(1, 601))


def columns(first_row: int, count: int) -> PeriodMarkColumns:
    mark = MarkValue(scale="five_point", value="5", numeric=Decimal(5))
    return PeriodMarkColumns(first_row=first_row, refs=[f"p{n}" for n in range(count)],
                             student_refs=[f"s{n}" for n in range(count)], subject_refs=["sub"] * count,
                             period_refs=["q1"] * count, school_years=["2024/2025"] * count, marks=[mark] * count)


def test_columns_are_the_sequence_of_their_records():
    run = columns(10, 4)
    records = tuple(run)
    assert [r.row for r in records] == [10, 11, 12, 13] and records[2].student_ref == "s2"
    assert run == records and records == run and list(records) == run and run != records[:3]
    assert run[-1] == records[-1] and run[1:3] == records[1:3] and run[1:3].first_row == 11
    with pytest.raises(IndexError):
        run[4]
    joined = PeriodMarkColumns.joined([run[:1], run[1:]])
    assert joined == records and joined.first_row == 10
    with pytest.raises(ValueError, match="follow"):
        PeriodMarkColumns.joined([run[:1], run[2:]])


def test_plain_marks_reach_the_slices_as_columns(tmp_path):
    path = tmp_path / "packet.xml"
    write_packet(path, marks=3000, odd_share=0.0, seed=3)
    marks = [records for section, records, _ in slices(path, 1000) if section == "PeriodMarks"]
    assert [len(records) for records in marks] == [1000, 1000, 1000]
    assert all(isinstance(records, PeriodMarkColumns) for records in marks)
