"""The Administration contract: users, information systems, subjects, subordination, provider
priorities, the load journal and the audit log. Thin: unpack, call a use case, pack."""

from __future__ import annotations

import datetime as dt
from typing import Any

from spyne import Integer, ServiceBase, Unicode

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.administration import (
    AuditActionCode,
    AuditEventInfo,
    AuditPage,
    BaseSubjectInfo,
    BaseSubjectList,
    ContractList,
    LoadJournalEntry,
    LoadJournalPage,
    LoadRowError,
    LoadRowErrorPage,
    LoadStatusCode,
    LocalSubjectInfo,
    LocalSubjectList,
    OptionalDate,
    OptionalFlag,
    OptionalId,
    PageNumberField,
    PageSizeField,
    ProviderPriorityList,
    RankedProvider,
    RequiredFlag,
    RequiredId,
    RoleCode,
    SystemCertificateInfo,
    SystemIdList,
    SystemInfo,
    SystemList,
    UnitIdList,
    UserInfo,
    UserPage,
    optional,
    required,
)
from kontingent_ws.types.common import OptionalText, RequiredText
from kontingent_ws.usecases import audit_query, hierarchy, journal, providers, subjects, systems, users

NewId = Integer(min_occurs=1, nillable=False)
FingerprintText = Unicode(min_occurs=1, nillable=False)


class AdministrationService(ServiceBase):
    """Administration of the regional registry (system and authority administrators)."""

    # --- users ---------------------------------------------------------------------------------
    @operation(
        RequiredText, RequiredText, RequiredText, OptionalText, required(RoleCode),
        OptionalId, _returns=NewId, _out_variable_name="UserId",
    )
    def CreateUser(
        ctx: Any, Login: str, Password: str, FullName: str, Email: str | None, Role: str, UnitId: int | None
    ) -> int:
        return users.create_user(
            call_of(ctx), login=Login, password=Password, full_name=FullName, email=Email, role=Role, unit_id=UnitId
        )

    @operation(
        RequiredId, OptionalText, OptionalText, optional(RoleCode), OptionalId,
        OptionalText,
    )
    def UpdateUser(
        ctx: Any,
        UserId: int,
        FullName: str | None,
        Email: str | None,
        Role: str | None,
        UnitId: int | None,
        Password: str | None,
    ) -> None:
        users.update_user(
            call_of(ctx),
            user_id=UserId,
            full_name=FullName,
            email=Email,
            role=Role,
            unit_id=UnitId,
            password=Password,
        )

    @operation(RequiredId, RequiredFlag)
    def SetUserBlocked(ctx: Any, UserId: int, Blocked: bool) -> None:
        users.set_user_blocked(call_of(ctx), user_id=UserId, blocked=Blocked)

    @operation(OptionalId, OptionalFlag, PageNumberField, PageSizeField, _returns=required(UserPage))
    def ListUsers(
        ctx: Any, UnitId: int | None, IncludeSubordinate: bool | None, Page: int, PageSize: int
    ) -> UserPage:
        found = users.list_users(
            call_of(ctx),
            unit_id=UnitId,
            include_subordinate=bool(IncludeSubordinate),
            page=Page,
            page_size=PageSize,
        )
        return UserPage(
            Users=[
                UserInfo(
                    Id=u.id,
                    Login=u.login,
                    FullName=u.full_name,
                    Email=u.email,
                    Role=u.role,
                    UnitId=u.unit_id,
                    UnitName=u.unit_name,
                    Blocked=u.blocked,
                    LockedUntil=u.locked_until,
                    LastLoginAt=u.last_login_at,
                )
                for u in found.items
            ],
            Total=found.total,
        )

    # --- information systems ---------------------------------------------------------------------
    @operation(
        RequiredText, RequiredText, RequiredFlag, RequiredFlag, RequiredText,
        optional(UnitIdList), optional(ContractList), OptionalId,
        _returns=NewId, _out_variable_name="SystemId",
    )
    def RegisterSystem(
        ctx: Any,
        Mnemonic: str,
        Name: str,
        IsProvider: bool,
        IsConsumer: bool,
        CertificatePem: str,
        WriteUnitIds: list[int] | None,
        Contracts: list[str] | None,
        OwnerUnitId: int | None,
    ) -> int:
        return systems.register_system(
            call_of(ctx),
            mnemonic=Mnemonic,
            name=Name,
            is_provider=IsProvider,
            is_consumer=IsConsumer,
            certificate_pem=CertificatePem,
            write_unit_ids=list(WriteUnitIds or []),
            contracts=list(Contracts or []),
            owner_unit_id=OwnerUnitId,
        )

    @operation(RequiredId, OptionalText, OptionalFlag, optional(UnitIdList), optional(ContractList))
    def UpdateSystem(
        ctx: Any,
        SystemId: int,
        Name: str | None,
        IsActive: bool | None,
        WriteUnitIds: list[int] | None,
        Contracts: list[str] | None,
    ) -> None:
        systems.update_system(
            call_of(ctx),
            system_id=SystemId,
            name=Name,
            is_active=IsActive,
            write_unit_ids=None if WriteUnitIds is None else list(WriteUnitIds),
            contracts=None if Contracts is None else list(Contracts),
        )

    @operation(RequiredId, RequiredText, _returns=FingerprintText, _out_variable_name="Fingerprint")
    def AddSystemCertificate(ctx: Any, SystemId: int, CertificatePem: str) -> str:
        return systems.add_system_certificate(call_of(ctx), system_id=SystemId, certificate_pem=CertificatePem)

    @operation(RequiredText)
    def RevokeSystemCertificate(ctx: Any, Fingerprint: str) -> None:
        systems.revoke_system_certificate(call_of(ctx), fingerprint=Fingerprint)

    @operation(_returns=required(SystemList))
    def ListSystems(ctx: Any) -> SystemList:
        return SystemList(
            Systems=[
                SystemInfo(
                    Id=s.id,
                    Mnemonic=s.mnemonic,
                    Name=s.name,
                    IsProvider=s.is_provider,
                    IsConsumer=s.is_consumer,
                    IsActive=s.is_active,
                    OwnerUnitId=s.owner_unit_id,
                    WriteUnitIds=s.write_unit_ids,
                    Contracts=s.contracts,
                    Certificates=[
                        SystemCertificateInfo(
                            Fingerprint=c.fingerprint,
                            Subject=c.subject,
                            SerialNumber=c.serial_number,
                            NotBefore=c.not_before,
                            NotAfter=c.not_after,
                            RevokedAt=c.revoked_at,
                            ValidNow=c.valid_now,
                        )
                        for c in s.certificates
                    ],
                )
                for s in systems.list_systems(call_of(ctx))
            ]
        )

    # --- subjects ------------------------------------------------------------------------------
    @operation(OptionalId, _returns=required(BaseSubjectList))
    def ListBaseSubjects(ctx: Any, AuthorityId: int | None) -> BaseSubjectList:
        return BaseSubjectList(
            Subjects=[
                BaseSubjectInfo(Id=b.id, Code=b.code, Name=b.name, AuthorityId=b.authority_id, IsActive=b.is_active)
                for b in subjects.list_base_subjects(call_of(ctx), authority_id=AuthorityId)
            ]
        )

    @operation(RequiredText, RequiredText, OptionalId, _returns=NewId, _out_variable_name="BaseSubjectId")
    def SaveBaseSubject(ctx: Any, Code: str, Name: str, AuthorityId: int | None) -> int:
        return subjects.save_base_subject(call_of(ctx), code=Code, name=Name, authority_id=AuthorityId)

    @operation(RequiredId, RequiredId)
    def BindLocalSubject(ctx: Any, LocalSubjectId: int, BaseSubjectId: int) -> None:
        subjects.bind_local_subject(call_of(ctx), local_subject_id=LocalSubjectId, base_subject_id=BaseSubjectId)

    @operation(RequiredId, _returns=required(LocalSubjectList))
    def ListLocalSubjects(ctx: Any, OrganizationId: int) -> LocalSubjectList:
        return LocalSubjectList(
            Subjects=[
                LocalSubjectInfo(
                    Id=s.id,
                    OrganizationId=s.organization_id,
                    Name=s.name,
                    ExternalId=s.external_id,
                    BaseSubjectId=s.base_subject_id,
                    BaseSubjectCode=s.base_subject_code,
                    BaseSubjectName=s.base_subject_name,
                )
                for s in subjects.list_local_subjects(call_of(ctx), organization_id=OrganizationId)
            ]
        )

    # --- hierarchy and provider priority ---------------------------------------------------------
    @operation(RequiredId, OptionalId)
    def SetSubordination(ctx: Any, UnitId: int, NewParentId: int | None) -> None:
        hierarchy.set_subordination(call_of(ctx), unit_id=UnitId, new_parent_id=NewParentId)

    @operation(RequiredId, required(SystemIdList))
    def SetProviderPriority(ctx: Any, OrganizationId: int, SystemIds: list[int] | None) -> None:
        providers.set_provider_priority(call_of(ctx), organization_id=OrganizationId, system_ids=list(SystemIds or []))

    @operation(RequiredId, _returns=required(ProviderPriorityList))
    def GetProviderPriority(ctx: Any, OrganizationId: int) -> ProviderPriorityList:
        return ProviderPriorityList(
            Providers=[
                RankedProvider(
                    Rank=p.rank, SystemId=p.system_id, Mnemonic=p.mnemonic, Name=p.name, IsActive=p.is_active
                )
                for p in providers.get_provider_priority(call_of(ctx), organization_id=OrganizationId)
            ]
        )

    # --- load journal and audit ------------------------------------------------------------------
    @operation(
        OptionalDate, OptionalDate, OptionalText, optional(LoadStatusCode), OptionalId,
        PageNumberField, PageSizeField, _returns=required(LoadJournalPage),
    )
    def GetLoadJournal(
        ctx: Any,
        DateFrom: dt.date | None,
        DateTo: dt.date | None,
        SystemMnemonic: str | None,
        Status: str | None,
        OrganizationId: int | None,
        Page: int,
        PageSize: int,
    ) -> LoadJournalPage:
        found = journal.get_load_journal(
            call_of(ctx),
            date_from=DateFrom,
            date_to=DateTo,
            system_mnemonic=SystemMnemonic,
            status=Status,
            organization_id=OrganizationId,
            page=Page,
            page_size=PageSize,
        )
        return LoadJournalPage(
            Entries=[
                LoadJournalEntry(
                    Id=e.id,
                    StartedAt=e.started_at,
                    FinishedAt=e.finished_at,
                    Provider=e.provider,
                    ProviderName=e.provider_name,
                    OrganizationId=e.organization_id,
                    OrganizationName=e.organization_name,
                    FileName=e.file_name,
                    Status=e.status,
                    StatusName=e.status_name,
                    RowsTotal=e.rows_total,
                    RowsApplied=e.rows_applied,
                    RowsRejected=e.rows_rejected,
                    RowsWarned=e.rows_warned,
                    Comment=e.comment,
                )
                for e in found.items
            ],
            Total=found.total,
        )

    @operation(RequiredId, PageNumberField, PageSizeField, _returns=required(LoadRowErrorPage))
    def GetLoadErrors(ctx: Any, JournalId: int, Page: int, PageSize: int) -> LoadRowErrorPage:
        found = journal.get_load_errors(call_of(ctx), journal_id=JournalId, page=Page, page_size=PageSize)
        return LoadRowErrorPage(
            Errors=[
                LoadRowError(
                    Section=e.section,
                    Row=e.row,
                    Code=e.code,
                    Field=e.field,
                    Value=e.value,
                    Message=e.message,
                    Severity=e.severity,
                )
                for e in found.items
            ],
            Total=found.total,
        )

    @operation(
        OptionalDate, OptionalDate, OptionalText, optional(AuditActionCode), OptionalId,
        PageNumberField, PageSizeField, _returns=required(AuditPage),
    )
    def QueryAudit(
        ctx: Any,
        DateFrom: dt.date | None,
        DateTo: dt.date | None,
        Login: str | None,
        Action: str | None,
        SubjectPersonId: int | None,
        Page: int,
        PageSize: int,
    ) -> AuditPage:
        found = audit_query.query_audit(
            call_of(ctx),
            date_from=DateFrom,
            date_to=DateTo,
            login=Login,
            action=Action,
            subject_person_id=SubjectPersonId,
            page=Page,
            page_size=PageSize,
        )
        return AuditPage(
            Events=[
                AuditEventInfo(
                    Id=e.id,
                    OccurredAt=e.occurred_at,
                    Actor=e.actor,
                    UserId=e.user_id,
                    SystemId=e.system_id,
                    ClientAddress=e.client_address,
                    Contract=e.contract,
                    Operation=e.operation,
                    Action=e.action,
                    SubjectPersonId=e.subject_person_id,
                    ObjectType=e.object_type,
                    ObjectId=e.object_id,
                    Details=e.details,
                    RequestId=e.request_id,
                )
                for e in found.items
            ],
            Total=found.total,
        )
