"""The Authorities contract through zeep against a live gunicorn (authentication on), on each backend."""

from __future__ import annotations

from typing import Any

from tests import registrykit
from tests.registrykit import RegistryEnv, audit_events, fault_field, fault_of, last_audit_id

registry_env = registrykit.registry_env


def _tree(node: Any) -> tuple[int, list[Any]]:
    children = node.Children.AuthorityNode if node.Children else []
    return node.Id, [_tree(child) for child in children]


def test_search_and_tree(registry_env: RegistryEnv) -> None:
    env, region = registry_env, registry_env.data.region
    admin = env.client("Authorities", "admin").service
    everyone = admin.SearchAuthorities(Page=1, PageSize=10)
    assert [row.Id for row in everyone.Authorities.AuthorityListItem] == [
        region.ministry_id, region.north_id, region.south_id,
    ]  # fmt: skip
    municipal = admin.SearchAuthorities(Name="района", Level="municipality", SortBy="Id", SortDirection="desc",
                                        Page=1, PageSize=10)  # fmt: skip
    assert [(r.Id, r.LevelName, r.ParentId) for r in municipal.Authorities.AuthorityListItem] == [
        (region.south_id, "Муниципальный", region.ministry_id), (region.north_id, "Муниципальный", region.ministry_id),
    ]  # fmt: skip
    by_municipality = admin.SearchAuthorities(MunicipalityId=region.north_municipality_id, Page=1, PageSize=10)
    assert [r.Id for r in by_municipality.Authorities.AuthorityListItem] == [region.north_id]
    assert admin.SearchAuthorities(Page=2, PageSize=2).Total == 3

    (root,) = admin.GetAuthorityTree().AuthorityNode
    assert _tree(root) == (region.ministry_id, [(region.north_id, []), (region.south_id, [])])
    north_node = root.Children.AuthorityNode[0]
    assert (north_node.OrganizationCount, north_node.MunicipalityName) == (2, "Северный район")
    (north_root,) = admin.GetAuthorityTree(RootId=region.north_id).AuthorityNode
    assert _tree(north_root) == (region.north_id, [])

    north_admin = env.client("Authorities", "north_admin").service
    (own,) = north_admin.GetAuthorityTree().AuthorityNode
    assert _tree(own) == (region.north_id, [])
    assert [r.Id for r in north_admin.SearchAuthorities(Page=1, PageSize=10).Authorities.AuthorityListItem] == [
        region.north_id
    ]
    school = env.client("Authorities", "north_school").service
    assert not school.GetAuthorityTree()
    assert school.SearchAuthorities(Page=1, PageSize=10).Total == 0


def test_subordinates_and_portfolio_counts(registry_env: RegistryEnv) -> None:
    env, data = registry_env, registry_env.data
    region = data.region
    service = env.client("Authorities", "ministry").service
    assert service.GetSubordinateOrganizations(AuthorityId=region.ministry_id, Page=1, PageSize=10).Total == 0
    whole = service.GetSubordinateOrganizations(AuthorityId=region.ministry_id, WholeSubtree=True, Page=1, PageSize=2)
    assert whole.Total == 3 and len(whole.Organizations.OrganizationListItem) == 2
    schools = service.GetSubordinateOrganizations(AuthorityId=region.ministry_id, WholeSubtree=True, TypeCode="12",
                                                  Page=1, PageSize=10)  # fmt: skip
    assert sorted(r.Id for r in schools.Organizations.OrganizationListItem) == sorted(
        [region.north_school_id, region.south_school_id]
    )
    direct = service.GetSubordinateOrganizations(AuthorityId=region.north_id, Page=1, PageSize=10)
    assert {r.Id for r in direct.Organizations.OrganizationListItem} == {
        region.north_school_id, region.north_kindergarten_id,
    }  # fmt: skip

    subtrees = {
        region.ministry_id: {region.north_school_id, region.north_kindergarten_id, region.south_school_id},
        region.north_id: {region.north_school_id, region.north_kindergarten_id},
        region.south_id: {region.south_school_id},
    }
    for authority_id, organizations in subtrees.items():
        portfolio = service.GetAuthorityPortfolio(AuthorityId=authority_id)
        studying = sum(1 for s in data.students.values() if s["org"] in organizations and s["status"] == "1")
        assert portfolio.StudentCount == studying
        assert portfolio.OrganizationCount == len(organizations)
    ministry = service.GetAuthorityPortfolio(AuthorityId=region.ministry_id)
    assert (ministry.AuthorityCount, ministry.DirectAuthorityCount, ministry.DirectOrganizationCount) == (2, 2, 0)
    assert (ministry.LevelName, ministry.FullName) == ("Региональный", "Министерство образования")
    assert (ministry.Requisites.Ogrn, ministry.Requisites.OkfsName) == (
        "1027700132195", "Собственность субъектов Российской Федерации",
    )  # fmt: skip
    contacts = ministry.Contacts
    assert (contacts.Phone, contacts.Fax, contacts.Email, contacts.Website) == (
        "+7 (900) 100-00-00", "+7 (900) 100-00-01", "minobr@example.ru", "https://minobr.example.ru",
    )  # fmt: skip
    north = service.GetAuthorityPortfolio(AuthorityId=region.north_id)
    assert (north.ParentId, north.MunicipalityName, north.DirectOrganizationCount) == (
        region.ministry_id, "Северный район", 2,
    )  # fmt: skip


def test_faults(registry_env: RegistryEnv) -> None:
    env, region = registry_env, registry_env.data.region
    admin = env.client("Authorities", "admin").service
    cases = [
        (lambda: admin.GetAuthorityPortfolio(AuthorityId=region.north_school_id), "Client.NotFound", "AuthorityId"),
        (lambda: admin.GetAuthorityTree(RootId=987654), "Client.NotFound", "RootId"),
        (lambda: admin.SearchAuthorities(SortBy="Kpp", Page=1, PageSize=5), "Client.Validation", "SortBy"),
        (
            lambda: admin.SearchAuthorities(SortDirection="up", Page=1, PageSize=5),
            "Client.Validation",
            "SortDirection",
        ),
        (
            lambda: admin.GetSubordinateOrganizations(AuthorityId=region.north_id, Page=1, PageSize=501),
            "Client.Validation",
            "PageSize",
        ),
    ]
    for call, code, field in cases:
        fault = fault_of(call)
        assert fault.code.endswith(code), (field, fault.code, fault.message)
        assert fault_field(fault) == field
    mark = last_audit_id(env)
    north_admin = env.client("Authorities", "north_admin").service
    for call in (
        lambda: north_admin.GetAuthorityPortfolio(AuthorityId=region.south_id),
        lambda: north_admin.GetAuthorityTree(RootId=region.ministry_id),
        lambda: north_admin.GetSubordinateOrganizations(AuthorityId=region.south_id, Page=1, PageSize=5),
    ):
        assert fault_of(call).code.endswith("Client.AccessDenied")
    denied = [e for e in audit_events(env, "north_admin", after=mark) if e.action == "access_denied"]
    assert [e.object_id for e in denied] == [str(region.south_id), str(region.ministry_id), str(region.south_id)]
