"""Wire format of the EpguPerformance contract: the types of ``xsd/epgu-performance-1.0.0.xsd``.

The structure and names mirror the SMEV schema element by element, so a portal that speaks one
speaks the other; the choices of the schema (СНИЛС or name, representative or the pupil, school
year or dates) are optional elements here and are checked by the use case.
"""

from __future__ import annotations

from spyne import ComplexModel, Date, Decimal, Integer, Long, Unicode

from kontingent_ws.types.common import OptionalText, RequiredText, contract_namespace

NAMESPACE = contract_namespace("EpguPerformance")

SnilsText = Unicode(pattern=r"\d{11}|\d{3}-\d{3}-\d{3} \d{2}", type_name="Snils", __namespace__=NAMESPACE)
NameText = Unicode(min_len=1, max_len=100, type_name="PersonNamePart", __namespace__=NAMESPACE)
SchoolYearNumber = Integer(ge=2000, le=2100, type_name="SchoolYear", __namespace__=NAMESPACE)
RequiredDate = Date(min_occurs=1, nillable=False)
OptionalDate = Date(min_occurs=0, nillable=False)
RequiredInt = Integer(min_occurs=1, nillable=False)

MarkScale = Unicode(
    values=["five_point", "pass_fail", "hundred", "na", "exempt"],
    type_name="MarkScale",
    __namespace__=NAMESPACE,
    doc="Шкала оценивания: five_point – пятибалльная, pass_fail – зачёт/незачёт, hundred – стобалльная, "
    "na – не аттестован, exempt – освобождён",
)
StudyPeriodKind = Unicode(
    values=["quarter", "trimester", "half_year"],
    type_name="StudyPeriodKind",
    __namespace__=NAMESPACE,
    doc="Вид учебного периода: quarter – четверть, trimester – триместр, half_year – полугодие",
)
RefusalCode = Unicode(
    values=["ACCESS_DENIED", "NO_DATA", "BAD_REQUEST"],
    type_name="RefusalCode",
    __namespace__=NAMESPACE,
    doc="Код отказа: ACCESS_DENIED – заявитель не вправе получить сведения, NO_DATA – сведения не найдены "
    "или обучающийся не определён однозначно, BAD_REQUEST – запрос заполнен неверно",
)
RefusalReason = Unicode(
    values=[
        "PUPIL_NOT_FOUND",
        "PUPIL_AMBIGUOUS",
        "NO_DATA_FOR_PERIOD",
        "NOT_REPRESENTATIVE",
        "APPLICANT_UNDER_14",
        "INVALID_REQUEST",
    ],
    type_name="RefusalReason",
    __namespace__=NAMESPACE,
    doc="Уточнение причины отказа",
)


def _required(model: type) -> type:
    return model.customize(min_occurs=1, nillable=False)  # type: ignore[attr-defined]


def _optional(model: type) -> type:
    return model.customize(min_occurs=0, nillable=False)  # type: ignore[attr-defined]


def _repeated(model: type) -> type:
    return model.customize(min_occurs=0, max_occurs="unbounded", nillable=False)  # type: ignore[attr-defined]


# --- request -----------------------------------------------------------------------------------


class IdentityDocument(ComplexModel):
    """Документ, удостоверяющий личность."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("TypeCode", Unicode(min_occurs=1, nillable=False, pattern=r"\d{2}", doc="Код вида документа (ФНС)")),
        ("Series", Unicode(min_occurs=0, nillable=False, min_len=1, max_len=20, doc="Серия")),
        ("Number", Unicode(min_occurs=1, nillable=False, min_len=1, max_len=30, doc="Номер")),
    ]


class PupilQuery(ComplexModel):
    """Обучающийся: СНИЛС либо ФИО и дата рождения."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Snils", _optional(SnilsText)),
        ("LastName", _optional(NameText)),
        ("FirstName", _optional(NameText)),
        ("MiddleName", _optional(NameText)),
        ("BirthDate", OptionalDate),
    ]


class Representative(ComplexModel):
    """Законный представитель: СНИЛС и/или ФИО, дата рождения и документ, удостоверяющий личность."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Snils", _optional(SnilsText)),
        ("LastName", _optional(NameText)),
        ("FirstName", _optional(NameText)),
        ("MiddleName", _optional(NameText)),
        ("BirthDate", OptionalDate),
        ("IdentityDocument", _optional(IdentityDocument)),
    ]


class PupilHimself(ComplexModel):
    """Заявитель – сам обучающийся (14 лет и старше)."""

    __namespace__ = NAMESPACE
    _type_info: list[tuple[str, object]] = []


class Applicant(ComplexModel):
    """Заявитель: законный представитель либо сам обучающийся."""

    __namespace__ = NAMESPACE
    _type_info = [("Representative", _optional(Representative)), ("PupilHimself", _optional(PupilHimself))]


class PeriodQuery(ComplexModel):
    """Период: учебный год либо интервал дат (не длиннее 366 дней)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("SchoolYear", _optional(SchoolYearNumber)),
        ("DateFrom", OptionalDate),
        ("DateTo", OptionalDate),
    ]


# --- response ----------------------------------------------------------------------------------


class Mark(ComplexModel):
    """Отметка."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Scale", _required(MarkScale)),
        ("Value", RequiredText(doc="Значение отметки")),
        ("NumericValue", Decimal(min_occurs=0, nillable=False, doc="Числовое значение")),
        ("Text", RequiredText(doc="Отметка словами")),
    ]


class ControlForm(ComplexModel):
    """Форма контроля."""

    __namespace__ = NAMESPACE
    _type_info = [("Code", RequiredText), ("Name", RequiredText)]


class DiaryMark(ComplexModel):
    """Текущая отметка."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Date", RequiredDate),
        ("Mark", _required(Mark)),
        ("Weight", RequiredInt(doc="Вес отметки")),
        ("ControlForm", _optional(ControlForm)),
        ("Comment", OptionalText(doc="Комментарий учителя")),
    ]


class PeriodMark(ComplexModel):
    """Отметка за учебный период."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("SchoolYear", _required(SchoolYearNumber)),
        ("PeriodKind", _required(StudyPeriodKind)),
        ("PeriodNumber", RequiredInt),
        ("Mark", _required(Mark)),
    ]


class YearMark(ComplexModel):
    """Годовая или итоговая отметка."""

    __namespace__ = NAMESPACE
    _type_info = [("SchoolYear", _required(SchoolYearNumber)), ("Mark", _required(Mark))]


class Subject(ComplexModel):
    """Предмет и отметки по нему."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Name", RequiredText),
        ("BaseSubjectCode", OptionalText),
        ("BaseSubjectName", OptionalText),
        ("DiaryMark", _repeated(DiaryMark)),
        ("PeriodMark", _repeated(PeriodMark)),
        ("AnnualMark", _repeated(YearMark)),
        ("FinalMark", _repeated(YearMark)),
    ]


class StudyPeriod(ComplexModel):
    """Учебный период."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("SchoolYear", _required(SchoolYearNumber)),
        ("Kind", _required(StudyPeriodKind)),
        ("Number", RequiredInt),
        ("Name", RequiredText),
        ("StartDate", RequiredDate),
        ("EndDate", RequiredDate),
    ]


class ClassInfo(ComplexModel):
    """Класс (группа)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Name", RequiredText),
        ("Grade", Integer(min_occurs=0, nillable=False)),
        ("SchoolYear", _required(SchoolYearNumber)),
    ]


class Organization(ComplexModel):
    """Образовательная организация."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Id", Long(min_occurs=1, nillable=False)),
        ("FullName", RequiredText),
        ("ShortName", RequiredText),
        ("Inn", OptionalText),
        ("Ogrn", OptionalText),
    ]


class Education(ComplexModel):
    """Обучение в одной организации в запрошенном периоде."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Organization", _required(Organization)),
        ("Class", _optional(ClassInfo)),
        ("StudyPeriod", _repeated(StudyPeriod)),
        ("Subject", _repeated(Subject)),
    ]


class Pupil(ComplexModel):
    """Обучающийся."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("LastName", RequiredText),
        ("FirstName", RequiredText),
        ("MiddleName", OptionalText),
        ("BirthDate", RequiredDate),
    ]


class Performance(ComplexModel):
    """Сведения о текущей успеваемости."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Pupil", _required(Pupil)),
        ("DateFrom", RequiredDate),
        ("DateTo", RequiredDate),
        ("Education", _repeated(Education)),
    ]


class Refusal(ComplexModel):
    """Мотивированный отказ."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Code", _required(RefusalCode)),
        ("Reason", _required(RefusalReason)),
        ("Message", RequiredText(doc="Текст причины отказа")),
    ]


class PerformanceResponse(ComplexModel):
    """Ответ: сведения об успеваемости либо отказ (ровно одно из двух)."""

    __namespace__ = NAMESPACE
    _type_info = [("Performance", _optional(Performance)), ("Refusal", _optional(Refusal))]
