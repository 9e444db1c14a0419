"""A page of the change feed as a ``ChangePacket`` of ``xsd/change-feed-1.0.0.xsd`` (the SMEV push)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import cast

from lxml import etree

from adapters.safexml import parse_bytes
from db.models import utcnow
from kontingent_ws.usecases.changefeed_model import (
    ChangePage,
    EnrolmentSnapshot,
    OrgUnitSnapshot,
    StudentSnapshot,
)
from xsd import schema_path

NAMESPACE = "urn://kontingent-region.ru/changes/1.0.0"
SCHEMA_FILE = "change-feed-1.0.0.xsd"


@cache
def change_feed_schema() -> etree.XMLSchema:
    """The compiled packet schema (read once per process)."""
    return etree.XMLSchema(etree.ElementTree(parse_bytes(schema_path(SCHEMA_FILE).read_bytes())))


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: etree._Element, name: str, value: object) -> None:
    if value is None:
        return
    child = etree.SubElement(parent, _q(name))
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        child.text = value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    elif isinstance(value, dt.date):
        child.text = value.isoformat()
    else:
        child.text = str(value)


def render_change_packet(page: ChangePage, *, since: int, generated_at: dt.datetime | None = None) -> bytes:
    """The UTF-8 ``ChangePacket`` document of one page (without an XML declaration: SMEV embeds it)."""
    root = etree.Element(_q("ChangePacket"), nsmap={None: NAMESPACE})
    _add(root, "GeneratedAt", generated_at or utcnow())
    _add(root, "SinceVersion", since)
    _add(root, "NextVersion", page.next_version)
    _add(root, "HasMore", page.has_more)
    for change in page.changes:
        element = etree.SubElement(root, _q("Change"))
        _add(element, "Version", change.version)
        _add(element, "Entity", change.entity)
        _add(element, "EntityId", change.entity_id)
        _add(element, "Operation", change.operation)
        _add(element, "ChangedAt", change.changed_at)
        _add(element, "OrgUnitId", change.org_unit_id)
        _add(element, "MergedIntoId", change.merged_into_id)
        snapshot = change.snapshot
        if isinstance(snapshot, StudentSnapshot):
            _student(etree.SubElement(element, _q("Student")), snapshot)
        elif isinstance(snapshot, EnrolmentSnapshot):
            _enrolment(etree.SubElement(element, _q("Enrolment")), snapshot)
        elif isinstance(snapshot, OrgUnitSnapshot):
            tag = "Organization" if snapshot.kind == "organization" else "Authority"
            _unit(etree.SubElement(element, _q(tag)), snapshot)
    return cast(bytes, etree.tostring(root, encoding="UTF-8"))


def _student(element: etree._Element, s: StudentSnapshot) -> None:
    for name, value in (
        ("Id", s.id),
        ("LastName", s.last_name),
        ("FirstName", s.first_name),
        ("MiddleName", s.middle_name),
        ("Sex", s.sex),
        ("BirthDate", s.birth_date),
        ("Snils", s.snils),
        ("CitizenshipCode", s.citizenship_code),
        ("StatusCode", s.status_code),
    ):
        _add(element, name, value)
    if s.current_enrolment is not None:
        _enrolment(etree.SubElement(element, _q("CurrentEnrolment")), s.current_enrolment)


def _enrolment(element: etree._Element, e: EnrolmentSnapshot) -> None:
    for name, value in (
        ("Id", e.id),
        ("StudentId", e.student_id),
        ("OrganizationId", e.organization_id),
        ("ClassGroupId", e.class_group_id),
        ("ClassName", e.class_name),
        ("EducationLevelCode", e.education_level_code),
        ("ProgrammeKindCode", e.programme_kind_code),
        ("EducationFormCode", e.education_form_code),
        ("EntryDate", e.entry_date),
        ("EntryReasonCode", e.entry_reason_code),
        ("ExitDate", e.exit_date),
        ("ExitReasonCode", e.exit_reason_code),
    ):
        _add(element, name, value)


def _unit(element: etree._Element, u: OrgUnitSnapshot) -> None:
    for name, value in (
        ("Id", u.id),
        ("ParentId", u.parent_id),
        ("FullName", u.full_name),
        ("ShortName", u.short_name),
        ("Inn", u.inn),
        ("Kpp", u.kpp),
        ("Ogrn", u.ogrn),
        ("Oktmo", u.oktmo),
        ("StatusCode", u.status_code),
        ("TypeCode", u.type_code),
        ("Level", u.level),
    ):
        _add(element, name, value)
