"""Wire format of the ChangeFeed contract: the types of ``xsd/change-feed-1.0.0.xsd``, element for element."""

from __future__ import annotations

from spyne import Boolean, ComplexModel, Date, DateTime, Long, Unicode

from kontingent_ws.types.common import OptionalText, RequiredText, contract_namespace

NAMESPACE = contract_namespace("ChangeFeed")

RequiredLong = Long(min_occurs=1, nillable=False)
OptionalLong = Long(min_occurs=0, nillable=False)
RequiredDate = Date(min_occurs=1, nillable=False)
OptionalDate = Date(min_occurs=0, nillable=False)

EntityKind = Unicode(
    values=["student", "enrolment", "organization", "authority"],
    type_name="Entity",
    __namespace__=NAMESPACE,
    doc="Вид объекта: student – обучающийся, enrolment – зачисление, organization – образовательная "
    "организация, authority – орган управления образованием",
)
OperationKind = Unicode(
    values=["upsert", "delete", "merge"],
    type_name="Operation",
    __namespace__=NAMESPACE,
    doc="Вид изменения: upsert – создание или изменение, delete – удаление, merge – объединение дубликата "
    "обучающегося с основной записью",
)


class Enrolment(ComplexModel):
    """Зачисление."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredLong),
        ("StudentId", RequiredLong),
        ("OrganizationId", RequiredLong),
        ("ClassGroupId", OptionalLong),
        ("ClassName", OptionalText),
        ("EducationLevelCode", OptionalText),
        ("ProgrammeKindCode", OptionalText),
        ("EducationFormCode", RequiredText),
        ("EntryDate", RequiredDate),
        ("EntryReasonCode", RequiredText),
        ("ExitDate", OptionalDate),
        ("ExitReasonCode", OptionalText),
    ]


class Student(ComplexModel):
    """Обучающийся с текущим зачислением."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredLong),
        ("LastName", RequiredText),
        ("FirstName", RequiredText),
        ("MiddleName", OptionalText),
        ("Sex", RequiredText(doc="Пол: 1 – мужской, 2 – женский")),
        ("BirthDate", RequiredDate),
        ("Snils", OptionalText(doc="СНИЛС, 11 цифр")),
        ("CitizenshipCode", RequiredText),
        ("StatusCode", OptionalText(doc="Статус обучения")),
        ("CurrentEnrolment", Enrolment.customize(min_occurs=0, nillable=False)),
    ]


class OrgUnit(ComplexModel):
    """Образовательная организация или орган управления образованием."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredLong),
        ("ParentId", OptionalLong),
        ("FullName", RequiredText),
        ("ShortName", RequiredText),
        ("Inn", OptionalText),
        ("Kpp", OptionalText),
        ("Ogrn", OptionalText),
        ("Oktmo", OptionalText),
        ("StatusCode", RequiredText),
        ("TypeCode", OptionalText(doc="Тип организации (только для организаций)")),
        ("Level", OptionalText(doc="Уровень органа управления (только для органов управления)")),
    ]


class Change(ComplexModel):
    """Одно изменение; для upsert – текущие сведения об объекте."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Version", RequiredLong),
        ("Entity", EntityKind.customize(min_occurs=1, nillable=False)),
        ("EntityId", RequiredLong),
        ("Operation", OperationKind.customize(min_occurs=1, nillable=False)),
        ("ChangedAt", DateTime(min_occurs=1, nillable=False)),
        ("OrgUnitId", OptionalLong),
        ("MergedIntoId", OptionalLong),
        ("Student", Student.customize(min_occurs=0, nillable=False)),
        ("Enrolment", Enrolment.customize(min_occurs=0, nillable=False)),
        ("Organization", OrgUnit.customize(min_occurs=0, nillable=False)),
        ("Authority", OrgUnit.customize(min_occurs=0, nillable=False)),
    ]


class ChangePage(ComplexModel):
    """Страница ленты изменений."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("NextVersion", Long(min_occurs=1, nillable=False, doc="Номер версии для следующего запроса")),
        ("HasMore", Boolean(min_occurs=1, nillable=False, doc="Есть ли ещё изменения")),
        ("Change", Change.customize(min_occurs=0, max_occurs="unbounded", nillable=False)),
    ]
