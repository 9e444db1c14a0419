"""A small region with students, for the registry contracts' tests (Students, Organizations,
Authorities), and the callers that use it.

Built on ``authkit.make_small_region``: the northern school gets requisites, addresses, a branch,
classes of two school years, subjects, an area and a load history; students study in the
northern school, the kindergarten and the southern school; one of them (Ёлкин) has the full
portfolio: documents, addresses, two representatives, an education document, a migration from
the southern to the northern school, marks of every kind, an exam and an achievement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zeep.wsse.username import UsernameToken

from adapters.identifiers import make_inn_org, make_snils
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import (
    Achievement,
    Address,
    AppUser,
    AuditEvent,
    Authority,
    BaseSubject,
    Branch,
    ClassGroup,
    DiaryMark,
    EducationArea,
    EducationDocument,
    Enrolment,
    ExamResult,
    IdentityDocument,
    InfoSystem,
    LegalRepresentative,
    LoadJournal,
    LocalSubject,
    Organization,
    OrgUnit,
    PeriodMark,
    Person,
    PersonAddress,
    Student,
    StudyPeriod,
)
from kontingent_ws.security.caller import AUTHORITY_ADMIN, EMPLOYEE, SYSTEM_ADMIN
from kontingent_ws.security.provisioning import new_user
from kontingent_ws.settings import Settings
from tests.authkit import SmallRegion, make_small_region
from tests.conftest import BACKENDS, drop_postgres_database, fresh_postgres_database
from tests.live import LiveServer, zeep_client

PASSWORD = "Registry-password-2024"
USERS = {
    "admin": (SYSTEM_ADMIN, None),
    "ministry": (EMPLOYEE, "ministry_id"),
    "north_admin": (AUTHORITY_ADMIN, "north_id"),
    "north_school": (EMPLOYEE, "north_school_id"),
    "south_school": (EMPLOYEE, "south_school_id"),
}
"""Login → (role, attribute of :class:`SmallRegion` naming the user's unit)."""


@dataclass(frozen=True, kw_only=True)
class RegistryData:
    region: SmallRegion
    yolkin_id: int
    """The student with the full portfolio (now in the northern school, came from the southern)."""
    mother_id: int
    father_id: int
    yolkin_snils: str
    class_5a_id: int
    kindergarten_group_id: int
    base_math_id: int
    students: dict[int, dict[str, Any]]
    """Every student id → its attributes as inserted (surname, org, status, level, form …)."""


def _norm(value: str | None) -> str | None:
    """The ``*_norm`` form intake writes: upper case, Ё as Е."""
    return value.upper().replace("Ё", "Е") if value is not None else None


def _person(
    session: Session, last: str, first: str, middle: str | None, sex: str, born: dt.date, **extra: Any
) -> Person:
    person = Person(
        last_name=last, first_name=first, middle_name=middle, last_name_norm=_norm(last),
        first_name_norm=_norm(first), middle_name_norm=_norm(middle), sex=sex, birth_date=born, **extra,
    )  # fmt: skip
    session.add(person)
    session.flush()
    return person


def build_registry(session: Session) -> RegistryData:
    region = make_small_region(session)
    for unit in session.scalars(select(OrgUnit)):
        unit.full_name_norm = _norm(unit.full_name) or ""
    north_school = session.get(Organization, region.north_school_id)
    ministry = session.get(Authority, region.ministry_id)
    assert north_school is not None and ministry is not None
    ministry.inn, ministry.ogrn, ministry.okfs_code = make_inn_org(990000001), "1027700132195", "13"
    ministry.phone, ministry.fax = "+7 (900) 100-00-00", "+7 (900) 100-00-01"
    ministry.email, ministry.website = "minobr@example.ru", "https://minobr.example.ru"
    legal = Address(full_text="99601000, Тестовая обл., с. Северное, ул. Школьная, д. 1", postal_code="996010")
    actual = Address(full_text="с. Северное, ул. Школьная, д. 1а")
    branch_address = Address(full_text="д. Малые Выселки, ул. Лесная, д. 3")
    session.add_all([legal, actual, branch_address])
    session.flush()
    north_school.inn, north_school.kpp, north_school.ogrn = make_inn_org(996010001), "996001001", "1027700132195"
    north_school.okpo, north_school.oktmo, north_school.okopf_code, north_school.okfs_code = (
        "12345678", "99601000", "75403", "14",
    )  # fmt: skip
    north_school.phone, north_school.fax = "+7 (900) 000-00-01", "+7 (900) 000-00-02"
    north_school.email, north_school.website = "school1@example.ru", "https://school1.example.ru"
    north_school.legal_address_id, north_school.actual_address_id = legal.id, actual.id
    session.add(Branch(organization_id=north_school.id, full_name="Филиал в д. Малые Выселки",
                       short_name="Филиал Выселки", status_code="1", address_id=branch_address.id))  # fmt: skip

    def group(org: int, name: str, year: int, **extra: Any) -> ClassGroup:
        cg = ClassGroup(organization_id=org, name=name, school_year=year, **extra)
        session.add(cg)
        session.flush()
        return cg

    class_5a = group(region.north_school_id, "5А", 2025, grade=5, letter="А", education_level_code="3",
                     programme_kind_code="13")  # fmt: skip
    class_5b = group(region.north_school_id, "5Б", 2025, grade=5, letter="Б", education_level_code="3")
    group(region.north_school_id, "4А", 2024, grade=4, letter="А", education_level_code="2")
    class_south = group(region.south_school_id, "4В", 2024, grade=4, letter="В", education_level_code="2")
    garden = group(region.north_kindergarten_id, "Солнышко", 2025, education_level_code="1", orientation_code="2",
                   compensating_profile_code="2", regime_code="3", age_band_code="3", capacity=15)  # fmt: skip
    base_math = session.query(BaseSubject).filter_by(code="11", owner_authority_id=None).one()
    math = LocalSubject(organization_id=region.north_school_id, name="Математика", base_subject_id=base_math.id)
    chess = LocalSubject(organization_id=region.north_school_id, name="Шахматы")
    session.add_all([math, chess,
                     EducationArea(organization_id=region.north_school_id, kind="area", code="1",
                                   name="Естественнонаучная", programme_kind_code="13")])  # fmt: skip
    quarter = StudyPeriod(organization_id=region.north_school_id, school_year=2025, kind_code="quarter", number=1,
                          start_date=dt.date(2025, 9, 1), end_date=dt.date(2025, 10, 31))  # fmt: skip
    provider = InfoSystem(mnemonic="SCHOOL_IS", name="Школьная ИС", is_provider=True)
    session.add_all([quarter, provider])
    session.flush()
    session.add_all([
        LoadJournal(system_id=provider.id, organization_id=region.north_school_id, status="error",
                    started_at=dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.UTC)),
        LoadJournal(system_id=provider.id, organization_id=region.north_school_id, status="success",
                    started_at=dt.datetime(2026, 2, 1, 9, 0, tzinfo=dt.UTC),
                    finished_at=dt.datetime(2026, 2, 1, 9, 5, tzinfo=dt.UTC)),
    ])  # fmt: skip

    students: dict[int, dict[str, Any]] = {}

    def student(last: str, first: str, sex: str, born: dt.date, org: int, cls: ClassGroup | None, *,
                status: str = "1", level: str = "3", form: str = "11", middle: str | None = None,
                **person: Any) -> int:  # fmt: skip
        someone = _person(session, last, first, middle, sex, born, **person)
        session.add(Student(id=someone.id, status_code=status, current_organization_id=org,
                            current_class_group_id=cls.id if cls else None, education_level_code=level,
                            education_form_code=form, health_group_code="2"))  # fmt: skip
        session.flush()
        if status == "1":
            session.add(Enrolment(student_id=someone.id, organization_id=org, class_group_id=cls.id if cls else None,
                                  education_level_code=level, education_form_code=form,
                                  entry_date=dt.date(2025, 9, 1), entry_reason_code="1"))  # fmt: skip
        students[someone.id] = {"last": last, "org": org, "status": status, "level": level, "form": form,
                                "sex": sex, "born": born}  # fmt: skip
        return someone.id

    snils = make_snils(123456789)
    yolkin = _person(session, "Ёлкин", "Пётр", "Семёнович", "1", dt.date(2014, 3, 5), snils=snils,
                     citizenship_code="1", phone="+7 900 111-22-33", birth_place="с. Северное")  # fmt: skip
    session.add(Student(id=yolkin.id, status_code="1", current_organization_id=region.north_school_id,
                        current_class_group_id=class_5a.id, education_level_code="3", education_form_code="11",
                        health_group_code="2", disability_group_code=None, has_special_needs=True))  # fmt: skip
    session.flush()
    students[yolkin.id] = {"last": "Ёлкин", "org": region.north_school_id, "status": "1", "level": "3", "form": "11",
                           "sex": "1", "born": dt.date(2014, 3, 5)}  # fmt: skip
    session.add_all([
        IdentityDocument(person_id=yolkin.id, doc_type_code="03", series="IV-АБ", number="123456",
                         issued_on=dt.date(2014, 3, 20), issued_by="ЗАГС Северного района"),
        Enrolment(student_id=yolkin.id, organization_id=region.south_school_id, class_group_id=class_south.id,
                  education_level_code="2", programme_kind_code="12", programme_name="ООП НОО",
                  education_form_code="11", entry_date=dt.date(2021, 9, 1), entry_reason_code="1",
                  exit_date=dt.date(2025, 6, 30), exit_reason_code="1"),
        Enrolment(student_id=yolkin.id, organization_id=region.north_school_id, class_group_id=class_5a.id,
                  education_level_code="3", programme_kind_code="13", programme_name="ООП ООО",
                  education_form_code="11", entry_date=dt.date(2025, 9, 1), entry_reason_code="2"),
        EducationDocument(student_id=yolkin.id, doc_type_code="3", number="С-17", issued_on=dt.date(2025, 6, 30),
                          organization_id=region.south_school_id, issuer_name="МБОУ СОШ № 2"),
        Achievement(student_id=yolkin.id, achieved_on=dt.date(2025, 11, 20), kind="олимпиада",
                    title="Муниципальный этап ВсОШ по математике", level="муниципальный", result="призёр"),
    ])  # fmt: skip
    home = Address(full_text="с. Северное, ул. Лесная, д. 5, кв. 2", oktmo="99601000")
    session.add(home)
    session.flush()
    session.add(PersonAddress(person_id=yolkin.id, kind_code="1", address_id=home.id))
    mother = _person(session, "Ёлкина", "Анна", "Ивановна", "2", dt.date(1988, 1, 2), snils=make_snils(223456789))
    father = _person(session, "Ёлкин", "Семён", "Петрович", "1", dt.date(1986, 5, 6))
    session.add_all([
        IdentityDocument(person_id=mother.id, doc_type_code="21", series="9901", number="654321"),
        PersonAddress(person_id=mother.id, kind_code="1", address_id=home.id),
        LegalRepresentative(student_id=yolkin.id, person_id=mother.id, kind_code="1", is_primary_contact=True),
        LegalRepresentative(student_id=yolkin.id, person_id=father.id, kind_code="1"),
        DiaryMark(student_id=yolkin.id, organization_id=region.north_school_id, subject_id=math.id,
                  mark_date=dt.date(2025, 10, 6), scale_code="five_point", raw_value="5", numeric_value=Decimal(5),
                  weight=2, control_form_code="1", comment="Отлично"),
        DiaryMark(student_id=yolkin.id, organization_id=region.north_school_id, subject_id=chess.id,
                  mark_date=dt.date(2025, 10, 7), scale_code="pass_fail", raw_value="зач", weight=1),
        DiaryMark(student_id=yolkin.id, organization_id=region.north_school_id, subject_id=math.id,
                  mark_date=dt.date(2026, 3, 2), scale_code="five_point", raw_value="4", numeric_value=Decimal(4)),
        PeriodMark(student_id=yolkin.id, organization_id=region.north_school_id, subject_id=math.id,
                   school_year=2025, kind="period", study_period_id=quarter.id, scale_code="five_point",
                   raw_value="5", numeric_value=Decimal(5)),
        PeriodMark(student_id=yolkin.id, organization_id=region.north_school_id, subject_id=math.id,
                   school_year=2025, kind="annual", scale_code="five_point", raw_value="5", numeric_value=Decimal(5)),
        PeriodMark(student_id=yolkin.id, organization_id=region.north_school_id, subject_id=math.id,
                   school_year=2024, kind="final", scale_code="five_point", raw_value="4", numeric_value=Decimal(4)),
        ExamResult(student_id=yolkin.id, exam_kind_code="1", base_subject_id=base_math.id,
                   exam_date=dt.date(2026, 5, 25), primary_score=20, score=20, mark="4"),
    ])  # fmt: skip

    born = dt.date(2014, 1, 1)
    for index, (last, first, sex) in enumerate([
        ("Елкина", "Мария", "2"), ("Иванов", "Иван", "1"), ("Иванова", "Ирина", "2"), ("Петров", "Пётр", "1"),
        ("Сидорова", "Анна", "2"), ("Иваненко", "Олег", "1"),
    ]):  # fmt: skip
        student(last, first, sex, born + dt.timedelta(days=40 * index), region.north_school_id,
                class_5a if index % 2 == 0 else class_5b)  # fmt: skip
    student("Иванов", "Глеб", "1", dt.date(2013, 2, 2), region.north_school_id, None, status="2")
    student("Ёжиков", "Лев", "1", dt.date(2020, 6, 1), region.north_kindergarten_id, garden, level="1")
    student("Ежова", "Ева", "2", dt.date(2020, 7, 1), region.north_kindergarten_id, garden, level="1", form="13")
    for index, last in enumerate(["Орлов", "Иванцов", "Соколова"]):
        student(last, "Алексей" if index != 2 else "Дарья", "1" if index != 2 else "2", dt.date(2015, 4, index + 1),
                region.south_school_id, class_south, level="2")  # fmt: skip
    student("Кузнецов", "Игорь", "1", dt.date(2007, 9, 9), region.south_school_id, None, status="3", level="4")
    session.flush()
    return RegistryData(
        region=region, yolkin_id=yolkin.id, mother_id=mother.id, father_id=father.id, yolkin_snils=snils,
        class_5a_id=class_5a.id, kindergarten_group_id=garden.id, base_math_id=base_math.id, students=students,
    )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class RegistryEnv:
    """A live server over the registry data, with one zeep client per (contract, login)."""

    data: RegistryData
    base_url: str
    db_url: str

    def client(self, contract: str, login: str) -> Any:
        return zeep_client(self.base_url, contract, wsse=UsernameToken(login, PASSWORD, use_digest=True))


@pytest.fixture(scope="module", params=BACKENDS)
def registry_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryEnv]:
    """The registry data, its users and a live gunicorn (authentication on, sharing the secret key),
    once per test module and backend: the registry tests only read (and append to the audit log)."""
    directory = tmp_path_factory.mktemp("registry")
    postgres_name = None
    if request.param == "sqlite":
        db_url = f"sqlite:///{directory / 'kontingent.sqlite3'}"
    else:
        db_url, postgres_name = fresh_postgres_database()
    secret = Fernet.generate_key().decode()
    server = LiveServer(database_url=db_url, env={"KONTINGENT_SECRET_KEY": secret}, log_path=directory / "gunicorn.log")
    try:
        initdb(db_url)
        data = _populate(db_url, Settings(database_url=db_url, secret_key=secret))
        yield RegistryEnv(data=data, base_url=server.start(), db_url=db_url)
    finally:
        server.stop()
        if postgres_name is not None:
            drop_postgres_database(postgres_name)


def _populate(db_url: str, settings: Settings) -> RegistryData:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            data = build_registry(session)
            for login, (role, unit) in USERS.items():
                unit_id = getattr(data.region, unit) if unit else None
                new_user(session, settings, login=login, password=PASSWORD, role=role, unit_id=unit_id,
                         full_name=login)  # fmt: skip
            session.commit()
            return data
    finally:
        engine.dispose()


def audit_events(env: RegistryEnv, login: str, *, after: int = 0) -> list[AuditEvent]:
    """Audit events of the user ``login`` with an id above ``after``, in order."""
    engine = make_engine(env.db_url)
    try:
        with make_session_factory(engine)() as session:
            return list(
                session.scalars(
                    select(AuditEvent)
                    .join(AppUser, AppUser.id == AuditEvent.user_id)
                    .where(AppUser.login == login, AuditEvent.id > after)
                    .order_by(AuditEvent.id)
                )
            )
    finally:
        engine.dispose()


def last_audit_id(env: RegistryEnv) -> int:
    """The id of the newest audit event (0 when there is none): a mark to read events after."""
    engine = make_engine(env.db_url)
    try:
        with make_session_factory(engine)() as session:
            return int(session.scalar(select(func.max(AuditEvent.id))) or 0)
    finally:
        engine.dispose()


def fault_of(call: Callable[[], Any]) -> Any:
    """The zeep ``Fault`` raised by ``call`` (fails the test when it succeeds)."""
    from zeep.exceptions import Fault

    with pytest.raises(Fault) as caught:
        call()
    return caught.value


def fault_field(fault: Any) -> str | None:
    """The ``Field`` entry of a service fault's detail."""
    from kontingent_ws.types.common import FAULT_NAMESPACE

    if fault.detail is None:
        return None
    return fault.detail.findtext(f"{{{FAULT_NAMESPACE}}}ServiceFault/{{{FAULT_NAMESPACE}}}Field")
