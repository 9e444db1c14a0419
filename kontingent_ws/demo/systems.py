"""Registered information systems: providers of school and kindergarten data, and consumers."""

from __future__ import annotations

from dataclasses import dataclass

from kontingent_ws.demo.context import Context
from kontingent_ws.security.demo_accounts import PROVIDER_CONTRACTS, REGISTRY_CONTRACTS

PROVIDERS: tuple[tuple[str, str], ...] = (
    ("ELJUR", "ЭлЖур – электронный журнал и дневник"),
    ("NETSCHOOL", "Сетевой город. Образование"),
    ("DNEVNIK_RU", "Дневник.ру"),
    ("EUSLUGI_DOO", "Е-услуги. Образование (комплектование ДОО)"),
)
CONSUMERS: tuple[tuple[str, str], ...] = (
    ("EPGU", "Единый портал государственных и муниципальных услуг (ЕПГУ)"),
    ("FIS_KONTINGENT", "Федеральный сегмент ГИС «Контингент» (ФИС Контингент)"),
)
SCHOOL_PROVIDERS = ("ELJUR", "NETSCHOOL", "DNEVNIK_RU")
PRESCHOOL_PROVIDER = "EUSLUGI_DOO"


@dataclass(frozen=True, kw_only=True)
class Systems:
    by_mnemonic: dict[str, int]

    def school_providers(self) -> list[int]:
        return [self.by_mnemonic[m] for m in SCHOOL_PROVIDERS]

    @property
    def preschool(self) -> int:
        return self.by_mnemonic[PRESCHOOL_PROVIDER]


def build_systems(ctx: Context, owner_unit_id: int) -> Systems:
    """The providers and consumers, owned by the ministry, with the contracts they may call."""
    by_mnemonic = {}
    for (mnemonic, name), provider in [(p, True) for p in PROVIDERS] + [(c, False) for c in CONSUMERS]:
        system_id = ctx.ids("info_system")
        by_mnemonic[mnemonic] = system_id
        ctx.add("info_system", (system_id, mnemonic, name, provider, not provider, True, owner_unit_id))
        for contract in PROVIDER_CONTRACTS if provider else REGISTRY_CONTRACTS:
            ctx.add("system_contract_grant", (system_id, contract))
    return Systems(by_mnemonic=by_mnemonic)


def attach_providers(ctx: Context, organization_id: int, ranked: list[int]) -> None:
    """Provider priorities of one organization and the write scope that lets each provider write it."""
    for rank, system_id in enumerate(ranked, start=1):
        ctx.add("provider_priority", (organization_id, system_id, rank))
        ctx.add("system_write_scope", (system_id, organization_id))
