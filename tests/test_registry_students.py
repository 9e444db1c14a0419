"""The Students contract through zeep against a live gunicorn (authentication on), on each backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests import registrykit
from tests.registrykit import RegistryEnv, audit_events, fault_field, fault_of, last_audit_id

registry_env = registrykit.registry_env


def _norm(value: str) -> str:
    return value.lower().replace("ё", "е")


def _items(page: Any) -> list[Any]:
    return list(page.Students.StudentListItem) if page.Students else []


def test_search_filters_sorts_pages_and_masks(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    admin = env.client("Students", "admin").service

    found = admin.SearchStudents(LastName="ЁЛ", Page=1, PageSize=10)
    expected = {sid for sid, s in data.students.items() if _norm(s["last"]).startswith("ел")}
    assert found.Total == len(expected) == 2
    assert {row.Id for row in _items(found)} == expected
    yolkin = next(row for row in _items(found) if row.Id == data.yolkin_id)
    assert yolkin.SnilsMasked == f"***-***-{data.yolkin_snils[6:9]} {data.yolkin_snils[9:]}"
    assert yolkin.DocumentMasked == "**-** ****56" and yolkin.DocumentTypeName == "Свидетельство о рождении"
    assert (yolkin.OrganizationId, yolkin.ClassName, yolkin.StatusName) == (
        data.region.north_school_id, "5А", "Обучается",
    )  # fmt: skip

    formatted = f"{data.yolkin_snils[:3]}-{data.yolkin_snils[3:6]}-{data.yolkin_snils[6:9]} {data.yolkin_snils[9:]}"
    assert [row.Id for row in _items(admin.SearchStudents(Snils=formatted, Page=1, PageSize=5))] == [data.yolkin_id]

    by_birth = admin.SearchStudents(SortBy="BirthDate", SortDirection="desc", Page=1, PageSize=500)
    assert by_birth.Total == len(data.students)
    births = [row.BirthDate for row in _items(by_birth)]
    assert births == sorted(births, reverse=True)
    second_page = admin.SearchStudents(SortBy="BirthDate", SortDirection="desc", Page=2, PageSize=3)
    assert [row.Id for row in _items(second_page)] == [row.Id for row in _items(by_birth)][3:6]
    assert second_page.Total == len(data.students)

    for status in ("1", "2", "3"):
        page = admin.SearchStudents(Status=status, Page=1, PageSize=100)
        assert page.Total == sum(1 for s in data.students.values() if s["status"] == status)
    north = {data.region.north_school_id, data.region.north_kindergarten_id}
    subtree = admin.SearchStudents(OrganizationId=data.region.north_id, IncludeSubordinate=True, Page=1, PageSize=100)
    assert subtree.Total == sum(1 for s in data.students.values() if s["org"] in north)
    assert admin.SearchStudents(OrganizationId=data.region.north_id, Page=1, PageSize=10).Total == 0
    family = admin.SearchStudents(EducationForm="13", Page=1, PageSize=10)
    assert [row.LastName for row in _items(family)] == ["Ежова"]
    girls = admin.SearchStudents(Sex="2", BirthDateFrom=dt.date(2014, 1, 1), BirthDateTo=dt.date(2014, 12, 31),
                                 Page=1, PageSize=100)  # fmt: skip
    assert girls.Total == sum(
        1 for s in data.students.values() if s["sex"] == "2" and s["born"].year == 2014
    )
    in_class = admin.SearchStudents(ClassGroupId=data.class_5a_id, Page=1, PageSize=100)
    assert data.yolkin_id in {row.Id for row in _items(in_class)}


def test_search_stays_within_the_callers_scope(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    school = env.client("Students", "north_school").service
    mark = last_audit_id(env)
    found = school.SearchStudents(LastName="ив", Page=1, PageSize=50)
    expected = {
        sid for sid, s in data.students.items()
        if s["org"] == data.region.north_school_id and _norm(s["last"]).startswith("ив")
    }  # fmt: skip
    assert {row.Id for row in _items(found)} == expected and found.Total == 4
    south = env.client("Students", "south_school").service
    came_from_south = south.SearchStudents(LastName="Елкин", Page=1, PageSize=10)
    assert [row.Id for row in _items(came_from_south)] == [data.yolkin_id]  # an earlier enrolment is in scope
    denied = fault_of(lambda: south.SearchStudents(OrganizationId=data.region.north_school_id, Page=1, PageSize=10))
    assert denied.code.endswith("Client.AccessDenied")
    reads = [e for e in audit_events(env, "north_school", after=mark) if e.object_type == "student_list"]
    assert sorted(e.subject_person_id for e in reads) == sorted(expected)


def test_portfolio_is_full_audited_and_shows_health_only_to_whom_needs_it(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    mark = last_audit_id(env)
    portfolio = env.client("Students", "admin").service.GetStudentPortfolio(StudentId=data.yolkin_id)
    person = portfolio.Person
    snils = data.yolkin_snils
    assert person.Snils == f"{snils[:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}"
    assert [(d.Series, d.Number) for d in person.Documents.IdentityDocument] == [("IV-АБ", "123456")]
    assert person.CitizenshipName == "Гражданин Российской Федерации"
    assert [a.KindName for a in person.Addresses.PersonAddress] == ["Адрес регистрации по месту жительства"]
    representatives = portfolio.Representatives.LegalRepresentative
    assert [r.Person.Id for r in representatives] == [data.mother_id, data.father_id]
    assert representatives[0].IsPrimaryContact and representatives[0].KindName == "Родитель"
    assert representatives[0].Person.Documents.IdentityDocument[0].Number == "654321"
    assert [d.TypeName for d in portfolio.EducationDocuments.EducationDocument] == [
        "Справка об обучении или о периоде обучения"
    ]
    assert portfolio.Health.HealthGroupName == "II группа здоровья" and portfolio.Health.HasSpecialNeeds is True
    reads = [e for e in audit_events(env, "admin", after=mark) if e.object_type == "student_portfolio"]
    assert sorted(e.subject_person_id for e in reads) == sorted([data.yolkin_id, data.mother_id, data.father_id])

    own_school = env.client("Students", "north_school").service.GetStudentPortfolio(StudentId=data.yolkin_id)
    assert own_school.Health is not None
    for login in ("ministry", "north_admin", "south_school"):
        assert env.client("Students", login).service.GetStudentPortfolio(StudentId=data.yolkin_id).Health is None


def test_migration_and_performance(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    service = env.client("Students", "north_admin").service
    mark = last_audit_id(env)
    migration = service.GetStudentMigration(StudentId=data.yolkin_id)
    enrolments = migration.Enrolments.Enrolment
    assert [(e.OrganizationId, e.ClassName, e.EntryReasonName) for e in enrolments] == [
        (data.region.south_school_id, "4В", "Зачисление (приём)"),
        (data.region.north_school_id, "5А", "Перевод из другой образовательной организации"),
    ]
    assert enrolments[0].ExitReasonName == "Перевод в другую образовательную организацию"
    assert enrolments[0].ProgrammeKindName == "Образовательная программа начального общего образования"
    assert [a.Result for a in migration.Achievements.Achievement] == ["призёр"]

    autumn = service.GetStudentPerformance(StudentId=data.yolkin_id, DateFrom=dt.date(2025, 9, 1),
                                           DateTo=dt.date(2025, 12, 31))  # fmt: skip
    assert [(m.Date, m.Subject, m.Mark.Value, m.Weight) for m in autumn.Diary.DiaryMark] == [
        (dt.date(2025, 10, 6), "Математика", "5", 2), (dt.date(2025, 10, 7), "Шахматы", "зач", 1),
    ]  # fmt: skip
    assert autumn.Diary.DiaryMark[0].ControlFormName == "Контрольная работа"
    assert autumn.Diary.DiaryMark[1].Mark.Numeric is None
    assert [(p.Kind, p.PeriodKindName, p.PeriodNumber) for p in autumn.Periods.PeriodMark] == [
        ("period", "Четверть", 1), ("annual", None, None),
    ]  # fmt: skip
    exams = [(e.ExamKindName, e.Score) for e in autumn.Exams.ExamResult]
    assert exams == [("Основной государственный экзамен (ОГЭ)", 20)]
    last_year = service.GetStudentPerformance(StudentId=data.yolkin_id, DateFrom=dt.date(2025, 9, 1),
                                              DateTo=dt.date(2025, 9, 2), SchoolYear=2024)  # fmt: skip
    assert [(p.Kind, p.Mark.Value) for p in last_year.Periods.PeriodMark] == [("final", "4")]
    events = {e.object_type for e in audit_events(env, "north_admin", after=mark)}
    assert {"student_migration", "student_performance"} <= events


def test_faults(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    admin = env.client("Students", "admin").service
    cases = [
        (lambda: admin.SearchStudents(Snils="123-456-789 00", Page=1, PageSize=5), "Client.Validation", "Snils"),
        (
            lambda: admin.SearchStudents(
                BirthDateFrom=dt.date(2015, 1, 1), BirthDateTo=dt.date(2014, 1, 1), Page=1, PageSize=5
            ),
            "Client.Validation",
            "BirthDateFrom",
        ),
        (lambda: admin.SearchStudents(Page=1, PageSize=501), "Client.Validation", "PageSize"),
        (lambda: admin.SearchStudents(Page=0, PageSize=5), "Client.Validation", "Page"),
        (lambda: admin.SearchStudents(SortBy="Snils", Page=1, PageSize=5), "Client.Validation", "SortBy"),
        (lambda: admin.SearchStudents(Status="9", Page=1, PageSize=5), "Client.Validation", "Status"),
        (
            lambda: admin.GetStudentPerformance(
                StudentId=data.yolkin_id, DateFrom=dt.date(2026, 1, 2), DateTo=dt.date(2026, 1, 1)
            ),
            "Client.Validation",
            "DateFrom",
        ),
        (lambda: admin.GetStudentPortfolio(StudentId=987654), "Client.NotFound", "StudentId"),
        (lambda: admin.GetStudentMigration(StudentId=987654), "Client.NotFound", "StudentId"),
    ]
    for call, code, field in cases:
        fault = fault_of(call)
        assert fault.code.endswith(code), (field, fault.code, fault.message)
        assert field in fault.message or field == "StudentId"
        assert fault_field(fault) == field
    assert "СНИЛС" in fault_of(cases[0][0]).message

    mark = last_audit_id(env)
    stranger = next(sid for sid, s in data.students.items() if s["org"] == data.region.north_kindergarten_id)
    south = env.client("Students", "south_school").service
    for operation in ("GetStudentPortfolio", "GetStudentMigration"):
        fault = fault_of(lambda op=operation: getattr(south, op)(StudentId=stranger))
        assert fault.code.endswith("Client.AccessDenied")
    denied = [e for e in audit_events(env, "south_school", after=mark) if e.action == "access_denied"]
    assert {(e.object_type, e.object_id) for e in denied} == {
        ("student_portfolio", str(stranger)), ("student_migration", str(stranger)),
    }  # fmt: skip
