"""The student registry (контингент): search with masked rows, and who may see which student.

A student is visible to a caller when the current organization or the organization of any of
the student's enrolments lies within the caller's scope; a system administrator and consumer
systems (EPGU, the federal segment) see the whole region. Lists show СНИЛС and identity
documents masked; every returned person is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, true
from sqlalchemy.orm import aliased

from adapters.identifiers import mask_document_number, mask_snils
from db.classifiers import EDUCATION_FORM, EDUCATION_LEVEL, ENROLMENT_STATUS, IDENTITY_DOCUMENT_TYPE, SEX
from db.hierarchy import subtree_ids
from db.models import ClassGroup, Enrolment, IdentityDocument, OrgUnit, Person, Student
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound
from kontingent_ws.security import audit
from kontingent_ws.security.permissions import VIEW_REGISTRIES, require
from kontingent_ws.security.scope import caller_of, deny, ensure_unit_visible
from kontingent_ws.usecases.listing import PageOf, check_paging
from kontingent_ws.usecases.paging import (
    Sortable,
    checked_code,
    checked_range,
    checked_snils,
    label,
    prefix_pattern,
    prefix_range,
    sort_order,
)

LIST_OBJECT = "student_list"
"""Audit object type of a student seen in a (masked) list."""


@dataclass(frozen=True, kw_only=True)
class StudentFilter:
    """Criteria of a student search; every given criterion must hold."""

    last_name: str | None = None
    """Prefix of the surname, case-insensitive, ё and е alike."""
    first_name: str | None = None
    middle_name: str | None = None
    snils: str | None = None
    """СНИЛС in any accepted spelling."""
    birth_date: dt.date | None = None
    birth_date_from: dt.date | None = None
    birth_date_to: dt.date | None = None
    sex: str | None = None
    organization_id: int | None = None
    """The current organization; with ``include_subordinate`` also the organizations below it."""
    include_subordinate: bool = False
    class_group_id: int | None = None
    education_level: str | None = None
    education_form: str | None = None
    status: str | None = None
    """Classifier ``enrolment_status``: 1 studying, 2 left, 3 graduated, 4 on leave."""


@dataclass(frozen=True, kw_only=True)
class StudentRow:
    """A student as a list shows it: СНИЛС and document number masked."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: dt.date
    sex: str
    sex_name: str | None
    snils_masked: str | None
    document_type: str | None
    document_type_name: str | None
    document_masked: str | None
    status: str | None
    status_name: str | None
    organization_id: int | None
    organization_name: str | None
    class_group_id: int | None
    class_name: str | None
    education_level: str | None
    education_level_name: str | None
    education_form: str | None
    education_form_name: str | None


_Org = aliased(OrgUnit, name="current_org")
_Class = aliased(ClassGroup, name="current_class")

SORTABLE: Sortable = {
    "Id": (Student.id,),
    "LastName": (Person.last_name_norm, Person.first_name_norm, Person.birth_date),
    "FirstName": (Person.first_name_norm,),
    "MiddleName": (Person.middle_name_norm,),
    "BirthDate": (Person.birth_date,),
    "Sex": (Person.sex,),
    "Status": (Student.status_code,),
    "OrganizationName": (_Org.short_name,),
    "ClassName": (_Class.name,),
    "EducationLevel": (Student.education_level_code,),
    "EducationForm": (Student.education_form_code,),
}
"""Answer fields a student list may be sorted by; ``LastName`` (the default) follows the order of
the index on (last name, first name, birth date), so a page of a surname search is an index walk."""


def visible_students(call: CallContext) -> ColumnElement[bool]:
    """WHERE clause: students the caller may see (current organization or any enrolment in scope)."""
    caller = caller_of(call)
    if caller.sees_region:
        return true()
    if caller.unit_id is None:
        raise deny(call, object_type="student", object_id=None)
    scope = subtree_ids(caller.unit_id)
    return or_(
        Student.current_organization_id.in_(scope),
        exists().where(Enrolment.student_id == Student.id, Enrolment.organization_id.in_(scope)),
    )


def ensure_student_visible(call: CallContext, student_id: int, *, object_type: str) -> None:
    """Refuse an unknown student (``Client.NotFound``) or one outside the caller's scope (audited)."""
    require(caller_of(call), VIEW_REGISTRIES)
    visible = call.session.execute(
        select(visible_students(call)).select_from(Student).where(Student.id == student_id)
    ).scalar_one_or_none()
    if visible is None:
        raise NotFound(f"Обучающийся с идентификатором {student_id} не найден", field="StudentId")
    if not visible:
        raise deny(call, object_type=object_type, object_id=student_id)


def search_students(
    call: CallContext,
    criteria: StudentFilter,
    *,
    sort_by: str | None,
    sort_direction: str | None,
    page: int,
    page_size: int,
) -> PageOf[StudentRow]:
    """One page of the students matching ``criteria`` within the caller's scope, with the total."""
    require(caller_of(call), VIEW_REGISTRIES)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    order = sort_order(sort_by, sort_direction, columns=SORTABLE, default="LastName", tiebreak=Student.id)
    student_conditions, person_conditions = _conditions(call, criteria)
    where = and_(visible_students(call), *student_conditions, *person_conditions)

    counted = select(func.count()).select_from(Student)
    if person_conditions:
        counted = counted.join(Person, Person.id == Student.id)
    total = call.session.scalar(counted.where(where)) or 0
    if total <= paging.offset:
        return PageOf(items=[], total=total)
    rows = _rows(call, row_query().where(where).order_by(*order.clauses).offset(paging.offset).limit(paging.limit))
    audit.record_reads(call, [row.id for row in rows], object_type=LIST_OBJECT)
    return PageOf(items=rows, total=total)


def list_organization_students(
    call: CallContext, *, organization_id: int, status: str | None, page: int, page_size: int
) -> PageOf[StudentRow]:
    """Students whose current organization is ``organization_id`` (optionally of one status), by name."""
    return search_students(
        call,
        StudentFilter(
            organization_id=organization_id,
            status=checked_code(status, classifier=ENROLMENT_STATUS, field="Status"),
        ),
        sort_by="LastName",
        sort_direction="asc",
        page=page,
        page_size=page_size,
    )


def row_query() -> Select[Any]:
    """The columns of a student row (documents come from a second query)."""
    return (
        select(
            Student.id,
            Person.last_name,
            Person.first_name,
            Person.middle_name,
            Person.birth_date,
            Person.sex,
            Person.snils,
            Student.status_code,
            Student.current_organization_id,
            _Org.short_name,
            Student.current_class_group_id,
            _Class.name,
            Student.education_level_code,
            Student.education_form_code,
        )
        .select_from(Student)
        .join(Person, Person.id == Student.id)
        .outerjoin(_Org, _Org.id == Student.current_organization_id)
        .outerjoin(_Class, _Class.id == Student.current_class_group_id)
    )


def _conditions(
    call: CallContext, criteria: StudentFilter
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """(conditions on ``student``, conditions on ``person``) of the criteria, checked."""
    on_student: list[ColumnElement[bool]] = []
    on_person: list[ColumnElement[bool]] = []
    surname = prefix_range(criteria.last_name)
    if surname is not None:
        on_person.extend([Person.last_name_norm >= surname[0], Person.last_name_norm < surname[1]])
    for column, value in (
        (Person.first_name_norm, criteria.first_name),
        (Person.middle_name_norm, criteria.middle_name),
    ):
        pattern = prefix_pattern(value)
        if pattern is not None:
            on_person.append(column.like(pattern, escape="\\"))
    snils = checked_snils(criteria.snils)
    if snils is not None:
        on_person.append(Person.snils == snils)
    if criteria.birth_date is not None:
        on_person.append(Person.birth_date == criteria.birth_date)
    start, end = checked_range(
        criteria.birth_date_from, criteria.birth_date_to, field_from="BirthDateFrom", field_to="BirthDateTo"
    )
    if start is not None:
        on_person.append(Person.birth_date >= start)
    if end is not None:
        on_person.append(Person.birth_date <= end)
    sex = checked_code(criteria.sex, classifier=SEX, field="Sex")
    if sex is not None:
        on_person.append(Person.sex == sex)
    if criteria.organization_id is not None:
        on_student.append(_organization_condition(call, criteria.organization_id, criteria.include_subordinate))
    if criteria.class_group_id is not None:
        organization_id = call.session.scalar(
            select(ClassGroup.organization_id).where(ClassGroup.id == criteria.class_group_id)
        )
        if organization_id is None:
            raise NotFound(
                f"Класс (группа) с идентификатором {criteria.class_group_id} не найден", field="ClassGroupId"
            )
        ensure_unit_visible(call, organization_id, object_type="class_group")
        on_student.append(Student.current_class_group_id == criteria.class_group_id)
    for column, value, classifier, field in (
        (Student.education_level_code, criteria.education_level, EDUCATION_LEVEL, "EducationLevel"),
        (Student.education_form_code, criteria.education_form, EDUCATION_FORM, "EducationForm"),
        (Student.status_code, criteria.status, ENROLMENT_STATUS, "Status"),
    ):
        code = checked_code(value, classifier=classifier, field=field)
        if code is not None:
            on_student.append(column == code)
    return on_student, on_person


def _organization_condition(call: CallContext, organization_id: int, include_subordinate: bool) -> ColumnElement[bool]:
    kind = call.session.scalar(select(OrgUnit.kind).where(OrgUnit.id == organization_id))
    if kind is None:
        raise NotFound(f"Организация с идентификатором {organization_id} не найдена", field="OrganizationId")
    ensure_unit_visible(call, organization_id, object_type="organization")
    if include_subordinate:
        return Student.current_organization_id.in_(subtree_ids(organization_id))
    return Student.current_organization_id == organization_id


def _rows(call: CallContext, query: Select[Any]) -> list[StudentRow]:
    found = call.session.execute(query).all()
    documents = primary_documents(call, [row[0] for row in found])
    rows = []
    for (sid, last, first, middle, born, sex, snils, status, org_id, org_name, class_id, class_name,
         level, form) in found:
        document = documents.get(sid)
        rows.append(
            StudentRow(
                id=sid,
                last_name=last,
                first_name=first,
                middle_name=middle,
                birth_date=born,
                sex=sex,
                sex_name=label(SEX, sex),
                snils_masked=mask_snils(snils) if snils else None,
                document_type=document.doc_type_code if document else None,
                document_type_name=label(IDENTITY_DOCUMENT_TYPE, document.doc_type_code) if document else None,
                document_masked=mask_document_number(_document_text(document)) if document else None,
                status=status,
                status_name=label(ENROLMENT_STATUS, status),
                organization_id=org_id,
                organization_name=org_name,
                class_group_id=class_id,
                class_name=class_name,
                education_level=level,
                education_level_name=label(EDUCATION_LEVEL, level),
                education_form=form,
                education_form_name=label(EDUCATION_FORM, form),
            )
        )
    return rows


def primary_documents(call: CallContext, person_ids: Sequence[int]) -> dict[int, IdentityDocument]:
    """The main identity document of each person (primary first, then the oldest), one query."""
    if not person_ids:
        return {}
    documents: dict[int, IdentityDocument] = {}
    for document in call.session.scalars(
        select(IdentityDocument)
        .where(IdentityDocument.person_id.in_(person_ids))
        .order_by(IdentityDocument.person_id, IdentityDocument.is_primary.desc(), IdentityDocument.id)
    ):
        documents.setdefault(document.person_id, document)
    return documents


def _document_text(document: IdentityDocument) -> str:
    return f"{document.series} {document.number}" if document.series else document.number
