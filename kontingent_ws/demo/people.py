"""Persons of one municipality: families with an address and parents, children with documents.

A family is a surname, the father's first name (every child's patronymic), one address and the
registered representatives. About one child in seven joins an existing family of the same
municipality as a younger or elder sibling, so siblings share parents and address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from db.names import normalize_name
from kontingent_ws.demo import names, places
from kontingent_ws.demo.context import Context
from kontingent_ws.demo.names import FEMALE, MALE, FullName
from kontingent_ws.demo.territory import Unit

SIBLING_SHARE = 0.14
POOL_SIZE = 400
PASSPORT_AGE = 14
REGISTRATION = "1"
BIRTH_CERTIFICATE, PASSPORT_RF = "03", "21"
PASSPORT_ISSUER = "ГУ МВД России по Демонстрационной области"


@dataclass(slots=True, kw_only=True)
class Family:
    surname: int
    father: int
    address_id: int
    representatives: list[tuple[int, str, str | None]] = field(default_factory=list)
    """(person id, representative kind, document of authority)."""
    births: list[dt.date] = field(default_factory=list)


def years_between(born: dt.date, on: dt.date) -> int:
    """Full years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def birthday(born: dt.date, years: int) -> dt.date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return dt.date(born.year + years, 3, 1)


class UnitPeople:
    """Creates the persons of one municipality; the sibling pool lives as long as the unit is generated."""

    def __init__(self, ctx: Context, unit: Unit):
        self.ctx = ctx
        self.unit = unit
        self.addresses = places.AddressMaker(ctx.rng, oktmo8=unit.oktmo, district=unit.district_label,
                                             locality=unit.locality, postal_prefix=unit.postal_prefix)  # fmt: skip
        self.registry_office = f"Отдел ЗАГС администрации: {unit.name}"
        self.pool: list[Family] = []

    def person(self, name: FullName, born: dt.date, *, snils: bool = True, inn: bool = False,
               contacts: bool = False, citizenship: str = "1") -> int:  # fmt: skip
        ctx, rng = self.ctx, self.ctx.rng
        person_id = ctx.ids("person")
        phone = places.phone(rng) if contacts else None
        email = f"p{person_id}@mail.demo-region.example" if contacts and rng.random() < 0.5 else None
        ctx.add("person", (
            person_id, name.last, name.first, name.middle, normalize_name(name.last),
            normalize_name(name.first), normalize_name(name.middle), name.sex, born,
            f"г. {self.unit.locality}", citizenship, ctx.requisites.snils() if snils else None,
            ctx.requisites.person_inn() if inn else None, phone, email,
        ))  # fmt: skip
        return person_id

    def documents(self, person_id: int, born: dt.date) -> None:
        """A birth certificate, plus a passport of РФ once the person is 14 by the snapshot date."""
        ctx, rng = self.ctx, self.ctx.rng
        series, number = ctx.requisites.birth_certificate(rng)
        issued = born + dt.timedelta(days=5 + rng.randrange(30))
        age = years_between(born, ctx.as_of)
        ctx.add("identity_document", (ctx.ids("identity_document"), person_id, BIRTH_CERTIFICATE, series, number,
                                      issued, self.registry_office, age < PASSPORT_AGE))  # fmt: skip
        if age >= PASSPORT_AGE:
            self.passport(person_id, born, 20 if age >= 20 else PASSPORT_AGE)

    def passport(self, person_id: int, born: dt.date, at_age: int) -> None:
        ctx = self.ctx
        issued = min(birthday(born, at_age) + dt.timedelta(days=7 + ctx.rng.randrange(50)), ctx.as_of)
        series, number = ctx.requisites.passport(issued.year)
        ctx.add("identity_document", (ctx.ids("identity_document"), person_id, PASSPORT_RF, series, number, issued,
                                      PASSPORT_ISSUER, True))  # fmt: skip

    def register_address(self, person_id: int, address_id: int) -> None:
        self.ctx.add("person_address", (self.ctx.ids("person_address"), person_id, REGISTRATION, address_id))

    def adult(self, name: FullName, child_born: dt.date) -> int:
        rng = self.ctx.rng
        born = child_born - dt.timedelta(days=365 * (21 + rng.randrange(19)) + rng.randrange(365))
        person_id = self.person(name, born, inn=rng.random() < 0.35, contacts=True)
        self.passport(person_id, born, 20 if years_between(born, self.ctx.as_of) < 45 else 45)
        return person_id

    def new_family(self, child_born: dt.date) -> Family:
        ctx, rng = self.ctx, self.ctx.rng
        surname, father = rng.randrange(len(names.SURNAMES)), rng.randrange(len(names.FATHERS))
        address_id = ctx.ids("address")
        ctx.add("address", self.addresses.make(address_id, apartment=True))
        family = Family(surname=surname, father=father, address_id=address_id)
        roll = rng.random()
        if roll < 0.01:
            guardian = self.adult(names.adult_name(rng), child_born - dt.timedelta(days=7300))
            order = f"Постановление об установлении опеки № {rng.randrange(1, 999)}-п"
            family.representatives.append((guardian, "2", order))
        else:
            if roll < 0.93:
                family.representatives.append((self.adult(names.mother_name(rng, surname), child_born), "1", None))
            if roll >= 0.93 or rng.random() < 0.7:
                family.representatives.append(
                    (self.adult(names.father_name(rng, surname, father), child_born), "1", None)
                )
        for person_id, _kind, _document in family.representatives:
            self.register_address(person_id, address_id)
        return family

    def family_for(self, born: dt.date) -> Family:
        """An existing family (a sibling at least 11 months apart) or a new one."""
        rng = self.ctx.rng
        if self.pool and rng.random() < SIBLING_SHARE:
            family = self.pool[int(rng.random() * len(self.pool))]
            if all(abs((born - other).days) > 330 for other in family.births):
                return family
        family = self.new_family(born)
        if len(self.pool) < POOL_SIZE:
            self.pool.append(family)
        else:
            self.pool[int(rng.random() * POOL_SIZE)] = family
        return family

    def child(self, born: dt.date, *, sex: str | None = None) -> tuple[int, Family, str]:
        """A child with documents and registered address; returns (person id, family, sex)."""
        rng = self.ctx.rng
        family = self.family_for(born)
        family.births.append(born)
        sex = sex or (MALE if rng.random() < 0.51 else FEMALE)
        citizenship = "1" if rng.random() < 0.99 else "2"
        person_id = self.person(names.child_name(rng, sex, family.surname, family.father), born,
                                snils=rng.random() < 0.995, citizenship=citizenship)  # fmt: skip
        self.documents(person_id, born)
        self.register_address(person_id, family.address_id)
        return person_id, family, sex

    def link_representatives(self, student_id: int, family: Family) -> None:
        ctx = self.ctx
        for number, (person_id, kind, document) in enumerate(family.representatives):
            valid_from = None if document is None else ctx.as_of - dt.timedelta(days=400)
            ctx.add("legal_representative", (ctx.ids("legal_representative"), student_id, person_id, kind, document,
                                             valid_from, number == 0))  # fmt: skip
