"""The ChangeFeed contract: ``GetChanges(SinceVersion, PageSize)`` → ``ChangePage``.

A consumer keeps ``NextVersion`` and calls again with it; while ``HasMore`` is true more changes
are waiting. Every committed change arrives exactly once. Thin: unpack, call the use case, pack.
"""

from __future__ import annotations

from typing import Any

from spyne import Integer, Long, ServiceBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types import changefeed as wire
from kontingent_ws.usecases.changefeed import MAX_PAGE_SIZE, changes_for_call
from kontingent_ws.usecases.changefeed_model import (
    Change,
    ChangePage,
    EnrolmentSnapshot,
    OrgUnitSnapshot,
    StudentSnapshot,
)

SinceVersionField = Long(min_occurs=1, nillable=False, ge=0, doc="Вернуть изменения с номером версии больше этого")
PageSizeField = Integer(
    min_occurs=1, nillable=False, ge=1, le=MAX_PAGE_SIZE, doc=f"Число изменений на странице (1–{MAX_PAGE_SIZE})"
)


class ChangeFeedService(ServiceBase):
    """Лента изменений регионального сегмента для федерального сегмента и других потребителей."""

    @operation(
        SinceVersionField,
        PageSizeField,
        _returns=wire.ChangePage.customize(min_occurs=1, nillable=False),
        _out_variable_name="ChangePage",
    )
    def GetChanges(ctx: Any, SinceVersion: int, PageSize: int) -> wire.ChangePage:
        return to_wire(changes_for_call(call_of(ctx), SinceVersion, PageSize))


def _enrolment(e: EnrolmentSnapshot) -> wire.Enrolment:
    return wire.Enrolment(
        Id=e.id,
        StudentId=e.student_id,
        OrganizationId=e.organization_id,
        ClassGroupId=e.class_group_id,
        ClassName=e.class_name,
        EducationLevelCode=e.education_level_code,
        ProgrammeKindCode=e.programme_kind_code,
        EducationFormCode=e.education_form_code,
        EntryDate=e.entry_date,
        EntryReasonCode=e.entry_reason_code,
        ExitDate=e.exit_date,
        ExitReasonCode=e.exit_reason_code,
    )


def _unit(u: OrgUnitSnapshot) -> wire.OrgUnit:
    return wire.OrgUnit(
        Id=u.id,
        ParentId=u.parent_id,
        FullName=u.full_name,
        ShortName=u.short_name,
        Inn=u.inn,
        Kpp=u.kpp,
        Ogrn=u.ogrn,
        Oktmo=u.oktmo,
        StatusCode=u.status_code,
        TypeCode=u.type_code,
        Level=u.level,
    )


def _change(change: Change) -> wire.Change:
    item = wire.Change(
        Version=change.version,
        Entity=change.entity,
        EntityId=change.entity_id,
        Operation=change.operation,
        ChangedAt=change.changed_at,
        OrgUnitId=change.org_unit_id,
        MergedIntoId=change.merged_into_id,
    )
    snapshot = change.snapshot
    if isinstance(snapshot, StudentSnapshot):
        item.Student = wire.Student(
            Id=snapshot.id,
            LastName=snapshot.last_name,
            FirstName=snapshot.first_name,
            MiddleName=snapshot.middle_name,
            Sex=snapshot.sex,
            BirthDate=snapshot.birth_date,
            Snils=snapshot.snils,
            CitizenshipCode=snapshot.citizenship_code,
            StatusCode=snapshot.status_code,
            CurrentEnrolment=_enrolment(snapshot.current_enrolment) if snapshot.current_enrolment else None,
        )
    elif isinstance(snapshot, EnrolmentSnapshot):
        item.Enrolment = _enrolment(snapshot)
    elif isinstance(snapshot, OrgUnitSnapshot):
        if snapshot.kind == "organization":
            item.Organization = _unit(snapshot)
        else:
            item.Authority = _unit(snapshot)
    return item


def to_wire(page: ChangePage) -> wire.ChangePage:
    return wire.ChangePage(
        NextVersion=page.next_version, HasMore=page.has_more, Change=[_change(c) for c in page.changes]
    )
