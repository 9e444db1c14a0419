"""Wire format of the Organizations contract (реестр ОО), and the organization shapes the
Authorities contract repeats in its own namespace (requisites, contacts, list rows)."""

from __future__ import annotations

from typing import Any, cast

from spyne import Array, ComplexModel

from kontingent_ws.types import students as students_types
from kontingent_ws.types.common import OptionalText, RequiredCount, RequiredText, contract_namespace
from kontingent_ws.types.fields import (
    OptionalDate,
    OptionalId,
    OptionalInteger,
    RequiredFlag,
    RequiredId,
    RequiredInteger,
    RequiredMoment,
)

NAMESPACE = contract_namespace("Organizations")


def _list(model: type[ComplexModel]) -> type[Array]:
    return Array(model, min_occurs=1, nillable=False)


def _one(model: type[ComplexModel], *, required: bool = True) -> type[ComplexModel]:
    return model.customize(min_occurs=1 if required else 0, nillable=False)


def _model(name: str, namespace: str, doc: str, fields: list[tuple[str, Any]]) -> type[ComplexModel]:
    return type(name, (ComplexModel,), {"__namespace__": namespace, "__doc__": doc, "_type_info": fields})


def requisites_model(namespace: str) -> type[ComplexModel]:
    """Requisites of an organization or authority, classifier codes with their Russian names."""
    return _model("Requisites", namespace, "Реквизиты", [
        ("Inn", OptionalText(doc="ИНН")),
        ("Kpp", OptionalText(doc="КПП")),
        ("Ogrn", OptionalText(doc="ОГРН")),
        ("Okpo", OptionalText(doc="ОКПО")),
        ("Oktmo", OptionalText(doc="ОКТМО")),
        ("Okopf", OptionalText(doc="Код ОКОПФ")),
        ("OkopfName", OptionalText(doc="Организационно-правовая форма")),
        ("Okfs", OptionalText(doc="Код ОКФС")),
        ("OkfsName", OptionalText(doc="Форма собственности")),
    ])  # fmt: skip


def contacts_model(namespace: str) -> type[ComplexModel]:
    """Contacts and addresses of an organization or authority."""
    return _model("Contacts", namespace, "Контакты", [
        ("Phone", OptionalText(doc="Телефон")),
        ("Fax", OptionalText(doc="Факс")),
        ("Email", OptionalText(doc="Адрес электронной почты")),
        ("Website", OptionalText(doc="Официальный сайт")),
        ("LegalAddress", OptionalText(doc="Юридический адрес")),
        ("ActualAddress", OptionalText(doc="Фактический адрес")),
    ])  # fmt: skip


def organization_item_model(namespace: str) -> type[ComplexModel]:
    """An organization as a list shows it."""
    return _model("OrganizationListItem", namespace, "Образовательная организация в списке", [
        ("Id", RequiredId(doc="Идентификатор организации")),
        ("FullName", RequiredText(doc="Полное наименование")),
        ("ShortName", RequiredText(doc="Краткое наименование")),
        ("TypeCode", RequiredText(doc="Код типа организации")),
        ("TypeName", OptionalText(doc="Тип организации")),
        ("Status", RequiredText(doc="Код статуса организации")),
        ("StatusName", OptionalText(doc="Статус организации")),
        ("MunicipalityId", OptionalId(doc="Муниципальное образование")),
        ("MunicipalityName", OptionalText(doc="Наименование муниципального образования")),
        ("ParentId", OptionalId(doc="Вышестоящий орган управления или организация")),
        ("ParentName", OptionalText(doc="Краткое наименование вышестоящего подразделения")),
        ("Inn", OptionalText(doc="ИНН")),
        ("Ogrn", OptionalText(doc="ОГРН")),
        ("Phone", OptionalText(doc="Телефон")),
        ("Email", OptionalText(doc="Адрес электронной почты")),
    ])  # fmt: skip


def organization_page_model(namespace: str, item: type[ComplexModel]) -> type[ComplexModel]:
    return _model("OrganizationPage", namespace, "Страница списка организаций", [
        ("Organizations", _list(item)),
        ("Total", RequiredCount(doc="Всего найдено")),
    ])  # fmt: skip


Requisites = requisites_model(NAMESPACE)
Contacts = contacts_model(NAMESPACE)
OrganizationListItem = organization_item_model(NAMESPACE)
OrganizationPage = organization_page_model(NAMESPACE, OrganizationListItem)


class Branch(ComplexModel):
    """A branch (филиал) of an organization with its address."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор филиала")),
        ("FullName", RequiredText(doc="Полное наименование")),
        ("ShortName", RequiredText(doc="Краткое наименование")),
        ("Kpp", OptionalText(doc="КПП")),
        ("Phone", OptionalText(doc="Телефон")),
        ("Email", OptionalText(doc="Адрес электронной почты")),
        ("Status", RequiredText(doc="Код статуса")),
        ("StatusName", OptionalText(doc="Статус")),
        ("Address", OptionalText(doc="Адрес")),
    ]


class StudentGroupCount(ComplexModel):
    """Students currently studying at one level in one form of education."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("EducationLevel", OptionalText(doc="Код уровня образования")),
        ("EducationLevelName", OptionalText(doc="Уровень образования")),
        ("EducationForm", OptionalText(doc="Код формы обучения")),
        ("EducationFormName", OptionalText(doc="Форма обучения")),
        ("Count", RequiredCount(doc="Количество обучающихся")),
    ]


class LastLoad(ComplexModel):
    """The organization's last load: how fresh its data is."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("At", RequiredMoment(doc="Дата и время последней загрузки")),
        ("Provider", RequiredText(doc="Поставщик данных: мнемоника системы или логин пользователя")),
        ("ProviderName", OptionalText(doc="Наименование системы или ФИО пользователя")),
        ("Status", RequiredText(doc="Статус загрузки: success, error или partial")),
    ]


class OrganizationPortfolio(ComplexModel):
    """Portfolio of an organization: general information, requisites, contacts, branches, summary."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор организации")),
        ("FullName", RequiredText(doc="Полное наименование")),
        ("ShortName", RequiredText(doc="Краткое наименование")),
        ("TypeCode", RequiredText(doc="Код типа организации")),
        ("TypeName", OptionalText(doc="Тип организации")),
        ("Status", RequiredText(doc="Код статуса организации")),
        ("StatusName", OptionalText(doc="Статус организации")),
        ("ActivityKind", OptionalText(doc="Код вида деятельности ДОО")),
        ("ActivityKindName", OptionalText(doc="Вид деятельности ДОО")),
        ("FoundedOn", OptionalDate(doc="Дата создания")),
        ("LicenseNumber", OptionalText(doc="Номер лицензии")),
        ("LicenseDate", OptionalDate(doc="Дата лицензии")),
        ("AccreditationNumber", OptionalText(doc="Номер свидетельства об аккредитации")),
        ("HeadName", OptionalText(doc="Руководитель")),
        ("ParentId", OptionalId(doc="Вышестоящий орган управления или организация")),
        ("ParentName", OptionalText(doc="Краткое наименование вышестоящего подразделения")),
        ("MunicipalityId", OptionalId(doc="Муниципальное образование")),
        ("MunicipalityName", OptionalText(doc="Наименование муниципального образования")),
        ("Requisites", _one(Requisites)),
        ("Contacts", _one(Contacts)),
        ("Branches", _list(Branch)),
        ("Students", _list(StudentGroupCount)),
        ("StudentTotal", RequiredCount(doc="Обучающихся всего (статус «обучается»)")),
        ("ClassCount", RequiredCount(doc="Классов (групп) в учебном году SchoolYear")),
        ("SchoolYear", OptionalInteger(doc="Последний учебный год, в котором есть классы (группы)")),
        ("LastLoad", _one(LastLoad, required=False)),
    ]


class ClassGroup(ComplexModel):
    """A class or group with its current number of students (ДОО: orientation, regime, age band)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор класса (группы)")),
        ("Name", RequiredText(doc="Наименование")),
        ("SchoolYear", RequiredInteger(doc="Учебный год (год его начала)")),
        ("Grade", OptionalInteger(doc="Параллель (0–12)")),
        ("Letter", OptionalText(doc="Литера")),
        ("BranchId", OptionalId(doc="Филиал")),
        ("EducationLevel", OptionalText(doc="Код уровня образования")),
        ("EducationLevelName", OptionalText(doc="Уровень образования")),
        ("ProgrammeKind", OptionalText(doc="Код вида образовательной программы")),
        ("ProgrammeKindName", OptionalText(doc="Вид образовательной программы")),
        ("EducationForm", RequiredText(doc="Код формы обучения")),
        ("EducationFormName", OptionalText(doc="Форма обучения")),
        ("SpecialtyCode", OptionalText(doc="Код специальности (профессии)")),
        ("Orientation", OptionalText(doc="Код направленности группы ДОО")),
        ("OrientationName", OptionalText(doc="Направленность группы")),
        ("CompensatingProfile", OptionalText(doc="Код профиля компенсирующей группы")),
        ("CompensatingProfileName", OptionalText(doc="Профиль компенсирующей группы")),
        ("Regime", OptionalText(doc="Код режима пребывания")),
        ("RegimeName", OptionalText(doc="Режим пребывания")),
        ("AgeBand", OptionalText(doc="Код возрастной группы")),
        ("AgeBandName", OptionalText(doc="Возрастная группа")),
        ("Capacity", OptionalInteger(doc="Наполняемость (мест)")),
        ("IsAdapted", RequiredFlag(doc="Адаптированная программа")),
        ("IsAdvanced", RequiredFlag(doc="Углублённое изучение")),
        ("StudentCount", RequiredCount(doc="Обучающихся в классе (группе) сейчас")),
    ]


class ClassGroupList(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [("Classes", _list(ClassGroup))]


class Subject(ComplexModel):
    """A subject of the organization and its binding to the base subject dictionary."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор предмета организации")),
        ("Name", RequiredText(doc="Наименование в организации")),
        ("ExternalId", OptionalText(doc="Идентификатор в системе поставщика")),
        ("BaseSubjectId", OptionalId(doc="Предмет базового справочника")),
        ("BaseSubjectCode", OptionalText(doc="Код предмета базового справочника")),
        ("BaseSubjectName", OptionalText(doc="Наименование предмета базового справочника")),
    ]


class SubjectList(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [("Subjects", _list(Subject))]


class EducationArea(ComplexModel):
    """An educational area, direction, specialty group or specialty of the organization."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор")),
        ("Kind", RequiredText(doc="area, direction, specialty_group или specialty")),
        ("KindName", RequiredText(doc="Вид")),
        ("Code", RequiredText(doc="Код")),
        ("Name", RequiredText(doc="Наименование")),
        ("ProgrammeKind", OptionalText(doc="Код вида образовательной программы")),
        ("ProgrammeKindName", OptionalText(doc="Вид образовательной программы")),
    ]


class EducationAreaList(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [("Areas", _list(EducationArea))]


StudentListItem = _model(
    "StudentListItem",
    NAMESPACE,
    "Обучающийся в списке: СНИЛС и документ скрыты частично",
    list(cast(Any, students_types.StudentListItem)._type_info.items()),
)


class StudentPage(ComplexModel):
    """A page of the organization's students with the total number."""

    __namespace__ = NAMESPACE
    _type_info = [("Students", _list(StudentListItem)), ("Total", RequiredCount(doc="Всего найдено"))]
