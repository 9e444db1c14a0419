"""Who the EPGU request is about and whether the applicant may see it. Never guesses.

The pupil is found by СНИЛС, or by surname, name, patronymic (when given) and birth date; more
than one match is a refusal asking for СНИЛС, not a pick. The applicant is either the pupil
(14 or older on the request date) or a legal representative registered for the pupil and valid
on that date, recognised by СНИЛС (and by name and birth date too when sent) or by name, birth
date and an identity document.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from adapters.identifiers import IdentifierError, normalize_birth_certificate, normalize_snils
from db.dates import full_years
from db.models import IdentityDocument, LegalRepresentative, Person, Student
from db.names import normalize_name
from kontingent_ws.usecases.epgu_model import (
    ACCESS_DENIED,
    APPLICANT_UNDER_14,
    BAD_REQUEST,
    INVALID_REQUEST,
    MAX_RANGE_DAYS,
    NO_DATA,
    NOT_REPRESENTATIVE,
    PUPIL_AMBIGUOUS,
    PUPIL_NOT_FOUND,
    SELF_APPLICATION_AGE,
    DocumentRef,
    PerformanceQuery,
    PersonData,
    PupilRef,
    Refusal,
    RepresentativeRef,
)

BIRTH_CERTIFICATE = "03"


class Refused(Exception):
    """Raised inside the use case to stop with a refusal; the entry points turn it into an answer."""

    def __init__(self, refusal: Refusal):
        self.refusal = refusal
        super().__init__(refusal.message)


def refuse(code: str, reason: str, message: str) -> Refused:
    return Refused(Refusal(code=code, reason=reason, message=message))


def invalid(message: str) -> Refused:
    return refuse(BAD_REQUEST, INVALID_REQUEST, message)


@dataclass(frozen=True, kw_only=True)
class Applicant:
    """The applicant as recognised: the pupil or a representative's person."""

    person_id: int
    is_pupil: bool
    description: str
    """Who asked, for the audit log (name and kind)."""


def requested_range(query: PerformanceQuery) -> tuple[dt.date, dt.date]:
    """The inclusive date range of the query (a school year runs 1 September – 31 August)."""
    if query.school_year is not None:
        if query.date_from is not None or query.date_to is not None:
            raise invalid("Укажите либо учебный год, либо интервал дат, но не то и другое")
        return dt.date(query.school_year, 9, 1), dt.date(query.school_year + 1, 8, 31)
    if query.date_from is None or query.date_to is None:
        raise invalid("Не указан период: учебный год или даты начала и окончания")
    if query.date_from > query.date_to:
        raise invalid("Дата начала периода позже даты окончания")
    if (query.date_to - query.date_from).days >= MAX_RANGE_DAYS:
        raise invalid(f"Период запроса не может превышать {MAX_RANGE_DAYS} дней")
    return query.date_from, query.date_to




def _snils(value: str, whose: str) -> str:
    try:
        return normalize_snils(value)
    except IdentifierError as exc:
        raise invalid(f"СНИЛС {whose} указан неверно: {exc.message}") from exc


def find_pupil(session: Session, ref: PupilRef) -> Person:
    """The pupil's person (a student, not merged into another person), or a refusal."""
    query = select(Person).join(Student, Student.id == Person.id).where(Person.merged_into_id.is_(None))
    if ref.snils is not None:
        query = query.where(Person.snils == _snils(ref.snils, "обучающегося"))
    elif ref.person is not None:
        query = query.where(*_name_filter(ref.person))
    else:
        raise invalid("Не указаны ни СНИЛС, ни ФИО и дата рождения обучающегося")
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise refuse(NO_DATA, PUPIL_NOT_FOUND, "Обучающийся с указанными данными не найден в АИС «Контингент»")
    if len(found) > 1:
        raise refuse(
            NO_DATA,
            PUPIL_AMBIGUOUS,
            "По указанным ФИО и дате рождения найдено несколько обучающихся; укажите СНИЛС обучающегося",
        )
    return found[0]


def _name_filter(data: PersonData) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        Person.last_name_norm == normalize_name(data.last_name),
        Person.first_name_norm == normalize_name(data.first_name),
        Person.birth_date == data.birth_date,
    ]
    if data.middle_name:
        clauses.append(Person.middle_name_norm == normalize_name(data.middle_name))
    return clauses




def check_applicant(
    session: Session, pupil: Person, representative: RepresentativeRef | None, *, on: dt.date
) -> Applicant:
    """The recognised applicant, or a refusal ACCESS_DENIED."""
    if representative is None:
        if full_years(pupil.birth_date, on) < SELF_APPLICATION_AGE:
            raise refuse(
                ACCESS_DENIED,
                APPLICANT_UNDER_14,
                "Обучающийся, не достигший 14 лет, не может получить сведения самостоятельно; "
                "заявление подаёт законный представитель",
            )
        return Applicant(person_id=pupil.id, is_pupil=True, description=f"сам обучающийся {_full_name(pupil)}")
    snils = _snils(representative.snils, "заявителя") if representative.snils else None
    if snils is None and (representative.person is None or representative.document is None):
        raise invalid("Для заявителя укажите СНИЛС либо ФИО, дату рождения и документ, удостоверяющий личность")
    for link, person in _valid_representatives(session, pupil.id, on):
        if _is_same_person(session, person, representative, snils):
            return Applicant(
                person_id=person.id,
                is_pupil=False,
                description=f"законный представитель (вид {link.kind_code}) {_full_name(person)}",
            )
    raise refuse(
        ACCESS_DENIED,
        NOT_REPRESENTATIVE,
        "Заявитель не зарегистрирован в АИС «Контингент» как законный представитель обучающегося "
        "на дату запроса; сведения не предоставлены",
    )


def _valid_representatives(session: Session, student_id: int, on: dt.date) -> list[tuple[LegalRepresentative, Person]]:
    rows = session.execute(
        select(LegalRepresentative, Person)
        .join(Person, Person.id == LegalRepresentative.person_id)
        .where(
            LegalRepresentative.student_id == student_id,
            or_(LegalRepresentative.valid_from.is_(None), LegalRepresentative.valid_from <= on),
            or_(LegalRepresentative.valid_to.is_(None), LegalRepresentative.valid_to >= on),
        )
        .order_by(LegalRepresentative.id)
    )
    return [(link, person) for link, person in rows.tuples()]


def _is_same_person(session: Session, person: Person, ref: RepresentativeRef, snils: str | None) -> bool:
    if snils is not None:
        return person.snils == snils and (ref.person is None or _same_data(person, ref.person))
    assert ref.person is not None and ref.document is not None
    return _same_data(person, ref.person) and _has_document(session, person.id, ref.document)


def _same_data(person: Person, data: PersonData) -> bool:
    middle = normalize_name(data.middle_name) if data.middle_name else None
    return (
        person.last_name_norm == normalize_name(data.last_name)
        and person.first_name_norm == normalize_name(data.first_name)
        and person.birth_date == data.birth_date
        and (middle is None or (person.middle_name_norm or "") == middle)
    )


def document_key(type_code: str, series: str | None, number: str) -> str:
    """A spelling-independent key of a document: birth-certificate series normalised, separators dropped."""
    if type_code == BIRTH_CERTIFICATE and series:
        with contextlib.suppress(IdentifierError):
            series, number = normalize_birth_certificate(series, number)
    compact = f"{series or ''}{number}".upper().replace("Ё", "Е")
    return f"{type_code}:{re.sub(r'[^0-9A-ZА-Я]', '', compact)}"


def _has_document(session: Session, person_id: int, document: DocumentRef) -> bool:
    wanted = document_key(document.type_code, document.series, document.number)
    rows = session.execute(
        select(IdentityDocument.doc_type_code, IdentityDocument.series, IdentityDocument.number).where(
            IdentityDocument.person_id == person_id, IdentityDocument.doc_type_code == document.type_code
        )
    )
    return any(document_key(code, series, number) == wanted for code, series, number in rows.tuples())


def _full_name(person: Person) -> str:
    return " ".join(part for part in (person.last_name, person.first_name, person.middle_name) if part)
