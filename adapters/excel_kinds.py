"""Excel template kinds: which columns each template has, how they read, and how the template is marked.

A template is identified by a hidden sheet whose first cell reads ``kontingent:<kind>:<version>``;
its data sheet has the machine keys of the columns in a hidden first row, the Russian headers in
the second row and data from the third row on. Columns are found by their keys, so a renamed
header still reads; the header is what row errors name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from db import classifiers

META_SHEET = "kontingent"
"""Very hidden sheet holding the template mark in A1."""
LISTS_SHEET = "Справочники"
"""Hidden sheet the drop-down lists read from."""
INSTRUCTION_SHEET = "Инструкция"
META_PREFIX = "kontingent"
KEYS_ROW = 1
"""Row of the machine keys (hidden)."""
HEADER_ROW = 2
"""Row of the Russian headers."""
FIRST_DATA_ROW = 3
"""First row of data, as Excel numbers rows."""

ColumnType = Literal["text", "date", "choice", "identifier", "integer"]
"""``text`` free text; ``date`` ДД.ММ.ГГГГ; ``choice`` a name from a classifier; ``identifier`` digits kept as text
(СНИЛС, ИНН, ОКТМО); ``integer`` a whole number."""

TYPE_FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "text": "Текст",
        "date": "Дата ДД.ММ.ГГГГ",
        "choice": "Значение из списка",
        "identifier": "Цифры (хранится как текст, ведущие нули сохраняются)",
        "integer": "Целое число",
    }
)
"""How the instruction sheet describes each column type."""


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a template."""

    key: str
    """Machine key, written in the hidden first row."""
    header: str
    """Russian header; row errors name the column by it."""
    type: ColumnType
    required: bool = False
    """The cell must be filled (some columns are required only together with others: see ``help``)."""
    classifier: str | None = None
    """For ``choice``: the classifier whose names fill the drop-down list."""
    strict: bool = True
    """For ``choice``: only values of the list are accepted (``False``: the list only suggests)."""
    width: int = 18
    """Column width in characters."""
    help: str = ""
    """What the column means, for the instruction sheet."""


@dataclass(frozen=True, kw_only=True)
class TemplateKind:
    """One kind of template."""

    name: str
    """``students``, ``marks``, ``queue``."""
    version: str
    title: str
    """Russian title, also the data sheet's name."""
    section: str
    """Section the rows' errors are reported under (as in the XML packet)."""
    description: str
    """Russian: what one row is."""
    columns: tuple[Column, ...]

    @property
    def mark(self) -> str:
        """``kontingent:students:1.0``: what the hidden sheet says."""
        return f"{META_PREFIX}:{self.name}:{self.version}"

    def column(self, key: str) -> Column:
        """The column with machine key ``key``."""
        return next(column for column in self.columns if column.key == key)


def _person(prefix: str, whose: str, *, required: bool) -> tuple[Column, ...]:
    return (
        Column(key=f"{prefix}last_name", header=f"Фамилия{whose}", type="text", required=required, width=20,
               help=f"Фамилия{whose}"),
        Column(key=f"{prefix}first_name", header=f"Имя{whose}", type="text", required=required, width=16,
               help=f"Имя{whose}"),
        Column(key=f"{prefix}middle_name", header=f"Отчество{whose}", type="text", width=20,
               help=f"Отчество{whose} (при наличии)"),
    )


SNILS_HELP = "11 цифр, можно с дефисами и пробелом: 112-233-445 95"
ORG_INN = Column(
    key="org_inn", header="ИНН организации", type="identifier", required=True, width=14,
    help="ИНН образовательной организации, 10 цифр; во всех строках файла один и тот же",
)

STUDENTS = TemplateKind(
    name="students",
    version="1.0",
    title="Обучающиеся",
    section="Students",
    description="Одна строка – один обучающийся: личные данные, документ, адрес, контакты, один законный "
    "представитель и текущее зачисление в организацию.",
    columns=(
        *_person("", "", required=True),
        Column(key="sex", header="Пол", type="choice", required=True, classifier=classifiers.SEX, width=10),
        Column(key="birth_date", header="Дата рождения", type="date", required=True, width=14),
        Column(key="citizenship", header="Гражданство", type="choice", required=True,
               classifier=classifiers.CITIZENSHIP, width=30),
        Column(key="snils", header="СНИЛС", type="identifier", width=16, help=SNILS_HELP),
        Column(key="document_type", header="Документ, удостоверяющий личность", type="choice",
               classifier=classifiers.IDENTITY_DOCUMENT_TYPE, width=30,
               help="Вид документа; если указан, обязателен номер"),
        Column(key="document_series", header="Серия документа", type="identifier", width=12,
               help="Свидетельство о рождении: IV-АБ; паспорт РФ: 4 цифры"),
        Column(key="document_number", header="Номер документа", type="identifier", width=14),
        Column(key="document_issue_date", header="Дата выдачи документа", type="date", width=14),
        Column(key="document_issuer", header="Кем выдан документ", type="text", width=30),
        Column(key="address", header="Адрес регистрации по месту жительства", type="text", width=40,
               help="Адрес одной строкой"),
        Column(key="postal_code", header="Почтовый индекс", type="identifier", width=10),
        Column(key="phone", header="Телефон", type="identifier", width=16),
        Column(key="email", header="Электронная почта", type="text", width=22),
        Column(key="rep_kind", header="Вид законного представителя", type="choice",
               classifier=classifiers.REPRESENTATIVE_KIND, width=22,
               help="Если указан, обязательны фамилия и имя представителя"),
        *_person("rep_", " представителя", required=False),
        Column(key="rep_snils", header="СНИЛС представителя", type="identifier", width=16, help=SNILS_HELP),
        Column(key="rep_phone", header="Телефон представителя", type="identifier", width=16),
        Column(key="rep_email", header="Электронная почта представителя", type="text", width=22),
        ORG_INN,
        Column(key="class_name", header="Класс (группа)", type="text", width=12,
               help="Для школьных программ – номер и буква класса: 5А, 10Б"),
        Column(key="school_year", header="Учебный год", type="text", width=12,
               help="Вида 2025/2026; обязателен, если указан класс"),
        Column(key="program_kind", header="Вид образовательной программы", type="choice", required=True,
               classifier=classifiers.PROGRAM_KIND, width=40),
        Column(key="education_level", header="Уровень образования", type="choice",
               classifier=classifiers.EDUCATION_LEVEL, width=30,
               help="Если не указан – по виду программы (для адаптированной программы обязателен)"),
        Column(key="education_form", header="Форма обучения", type="choice", required=True,
               classifier=classifiers.EDUCATION_FORM, width=16),
        Column(key="entry_date", header="Дата зачисления", type="date", required=True, width=14),
        Column(key="entry_reason", header="Основание зачисления", type="choice", required=True,
               classifier=classifiers.ENTRY_REASON, width=30),
    ),
)

MARKS = TemplateKind(
    name="marks",
    version="1.0",
    title="Отметки",
    section="PeriodMarks",
    description="Одна строка – одна отметка за учебный период, годовая или итоговая отметка обучающегося по предмету. "
    "Обучающийся определяется по СНИЛС или по фамилии, имени и дате рождения.",
    columns=(
        Column(key="snils", header="СНИЛС обучающегося", type="identifier", width=16,
               help=f"{SNILS_HELP}; если не указан, обязательна дата рождения"),
        *_person("", " обучающегося", required=True),
        Column(key="birth_date", header="Дата рождения", type="date", width=14,
               help="Обязательна, если не указан СНИЛС"),
        ORG_INN,
        Column(key="subject", header="Предмет", type="choice", required=True, classifier=classifiers.SUBJECTS,
               strict=False, width=30,
               help="Название предмета в организации; список – базовый справочник, допускается и своё название"),
        Column(key="school_year", header="Учебный год", type="text", required=True, width=12,
               help="Вида 2025/2026"),
        Column(key="mark_kind", header="Вид отметки", type="choice", required=True,
               classifier=classifiers.PERIOD_MARK_KIND, width=26),
        Column(key="period_kind", header="Учебный период", type="choice", classifier=classifiers.STUDY_PERIOD_KIND,
               width=14, help="Обязателен для отметки за учебный период"),
        Column(key="period_number", header="Номер периода", type="integer", width=10,
               help="1, 2, 3 …; обязателен для отметки за учебный период"),
        Column(key="period_start", header="Начало периода", type="date", width=14,
               help="Обязательно для отметки за учебный период"),
        Column(key="period_end", header="Окончание периода", type="date", width=14,
               help="Обязательно для отметки за учебный период"),
        Column(key="scale", header="Шкала", type="choice", required=True, classifier=classifiers.MARK_SCALE,
               width=20),
        Column(key="value", header="Отметка", type="choice", classifier=classifiers.MARK_VALUE, strict=False,
               width=14, help="5, 4, 3, 2, 1; Зачтено, Не зачтено; для стобалльной шкалы – число от 0 до 100; "
               "для н/а и осв. не заполняется"),
    ),
)

QUEUE = TemplateKind(
    name="queue",
    version="1.0",
    title="Очередь в ДОО",
    section="QueueApplications",
    description="Одна строка – одно заявление о постановке ребёнка в очередь в дошкольные образовательные "
    "организации.",
    columns=(
        Column(key="number", header="Номер заявления", type="identifier", width=16),
        Column(key="submitted_date", header="Дата подачи заявления", type="date", required=True, width=14),
        *_person("child_", " ребёнка", required=True),
        Column(key="child_sex", header="Пол ребёнка", type="choice", required=True, classifier=classifiers.SEX,
               width=10),
        Column(key="child_birth_date", header="Дата рождения ребёнка", type="date", required=True, width=14),
        Column(key="child_snils", header="СНИЛС ребёнка", type="identifier", width=16, help=SNILS_HELP),
        Column(key="certificate_series", header="Серия свидетельства о рождении", type="identifier", width=12,
               help="Вида IV-АБ"),
        Column(key="certificate_number", header="Номер свидетельства о рождении", type="identifier", width=12,
               help="6 цифр"),
        Column(key="applicant_kind", header="Заявитель", type="choice", required=True,
               classifier=classifiers.REPRESENTATIVE_KIND, width=22, help="Кем заявитель приходится ребёнку"),
        *_person("applicant_", " заявителя", required=True),
        Column(key="applicant_snils", header="СНИЛС заявителя", type="identifier", width=16, help=SNILS_HELP),
        Column(key="applicant_phone", header="Телефон заявителя", type="identifier", width=16),
        Column(key="applicant_email", header="Электронная почта заявителя", type="text", width=22),
        Column(key="municipality_oktmo", header="ОКТМО муниципального образования", type="identifier",
               required=True, width=14, help="8 или 11 цифр"),
        Column(key="desired_date", header="Желаемая дата зачисления", type="date", required=True, width=14),
        Column(key="orientation", header="Направленность группы", type="choice", required=True,
               classifier=classifiers.GROUP_ORIENTATION, width=20),
        Column(key="compensating_profile", header="Профиль компенсирующей группы", type="choice",
               classifier=classifiers.COMPENSATING_PROFILE, width=30,
               help="Обязателен для компенсирующей направленности"),
        Column(key="regime", header="Режим пребывания", type="choice", required=True,
               classifier=classifiers.GROUP_REGIME, width=30),
        Column(key="privilege", header="Льгота", type="choice", classifier=classifiers.QUEUE_PRIVILEGE, width=24),
        Column(key="preferred_inns", header="ИНН желаемых организаций", type="identifier", required=True, width=30,
               help="ИНН через запятую в порядке приоритета: первый – самый желаемый"),
        Column(key="status", header="Статус заявления", type="choice", required=True,
               classifier=classifiers.QUEUE_STATUS, width=22),
        Column(key="status_date", header="Дата статуса", type="date", width=14),
    ),
)

KINDS: Mapping[str, TemplateKind] = MappingProxyType({kind.name: kind for kind in (STUDENTS, MARKS, QUEUE)})
"""Every template kind by name."""
