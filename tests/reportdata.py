"""A small hand-built region for the report tests, kept both in the database and as plain records.

``build_dataset()`` makes the records (pure Python, deterministic); ``insert_dataset(session, data)``
writes them. Tests compute their expectations from the records with plain Python, never with SQL.
The region: a ministry (unit 1) over a city department (unit 2, the city with two districts) and a
rural department (unit 3); schools, kindergartens, a college and an УДО under them; students with
edge cases (a birthday on the snapshot date, a leap-day birth, an exit on the snapshot date, an entry
after it, transfers within and between municipalities, moves inside an organization, a student
enrolled in two organizations), marks, a kindergarten queue and a load journal.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.hierarchy import attach
from db.models import (
    Address,
    Authority,
    BaseSubject,
    ClassGroup,
    DiaryMark,
    Enrolment,
    InfoSystem,
    LoadJournal,
    LocalSubject,
    Municipality,
    Organization,
    PeriodMark,
    Person,
    QueueApplication,
    QueuePreference,
    Region,
    Student,
    StudyPeriod,
)

ON_DATE = dt.date(2024, 10, 1)
DATE_FROM = dt.date(2024, 9, 1)
DATE_TO = dt.date(2024, 12, 31)
SCHOOL_YEAR = 2024
LOADS_FROM = dt.date(2024, 9, 2)
LOADS_TO = dt.date(2024, 9, 22)

CITY_AUTHORITY = 2
RURAL_AUTHORITY = 3
SCHOOL_1, SCHOOL_2, SCHOOL_3, LYCEUM = 10, 11, 12, 13
KINDERGARTEN_1, KINDERGARTEN_2, KINDERGARTEN_3, KINDERGARTEN_4 = 20, 21, 22, 23
COLLEGE, ADDITIONAL = 30, 40
CITY, CENTRAL_DISTRICT, NORTH_DISTRICT, RURAL_DISTRICT = 1, 2, 3, 4


@dataclass(frozen=True, kw_only=True)
class Unit:
    id: int
    parent_id: int | None
    municipality_id: int | None
    name: str
    type_code: str | None = None
    """None for an authority."""
    status: str = "1"
    okfs: str | None = "14"
    okopf: str | None = "75403"
    activity: str | None = None
    is_city: bool = True
    inn: str | None = None
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class Human:
    id: int
    sex: str
    birth: dt.date
    citizenship: str = "1"


@dataclass(frozen=True, kw_only=True)
class Group:
    id: int
    org_id: int
    name: str
    grade: int | None = None
    form: str = "11"
    orientation: str | None = None
    regime: str | None = None
    age_band: str | None = None
    specialty: str | None = None
    is_adapted: bool = False


@dataclass(frozen=True, kw_only=True)
class Stay:
    """One enrolment."""

    id: int
    student_id: int
    org_id: int
    group_id: int | None
    level: str | None
    form: str
    entry: dt.date
    entry_reason: str = "1"
    exit: dt.date | None = None
    exit_reason: str | None = None
    specialty: str | None = None

    def on(self, day: dt.date) -> bool:
        return self.entry <= day and (self.exit is None or self.exit > day)


@dataclass(frozen=True, kw_only=True)
class Subject:
    id: int
    org_id: int
    name: str
    base_code: str | None


@dataclass(frozen=True, kw_only=True)
class Period:
    id: int
    org_id: int
    kind: str
    number: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True, kw_only=True)
class Mark:
    student_id: int
    org_id: int
    subject_id: int
    scale: str
    raw: str
    kind: str = "diary"
    """``diary`` for a current mark, else the period mark kind (period, annual, final)."""
    period_id: int | None = None
    school_year: int = SCHOOL_YEAR
    day: dt.date | None = None

    @property
    def numeric(self) -> int | None:
        return int(self.raw) if self.scale == "five_point" else None


@dataclass(frozen=True, kw_only=True)
class Application:
    id: int
    child_id: int
    municipality_id: int
    submitted: dt.datetime
    desired: dt.date
    privilege: str
    status: str
    preferences: tuple[int, ...]
    enrolled_org: int | None = None


@dataclass(frozen=True, kw_only=True)
class Load:
    id: int
    system_id: int | None
    org_id: int | None
    started: dt.datetime
    status: str
    rows_total: int
    rows_applied: int
    rows_rejected: int


SYSTEMS = {1: "АИС «Сетевой город. Образование»", 2: "АИС «Е-Услуги. Образование»"}
MUNICIPALITIES: dict[int, tuple[str, int | None, str]] = {
    CITY: ("Город Тестовск", None, "4"),
    CENTRAL_DISTRICT: ("Центральный район г. Тестовска", CITY, "5"),
    NORTH_DISTRICT: ("Северный район г. Тестовска", CITY, "5"),
    RURAL_DISTRICT: ("Заречный муниципальный район", None, "1"),
}
SUBJECT_BASES = {"01": "Русский язык", "11": "Математика"}


@dataclass(kw_only=True)
class Dataset:
    units: dict[int, Unit]
    people: dict[int, Human] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    stays: list[Stay] = field(default_factory=list)
    subjects: dict[int, Subject] = field(default_factory=dict)
    periods: dict[int, Period] = field(default_factory=dict)
    marks: list[Mark] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    loads: list[Load] = field(default_factory=list)

    def subtree(self, unit_id: int | None) -> set[int]:
        """Ids of ``unit_id`` and every unit below it (the whole region for None), by walking parents."""
        if unit_id is None:
            return set(self.units)
        found = set()
        for unit in self.units.values():
            current: int | None = unit.id
            while current is not None:
                if current == unit_id:
                    found.add(unit.id)
                    break
                current = self.units[current].parent_id
        return found

    def organizations(self, scope: int | None, types: tuple[str, ...] | None = None) -> list[Unit]:
        ids = self.subtree(scope)
        return [
            unit
            for unit in self.units.values()
            if unit.type_code is not None and unit.id in ids and (types is None or unit.type_code in types)
        ]

    def stays_on(self, day: dt.date, scope: int | None, types: tuple[str, ...] | None = None) -> list[Stay]:
        orgs = {unit.id for unit in self.organizations(scope, types)}
        return [stay for stay in self.stays if stay.org_id in orgs and stay.on(day)]


def full_years(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _neighbour(data: Dataset, stay: Stay, previous: bool) -> Stay | None:
    others = sorted((s for s in data.stays if s.student_id == stay.student_id), key=lambda s: (s.entry, s.id))
    if previous:
        before = [s for s in others if s.entry < stay.entry]
        return before[-1] if before else None
    after = [s for s in others if s.entry > stay.entry]
    return after[0] if after else None


def movement(data: Dataset, stays: list[Stay]) -> tuple[int, ...]:
    """The ten movement counts of ``reports.migration`` over ``stays``, in plain Python."""

    def inside(day: object) -> bool:
        return day is not None and DATE_FROM <= day <= DATE_TO  # type: ignore[operator]

    def municipality(stay: Stay | None) -> int | None:
        return data.units[stay.org_id].municipality_id if stay else None

    arrived = [s for s in stays if inside(s.entry) and s.entry_reason != "4"]
    left = [s for s in stays if inside(s.exit)]
    departed = [s for s in left if s.exit_reason != "6"]
    arrived_transfer = [s for s in arrived if s.entry_reason == "2"]
    departed_transfer = [s for s in departed if s.exit_reason == "1"]

    def moved(stay: Stay, previous: bool) -> bool:
        other = municipality(_neighbour(data, stay, previous))
        return other is not None and other != municipality(stay)

    return (
        len(arrived),
        len(arrived_transfer),
        sum(moved(s, True) for s in arrived_transfer),
        len(departed),
        len(departed_transfer),
        sum(moved(s, False) for s in departed_transfer),
        sum(s.exit_reason == "4" for s in left),
        sum(s.exit_reason == "2" for s in left),
        sum(s.exit_reason in ("3", "7") for s in left),
        sum(s.exit_reason in ("5", "9") for s in left),
    )


def _units() -> dict[int, Unit]:
    units = [
        Unit(id=1, parent_id=None, municipality_id=None, name="Министерство образования области"),
        Unit(id=CITY_AUTHORITY, parent_id=1, municipality_id=CITY, name="Департамент образования г. Тестовска"),
        Unit(
            id=RURAL_AUTHORITY, parent_id=1, municipality_id=RURAL_DISTRICT, name="Отдел образования Заречного района"
        ),
        Unit(id=SCHOOL_1, parent_id=2, municipality_id=2, name="МБОУ СОШ № 1", type_code="12", inn="7707083893"),
        Unit(id=SCHOOL_2, parent_id=2, municipality_id=3, name="МБОУ СОШ № 2", type_code="12", address="ул. Мира, 2"),
        Unit(
            id=SCHOOL_3,
            parent_id=3,
            municipality_id=4,
            name="МКОУ Заречная школа-интернат",
            type_code="13",
            status="2",
            okopf="75404",
            is_city=False,
        ),
        Unit(id=LYCEUM, parent_id=2, municipality_id=2, name="МАОУ Лицей № 3", type_code="12", okopf="75401"),
        Unit(
            id=KINDERGARTEN_1,
            parent_id=2,
            municipality_id=2,
            name="МБДОУ Детский сад № 1",
            type_code="11",
            activity="1",
        ),
        Unit(
            id=KINDERGARTEN_2,
            parent_id=3,
            municipality_id=4,
            name="МКДОУ Заречный детский сад",
            type_code="11",
            okopf="75404",
            activity="2",
            is_city=False,
        ),
        Unit(
            id=KINDERGARTEN_3,
            parent_id=2,
            municipality_id=3,
            name="ЧДОУ Детский сад «Солнышко»",
            type_code="11",
            status="4",
            okfs="16",
            okopf="75500",
            activity="1",
        ),
        Unit(
            id=KINDERGARTEN_4,
            parent_id=3,
            municipality_id=4,
            name="МКДОУ Детский сад № 4",
            type_code="11",
            is_city=False,
        ),
        Unit(
            id=COLLEGE,
            parent_id=1,
            municipality_id=1,
            name="ГБПОУ Тестовский колледж",
            type_code="14",
            okfs="13",
            okopf="75203",
        ),
        Unit(
            id=ADDITIONAL, parent_id=3, municipality_id=4, name="МБУ ДО Дом творчества", type_code="16", is_city=False
        ),
    ]
    return {unit.id: unit for unit in units}


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.data = Dataset(units=_units())
        self.next_person = 1000
        self.next_stay = 1

    def person(self, birth: dt.date, sex: str | None = None, citizenship: str = "1") -> int:
        self.next_person += 1
        human = Human(id=self.next_person, sex=sex or self.rng.choice("12"), birth=birth, citizenship=citizenship)
        self.data.people[human.id] = human
        return human.id

    def birth(self, year: int) -> dt.date:
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))

    def group(self, **kwargs: object) -> Group:
        group = Group(id=100 + len(self.data.groups), **kwargs)  # type: ignore[arg-type]
        self.data.groups[group.id] = group
        return group

    def stay(self, student: int, group: Group | None, org: int | None = None, **kwargs: object) -> Stay:
        org_id = group.org_id if group else org
        assert org_id is not None
        level = kwargs.pop("level", None) or _level(self.data.units[org_id].type_code, group)
        stay = Stay(
            id=self.next_stay,
            student_id=student,
            org_id=org_id,
            group_id=group.id if group else None,
            level=level,  # type: ignore[arg-type]
            form=str(kwargs.pop("form", group.form if group else "11")),
            specialty=group.specialty if group else None,
            **kwargs,  # type: ignore[arg-type]
        )
        self.next_stay += 1
        self.data.stays.append(stay)
        return stay


def _level(type_code: str | None, group: Group | None) -> str | None:
    if type_code == "11":
        return "1"
    if type_code == "14":
        return "5"
    if type_code == "16":
        return "9"
    if group is None or group.grade is None:
        return None
    return "2" if group.grade <= 4 else "3" if group.grade <= 9 else "4"


def _schools(builder: _Builder) -> dict[str, Group]:
    layout = {
        SCHOOL_1: [
            ("1А", 1, "11"),
            ("1Б", 1, "11"),
            ("5А", 5, "11"),
            ("9А", 9, "11"),
            ("10А", 10, "13"),
            ("11А", 11, "11"),
        ],
        SCHOOL_2: [("2А", 2, "11"), ("5А", 5, "11"), ("9А", 9, "12")],
        SCHOOL_3: [("3К", 3, "11"), ("7К", 7, "11")],
        LYCEUM: [("5Л", 5, "11"), ("10Л", 10, "11")],
    }
    groups: dict[str, Group] = {}
    for org, classes in layout.items():
        for name, grade, form in classes:
            group = builder.group(org_id=org, name=name, grade=grade, form=form, is_adapted=org == SCHOOL_3)
            groups[f"{org}:{name}"] = group
            for _ in range(builder.rng.randint(3, 6)):
                student = builder.person(
                    builder.birth(SCHOOL_YEAR - 6 - grade), citizenship="3" if builder.rng.random() < 0.1 else "1"
                )
                entry = dt.date(2024, 9, 1) if grade == 1 else dt.date(2023, 9, 1)
                builder.stay(student, group, entry=entry)
    return groups


def _kindergartens(builder: _Builder) -> dict[str, Group]:
    layout = {
        KINDERGARTEN_1: [("Ясельная", "1", "3", "2"), ("Средняя", "1", "3", "3"), ("Логопедическая", "2", "3", "4")],
        KINDERGARTEN_2: [("Разновозрастная", "4", "1", "5"), ("Младшая", "1", "2", "3")],
        KINDERGARTEN_3: [("Круглосуточная", "3", "5", "4")],
        KINDERGARTEN_4: [("Ясли", "1", "3", "2")],
    }
    band_years = {"2": (2022, 2023), "3": (2020, 2021), "4": (2018, 2019), "5": (2018, 2023)}
    groups: dict[str, Group] = {}
    for org, specs in layout.items():
        for name, orientation, regime, band in specs:
            group = builder.group(org_id=org, name=name, orientation=orientation, regime=regime, age_band=band)
            groups[f"{org}:{name}"] = group
            low, high = band_years[band]
            for _ in range(builder.rng.randint(3, 6)):
                student = builder.person(builder.birth(builder.rng.randint(low, high)))
                builder.stay(student, group, entry=dt.date(builder.rng.choice((2023, 2024)), 9, 1))
    return groups


def _college_and_additional(builder: _Builder) -> None:
    for name, specialty, form in (
        ("ИСП-11", "09.02.07", "11"),
        ("ИСП-21", "09.02.07", "11"),
        ("ДО-11з", "44.02.01", "12"),
        ("СД-11", "34.02.01", "11"),
    ):
        group = builder.group(org_id=COLLEGE, name=name, specialty=specialty, form=form)
        for _ in range(4):
            builder.stay(builder.person(builder.birth(builder.rng.randint(2005, 2008))), group, entry=DATE_FROM)
    club = builder.group(org_id=ADDITIONAL, name="Робототехника")
    school_students = [stay.student_id for stay in builder.data.stays if stay.org_id in (SCHOOL_1, SCHOOL_3)][:5]
    for student in school_students:
        builder.stay(student, club, entry=dt.date(2024, 9, 10), form="11")


def _edge_cases(builder: _Builder, schools: dict[str, Group], kindergartens: dict[str, Group]) -> None:
    b = builder
    nursery, middle = kindergartens[f"{KINDERGARTEN_1}:Ясельная"], kindergartens[f"{KINDERGARTEN_1}:Средняя"]
    rural_young = kindergartens[f"{KINDERGARTEN_2}:Младшая"]
    # Birthdays on and around the snapshot dates (ages on 1 October 2024 and on 1 January 2025).
    for birth in (
        dt.date(2021, 10, 1),
        dt.date(2021, 10, 2),
        dt.date(2020, 2, 29),
        dt.date(2020, 1, 1),
        dt.date(2020, 1, 2),
        dt.date(2024, 3, 1),
    ):
        b.stay(b.person(birth, sex="2"), middle if birth.year < 2024 else nursery, entry=dt.date(2024, 9, 1))
    # A foreign pupil, and a pupil without a group.
    b.stay(b.person(dt.date(2019, 5, 5), citizenship="4"), middle, entry=dt.date(2023, 9, 1))
    b.stay(b.person(dt.date(2019, 6, 6)), None, org=KINDERGARTEN_4, entry=dt.date(2023, 9, 1))
    # Exits and entries around the snapshot date.
    grade5 = schools[f"{SCHOOL_1}:5А"]
    b.stay(b.person(dt.date(2013, 4, 4)), grade5, entry=dt.date(2023, 9, 1), exit=ON_DATE, exit_reason="2")
    b.stay(b.person(dt.date(2013, 5, 5)), grade5, entry=dt.date(2024, 11, 15))
    b.stay(b.person(dt.date(2013, 6, 6)), grade5, entry=ON_DATE)
    # Transfer from the city (central district) to the rural adapted school.
    mover = b.person(dt.date(2016, 3, 3), sex="1")
    b.stay(mover, schools[f"{SCHOOL_1}:1А"], entry=dt.date(2023, 9, 1), exit=dt.date(2024, 9, 20), exit_reason="1")
    b.stay(mover, schools[f"{SCHOOL_3}:3К"], entry=dt.date(2024, 9, 21), entry_reason="2")
    # Transfer within the central district: school 1 → lyceum.
    local = b.person(dt.date(2013, 2, 2), sex="2")
    b.stay(local, grade5, entry=dt.date(2023, 9, 1), exit=dt.date(2024, 10, 10), exit_reason="1")
    b.stay(local, schools[f"{LYCEUM}:5Л"], entry=dt.date(2024, 10, 11), entry_reason="2")
    # Transfer from the north district to the central one, before the period.
    early = b.person(dt.date(2009, 7, 7))
    b.stay(early, schools[f"{SCHOOL_2}:9А"], entry=dt.date(2022, 9, 1), exit=dt.date(2024, 8, 20), exit_reason="1")
    b.stay(early, schools[f"{SCHOOL_1}:9А"], entry=dt.date(2024, 8, 21), entry_reason="2")
    # A move between classes of one school.
    switcher = b.person(dt.date(2017, 8, 8))
    b.stay(switcher, schools[f"{SCHOOL_1}:1А"], entry=dt.date(2024, 9, 1), exit=dt.date(2024, 9, 15), exit_reason="6")
    b.stay(switcher, schools[f"{SCHOOL_1}:1Б"], entry=dt.date(2024, 9, 15), entry_reason="4")
    # Exits by reason within the period.
    for reason, day in (
        ("3", dt.date(2024, 11, 1)),
        ("7", dt.date(2024, 11, 2)),
        ("9", dt.date(2024, 12, 1)),
        ("5", dt.date(2024, 12, 2)),
        ("4", dt.date(2024, 12, 20)),
    ):
        b.stay(
            b.person(dt.date(2008, 1, 9)),
            schools[f"{SCHOOL_2}:9А"],
            entry=dt.date(2022, 9, 1),
            exit=day,
            exit_reason=reason,
        )
    # Family education: enrolled in school 2 without a class.
    b.stay(b.person(dt.date(2012, 12, 12)), None, org=SCHOOL_2, entry=dt.date(2023, 9, 1), form="21", level="3")
    # Kindergarten migration: a pupil transferred to the rural kindergarten, a graduate to school.
    toddler = b.person(dt.date(2021, 1, 15))
    b.stay(toddler, middle, entry=dt.date(2023, 9, 1), exit=dt.date(2024, 10, 14), exit_reason="1")
    b.stay(toddler, rural_young, entry=dt.date(2024, 10, 15), entry_reason="2")
    b.stay(b.person(dt.date(2018, 1, 20)), middle, entry=dt.date(2022, 9, 1), exit=dt.date(2024, 9, 1), exit_reason="4")


def _marks(builder: _Builder) -> None:
    data, rng = builder.data, builder.rng
    subjects = {
        SCHOOL_1: [("Математика", "11"), ("Русский язык", "01"), ("Алгебра и начала анализа", None)],
        SCHOOL_2: [("Математика", "11"), ("Русский язык", "01")],
        SCHOOL_3: [("Математика (адаптированная)", "11")],
        LYCEUM: [("Математика", "11")],
    }
    for org, names in subjects.items():
        for name, base in names:
            subject = Subject(id=500 + len(data.subjects), org_id=org, name=name, base_code=base)
            data.subjects[subject.id] = subject
    quarters = ((1, dt.date(2024, 9, 1), dt.date(2024, 10, 27)), (2, dt.date(2024, 11, 5), dt.date(2024, 12, 28)))
    for org in (SCHOOL_1, SCHOOL_2, LYCEUM):
        for number, start, end in quarters:
            period = Period(id=700 + len(data.periods), org_id=org, kind="quarter", number=number, start=start, end=end)
            data.periods[period.id] = period
    half = Period(
        id=700 + len(data.periods),
        org_id=SCHOOL_3,
        kind="half_year",
        number=1,
        start=DATE_FROM,
        end=dt.date(2024, 12, 28),
    )
    data.periods[half.id] = half
    values = [
        ("five_point", "5"),
        ("five_point", "4"),
        ("five_point", "3"),
        ("five_point", "2"),
        ("na", "na"),
        ("pass_fail", "pass"),
    ]
    weights = [5, 6, 4, 2, 1, 1]
    school_stays = [stay for stay in data.stays if stay.org_id in subjects and stay.on(dt.date(2024, 10, 20))]
    for stay in school_stays:
        org_subjects = [subject for subject in data.subjects.values() if subject.org_id == stay.org_id]
        org_periods = [period for period in data.periods.values() if period.org_id == stay.org_id]
        for subject in org_subjects:
            for period in org_periods:
                scale, raw = rng.choices(values, weights)[0]
                data.marks.append(
                    Mark(
                        student_id=stay.student_id,
                        org_id=stay.org_id,
                        subject_id=subject.id,
                        scale=scale,
                        raw=raw,
                        kind="period",
                        period_id=period.id,
                    )
                )
            scale, raw = rng.choices(values, weights)[0]
            data.marks.append(
                Mark(
                    student_id=stay.student_id,
                    org_id=stay.org_id,
                    subject_id=subject.id,
                    scale=scale,
                    raw=raw,
                    kind="annual",
                )
            )
            scale, raw = rng.choices(values, weights)[0]
            data.marks.append(
                Mark(
                    student_id=stay.student_id,
                    org_id=stay.org_id,
                    subject_id=subject.id,
                    scale=scale,
                    raw=raw,
                    kind="annual",
                    school_year=SCHOOL_YEAR - 1,
                )
            )
            for _ in range(3):
                scale, raw = rng.choices(values, weights)[0]
                day = dt.date(2024, 8, 25) + dt.timedelta(days=rng.randrange(160))
                data.marks.append(
                    Mark(
                        student_id=stay.student_id,
                        org_id=stay.org_id,
                        subject_id=subject.id,
                        scale=scale,
                        raw=raw,
                        day=day,
                    )
                )
        if data.groups.get(stay.group_id or 0) and data.groups[stay.group_id or 0].grade == 11:
            subject = org_subjects[0]
            scale, raw = rng.choices(values[:4], weights[:4])[0]
            data.marks.append(
                Mark(
                    student_id=stay.student_id,
                    org_id=stay.org_id,
                    subject_id=subject.id,
                    scale=scale,
                    raw=raw,
                    kind="final",
                )
            )


def _queue(builder: _Builder) -> None:
    rng, data = builder.rng, builder.data
    prefer = {
        CITY: (KINDERGARTEN_1, KINDERGARTEN_3),
        CENTRAL_DISTRICT: (KINDERGARTEN_1,),
        NORTH_DISTRICT: (KINDERGARTEN_3, KINDERGARTEN_1),
        RURAL_DISTRICT: (KINDERGARTEN_2, KINDERGARTEN_4),
    }
    twice = None
    for number in range(1, 31):
        municipality = rng.choice(list(MUNICIPALITIES))
        child = builder.person(builder.birth(rng.randint(2018, 2024)))
        if number == 30 and twice is not None:
            child, municipality = twice, RURAL_DISTRICT
        if number == 29:
            twice, municipality = child, CENTRAL_DISTRICT
        status = "2" if number >= 29 else rng.choice("123456")
        preferences = prefer[municipality][: rng.randint(1, len(prefer[municipality]))]
        submitted = dt.datetime(2023, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(days=rng.randrange(700), hours=number)
        data.applications.append(
            Application(
                id=number,
                child_id=child,
                municipality_id=municipality,
                submitted=submitted,
                desired=dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(600)),
                privilege=rng.choice("1234"),
                status=status,
                preferences=preferences,
                enrolled_org=preferences[0] if status == "4" else None,
            )
        )
    # An application of the rural district that names a city kindergarten.
    data.applications.append(
        Application(
            id=31,
            child_id=builder.person(dt.date(2022, 5, 5)),
            municipality_id=RURAL_DISTRICT,
            submitted=dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC),
            desired=dt.date(2024, 9, 1),
            privilege="2",
            status="2",
            preferences=(KINDERGARTEN_1,),
        )
    )


def _loads(builder: _Builder) -> None:
    rng = builder.rng
    start = dt.datetime(2024, 8, 30, 0, 30, tzinfo=dt.UTC)
    for number in range(1, 41):
        started = start + dt.timedelta(hours=rng.randrange(24 * 28))
        status = rng.choices(("success", "partial", "error"), (6, 2, 2))[0]
        total = rng.randint(10, 200)
        rejected = 0 if status == "success" else total if status == "error" else rng.randint(1, total - 1)
        builder.data.loads.append(
            Load(
                id=number,
                system_id=rng.choice((1, 2, None)),
                org_id=rng.choice((SCHOOL_1, SCHOOL_3, KINDERGARTEN_1, COLLEGE, None)),
                started=started,
                status=status,
                rows_total=total,
                rows_applied=total - rejected,
                rows_rejected=rejected,
            )
        )
    # The first and last instants of the range, and just outside it.
    for number, started in (
        (41, dt.datetime(2024, 9, 2, 0, 0, tzinfo=dt.UTC)),
        (42, dt.datetime(2024, 9, 22, 23, 59, tzinfo=dt.UTC)),
        (43, dt.datetime(2024, 9, 23, 0, 0, tzinfo=dt.UTC)),
    ):
        builder.data.loads.append(
            Load(
                id=number,
                system_id=1,
                org_id=SCHOOL_1,
                started=started,
                status="success",
                rows_total=5,
                rows_applied=5,
                rows_rejected=0,
            )
        )


def build_dataset(seed: int = 7) -> Dataset:
    """The records of the test region (deterministic for a seed)."""
    builder = _Builder(seed)
    schools = _schools(builder)
    kindergartens = _kindergartens(builder)
    _college_and_additional(builder)
    _edge_cases(builder, schools, kindergartens)
    _marks(builder)
    _queue(builder)
    _loads(builder)
    return builder.data


def insert_dataset(session: Session, data: Dataset) -> None:
    """Write the records of ``data`` (ids as given) and flush."""
    session.add(Region(id=1, code="99", name="Тестовская область", oktmo="99000000"))
    session.flush()
    for muni_id, (name, parent, kind) in MUNICIPALITIES.items():
        session.add(
            Municipality(id=muni_id, region_id=1, parent_id=parent, oktmo=f"99{muni_id:06d}", name=name, kind_code=kind)
        )
        session.flush()
    for unit in data.units.values():
        common = {
            "id": unit.id,
            "parent_id": unit.parent_id,
            "municipality_id": unit.municipality_id,
            "full_name": unit.name,
            "short_name": unit.name,
            "full_name_norm": unit.name.upper(),
            "okfs_code": unit.okfs,
            "okopf_code": unit.okopf,
            "status_code": unit.status,
            "inn": unit.inn,
        }
        if unit.type_code is None:
            session.add(Authority(level="region" if unit.parent_id is None else "municipal", region_id=1, **common))
        else:
            address = None
            if unit.address:
                address = Address(full_text=unit.address)
                session.add(address)
                session.flush()
            session.add(
                Organization(
                    type_code=unit.type_code,
                    activity_kind_code=unit.activity,
                    is_city=unit.is_city,
                    legal_address_id=address.id if address else None,
                    **common,
                )
            )
        session.flush()
        attach(session, unit.id, unit.parent_id)
    _insert_people(session, data)
    _insert_marks(session, data)
    _insert_queue_and_loads(session, data)
    session.flush()


def _insert_people(session: Session, data: Dataset) -> None:
    students = {stay.student_id for stay in data.stays}
    for human in data.people.values():
        session.add(
            Person(
                id=human.id,
                last_name=f"Тестов{human.id}",
                first_name="Имя",
                last_name_norm=f"ТЕСТОВ{human.id}",
                first_name_norm="ИМЯ",
                sex=human.sex,
                birth_date=human.birth,
                citizenship_code=human.citizenship,
            )
        )
    session.flush()
    for student_id in sorted(students):
        session.add(Student(id=student_id, status_code="1"))
    for group in data.groups.values():
        session.add(
            ClassGroup(
                id=group.id,
                organization_id=group.org_id,
                name=group.name,
                school_year=SCHOOL_YEAR,
                grade=group.grade,
                education_form_code=group.form,
                orientation_code=group.orientation,
                regime_code=group.regime,
                age_band_code=group.age_band,
                specialty_code=group.specialty,
                is_adapted=group.is_adapted,
            )
        )
    session.flush()
    for stay in data.stays:
        session.add(
            Enrolment(
                id=stay.id,
                student_id=stay.student_id,
                organization_id=stay.org_id,
                class_group_id=stay.group_id,
                education_level_code=stay.level,
                education_form_code=stay.form,
                specialty_code=stay.specialty,
                entry_date=stay.entry,
                entry_reason_code=stay.entry_reason,
                exit_date=stay.exit,
                exit_reason_code=stay.exit_reason,
            )
        )
    session.flush()


def _insert_marks(session: Session, data: Dataset) -> None:
    bases = {
        row.code: row.id for row in session.scalars(select(BaseSubject).where(BaseSubject.code.in_(SUBJECT_BASES)))
    }
    for subject in data.subjects.values():
        session.add(
            LocalSubject(
                id=subject.id,
                organization_id=subject.org_id,
                name=subject.name,
                base_subject_id=bases[subject.base_code] if subject.base_code else None,
            )
        )
    for period in data.periods.values():
        session.add(
            StudyPeriod(
                id=period.id,
                organization_id=period.org_id,
                school_year=SCHOOL_YEAR,
                kind_code=period.kind,
                number=period.number,
                start_date=period.start,
                end_date=period.end,
            )
        )
    session.flush()
    for mark in data.marks:
        if mark.kind == "diary":
            assert mark.day is not None
            session.add(
                DiaryMark(
                    student_id=mark.student_id,
                    organization_id=mark.org_id,
                    subject_id=mark.subject_id,
                    mark_date=mark.day,
                    scale_code=mark.scale,
                    raw_value=mark.raw,
                    numeric_value=mark.numeric,
                )
            )
        else:
            session.add(
                PeriodMark(
                    student_id=mark.student_id,
                    organization_id=mark.org_id,
                    subject_id=mark.subject_id,
                    school_year=mark.school_year,
                    kind=mark.kind,
                    study_period_id=mark.period_id,
                    scale_code=mark.scale,
                    raw_value=mark.raw,
                    numeric_value=mark.numeric,
                )
            )
    session.flush()


def _insert_queue_and_loads(session: Session, data: Dataset) -> None:
    applicant = max(data.people) + 1
    session.add(
        Person(
            id=applicant,
            last_name="Заявитель",
            first_name="Имя",
            last_name_norm="ЗАЯВИТЕЛЬ",
            first_name_norm="ИМЯ",
            sex="2",
            birth_date=dt.date(1990, 1, 1),
        )
    )
    session.flush()
    for app in data.applications:
        session.add(
            QueueApplication(
                id=app.id,
                number=f"Q-{app.id:04d}",
                child_id=app.child_id,
                applicant_id=applicant,
                municipality_id=app.municipality_id,
                submitted_at=app.submitted,
                desired_date=app.desired,
                orientation_code="1",
                regime_code="3",
                privilege_code=app.privilege,
                status_code=app.status,
                enrolled_organization_id=app.enrolled_org,
            )
        )
        session.flush()
        for rank, org in enumerate(app.preferences, start=1):
            session.add(QueuePreference(application_id=app.id, organization_id=org, rank=rank))
    for system_id, name in SYSTEMS.items():
        session.add(InfoSystem(id=system_id, mnemonic=f"SYS{system_id}", name=name, is_provider=True))
    session.flush()
    for load in data.loads:
        session.add(
            LoadJournal(
                id=load.id,
                system_id=load.system_id,
                organization_id=load.org_id,
                started_at=load.started,
                status=load.status,
                rows_total=load.rows_total,
                rows_applied=load.rows_applied,
                rows_rejected=load.rows_rejected,
            )
        )
