"""Row errors found against the database (the adapters find the others before any lookup).

They are ``adapters.rowerrors.RowError`` values like the adapters' own, so the reply, the load
journal and the Excel error sheet treat both alike.
"""

from __future__ import annotations

from types import MappingProxyType

from adapters.rowerrors import ErrorTemplate, RowError

INTAKE_TEMPLATES = MappingProxyType(
    {
        "AMBIGUOUS_PERSON": ErrorTemplate(
            template="Найдено несколько лиц с такими ФИО, датой рождения и полом ({candidates}); "
            "укажите СНИЛС – запись не сопоставлена"
        ),
        "SNILS_CONFLICT": ErrorTemplate(
            template="Лицо с такими ФИО, датой рождения и полом уже есть в реестре с другим СНИЛС ({known})"
        ),
        "ENROLMENT_OVERLAP": ErrorTemplate(
            template="Период обучения с {value} пересекается с другим зачислением в эту организацию (с {other_entry})"
        ),
        "TRANSFER_CONFLICT": ErrorTemplate(
            template="Обучающийся зачислен в другую организацию с {other_entry}, не раньше даты {value}"
        ),
        "SUBJECT_NOT_MAPPED": ErrorTemplate(
            template="Предмет «{value}» не сопоставлен с базовым справочником: результат экзамена не загружен"
        ),
        "PERSON_INCOMPLETE": ErrorTemplate(
            template="Лицо «{value}» не найдено в реестре, а для регистрации нужны дата рождения и пол",
            severity="warning",
        ),
        "PERSON_UNREGISTERED": ErrorTemplate(
            template="Лицо «{value}» не найдено в реестре, а для регистрации нужны дата рождения и пол: "
            "строка не загружена"
        ),
        "ORGANIZATION_MISMATCH": ErrorTemplate(
            template="Сведения об организации с ИНН {value} не относятся к организации пакета (ИНН {header_inn})"
        ),
        "UNKNOWN_MUNICIPALITY": ErrorTemplate(
            template="Муниципальное образование с ОКТМО {value} не найдено в реестре"
        ),
        "UNKNOWN_ORGANIZATION": ErrorTemplate(
            template="Организация с ИНН {value} не найдена в реестре (или ИНН без КПП принадлежит нескольким)"
        ),
        "SECTION_NOT_LOADED": ErrorTemplate(template="Раздел «{value}» в этой версии не загружается"),
        "PRIORITY_KEPT": ErrorTemplate(
            template="Значение «{field_name}» не изменено: его передал поставщик «{provider}» с более высоким "
            "приоритетом",
            severity="warning",
        ),
    }
)
"""Codes of the database-stage row errors with their Russian templates."""


def intake_error(
    code: str, *, section: str, row: int, ref: str | None, field: str, value: str | None, **params: object
) -> RowError:
    """A database-stage row error with the code's message."""
    template = INTAKE_TEMPLATES[code]
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
