"""Wire format of the Authorities contract (реестр органов управления образованием)."""

from __future__ import annotations

from typing import Any, cast

from spyne import Array, ComplexModel

from kontingent_ws.types.common import OptionalText, RequiredCount, RequiredText, contract_namespace
from kontingent_ws.types.fields import OptionalId, RequiredId
from kontingent_ws.types.organizations import (
    contacts_model,
    organization_item_model,
    organization_page_model,
    requisites_model,
)

NAMESPACE = contract_namespace("Authorities")

Requisites = requisites_model(NAMESPACE)
Contacts = contacts_model(NAMESPACE)
OrganizationListItem = organization_item_model(NAMESPACE)
OrganizationPage = organization_page_model(NAMESPACE, OrganizationListItem)


class AuthorityListItem(ComplexModel):
    """An authority as a list shows it."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор органа управления")),
        ("FullName", RequiredText(doc="Полное наименование")),
        ("ShortName", RequiredText(doc="Краткое наименование")),
        ("Level", RequiredText(doc="Уровень: regional, municipal …")),
        ("LevelName", RequiredText(doc="Уровень органа управления")),
        ("MunicipalityId", OptionalId(doc="Муниципальное образование")),
        ("MunicipalityName", OptionalText(doc="Наименование муниципального образования")),
        ("ParentId", OptionalId(doc="Вышестоящий орган управления")),
        ("ParentName", OptionalText(doc="Краткое наименование вышестоящего органа")),
        ("Inn", OptionalText(doc="ИНН")),
        ("Phone", OptionalText(doc="Телефон")),
        ("Email", OptionalText(doc="Адрес электронной почты")),
    ]


class AuthorityPage(ComplexModel):
    """A page of authorities with the total number of matches."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Authorities", Array(AuthorityListItem, min_occurs=1, nillable=False)),
        ("Total", RequiredCount(doc="Всего найдено")),
    ]


class AuthorityNode(ComplexModel):
    """An authority in the tree with the authorities directly below it."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор органа управления")),
        ("FullName", RequiredText(doc="Полное наименование")),
        ("ShortName", RequiredText(doc="Краткое наименование")),
        ("Level", RequiredText(doc="Уровень: regional, municipal …")),
        ("LevelName", RequiredText(doc="Уровень органа управления")),
        ("MunicipalityName", OptionalText(doc="Наименование муниципального образования")),
        ("OrganizationCount", RequiredCount(doc="Организаций в непосредственном подчинении")),
    ]


cast(Any, AuthorityNode)._type_info["Children"] = Array(AuthorityNode, min_occurs=1, nillable=False)
"""Added after the class: the tree type refers to itself."""


class AuthorityTree(ComplexModel):
    """The authorities as a tree: the topmost ones visible, each with its subordinates."""

    __namespace__ = NAMESPACE
    _type_info = [("Roots", Array(AuthorityNode, min_occurs=1, nillable=False))]


class AuthorityPortfolio(ComplexModel):
    """Portfolio of an authority: names, requisites, contacts and the counts below it."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", RequiredId(doc="Идентификатор органа управления")),
        ("FullName", RequiredText(doc="Полное наименование")),
        ("ShortName", RequiredText(doc="Краткое наименование")),
        ("Level", RequiredText(doc="Уровень: regional, municipal …")),
        ("LevelName", RequiredText(doc="Уровень органа управления")),
        ("HeadName", OptionalText(doc="Руководитель")),
        ("ParentId", OptionalId(doc="Вышестоящий орган управления")),
        ("ParentName", OptionalText(doc="Краткое наименование вышестоящего органа")),
        ("MunicipalityId", OptionalId(doc="Муниципальное образование")),
        ("MunicipalityName", OptionalText(doc="Наименование муниципального образования")),
        ("Requisites", Requisites.customize(min_occurs=1, nillable=False)),
        ("Contacts", Contacts.customize(min_occurs=1, nillable=False)),
        ("StudentCount", RequiredCount(doc="Обучающихся в подведомственных организациях (всех уровней подчинения)")),
        ("AuthorityCount", RequiredCount(doc="Подведомственных органов управления (всех уровней)")),
        ("OrganizationCount", RequiredCount(doc="Подведомственных организаций (всех уровней)")),
        ("DirectAuthorityCount", RequiredCount(doc="Органов управления в непосредственном подчинении")),
        ("DirectOrganizationCount", RequiredCount(doc="Организаций в непосредственном подчинении")),
    ]
