"""Row errors: bad input is data, not an exception.

A ``RowError`` says which row of which section failed, in which field, with which value, under a
stable machine code and a Russian message rendered from the code's template. The same records feed
the SOAP reply, the load journal and the Excel error sheet; tests compare them through ``flat()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, kw_only=True)
class ErrorTemplate:
    """How one row-error code reads and how serious it is."""

    template: str
    """Russian message; ``{value}`` and the code's own placeholders are filled by ``row_error``."""
    severity: Severity = "error"
    """``error`` rejects the row; ``warning`` keeps it and reports the doubt."""


ROW_ERROR_TEMPLATES = MappingProxyType(
    {
        "REQUIRED": ErrorTemplate(template="Не заполнено обязательное поле"),
        "BAD_FORMAT": ErrorTemplate(template="Значение «{value}» не соответствует формату: {expected}"),
        "TOO_LONG": ErrorTemplate(template="Значение длиннее {max_length} символов"),
        "BAD_DATE": ErrorTemplate(template="Некорректная дата «{value}» (ожидается ГГГГ-ММ-ДД)"),
        "BAD_NUMBER": ErrorTemplate(template="Значение «{value}» не является числом"),
        "BAD_SCHOOL_YEAR": ErrorTemplate(template="Учебный год «{value}»: второй год должен следовать за первым"),
        "DATE_IN_FUTURE": ErrorTemplate(template="Дата {value} позже даты формирования пакета {limit}"),
        "UNKNOWN_CODE": ErrorTemplate(template="Код «{value}» отсутствует в справочнике «{classifier}»"),
        "UNKNOWN_REF": ErrorTemplate(template="Ссылка «{value}» не найдена в разделе «{target}»"),
        "REF_REJECTED": ErrorTemplate(template="Запись «{value}» раздела «{target}» отклонена из-за ошибок"),
        "DUPLICATE_REF": ErrorTemplate(template="Идентификатор «{value}» уже встречался в разделе"),
        "MISSING_COLUMN": ErrorTemplate(template="Нет обязательного столбца «{value}»"),
        "EXIT_BEFORE_ENTRY": ErrorTemplate(template="Дата выбытия {value} раньше даты зачисления {entry_date}"),
        "END_BEFORE_START": ErrorTemplate(template="Дата окончания {value} раньше даты начала {start_date}"),
        "BIRTH_DATE_IMPLAUSIBLE": ErrorTemplate(
            template="Возраст обучающегося на дату зачисления ({age}, дата рождения {birth_date}) "
            "неправдоподобен для уровня «{level}»: допустимо {age_min}–{age_max}"
        ),
        "MARK_VALUE_INVALID": ErrorTemplate(template="Отметка «{value}» недопустима для шкалы «{scale}»"),
        "BASE_SUBJECT_MISSING": ErrorTemplate(
            template="Предмет «{value}» не сопоставлен с базовым справочником учебных предметов", severity="warning"
        ),
        "GRADE_OUT_OF_RANGE": ErrorTemplate(template="Номер класса {value} вне допустимого диапазона 1–12"),
        "SNILS_FORMAT": ErrorTemplate(template="СНИЛС «{value}» должен состоять из 11 цифр (XXX-XXX-XXX YY)"),
        "SNILS_CHECKSUM": ErrorTemplate(template="Неверное контрольное число СНИЛС «{value}»"),
        "INN_FORMAT": ErrorTemplate(template="ИНН «{value}» имеет неверную длину или содержит не только цифры"),
        "INN_CHECKSUM": ErrorTemplate(template="Неверное контрольное число ИНН «{value}»"),
        "OGRN_FORMAT": ErrorTemplate(template="ОГРН «{value}» имеет неверный формат"),
        "OGRN_CHECKSUM": ErrorTemplate(template="Неверное контрольное число ОГРН «{value}»"),
        "KPP_FORMAT": ErrorTemplate(template="КПП «{value}» имеет неверный формат"),
        "OKTMO_FORMAT": ErrorTemplate(template="Код ОКТМО «{value}» должен состоять из 8 или 11 цифр"),
        "BIRTH_CERTIFICATE_FORMAT": ErrorTemplate(
            template="Серия и номер свидетельства о рождении «{value}» не соответствуют формату «IV-АБ 123456»"
        ),
        "PASSPORT_FORMAT": ErrorTemplate(
            template="Серия и номер паспорта гражданина РФ «{value}» не соответствуют формату «99 99 999999»"
        ),
        "BAD_DATE_DMY": ErrorTemplate(template="Некорректная дата «{value}» (ожидается ДД.ММ.ГГГГ)"),
        "UNKNOWN_NAME": ErrorTemplate(template="Значение «{value}» отсутствует в справочнике «{classifier}»"),
        "UNMAPPED_NAME": ErrorTemplate(
            template="Значение «{value}» не сопоставлено со справочником «{classifier}» и не загружено",
            severity="warning",
        ),
        "OTHER_ORGANIZATION": ErrorTemplate(
            template="ИНН организации {value} отличается от ИНН {expected}: один файл – одна организация"
        ),
        "STUDENT_NOT_IDENTIFIED": ErrorTemplate(
            template="Обучающийся не определён: укажите СНИЛС или дату рождения вместе с фамилией и именем"
        ),
        "BAD_FULL_NAME": ErrorTemplate(template="ФИО «{value}» не делится на фамилию, имя и отчество"),
        "BAD_CLASS_NAME": ErrorTemplate(template="Класс «{value}» не имеет вида «номер и буква» (например, 5А)"),
    }
)
"""Every row-error code with its Russian template and default severity."""


@dataclass(frozen=True, kw_only=True)
class RowError:
    """One problem found in one row of provider input."""

    code: str
    """Stable machine code, a key of ``ROW_ERROR_TEMPLATES``."""
    row: int
    """1-based position of the row in its section (a packet element, an Excel row)."""
    field: str
    """Name of the offending field (an element or attribute name, a column header)."""
    value: str | None
    """The value as received, ``None`` when it was missing."""
    message: str
    """Russian message for the person who fixes the data."""
    severity: Severity = "error"
    """``error`` rejects the row, ``warning`` keeps it."""
    section: str = ""
    """Section of the input (``Students``, ``Enrolments``, a sheet name …)."""
    ref: str | None = None
    """The provider's own identifier of the row, when it has one."""

    def flat(self) -> tuple[str, int, str | None, str, str, str | None]:
        """``(section, row, ref, field, code, value)``: what tests and journals compare."""
        return (self.section, self.row, self.ref, self.field, self.code, self.value)


def row_error(
    code: str,
    *,
    row: int,
    field: str,
    value: str | None = None,
    section: str = "",
    ref: str | None = None,
    **params: object,
) -> RowError:
    """Build a ``RowError`` whose message is the code's template filled with ``value`` and ``params``."""
    template = ROW_ERROR_TEMPLATES[code]
    return RowError(
        code=code,
        row=row,
        field=field,
        value=value,
        message=template.template.format(value="" if value is None else value, **params),
        severity=template.severity,
        section=section,
        ref=ref,
    )


def has_errors(errors: Iterable[RowError]) -> bool:
    """Whether any of ``errors`` rejects its row (warnings do not)."""
    return any(error.severity == "error" for error in errors)


def flatten(errors: Iterable[RowError]) -> list[tuple[str, int, str | None, str, str, str | None]]:
    """``flat()`` of every error, in the order given."""
    return [error.flat() for error in errors]
