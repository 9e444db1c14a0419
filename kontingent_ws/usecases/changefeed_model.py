"""Plain values of the change feed: entities, operations, snapshots, a change and a page.

The snapshots and the change are built positionally from the page query (``changefeed_snapshots``
checks that its columns are their leading fields in order); keep their fields in the order of the
feed's XML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STUDENT = "student"
ENROLMENT = "enrolment"
ORGANIZATION = "organization"
AUTHORITY = "authority"
ENTITIES = (STUDENT, ENROLMENT, ORGANIZATION, AUTHORITY)

UPSERT = "upsert"
DELETE = "delete"
MERGE = "merge"
OPERATIONS = (UPSERT, DELETE, MERGE)


@dataclass(frozen=True)
class EnrolmentSnapshot:
    id: int
    student_id: int
    organization_id: int
    class_group_id: int | None
    class_name: str | None
    education_level_code: str | None
    programme_kind_code: str | None
    education_form_code: str
    entry_date: dt.date
    entry_reason_code: str
    exit_date: dt.date | None
    exit_reason_code: str | None


@dataclass(frozen=True)
class StudentSnapshot:
    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    sex: str
    birth_date: dt.date
    snils: str | None
    citizenship_code: str
    status_code: str | None
    current_enrolment: EnrolmentSnapshot | None


@dataclass(frozen=True)
class OrgUnitSnapshot:
    id: int
    kind: str
    """``organization`` or ``authority``."""
    parent_id: int | None
    full_name: str
    short_name: str
    inn: str | None
    kpp: str | None
    ogrn: str | None
    oktmo: str | None
    status_code: str
    type_code: str | None
    """Organization type (classifier ``org_type``); none for an authority."""
    level: str | None
    """Authority level (``region``, ``municipality``); none for an organization."""


Snapshot = StudentSnapshot | EnrolmentSnapshot | OrgUnitSnapshot


@dataclass(frozen=True)
class Change:
    """One entry of the feed."""

    version: int
    entity: str
    entity_id: int
    operation: str
    changed_at: dt.datetime
    merged_into_id: int | None
    org_unit_id: int | None
    snapshot: Snapshot | None
    """Current data of the entity for an upsert (``None`` if it has been deleted since)."""


@dataclass(frozen=True, kw_only=True)
class ChangePage:
    """One page of the feed."""

    changes: tuple[Change, ...]
    next_version: int
    """The version to pass as ``since`` next time (``since`` itself when the page is empty)."""
    has_more: bool
    """More changes are already committed after ``next_version``."""
