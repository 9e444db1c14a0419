"""The Organizations contract through zeep against a live gunicorn (authentication on), on each backend."""

from __future__ import annotations

from typing import Any

from tests import registrykit
from tests.registrykit import RegistryEnv, audit_events, fault_field, fault_of, last_audit_id

registry_env = registrykit.registry_env


def _rows(page: Any) -> list[Any]:
    return list(page.Organizations.OrganizationListItem) if page.Organizations else []


def test_search_by_name_type_requisites_and_scope(registry_env: RegistryEnv) -> None:
    env, region = registry_env, registry_env.data.region
    admin = env.client("Organizations", "admin").service
    schools = admin.SearchOrganizations(Name="сош", Page=1, PageSize=10)
    assert [row.Id for row in _rows(schools)] == [region.north_school_id, region.south_school_id]
    assert schools.Total == 2
    assert admin.SearchOrganizations(Name="сош", NameMatch="prefix", Page=1, PageSize=10).Total == 0
    kindergarten = admin.SearchOrganizations(Name="МБДОУ", NameMatch="prefix", Page=1, PageSize=10)
    assert [row.Id for row in _rows(kindergarten)] == [region.north_kindergarten_id]
    kindergartens = admin.SearchOrganizations(TypeCode="11", Page=1, PageSize=10)
    assert [(row.Id, row.TypeName) for row in _rows(kindergartens)] == [
        (region.north_kindergarten_id, "Дошкольная образовательная организация")
    ]
    north = admin.SearchOrganizations(AuthorityId=region.north_id, SortBy="Id", SortDirection="desc", Page=1,
                                      PageSize=10)  # fmt: skip
    assert [row.Id for row in _rows(north)] == sorted([region.north_school_id, region.north_kindergarten_id])[::-1]
    assert admin.SearchOrganizations(AuthorityId=region.ministry_id, Page=1, PageSize=10).Total == 0
    assert admin.SearchOrganizations(AuthorityId=region.ministry_id, IncludeSubordinate=True, Page=1,
                                     PageSize=10).Total == 3  # fmt: skip
    by_inn = admin.SearchOrganizations(Inn=_rows(schools)[0].Inn, Page=1, PageSize=10)
    assert [row.Id for row in _rows(by_inn)] == [region.north_school_id]
    assert [row.Id for row in _rows(admin.SearchOrganizations(Ogrn="1027700132195", Page=1, PageSize=10))] == [
        region.north_school_id
    ]
    in_municipality = admin.SearchOrganizations(MunicipalityId=region.north_municipality_id, Page=1, PageSize=10)
    assert in_municipality.Total == 2

    seen_by_school = env.client("Organizations", "north_school").service.SearchOrganizations(Page=1, PageSize=10)
    assert [row.Id for row in _rows(seen_by_school)] == [region.north_school_id]
    seen_by_north = env.client("Organizations", "north_admin").service.SearchOrganizations(Page=1, PageSize=10)
    assert {row.Id for row in _rows(seen_by_north)} == {region.north_school_id, region.north_kindergarten_id}


def test_portfolio_classes_subjects_areas(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    region = data.region
    service = env.client("Organizations", "ministry").service
    portfolio = service.GetOrganizationPortfolio(OrganizationId=region.north_school_id)
    assert portfolio.Requisites.Ogrn == "1027700132195"
    assert portfolio.Requisites.OkopfName == "Муниципальные бюджетные учреждения"
    assert portfolio.Requisites.OkfsName == "Муниципальная собственность"
    assert portfolio.Contacts.Website == "https://school1.example.ru"
    assert portfolio.Contacts.LegalAddress.startswith("99601000")
    assert [(b.ShortName, b.Address) for b in portfolio.Branches.Branch] == [
        ("Филиал Выселки", "д. Малые Выселки, ул. Лесная, д. 3")
    ]
    studying = [s for s in data.students.values() if s["org"] == region.north_school_id and s["status"] == "1"]
    assert portfolio.StudentTotal == len(studying)
    counted = {(g.EducationLevel, g.EducationForm): g.Count for g in portfolio.Students.StudentGroupCount}
    assert counted == {("3", "11"): len(studying)}
    assert (portfolio.ClassCount, portfolio.SchoolYear) == (2, 2025)
    assert (portfolio.LastLoad.Provider, portfolio.LastLoad.Status) == ("SCHOOL_IS", "success")
    assert portfolio.LastLoad.At.year == 2026 and portfolio.LastLoad.At.month == 2

    classes = service.GetOrganizationClasses(OrganizationId=region.north_school_id).ClassGroup
    assert [(c.Name, c.StudentCount) for c in classes] == [("5А", 4), ("5Б", 3)]
    older = service.GetOrganizationClasses(OrganizationId=region.north_school_id, SchoolYear=2024).ClassGroup
    assert [c.Name for c in older] == ["4А"]
    (group,) = service.GetOrganizationClasses(OrganizationId=region.north_kindergarten_id).ClassGroup
    assert (group.OrientationName, group.CompensatingProfileName, group.AgeBandName, group.StudentCount) == (
        "Компенсирующая", "Для детей с нарушениями речи", "От 3 до 5 лет", 2,
    )  # fmt: skip
    assert group.RegimeName.startswith("Полного дня")

    subjects = service.GetOrganizationSubjects(OrganizationId=region.north_school_id).Subject
    assert [(s.Name, s.BaseSubjectId, s.BaseSubjectName) for s in subjects] == [
        ("Математика", data.base_math_id, "Математика"), ("Шахматы", None, None),
    ]  # fmt: skip
    (area,) = service.GetOrganizationAreas(OrganizationId=region.north_school_id).EducationArea
    assert (area.KindName, area.Name) == ("Образовательная область", "Естественнонаучная")


def test_organization_students_are_masked_and_audited(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    region = data.region
    mark = last_audit_id(env)
    service = env.client("Organizations", "north_school").service
    page = service.GetOrganizationStudents(OrganizationId=region.north_school_id, Page=1, PageSize=3)
    everyone = [sid for sid, s in data.students.items() if s["org"] == region.north_school_id]
    assert page.Total == len(everyone)
    rows = list(page.Students.StudentListItem)
    assert len(rows) == 3
    assert all(row.SnilsMasked is None or row.SnilsMasked.startswith("***-***-") for row in rows)
    left = service.GetOrganizationStudents(OrganizationId=region.north_school_id, Status="2", Page=1, PageSize=10)
    assert [(row.LastName, row.StatusName) for row in left.Students.StudentListItem] == [("Иванов", "Выбыл")]
    reads = [e.subject_person_id for e in audit_events(env, "north_school", after=mark)]
    assert sorted(reads) == sorted([row.Id for row in rows] + [row.Id for row in left.Students.StudentListItem])


def test_faults(registry_env: RegistryEnv) -> None:
    env, region = registry_env, registry_env.data.region
    admin = env.client("Organizations", "admin").service
    cases = [
        (lambda: admin.SearchOrganizations(Inn="12345", Page=1, PageSize=5), "Client.Validation", "Inn"),
        (lambda: admin.SearchOrganizations(TypeCode="99", Page=1, PageSize=5), "Client.Validation", "TypeCode"),
        (lambda: admin.SearchOrganizations(NameMatch="fuzzy", Page=1, PageSize=5), "Client.Validation", "NameMatch"),
        (lambda: admin.SearchOrganizations(SortBy="Kpp", Page=1, PageSize=5), "Client.Validation", "SortBy"),
        (lambda: admin.SearchOrganizations(Page=1, PageSize=1000), "Client.Validation", "PageSize"),
        (lambda: admin.GetOrganizationPortfolio(OrganizationId=region.north_id), "Client.NotFound", "OrganizationId"),
        (lambda: admin.GetOrganizationClasses(OrganizationId=987654), "Client.NotFound", "OrganizationId"),
        (
            lambda: admin.SearchOrganizations(AuthorityId=region.north_school_id, Page=1, PageSize=5),
            "Client.NotFound",
            "AuthorityId",
        ),
    ]
    for call, code, field in cases:
        fault = fault_of(call)
        assert fault.code.endswith(code), (field, fault.code, fault.message)
        assert fault_field(fault) == field
    mark = last_audit_id(env)
    school = env.client("Organizations", "north_school").service
    for operation in ("GetOrganizationPortfolio", "GetOrganizationSubjects", "GetOrganizationStudents"):
        params = {"Page": 1, "PageSize": 5} if operation == "GetOrganizationStudents" else {}
        fault = fault_of(lambda op=operation, p=params: getattr(school, op)(OrganizationId=region.south_school_id, **p))
        assert fault.code.endswith("Client.AccessDenied")
        assert "вне зоны ответственности" in fault.message
    denied = [e for e in audit_events(env, "north_school", after=mark) if e.action == "access_denied"]
    assert len(denied) == 3 and {e.object_id for e in denied} == {str(region.south_school_id)}
