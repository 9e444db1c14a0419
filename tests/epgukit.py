"""A small school diary for EPGU tests: a pupil with marks, parents valid and expired, a teenager,
namesakes, and a stranger – built with the real models on the test's database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.identifiers import snils_check_digits
from db.dates import school_year_of
from db.models import (
    BaseSubject,
    ClassGroup,
    DiaryMark,
    Enrolment,
    IdentityDocument,
    LegalRepresentative,
    LocalSubject,
    PeriodMark,
    Person,
    Student,
    StudyPeriod,
)
from db.names import normalize_name
from tests.authkit import SmallRegion, make_small_region

_serial = count(200_000_000)


def new_snils() -> str:
    body = f"{next(_serial):09d}"
    return body + snils_check_digits(body)


def birthday_years_ago(today: dt.date, years: int, *, days_after: int = 0) -> dt.date:
    """A birth date ``years`` full years before ``today`` (then ``days_after`` days later)."""
    day = min(today.day, 28)
    return dt.date(today.year - years, today.month, day) + dt.timedelta(days=days_after)


def add_person(
    session: Session,
    last: str,
    first: str,
    middle: str | None,
    birth: dt.date,
    *,
    sex: str = "1",
    snils: str | None = None,
) -> Person:
    person = Person(
        last_name=last,
        first_name=first,
        middle_name=middle,
        last_name_norm=normalize_name(last),
        first_name_norm=normalize_name(first),
        middle_name_norm=normalize_name(middle) if middle else None,
        sex=sex,
        birth_date=birth,
        snils=snils,
    )
    session.add(person)
    session.flush()
    return person


def add_student(session: Session, person: Person, org_id: int, class_id: int | None, entry: dt.date) -> Student:
    student = Student(id=person.id, status_code="1", current_organization_id=org_id, current_class_group_id=class_id)
    session.add(student)
    session.flush()
    session.add(
        Enrolment(
            student_id=person.id,
            organization_id=org_id,
            class_group_id=class_id,
            education_form_code="11",
            entry_date=entry,
            entry_reason_code="1",
        )
    )
    session.flush()
    return student


@dataclass(frozen=True, kw_only=True)
class Diary:
    region: SmallRegion
    today: dt.date
    school_year: int
    pupil_id: int
    pupil_snils: str
    pupil_birth: dt.date
    mother_id: int
    mother_snils: str
    mother_birth: dt.date
    mother_passport: str
    """Series and number as stored, ``4509123456``."""
    father_snils: str
    """A representative whose authority ended yesterday."""
    stranger_snils: str
    teen_id: int
    teen_snils: str
    namesake_birth: dt.date
    """Two different pupils are both «Петров Пётр Петрович» born on this date."""
    math_id: int
    russian_id: int
    quarter_ids: tuple[int, ...]


def make_diary(session: Session, today: dt.date | None = None) -> Diary:
    """Commit-free: builds everything in the session and flushes."""
    today = today or dt.date.today()
    region = make_small_region(session)
    year = school_year_of(today)
    school = region.north_school_id
    cls = ClassGroup(organization_id=school, name="5А", school_year=year, grade=5, letter="А")
    session.add(cls)
    session.flush()
    math_base = session.scalar(select(BaseSubject).where(BaseSubject.owner_authority_id.is_(None)).limit(1))
    math = LocalSubject(organization_id=school, name="Математика", base_subject_id=math_base.id if math_base else None)
    russian = LocalSubject(organization_id=school, name="Русский язык")
    session.add_all([math, russian])
    session.flush()
    start = dt.date(year, 9, 1)
    quarters = []
    for number, (begin, end) in enumerate(
        [((year, 9, 1), (year, 10, 27)), ((year, 11, 5), (year, 12, 28)),
         ((year + 1, 1, 9), (year + 1, 3, 22)), ((year + 1, 4, 1), (year + 1, 5, 26))],
        start=1,
    ):  # fmt: skip
        period = StudyPeriod(
            organization_id=school,
            school_year=year,
            kind_code="quarter",
            number=number,
            start_date=dt.date(*begin),
            end_date=dt.date(*end),
        )
        session.add(period)
        quarters.append(period)
    session.flush()

    pupil_snils = new_snils()
    pupil_birth = birthday_years_ago(today, 11)
    pupil = add_person(session, "Иванов", "Артём", "Сергеевич", pupil_birth, snils=pupil_snils)
    add_student(session, pupil, school, cls.id, start)
    marks = [
        (math, dt.date(year, 9, 5), "5", Decimal(5), 1, "4", "Хорошо у доски"),
        (math, dt.date(year, 9, 20), "3", Decimal(3), 2, "1", None),
        (russian, dt.date(year, 9, 12), "4", Decimal(4), 1, "3", None),
        (math, dt.date(year, 11, 15), "4", Decimal(4), 1, None, None),
        (russian, dt.date(year, 10, 3), "pass", None, 1, "12", "Зачёт по словарным словам"),
    ]
    for subject, day, value, numeric, weight, form, comment in marks:
        session.add(
            DiaryMark(
                student_id=pupil.id,
                organization_id=school,
                class_group_id=cls.id,
                subject_id=subject.id,
                mark_date=day,
                scale_code="pass_fail" if value == "pass" else "five_point",
                raw_value=value,
                numeric_value=numeric,
                weight=weight,
                control_form_code=form,
                comment=comment,
            )
        )
    quarter_marks: list[tuple[LocalSubject, str, StudyPeriod | None, str]] = [
        (math, "period", quarters[0], "4"),
        (russian, "period", quarters[0], "5"),
        (math, "annual", None, "4"),
        (math, "final", None, "4"),
    ]
    for subject, kind, study_period, value in quarter_marks:
        session.add(
            PeriodMark(
                student_id=pupil.id,
                organization_id=school,
                subject_id=subject.id,
                school_year=year,
                kind=kind,
                study_period_id=study_period.id if study_period else None,
                scale_code="five_point",
                raw_value=value,
                numeric_value=Decimal(value),
            )
        )

    mother_snils, mother_birth = new_snils(), dt.date(1985, 3, 14)
    mother = add_person(session, "Иванова", "Елена", "Викторовна", mother_birth, sex="2", snils=mother_snils)
    session.add(IdentityDocument(person_id=mother.id, doc_type_code="21", series="4509", number="123456"))
    session.add(LegalRepresentative(student_id=pupil.id, person_id=mother.id, kind_code="1"))
    father_snils = new_snils()
    father = add_person(session, "Иванов", "Сергей", "Петрович", dt.date(1983, 6, 1), snils=father_snils)
    session.add(
        LegalRepresentative(
            student_id=pupil.id,
            person_id=father.id,
            kind_code="2",
            valid_from=today - dt.timedelta(days=400),
            valid_to=today - dt.timedelta(days=1),
        )
    )
    stranger_snils = new_snils()
    add_person(session, "Сидоров", "Олег", None, dt.date(1980, 1, 1), snils=stranger_snils)

    teen_snils = new_snils()
    teen = add_person(session, "Кузнецова", "Мария", "Ивановна", birthday_years_ago(today, 14), sex="2",
                      snils=teen_snils)  # fmt: skip
    add_student(session, teen, school, None, start)
    session.add(
        DiaryMark(
            student_id=teen.id, organization_id=school, subject_id=math.id, mark_date=dt.date(year, 9, 8),
            scale_code="five_point", raw_value="5", numeric_value=Decimal(5), weight=1,
        )
    )  # fmt: skip

    namesake_birth = birthday_years_ago(today, 10)
    for _ in range(2):
        twin = add_person(session, "Петров", "Пётр", "Петрович", namesake_birth, snils=new_snils())
        add_student(session, twin, school, cls.id, start)
    session.flush()
    return Diary(
        region=region,
        today=today,
        school_year=year,
        pupil_id=pupil.id,
        pupil_snils=pupil_snils,
        pupil_birth=pupil_birth,
        mother_id=mother.id,
        mother_snils=mother_snils,
        mother_birth=mother_birth,
        mother_passport="4509123456",
        father_snils=father_snils,
        stranger_snils=stranger_snils,
        teen_id=teen.id,
        teen_snils=teen_snils,
        namesake_birth=namesake_birth,
        math_id=math.id,
        russian_id=russian.id,
        quarter_ids=tuple(q.id for q in quarters),
    )
