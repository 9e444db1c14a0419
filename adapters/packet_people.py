"""Person data of a packet: names, identifiers, documents, addresses, contacts, representatives."""

from __future__ import annotations

from datetime import date

from adapters import identifiers
from adapters.packet_fields import Fields
from adapters.records import (
    AddressRecord,
    ContactsRecord,
    DocumentRecord,
    HealthRecord,
    PersonRecord,
    RepresentativeRecord,
)
from adapters.validation import check_identity_document
from db import classifiers


def read_contacts(fields: Fields | None) -> ContactsRecord:
    """Phones, e-mails and a web site (the schema has already checked their shape)."""
    if fields is None:
        return ContactsRecord()
    return ContactsRecord(
        phones=fields.all_text("Phone"), emails=fields.all_text("Email"), website=fields.text("Website")
    )


def read_address(fields: Fields) -> AddressRecord | None:
    """One address; ``None`` when a required part is missing or wrong."""
    kind = fields.attribute("kind", required=True)
    kind = None if kind is None else fields.check_code("@kind", kind, classifiers.ADDRESS_KIND)
    text = fields.text("Text", required=True)
    guid = fields.text("FiasGuid")
    oktmo = fields.identifier("Oktmo", identifiers.normalize_oktmo)
    gar_id = fields.integer("GarId")
    if kind is None or text is None:
        return None
    return AddressRecord(
        kind=kind,
        text=text,
        postal_code=fields.text("PostalCode"),
        fias_guid=None if guid is None else guid.lower(),
        gar_id=gar_id,
        oktmo=oktmo,
    )


def read_addresses(fields: Fields) -> tuple[AddressRecord, ...]:
    """Every ``Addresses/Address`` that reads without error."""
    return tuple(
        address for item in fields.children("Addresses", "Address") if (address := read_address(item)) is not None
    )


def read_identity_document(fields: Fields, *, today: date) -> DocumentRecord | None:
    """An identity document; birth certificates and passports of РФ are normalised and checked."""
    kind = fields.code("Type", classifiers.IDENTITY_DOCUMENT_TYPE, required=True)
    series = fields.text("Series")
    number = fields.text("Number", required=True)
    issue_date = fields.date("IssueDate", not_after=today)
    if kind is None or number is None:
        return None
    checked = check_identity_document(fields.sink, fields.name("Number"), kind, series, number)
    if checked is None:
        return None
    series, number = checked
    return DocumentRecord(type=kind, series=series, number=number, issue_date=issue_date, issuer=fields.text("Issuer"))


def read_education_document(fields: Fields, *, today: date) -> DocumentRecord | None:
    """A document on education or training."""
    kind = fields.code("Type", classifiers.EDUCATION_DOCUMENT_TYPE, required=True)
    number = fields.text("Number", required=True)
    issue_date = fields.date("IssueDate", required=True, not_after=today)
    if kind is None or number is None:
        return None
    return DocumentRecord(
        type=kind, series=fields.text("Series"), number=number, issue_date=issue_date, issuer=fields.text("Issuer")
    )


def read_person(fields: Fields, *, today: date, require_birth: bool = False) -> PersonRecord | None:
    """Names, sex, birth date, citizenship, СНИЛС, ИНН, documents, addresses and contacts of a person.

    ``require_birth`` makes sex and birth date required (students, children in the queue).
    """
    last_name = fields.text("LastName", required=True)
    first_name = fields.text("FirstName", required=True)
    sex = fields.code("Sex", classifiers.SEX, required=require_birth)
    birth_date = fields.date("BirthDate", required=require_birth, not_after=today)
    citizenship = fields.code("Citizenship", classifiers.CITIZENSHIP)
    snils = fields.identifier("Snils", identifiers.normalize_snils)
    inn = fields.identifier("Inn", identifiers.normalize_inn_person)
    documents = tuple(
        document
        for item in fields.children("IdentityDocuments", "IdentityDocument")
        if (document := read_identity_document(item, today=today)) is not None
    )
    if last_name is None or first_name is None:
        return None
    return PersonRecord(
        last_name=last_name,
        first_name=first_name,
        middle_name=fields.text("MiddleName"),
        sex=sex,
        birth_date=birth_date,
        citizenship=citizenship,
        snils=snils,
        inn=inn,
        documents=documents,
        addresses=read_addresses(fields),
        contacts=read_contacts(fields.child("Contacts")),
    )


def read_representative(fields: Fields, *, today: date) -> RepresentativeRecord | None:
    """A legal representative: kind and person."""
    kind = fields.code("Kind", classifiers.REPRESENTATIVE_KIND, required=True)
    person_fields = fields.child("Person")
    if person_fields is None:
        fields.sink.fail("REQUIRED", fields.name("Person"), None)
        return None
    person = read_person(person_fields, today=today)
    if kind is None or person is None:
        return None
    return RepresentativeRecord(kind=kind, person=person)


def read_health(fields: Fields | None) -> HealthRecord | None:
    """Health group, disability and ОВЗ flags."""
    if fields is None:
        return None
    return HealthRecord(
        health_group=fields.code("HealthGroup", classifiers.HEALTH_GROUP),
        disability=fields.boolean("Disability"),
        ovz=fields.boolean("Ovz"),
    )
