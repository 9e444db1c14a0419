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
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_, select, true

from adapters.identifiers import mask_document_number, mask_snils
from db.classifiers import EDUCATION_FORM, EDUCATION_LEVEL, ENROLMENT_STATUS, IDENTITY_DOCUMENT_TYPE, SEX
from db.hierarchy import subtree_ids
from db.models import (
    ClassGroup,
    Enrolment,
    IdentityDocument,
    OrgUnit,
    OrgUnitClosure,
    Person,
    Student,
    StudentSurname,
)
from db.prepared import PreparedQuery
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
    sort_key,
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


_person, _student, _enrolment = Person.__table__, Student.__table__, Enrolment.__table__
_closure, _document = OrgUnitClosure.__table__, IdentityDocument.__table__
_surname = StudentSurname.__table__
_Org = OrgUnit.__table__.alias("current_org")
_Class = ClassGroup.__table__.alias("current_class")

SORTABLE: Sortable = {
    "Id": (_student.c.id,),
    "LastName": (_person.c.last_name_norm, _person.c.first_name_norm, _person.c.birth_date),
    "FirstName": (_person.c.first_name_norm,),
    "MiddleName": (_person.c.middle_name_norm,),
    "BirthDate": (_person.c.birth_date,),
    "Sex": (_person.c.sex,),
    "Status": (_student.c.status_code,),
    "OrganizationName": (_Org.c.short_name,),
    "ClassName": (_Class.c.name,),
    "EducationLevel": (_student.c.education_level_code,),
    "EducationForm": (_student.c.education_form_code,),
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
    caller = caller_of(call)
    require(caller, VIEW_REGISTRIES)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    sort = sort_key(sort_by, sort_direction, columns=SORTABLE, default="LastName")
    values = _criteria(call, criteria)
    if not caller.sees_region:
        if caller.unit_id is None:
            raise deny(call, object_type="student", object_id=None)
        values[SCOPE] = caller.unit_id
    counted, page_query = _statements(tuple(sorted(values)), sort)
    if counted is SURNAME_COUNT:
        total = SURNAME_TOTAL.first(call.session.connection(), values)[0]
    else:
        total = call.session.execute(counted, values).scalar() or 0
    if total <= paging.offset:
        return PageOf(items=[], total=total)
    rows = _rows(call, page_query, {**values, "page_offset": paging.offset, "page_limit": paging.limit})
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
    return select(
        _student.c.id, _person.c.last_name, _person.c.first_name, _person.c.middle_name, _person.c.birth_date,
        _person.c.sex, _person.c.snils, _student.c.status_code, _student.c.current_organization_id,
        _Org.c.short_name, _student.c.current_class_group_id, _Class.c.name, _student.c.education_level_code,
        _student.c.education_form_code,
    ).select_from(
        _student.join(_person, _person.c.id == _student.c.id)
        .outerjoin(_Org, _Org.c.id == _student.c.current_organization_id)
        .outerjoin(_Class, _Class.c.id == _student.c.current_class_group_id)
    )  # fmt: skip




def _subtree(parameter: str) -> Select[Any]:
    return select(_closure.c.descendant_id).where(_closure.c.ancestor_id == bindparam(parameter))


SCOPE = "scope_unit"
"""Parameter of the caller's unit when the caller does not see the whole region."""

CONDITIONS: dict[str, ColumnElement[bool]] = {
    "surname_low": _person.c.last_name_norm >= bindparam("surname_low"),
    "surname_high": _person.c.last_name_norm < bindparam("surname_high"),
    "first_name": _person.c.first_name_norm.like(bindparam("first_name"), escape="\\"),
    "middle_name": _person.c.middle_name_norm.like(bindparam("middle_name"), escape="\\"),
    "snils": _person.c.snils == bindparam("snils"),
    "birth_date": _person.c.birth_date == bindparam("birth_date"),
    "birth_from": _person.c.birth_date >= bindparam("birth_from"),
    "birth_to": _person.c.birth_date <= bindparam("birth_to"),
    "sex": _person.c.sex == bindparam("sex"),
    "organization_id": _student.c.current_organization_id == bindparam("organization_id"),
    "organization_tree": _student.c.current_organization_id.in_(_subtree("organization_tree")),
    "class_group_id": _student.c.current_class_group_id == bindparam("class_group_id"),
    "education_level": _student.c.education_level_code == bindparam("education_level"),
    "education_form": _student.c.education_form_code == bindparam("education_form"),
    "status": _student.c.status_code == bindparam("status"),
    SCOPE: or_(
        _student.c.current_organization_id.in_(_subtree(SCOPE)),
        exists().where(_enrolment.c.student_id == _student.c.id, _enrolment.c.organization_id.in_(_subtree(SCOPE))),
    ),
}
"""Every search condition by the name of the parameter (or the first of the parameters) it binds."""
PAGE_CONDITIONS = {
    **CONDITIONS,
    "surname_low": _person.c.last_name_norm >= select(bindparam("surname_low")).scalar_subquery(),
    "surname_high": _person.c.last_name_norm < select(bindparam("surname_high")).scalar_subquery(),
}
"""The conditions of a page: the surname bounds as sub-selects, which PostgreSQL plans as parameters
(a range of 0.5 % of the persons) instead of estimating the range of the literal prefix: that estimate
is often one row for Cyrillic prefixes within a histogram bucket (1M demo: ФЕД, 30,501 persons), and
the planner then joins every person with the prefix and sorts them (190–260 ms) instead of walking
the (last name, first name, birth date) index in order and stopping after one page (4 ms)."""
ON_PERSON = frozenset({"surname_low", "surname_high", "first_name", "middle_name", "snils", "birth_date",
                       "birth_from", "birth_to", "sex"})  # fmt: skip
SURNAME_ONLY = ("surname_high", "surname_low")
"""The (sorted) parameters of a search by surname prefix alone, which is counted on ``student_surname``."""
SURNAME_COUNT = (
    select(func.count())
    .select_from(_surname)
    .where(_surname.c.surname_norm >= bindparam("surname_low"), _surname.c.surname_norm < bindparam("surname_high"))
)
"""The total of a search by surname prefix alone: a range walk of the index of students' surnames
(migration 0005) instead of every person with the prefix joined to ``student``."""
SURNAME_TOTAL = PreparedQuery(SURNAME_COUNT, name="surname_total")
""":data:`SURNAME_COUNT` as run (prepared on PostgreSQL: its plan is the same index range whatever the bounds)."""


@lru_cache(maxsize=512)
def _statements(names: tuple[str, ...], sort: tuple[str, bool]) -> tuple[Select[Any], Select[Any]]:
    """The count and the page statements of a search binding ``names`` sorted by ``sort``, built once
    per shape: a search costs the binding of its values, not the building of its statements."""
    where = [CONDITIONS[name] for name in names]
    page_where = [PAGE_CONDITIONS[name] for name in names]
    counted = select(func.count()).select_from(_student)
    if ON_PERSON.intersection(names):
        counted = counted.join(_person, _person.c.id == _student.c.id)
    name, descending = sort
    keys = [*SORTABLE[name], _student.c.id]
    order = [key.desc() if descending else key.asc() for key in keys]
    page = row_query().where(*page_where).order_by(*order)
    page = page.offset(bindparam("page_offset")).limit(bindparam("page_limit"))
    return (SURNAME_COUNT if names == SURNAME_ONLY else counted.where(*where)), page


def _criteria(call: CallContext, criteria: StudentFilter) -> dict[str, Any]:
    """The checked values of the given criteria by their parameter names (see :data:`CONDITIONS`)."""
    values: dict[str, Any] = {}
    surname = prefix_range(criteria.last_name)
    if surname is not None:
        values["surname_low"], values["surname_high"] = surname
    for name, value in (("first_name", criteria.first_name), ("middle_name", criteria.middle_name)):
        pattern = prefix_pattern(value)
        if pattern is not None:
            values[name] = pattern
    snils = checked_snils(criteria.snils)
    if snils is not None:
        values["snils"] = snils
    if criteria.birth_date is not None:
        values["birth_date"] = criteria.birth_date
    start, end = checked_range(
        criteria.birth_date_from, criteria.birth_date_to, field_from="BirthDateFrom", field_to="BirthDateTo"
    )
    if start is not None:
        values["birth_from"] = start
    if end is not None:
        values["birth_to"] = end
    sex = checked_code(criteria.sex, classifier=SEX, field="Sex")
    if sex is not None:
        values["sex"] = sex
    if criteria.organization_id is not None:
        _check_organization(call, criteria.organization_id)
        values["organization_tree" if criteria.include_subordinate else "organization_id"] = criteria.organization_id
    if criteria.class_group_id is not None:
        organization_id = call.session.scalar(
            select(ClassGroup.organization_id).where(ClassGroup.id == criteria.class_group_id)
        )
        if organization_id is None:
            raise NotFound(
                f"Класс (группа) с идентификатором {criteria.class_group_id} не найден", field="ClassGroupId"
            )
        ensure_unit_visible(call, organization_id, object_type="class_group")
        values["class_group_id"] = criteria.class_group_id
    for name, value, classifier, field in (
        ("education_level", criteria.education_level, EDUCATION_LEVEL, "EducationLevel"),
        ("education_form", criteria.education_form, EDUCATION_FORM, "EducationForm"),
        ("status", criteria.status, ENROLMENT_STATUS, "Status"),
    ):
        code = checked_code(value, classifier=classifier, field=field)
        if code is not None:
            values[name] = code
    return values


def _check_organization(call: CallContext, organization_id: int) -> None:
    kind = call.session.scalar(select(OrgUnit.kind).where(OrgUnit.id == organization_id))
    if kind is None:
        raise NotFound(f"Организация с идентификатором {organization_id} не найдена", field="OrganizationId")
    ensure_unit_visible(call, organization_id, object_type="organization")


def _rows(call: CallContext, query: Select[Any], values: dict[str, Any]) -> list[StudentRow]:
    found = call.session.execute(query, values).all()
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


PRIMARY_DOCUMENTS = PreparedQuery(
    select(_document.c.person_id, _document.c.doc_type_code, _document.c.series, _document.c.number)
    .where(_document.c.person_id.in_(bindparam("person_ids", expanding=True)))
    .order_by(_document.c.person_id, _document.c.is_primary.desc(), _document.c.id),
    name="primary_documents",
)


def primary_documents(call: CallContext, person_ids: Sequence[int]) -> dict[int, Any]:
    """The main identity document of each person (primary first, then the oldest), one query:
    rows with ``doc_type_code``, ``series`` and ``number``."""
    if not person_ids:
        return {}
    documents: dict[int, Any] = {}
    for document in PRIMARY_DOCUMENTS.rows(call.session.connection(), {"person_ids": list(person_ids)}):
        documents.setdefault(document.person_id, document)
    return documents


def _document_text(document: Any) -> str:
    return f"{document.series} {document.number}" if document.series else document.number
