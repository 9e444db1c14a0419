"""The changes of a feed page as XML elements, in whatever namespace the caller names.

The ``ChangePacket`` of ``xsd/change-feed-1.0.0.xsd`` (the SMEV push) and the ``ChangePage`` answer
of the ``ChangeFeed`` contract carry the same ``Change`` elements, element for element, each in
its own namespace; this module writes them for both. It is the hot path of reading the feed (a
thousand changes of about thirty values each per page), so it builds the lxml elements directly:
qualified tag names computed once per namespace, the values of a snapshot turned to text in one
tuple in schema order, and absent optional values skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from lxml import etree

from kontingent_ws.usecases.changefeed_model import Change, EnrolmentSnapshot, OrgUnitSnapshot, StudentSnapshot

_SubElement = etree.SubElement

CHANGE_FIELDS = ("Version", "Entity", "EntityId", "Operation", "ChangedAt", "OrgUnitId", "MergedIntoId")
STUDENT_FIELDS = (
    "Id",
    "LastName",
    "FirstName",
    "MiddleName",
    "Sex",
    "BirthDate",
    "Snils",
    "CitizenshipCode",
    "StatusCode",
)
ENROLMENT_FIELDS = (
    "Id",
    "StudentId",
    "OrganizationId",
    "ClassGroupId",
    "ClassName",
    "EducationLevelCode",
    "ProgrammeKindCode",
    "EducationFormCode",
    "EntryDate",
    "EntryReasonCode",
    "ExitDate",
    "ExitReasonCode",
)
UNIT_FIELDS = (
    "Id",
    "ParentId",
    "FullName",
    "ShortName",
    "Inn",
    "Kpp",
    "Ogrn",
    "Oktmo",
    "StatusCode",
    "TypeCode",
    "Level",
)


@dataclass(frozen=True)
class Tags:
    """Qualified tag names of one namespace."""

    namespace: str
    change: str
    change_fields: tuple[str, ...]
    student: str
    student_fields: tuple[str, ...]
    current_enrolment: str
    enrolment: str
    enrolment_fields: tuple[str, ...]
    organization: str
    authority: str
    unit_fields: tuple[str, ...]

    def q(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"


@cache
def tags(namespace: str) -> Tags:
    """The tag names of the change elements in ``namespace`` (computed once)."""

    def q(name: str) -> str:
        return f"{{{namespace}}}{name}"

    return Tags(
        namespace=namespace,
        change=q("Change"),
        change_fields=tuple(map(q, CHANGE_FIELDS)),
        student=q("Student"),
        student_fields=tuple(map(q, STUDENT_FIELDS)),
        current_enrolment=q("CurrentEnrolment"),
        enrolment=q("Enrolment"),
        enrolment_fields=tuple(map(q, ENROLMENT_FIELDS)),
        organization=q("Organization"),
        authority=q("Authority"),
        unit_fields=tuple(map(q, UNIT_FIELDS)),
    )


def datetime_text(value: dt.datetime) -> str:
    """An ``xs:dateTime`` in UTC with the ``Z`` suffix."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _fill(element: etree._Element, names: tuple[str, ...], values: tuple[str | None, ...]) -> None:
    for name, value in zip(names, values, strict=True):
        if value is not None:
            _SubElement(element, name).text = value


def _enrolment(element: etree._Element, t: Tags, e: EnrolmentSnapshot) -> None:
    _fill(
        element,
        t.enrolment_fields,
        (
            str(e.id),
            str(e.student_id),
            str(e.organization_id),
            _text(e.class_group_id),
            e.class_name,
            e.education_level_code,
            e.programme_kind_code,
            e.education_form_code,
            e.entry_date.isoformat(),
            e.entry_reason_code,
            _date(e.exit_date),
            e.exit_reason_code,
        ),
    )


def append_changes(parent: etree._Element, changes: Iterable[Change], namespace: str) -> None:
    """Append one ``Change`` element per change to ``parent``, in ``namespace``."""
    t = tags(namespace)
    last_at: dt.datetime | None = None
    last_at_text = ""
    for change in changes:
        element = _SubElement(parent, t.change)
        if change.changed_at != last_at:  # the changes of one transaction share the moment
            last_at, last_at_text = change.changed_at, datetime_text(change.changed_at)
        _fill(
            element,
            t.change_fields,
            (
                str(change.version),
                change.entity,
                str(change.entity_id),
                change.operation,
                last_at_text,
                _text(change.org_unit_id),
                _text(change.merged_into_id),
            ),
        )
        snapshot = change.snapshot
        if isinstance(snapshot, StudentSnapshot):
            student = _SubElement(element, t.student)
            _fill(
                student,
                t.student_fields,
                (
                    str(snapshot.id),
                    snapshot.last_name,
                    snapshot.first_name,
                    snapshot.middle_name,
                    snapshot.sex,
                    snapshot.birth_date.isoformat(),
                    snapshot.snils,
                    snapshot.citizenship_code,
                    snapshot.status_code,
                ),
            )
            if snapshot.current_enrolment is not None:
                _enrolment(_SubElement(student, t.current_enrolment), t, snapshot.current_enrolment)
        elif isinstance(snapshot, EnrolmentSnapshot):
            _enrolment(_SubElement(element, t.enrolment), t, snapshot)
        elif isinstance(snapshot, OrgUnitSnapshot):
            unit = _SubElement(element, t.organization if snapshot.kind == "organization" else t.authority)
            _fill(
                unit,
                t.unit_fields,
                (
                    str(snapshot.id),
                    _text(snapshot.parent_id),
                    snapshot.full_name,
                    snapshot.short_name,
                    snapshot.inn,
                    snapshot.kpp,
                    snapshot.ogrn,
                    snapshot.oktmo,
                    snapshot.status_code,
                    snapshot.type_code,
                    snapshot.level,
                ),
            )
