"""Russian identifiers: check, normalise, format, mask and (for demo data) generate.

Every ``normalize_*`` function takes what a provider sent and returns the canonical form stored in
the database (digits only for СНИЛС, ИНН, ОГРН, ОКТМО; ``IV-АБ`` for a birth-certificate series) or
raises ``IdentifierError`` whose ``code`` is a row-error code of ``adapters.rowerrors``. ИНН and
ОГРН checks come from python-stdnum; СНИЛС (absent from stdnum) and the ОГРНИП check digit are
written here, the latter because stdnum omits the final ``mod 10`` of the official rule.
"""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn


class IdentifierError(ValueError):
    """An identifier failed its check. ``code`` is stable (``SNILS_CHECKSUM`` …), ``message`` Russian."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")


def _digits(value: str) -> str:
    """``value`` without whitespace and dashes (what ``_SEPARATORS`` matches)."""
    if value.isdecimal():  # already clean: nothing to strip or remove
        return value
    compact = value.replace("-", "").replace(" ", "")
    if compact.isdecimal():  # only ASCII hyphens and spaces between the digits: the same as the regex
        return compact
    return _SEPARATORS.sub("", value.strip())


def _body(number: int, width: int) -> str:
    if not 0 <= number < 10**width:
        raise ValueError(f"expected a non-negative number of at most {width} digits")
    return f"{number:0{width}d}"


# --- СНИЛС -------------------------------------------------------------------------------------

SNILS_UNCHECKED_UP_TO = 1_001_998
"""Numbers up to 001-001-998 were issued before the check digits existed: they carry no check."""


def _snils_total(number9: str) -> int:
    return sum(int(digit) * weight for digit, weight in zip(number9, range(9, 0, -1), strict=True))


def _snils_check(total: int) -> str:
    if total < 100:
        check = total
    elif total in (100, 101):
        check = 0
    else:
        check = total % 101 % 100
    return f"{check:02d}"


_SNILS_PART_TOTALS = tuple(
    {f"{number:03d}": _snils_total("0" * start + f"{number:03d}" + "0" * (6 - start)) for number in range(1000)}
    for start in (0, 3, 6)
)
"""For each third of a СНИЛС body (ASCII digits): its three digits → their share of the weighted sum."""
_SNILS_CHECKS = tuple(_snils_check(total) for total in range(9 * 9 * 5 + 1))
"""Weighted sum of a body (at most 9 × 45) → its check digits."""


def snils_check_digits(number9: str) -> str:
    """The two check digits of a nine-digit СНИЛС body."""
    first, second, third = _SNILS_PART_TOTALS
    try:  # nine ASCII digits: three look-ups
        return _SNILS_CHECKS[first[number9[:3]] + second[number9[3:6]] + third[number9[6:]]]
    except KeyError:  # other digits or another length: the rule as written
        return _snils_check(_snils_total(number9))


def normalize_snils(value: str) -> str:
    """``112-233-445 95`` or ``11223344595`` → ``11223344595``."""
    digits = _digits(value)
    if len(digits) != 11 or not digits.isdecimal():  # what ``\d{11}`` matches: decimal digits of any script
        raise IdentifierError("SNILS_FORMAT", "СНИЛС должен состоять из 11 цифр (формат XXX-XXX-XXX YY)")
    body, check = digits[:9], digits[9:]
    if int(body) > SNILS_UNCHECKED_UP_TO and snils_check_digits(body) != check:
        raise IdentifierError("SNILS_CHECKSUM", "Неверное контрольное число СНИЛС")
    return digits


def is_valid_snils(value: str) -> bool:
    """Whether ``value`` is a СНИЛС in any accepted spelling with a correct check number."""
    try:
        normalize_snils(value)
    except IdentifierError:
        return False
    return True


def format_snils(digits: str) -> str:
    """``11223344595`` → ``112-233-445 95`` (the input must already be normalised)."""
    return f"{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:11]}"


def mask_snils(digits: str) -> str:
    """``11223344595`` → ``***-***-445 95``: what a list of persons shows."""
    return f"***-***-{digits[6:9]} {digits[9:11]}"


def make_snils(number9: int) -> str:
    """A valid СНИЛС (11 digits) with the body ``number9``, for demo and test data."""
    if number9 <= SNILS_UNCHECKED_UP_TO:
        raise ValueError("numbers up to 1001998 carry no check digits")
    body = _body(number9, 9)
    return body + snils_check_digits(body)


# --- ИНН ---------------------------------------------------------------------------------------


def _inn(value: str, length: int, what: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(rf"\d{{{length}}}", digits):
        raise IdentifierError("INN_FORMAT", f"ИНН {what} должен состоять из {length} цифр")
    try:
        return str(stdnum_inn.validate(digits))
    except ValidationError as exc:
        raise IdentifierError("INN_CHECKSUM", "Неверное контрольное число ИНН") from exc


def normalize_inn_org(value: str) -> str:
    """ИНН of an organization: 10 digits with a correct check digit."""
    return _inn(value, 10, "организации")


def normalize_inn_person(value: str) -> str:
    """ИНН of a person: 12 digits with two correct check digits."""
    return _inn(value, 12, "физического лица")


def make_inn_org(number9: int) -> str:
    """A valid organization ИНН whose first nine digits are ``number9`` (zero-padded)."""
    body = _body(number9, 9)
    return body + str(stdnum_inn.calc_company_check_digit(body))


def make_inn_person(number10: int) -> str:
    """A valid personal ИНН whose first ten digits are ``number10`` (zero-padded)."""
    body = _body(number10, 10)
    return body + str(stdnum_inn.calc_personal_check_digits(body))


# --- ОГРН / ОГРНИП -----------------------------------------------------------------------------


def ogrnip_check_digit(number14: str) -> str:
    """Check digit of an ОГРНИП: the first 14 digits mod 13, then mod 10."""
    return str(int(number14) % 13 % 10)


def normalize_ogrn(value: str) -> str:
    """ОГРН of a legal entity: 13 digits, not starting with 0, correct check digit."""
    digits = _digits(value)
    if not re.fullmatch(r"[1-9]\d{12}", digits):
        raise IdentifierError("OGRN_FORMAT", "ОГРН должен состоять из 13 цифр и не начинаться с 0")
    try:
        return str(stdnum_ogrn.validate(digits))
    except InvalidChecksum as exc:
        raise IdentifierError("OGRN_CHECKSUM", "Неверное контрольное число ОГРН") from exc


def normalize_ogrnip(value: str) -> str:
    """ОГРНИП of an individual entrepreneur: 15 digits starting with 3 or 4, correct check digit."""
    digits = _digits(value)
    if not re.fullmatch(r"[34]\d{14}", digits):
        raise IdentifierError("OGRN_FORMAT", "ОГРНИП должен состоять из 15 цифр и начинаться с 3 или 4")
    if ogrnip_check_digit(digits[:14]) != digits[14]:
        raise IdentifierError("OGRN_CHECKSUM", "Неверное контрольное число ОГРНИП")
    return digits


def make_ogrn(number12: int) -> str:
    """A valid ОГРН whose first twelve digits are ``number12`` (the first of them not 0)."""
    if not 100_000_000_000 <= number12 < 1_000_000_000_000:
        raise ValueError("number12 must have exactly twelve digits")
    return f"{number12}{number12 % 11 % 10}"


def make_ogrnip(number14: int) -> str:
    """A valid ОГРНИП whose first fourteen digits are ``number14`` (starting with 3 or 4)."""
    body = str(number14)
    if len(body) != 14 or body[0] not in "34":
        raise ValueError("number14 must have fourteen digits and start with 3 or 4")
    return body + ogrnip_check_digit(body)


# --- КПП, ОКТМО --------------------------------------------------------------------------------

_KPP = re.compile(r"\d{4}[\dA-Z]{2}\d{3}")


def normalize_kpp(value: str) -> str:
    """КПП: nine characters, positions 5–6 may be Latin capitals; there is no check digit."""
    kpp = _digits(value).upper()
    if not _KPP.fullmatch(kpp):
        raise IdentifierError("KPP_FORMAT", "КПП должен иметь формат NNNNPPNNN (P – цифра или латинская буква)")
    return kpp


def normalize_oktmo(value: str) -> str:
    """ОКТМО: 8 digits (municipality) or 11 digits (settlement or locality)."""
    digits = _digits(value)
    if not re.fullmatch(r"\d{8}|\d{11}", digits):
        raise IdentifierError("OKTMO_FORMAT", "Код ОКТМО должен состоять из 8 или 11 цифр")
    return digits


# --- identity documents ------------------------------------------------------------------------

_ROMAN_LOOKALIKES = str.maketrans({"1": "I", "У": "V", "Х": "X", "Л": "L", "С": "C", "І": "I"})
_CYRILLIC_LOOKALIKES = str.maketrans(
    {"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О", "P": "Р", "C": "С",
     "T": "Т", "X": "Х", "Y": "У"}
)  # fmt: skip
_ROMAN = re.compile(r"(?=[IVXLC])C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_SERIES_SPLIT = re.compile(r"^(.+?)[\s\-‐‑–—]*(..)$")


def normalize_birth_certificate(series: str, number: str) -> tuple[str, str]:
    """A birth certificate of РФ: series ``IV-АБ`` (Roman numeral, hyphen, two Russian capitals), six digits.

    Cyrillic look-alikes in the Roman part (``1 У Х Л С``) and Latin look-alikes in the letter part
    are replaced before the check. Returns ``(series, number)``.
    """
    normalized = _birth_certificate_series(series)
    digits = _digits(number)
    if normalized is None or len(digits) != 6 or not digits.isdecimal():
        raise IdentifierError("BIRTH_CERTIFICATE_FORMAT", _BIRTH_CERTIFICATE_MESSAGE)
    return normalized, digits


@lru_cache(maxsize=1024)
def _birth_certificate_series(series: str) -> str | None:
    """The series ``IV-АБ`` of a birth certificate, or ``None`` when it is not one (a file repeats a few)."""
    match = _SERIES_SPLIT.match(series.strip().upper())
    if match is None:
        return None
    roman = match.group(1).translate(_ROMAN_LOOKALIKES)
    letters = match.group(2).translate(_CYRILLIC_LOOKALIKES)
    if not _ROMAN.fullmatch(roman) or not re.fullmatch(r"[А-ЯЁ]{2}", letters):
        return None
    return f"{roman}-{letters}"


_BIRTH_CERTIFICATE_MESSAGE = (
    "Серия свидетельства о рождении должна иметь вид «римское число-две русские буквы» (например, IV-АБ), "
    "номер – 6 цифр"
)


def normalize_passport_rf(value: str) -> tuple[str, str]:
    """A passport of a citizen of РФ, ``45 09 123456`` in any spacing → ``("4509", "123456")``."""
    digits = re.sub(r"[\s\-№N]+", "", value.strip())
    if not re.fullmatch(r"\d{10}", digits):
        raise IdentifierError("PASSPORT_FORMAT", "Серия и номер паспорта гражданина РФ – 10 цифр (99 99 999999)")
    return digits[:4], digits[4:]


def format_passport_rf(series: str, number: str) -> str:
    """``("4509", "123456")`` → ``45 09 123456``."""
    return f"{series[:2]} {series[2:]} {number}"


def mask_document_number(value: str, visible: int = 2) -> str:
    """Hide every letter and digit but the last ``visible`` ones, keeping separators: ``** ** ****56``."""
    total = sum(char.isalnum() for char in value)
    seen = 0
    masked = []
    for char in value:
        if char.isalnum():
            seen += 1
            masked.append(char if seen > total - visible else "*")
        else:
            masked.append(char)
    return "".join(masked)
