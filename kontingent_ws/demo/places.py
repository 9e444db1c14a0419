"""Place names and addresses of the demo region (a fictional «Демонстрационная область»)."""

from __future__ import annotations

import random
import uuid

from faker.providers.address.ru_RU import Provider as _FakerAddress

REGION_NAME = "Демонстрационная область"
REGION_SHORT = "Демонстрационная обл."
CAPITAL = "Демоград"

CAPITAL_DISTRICTS: tuple[str, ...] = (
    "Центральный", "Ленинский", "Заводской", "Октябрьский", "Советский", "Северный", "Южный", "Железнодорожный",
)  # fmt: skip
"""Intra-city districts of the capital, the city okrug with intra-city division."""

TOWNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        name for name in _FakerAddress.city_names if name.isalpha() and name[0].isupper() and name != CAPITAL
    )
)
"""Centres of the other municipalities (Faker's ``ru_RU`` city names, letters only)."""

STREETS: tuple[str, ...] = _FakerAddress.street_titles + _FakerAddress.street_titles_noflex

VILLAGES: tuple[str, ...] = (
    "Берёзовка", "Сосновка", "Никольское", "Покровка", "Александровка", "Ивановка", "Михайловка", "Заречье",
    "Красное", "Слобода", "Озёрки", "Вишнёвое", "Каменка", "Луговое", "Рябиновка", "Петровское",
)  # fmt: skip


def town_name(index: int) -> str:
    """A unique town name for the ``index``-th municipality (numbered once the list runs out)."""
    base = TOWNS[index % len(TOWNS)]
    rounds = index // len(TOWNS)
    return base if rounds == 0 else f"{base}-{rounds + 1}"


class AddressMaker:
    """Addresses in the localities of one municipality; ``locality`` of the capital is a city."""

    def __init__(self, rng: random.Random, *, oktmo8: str, district: str, locality: str, postal_prefix: int):
        self.rng = rng
        self.oktmo8 = oktmo8
        self.district = district
        self.locality = locality
        self.postal_prefix = postal_prefix

    def make(self, address_id: int, *, apartment: bool, village_share: float = 0.2) -> tuple[object, ...]:
        """One ``address`` row (columns of ``writer.TABLES['address']``)."""
        rng = self.rng
        in_village = rng.random() < village_share
        if in_village:
            settlement_number = rng.randrange(2, 40)
            locality = f"с. {VILLAGES[settlement_number % len(VILLAGES)]}"
        else:
            settlement_number = 1
            locality = f"г. {self.locality}"
        street = f"ул. {rng.choice(STREETS)}"
        house = str(rng.randrange(1, 120))
        flat = str(rng.randrange(1, 180)) if apartment and not in_village else None
        postal = f"{self.postal_prefix + rng.randrange(0, 10):06d}"
        oktmo = f"{self.oktmo8}{settlement_number:03d}"
        text = f"{postal}, {REGION_SHORT}, {self.district}, {locality}, {street}, д. {house}"
        if flat:
            text += f", кв. {flat}"
        guid = uuid.UUID(int=rng.getrandbits(128), version=4)
        gar_id = rng.randrange(10_000_000, 99_999_999)
        return (address_id, guid, gar_id, oktmo, postal, REGION_SHORT, self.district, locality, street, house, None,
                flat, text)  # fmt: skip


def phone(rng: random.Random) -> str:
    """A mobile number ``+7 9XX XXX-XX-XX``."""
    number = rng.randrange(10**9)
    return f"+7 9{number // 10**7:02d} {number // 10**4 % 1000:03d}-{number // 100 % 100:02d}-{number % 100:02d}"


def landline(rng: random.Random, area: int) -> str:
    number = rng.randrange(10**5)
    return f"+7 ({area}) 2{number // 10**3:02d}-{number // 10 % 100:02d}-{number % 10}{rng.randrange(10)}"
