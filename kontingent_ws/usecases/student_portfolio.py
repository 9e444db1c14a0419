"""A student's portfolio: personal details in full, legal representatives, education documents.

Health data (health group, disability group, special educational needs) is a special category
of personal data (152-ФЗ art. 10): it is returned only to a system administrator and to users
of the student's own current organization, who need it to organise the education; authorities'
staff and consumer systems get the portfolio without it. Every read is audited: one event per
person returned (the student and each representative).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from adapters.identifiers import format_snils
from db.classifiers import (
    ADDRESS_KIND,
    CITIZENSHIP,
    EDUCATION_DOCUMENT_TYPE,
    EDUCATION_FORM,
    EDUCATION_LEVEL,
    ENROLMENT_STATUS,
    HEALTH_GROUP,
    IDENTITY_DOCUMENT_TYPE,
    REPRESENTATIVE_KIND,
    SEX,
)
from db.models import (
    Address,
    ClassGroup,
    EducationDocument,
    IdentityDocument,
    LegalRepresentative,
    OrgUnit,
    Person,
    PersonAddress,
    Student,
)
from db.prepared import PreparedQuery
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound
from kontingent_ws.security import audit
from kontingent_ws.security.caller import SYSTEM_ADMIN, Caller
from kontingent_ws.security.permissions import VIEW_REGISTRIES, require
from kontingent_ws.security.scope import caller_of
from kontingent_ws.usecases.paging import label
from kontingent_ws.usecases.students import ensure_student_visible

PORTFOLIO_OBJECT = "student_portfolio"
"""Audit object type of a portfolio read."""


@dataclass(frozen=True, kw_only=True)
class DocumentView:
    type_code: str
    type_name: str | None
    series: str | None
    number: str
    issued_on: dt.date | None
    issued_by: str | None
    is_primary: bool


@dataclass(frozen=True, kw_only=True)
class AddressView:
    kind_code: str
    kind_name: str | None
    full_text: str
    postal_code: str | None
    oktmo: str | None
    fias_guid: str | None


@dataclass(frozen=True, kw_only=True)
class PersonView:
    """A person's details in full (СНИЛС formatted, documents unmasked)."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: dt.date
    birth_place: str | None
    sex: str
    sex_name: str | None
    citizenship: str
    citizenship_name: str | None
    snils: str | None
    inn: str | None
    phone: str | None
    email: str | None
    documents: list[DocumentView]
    addresses: list[AddressView]


@dataclass(frozen=True, kw_only=True)
class HealthView:
    """Special-category data: shown only to the roles named in the module docstring."""

    health_group: str | None
    health_group_name: str | None
    disability_group: str | None
    has_special_needs: bool


@dataclass(frozen=True, kw_only=True)
class RepresentativeView:
    kind_code: str
    kind_name: str | None
    authority_document: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    is_primary_contact: bool
    person: PersonView


@dataclass(frozen=True, kw_only=True)
class EducationDocumentView:
    type_code: str
    type_name: str | None
    series: str | None
    number: str
    issued_on: dt.date
    organization_id: int | None
    issuer_name: str | None
    with_honours: bool


@dataclass(frozen=True, kw_only=True)
class StudentPortfolio:
    person: PersonView
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
    health: HealthView | None
    """``None`` when the caller's role does not need health data."""
    representatives: list[RepresentativeView]
    education_documents: list[EducationDocumentView]


def may_see_health(caller: Caller, current_organization_id: int | None) -> bool:
    """A system administrator, or a user of the student's own current organization."""
    if caller.kind == "user" and caller.role == SYSTEM_ADMIN:
        return True
    return caller.kind == "user" and current_organization_id is not None and caller.unit_id == current_organization_id


# The statements of a portfolio are built once: Core selects of plain columns with bound parameters
# (building and compiling an ORM select per call cost more CPU than PostgreSQL spends answering it),
# prepared once per connection on PostgreSQL (db/prepared.py).
_person, _student, _unit, _class = Person.__table__, Student.__table__, OrgUnit.__table__, ClassGroup.__table__
_representative, _document = LegalRepresentative.__table__, IdentityDocument.__table__
_person_address, _address, _education = PersonAddress.__table__, Address.__table__, EducationDocument.__table__

_PERSON_COLUMNS = (
    _person.c.id, _person.c.last_name, _person.c.first_name, _person.c.middle_name, _person.c.birth_date,
    _person.c.birth_place, _person.c.sex, _person.c.citizenship_code, _person.c.snils, _person.c.inn,
    _person.c.phone, _person.c.email,
)  # fmt: skip
_PERSON_WIDTH = len(_PERSON_COLUMNS)

STUDENT_ROW = PreparedQuery(
    select(
        *_PERSON_COLUMNS, _student.c.status_code, _student.c.current_organization_id, _unit.c.short_name,
        _student.c.current_class_group_id, _class.c.name, _student.c.education_level_code,
        _student.c.education_form_code, _student.c.health_group_code, _student.c.disability_group_code,
        _student.c.has_special_needs,
    )
    .select_from(
        _student.join(_person, _person.c.id == _student.c.id)
        .outerjoin(_unit, _unit.c.id == _student.c.current_organization_id)
        .outerjoin(_class, _class.c.id == _student.c.current_class_group_id)
    )
    .where(_student.c.id == bindparam("student_id")),
    name="portfolio_student",
)  # fmt: skip
REPRESENTATIVES = PreparedQuery(
    select(
        _representative.c.kind_code, _representative.c.authority_document, _representative.c.valid_from,
        _representative.c.valid_to, _representative.c.is_primary_contact, *_PERSON_COLUMNS,
    )
    .select_from(_representative.join(_person, _person.c.id == _representative.c.person_id))
    .where(_representative.c.student_id == bindparam("student_id"))
    .order_by(_representative.c.is_primary_contact.desc(), _representative.c.id),
    name="portfolio_representatives",
)  # fmt: skip
DOCUMENTS = PreparedQuery(
    select(
        _document.c.person_id, _document.c.doc_type_code, _document.c.series, _document.c.number,
        _document.c.issued_on, _document.c.issued_by, _document.c.is_primary,
    )
    .where(_document.c.person_id.in_(bindparam("person_ids", expanding=True)))
    .order_by(_document.c.is_primary.desc(), _document.c.id),
    name="portfolio_documents",
)  # fmt: skip
ADDRESSES = PreparedQuery(
    select(
        _person_address.c.person_id, _person_address.c.kind_code, _address.c.full_text, _address.c.postal_code,
        _address.c.oktmo, _address.c.fias_guid,
    )
    .select_from(_person_address.join(_address, _address.c.id == _person_address.c.address_id))
    .where(_person_address.c.person_id.in_(bindparam("person_ids", expanding=True)))
    .order_by(_person_address.c.kind_code, _person_address.c.id),
    name="portfolio_addresses",
)  # fmt: skip
EDUCATION_DOCUMENTS = PreparedQuery(
    select(
        _education.c.doc_type_code, _education.c.series, _education.c.number, _education.c.issued_on,
        _education.c.organization_id, _education.c.issuer_name, _education.c.with_honours,
    )
    .where(_education.c.student_id == bindparam("student_id"))
    .order_by(_education.c.issued_on, _education.c.id),
    name="portfolio_education",
)  # fmt: skip


def get_student_portfolio(call: CallContext, *, student_id: int) -> StudentPortfolio:
    """The portfolio of a visible student; audits a read of the student and each representative."""
    caller = caller_of(call)
    if not caller.sees_region:
        ensure_student_visible(call, student_id, object_type=PORTFOLIO_OBJECT)
    require(caller, VIEW_REGISTRIES)
    # The statements are Core selects: they run on the session's connection, past the ORM's execution.
    connection = call.session.connection()
    found = STUDENT_ROW.first(connection, {"student_id": student_id})
    if found is None:
        raise NotFound(f"Обучающийся с идентификатором {student_id} не найден", field="StudentId")
    person = found[:_PERSON_WIDTH]
    (status, organization_id, organization_name, class_group_id, class_name, level, form, health_group,
     disability_group, special_needs) = found[_PERSON_WIDTH:]  # fmt: skip
    representatives = REPRESENTATIVES.rows(connection, {"student_id": student_id})
    person_ids = [student_id, *(row[5] for row in representatives)]
    documents = _documents(connection, person_ids)
    addresses = _addresses(connection, person_ids)

    def view(row: Sequence[Any]) -> PersonView:
        return _person_view(row, documents[row[0]], addresses[row[0]])

    education_documents = EDUCATION_DOCUMENTS.rows(connection, {"student_id": student_id})
    health = None
    if may_see_health(caller, organization_id):
        health = HealthView(
            health_group=health_group,
            health_group_name=label(HEALTH_GROUP, health_group),
            disability_group=disability_group,
            has_special_needs=bool(special_needs),
        )
    audit.record_reads(call, person_ids, object_type=PORTFOLIO_OBJECT, details=f"student={student_id}")
    return StudentPortfolio(
        person=view(person),
        status=status,
        status_name=label(ENROLMENT_STATUS, status),
        organization_id=organization_id,
        organization_name=organization_name,
        class_group_id=class_group_id,
        class_name=class_name,
        education_level=level,
        education_level_name=label(EDUCATION_LEVEL, level),
        education_form=form,
        education_form_name=label(EDUCATION_FORM, form),
        health=health,
        representatives=[
            RepresentativeView(
                kind_code=kind,
                kind_name=label(REPRESENTATIVE_KIND, kind),
                authority_document=authority_document,
                valid_from=valid_from,
                valid_to=valid_to,
                is_primary_contact=bool(primary),
                person=view(row[5:]),
            )
            for row in representatives
            for kind, authority_document, valid_from, valid_to, primary in (row[:5],)
        ],
        education_documents=[
            EducationDocumentView(
                type_code=type_code,
                type_name=label(EDUCATION_DOCUMENT_TYPE, type_code),
                series=series,
                number=number,
                issued_on=issued_on,
                organization_id=issuer_id,
                issuer_name=issuer_name,
                with_honours=bool(honours),
            )
            for type_code, series, number, issued_on, issuer_id, issuer_name, honours in education_documents
        ],
    )


def _person_view(row: Sequence[Any], documents: list[DocumentView], addresses: list[AddressView]) -> PersonView:
    (person_id, last_name, first_name, middle_name, birth_date, birth_place, sex, citizenship, snils, inn, phone,
     email) = row  # fmt: skip
    return PersonView(
        id=person_id,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        birth_date=birth_date,
        birth_place=birth_place,
        sex=sex,
        sex_name=label(SEX, sex),
        citizenship=citizenship,
        citizenship_name=label(CITIZENSHIP, citizenship),
        snils=format_snils(snils) if snils else None,
        inn=inn,
        phone=phone,
        email=email,
        documents=documents,
        addresses=addresses,
    )


def _documents(connection: Connection, person_ids: Sequence[int]) -> defaultdict[int, list[DocumentView]]:
    found: defaultdict[int, list[DocumentView]] = defaultdict(list)
    for person_id, type_code, series, number, issued_on, issued_by, primary in DOCUMENTS.rows(
        connection, {"person_ids": list(person_ids)}
    ):
        found[person_id].append(
            DocumentView(
                type_code=type_code,
                type_name=label(IDENTITY_DOCUMENT_TYPE, type_code),
                series=series,
                number=number,
                issued_on=issued_on,
                issued_by=issued_by,
                is_primary=bool(primary),
            )
        )
    return found


def _addresses(connection: Connection, person_ids: Sequence[int]) -> defaultdict[int, list[AddressView]]:
    found: defaultdict[int, list[AddressView]] = defaultdict(list)
    for person_id, kind, full_text, postal_code, oktmo, fias_guid in ADDRESSES.rows(
        connection, {"person_ids": list(person_ids)}
    ):
        found[person_id].append(
            AddressView(
                kind_code=kind,
                kind_name=label(ADDRESS_KIND, kind),
                full_text=full_text,
                postal_code=postal_code,
                oktmo=oktmo,
                fias_guid=str(fias_guid) if fias_guid else None,
            )
        )
    return found
