"""The registry of education authorities (ОУО): search, the tree of authorities, subordinate
organizations and an authority's portfolio.

A caller sees the authorities within its scope; a system administrator and consumer systems
see the whole region.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from db.hierarchy import subtree_ids
from db.models import Authority, Municipality, OrgUnit, OrgUnitClosure, Student
from db.prepared import PreparedQuery
from kontingent_ws.call import CallContext
from kontingent_ws.errors import NotFound
from kontingent_ws.security.permissions import VIEW_REGISTRIES, require
from kontingent_ws.security.scope import caller_of, scope_filter
from kontingent_ws.usecases.listing import PageOf, check_paging
from kontingent_ws.usecases.organization_card import (
    STUDYING,
    Contacts,
    Requisites,
    contacts_of,
    requisites_of,
    unit_card,
)
from kontingent_ws.usecases.organizations import (
    OrganizationFilter,
    OrganizationRow,
    ensure_authority,
    search_organizations,
)
from kontingent_ws.usecases.paging import Sortable, contains_pattern, sort_order

LEVEL_NAMES = {
    "region": "Региональный",
    "regional": "Региональный",
    "municipality": "Муниципальный",
    "municipal": "Муниципальный",
    "district": "Районный (внутригородской)",
}
"""Russian names of the authority levels in use (no classifier holds them)."""


@dataclass(frozen=True, kw_only=True)
class AuthorityRow:
    id: int
    full_name: str
    short_name: str
    level: str
    level_name: str
    municipality_id: int | None
    municipality_name: str | None
    parent_id: int | None
    parent_name: str | None
    inn: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True, kw_only=True)
class AuthorityNode:
    id: int
    full_name: str
    short_name: str
    level: str
    level_name: str
    municipality_name: str | None
    organization_count: int
    """Organizations directly subordinate to this authority."""
    children: list[AuthorityNode]


@dataclass(frozen=True, kw_only=True)
class AuthorityPortfolio:
    id: int
    full_name: str
    short_name: str
    level: str
    level_name: str
    head_name: str | None
    parent_id: int | None
    parent_name: str | None
    municipality_id: int | None
    municipality_name: str | None
    requisites: Requisites
    contacts: Contacts
    student_count: int
    """Students currently studying in organizations anywhere below the authority."""
    authority_count: int
    """Authorities anywhere below this one."""
    organization_count: int
    """Organizations anywhere below this authority."""
    direct_authority_count: int
    direct_organization_count: int


_Parent = aliased(OrgUnit, name="parent_unit")

SORTABLE: Sortable = {
    "Id": (Authority.id,),
    "FullName": (Authority.full_name_norm,),
    "ShortName": (Authority.short_name,),
    "Level": (Authority.level,),
    "MunicipalityName": (Municipality.name,),
    "ParentName": (_Parent.short_name,),
    "Inn": (Authority.inn,),
}
"""Answer fields an authority list may be sorted by."""


def level_name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


def search_authorities(
    call: CallContext,
    *,
    name: str | None,
    level: str | None,
    municipality_id: int | None,
    sort_by: str | None,
    sort_direction: str | None,
    page: int,
    page_size: int,
) -> PageOf[AuthorityRow]:
    """One page of the authorities within the caller's scope whose full name contains ``name``."""
    require(caller_of(call), VIEW_REGISTRIES)
    paging = check_paging(page, page_size, limit=call.settings.page_size_limit)
    order = sort_order(sort_by, sort_direction, columns=SORTABLE, default="FullName", tiebreak=Authority.id)
    conditions: list[ColumnElement[bool]] = [scope_filter(call, Authority.id)]
    pattern = contains_pattern(name)
    if pattern is not None:
        conditions.append(Authority.full_name_norm.like(pattern, escape="\\"))
    if level is not None and level.strip():
        conditions.append(Authority.level == level.strip())
    if municipality_id is not None:
        conditions.append(Authority.municipality_id == municipality_id)
    where = and_(*conditions)
    total = call.session.scalar(select(func.count(Authority.id)).where(where)) or 0
    if total <= paging.offset:
        return PageOf(items=[], total=total)
    rows = call.session.execute(
        select(
            Authority.id, Authority.full_name, Authority.short_name, Authority.level, Authority.municipality_id,
            Municipality.name, Authority.parent_id, _Parent.short_name, Authority.inn, Authority.phone,
            Authority.email,
        )
        .outerjoin(Municipality, Municipality.id == Authority.municipality_id)
        .outerjoin(_Parent, _Parent.id == Authority.parent_id)
        .where(where)
        .order_by(*order.clauses)
        .offset(paging.offset)
        .limit(paging.limit)
    ).tuples()
    return PageOf(
        items=[
            AuthorityRow(
                id=aid,
                full_name=full_name,
                short_name=short_name,
                level=lvl,
                level_name=level_name(lvl),
                municipality_id=mid,
                municipality_name=municipality_name,
                parent_id=parent_id,
                parent_name=parent_name,
                inn=inn,
                phone=phone,
                email=email,
            )
            for aid, full_name, short_name, lvl, mid, municipality_name, parent_id, parent_name, inn, phone, email
            in rows
        ],
        total=total,
    )


def get_authority_tree(call: CallContext, *, root_id: int | None) -> list[AuthorityNode]:
    """The authorities below ``root_id`` (itself included) as a tree; without a root, every
    authority the caller sees, rooted at the topmost ones."""
    caller = caller_of(call)
    require(caller, VIEW_REGISTRIES)
    if root_id is not None:
        ensure_authority(call, root_id, field="RootId")
        within: ColumnElement[bool] = Authority.id.in_(subtree_ids(root_id))
    else:
        within = scope_filter(call, Authority.id)
    found = call.session.execute(
        select(
            Authority.id, Authority.parent_id, Authority.full_name, Authority.short_name, Authority.level,
            Municipality.name,
        )
        .outerjoin(Municipality, Municipality.id == Authority.municipality_id)
        .where(within)
        .order_by(Authority.full_name_norm, Authority.id)
    ).all()
    ids = [row[0] for row in found]
    organizations: dict[int | None, int] = {}
    if ids:
        organizations.update(
            call.session.execute(
                select(OrgUnit.parent_id, func.count())
                .where(OrgUnit.kind == "organization", OrgUnit.parent_id.in_(ids))
                .group_by(OrgUnit.parent_id)
            ).tuples().all()
        )
    present = set(ids)
    by_parent: defaultdict[int | None, list[Any]] = defaultdict(list)
    for row in found:
        by_parent[row[1] if row[1] in present else None].append(row)

    def node(row: Any) -> AuthorityNode:
        aid, _, full_name, short_name, lvl, municipality_name = row
        return AuthorityNode(
            id=aid,
            full_name=full_name,
            short_name=short_name,
            level=lvl,
            level_name=level_name(lvl),
            municipality_name=municipality_name,
            organization_count=int(organizations.get(aid, 0)),
            children=[node(child) for child in by_parent[aid]],
        )

    return [node(row) for row in by_parent[None]]


def get_subordinate_organizations(
    call: CallContext, *, authority_id: int, whole_subtree: bool, type_code: str | None, page: int, page_size: int
) -> PageOf[OrganizationRow]:
    """Organizations directly under the authority (or anywhere below it), by full name."""
    return search_organizations(
        call,
        OrganizationFilter(authority_id=authority_id, include_subordinate=whole_subtree, type_code=type_code),
        sort_by="FullName",
        sort_direction="asc",
        page=page,
        page_size=page_size,
    )


_closure, _unit, _student = OrgUnitClosure.__table__, OrgUnit.__table__.alias("below_unit"), Student.__table__


def _below(kind: str, *, direct: bool) -> ColumnElement[int]:
    """Count of ``kind`` units below ``:unit_id`` (only its children when ``direct``)."""
    conditions = [_closure.c.ancestor_id == bindparam("unit_id"), _unit.c.kind == kind]
    conditions.append(_closure.c.depth == 1 if direct else _closure.c.depth > 0)
    return (
        select(func.count())
        .select_from(_closure.join(_unit, _unit.c.id == _closure.c.descendant_id))
        .where(*conditions)
        .scalar_subquery()
    )


LIVE_COUNT_ORGANIZATIONS = 100
"""Up to this many organizations below an authority, its studying students are counted live (an
index range per organization); above it the count comes from :class:`StudyingCounts`."""

_organizations_below = _below("organization", direct=False)
AUTHORITY_CARD = PreparedQuery(unit_card(
    Authority.__table__.c.level,
    _below("authority", direct=False).label("authority_count"),
    _organizations_below.label("organization_count"),
    _below("authority", direct=True).label("direct_authority_count"),
    _below("organization", direct=True).label("direct_organization_count"),
    case(
        (
            _organizations_below <= bindparam("live_limit"),
            select(func.count())
            .select_from(_student)
            .where(
                _student.c.status_code == STUDYING,
                _student.c.current_organization_id.in_(
                    select(_closure.c.descendant_id).where(_closure.c.ancestor_id == bindparam("unit_id"))
                ),
            )
            .scalar_subquery(),
        ),
        else_=None,
    ).label("student_count"),
    joined=Authority.__table__,
), name="authority_card")
"""An authority's card and every count of its portfolio in one statement (built once, prepared on
PostgreSQL); the student count is NULL for authorities with more than
:data:`LIVE_COUNT_ORGANIZATIONS` organizations below."""

STUDYING_BY_ORGANIZATION = (
    select(_student.c.current_organization_id, func.count())
    .where(_student.c.status_code == STUDYING, _student.c.current_organization_id.is_not(None))
    .group_by(_student.c.current_organization_id)
)
AUTHORITY_DESCENDANTS = (
    select(_closure.c.ancestor_id, _closure.c.descendant_id)
    .select_from(_closure.join(Authority.__table__, Authority.__table__.c.id == _closure.c.ancestor_id))
)


@dataclass(kw_only=True)
class StudyingCounts:
    """Studying students below every authority, computed at most every ``ttl_seconds`` per process.

    Counting the students of the region's ministry live means reading the whole index of current
    organizations (≈ 0.4 s at 1,000,000 students); the large authorities' portfolios therefore
    report a count at most ``ttl_seconds`` old: one grouped count per organization plus the
    closure rows of the authorities, summed here. Smaller authorities are counted live."""

    ttl_seconds: float = 60.0
    _by_database: dict[str, tuple[float, dict[int, int]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, session: Session, authority_id: int) -> int:
        database = str(session.get_bind().engine.url)
        with self._lock:
            computed_at, totals = self._by_database.get(database, (-math.inf, {}))
            if time.monotonic() >= computed_at + self.ttl_seconds:
                by_organization = dict(session.execute(STUDYING_BY_ORGANIZATION).tuples().all())
                summed: defaultdict[int, int] = defaultdict(int)
                for ancestor, descendant in session.execute(AUTHORITY_DESCENDANTS).tuples():
                    summed[ancestor] += by_organization.get(descendant, 0)
                totals = dict(summed)
                self._by_database[database] = (time.monotonic(), totals)
            return totals.get(authority_id, 0)


STUDYING_COUNTS = StudyingCounts()
"""The per-process cache of the large authorities' student counts."""


def get_authority_portfolio(call: CallContext, *, authority_id: int) -> AuthorityPortfolio:
    """An authority's names, requisites, contacts and the counts of what lies below it."""
    caller = caller_of(call)
    require(caller, VIEW_REGISTRIES)
    if not caller.sees_region:
        ensure_authority(call, authority_id)
    card = AUTHORITY_CARD.first(
        call.session.connection(), {"unit_id": authority_id, "live_limit": LIVE_COUNT_ORGANIZATIONS}
    )
    if card is None:
        raise NotFound(f"Орган управления образованием с идентификатором {authority_id} не найден", field="AuthorityId")
    return AuthorityPortfolio(
        id=card.id,
        full_name=card.full_name,
        short_name=card.short_name,
        level=card.level,
        level_name=level_name(card.level),
        head_name=card.head_name,
        parent_id=card.parent_id,
        parent_name=card.parent_name,
        municipality_id=card.municipality_id,
        municipality_name=card.municipality_name,
        requisites=requisites_of(card),
        contacts=contacts_of(card),
        student_count=int(card.student_count if card.student_count is not None else
                          STUDYING_COUNTS.of(call.session, authority_id)),
        authority_count=int(card.authority_count),
        organization_count=int(card.organization_count),
        direct_authority_count=int(card.direct_authority_count),
        direct_organization_count=int(card.direct_organization_count),
    )
