"""The role model as a table: every operation of every contract, as every kind of caller.

Each row names a contract operation, builds its parameters for a caller (in scope or out of
scope), and says what each caller gets: ``ok``, ``denied`` (Client.AccessDenied) or ``auth``
(Client.Authentication). Callers absent from a row's ``expect`` get the row's ``others``.
Later contracts add their rows to ``ROWS``; the table is the documentation of the role model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.authkit import SmallRegion
from tests.pki import make_rsa_identity

CALLERS = (
    "anonymous",
    "admin",  # system administrator
    "ministry",  # employee of the regional ministry (root authority)
    "north_admin",  # authority administrator of the northern municipality
    "north_school",  # employee of a northern school
    "epgu",  # consumer system granted the registry contracts
    "provider",  # provider system writing the northern municipality
)

OK, DENIED, AUTH = "ok", "denied", "auth"
NOT_FOUND = "Client.NotFound"
"""An expectation without ``: message`` matches the fault code alone."""


@dataclass(frozen=True, kw_only=True)
class World(SmallRegion):
    """The small region plus the ids of the accounts the table's rows act on."""

    user_ids: Mapping[str, int]
    system_ids: Mapping[str, int]


def _pem(caller: str) -> str:
    return make_rsa_identity(f"matrix-{caller}").cert_pem.decode()


@dataclass(frozen=True, kw_only=True)
class Row:
    contract: str
    operation: str
    params: Callable[[World, str], Mapping[str, Any]] = lambda region, caller: {}
    expect: Mapping[str, str] = field(default_factory=dict)
    others: str = DENIED
    note: str = ""

    def outcome_for(self, caller: str) -> str:
        if caller == "anonymous":
            return AUTH
        return self.expect.get(caller, self.others)


EVERY_AUTHENTICATED = {c: OK for c in CALLERS if c != "anonymous"}
REGISTRY_READERS = dict.fromkeys(("admin", "ministry", "north_admin", "north_school", "epgu"), OK)
"""Who views the registries (VIEW_REGISTRIES): every person within its scope, consumer systems region-wide."""
REGION_READERS = dict.fromkeys(("admin", "ministry", "epgu"), OK)
"""Who sees both municipalities: the system administrator, the ministry's staff, consumer systems."""
REPORT_READERS = dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), OK)
"""Who builds reports (VIEW_REPORTS): every person; consumer and provider systems are not granted it."""

ROWS: list[Row] = [
    Row(contract="ServiceInfo", operation="GetServiceInfo", expect=EVERY_AUTHENTICATED, note="everyone authenticated"),
    Row(
        contract="EpguPerformance",
        operation="GetPerformance",
        params=lambda region, caller: {
            "Pupil": {"Snils": "11223344595"},
            "Applicant": {"PupilHimself": {}},
            "Period": {"SchoolYear": 2024},
        },
        expect={"admin": OK, "epgu": OK},
        note="consumer systems granted the contract and the system administrator; a refusal is an answer",
    ),
    Row(
        contract="ChangeFeed",
        operation="GetChanges",
        params=lambda region, caller: {"SinceVersion": 0, "PageSize": 10},
        expect={"admin": OK, "epgu": OK},
        note="consumer systems granted the contract and the system administrator",
    ),
    Row(
        contract="ChangeFeed",
        operation="GetChangePacket",
        params=lambda region, caller: {"SinceVersion": 0, "PageSize": 10},
        expect={"admin": OK, "epgu": OK},
        note="the same page as the SMEV ChangePacket: the same callers as GetChanges",
    ),
    Row(
        contract="Intake",
        operation="SubmitPacket",
        params=lambda region, caller: {"PacketXml": b'<Packet xmlns="urn://kontingent-region.ru/packet/1.0.0"/>'},
        expect={
            "admin": "Client.Signature: Пакет не подписан: элемент ds:Signature отсутствует",
            "provider": "Client.Signature: Пакет не подписан: элемент ds:Signature отсутствует",
        },
        note="provider systems and the system administrator (LOAD_XML); an unsigned packet is then refused",
    ),
    Row(
        contract="Intake",
        operation="GetPacketStatus",
        params=lambda region, caller: {"ReceiptId": "00000000-0000-0000-0000-000000000000"},
        expect=dict.fromkeys(
            ("admin", "ministry", "north_admin", "north_school", "provider"),
            "Client.NotFound: Квитанция 00000000-0000-0000-0000-000000000000 не найдена",
        ),
        note="senders of packets (LOAD_XML) and of Excel files (LOAD_EXCEL); consumers are refused",
    ),
    Row(
        contract="Intake",
        operation="GetExcelTemplate",
        params=lambda region, caller: {"Kind": "students"},
        expect=dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), OK),
        note="every person (LOAD_EXCEL); systems are refused",
    ),
    Row(
        contract="Intake",
        operation="UploadExcel",
        params=lambda region, caller: {"Kind": "students", "Content": b"not a workbook", "FileName": "x.xlsx"},
        expect=dict.fromkeys(
            ("admin", "ministry", "north_admin", "north_school"),
            "Client.Validation: Файл не является книгой Excel в формате xlsx",
        ),
        note="every person (LOAD_EXCEL); a file that is not xlsx is then refused (and kept as a rejected upload)",
    ),
    Row(
        contract="Intake",
        operation="GetErrorWorkbook",
        params=lambda region, caller: {"ReceiptId": "00000000-0000-0000-0000-000000000000"},
        expect=dict.fromkeys(
            ("admin", "ministry", "north_admin", "north_school"),
            "Client.NotFound: Загрузка файла Excel с квитанцией 00000000-0000-0000-0000-000000000000 не найдена",
        ),
        note="every person (LOAD_EXCEL): the uploader, or whose scope holds the organization; systems are refused",
    ),
    # --- registry contracts: Students, Organizations, Authorities (VIEW_REGISTRIES + scope) ----------
    Row(
        contract="Students",
        operation="SearchStudents",
        params=lambda region, caller: {"Page": 1, "PageSize": 10},
        expect=REGISTRY_READERS,
        note="every person and consumer systems; a search never leaves the caller's scope",
    ),
    Row(
        contract="Students",
        operation="SearchStudents",
        params=lambda region, caller: {"OrganizationId": region.south_school_id, "Page": 1, "PageSize": 10},
        expect=REGION_READERS,
        note="filtering by an organization outside the scope is refused",
    ),
    *(
        Row(
            contract="Students",
            operation=operation,
            params=params,
            expect=dict.fromkeys(REGISTRY_READERS, "Client.NotFound: Обучающийся с идентификатором 999999 не найден"),
            note="the role is checked first, then the student (the small region has no students)",
        )
        for operation, params in (
            ("GetStudentPortfolio", lambda region, caller: {"StudentId": 999999}),
            ("GetStudentMigration", lambda region, caller: {"StudentId": 999999}),
            (
                "GetStudentPerformance",
                lambda region, caller: {
                    "StudentId": 999999,
                    "DateFrom": dt.date(2025, 9, 1),
                    "DateTo": dt.date(2025, 12, 31),
                },
            ),
        )
    ),
    Row(
        contract="Organizations",
        operation="SearchOrganizations",
        params=lambda region, caller: {"Page": 1, "PageSize": 10},
        expect=REGISTRY_READERS,
    ),
    Row(
        contract="Organizations",
        operation="GetOrganizationPortfolio",
        params=lambda region, caller: {"OrganizationId": region.north_school_id},
        expect=REGISTRY_READERS,
    ),
    Row(
        contract="Organizations",
        operation="GetOrganizationPortfolio",
        params=lambda region, caller: {"OrganizationId": region.south_school_id},
        expect=REGION_READERS,
        note="another municipality's school is out of the northern callers' scope",
    ),
    Row(
        contract="Organizations",
        operation="GetOrganizationClasses",
        params=lambda region, caller: {"OrganizationId": region.south_school_id},
        expect=REGION_READERS,
    ),
    Row(
        contract="Organizations",
        operation="GetOrganizationSubjects",
        params=lambda region, caller: {"OrganizationId": region.north_kindergarten_id},
        expect={c: OK for c in REGISTRY_READERS if c != "north_school"},
        note="a sibling organization is out of a school employee's scope",
    ),
    Row(
        contract="Organizations",
        operation="GetOrganizationAreas",
        params=lambda region, caller: {"OrganizationId": region.north_school_id},
        expect=REGISTRY_READERS,
    ),
    Row(
        contract="Organizations",
        operation="GetOrganizationStudents",
        params=lambda region, caller: {"OrganizationId": region.north_school_id, "Page": 1, "PageSize": 10},
        expect=REGISTRY_READERS,
    ),
    Row(
        contract="Authorities",
        operation="SearchAuthorities",
        params=lambda region, caller: {"Page": 1, "PageSize": 10},
        expect=REGISTRY_READERS,
    ),
    Row(contract="Authorities", operation="GetAuthorityTree", expect=REGISTRY_READERS),
    Row(
        contract="Authorities",
        operation="GetSubordinateOrganizations",
        params=lambda region, caller: {"AuthorityId": region.north_id, "Page": 1, "PageSize": 10},
        expect={c: OK for c in REGISTRY_READERS if c != "north_school"},
        note="the authority above a school is out of its employee's scope",
    ),
    Row(
        contract="Authorities",
        operation="GetAuthorityPortfolio",
        params=lambda region, caller: {"AuthorityId": region.ministry_id},
        expect=REGION_READERS,
    ),
    # --- Administration -------------------------------------------------------------------------------
    Row(
        contract="Administration",
        operation="CreateUser",
        params=lambda w, caller: {
            "Login": f"new_{caller}",
            "Password": "Password-12345",
            "FullName": "Новый сотрудник",
            "Role": "employee",
            "UnitId": w.north_school_id,
        },
        expect={"admin": OK, "north_admin": OK},
        note="system administrator; an authority administrator inside its subtree",
    ),
    Row(
        contract="Administration",
        operation="CreateUser",
        params=lambda w, caller: {
            "Login": f"south_{caller}",
            "Password": "Password-12345",
            "FullName": "Сотрудник",
            "Role": "employee",
            "UnitId": w.south_school_id,
        },
        expect={"admin": OK},
        note="outside the authority administrator's subtree",
    ),
    Row(
        contract="Administration",
        operation="CreateUser",
        params=lambda w, caller: {
            "Login": f"root_{caller}",
            "Password": "Password-12345",
            "FullName": "Администратор",
            "Role": "system_admin",
        },
        expect={"admin": OK},
        note="only a system administrator creates a system administrator",
    ),
    Row(
        contract="Administration",
        operation="UpdateUser",
        params=lambda w, caller: {"UserId": w.user_ids["north_extra"], "FullName": "Переименован"},
        expect={"admin": OK, "north_admin": OK},
    ),
    Row(
        contract="Administration",
        operation="SetUserBlocked",
        params=lambda w, caller: {"UserId": w.user_ids["north_extra"], "Blocked": False},
        expect={"admin": OK, "north_admin": OK},
    ),
    Row(
        contract="Administration",
        operation="SetUserBlocked",
        params=lambda w, caller: {"UserId": w.user_ids["south_extra"], "Blocked": False},
        expect={"admin": OK},
        note="a user of another municipality",
    ),
    Row(
        contract="Administration",
        operation="ListUsers",
        params=lambda w, caller: {"Page": 1, "PageSize": 10},
        expect={"admin": OK, "north_admin": OK},
    ),
    Row(
        contract="Administration",
        operation="RegisterSystem",
        params=lambda w, caller: {
            "Mnemonic": f"SYS_{caller.upper()}",
            "Name": "Новая система",
            "IsProvider": True,
            "IsConsumer": False,
            "CertificatePem": _pem(caller),
            "WriteUnitIds": {"UnitId": [w.north_id]},
        },
        expect={"admin": OK},
        note="registering information systems: system administrator only",
    ),
    Row(
        contract="Administration",
        operation="UpdateSystem",
        params=lambda w, caller: {"SystemId": w.system_ids["epgu"], "Name": "ЕПГУ"},
        expect={"admin": OK},
    ),
    Row(
        contract="Administration",
        operation="AddSystemCertificate",
        params=lambda w, caller: {"SystemId": w.system_ids["provider"], "CertificatePem": _pem(caller)},
        expect={"admin": OK},
    ),
    Row(
        contract="Administration",
        operation="RevokeSystemCertificate",
        params=lambda w, caller: {"Fingerprint": "0" * 64},
        expect={"admin": NOT_FOUND},
    ),
    Row(contract="Administration", operation="ListSystems", expect={"admin": OK}),
    Row(
        contract="Administration",
        operation="ListBaseSubjects",
        expect=dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), OK),
        note="every person reads the dictionary",
    ),
    Row(
        contract="Administration",
        operation="SaveBaseSubject",
        params=lambda w, caller: {"Code": f"R{len(caller)}{caller[:3]}", "Name": "Региональный предмет"},
        expect={"admin": OK},
        note="the regional base dictionary: system administrator only",
    ),
    Row(
        contract="Administration",
        operation="SaveBaseSubject",
        params=lambda w, caller: {"Code": f"M{caller[:4]}", "Name": "Муниципальный предмет", "AuthorityId": w.north_id},
        expect={"admin": OK, "north_admin": OK},
        note="a municipality's subjects: its authority administrator too",
    ),
    Row(
        contract="Administration",
        operation="SaveBaseSubject",
        params=lambda w, caller: {"Code": f"S{caller[:4]}", "Name": "Муниципальный предмет", "AuthorityId": w.south_id},
        expect={"admin": OK},
        note="another municipality's subjects",
    ),
    Row(
        contract="Administration",
        operation="BindLocalSubject",
        params=lambda w, caller: {"LocalSubjectId": 999999, "BaseSubjectId": 1},
        expect={"admin": NOT_FOUND, "north_admin": NOT_FOUND},
        note="binding local subjects: system and authority administrators",
    ),
    Row(
        contract="Administration",
        operation="ListLocalSubjects",
        params=lambda w, caller: {"OrganizationId": w.north_school_id},
        expect=dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), OK),
    ),
    Row(
        contract="Administration",
        operation="SetSubordination",
        params=lambda w, caller: {"UnitId": w.north_kindergarten_id, "NewParentId": w.north_id},
        expect={"admin": OK},
        note="subordination: system administrator only",
    ),
    Row(
        contract="Administration",
        operation="SetProviderPriority",
        params=lambda w, caller: {
            "OrganizationId": w.north_school_id,
            "SystemIds": {"SystemId": [w.system_ids["provider"]]},
        },
        expect={"admin": OK},
    ),
    Row(
        contract="Administration",
        operation="GetProviderPriority",
        params=lambda w, caller: {"OrganizationId": w.north_school_id},
        expect=dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), OK),
        note="setting priorities is the system administrator's; every person in scope may read them",
    ),
    Row(
        contract="Administration",
        operation="GetLoadJournal",
        params=lambda w, caller: {"Page": 1, "PageSize": 10},
        expect=dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), OK),
        note="every person reads the journal within scope; a system only through contracts granted to it",
    ),
    Row(
        contract="Administration",
        operation="GetLoadErrors",
        params=lambda w, caller: {"JournalId": 999999, "Page": 1, "PageSize": 10},
        expect=dict.fromkeys(("admin", "ministry", "north_admin", "north_school"), NOT_FOUND),
    ),
    Row(
        contract="Administration",
        operation="QueryAudit",
        params=lambda w, caller: {"Page": 1, "PageSize": 10},
        expect={"admin": OK},
        note="the audit log: system administrator only",
    ),
    # --- Reports (VIEW_REPORTS: every person, within its scope; systems are not granted it) ---------------
    Row(contract="Reports", operation="ListReports", expect=REPORT_READERS, note="every person; no system"),
    Row(
        contract="Reports",
        operation="BuildReport",
        params=lambda w, caller: {"Code": "STAT_ORG_BY_TYPE"},
        expect=REPORT_READERS,
        note="built within the caller's scope",
    ),
    Row(
        contract="Reports",
        operation="BuildReport",
        params=lambda w, caller: {
            "Code": "STAT_ORG_BY_TYPE",
            "Params": {"Param": [{"Name": "unit_id", "Value": str(w.south_school_id)}]},
        },
        expect={"admin": OK, "ministry": OK},
        note="a unit outside the caller's scope is refused",
    ),
    Row(
        contract="Reports",
        operation="GetReportJob",
        params=lambda w, caller: {"JobId": 999999},
        expect=dict.fromkeys(REPORT_READERS, NOT_FOUND),
        note="a job is read by its owner only (tests/test_reports_service_live.py)",
    ),
]
