"""The Authorities contract (реестр органов управления образованием): search, the tree of
authorities, subordinate organizations and the portfolio. Thin: unpack, call a use case, pack."""

from __future__ import annotations

from typing import Any

from spyne import ServiceBase

from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.authorities import (
    AuthorityListItem,
    AuthorityNode,
    AuthorityPage,
    AuthorityPortfolio,
    AuthorityTree,
    OrganizationListItem,
    OrganizationPage,
)
from kontingent_ws.types.common import OptionalText
from kontingent_ws.types.fields import OptionalFlag, OptionalId, PageNumber, PageSize, RequiredId, SortBy, SortDirection
from kontingent_ws.types.packing import pack, pack_list
from kontingent_ws.usecases import authorities

AuthorityIdField = RequiredId(doc="Идентификатор органа управления")


def _answer(model: Any) -> Any:
    return model.customize(min_occurs=1, nillable=False)


class AuthoritiesService(ServiceBase):
    """The regional registry of education authorities."""

    @operation(
        OptionalText(doc="Часть полного наименования (без учёта регистра, ё и е не различаются)"),
        OptionalText(doc="Уровень органа управления"),
        OptionalId(doc="Муниципальное образование"),
        SortBy,
        SortDirection,
        PageNumber,
        PageSize,
        _returns=_answer(AuthorityPage),
    )
    def SearchAuthorities(
        ctx: Any,
        Name: str | None,
        Level: str | None,
        MunicipalityId: int | None,
        SortBy: str | None,
        SortDirection: str | None,
        Page: int,
        PageSize: int,
    ) -> AuthorityPage:
        found = authorities.search_authorities(
            call_of(ctx),
            name=Name,
            level=Level,
            municipality_id=MunicipalityId,
            sort_by=SortBy,
            sort_direction=SortDirection,
            page=Page,
            page_size=PageSize,
        )
        return AuthorityPage(Authorities=pack_list(AuthorityListItem, found.items), Total=found.total)

    @operation(
        OptionalId(doc="Корень дерева; по умолчанию – вся доступная пользователю структура"),
        _returns=_answer(AuthorityTree),
    )
    def GetAuthorityTree(ctx: Any, RootId: int | None) -> AuthorityTree:
        roots = authorities.get_authority_tree(call_of(ctx), root_id=RootId)
        return AuthorityTree(Roots=pack_list(AuthorityNode, roots))

    @operation(
        AuthorityIdField,
        OptionalFlag(doc="Все уровни подчинения (по умолчанию – только непосредственно подчинённые)"),
        OptionalText(doc="Код типа организации"),
        PageNumber,
        PageSize,
        _returns=_answer(OrganizationPage),
    )
    def GetSubordinateOrganizations(
        ctx: Any, AuthorityId: int, WholeSubtree: bool | None, TypeCode: str | None, Page: int, PageSize: int
    ) -> Any:
        found = authorities.get_subordinate_organizations(
            call_of(ctx),
            authority_id=AuthorityId,
            whole_subtree=bool(WholeSubtree),
            type_code=TypeCode,
            page=Page,
            page_size=PageSize,
        )
        return OrganizationPage(Organizations=pack_list(OrganizationListItem, found.items), Total=found.total)

    @operation(AuthorityIdField, _returns=_answer(AuthorityPortfolio))
    def GetAuthorityPortfolio(ctx: Any, AuthorityId: int) -> AuthorityPortfolio:
        return pack(AuthorityPortfolio, authorities.get_authority_portfolio(call_of(ctx), authority_id=AuthorityId))
