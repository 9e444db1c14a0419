"""Row readers of the mark sections: diary marks, period/annual/final marks, exam results."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from lxml import etree

from adapters.packet_fields import NS, Fields, qname
from adapters.packet_state import PacketState
from adapters.records import DiaryMarkRecord, ExamResultRecord, MarkValue, PeriodMarkColumns, PeriodMarkRecord
from adapters.validation import RowSink, check_mark
from db import classifiers

STUDENT_REF, SUBJECT_REF, PERIOD_REF = qname("StudentRef"), qname("SubjectRef"), qname("PeriodRef")
PERIOD_MARKS, PERIOD_MARK = "PeriodMarks", "PeriodMark"
"""The period marks' section and row (read a batch at a time, by the loader or the schema check's child)."""
SCHOOL_YEAR, SCALE, VALUE, KIND = qname("SchoolYear"), qname("Scale"), qname("Value"), qname("Kind")
_MARKS: dict[tuple[str, str | None], MarkValue] = {}
"""Valid (scale, value) pairs seen so far → their mark (a handful: the scales' values)."""
_YEARS: set[str] = set()
"""Valid school years seen so far."""


def read_mark(fields: Fields) -> MarkValue | None:
    """``Scale`` and ``Value`` as a mark: the value must belong to the scale."""
    scale = fields.code("Scale", classifiers.MARK_SCALE, required=True)
    if scale is None:
        return None
    return check_mark(fields.sink, fields.name("Value"), scale, fields.text("Value"))


def read_diary_mark(fields: Fields, state: PacketState) -> DiaryMarkRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    subject_ref = state.resolve(fields, "SubjectRef", "Subjects")
    lesson_date = fields.date("Date", required=True, not_after=state.today)
    mark = read_mark(fields)
    weight = fields.decimal("Weight")
    control_form = fields.code("ControlForm", classifiers.CONTROL_FORM)
    if student_ref is None or subject_ref is None or lesson_date is None or mark is None:
        return None
    return DiaryMarkRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        subject_ref=subject_ref,
        lesson_date=lesson_date,
        mark=mark,
        weight=Decimal(1) if weight is None else weight,
        control_form=control_form,
        comment=fields.text("Comment"),
    )


def read_period_mark(fields: Fields, state: PacketState) -> PeriodMarkRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    subject_ref = state.resolve(fields, "SubjectRef", "Subjects")
    has_period = fields.text("PeriodRef") is not None
    period_ref = state.resolve(fields, "PeriodRef", "StudyPeriods") if has_period else None
    kind = "period" if has_period else fields.code("Kind", classifiers.PERIOD_MARK_KIND, required=True)
    year = fields.school_year("SchoolYear")
    mark = read_mark(fields)
    if student_ref is None or subject_ref is None or kind is None or year is None or mark is None:
        return None
    return PeriodMarkRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        subject_ref=subject_ref,
        kind=kind,
        period_ref=period_ref,
        school_year=year,
        mark=mark,
    )


def read_exam_result(fields: Fields, state: PacketState) -> ExamResultRecord | None:
    student_ref = state.resolve(fields, "StudentRef", "Students")
    subject_ref = state.resolve(fields, "SubjectRef", "Subjects")
    exam_kind = fields.code("ExamKind", classifiers.EXAM_KIND, required=True)
    exam_date = fields.date("Date", required=True, not_after=state.today)
    primary_score = fields.integer("PrimaryScore")
    mark = read_mark(fields)
    if student_ref is None or subject_ref is None or exam_kind is None or exam_date is None or mark is None:
        return None
    return ExamResultRecord(
        ref=fields.element.get("providerRef", ""),
        row=fields.sink.row,
        student_ref=student_ref,
        subject_ref=subject_ref,
        exam_kind=exam_kind,
        exam_date=exam_date,
        primary_score=primary_score,
        mark=mark,
    )


def _known_mark(scale: str, value: str | None) -> MarkValue | None:
    key = (scale, value)
    mark = _MARKS.get(key)
    if mark is None and classifiers.item_of(classifiers.MARK_SCALE, scale) is not None:
        sink = RowSink(section="", row=0, ref=None)
        mark = check_mark(sink, "", scale, value)
        if mark is not None and not sink.errors and len(_MARKS) < 1000:
            _MARKS[key] = mark
    return mark


def _school_year(text: str) -> bool:
    if text in _YEARS:
        return True
    first, _, second = text.partition("/")
    if first.isdigit() and second.isdigit() and int(second) == int(first) + 1:
        if len(_YEARS) < 1000:
            _YEARS.add(text)
        return True
    return False


def quick_period_mark(element: etree._Element, state: PacketState, row: int) -> PeriodMarkRecord | None:
    """The record of a quarter mark whose every field is plainly valid, read in one pass; ``None``
    for anything else (an unknown reference, a bad value, spaces to collapse, a repeated, missing,
    misplaced or unexpected element), which ``read_period_mark`` then reads with its row errors.
    Equal to ``read_period_mark`` wherever it returns a record.

    The six children are read by position, in the order of the schema. When the stream is being
    validated (``state.validated``) only the third child's name is looked at: the schema admits no
    other element anywhere else, and a row it refuses fails the whole packet anyway."""
    if len(element) != 6:
        return None
    student_element, subject_element, period_element, year_element, scale_element, value_element = element
    if state.validated:
        if period_element.tag != PERIOD_REF:  # Kind: an annual or final mark
            return None
    elif (student_element.tag, subject_element.tag, period_element.tag, year_element.tag, scale_element.tag,
          value_element.tag) != _PERIOD_MARK_TAGS:
        return None
    student, subject, period = student_element.text, subject_element.text, period_element.text
    year, scale, value = year_element.text, scale_element.text, value_element.text
    try:
        joined = student + subject + period + year + scale + value
    except TypeError:  # an empty element
        return None
    if not joined.isprintable() or " " in joined:  # spaces to collapse: the reader reports them
        return None
    accepted = state.accepted
    if (student not in accepted.get("Students", ()) or subject not in accepted.get("Subjects", ())
            or period not in accepted.get("StudyPeriods", ())):
        return None
    assert student is not None and subject is not None and year is not None and scale is not None
    if not _school_year(year):
        return None
    mark = _known_mark(scale, value)
    if mark is None:
        return None
    return PeriodMarkRecord(
        ref=element.get("providerRef", ""), row=row, student_ref=student, subject_ref=subject, kind="period",
        period_ref=period, school_year=year, mark=mark,
    )


_PERIOD_MARK_TAGS = (STUDENT_REF, SUBJECT_REF, PERIOD_REF, SCHOOL_YEAR, SCALE, VALUE)
"""The children of a quarter mark, in the order of the schema."""


_NS = {"p": NS}
_PLAIN_TEXTS = etree.XPath("*[position() <= $n]/*/text()", namespaces=_NS, smart_strings=False)
_PLAIN_REFS = etree.XPath("*[position() <= $n]/@providerRef", namespaces=_NS, smart_strings=False)
_FIELD_COUNT = etree.XPath("count(*[position() <= $n]/*)", namespaces=_NS)
_KIND_COUNT = etree.XPath("count(*[position() <= $n]/p:Kind)", namespaces=_NS)
_PERIOD_FIELDS = 6


def quick_period_marks(
    container: etree._Element, count: int, state: PacketState, first_row: int
) -> PeriodMarkColumns | None:
    """The records of the first ``count`` rows of ``container`` (a ``PeriodMarks`` section being
    read), when every one of them is a quarter mark that ``quick_period_mark`` takes; ``None`` as soon
    as one is not, and the caller reads the rows one by one.

    The fields are taken as columns by XPath calls instead of an element object a field, checked a
    column at a time and kept as columns. Only for a validated stream (``state.validated``): the schema fixes
    the order of the six fields, so six fields a row with one text each means the columns line up."""
    if not state.validated:
        return None
    plain = plain_period_marks(container, count)
    return None if plain is None else period_mark_columns(plain, state, first_row)


Columns = list[list[str]]
"""Period marks as columns: the ``providerRef`` of each row, then each of its six fields' texts, in
the schema's order (``StudentRef``, ``SubjectRef``, ``PeriodRef``, ``SchoolYear``, ``Scale``, ``Value``);
and, when some of them are annual or final marks, an eighth column: each row's kind (``period`` or the
text of its ``Kind``), the ``PeriodRef`` column holding an empty text for the others."""


def plain_period_marks(container: etree._Element, count: int) -> Columns | None:
    """The columns of the first ``count`` rows of ``container``, when every row is a quarter mark of six
    fields with one printable text each and no space, and a printable ``providerRef``; ``None``
    otherwise. The part of ``quick_period_marks`` that needs the rows themselves: the schema check's
    child process takes it for the loader (``packet_check``), which checks the rest
    (``period_mark_columns``). For a validated stream only."""
    if count <= 0:
        return None
    texts: list[str] = _PLAIN_TEXTS(container, n=count)
    refs: list[str] = _PLAIN_REFS(container, n=count)
    fields = _PERIOD_FIELDS * count
    if len(texts) != fields or len(refs) != count or _FIELD_COUNT(container, n=count) != fields:
        return None
    if _KIND_COUNT(container, n=count):  # an annual or final mark
        return None
    joined = "".join(texts)
    if not joined.isprintable() or " " in joined or not "".join(refs).isprintable():
        return None
    return [refs, *(texts[field::_PERIOD_FIELDS] for field in range(_PERIOD_FIELDS))]


def period_mark_columns(columns: Columns, state: PacketState, first_row: int) -> PeriodMarkColumns | None:
    """The period marks of a batch's columns (``Columns``), when every reference is known and every
    kind, year and mark valid; ``None`` otherwise (the rows are then read one by one)."""
    refs, students, subjects, periods, years, scales, values, *rest = columns
    kinds: list[str] | None = rest[0] if rest else None
    quarter_periods = set(periods)
    period_refs = cast("list[str | None]", periods)
    if kinds is not None:
        other = set(kinds) - {"period"}
        if not other:
            kinds = None
        elif not all(classifiers.item_of(classifiers.PERIOD_MARK_KIND, kind) is not None for kind in other):
            return None
        else:
            quarter_periods = {period for period, kind in zip(periods, kinds, strict=True) if kind == "period"}
            period_refs = [period if kind == "period" else None for period, kind in zip(periods, kinds, strict=True)]
    accepted = state.accepted
    if not (set(students) <= accepted.get("Students", set()) and set(subjects) <= accepted.get("Subjects", set())
            and quarter_periods <= accepted.get("StudyPeriods", set())):
        return None
    if not all(_school_year(year) for year in set(years)):
        return None
    one_scale = set(scales)
    if len(one_scale) == 1:  # the common case: the marks of one scale, found by their values alone
        (scale,) = one_scale
        by_value: dict[str, MarkValue] = {}
        for value in set(values):
            known = _known_mark(scale, value)
            if known is None:
                return None
            by_value[value] = known
        marks = list(map(by_value.__getitem__, values))
    else:
        by_pair: dict[tuple[str, str], MarkValue] = {}
        for scale, value in set(zip(scales, values, strict=True)):
            known = _known_mark(scale, value)
            if known is None:
                return None
            by_pair[scale, value] = known
        marks = list(map(by_pair.__getitem__, zip(scales, values, strict=True)))
    return PeriodMarkColumns(
        first_row=first_row, refs=refs, student_refs=students, subject_refs=subjects, period_refs=period_refs,
        school_years=years, marks=marks, kinds=kinds,
    )


def period_mark_rows(columns: Columns) -> list[etree._Element]:
    """The rows of a batch's columns made again as elements (for ``read_period_mark`` to report what
    ``period_mark_columns`` would not take): the same ``providerRef`` and six fields."""
    refs, students, subjects, periods, years, scales, values, *rest = columns
    kinds = rest[0] if rest else ["period"] * len(refs)
    rows = []
    for ref, student, subject, period, year, scale, value, kind in zip(
            refs, students, subjects, periods, years, scales, values, kinds, strict=True):
        row = etree.Element(qname(PERIOD_MARK), providerRef=ref)
        third = (PERIOD_REF, period) if kind == "period" else (KIND, kind)
        for tag, text in ((STUDENT_REF, student), (SUBJECT_REF, subject), third, (SCHOOL_YEAR, year), (SCALE, scale),
                          (VALUE, value)):
            etree.SubElement(row, tag).text = text
        rows.append(row)
    return rows
