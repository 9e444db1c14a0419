"""Rows of the ``students`` template → students, their classes and their current enrolments (pure).

One row is one student: a ``StudentRecord`` (person, identity document, address, contacts, one
legal representative) and an ``EnrolmentRecord`` into the file's organization; the class named in
the row becomes one ``ClassGroupRecord`` per class and school year. Every record of a row is kept
or left out together; the row's ref is its spreadsheet row number.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from adapters import identifiers, validation
from adapters.excel_cells import EMAIL, POSTAL_CODE, RowCells, SameOrganization
from adapters.records import (
    AddressRecord,
    BatchHeader,
    ClassGroupRecord,
    ContactsRecord,
    DocumentRecord,
    EnrolmentRecord,
    MappedBatch,
    PersonRecord,
    RepresentativeRecord,
    StudentRecord,
)
from adapters.rowerrors import RowError
from db import classifiers

SCHOOL_LEVELS = frozenset({"2", "3", "4"})
"""Levels taught in numbered classes with letters."""
REGISTRATION_ADDRESS = "1"
"""``address_kind`` of the registration address."""
CLASS_NAME = re.compile(r"(\d{1,2})\s*-?\s*([А-ЯЁA-Z]?)")
REPRESENTATIVE_KEYS = ("rep_kind", "rep_last_name", "rep_first_name", "rep_middle_name", "rep_snils", "rep_phone",
                       "rep_email")


@lru_cache(maxsize=1024)
def split_class_name(name: str) -> tuple[int, str | None] | None:
    """``5А``, ``10 - б`` → ``(5, "А")``, ``(10, "Б")``; ``None`` when the name is not a number and a letter
    (a file names a few classes, each many times: kept for the next row)."""
    match = CLASS_NAME.fullmatch(name.upper())
    if match is None:
        return None
    return int(match.group(1)), match.group(2) or None


def _contacts(cells: RowCells, phone: str, email: str) -> ContactsRecord:
    phone_text = cells.text(phone)
    email_text = cells.pattern(email, EMAIL, "адрес электронной почты")
    return ContactsRecord(
        phones=() if phone_text is None else (phone_text,), emails=() if email_text is None else (email_text,)
    )


class StudentRows:
    """Maps the rows of one ``students`` upload; classes are shared between rows."""

    def __init__(self, *, today: date):
        self.today = today
        self.organization = SameOrganization()
        self.snils_rows: dict[str, int] = {}
        self.class_groups: dict[tuple[str, str], ClassGroupRecord] = {}
        self.new_groups: list[ClassGroupRecord] = []
        self.students: list[StudentRecord] = []
        self.enrolments: list[EnrolmentRecord] = []

    @property
    def org_inn(self) -> str | None:
        return self.organization.inn

    @property
    def org_settled(self) -> bool:
        """Whether the file's organization is known (the first valid ИНН sets it)."""
        return self.organization.inn is not None

    def batch(self, header: BatchHeader, errors: tuple[RowError, ...]) -> MappedBatch:
        """The records accepted since the previous batch (a class once, with the first of its rows) with
        ``errors``."""
        batch = MappedBatch(
            header=header,
            class_groups=tuple(self.new_groups),
            students=tuple(self.students),
            enrolments=tuple(self.enrolments),
            errors=errors,
        )
        self.new_groups, self.students, self.enrolments = [], [], []
        return batch

    def _document(self, cells: RowCells) -> DocumentRecord | None:
        kind = cells.choice("document_type", required=cells.text("document_number") is not None)
        number = cells.text("document_number", required=kind is not None)
        series = cells.text("document_series")
        issue_date = cells.date("document_issue_date", not_after=self.today)
        if kind is None or number is None:
            return None
        checked = validation.check_identity_document(cells.sink, cells.header("document_number"), kind, series, number)
        if checked is None:
            return None
        return DocumentRecord(
            type=kind, series=checked[0], number=checked[1], issue_date=issue_date, issuer=cells.text("document_issuer")
        )

    def _representative(self, cells: RowCells) -> RepresentativeRecord | None:
        filled = cells.text("rep_kind") is not None or any(cells.text(key) is not None for key in REPRESENTATIVE_KEYS)
        kind = cells.choice("rep_kind", required=filled)
        last_name = cells.text("rep_last_name", required=filled)
        first_name = cells.text("rep_first_name", required=filled)
        snils = cells.identifier("rep_snils", identifiers.normalize_snils)
        contacts = _contacts(cells, "rep_phone", "rep_email")
        if kind is None or last_name is None or first_name is None:
            return None
        person = PersonRecord(
            last_name=last_name,
            first_name=first_name,
            middle_name=cells.text("rep_middle_name"),
            snils=snils,
            contacts=contacts,
        )
        return RepresentativeRecord(kind=kind, person=person)

    def _snils(self, cells: RowCells) -> str | None:
        snils = cells.identifier("snils", identifiers.normalize_snils)
        if snils is not None and snils in self.snils_rows:
            cells.sink.fail("DUPLICATE_REF", cells.header("snils"), cells.text("snils"))
        return snils

    def _level(self, cells: RowCells, program_kind: str | None) -> str | None:
        level = cells.choice("education_level")
        if level is not None or program_kind is None or cells.text("education_level") is not None:
            return level
        item = classifiers.item_of(classifiers.PROGRAM_KIND, program_kind)
        implied = None if item is None else item.extra.get("education_level")
        if implied is None:
            cells.sink.fail("REQUIRED", cells.header("education_level"), None)
        return implied

    def _class_parts(self, cells: RowCells, name: str | None, level: str | None) -> tuple[int | None, str | None]:
        if name is None or level not in SCHOOL_LEVELS:
            return None, None
        parts = split_class_name(name)
        if parts is None:
            cells.sink.fail("BAD_CLASS_NAME", cells.header("class_name"), name)
            return None, None
        if not 1 <= parts[0] <= 12:
            cells.sink.fail("GRADE_OUT_OF_RANGE", cells.header("class_name"), str(parts[0]))
            return None, None
        return parts

    def add(self, cells: RowCells, row: int) -> None:
        """Map one row; its records are kept only when it has no error."""
        today = self.today
        last_name = cells.text("last_name", required=True)
        first_name = cells.text("first_name", required=True)
        sex = cells.choice("sex", required=True)
        birth_date = cells.date("birth_date", required=True, not_after=today)
        citizenship = cells.choice("citizenship", required=True)
        snils = self._snils(cells)
        document = self._document(cells)
        address = cells.text("address")
        postal_code = cells.pattern("postal_code", POSTAL_CODE, "6 цифр")
        contacts = _contacts(cells, "phone", "email")
        representative = self._representative(cells)
        org_inn = self.organization.check(cells, "org_inn")
        class_name = cells.text("class_name")
        school_year = cells.school_year("school_year", required=class_name is not None)
        program_kind = cells.choice("program_kind", required=True)
        level = self._level(cells, program_kind)
        grade, letter = self._class_parts(cells, class_name, level)
        form = cells.choice("education_form", required=True)
        entry_date = cells.date("entry_date", required=True, not_after=today)
        entry_reason = cells.choice("entry_reason", required=True)
        if birth_date is not None and level is not None and entry_date is not None:
            validation.check_age(
                cells.sink, cells.header("birth_date"), level=level, birth=birth_date, entry=entry_date
            )
        if cells.sink.rejected:
            return
        assert last_name and first_name and birth_date and org_inn and program_kind and level and form
        assert entry_date and entry_reason
        ref = str(row)
        person = PersonRecord(
            last_name=last_name,
            first_name=first_name,
            middle_name=cells.text("middle_name"),
            sex=sex,
            birth_date=birth_date,
            citizenship=citizenship,
            snils=snils,
            documents=() if document is None else (document,),
            addresses=()
            if address is None
            else (AddressRecord(kind=REGISTRATION_ADDRESS, text=address, postal_code=postal_code),),
            contacts=contacts,
        )
        if snils is not None:
            self.snils_rows[snils] = row
        group_ref = None
        if class_name is not None and school_year is not None:
            group_ref = f"{school_year} {class_name}"
            if (school_year, class_name) not in self.class_groups:
                group = ClassGroupRecord(ref=group_ref, row=row, name=class_name, school_year=school_year,
                                         program_kind=program_kind, grade=grade, letter=letter)
                self.class_groups[(school_year, class_name)] = group
                self.new_groups.append(group)
        self.students.append(
            StudentRecord(
                ref=ref, row=row, person=person, representatives=() if representative is None else (representative,)
            )
        )
        self.enrolments.append(
            EnrolmentRecord(
                ref=ref, row=row, student_ref=ref, class_group_ref=group_ref, program_kind=program_kind,
                education_level=level, education_form=form, entry_date=entry_date, entry_reason=entry_reason,
            )
        )
