"""The region, its municipalities (ОКТМО) and the education authorities above the organizations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from db.names import normalize_name
from kontingent_ws.demo import places
from kontingent_ws.demo.context import Context
from kontingent_ws.demo.names import adult_name, short_form

CITY_OKRUG_WITH_DISTRICTS = "4"
INTRA_CITY_DISTRICT = "5"
OTHER_KINDS = ("1", "1", "2", "3")
"""Municipal district, municipal district, city okrug, municipal okrug – in turn."""
KIND_WORDS = {"1": "муниципальный район", "2": "городской округ", "3": "муниципальный округ"}
STUDENTS_PER_MUNICIPALITY = 3500
CAPITAL_BLOCK = 701
OKTMO_BLOCKS = tuple(block for block in range(502, 1000) if block != CAPITAL_BLOCK)
"""Three-digit ОКТМО blocks of the municipalities other than the capital."""


@dataclass(slots=True, kw_only=True)
class Unit:
    """A municipality where pupils live: an ordinary municipality or an intra-city district."""

    index: int
    municipality_id: int
    authority_id: int
    top_authority_id: int
    """The municipal authority (for a district: the city's department)."""
    oktmo: str
    name: str
    district_label: str
    locality: str
    weight: float
    tax_office: int
    students: int = 0
    organizations: list[int] = field(default_factory=list)

    @property
    def postal_prefix(self) -> int:
        return 600_000 + self.index * 10


@dataclass(slots=True, kw_only=True)
class Territory:
    region_id: int
    ministry_id: int
    units: list[Unit]
    authorities: list[int]


def _address(ctx: Context, oktmo: str, district: str, locality: str, index: int) -> int:
    maker = places.AddressMaker(
        ctx.rng, oktmo8=oktmo, district=district, locality=locality, postal_prefix=600_000 + index * 10
    )
    address_id = ctx.ids("address")
    ctx.add("address", maker.make(address_id, apartment=False, village_share=0.0))
    return address_id


def add_authority(
    ctx: Context, *, parent_id: int | None, municipality_id: int | None, region_id: int, level: str,
    full_name: str, short_name: str, oktmo: str, district: str, locality: str, index: int, municipal: bool,
) -> int:  # fmt: skip
    unit_id = ctx.ids("org_unit")
    ctx.parents[unit_id] = parent_id
    inn, kpp, ogrn, okpo = ctx.requisites.organization(index + 1, 2002 + index % 15)
    address_id = _address(ctx, oktmo, district, locality, index)
    okopf, okfs = ("75404", "14") if municipal else ("75204", "13")
    ctx.add("org_unit", (
        unit_id, "authority", parent_id, municipality_id, f"{ctx.config.region_code}-A{unit_id:05d}", full_name,
        short_name, normalize_name(full_name), inn, kpp, ogrn, okpo, oktmo, okopf, okfs, "1",
        short_form(adult_name(ctx.rng)), places.landline(ctx.rng, 800 + index % 100), None,
        f"obr{unit_id}@{ctx.config.region_code}.demo-region.example", f"https://obr{unit_id}.demo-region.example",
        address_id, address_id,
    ))  # fmt: skip
    ctx.add("authority", (unit_id, level, region_id))
    ctx.change("authority", unit_id, unit_id, dt.date(ctx.year, 8, 1))
    return unit_id


def build_territory(ctx: Context) -> Territory:
    """Region, municipalities with ОКТМО of the region, the ministry and one authority per municipality."""
    code = ctx.config.region_code
    region_id = ctx.ids("region")
    ctx.add("region", (region_id, code, places.REGION_NAME, f"{code}000000"))
    ministry_id = add_authority(
        ctx, parent_id=None, municipality_id=None, region_id=region_id, level="regional",
        full_name="Министерство образования Демонстрационной области",
        short_name="Минобразования области", oktmo=f"{code}701000", district=f"г. {places.CAPITAL}",
        locality=places.CAPITAL, index=0, municipal=False,
    )  # fmt: skip
    top_count = min(len(OKTMO_BLOCKS) + 1, max(3, round(ctx.config.students / STUDENTS_PER_MUNICIPALITY)))
    district_count = min(len(places.CAPITAL_DISTRICTS), max(2, top_count // 4))
    units: list[Unit] = []
    authorities = [ministry_id]

    capital_oktmo = f"{code}{CAPITAL_BLOCK}000"
    capital_id = ctx.ids("municipality")
    ctx.add("municipality", (capital_id, region_id, None, capital_oktmo, f"Городской округ город {places.CAPITAL}",
                             CITY_OKRUG_WITH_DISTRICTS))  # fmt: skip
    capital_authority = add_authority(
        ctx, parent_id=ministry_id, municipality_id=capital_id, region_id=region_id, level="municipal",
        full_name=f"Департамент образования администрации города {places.CAPITAL}а",
        short_name=f"Департамент образования г. {places.CAPITAL}а", oktmo=capital_oktmo,
        district=f"г. {places.CAPITAL}", locality=places.CAPITAL, index=1, municipal=True,
    )  # fmt: skip
    authorities.append(capital_authority)
    for number, district in enumerate(places.CAPITAL_DISTRICTS[:district_count]):
        oktmo = f"{code}{CAPITAL_BLOCK}{305 + 5 * number:03d}"
        municipality_id = ctx.ids("municipality")
        title = f"{district} район города {places.CAPITAL}а"
        ctx.add("municipality", (municipality_id, region_id, capital_id, oktmo, title, INTRA_CITY_DISTRICT))
        index = len(units) + 2
        authority_id = add_authority(
            ctx, parent_id=capital_authority, municipality_id=municipality_id, region_id=region_id,
            level="district", full_name=f"Отдел образования администрации {district[:-2]}ого района города "
            f"{places.CAPITAL}а", short_name=f"Отдел образования {district[:-2]}ого района", oktmo=oktmo,
            district=f"г. {places.CAPITAL}, {district} р-н", locality=places.CAPITAL, index=index, municipal=True,
        )  # fmt: skip
        authorities.append(authority_id)
        units.append(Unit(
            index=index, municipality_id=municipality_id, authority_id=authority_id,
            top_authority_id=capital_authority, oktmo=oktmo, name=f"{district} район", locality=places.CAPITAL,
            district_label=f"г. {places.CAPITAL}, {district} р-н", weight=1.6 + ctx.rng.random(), tax_office=index,
        ))  # fmt: skip

    for number in range(top_count - 1):
        kind = OTHER_KINDS[number % len(OTHER_KINDS)]
        town = places.town_name(number)
        oktmo = f"{code}{OKTMO_BLOCKS[number]:03d}000"
        municipality_id = ctx.ids("municipality")
        label = f"{KIND_WORDS[kind]} «{town}»"
        ctx.add("municipality", (municipality_id, region_id, None, oktmo, label[0].upper() + label[1:], kind))
        index = len(units) + 2
        authority_id = add_authority(
            ctx, parent_id=ministry_id, municipality_id=municipality_id, region_id=region_id, level="municipal",
            full_name=f"Управление образования администрации {KIND_WORDS[kind]}а «{town}»",
            short_name=f"Управление образования «{town}»", oktmo=oktmo, district=label, locality=town, index=index,
            municipal=True,
        )  # fmt: skip
        authorities.append(authority_id)
        units.append(Unit(
            index=index, municipality_id=municipality_id, authority_id=authority_id, top_authority_id=authority_id,
            oktmo=oktmo, name=label, locality=town, district_label=label, weight=0.5 + ctx.rng.random(),
            tax_office=index,
        ))  # fmt: skip
    return Territory(region_id=region_id, ministry_id=ministry_id, units=units, authorities=authorities)
