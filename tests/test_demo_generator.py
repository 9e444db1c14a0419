"""The generated demo region is coherent: valid identifiers, clean histories, complete hierarchy."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from adapters.identifiers import is_valid_snils, normalize_birth_certificate
from db import classifiers as cls
from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import (
    Authority,
    ClassGroup,
    DiaryMark,
    Enrolment,
    ExamResult,
    IdentityDocument,
    LoadJournal,
    LoadRowError,
    Municipality,
    Organization,
    OrgUnit,
    OrgUnitClosure,
    PeriodMark,
    Person,
    QueueApplication,
    QueuePreference,
    QueueStatusChange,
    Student,
)
from kontingent_ws.demo import DemoConfig, generate_demo
from kontingent_ws.demo.people import years_between
from kontingent_ws.errors import Conflict
from tests.conftest import BACKENDS, drop_postgres_database, fresh_postgres_database

CONFIG = DemoConfig(students=450, seed=7)


@pytest.fixture(scope="module", params=BACKENDS)
def region_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One generated region per backend, shared by the read-only tests of this module."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'region.sqlite3'}"
    else:
        url, name = fresh_postgres_database()
    initdb(url)
    engine = make_engine(url)
    generate_demo(engine, CONFIG)
    try:
        yield engine
    finally:
        engine.dispose()
        if name:
            drop_postgres_database(name)


@pytest.fixture
def region(region_engine: Engine) -> Iterator[Session]:
    with make_session_factory(region_engine)() as session:
        yield session


def test_counts_match_the_requested_size(region: Session) -> None:
    assert region.scalar(select(func.count()).select_from(Student)) == CONFIG.students
    assert region.scalar(select(func.count()).select_from(Authority).where(Authority.parent_id.is_(None))) == 1
    assert region.scalar(select(func.count()).select_from(Municipality)) >= 4


def test_identifiers_pass_their_checksums(region: Session) -> None:
    snils = list(region.scalars(select(Person.snils).where(Person.snils.is_not(None))))
    assert len(snils) > CONFIG.students
    assert len(set(snils)) == len(snils)
    assert all(is_valid_snils(value) for value in snils)
    for inn, ogrn, kpp, oktmo in region.execute(select(OrgUnit.inn, OrgUnit.ogrn, OrgUnit.kpp, OrgUnit.oktmo)):
        assert len(inn) == 10 and stdnum_inn.is_valid(inn)
        assert len(ogrn) == 13 and stdnum_ogrn.is_valid(ogrn)
        assert kpp[:2] == inn[:2] == CONFIG.region_code and len(kpp) == 9
        assert oktmo.startswith(CONFIG.region_code) and len(oktmo) == 8
    personal = list(region.scalars(select(Person.inn).where(Person.inn.is_not(None))))
    assert personal and all(len(value) == 12 and stdnum_inn.is_valid(value) for value in personal)


def test_identity_documents_have_valid_formats(region: Session) -> None:
    documents = region.execute(select(IdentityDocument.doc_type_code, IdentityDocument.series, IdentityDocument.number))
    kinds = defaultdict(int)
    for kind, series, number in documents:
        kinds[kind] += 1
        if kind == "03":
            assert normalize_birth_certificate(series, number) == (series, number)
        else:
            assert kind == "21" and len(series) == 4 and len(number) == 6 and (series + number).isdigit()
    assert kinds["03"] >= CONFIG.students and kinds["21"] > 0


def test_enrolment_histories_are_clean(region: Session) -> None:
    stays = defaultdict(list)
    for stay in region.scalars(select(Enrolment).order_by(Enrolment.entry_date)):
        assert (stay.exit_date is None) == (stay.exit_reason_code is None)
        assert stay.exit_reason_code is None or stay.exit_reason_code in cls.codes_of(cls.EXIT_REASON)
        stays[(stay.student_id, stay.organization_id)].append(stay)
    for history in stays.values():
        for earlier, later in pairwise(history):
            assert earlier.exit_date is not None and earlier.exit_date < later.entry_date


def test_student_caches_follow_the_latest_primary_enrolment(region: Session) -> None:
    latest = {}
    for stay in region.scalars(select(Enrolment).where(Enrolment.is_primary).order_by(Enrolment.entry_date)):
        latest[stay.student_id] = stay
    for student in region.scalars(select(Student)):
        stay = latest[student.id]
        assert student.current_organization_id == stay.organization_id
        assert student.current_class_group_id == stay.class_group_id
        reason = cls.item_of(cls.EXIT_REASON, stay.exit_reason_code or "")
        assert student.status_code == ("1" if reason is None else reason.extra["status"])
    statuses = set(region.scalars(select(Student.status_code).distinct()))
    assert statuses == {"1", "2", "3"}


def test_transfers_cross_municipalities(region: Session) -> None:
    rows = region.execute(
        text(
            "SELECT old_org.municipality_id, new_org.municipality_id FROM enrolment old "
            "JOIN enrolment new ON new.student_id = old.student_id AND new.entry_reason_code = '2' "
            "AND new.entry_date = old.exit_date + 1 "
            "JOIN org_unit old_org ON old_org.id = old.organization_id "
            "JOIN org_unit new_org ON new_org.id = new.organization_id WHERE old.exit_reason_code = '1'"
        )
        if region.bind.dialect.name == "postgresql"
        else text(
            "SELECT old_org.municipality_id, new_org.municipality_id FROM enrolment old "
            "JOIN enrolment new ON new.student_id = old.student_id AND new.entry_reason_code = '2' "
            "AND new.entry_date = date(old.exit_date, '+1 day') "
            "JOIN org_unit old_org ON old_org.id = old.organization_id "
            "JOIN org_unit new_org ON new_org.id = new.organization_id WHERE old.exit_reason_code = '1'"
        )
    ).all()
    transfers_out = region.scalar(select(func.count()).where(Enrolment.exit_reason_code == "1"))
    assert rows and len(rows) == transfers_out
    assert any(old != new for old, new in rows)


def test_every_organization_sits_under_an_authority(region: Session) -> None:
    authorities = set(region.scalars(select(Authority.id)))
    organizations = region.execute(select(Organization.id, Organization.parent_id)).all()
    assert organizations
    for org_id, parent_id in organizations:
        assert parent_id in authorities
        above = set(
            region.scalars(select(OrgUnitClosure.ancestor_id).where(OrgUnitClosure.descendant_id == org_id))
        )
        assert org_id in above and parent_id in above and min(authorities) in above
    units = region.scalar(select(func.count()).select_from(OrgUnit))
    assert region.scalar(select(func.count()).where(OrgUnitClosure.depth == 0)) == units


def test_every_organization_type_is_present(region: Session) -> None:
    types = set(region.scalars(select(Organization.type_code).distinct()))
    assert types == {"11", "12", "13", "14", "16"}
    with_pupils = set(
        region.scalars(
            select(Organization.type_code).join(Enrolment, Enrolment.organization_id == Organization.id).distinct()
        )
    )
    assert with_pupils == types


def test_marks_cover_the_school_year(region: Session) -> None:
    first, last = region.execute(select(func.min(DiaryMark.mark_date), func.max(DiaryMark.mark_date))).one()
    assert first >= CONFIG.year_start and last.year == CONFIG.school_year + 1
    kinds = set(region.scalars(select(PeriodMark.kind).distinct()))
    assert kinds == {"period", "annual", "final"}
    scales = set(region.scalars(select(PeriodMark.scale_code).distinct()))
    assert "five_point" in scales and scales <= cls.codes_of(cls.MARK_SCALE)
    assert set(region.scalars(select(ExamResult.exam_kind_code).distinct())) == {"1", "2"}


def test_queue_and_load_history_exist(region: Session) -> None:
    assert region.scalar(select(func.count()).select_from(QueueApplication)) > 0
    assert region.scalar(select(func.count()).select_from(QueuePreference)) > 0
    assert region.scalar(select(func.count()).select_from(QueueStatusChange)) > 0
    enrolled_children = region.scalar(
        select(func.count()).select_from(QueueApplication).join(Student, Student.id == QueueApplication.child_id)
    )
    assert enrolled_children == 0
    statuses = set(region.scalars(select(LoadJournal.status).distinct()))
    assert statuses == {"success", "partial", "error"}
    assert region.scalar(select(func.count()).select_from(LoadRowError)) > 0


def _fingerprint(session: Session) -> str:
    digest = hashlib.sha256()
    for row in session.execute(
        select(Person.last_name, Person.first_name, Person.middle_name, Person.birth_date, Person.snils).order_by(
            Person.id
        )
    ):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_same_seed_same_region(region: Session, tmp_path: Path) -> None:
    other_url = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    initdb(other_url)
    other = make_engine(other_url)
    try:
        generate_demo(other, CONFIG)
        with make_session_factory(other)() as again:
            assert _fingerprint(again) == _fingerprint(region)
    finally:
        other.dispose()


def test_a_second_run_refuses_or_skips(region_engine: Engine) -> None:
    assert generate_demo(region_engine, CONFIG, if_empty=True).skipped
    with pytest.raises(Conflict):
        generate_demo(region_engine, CONFIG)


def test_a_small_region_on_the_shared_fixtures(engine: Engine, session: Session) -> None:
    result = generate_demo(engine, DemoConfig(students=60, seed=2, diary_marks_per_subject=1))
    assert result.rows["student"] == 60
    assert session.scalar(select(func.count()).select_from(Student)) == 60


def test_names_agree_with_sex(region: Session) -> None:
    for sex, last, middle in region.execute(select(Person.sex, Person.last_name, Person.middle_name)):
        if sex == "1":
            assert middle.endswith("ич") and not last.endswith(("ва", "на", "ая"))
        else:
            assert middle.endswith("на") and last.endswith(("а", "я"))


def test_pupils_are_of_the_age_of_their_grade(region: Session) -> None:
    rows = region.execute(
        select(Person.birth_date, ClassGroup.grade)
        .join(Student, Student.id == Person.id)
        .join(ClassGroup, ClassGroup.id == Student.current_class_group_id)
        .where(ClassGroup.grade.is_not(None))
    ).all()
    assert rows
    for born, grade in rows:
        age = years_between(born, CONFIG.year_start)
        assert 6 + grade <= age <= 8 + grade
