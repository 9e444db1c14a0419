"""The registry of educational organizations (ОО): search and the rows lists show.

A caller sees the organizations within its scope (its own unit and everything below it); a
system administrator and consumer systems see the whole region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import aliased

from db.classifiers import ORG_STATUS, ORG_TYPE
from db.hierarchy import subtree_ids
from db.models import Municipality, Organization, OrgUnit
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound, ValidationError
from kontingent_ws.security.permissions import VIEW_REGISTRIES, require
from kontingent_ws.security.scope import caller_of, ensure_unit_visible, known_visible, scope_filter
from kontingent_ws.usecases.listing import PageOf, check_paging
from kontingent_ws.usecases.paging import (
    Sortable,
    checked_code,
    checked_digits,
    contains_pattern,
    label,
    prefix_pattern,
    sort_order,
)

NAME_CONTAINS = "contains"
NAME_PREFIX = "prefix"


@dataclass(frozen=True, kw_only=True)
class OrganizationFilter:
    """Criteria of an organization search; every given criterion must hold."""

    name: str | None = None
    """Part of the full name, case-insensitive, ё and е alike."""
    name_match: str = NAME_CONTAINS
    """``contains`` (anywhere in the full name) or ``prefix`` (its beginning)."""
    type_code: str | None = None
    status: str | None = None
    municipality_id: int | None = None
    authority_id: int | None = None
    """Organizations directly under this authority, or, with ``include_subordinate``, anywhere below it."""
    include_subordinate: bool = False
    inn: str | None = None
    ogrn: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrganizationRow:
    id: int
    full_name: str
    short_name: str
    type_code: str
    type_name: str | None
    status: str
    status_name: str | None
    municipality_id: int | None
    municipality_name: str | None
    parent_id: int | None
    parent_name: str | None
    inn: str | None
    ogrn: str | None
    phone: str | None
    email: str | None


_Parent = aliased(OrgUnit, name="parent_unit")

SORTABLE: Sortable = {
    "Id": (Organization.id,),
    "FullName": (Organization.full_name_norm,),
    "ShortName": (Organization.short_name,),
    "Type": (Organization.type_code,),
    "Status": (Organization.status_code,),
    "MunicipalityName": (Municipality.name,),
    "ParentName": (_Parent.short_name,),
    "Inn": (Organization.inn,),
    "Ogrn": (Organization.ogrn,),
}
"""Answer fields an organization list may be sorted by."""


def ensure_organization(call: CallContext, organization_id: int, *, object_type: str = "organization") -> None:
    """Refuse an unknown organization (``Client.NotFound``) or one outside the caller's scope."""
    caller = caller_of(call)
    require(caller, VIEW_REGISTRIES)
    if known_visible(caller, organization_id, "organization"):
        return  # read with the account at authentication: an existing organization within the scope
    kind = call.session.scalar(select(OrgUnit.kind).where(OrgUnit.id == organization_id))
    if kind != "organization":
        raise NotFound(f"Организация с идентификатором {organization_id} не найдена", field="OrganizationId")
    ensure_unit_visible(call, organization_id, object_type=object_type)


def ensure_authority(call: CallContext, authority_id: int, *, field: str = "AuthorityId") -> None:
    """Refuse an unknown authority (``Client.NotFound``) or one outside the caller's scope."""
    caller = caller_of(call)
    require(caller, VIEW_REGISTRIES)
    if known_visible(caller, authority_id, "authority"):
        return  # read with the account at authentication: an existing authority within the scope
    kind = call.session.scalar(select(OrgUnit.kind).where(OrgUnit.id == authority_id))
    if kind != "authority":
        raise NotFound(f"Орган управления образованием с идентификатором {authority_id} не найден", field=field)
    ensure_unit_visible(call, authority_id, object_type="authority")


def search_organizations(
    call: CallContext,
    criteria: OrganizationFilter,
    *,
    sort_by: str | None,
    sort_direction: str | None,
    page: int,
    page_size: int,
) -> PageOf[OrganizationRow]:
    """One page of the organizations matching ``criteria`` within the caller's scope, with the total."""
    require(caller_of(call), VIEW_REGISTRIES)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    order = sort_order(sort_by, sort_direction, columns=SORTABLE, default="FullName", tiebreak=Organization.id)
    where = and_(scope_filter(call, Organization.id), *_conditions(call, criteria))
    total = call.session.scalar(select(func.count(Organization.id)).where(where)) or 0
    if total <= paging.offset:
        return PageOf(items=[], total=total)
    query = row_query().where(where).order_by(*order.clauses).offset(paging.offset).limit(paging.limit)
    return PageOf(items=rows_of(call, query), total=total)


def row_query() -> Select[Any]:
    """The columns of an organization row."""
    return (
        select(
            Organization.id,
            Organization.full_name,
            Organization.short_name,
            Organization.type_code,
            Organization.status_code,
            Organization.municipality_id,
            Municipality.name,
            Organization.parent_id,
            _Parent.short_name,
            Organization.inn,
            Organization.ogrn,
            Organization.phone,
            Organization.email,
        )
        .outerjoin(Municipality, Municipality.id == Organization.municipality_id)
        .outerjoin(_Parent, _Parent.id == Organization.parent_id)
    )


def rows_of(call: CallContext, query: Select[Any]) -> list[OrganizationRow]:
    return [
        OrganizationRow(
            id=oid,
            full_name=full_name,
            short_name=short_name,
            type_code=type_code,
            type_name=label(ORG_TYPE, type_code),
            status=status,
            status_name=label(ORG_STATUS, status),
            municipality_id=municipality_id,
            municipality_name=municipality_name,
            parent_id=parent_id,
            parent_name=parent_name,
            inn=inn,
            ogrn=ogrn,
            phone=phone,
            email=email,
        )
        for (oid, full_name, short_name, type_code, status, municipality_id, municipality_name, parent_id,
             parent_name, inn, ogrn, phone, email) in call.session.execute(query)
    ]


def _conditions(call: CallContext, criteria: OrganizationFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if criteria.name_match not in (NAME_CONTAINS, NAME_PREFIX):
        raise ValidationError("Способ сравнения NameMatch должен быть contains или prefix", field="NameMatch")
    pattern = (prefix_pattern if criteria.name_match == NAME_PREFIX else contains_pattern)(criteria.name)
    if pattern is not None:
        conditions.append(Organization.full_name_norm.like(pattern, escape="\\"))
    type_code = checked_code(criteria.type_code, classifier=ORG_TYPE, field="TypeCode")
    if type_code is not None:
        conditions.append(Organization.type_code == type_code)
    status = checked_code(criteria.status, classifier=ORG_STATUS, field="Status")
    if status is not None:
        conditions.append(Organization.status_code == status)
    if criteria.municipality_id is not None:
        if call.session.get(Municipality, criteria.municipality_id) is None:
            raise NotFound(
                f"Муниципальное образование с идентификатором {criteria.municipality_id} не найдено",
                field="MunicipalityId",
            )
        conditions.append(Organization.municipality_id == criteria.municipality_id)
    if criteria.authority_id is not None:
        conditions.append(subordinate_condition(call, criteria.authority_id, criteria.include_subordinate))
    inn = checked_digits(criteria.inn, field="Inn", lengths=(10,), what="ИНН организации")
    if inn is not None:
        conditions.append(Organization.inn == inn)
    ogrn = checked_digits(criteria.ogrn, field="Ogrn", lengths=(13,), what="ОГРН")
    if ogrn is not None:
        conditions.append(Organization.ogrn == ogrn)
    return conditions


def subordinate_condition(call: CallContext, authority_id: int, whole_subtree: bool) -> ColumnElement[bool]:
    """Organizations directly under a visible authority, or anywhere below it."""
    ensure_authority(call, authority_id)
    if whole_subtree:
        return Organization.id.in_(subtree_ids(authority_id))
    return Organization.parent_id == authority_id
