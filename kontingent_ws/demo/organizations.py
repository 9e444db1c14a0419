"""Educational organizations of every type with requisites, addresses, contacts and branches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from db.names import normalize_name
from kontingent_ws.demo import places
from kontingent_ws.demo.context import Context
from kontingent_ws.demo.names import adult_name, short_form
from kontingent_ws.demo.sizes import split
from kontingent_ws.demo.systems import Systems, attach_providers
from kontingent_ws.demo.territory import Territory, Unit

PRESCHOOL, SCHOOL, ADAPTED, COLLEGE, ADDITIONAL = "11", "12", "13", "14", "16"
PRESCHOOL_SHARE, COLLEGE_SHARE, ADAPTED_SHARE = 0.22, 0.07, 0.01
KINDERGARTEN_NAMES = ("Солнышко", "Ромашка", "Колокольчик", "Теремок", "Радуга", "Светлячок", "Березка", "Сказка",
                      "Ласточка", "Золотой ключик", "Улыбка", "Родничок")  # fmt: skip
COLLEGE_PROFILES = ("политехнический колледж", "педагогический колледж", "медицинский колледж",
                    "колледж сервиса и туризма", "аграрный техникум", "индустриальный техникум")  # fmt: skip
ADDITIONAL_NAMES = (("Дом детского творчества", "ДДТ"), ("Центр детского технического творчества", "ЦДТТ"),
                    ("Детско-юношеская спортивная школа", "ДЮСШ"), ("Детская школа искусств", "ДШИ"))  # fmt: skip


@dataclass(slots=True, kw_only=True)
class ClassPlan:
    id: int
    name: str
    grade: int | None
    capacity: int
    pupils: int
    level: str
    programme: str
    specialty: str | None = None
    age_band: str | None = None
    is_adapted: bool = False


@dataclass(slots=True, kw_only=True)
class Org:
    """An organization as the later steps need it."""

    id: int
    type_code: str
    unit: Unit
    short_name: str
    size: int
    period_scheme: str
    providers: list[int]
    classes: list[ClassPlan] = field(default_factory=list)
    subjects: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    """Grade → (local subject id, base subject code or "") of the subjects marked in that grade."""
    periods: list[tuple[int, dt.date, dt.date]] = field(default_factory=list)


def _add_org(
    ctx: Context, unit: Unit, parent_id: int, type_code: str, full_name: str, short_name: str, *,
    municipal: bool, private: bool = False, size: int, providers: list[int],
) -> Org:  # fmt: skip
    rng = ctx.rng
    org_id = ctx.ids("org_unit")
    ctx.parents[org_id] = parent_id
    founded = dt.date(1950 + rng.randrange(70), rng.randrange(1, 13), rng.randrange(1, 29))
    inn, kpp, ogrn, okpo = ctx.requisites.organization(unit.tax_office, max(2002, founded.year))
    maker = places.AddressMaker(rng, oktmo8=unit.oktmo, district=unit.district_label, locality=unit.locality,
                                postal_prefix=unit.postal_prefix)  # fmt: skip
    address_id = ctx.ids("address")
    ctx.add("address", maker.make(address_id, apartment=False, village_share=0.15))
    if private:
        okopf, okfs = "75500", "16"
    elif municipal:
        okopf, okfs = rng.choice(("75403", "75403", "75401", "75404")), "14"
    else:
        okopf, okfs = rng.choice(("75203", "75201")), "13"
    slug = f"{type_code}-{org_id}"
    ctx.add("org_unit", (
        org_id, "organization", parent_id, unit.municipality_id, f"{ctx.config.region_code}-O{org_id:06d}",
        full_name, short_name, normalize_name(full_name), inn, kpp, ogrn, okpo, unit.oktmo, okopf, okfs, "1",
        short_form(adult_name(rng)), places.landline(rng, 800 + unit.index % 100), None,
        f"org{slug}@{ctx.config.region_code}.demo-region.example", f"https://org{slug}.demo-region.example",
        address_id, address_id,
    ))  # fmt: skip
    license_number = f"Л035-01{rng.randrange(100, 999)}-{ctx.config.region_code}/{rng.randrange(10**8):08d}"
    accreditation = None if type_code in (PRESCHOOL, ADDITIONAL) else f"А007-01{rng.randrange(100, 999)}-{org_id}"
    period_scheme = "trimester" if rng.random() < 0.2 else "quarter"
    ctx.add("organization", (
        org_id, type_code, "1" if type_code == PRESCHOOL else None, founded, license_number,
        dt.date(2012 + rng.randrange(12), rng.randrange(1, 13), rng.randrange(1, 29)), accreditation, period_scheme,
        unit.locality == places.CAPITAL or rng.random() < 0.6,
    ))  # fmt: skip
    if type_code in (SCHOOL, PRESCHOOL) and size > 100 and rng.random() < 0.1:
        _add_branch(ctx, org_id, short_name, kpp, maker)
    attach_providers(ctx, org_id, providers)
    ctx.change("organization", org_id, org_id, dt.date(ctx.year, 8, 1))
    unit.organizations.append(org_id)
    return Org(id=org_id, type_code=type_code, unit=unit, short_name=short_name, size=size,
               period_scheme=period_scheme, providers=providers)  # fmt: skip


def _add_branch(ctx: Context, org_id: int, short_name: str, kpp: str, maker: places.AddressMaker) -> None:
    address_id = ctx.ids("address")
    address = maker.make(address_id, apartment=False, village_share=1.0)
    ctx.add("address", address)
    locality = str(address[7])
    branch_kpp = kpp[:4] + "02" + kpp[6:]
    ctx.add("branch", (ctx.ids("branch"), org_id, f"Филиал {short_name} в {locality}", f"Филиал {short_name}",
                       branch_kpp, places.landline(ctx.rng, 800), None, "1", address_id))  # fmt: skip


def _school_names(ctx: Context, number: int) -> tuple[str, str]:
    roll = ctx.rng.random()
    if roll < 0.08:
        return f"«Гимназия № {number}»", f"гимназия № {number}"
    if roll < 0.16:
        return f"«Лицей № {number}»", f"лицей № {number}"
    return f"«Средняя общеобразовательная школа № {number}»", f"СОШ № {number}"


def build_organizations(ctx: Context, territory: Territory, systems: Systems) -> list[Org]:
    """Every organization of the region; sizes add up to exactly ``config.students``."""
    rng, total = ctx.rng, ctx.config.students
    preschool_total = round(total * PRESCHOOL_SHARE)
    college_total = round(total * COLLEGE_SHARE)
    adapted_total = max(1, round(total * ADAPTED_SHARE))
    school_total = total - preschool_total - college_total - adapted_total
    units = territory.units
    weights = [unit.weight for unit in units]
    orgs: list[Org] = []
    school_providers = systems.school_providers()
    for unit, preschool, school in zip(
        units, split(preschool_total, weights), split(school_total, weights), strict=True
    ):
        unit.students = preschool + school
        main_provider = school_providers[unit.index % len(school_providers)]
        for number, size in enumerate(_sizes(ctx, preschool, 140), start=1):
            private = number % 7 == 0
            title = f"«Детский сад № {number} «{KINDERGARTEN_NAMES[number % len(KINDERGARTEN_NAMES)]}»»"
            kind = "Частное" if private else "Муниципальное бюджетное"
            orgs.append(_add_org(
                ctx, unit, unit.authority_id, PRESCHOOL, f"{kind} дошкольное образовательное учреждение {title}",
                f"{'ЧДОУ' if private else 'МБДОУ'} д/с № {number}", municipal=not private, private=private,
                size=size, providers=[systems.preschool],
            ))  # fmt: skip
        for number, size in enumerate(_sizes(ctx, school, 550), start=1):
            full, short = _school_names(ctx, number)
            providers = [main_provider]
            if rng.random() < 0.2:
                providers.append(school_providers[(unit.index + 1) % len(school_providers)])
            orgs.append(_add_org(
                ctx, unit, unit.authority_id, SCHOOL, f"Муниципальное бюджетное общеобразовательное учреждение {full}",
                f"МБОУ {short}", municipal=True, size=size, providers=providers,
            ))  # fmt: skip
        for number in range(1, 2 + unit.students // 6000):
            full, short = ADDITIONAL_NAMES[(unit.index + number) % len(ADDITIONAL_NAMES)]
            orgs.append(_add_org(
                ctx, unit, unit.authority_id, ADDITIONAL,
                f"Муниципальное бюджетное учреждение дополнительного образования «{full} № {number}»",
                f"МБУ ДО {short} № {number}", municipal=True, size=0, providers=[main_provider],
            ))  # fmt: skip
    for number, size in enumerate(_sizes(ctx, adapted_total, 150), start=1):
        unit = units[number % len(units)]
        orgs.append(_add_org(
            ctx, unit, territory.ministry_id, ADAPTED,
            f"Государственное казённое общеобразовательное учреждение «Школа-интернат № {number} для обучающихся "
            "с ограниченными возможностями здоровья»", f"ГКОУ школа-интернат № {number}", municipal=False,
            size=size, providers=[school_providers[0]],
        ))  # fmt: skip
    for number, size in enumerate(_sizes(ctx, college_total, 700), start=1):
        unit = units[(number - 1) % len(units)]
        profile = COLLEGE_PROFILES[number % len(COLLEGE_PROFILES)]
        title = f"«{unit.locality}ский {profile}»" if number > len(COLLEGE_PROFILES) else f"«{profile.capitalize()}»"
        orgs.append(_add_org(
            ctx, unit, territory.ministry_id, COLLEGE,
            f"Государственное бюджетное профессиональное образовательное учреждение {title}", f"ГБПОУ {title}",
            municipal=False, size=size, providers=[school_providers[1]],
        ))  # fmt: skip
    return orgs


def _sizes(ctx: Context, total: int, typical: int) -> list[int]:
    """Sizes of the organizations that share ``total`` pupils, about ``typical`` each (at least one org)."""
    count = max(1, round(total / typical))
    return split(total, [0.6 + 0.8 * ctx.rng.random() for _ in range(count)])
