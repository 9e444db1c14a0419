"""Rows of the ``marks`` template → period, annual and final marks (pure).

A row names its student by СНИЛС or by surname, name and birth date; the student, the subject and
the study period it mentions become one ``StudentRecord``, ``SubjectRecord`` and
``StudyPeriodRecord`` each (made by the first accepted row that names them), so the marks point
at them by ref like the marks of an XML packet.
"""

from __future__ import annotations

from datetime import date
from itertools import islice

from adapters import identifiers, validation
from adapters.excel_cells import RowCells, SameOrganization
from adapters.records import (
    BatchHeader,
    MappedBatch,
    MarkValue,
    PeriodMarkRecord,
    PersonRecord,
    StudentRecord,
    StudyPeriodRecord,
    SubjectRecord,
)
from adapters.rowerrors import RowError
from db import classifiers

PERIOD = "period"
"""``period_mark_kind`` of a mark for a study period."""


class MarkRows:
    """Maps the rows of one ``marks`` upload."""

    def __init__(self, *, today: date):
        self.today = today
        self.organization = SameOrganization()
        self.students: dict[str, StudentRecord] = {}
        self.subjects: dict[str, SubjectRecord] = {}
        self.periods: dict[str, StudyPeriodRecord] = {}
        self.marks: list[PeriodMarkRecord] = []
        self.taken = (0, 0, 0)
        """How many students, subjects and periods earlier batches handed out."""

    @property
    def org_inn(self) -> str | None:
        return self.organization.inn

    @property
    def org_settled(self) -> bool:
        """Whether the file's organization is known (the first valid ИНН sets it)."""
        return self.organization.inn is not None

    def batch(self, header: BatchHeader, errors: tuple[RowError, ...]) -> MappedBatch:
        """The records accepted since the previous batch (a student, subject or period once, with the
        first of its rows) with ``errors``."""
        students, subjects, periods = self.taken
        batch = MappedBatch(
            header=header,
            subjects=tuple(islice(self.subjects.values(), subjects, None)),
            study_periods=tuple(islice(self.periods.values(), periods, None)),
            students=tuple(islice(self.students.values(), students, None)),
            period_marks=tuple(self.marks),
            errors=errors,
        )
        self.taken = (len(self.students), len(self.subjects), len(self.periods))
        self.marks = []
        return batch

    def _student(self, cells: RowCells, row: int) -> tuple[str, StudentRecord] | None:
        snils = cells.identifier("snils", identifiers.normalize_snils)
        last_name = cells.text("last_name", required=True)
        first_name = cells.text("first_name", required=True)
        middle_name = cells.text("middle_name")
        birth_date = cells.date("birth_date", not_after=self.today)
        if cells.text("snils") is None and cells.text("birth_date") is None:
            cells.sink.fail("STUDENT_NOT_IDENTIFIED", cells.header("snils"), None)
        if last_name is None or first_name is None or (snils is None and birth_date is None):
            return None
        if snils is not None:
            ref = f"snils:{snils}"
        else:
            assert birth_date is not None
            names = " ".join(validation.name_key(part or "") for part in (last_name, first_name, middle_name))
            ref = f"person:{names} {birth_date.isoformat()}"
        person = PersonRecord(
            last_name=last_name, first_name=first_name, middle_name=middle_name, birth_date=birth_date, snils=snils
        )
        return ref, StudentRecord(ref=ref, row=row, person=person)

    def _period(self, cells: RowCells, row: int, kind: str | None, year: str | None) -> StudyPeriodRecord | None:
        needed = kind == PERIOD
        period_kind = cells.choice("period_kind", required=needed)
        number = cells.integer("period_number", required=needed)
        start = cells.date("period_start", required=needed)
        end = cells.date("period_end", required=needed)
        if start is not None and end is not None and end < start:
            cells.sink.fail("END_BEFORE_START", cells.header("period_end"), cells.text("period_end"),
                            start_date=cells.text("period_start"))
        if not needed or period_kind is None or number is None or start is None or end is None or year is None:
            return None
        ref = f"{year} {period_kind} {number}"
        return StudyPeriodRecord(
            ref=ref, row=row, kind=period_kind, number=number, school_year=year, start_date=start, end_date=end
        )

    def _mark(self, cells: RowCells) -> MarkValue | None:
        scale = cells.choice("scale", required=True)
        text = cells.text("value")
        if scale is None:
            return None
        raw = None if text is None else validation.code_by_name(classifiers.MARK_VALUE, text) or text
        return validation.check_mark(cells.sink, cells.header("value"), scale, raw)

    def add(self, cells: RowCells, row: int) -> None:
        """Map one row; its records are kept only when it has no error."""
        student = self._student(cells, row)
        self.organization.check(cells, "org_inn")
        subject = cells.text("subject", required=True)
        year = cells.school_year("school_year", required=True)
        kind = cells.choice("mark_kind", required=True)
        period = self._period(cells, row, kind, year)
        mark = self._mark(cells)
        base = None if subject is None else validation.code_by_name(classifiers.SUBJECTS, subject)
        if subject is not None and base is None and subject not in self.subjects:
            cells.sink.fail("BASE_SUBJECT_MISSING", cells.header("subject"), subject)
        if cells.sink.rejected:
            return
        assert student is not None and subject is not None and year is not None and kind is not None
        assert mark is not None
        student_ref, record = student
        self.students.setdefault(student_ref, record)
        self.subjects.setdefault(subject, SubjectRecord(ref=subject, row=row, name=subject, base_subject=base))
        if period is not None:
            self.periods.setdefault(period.ref, period)
        self.marks.append(
            PeriodMarkRecord(
                ref=str(row), row=row, student_ref=student_ref, subject_ref=subject, kind=kind,
                period_ref=None if period is None else period.ref, school_year=year, mark=mark,
            )
        )
