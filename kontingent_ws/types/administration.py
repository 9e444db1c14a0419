"""Wire format of the Administration contract: users, systems, subjects, priorities, journals, audit."""

from __future__ import annotations

from spyne import Array, Boolean, ComplexModel, Date, DateTime, Integer, Unicode

from kontingent_ws.types.common import OptionalText, RequiredCount, RequiredText, contract_namespace, optional, required

NAMESPACE = contract_namespace("Administration")



RequiredId = Integer(min_occurs=1, nillable=False)
"""An identifier that must be present."""
OptionalId = Integer(min_occurs=0, nillable=False)
"""An identifier that may be absent."""
RequiredFlag = Boolean(min_occurs=1, nillable=False)
OptionalFlag = Boolean(min_occurs=0, nillable=False)
OptionalDate = Date(min_occurs=0, nillable=False)
RequiredMoment = DateTime(min_occurs=1, nillable=False)
OptionalMoment = DateTime(min_occurs=0, nillable=False)
PageNumberField = Integer(min_occurs=1, nillable=False, doc="Номер страницы, начиная с 1")
PageSizeField = Integer(min_occurs=1, nillable=False, doc="Размер страницы")

RoleCode = Unicode(
    values=["system_admin", "authority_admin", "employee"],
    type_name="Role",
    __namespace__=NAMESPACE,
    doc="Роль: system_admin – системный администратор, authority_admin – администратор органа "
    "управления, employee – сотрудник организации или органа управления",
)
LoadStatusCode = Unicode(
    values=["success", "error", "partial"],
    type_name="LoadStatus",
    __namespace__=NAMESPACE,
    doc="Статус загрузки: success – успешно, error – ошибка, partial – частично",
)
AuditActionCode = Unicode(
    values=["read", "write", "auth_failure", "access_denied", "admin"],
    type_name="AuditAction",
    __namespace__=NAMESPACE,
    doc="Действие: read – чтение персональных данных, write – изменение, auth_failure – неудачная "
    "аутентификация, access_denied – отказ в доступе, admin – администрирование",
)

SeverityCode = Unicode(
    values=["error", "warning"],
    type_name="Severity",
    __namespace__=NAMESPACE,
    doc="Вид замечания: error – ошибка, warning – предупреждение",
)


def id_list(type_name: str, member: str) -> type[Array]:
    """A wrapped list of identifiers, e.g. ``<WriteUnitIds><UnitId>5</UnitId></WriteUnitIds>``."""
    return Array(Integer(min_occurs=0, nillable=False), member_name=member, type_name=type_name,
                 __namespace__=NAMESPACE)


UnitIdList = id_list("UnitIdList", "UnitId")
SystemIdList = id_list("SystemIdList", "SystemId")
ContractList = Array(Unicode(min_occurs=0, nillable=False), member_name="Contract", type_name="ContractList",
                     __namespace__=NAMESPACE)


class UserInfo(ComplexModel):
    """A user (never its password)."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Id", RequiredId),
        ("Login", RequiredText(doc="Логин")),
        ("FullName", RequiredText(doc="ФИО")),
        ("Email", OptionalText(doc="Адрес электронной почты")),
        ("Role", required(RoleCode)),
        ("UnitId", OptionalId(doc="Орган управления или организация пользователя")),
        ("UnitName", OptionalText(doc="Краткое наименование подразделения")),
        ("Blocked", RequiredFlag(doc="Заблокирован администратором")),
        ("LockedUntil", OptionalMoment(doc="Временная блокировка после неудачных входов действует до")),
        ("LastLoginAt", OptionalMoment(doc="Последний вход")),
    ]


class UserPage(ComplexModel):
    """A page of users with the total number of matches."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Users", Array(optional(UserInfo), min_occurs=1, nillable=False)),
        ("Total", RequiredCount(doc="Всего найдено")),
    ]


class SystemCertificateInfo(ComplexModel):
    """A registered certificate of an information system."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Fingerprint", RequiredText(doc="Отпечаток SHA-256, 64 шестнадцатеричных символа")),
        ("Subject", RequiredText(doc="Владелец сертификата")),
        ("SerialNumber", RequiredText(doc="Серийный номер (шестнадцатеричный)")),
        ("NotBefore", RequiredMoment(doc="Действует с")),
        ("NotAfter", RequiredMoment(doc="Действует по")),
        ("RevokedAt", OptionalMoment(doc="Отозван")),
        ("ValidNow", RequiredFlag(doc="Действителен в момент запроса")),
    ]


class SystemInfo(ComplexModel):
    """A registered information system with its access settings."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Id", RequiredId),
        ("Mnemonic", RequiredText(doc="Мнемоника")),
        ("Name", RequiredText(doc="Наименование")),
        ("IsProvider", RequiredFlag(doc="Поставщик данных")),
        ("IsConsumer", RequiredFlag(doc="Потребитель данных")),
        ("IsActive", RequiredFlag(doc="Подключена")),
        ("OwnerUnitId", OptionalId(doc="Подразделение-владелец системы")),
        ("WriteUnitIds", required(UnitIdList)),
        ("Contracts", required(ContractList)),
        ("Certificates", Array(optional(SystemCertificateInfo), min_occurs=1, nillable=False)),
    ]


class SystemList(ComplexModel):
    """Every registered information system."""
    __namespace__ = NAMESPACE

    _type_info = [("Systems", Array(optional(SystemInfo), min_occurs=1, nillable=False))]


class BaseSubjectInfo(ComplexModel):
    """An entry of the subject dictionary."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Id", RequiredId),
        ("Code", RequiredText(doc="Код предмета")),
        ("Name", RequiredText(doc="Наименование предмета")),
        ("AuthorityId", OptionalId(doc="Орган управления – владелец записи; нет – региональный справочник")),
        ("IsActive", RequiredFlag(doc="Действует")),
    ]


class BaseSubjectList(ComplexModel):
    """Entries of the subject dictionary."""
    __namespace__ = NAMESPACE
    _type_info = [("Subjects", Array(optional(BaseSubjectInfo), min_occurs=1, nillable=False))]


class LocalSubjectInfo(ComplexModel):
    """A subject of an organization with its binding to the dictionary."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Id", RequiredId),
        ("OrganizationId", RequiredId),
        ("Name", RequiredText(doc="Наименование предмета в организации")),
        ("ExternalId", OptionalText(doc="Идентификатор в системе поставщика")),
        ("BaseSubjectId", OptionalId(doc="Предмет справочника, к которому привязан")),
        ("BaseSubjectCode", OptionalText(doc="Код предмета справочника")),
        ("BaseSubjectName", OptionalText(doc="Наименование предмета справочника")),
    ]


class LocalSubjectList(ComplexModel):
    """Subjects of one organization."""
    __namespace__ = NAMESPACE
    _type_info = [("Subjects", Array(optional(LocalSubjectInfo), min_occurs=1, nillable=False))]


class RankedProvider(ComplexModel):
    """A provider in an organization's priority list."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Rank", RequiredId(doc="Место в списке: 1 – наивысший приоритет")),
        ("SystemId", RequiredId),
        ("Mnemonic", RequiredText(doc="Мнемоника системы")),
        ("Name", RequiredText(doc="Наименование системы")),
        ("IsActive", RequiredFlag(doc="Подключена")),
    ]


class ProviderPriorityList(ComplexModel):
    """An organization's providers in priority order."""
    __namespace__ = NAMESPACE
    _type_info = [("Providers", Array(optional(RankedProvider), min_occurs=1, nillable=False))]


class LoadJournalEntry(ComplexModel):
    """One load of the journal."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Id", RequiredId),
        ("StartedAt", RequiredMoment(doc="Дата и время загрузки")),
        ("FinishedAt", OptionalMoment(doc="Дата и время окончания обработки")),
        ("Provider", RequiredText(doc="Поставщик данных: мнемоника системы или логин пользователя")),
        ("ProviderName", OptionalText(doc="Наименование системы или ФИО пользователя")),
        ("OrganizationId", OptionalId),
        ("OrganizationName", OptionalText(doc="Краткое наименование организации")),
        ("FileName", OptionalText(doc="Имя файла")),
        ("Status", required(LoadStatusCode)),
        ("StatusName", RequiredText(doc="Статус: Успешно, Ошибка или Частично")),
        ("RowsTotal", RequiredCount(doc="Строк всего")),
        ("RowsApplied", RequiredCount(doc="Строк загружено")),
        ("RowsRejected", RequiredCount(doc="Строк отклонено")),
        ("RowsWarned", RequiredCount(doc="Строк с предупреждениями")),
        ("Comment", OptionalText(doc="Комментарий: описание ошибки")),
    ]


class LoadJournalPage(ComplexModel):
    """A page of the load journal with the total number of matches."""
    __namespace__ = NAMESPACE
    _type_info = [
        ("Entries", Array(optional(LoadJournalEntry), min_occurs=1, nillable=False)),
        ("Total", RequiredCount(doc="Всего найдено")),
    ]


class LoadRowError(ComplexModel):
    """A row-level error or warning of a load."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Section", OptionalText(doc="Раздел пакета или лист файла")),
        ("Row", Integer(min_occurs=0, nillable=False, doc="Номер строки")),
        ("Code", RequiredText(doc="Код ошибки")),
        ("Field", OptionalText(doc="Поле")),
        ("Value", OptionalText(doc="Значение")),
        ("Message", RequiredText(doc="Описание ошибки")),
        ("Severity", required(SeverityCode)),
    ]


class LoadRowErrorPage(ComplexModel):
    """A page of a load's row errors with their total number."""
    __namespace__ = NAMESPACE
    _type_info = [
        ("Errors", Array(optional(LoadRowError), min_occurs=1, nillable=False)),
        ("Total", RequiredCount(doc="Всего найдено")),
    ]


class AuditEventInfo(ComplexModel):
    """An event of the audit log."""
    __namespace__ = NAMESPACE

    _type_info = [
        ("Id", RequiredId),
        ("OccurredAt", RequiredMoment(doc="Дата и время события")),
        ("Actor", OptionalText(doc="Логин пользователя или мнемоника системы")),
        ("UserId", OptionalId),
        ("SystemId", OptionalId),
        ("ClientAddress", OptionalText(doc="Адрес клиента")),
        ("Contract", OptionalText(doc="Сервис")),
        ("Operation", RequiredText(doc="Операция")),
        ("Action", required(AuditActionCode)),
        ("SubjectPersonId", OptionalId(doc="Субъект персональных данных")),
        ("ObjectType", OptionalText(doc="Тип объекта")),
        ("ObjectId", OptionalText(doc="Идентификатор объекта")),
        ("Details", OptionalText(doc="Подробности")),
        ("RequestId", OptionalText(doc="Идентификатор запроса")),
    ]


class AuditPage(ComplexModel):
    """A page of audit events with the total number of matches."""
    __namespace__ = NAMESPACE
    _type_info = [
        ("Events", Array(optional(AuditEventInfo), min_occurs=1, nillable=False)),
        ("Total", RequiredCount(doc="Всего найдено")),
    ]
