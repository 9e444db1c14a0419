"""Unique, valid identifiers for the demo region: СНИЛС, ИНН, КПП, ОГРН, ОКПО, document numbers.

Check digits come from ``adapters.identifiers``; uniqueness comes from counters, scrambled by a
seed-dependent bijection so consecutive people do not get consecutive numbers.
"""

from __future__ import annotations

import random

from adapters.identifiers import make_inn_org, make_inn_person, make_ogrn, make_snils

_SNILS_FIRST = 2_000_000
_SNILS_SPAN = 997_000_000
_SNILS_STEP = 387_420_489  # 3**18: coprime with the span (2**6 * 5**6 * 997), so k -> body is a bijection

ROMAN_SERIES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
SERIES_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"


def okpo_check_digit(body: str) -> str:
    """ОКПО check digit: weights 1, 2, … mod 11; on 10 weights 3, 4, … mod 11; 10 again → 0."""
    for shift in (1, 3):
        remainder = sum(int(digit) * ((i + shift - 1) % 10 + 1) for i, digit in enumerate(body)) % 11
        if remainder < 10:
            return str(remainder)
    return "0"


class Requisites:
    """Counters behind every identifier the generator hands out."""

    def __init__(self, seed: int, region_code: str):
        self.region = region_code
        self._snils_offset = random.Random(f"snils:{seed}").randrange(_SNILS_SPAN)
        self._snils = 0
        self._org = 0
        self._person_inn = 0
        self._passport = 0
        self._certificate = 0
        self._document = 0

    def snils(self) -> str:
        body = _SNILS_FIRST + (self._snils_offset + self._snils * _SNILS_STEP) % _SNILS_SPAN
        self._snils += 1
        return make_snils(body)

    def organization(self, tax_office: int, registered_year: int) -> tuple[str, str, str, str]:
        """(ИНН, КПП, ОГРН, ОКПО) of a new legal entity registered by ``tax_office``."""
        self._org += 1
        office = f"{self.region}{tax_office % 100:02d}"
        inn = make_inn_org(int(f"{office}{self._org:05d}"))
        kpp = f"{office}01001"
        ogrn = make_ogrn(int(f"1{registered_year % 100:02d}{office}{self._org:05d}"))
        okpo_body = f"{self.region}{self._org:05d}"[-7:]
        return inn, kpp, ogrn, okpo_body + okpo_check_digit(okpo_body)

    def person_inn(self) -> str:
        self._person_inn += 1
        return make_inn_person(int(f"{self.region}{self._person_inn:08d}"[-10:]))

    def passport(self, issue_year: int) -> tuple[str, str]:
        """(series ``9925``, number) of a passport of РФ issued in the region."""
        self._passport += 1
        return f"{self.region}{issue_year % 100:02d}", f"{self._passport % 1_000_000:06d}"

    def birth_certificate(self, rng: random.Random) -> tuple[str, str]:
        """(series ``IV-АБ``, six-digit number)."""
        self._certificate += 1
        letters = rng.choice(SERIES_LETTERS) + rng.choice(SERIES_LETTERS)
        return f"{rng.choice(ROMAN_SERIES)}-{letters}", f"{self._certificate % 1_000_000:06d}"

    def document_number(self) -> str:
        """A unique number for an education document (аттестат, свидетельство)."""
        self._document += 1
        return f"{self._document:07d}"
