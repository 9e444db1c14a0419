"""The Students contract (контингент): search, portfolio, migration and performance of students.
Thin: unpack, call a use case, pack."""

from __future__ import annotations

import datetime as dt
from typing import Any

from spyne import ServiceBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.common import OptionalText
from kontingent_ws.types.fields import (
    OptionalDate,
    OptionalFlag,
    OptionalId,
    OptionalInteger,
    PageNumber,
    PageSize,
    RequiredDate,
    RequiredId,
    SortBy,
    SortDirection,
)
from kontingent_ws.types.packing import pack, pack_list
from kontingent_ws.types.students import (
    StudentListItem,
    StudentMigration,
    StudentPage,
    StudentPerformance,
    StudentPortfolio,
)
from kontingent_ws.usecases import student_history, student_portfolio, students


def _answer(model: Any) -> Any:
    return model.customize(min_occurs=1, nillable=False)


class StudentsService(ServiceBase):
    """The regional registry of students."""

    @operation(
        OptionalText(doc="Начало фамилии (без учёта регистра, ё и е не различаются)"),
        OptionalText(doc="Начало имени"),
        OptionalText(doc="Начало отчества"),
        OptionalText(doc="СНИЛС"),
        OptionalDate(doc="Дата рождения"),
        OptionalDate(doc="Дата рождения не ранее"),
        OptionalDate(doc="Дата рождения не позднее"),
        OptionalText(doc="Пол: 1 – мужской, 2 – женский"),
        OptionalId(doc="Текущая организация"),
        OptionalFlag(doc="Включая подведомственные организации"),
        OptionalId(doc="Класс (группа)"),
        OptionalText(doc="Код уровня образования"),
        OptionalText(doc="Код формы обучения"),
        OptionalText(doc="Статус: 1 – обучается, 2 – выбыл, 3 – окончил обучение, 4 – академический отпуск"),
        SortBy,
        SortDirection,
        PageNumber,
        PageSize,
        _returns=_answer(StudentPage),
    )
    def SearchStudents(
        ctx: Any,
        LastName: str | None,
        FirstName: str | None,
        MiddleName: str | None,
        Snils: str | None,
        BirthDate: dt.date | None,
        BirthDateFrom: dt.date | None,
        BirthDateTo: dt.date | None,
        Sex: str | None,
        OrganizationId: int | None,
        IncludeSubordinate: bool | None,
        ClassGroupId: int | None,
        EducationLevel: str | None,
        EducationForm: str | None,
        Status: str | None,
        SortBy: str | None,
        SortDirection: str | None,
        Page: int,
        PageSize: int,
    ) -> StudentPage:
        found = students.search_students(
            call_of(ctx),
            students.StudentFilter(
                last_name=LastName,
                first_name=FirstName,
                middle_name=MiddleName,
                snils=Snils,
                birth_date=BirthDate,
                birth_date_from=BirthDateFrom,
                birth_date_to=BirthDateTo,
                sex=Sex,
                organization_id=OrganizationId,
                include_subordinate=bool(IncludeSubordinate),
                class_group_id=ClassGroupId,
                education_level=EducationLevel,
                education_form=EducationForm,
                status=Status,
            ),
            sort_by=SortBy,
            sort_direction=SortDirection,
            page=Page,
            page_size=PageSize,
        )
        return StudentPage(Students=pack_list(StudentListItem, found.items), Total=found.total)

    @operation(RequiredId(doc="Идентификатор обучающегося"), _returns=_answer(StudentPortfolio))
    def GetStudentPortfolio(ctx: Any, StudentId: int) -> StudentPortfolio:
        return pack(StudentPortfolio, student_portfolio.get_student_portfolio(call_of(ctx), student_id=StudentId))

    @operation(RequiredId(doc="Идентификатор обучающегося"), _returns=_answer(StudentMigration))
    def GetStudentMigration(ctx: Any, StudentId: int) -> StudentMigration:
        return pack(StudentMigration, student_history.get_student_migration(call_of(ctx), student_id=StudentId))

    @operation(
        RequiredId(doc="Идентификатор обучающегося"),
        RequiredDate(doc="Текущие отметки с даты"),
        RequiredDate(doc="Текущие отметки по дату"),
        OptionalInteger(doc="Учебный год итоговых отметок (год его начала); по умолчанию – годы периода"),
        _returns=_answer(StudentPerformance),
    )
    def GetStudentPerformance(
        ctx: Any, StudentId: int, DateFrom: dt.date, DateTo: dt.date, SchoolYear: int | None
    ) -> StudentPerformance:
        performance = student_history.get_student_performance(
            call_of(ctx), student_id=StudentId, date_from=DateFrom, date_to=DateTo, school_year=SchoolYear
        )
        return pack(StudentPerformance, performance)
