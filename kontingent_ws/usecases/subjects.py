"""The subject dictionary and the binding of organizations' own subjects to it.

The dictionary has regional entries (no owner, kept by a system administrator) and municipal
ones owned by an authority (kept by that authority's administrators). An organization's local
subject may be bound to a regional entry or to one owned by an authority at or above the
organization.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from db.hierarchy import is_within
from db.models import Authority, BaseSubject, LocalSubject, Organization, OrgUnitClosure
from kontingent_ws.call import CallContext
from kontingent_ws.errors import Conflict, NotFound, ValidationError
from kontingent_ws.security import audit
from kontingent_ws.security.permissions import (
    BIND_SUBJECTS,
    MANAGE_BASE_SUBJECTS,
    MANAGE_MUNICIPAL_SUBJECTS,
    VIEW_REGISTRIES,
    require,
)
from kontingent_ws.security.scope import caller_of, deny, ensure_unit_visible

CODE_PATTERN = re.compile(r"^[0-9A-Za-zА-ЯЁа-яё._-]{1,20}$")


@dataclass(frozen=True, kw_only=True)
class BaseSubjectView:
    """An entry of the subject dictionary."""

    id: int
    code: str
    name: str
    authority_id: int | None
    """Owner of a municipal entry; ``None`` for a regional one."""
    is_active: bool


@dataclass(frozen=True, kw_only=True)
class LocalSubjectView:
    """A subject as an organization names it, with its binding to the dictionary."""

    id: int
    organization_id: int
    name: str
    external_id: str | None
    base_subject_id: int | None
    base_subject_code: str | None
    base_subject_name: str | None


def list_base_subjects(call: CallContext, *, authority_id: int | None) -> list[BaseSubjectView]:
    """Regional entries, plus those owned by ``authority_id`` and the authorities above it."""
    require(caller_of(call), VIEW_REGISTRIES)
    owned: ColumnElement[bool] = BaseSubject.owner_authority_id.is_(None)
    if authority_id is not None:
        _authority(call, authority_id)
        _ensure_related(call, authority_id)
        above = select(OrgUnitClosure.ancestor_id).where(OrgUnitClosure.descendant_id == authority_id)
        owned = or_(owned, BaseSubject.owner_authority_id.in_(above))
    subjects = call.session.scalars(
        select(BaseSubject)
        .where(owned)
        .order_by(BaseSubject.owner_authority_id.is_not(None), BaseSubject.code, BaseSubject.id)
    )
    return [_base_view(subject) for subject in subjects]


def save_base_subject(call: CallContext, *, code: str, name: str, authority_id: int | None) -> int:
    """Create or rename the entry ``code`` of the regional dictionary or of an authority's own; return its id."""
    caller = caller_of(call)
    code, name = code.strip(), " ".join(name.split())
    if authority_id is None:
        require(caller, MANAGE_BASE_SUBJECTS)
    else:
        require(caller, MANAGE_MUNICIPAL_SUBJECTS)
        _authority(call, authority_id)
        ensure_unit_visible(call, authority_id, object_type="base_subject")
    if not CODE_PATTERN.match(code):
        raise ValidationError("Код предмета: от 1 до 20 букв, цифр или знаков . _ -", field="Code")
    if not name or len(name) > 300:
        raise ValidationError("Наименование предмета обязательно и не длиннее 300 символов", field="Name")
    if authority_id is not None and _regional(call, code) is not None:
        raise Conflict(f"Код «{code}» уже есть в региональном справочнике предметов", field="Code")
    subject = _regional(call, code) if authority_id is None else call.session.scalar(
        select(BaseSubject).where(BaseSubject.owner_authority_id == authority_id, BaseSubject.code == code)
    )
    if subject is None:
        subject = BaseSubject(code=code, name=name, owner_authority_id=authority_id, is_active=True)
        call.session.add(subject)
        verb = "Добавлен"
    else:
        subject.name = name
        verb = "Изменён"
    call.session.flush()
    where = f"органа управления {authority_id}" if authority_id is not None else "регионального справочника"
    audit.record(
        call,
        audit.ADMIN,
        object_type="base_subject",
        object_id=subject.id,
        details=f"{verb} предмет {code} «{name}» {where}",
    )
    return subject.id


def bind_local_subject(call: CallContext, *, local_subject_id: int, base_subject_id: int) -> None:
    """Map an organization's subject to a dictionary entry it may use."""
    require(caller_of(call), BIND_SUBJECTS)
    local = call.session.get(LocalSubject, local_subject_id)
    if local is None:
        raise NotFound(f"Предмет организации с идентификатором {local_subject_id} не найден", field="LocalSubjectId")
    ensure_unit_visible(call, local.organization_id, object_type="local_subject")
    base = call.session.get(BaseSubject, base_subject_id)
    if base is None:
        raise NotFound(f"Предмет справочника с идентификатором {base_subject_id} не найден", field="BaseSubjectId")
    if not base.is_active:
        raise ValidationError(f"Предмет справочника «{base.name}» не действует", field="BaseSubjectId")
    owner_id = base.owner_authority_id
    if owner_id is not None and not is_within(call.session, owner_id, local.organization_id):
        raise ValidationError(
            f"Предмет справочника «{base.name}» принадлежит органу управления, которому организация не подчинена",
            field="BaseSubjectId",
        )
    local.base_subject_id = base.id
    call.session.flush()
    audit.record(
        call,
        audit.WRITE,
        object_type="local_subject",
        object_id=local.id,
        details=f"Предмет «{local.name}» привязан к предмету справочника {base.code} «{base.name}»",
    )


def list_local_subjects(call: CallContext, *, organization_id: int) -> list[LocalSubjectView]:
    """The subjects of an organization with their bindings, by name."""
    require(caller_of(call), VIEW_REGISTRIES)
    if call.session.get(Organization, organization_id) is None:
        raise NotFound(
            f"Образовательная организация с идентификатором {organization_id} не найдена", field="OrganizationId"
        )
    ensure_unit_visible(call, organization_id, object_type="local_subject")
    rows = call.session.execute(
        select(LocalSubject, BaseSubject)
        .outerjoin(BaseSubject, BaseSubject.id == LocalSubject.base_subject_id)
        .where(LocalSubject.organization_id == organization_id)
        .order_by(LocalSubject.name, LocalSubject.id)
    ).tuples()
    return [
        LocalSubjectView(
            id=local.id,
            organization_id=local.organization_id,
            name=local.name,
            external_id=local.external_id,
            base_subject_id=base.id if base else None,
            base_subject_code=base.code if base else None,
            base_subject_name=base.name if base else None,
        )
        for local, base in rows
    ]


def _base_view(subject: BaseSubject) -> BaseSubjectView:
    return BaseSubjectView(
        id=subject.id,
        code=subject.code,
        name=subject.name,
        authority_id=subject.owner_authority_id,
        is_active=subject.is_active,
    )


def _regional(call: CallContext, code: str) -> BaseSubject | None:
    return call.session.scalar(
        select(BaseSubject).where(BaseSubject.owner_authority_id.is_(None), BaseSubject.code == code)
    )


def _authority(call: CallContext, authority_id: int) -> Authority:
    authority = call.session.get(Authority, authority_id)
    if authority is None:
        raise NotFound(f"Орган управления с идентификатором {authority_id} не найден", field="AuthorityId")
    return authority


def _ensure_related(call: CallContext, authority_id: int) -> None:
    """A dictionary is readable by the authority's subtree and by the authorities above it."""
    caller = caller_of(call)
    if caller.sees_region:
        return
    unit_id = caller.unit_id
    if unit_id is None or not (
        is_within(call.session, unit_id, authority_id) or is_within(call.session, authority_id, unit_id)
    ):
        raise deny(call, object_type="base_subject", object_id=authority_id)
