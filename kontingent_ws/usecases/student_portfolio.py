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

from sqlalchemy import select
from sqlalchemy.orm import aliased

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
from kontingent_ws.call import CallContext
from kontingent_ws.security import audit
from kontingent_ws.security.caller import SYSTEM_ADMIN, Caller
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


def get_student_portfolio(call: CallContext, *, student_id: int) -> StudentPortfolio:
    """The portfolio of a visible student; audits a read of the student and each representative."""
    ensure_student_visible(call, student_id, object_type=PORTFOLIO_OBJECT)
    organization = aliased(OrgUnit)
    student, organization_name, class_name = call.session.execute(
        select(Student, organization.short_name, ClassGroup.name)  # the person comes joined with the student
        .outerjoin(organization, organization.id == Student.current_organization_id)
        .outerjoin(ClassGroup, ClassGroup.id == Student.current_class_group_id)
        .where(Student.id == student_id)
    ).one()
    representatives = call.session.execute(
        select(LegalRepresentative, Person)
        .join(Person, Person.id == LegalRepresentative.person_id)
        .where(LegalRepresentative.student_id == student_id)
        .order_by(LegalRepresentative.is_primary_contact.desc(), LegalRepresentative.id)
    ).all()
    person = student.person
    person_ids = [person.id, *(rep_person.id for _, rep_person in representatives)]
    documents = _documents(call, person_ids)
    addresses = _addresses(call, person_ids)

    def view(someone: Person) -> PersonView:
        return _person_view(someone, documents[someone.id], addresses[someone.id])

    education_documents = call.session.scalars(
        select(EducationDocument)
        .where(EducationDocument.student_id == student_id)
        .order_by(EducationDocument.issued_on, EducationDocument.id)
    ).all()
    health = None
    if may_see_health(caller_of(call), student.current_organization_id):
        health = HealthView(
            health_group=student.health_group_code,
            health_group_name=label(HEALTH_GROUP, student.health_group_code),
            disability_group=student.disability_group_code,
            has_special_needs=student.has_special_needs,
        )
    audit.record_reads(call, person_ids, object_type=PORTFOLIO_OBJECT, details=f"student={student_id}")
    return StudentPortfolio(
        person=view(person),
        status=student.status_code,
        status_name=label(ENROLMENT_STATUS, student.status_code),
        organization_id=student.current_organization_id,
        organization_name=organization_name,
        class_group_id=student.current_class_group_id,
        class_name=class_name,
        education_level=student.education_level_code,
        education_level_name=label(EDUCATION_LEVEL, student.education_level_code),
        education_form=student.education_form_code,
        education_form_name=label(EDUCATION_FORM, student.education_form_code),
        health=health,
        representatives=[
            RepresentativeView(
                kind_code=rep.kind_code,
                kind_name=label(REPRESENTATIVE_KIND, rep.kind_code),
                authority_document=rep.authority_document,
                valid_from=rep.valid_from,
                valid_to=rep.valid_to,
                is_primary_contact=rep.is_primary_contact,
                person=view(rep_person),
            )
            for rep, rep_person in representatives
        ],
        education_documents=[
            EducationDocumentView(
                type_code=doc.doc_type_code,
                type_name=label(EDUCATION_DOCUMENT_TYPE, doc.doc_type_code),
                series=doc.series,
                number=doc.number,
                issued_on=doc.issued_on,
                organization_id=doc.organization_id,
                issuer_name=doc.issuer_name,
                with_honours=doc.with_honours,
            )
            for doc in education_documents
        ],
    )


def _person_view(person: Person, documents: list[DocumentView], addresses: list[AddressView]) -> PersonView:
    return PersonView(
        id=person.id,
        last_name=person.last_name,
        first_name=person.first_name,
        middle_name=person.middle_name,
        birth_date=person.birth_date,
        birth_place=person.birth_place,
        sex=person.sex,
        sex_name=label(SEX, person.sex),
        citizenship=person.citizenship_code,
        citizenship_name=label(CITIZENSHIP, person.citizenship_code),
        snils=format_snils(person.snils) if person.snils else None,
        inn=person.inn,
        phone=person.phone,
        email=person.email,
        documents=documents,
        addresses=addresses,
    )


def _documents(call: CallContext, person_ids: Sequence[int]) -> defaultdict[int, list[DocumentView]]:
    found: defaultdict[int, list[DocumentView]] = defaultdict(list)
    for doc in call.session.scalars(
        select(IdentityDocument)
        .where(IdentityDocument.person_id.in_(person_ids))
        .order_by(IdentityDocument.is_primary.desc(), IdentityDocument.id)
    ):
        found[doc.person_id].append(
            DocumentView(
                type_code=doc.doc_type_code,
                type_name=label(IDENTITY_DOCUMENT_TYPE, doc.doc_type_code),
                series=doc.series,
                number=doc.number,
                issued_on=doc.issued_on,
                issued_by=doc.issued_by,
                is_primary=doc.is_primary,
            )
        )
    return found


def _addresses(call: CallContext, person_ids: Sequence[int]) -> defaultdict[int, list[AddressView]]:
    found: defaultdict[int, list[AddressView]] = defaultdict(list)
    for person_id, kind, address in call.session.execute(
        select(PersonAddress.person_id, PersonAddress.kind_code, Address)
        .join(Address, Address.id == PersonAddress.address_id)
        .where(PersonAddress.person_id.in_(person_ids))
        .order_by(PersonAddress.kind_code, PersonAddress.id)
    ).tuples():
        found[person_id].append(
            AddressView(
                kind_code=kind,
                kind_name=label(ADDRESS_KIND, kind),
                full_text=address.full_text,
                postal_code=address.postal_code,
                oktmo=address.oktmo,
                fias_guid=str(address.fias_guid) if address.fias_guid else None,
            )
        )
    return found
