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
from typing import NamedTuple

from sqlalchemy import ColumnElement, Connection, Integer, String, and_, bindparam, literal_column, or_, select

from adapters.identifiers import IdentifierError, normalize_birth_certificate, normalize_snils
from db.dates import full_years
from db.models import IdentityDocument, LegalRepresentative, Person, Student
from db.names import normalize_name
from db.prepared import PreparedQuery
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


# The statements are built once (Core selects of the columns used) and prepared once per connection
# on PostgreSQL (db/prepared.py): each is a lookup by key whose plan does not depend on the values.
_person, _student = Person.__table__, Student.__table__
_representative, _document = LegalRepresentative.__table__, IdentityDocument.__table__
_TWO = literal_column("2", Integer)
"""``LIMIT 2`` written in the statement (one match, or more than one: a refusal)."""
_agent = _person.alias("agent")
"""The person of a legal representative."""
_VALID_ON = (
    or_(_representative.c.valid_from.is_(None), _representative.c.valid_from <= bindparam("on")),
    or_(_representative.c.valid_to.is_(None), _representative.c.valid_to >= bindparam("on")),
)


def _pupils_with_representatives(*where: ColumnElement[bool], name: str) -> PreparedQuery:
    """At most two pupils (students not merged into another person) matching ``where``, each with its
    legal representatives valid on the date ``on`` (one row per representative, in order of
    registration; one row of nulls after the pupil when none): one round trip for both."""
    pupils = (
        select(_person.c.id, _person.c.last_name, _person.c.first_name, _person.c.middle_name, _person.c.birth_date)
        .select_from(_person.join(_student, _student.c.id == _person.c.id))
        .where(_person.c.merged_into_id.is_(None), *where)
        .limit(_TWO)
        .subquery("pupil")
    )
    return PreparedQuery(
        select(
            *pupils.c, _representative.c.kind_code, _agent.c.id, _agent.c.last_name, _agent.c.first_name,
            _agent.c.middle_name, _agent.c.birth_date, _agent.c.snils, _agent.c.last_name_norm,
            _agent.c.first_name_norm, _agent.c.middle_name_norm,
        )
        .select_from(
            pupils.outerjoin(
                _representative.join(_agent, _agent.c.id == _representative.c.person_id),
                and_(_representative.c.student_id == pupils.c.id, *_VALID_ON),
            )
        )
        .order_by(pupils.c.id, _representative.c.id),
        name=name,
    )  # fmt: skip


PUPIL_BY_SNILS = _pupils_with_representatives(_person.c.snils == bindparam("snils"), name="epgu_pupil_snils")
PUPIL_BY_NAME = _pupils_with_representatives(
    _person.c.last_name_norm == bindparam("last_name"),
    _person.c.first_name_norm == bindparam("first_name"),
    _person.c.birth_date == bindparam("birth_date"),
    or_(
        bindparam("middle_name", type_=String) == None,  # noqa: E711 – `IS NULL` of the parameter
        _person.c.middle_name_norm == bindparam("middle_name", type_=String),
    ),
    name="epgu_pupil_name",
)
"""By name and birth date (the patronymic compared only when sent); the name-and-birth index."""
DOCUMENTS = PreparedQuery(
    select(_document.c.doc_type_code, _document.c.series, _document.c.number).where(
        _document.c.person_id == bindparam("person_id"), _document.c.doc_type_code == bindparam("type_code")
    ),
    name="epgu_documents",
)


class _Representative(NamedTuple):
    kind_code: str
    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: dt.date
    snils: str | None
    last_name_norm: str
    first_name_norm: str
    middle_name_norm: str | None


class Pupil(NamedTuple):
    """The pupil's person as found (a student not merged into another person)."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None
    birth_date: dt.date
    representatives: tuple[_Representative, ...]
    """The pupil's legal representatives valid on the request date, in order of registration."""


def find_pupil(connection: Connection, ref: PupilRef, *, on: dt.date) -> Pupil:
    """The pupil's person (a student, not merged into another person) with the legal representatives
    valid ``on`` the request date, or a refusal."""
    if ref.snils is not None:
        rows = PUPIL_BY_SNILS.rows(connection, {"snils": _snils(ref.snils, "обучающегося"), "on": on})
    elif ref.person is not None:
        data = ref.person
        rows = PUPIL_BY_NAME.rows(
            connection,
            {
                "last_name": normalize_name(data.last_name),
                "first_name": normalize_name(data.first_name),
                "birth_date": data.birth_date,
                "middle_name": normalize_name(data.middle_name) if data.middle_name else None,
                "on": on,
            },
        )
    else:
        raise invalid("Не указаны ни СНИЛС, ни ФИО и дата рождения обучающегося")
    found = list(dict.fromkeys(tuple(row[:5]) for row in rows))
    if not found:
        raise refuse(NO_DATA, PUPIL_NOT_FOUND, "Обучающийся с указанными данными не найден в АИС «Контингент»")
    if len(found) > 1:
        raise refuse(
            NO_DATA,
            PUPIL_AMBIGUOUS,
            "По указанным ФИО и дате рождения найдено несколько обучающихся; укажите СНИЛС обучающегося",
        )
    representatives = tuple(_Representative._make(row[5:]) for row in rows if row[5] is not None)
    pupil_id, last_name, first_name, middle_name, birth_date = found[0]
    return Pupil(pupil_id, last_name, first_name, middle_name, birth_date, representatives)


def check_applicant(
    connection: Connection, pupil: Pupil, representative: RepresentativeRef | None, *, on: dt.date
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
    for person in pupil.representatives:
        if _is_same_person(connection, person, representative, snils):
            return Applicant(
                person_id=person.id,
                is_pupil=False,
                description=f"законный представитель (вид {person.kind_code}) {_full_name(person)}",
            )
    raise refuse(
        ACCESS_DENIED,
        NOT_REPRESENTATIVE,
        "Заявитель не зарегистрирован в АИС «Контингент» как законный представитель обучающегося "
        "на дату запроса; сведения не предоставлены",
    )


def _is_same_person(connection: Connection, person: _Representative, ref: RepresentativeRef, snils: str | None) -> bool:
    if snils is not None:
        return person.snils == snils and (ref.person is None or _same_data(person, ref.person))
    assert ref.person is not None and ref.document is not None
    return _same_data(person, ref.person) and _has_document(connection, person.id, ref.document)


def _same_data(person: _Representative, data: PersonData) -> bool:
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


def _has_document(connection: Connection, person_id: int, document: DocumentRef) -> bool:
    wanted = document_key(document.type_code, document.series, document.number)
    rows = DOCUMENTS.rows(connection, {"person_id": person_id, "type_code": document.type_code})
    return any(document_key(code, series, number) == wanted for code, series, number in rows)


def _full_name(person: Pupil | _Representative) -> str:
    return " ".join(part for part in (person.last_name, person.first_name, person.middle_name) if part)
