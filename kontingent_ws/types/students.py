"""Wire format of the Students contract (контингент): search rows, portfolio, migration, performance."""

from __future__ import annotations

from spyne import Array, ComplexModel

from kontingent_ws.types.common import OptionalText, RequiredCount, RequiredText, contract_namespace
from kontingent_ws.types.fields import (
    OptionalDate,
    OptionalId,
    OptionalInteger,
    OptionalNumber,
    RequiredDate,
    RequiredFlag,
    RequiredId,
    RequiredInteger,
)

NAMESPACE = contract_namespace("Students")


def _list(model: type[ComplexModel]) -> type[Array]:
    return Array(model, min_occurs=1, nillable=False)


def _one(model: type[ComplexModel], *, required: bool = True) -> type[ComplexModel]:
    return model.customize(min_occurs=1 if required else 0, nillable=False)


class StudentListItem(ComplexModel):
    """A student in a list: СНИЛС and identity document masked."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор обучающегося")),
        ("LastName", RequiredText(doc="Фамилия")),
        ("FirstName", RequiredText(doc="Имя")),
        ("MiddleName", OptionalText(doc="Отчество")),
        ("BirthDate", RequiredDate(doc="Дата рождения")),
        ("Sex", RequiredText(doc="Пол: 1 – мужской, 2 – женский")),
        ("SexName", OptionalText(doc="Пол")),
        ("SnilsMasked", OptionalText(doc="СНИЛС, скрытый частично")),
        ("DocumentType", OptionalText(doc="Код вида документа, удостоверяющего личность")),
        ("DocumentTypeName", OptionalText(doc="Вид документа")),
        ("DocumentMasked", OptionalText(doc="Серия и номер документа, скрытые частично")),
        ("Status", OptionalText(doc="Статус обучения: 1 – обучается, 2 – выбыл, 3 – окончил обучение")),
        ("StatusName", OptionalText(doc="Статус обучения")),
        ("OrganizationId", OptionalId(doc="Текущая организация")),
        ("OrganizationName", OptionalText(doc="Краткое наименование текущей организации")),
        ("ClassGroupId", OptionalId(doc="Текущий класс (группа)")),
        ("ClassName", OptionalText(doc="Класс (группа)")),
        ("EducationLevel", OptionalText(doc="Код уровня образования")),
        ("EducationLevelName", OptionalText(doc="Уровень образования")),
        ("EducationForm", OptionalText(doc="Код формы обучения")),
        ("EducationFormName", OptionalText(doc="Форма обучения")),
    ]


class StudentPage(ComplexModel):
    """A page of students with the total number of matches."""

    __namespace__ = NAMESPACE
    _type_info = [("Students", _list(StudentListItem)), ("Total", RequiredCount(doc="Всего найдено"))]


class IdentityDocument(ComplexModel):
    """An identity document in full."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("TypeCode", RequiredText(doc="Код вида документа (ФНС России)")),
        ("TypeName", OptionalText(doc="Вид документа")),
        ("Series", OptionalText(doc="Серия")),
        ("Number", RequiredText(doc="Номер")),
        ("IssuedOn", OptionalDate(doc="Дата выдачи")),
        ("IssuedBy", OptionalText(doc="Кем выдан")),
        ("IsPrimary", RequiredFlag(doc="Основной документ")),
    ]


class PersonAddress(ComplexModel):
    """An address of a person."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("KindCode", RequiredText(doc="Код вида адреса")),
        ("KindName", OptionalText(doc="Вид адреса")),
        ("FullText", RequiredText(doc="Адрес")),
        ("PostalCode", OptionalText(doc="Почтовый индекс")),
        ("Oktmo", OptionalText(doc="ОКТМО")),
        ("FiasGuid", OptionalText(doc="Идентификатор (GUID) объекта ФИАС")),
    ]


class PersonData(ComplexModel):
    """Personal details in full."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор физического лица")),
        ("LastName", RequiredText(doc="Фамилия")),
        ("FirstName", RequiredText(doc="Имя")),
        ("MiddleName", OptionalText(doc="Отчество")),
        ("BirthDate", RequiredDate(doc="Дата рождения")),
        ("BirthPlace", OptionalText(doc="Место рождения")),
        ("Sex", RequiredText(doc="Пол: 1 – мужской, 2 – женский")),
        ("SexName", OptionalText(doc="Пол")),
        ("Citizenship", RequiredText(doc="Код гражданства")),
        ("CitizenshipName", OptionalText(doc="Гражданство")),
        ("Snils", OptionalText(doc="СНИЛС (XXX-XXX-XXX YY)")),
        ("Inn", OptionalText(doc="ИНН")),
        ("Phone", OptionalText(doc="Телефон")),
        ("Email", OptionalText(doc="Адрес электронной почты")),
        ("Documents", _list(IdentityDocument)),
        ("Addresses", _list(PersonAddress)),
    ]


class HealthData(ComplexModel):
    """Health data (special category): only for roles that need it."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("HealthGroup", OptionalText(doc="Код группы здоровья")),
        ("HealthGroupName", OptionalText(doc="Группа здоровья")),
        ("DisabilityGroup", OptionalText(doc="Группа инвалидности")),
        ("HasSpecialNeeds", RequiredFlag(doc="Ограниченные возможности здоровья (ОВЗ)")),
    ]


class LegalRepresentative(ComplexModel):
    """A legal representative with the person's details."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("KindCode", RequiredText(doc="Код вида законного представителя")),
        ("KindName", OptionalText(doc="Вид законного представителя")),
        ("AuthorityDocument", OptionalText(doc="Документ, подтверждающий полномочия")),
        ("ValidFrom", OptionalDate(doc="Полномочия действуют с")),
        ("ValidTo", OptionalDate(doc="Полномочия действуют по")),
        ("IsPrimaryContact", RequiredFlag(doc="Основное контактное лицо")),
        ("Person", _one(PersonData)),
    ]


class EducationDocument(ComplexModel):
    """A document on education issued to the student."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("TypeCode", RequiredText(doc="Код вида документа об образовании")),
        ("TypeName", OptionalText(doc="Вид документа")),
        ("Series", OptionalText(doc="Серия")),
        ("Number", RequiredText(doc="Номер")),
        ("IssuedOn", RequiredDate(doc="Дата выдачи")),
        ("OrganizationId", OptionalId(doc="Выдавшая организация")),
        ("IssuerName", OptionalText(doc="Наименование выдавшей организации")),
        ("WithHonours", RequiredFlag(doc="С отличием")),
    ]


class StudentPortfolio(ComplexModel):
    """Portfolio of a student: general information, representatives, education documents."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Person", _one(PersonData)),
        ("Status", OptionalText(doc="Код статуса обучения")),
        ("StatusName", OptionalText(doc="Статус обучения")),
        ("OrganizationId", OptionalId(doc="Текущая организация")),
        ("OrganizationName", OptionalText(doc="Краткое наименование текущей организации")),
        ("ClassGroupId", OptionalId(doc="Текущий класс (группа)")),
        ("ClassName", OptionalText(doc="Класс (группа)")),
        ("EducationLevel", OptionalText(doc="Код уровня образования")),
        ("EducationLevelName", OptionalText(doc="Уровень образования")),
        ("EducationForm", OptionalText(doc="Код формы обучения")),
        ("EducationFormName", OptionalText(doc="Форма обучения")),
        ("Health", _one(HealthData, required=False)),
        ("Representatives", _list(LegalRepresentative)),
        ("EducationDocuments", _list(EducationDocument)),
    ]


class Enrolment(ComplexModel):
    """One stay of the student in an organization (an entry of the trajectory)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("OrganizationId", RequiredId(doc="Организация")),
        ("OrganizationName", RequiredText(doc="Краткое наименование организации")),
        ("ClassGroupId", OptionalId(doc="Класс (группа)")),
        ("ClassName", OptionalText(doc="Класс (группа)")),
        ("ProgrammeKind", OptionalText(doc="Код вида образовательной программы")),
        ("ProgrammeKindName", OptionalText(doc="Вид образовательной программы")),
        ("ProgrammeName", OptionalText(doc="Наименование образовательной программы")),
        ("EducationLevel", OptionalText(doc="Код уровня образования")),
        ("EducationLevelName", OptionalText(doc="Уровень образования")),
        ("EducationForm", RequiredText(doc="Код формы обучения")),
        ("EducationFormName", OptionalText(doc="Форма обучения")),
        ("SpecialtyCode", OptionalText(doc="Код специальности (профессии)")),
        ("IsPrimary", RequiredFlag(doc="Основное место обучения")),
        ("EntryDate", RequiredDate(doc="Дата зачисления")),
        ("EntryReason", RequiredText(doc="Код основания зачисления")),
        ("EntryReasonName", OptionalText(doc="Основание зачисления")),
        ("EntryOrder", OptionalText(doc="Приказ о зачислении")),
        ("ExitDate", OptionalDate(doc="Дата выбытия")),
        ("ExitReason", OptionalText(doc="Код основания выбытия")),
        ("ExitReasonName", OptionalText(doc="Основание выбытия")),
        ("ExitOrder", OptionalText(doc="Приказ о выбытии")),
    ]


class Achievement(ComplexModel):
    """An achievement (olympiad, competition …)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("AchievedOn", RequiredDate(doc="Дата")),
        ("Kind", RequiredText(doc="Вид достижения")),
        ("Title", RequiredText(doc="Наименование")),
        ("Level", OptionalText(doc="Уровень")),
        ("Result", OptionalText(doc="Результат")),
    ]


class StudentMigration(ComplexModel):
    """The trajectory: enrolments in entry order, and achievements."""

    __namespace__ = NAMESPACE
    _type_info = [("Enrolments", _list(Enrolment)), ("Achievements", _list(Achievement))]


class MarkValue(ComplexModel):
    """A mark: its scale, the value as given and its number when it has one."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Scale", RequiredText(doc="Код шкалы оценивания")),
        ("ScaleName", OptionalText(doc="Шкала оценивания")),
        ("Value", RequiredText(doc="Отметка, как выставлена (5, зач, н/а …)")),
        ("Numeric", OptionalNumber(doc="Числовое значение отметки")),
    ]


class DiaryMark(ComplexModel):
    """A current mark from the electronic diary."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Date", RequiredDate(doc="Дата")),
        ("OrganizationId", RequiredId(doc="Организация")),
        ("Subject", RequiredText(doc="Предмет (как назван в организации)")),
        ("BaseSubject", OptionalText(doc="Предмет базового справочника")),
        ("Mark", _one(MarkValue)),
        ("Weight", RequiredInteger(doc="Вес отметки")),
        ("ControlForm", OptionalText(doc="Код формы контроля")),
        ("ControlFormName", OptionalText(doc="Форма контроля")),
        ("Comment", OptionalText(doc="Комментарий учителя")),
    ]


class PeriodMark(ComplexModel):
    """A mark for a study period, or the annual or final mark."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("SchoolYear", RequiredInteger(doc="Учебный год (год его начала)")),
        ("Kind", RequiredText(doc="period – за учебный период, annual – годовая, final – итоговая")),
        ("KindName", OptionalText(doc="Вид отметки")),
        ("PeriodKind", OptionalText(doc="Вид учебного периода: quarter, trimester, half_year")),
        ("PeriodKindName", OptionalText(doc="Вид учебного периода")),
        ("PeriodNumber", OptionalInteger(doc="Номер учебного периода")),
        ("OrganizationId", RequiredId(doc="Организация")),
        ("Subject", RequiredText(doc="Предмет (как назван в организации)")),
        ("BaseSubject", OptionalText(doc="Предмет базового справочника")),
        ("Mark", _one(MarkValue)),
    ]


class ExamResult(ComplexModel):
    """A state exam result (ОГЭ, ЕГЭ, ГВЭ)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("ExamKind", RequiredText(doc="Код вида аттестации")),
        ("ExamKindName", OptionalText(doc="Вид аттестации")),
        ("Subject", RequiredText(doc="Предмет")),
        ("ExamDate", RequiredDate(doc="Дата экзамена")),
        ("PrimaryScore", OptionalInteger(doc="Первичный балл")),
        ("Score", OptionalInteger(doc="Тестовый балл")),
        ("Mark", OptionalText(doc="Отметка")),
    ]


class StudentPerformance(ComplexModel):
    """Current, period, annual and final marks and exam results."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("SchoolYearFrom", RequiredInteger(doc="Первый учебный год итоговых отметок")),
        ("SchoolYearTo", RequiredInteger(doc="Последний учебный год итоговых отметок")),
        ("Diary", _list(DiaryMark)),
        ("Periods", _list(PeriodMark)),
        ("Exams", _list(ExamResult)),
    ]
