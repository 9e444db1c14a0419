"""The role model: which role may do what (the mission's role list, as data).

Scope (own unit and everything below it) is checked separately in ``scope.py``.
"""

from __future__ import annotations

from kontingent_ws.errors import AccessDenied
from kontingent_ws.security.caller import AUTHORITY_ADMIN, EMPLOYEE, SYSTEM_ADMIN, Caller

VIEW_REGISTRIES = "view_registries"
VIEW_REPORTS = "view_reports"
VIEW_SERVICE_INFO = "view_service_info"
MANAGE_USERS = "manage_users"
MANAGE_SYSTEMS = "manage_systems"
MANAGE_BASE_SUBJECTS = "manage_base_subjects"
MANAGE_MUNICIPAL_SUBJECTS = "manage_municipal_subjects"
BIND_SUBJECTS = "bind_subjects"
MANAGE_SUBORDINATION = "manage_subordination"
MANAGE_PROVIDER_PRIORITY = "manage_provider_priority"
LOAD_EXCEL = "load_excel"
LOAD_XML = "load_xml"
READ_LOAD_JOURNAL = "read_load_journal"
READ_AUDIT = "read_audit"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    SYSTEM_ADMIN: frozenset(
        {
            VIEW_REGISTRIES,
            VIEW_REPORTS,
            VIEW_SERVICE_INFO,
            MANAGE_USERS,
            MANAGE_SYSTEMS,
            MANAGE_BASE_SUBJECTS,
            MANAGE_MUNICIPAL_SUBJECTS,
            BIND_SUBJECTS,
            MANAGE_SUBORDINATION,
            MANAGE_PROVIDER_PRIORITY,
            LOAD_EXCEL,
            LOAD_XML,
            READ_LOAD_JOURNAL,
            READ_AUDIT,
        }
    ),
    AUTHORITY_ADMIN: frozenset(
        {
            VIEW_REGISTRIES,
            VIEW_REPORTS,
            VIEW_SERVICE_INFO,
            MANAGE_USERS,
            MANAGE_MUNICIPAL_SUBJECTS,
            BIND_SUBJECTS,
            LOAD_EXCEL,
            READ_LOAD_JOURNAL,
        }
    ),
    EMPLOYEE: frozenset({VIEW_REGISTRIES, VIEW_REPORTS, VIEW_SERVICE_INFO, LOAD_EXCEL, READ_LOAD_JOURNAL}),
}

CONSUMER_SYSTEM_PERMISSIONS = frozenset({VIEW_REGISTRIES, VIEW_SERVICE_INFO})
"""A consumer system (EPGU, the federal segment) reads the registries of the contracts granted to it."""
PROVIDER_SYSTEM_PERMISSIONS = frozenset({LOAD_XML, READ_LOAD_JOURNAL, VIEW_SERVICE_INFO})
"""A provider system sends packets and reads the journal of its own loads."""

PERMISSION_NAMES = {
    VIEW_REGISTRIES: "просмотр реестров",
    VIEW_REPORTS: "формирование отчётов",
    VIEW_SERVICE_INFO: "сведения о сервисе",
    MANAGE_USERS: "управление пользователями",
    MANAGE_SYSTEMS: "регистрация информационных систем",
    MANAGE_BASE_SUBJECTS: "ведение базового справочника предметов",
    MANAGE_MUNICIPAL_SUBJECTS: "ведение справочника предметов муниципалитета",
    BIND_SUBJECTS: "привязка предметов к справочнику",
    MANAGE_SUBORDINATION: "настройка подчинённости",
    MANAGE_PROVIDER_PRIORITY: "настройка приоритетов поставщиков данных",
    LOAD_EXCEL: "загрузка Excel",
    LOAD_XML: "загрузка XML",
    READ_LOAD_JOURNAL: "журнал загрузок",
    READ_AUDIT: "журнал аудита",
}


def has_permission(caller: Caller, permission: str) -> bool:
    if caller.kind == "system":
        granted = (CONSUMER_SYSTEM_PERMISSIONS if caller.is_consumer else frozenset()) | (
            PROVIDER_SYSTEM_PERMISSIONS if caller.is_provider else frozenset()
        )
        return permission in granted
    return permission in ROLE_PERMISSIONS.get(caller.role, frozenset())


def require(caller: Caller, permission: str) -> None:
    """Raise ``AccessDenied`` unless the caller's role grants ``permission``."""
    if not has_permission(caller, permission):
        raise AccessDenied(f"Недостаточно прав: операция «{PERMISSION_NAMES.get(permission, permission)}» не разрешена")
