"""Rows of the ``queue`` template → applications to the kindergarten queue (pure)."""

from __future__ import annotations

import re
from datetime import date

from adapters import identifiers, validation
from adapters.excel_cells import EMAIL, RowCells
from adapters.records import (
    BatchHeader,
    ContactsRecord,
    DocumentRecord,
    MappedBatch,
    PersonRecord,
    PreferredOrganizationRecord,
    QueueApplicationRecord,
    RepresentativeRecord,
)
from adapters.rowerrors import RowError

COMPENSATING = "2"
"""Group orientation that needs a compensating profile."""
INN_SEPARATORS = re.compile(r"[,;\s]+")


class QueueRows:
    """Maps the rows of one ``queue`` upload."""

    def __init__(self, *, today: date):
        self.today = today
        self.numbers: set[str] = set()
        self.applications: list[QueueApplicationRecord] = []

    @property
    def org_inn(self) -> str | None:
        """The queue belongs to a municipality, not to one organization."""
        return None

    org_settled = True
    """The header names no organization: nothing to wait for."""

    def batch(self, header: BatchHeader, errors: tuple[RowError, ...]) -> MappedBatch:
        """The records accepted since the previous batch with ``errors``."""
        batch = MappedBatch(header=header, queue_applications=tuple(self.applications), errors=errors)
        self.applications = []
        return batch

    def _child(self, cells: RowCells) -> PersonRecord | None:
        last_name = cells.text("child_last_name", required=True)
        first_name = cells.text("child_first_name", required=True)
        sex = cells.choice("child_sex", required=True)
        birth_date = cells.date("child_birth_date", required=True, not_after=self.today)
        snils = cells.identifier("child_snils", identifiers.normalize_snils)
        series = cells.text("certificate_series")
        number = cells.text("certificate_number", required=series is not None)
        documents: tuple[DocumentRecord, ...] = ()
        if number is not None:
            field_name = cells.header("certificate_number")
            checked = validation.check_identity_document(
                cells.sink, field_name, validation.BIRTH_CERTIFICATE, series, number
            )
            if checked is not None:
                documents = (DocumentRecord(type=validation.BIRTH_CERTIFICATE, series=checked[0], number=checked[1]),)
        if last_name is None or first_name is None:
            return None
        return PersonRecord(
            last_name=last_name, first_name=first_name, middle_name=cells.text("child_middle_name"), sex=sex,
            birth_date=birth_date, snils=snils, documents=documents,
        )

    def _applicant(self, cells: RowCells) -> RepresentativeRecord | None:
        kind = cells.choice("applicant_kind", required=True)
        last_name = cells.text("applicant_last_name", required=True)
        first_name = cells.text("applicant_first_name", required=True)
        snils = cells.identifier("applicant_snils", identifiers.normalize_snils)
        phone = cells.text("applicant_phone")
        email = cells.pattern("applicant_email", EMAIL, "адрес электронной почты")
        if kind is None or last_name is None or first_name is None:
            return None
        contacts = ContactsRecord(phones=() if phone is None else (phone,), emails=() if email is None else (email,))
        person = PersonRecord(
            last_name=last_name, first_name=first_name, middle_name=cells.text("applicant_middle_name"),
            snils=snils, contacts=contacts,
        )
        return RepresentativeRecord(kind=kind, person=person)

    def _preferred(self, cells: RowCells) -> tuple[PreferredOrganizationRecord, ...]:
        text = cells.text("preferred_inns", required=True)
        if text is None:
            return ()
        preferred = []
        for priority, raw in enumerate((part for part in INN_SEPARATORS.split(text) if part), start=1):
            inn = validation.check_identifier(cells.sink, cells.header("preferred_inns"), raw, validation.normalize_inn)
            if inn is not None:
                preferred.append(PreferredOrganizationRecord(priority=priority, inn=inn))
        return tuple(preferred)

    def add(self, cells: RowCells, row: int) -> None:
        """Map one row; the application is kept only when the row has no error."""
        today = self.today
        number = cells.text("number")
        if number is not None and number in self.numbers:
            cells.sink.fail("DUPLICATE_REF", cells.header("number"), number)
        submitted = cells.date("submitted_date", required=True, not_after=today)
        child = self._child(cells)
        applicant = self._applicant(cells)
        oktmo = cells.identifier("municipality_oktmo", identifiers.normalize_oktmo, required=True)
        desired = cells.date("desired_date", required=True)
        orientation = cells.choice("orientation", required=True)
        profile = cells.choice("compensating_profile", required=orientation == COMPENSATING)
        regime = cells.choice("regime", required=True)
        privilege = cells.choice("privilege")
        preferred = self._preferred(cells)
        status = cells.choice("status", required=True)
        status_date = cells.date("status_date", not_after=today)
        if cells.sink.rejected:
            return
        assert submitted and child and applicant and oktmo and desired and orientation and regime and status
        if number is not None:
            self.numbers.add(number)
        self.applications.append(
            QueueApplicationRecord(
                ref=str(row), row=row, number=number, submitted_date=submitted, child=child, applicant=applicant,
                municipality_oktmo=oktmo, desired_date=desired, orientation=orientation,
                compensating_profile=profile, regime=regime, privilege=privilege, preferred_organizations=preferred,
                status=status, status_date=status_date,
            )
        )
