"""Value checks shared by every provider format: one raw value in, a checked value or a row error out.

Each ``check_*`` takes the ``RowSink`` of the row, the field name to report and the raw text as the
provider sent it (already stripped, never empty); it returns the checked value, or ``None`` after
recording the row error. Format readers (the XML packet, Excel, foreign formats) only locate the
raw values; what a valid value is lives here, once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from types import MappingProxyType

from adapters import identifiers
from adapters.records import MarkValue
from adapters.rowerrors import RowError, row_error
from db import classifiers
from db.dates import full_years

BIRTH_CERTIFICATE = "03"
"""``identity_document_type`` of a birth certificate of РФ."""
PASSPORT_RF = "21"
"""``identity_document_type`` of a passport of a citizen of РФ."""
UNVALUED_SCALES = frozenset({"na", "exempt"})
"""Scales whose only value is the scale itself («н/а», «осв.»)."""
HUNDRED = "hundred"
"""The hundred-point scale: the value is the score itself."""

NAME_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        classifiers.SEX: MappingProxyType({"м": "1", "муж": "1", "мужской": "1", "ж": "2", "жен": "2", "женский": "2"}),
        classifiers.MARK_VALUE: MappingProxyType({"зачёт": "pass", "зач": "pass", "незачёт": "fail", "незач": "fail"}),
    }
)
"""Spellings people use besides a classifier's own names, after ``name_key``."""
_DMY = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(kw_only=True)
class RowSink:
    """Errors of one row of one section."""

    section: str
    row: int
    ref: str | None
    errors: list[RowError] = field(default_factory=list)

    def fail(self, code: str, field_name: str, value: str | None, **params: object) -> None:
        """Record one error of this row."""
        self.errors.append(
            row_error(code, row=self.row, field=field_name, value=value, section=self.section, ref=self.ref, **params)
        )

    @property
    def rejected(self) -> bool:
        """Whether the row has an error that keeps it out of the batch."""
        errors = self.errors
        return bool(errors) and any(error.severity == "error" for error in errors)


def parse_dmy(text: str) -> date | None:
    """``ДД.ММ.ГГГГ`` (also with ``/``) or ``ГГГГ-ММ-ДД`` → a date; ``None`` when it is not a real date."""
    if match := _DMY.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def normalize_inn(value: str) -> str:
    """ИНН of an organization (10 digits) or of an individual entrepreneur (12 digits)."""
    digits = "".join(value.split())
    return identifiers.normalize_inn_person(digits) if len(digits) == 12 else identifiers.normalize_inn_org(digits)




def name_key(value: str) -> str:
    """How names are compared: case-folded, ``ё`` as ``е``, single spaces."""
    return " ".join(value.casefold().replace("ё", "е").split())


@cache
def _names(classifier: str) -> Mapping[str, str]:
    """Name (and code) → code of one classifier, keyed by ``name_key``; aliases first, then names."""
    found: dict[str, str] = {}
    for item in classifiers.items_of(classifier):
        found.setdefault(name_key(item.name), item.code)
    for item in classifiers.items_of(classifier):
        found.setdefault(name_key(item.code), item.code)
    for alias, code in NAME_ALIASES.get(classifier, {}).items():
        found.setdefault(name_key(alias), code)
    return MappingProxyType(found)


@lru_cache(maxsize=4096)
def code_by_name(classifier: str, raw: str) -> str | None:
    """The code whose Russian name (or code, or a known alias) is ``raw``, or ``None``."""
    return _names(classifier).get(name_key(raw))


def check_name(sink: RowSink, field_name: str, raw: str, classifier: str) -> str | None:
    """The code of the item named ``raw`` (as a drop-down list shows it), else ``UNKNOWN_NAME``."""
    code = code_by_name(classifier, raw)
    if code is None:
        sink.fail("UNKNOWN_NAME", field_name, raw, classifier=classifiers.title_of(classifier))
    return code


def check_code(sink: RowSink, field_name: str, raw: str, classifier: str) -> str | None:
    """``raw`` if it is a code of ``classifier``, else ``UNKNOWN_CODE``."""
    if classifiers.item_of(classifier, raw) is not None:
        return raw
    sink.fail("UNKNOWN_CODE", field_name, raw, classifier=classifiers.title_of(classifier))
    return None


def check_identifier(sink: RowSink, field_name: str, raw: str, normalize: Callable[[str], str]) -> str | None:
    """An identifier checked and normalised by one of ``adapters.identifiers``."""
    try:
        return normalize(raw)
    except identifiers.IdentifierError as exc:
        sink.fail(exc.code, field_name, raw)
        return None


def check_integer(sink: RowSink, field_name: str, raw: str) -> int | None:
    """A whole number."""
    try:
        return int(raw)
    except ValueError:
        sink.fail("BAD_NUMBER", field_name, raw)
        return None


def check_decimal(sink: RowSink, field_name: str, raw: str) -> Decimal | None:
    """A finite decimal number."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        sink.fail("BAD_NUMBER", field_name, raw)
        return None
    return value


def check_school_year(sink: RowSink, field_name: str, raw: str) -> str | None:
    """A school year ``2024/2025``: the second year must follow the first."""
    first, _, second = raw.partition("/")
    if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
        sink.fail("BAD_SCHOOL_YEAR", field_name, raw)
        return None
    return raw


def check_not_after(sink: RowSink, field_name: str, raw: str, value: date, limit: date | None) -> None:
    """A date later than ``limit`` (the input's creation date) is ``DATE_IN_FUTURE``."""
    if limit is not None and value > limit:
        sink.fail("DATE_IN_FUTURE", field_name, raw, limit=limit.isoformat())


def check_mark(sink: RowSink, field_name: str, scale: str, raw: str | None) -> MarkValue | None:
    """``raw`` as a mark of ``scale`` (a valid ``mark_scale`` code); ``None`` is the value of «н/а», «осв.»."""
    scale_name = classifiers.name_of(classifiers.MARK_SCALE, scale)
    if scale in UNVALUED_SCALES:
        if raw is not None and raw != scale:
            sink.fail("MARK_VALUE_INVALID", field_name, raw, scale=scale_name)
            return None
        return MarkValue(scale=scale, value=scale, numeric=None)
    if raw is None:
        sink.fail("REQUIRED", field_name, None)
        return None
    if scale == HUNDRED:
        if raw.isdigit() and 0 <= int(raw) <= 100:
            return MarkValue(scale=scale, value=str(int(raw)), numeric=Decimal(int(raw)))
    else:
        item = classifiers.item_of(classifiers.MARK_VALUE, raw)
        if item is not None and item.parent == scale:
            numeric = item.extra.get("numeric")
            return MarkValue(scale=scale, value=raw, numeric=None if numeric is None else Decimal(numeric))
    sink.fail("MARK_VALUE_INVALID", field_name, raw, scale=scale_name)
    return None


def check_identity_document(
    sink: RowSink, field_name: str, kind: str, series: str | None, number: str
) -> tuple[str | None, str] | None:
    """Series and number of an identity document; birth certificates and passports of РФ normalised."""
    try:
        if kind == BIRTH_CERTIFICATE:
            return identifiers.normalize_birth_certificate(series or "", number)
        if kind == PASSPORT_RF:
            return identifiers.normalize_passport_rf(f"{series or ''}{number}")
    except identifiers.IdentifierError as exc:
        sink.fail(exc.code, field_name, " ".join(part for part in (series, number) if part))
        return None
    return series, number


def check_age(sink: RowSink, field_name: str, *, level: str, birth: date, entry: date) -> None:
    """The age on the entry date must fit the level of education (``BIRTH_DATE_IMPLAUSIBLE``)."""
    item = classifiers.item_of(classifiers.EDUCATION_LEVEL, level)
    if item is None:
        return
    age = full_years(birth, entry)
    age_min, age_max = item.extra["age_min"], item.extra["age_max"]
    if not age_min <= age <= age_max:
        sink.fail(
            "BIRTH_DATE_IMPLAUSIBLE",
            field_name,
            level,
            age=age,
            birth_date=birth.isoformat(),
            level=item.name,
            age_min=age_min,
            age_max=age_max,
        )
