"""The Organizations contract (реестр образовательных организаций): search, portfolio, classes,
subjects, areas and the students of an organization. Thin: unpack, call a use case, pack."""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.common import OptionalText
from kontingent_ws.types.fields import (
    OptionalFlag,
    OptionalId,
    OptionalInteger,
    PageNumber,
    PageSize,
    RequiredId,
    SortBy,
    SortDirection,
)
from kontingent_ws.types.organizations import (
    ClassGroup,
    ClassGroupList,
    EducationArea,
    EducationAreaList,
    OrganizationListItem,
    OrganizationPage,
    OrganizationPortfolio,
    StudentListItem,
    StudentPage,
    Subject,
    SubjectList,
)
from kontingent_ws.types.packing import pack, pack_list
from kontingent_ws.usecases import organization_card, organizations, students

OrganizationIdField = RequiredId(doc="Идентификатор организации")


def _answer(model: Any) -> Any:
    return model.customize(min_occurs=1, nillable=False)


class OrganizationsService(ServiceBase):
    """The regional registry of educational organizations."""

    @operation(
        OptionalText(doc="Часть полного наименования (без учёта регистра, ё и е не различаются)"),
        OptionalText(doc="Способ сравнения наименования: contains (по умолчанию) или prefix"),
        OptionalText(doc="Код типа организации"),
        OptionalText(doc="Код статуса организации"),
        OptionalId(doc="Муниципальное образование"),
        OptionalId(doc="Орган управления, которому подчинены организации"),
        OptionalFlag(doc="Включая организации, подчинённые нижестоящим органам и организациям"),
        OptionalText(doc="ИНН (10 цифр)"),
        OptionalText(doc="ОГРН (13 цифр)"),
        SortBy,
        SortDirection,
        PageNumber,
        PageSize,
        _returns=_answer(OrganizationPage),
    )
    def SearchOrganizations(
        ctx: Any,
        Name: str | None,
        NameMatch: str | None,
        TypeCode: str | None,
        Status: str | None,
        MunicipalityId: int | None,
        AuthorityId: int | None,
        IncludeSubordinate: bool | None,
        Inn: str | None,
        Ogrn: str | None,
        SortBy: str | None,
        SortDirection: str | None,
        Page: int,
        PageSize: int,
    ) -> Any:
        found = organizations.search_organizations(
            call_of(ctx),
            organizations.OrganizationFilter(
                name=Name,
                name_match=(NameMatch or organizations.NAME_CONTAINS).strip(),
                type_code=TypeCode,
                status=Status,
                municipality_id=MunicipalityId,
                authority_id=AuthorityId,
                include_subordinate=bool(IncludeSubordinate),
                inn=Inn,
                ogrn=Ogrn,
            ),
            sort_by=SortBy,
            sort_direction=SortDirection,
            page=Page,
            page_size=PageSize,
        )
        return OrganizationPage(Organizations=pack_list(OrganizationListItem, found.items), Total=found.total)

    @operation(OrganizationIdField, _returns=_answer(OrganizationPortfolio))
    def GetOrganizationPortfolio(ctx: Any, OrganizationId: int) -> OrganizationPortfolio:
        portfolio = organization_card.get_organization_portfolio(call_of(ctx), organization_id=OrganizationId)
        return pack(OrganizationPortfolio, portfolio)

    @operation(
        OrganizationIdField,
        OptionalInteger(doc="Учебный год (год его начала); по умолчанию – последний, в котором есть классы"),
        _returns=_answer(ClassGroupList),
    )
    def GetOrganizationClasses(ctx: Any, OrganizationId: int, SchoolYear: int | None) -> ClassGroupList:
        classes = organization_card.get_organization_classes(
            call_of(ctx), organization_id=OrganizationId, school_year=SchoolYear
        )
        return ClassGroupList(Classes=pack_list(ClassGroup, classes))

    @operation(OrganizationIdField, _returns=_answer(SubjectList))
    def GetOrganizationSubjects(ctx: Any, OrganizationId: int) -> SubjectList:
        subjects = organization_card.get_organization_subjects(call_of(ctx), organization_id=OrganizationId)
        return SubjectList(Subjects=pack_list(Subject, subjects))

    @operation(OrganizationIdField, _returns=_answer(EducationAreaList))
    def GetOrganizationAreas(ctx: Any, OrganizationId: int) -> EducationAreaList:
        areas = organization_card.get_organization_areas(call_of(ctx), organization_id=OrganizationId)
        return EducationAreaList(Areas=pack_list(EducationArea, areas))

    @operation(
        OrganizationIdField,
        OptionalText(doc="Статус обучения: 1 – обучается, 2 – выбыл, 3 – окончил обучение, 4 – академический отпуск"),
        PageNumber,
        PageSize,
        _returns=_answer(StudentPage),
    )
    def GetOrganizationStudents(
        ctx: Any, OrganizationId: int, Status: str | None, Page: int, PageSize: int
    ) -> StudentPage:
        call = call_of(ctx)
        organizations.ensure_organization(call, OrganizationId)
        found = students.list_organization_students(
            call, organization_id=OrganizationId, status=Status, page=Page, page_size=PageSize
        )
        return StudentPage(Students=pack_list(StudentListItem, found.items), Total=found.total)
