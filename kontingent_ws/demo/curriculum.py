"""What each organization teaches: classes and groups, local subjects, study periods, areas."""

from __future__ import annotations

import datetime as dt

from db import classifiers as cls
from kontingent_ws.demo.context import Context
from kontingent_ws.demo.organizations import (
    ADAPTED,
    ADDITIONAL,
    COLLEGE,
    KINDERGARTEN_NAMES,
    PRESCHOOL,
    SCHOOL,
    ClassPlan,
    Org,
)
from kontingent_ws.demo.sizes import split

LETTERS = "АБВГДЕЖЗИК"
PRIMARY = ("01", "02", "07", "11", "20", "30")
MIDDLE = ("01", "03", "07", "11", "17", "19", "23", "30")
UPPER = ("01", "03", "07", "12", "13", "16", "17", "18", "19", "23", "24", "30")
SENIOR = ("01", "03", "07", "15", "13", "16", "17", "18", "23", "24", "25", "30")
CURRICULUM: dict[int, tuple[str, ...]] = {
    1: (),
    2: PRIMARY,
    3: PRIMARY,
    4: (*PRIMARY, "21"),
    5: MIDDLE,
    6: (*MIDDLE, "18"),
    7: UPPER,
    8: (*UPPER, "25"),
    9: (*UPPER, "25"),
    10: SENIOR,
    11: SENIOR,
}
"""Base subjects marked in each grade (grade 1 has no marks)."""
PASS_FAIL_SUBJECTS = frozenset({"21"})
LOCAL_VARIANTS = {"07": "Иностранный язык (английский)", "30": "Физкультура", "29": "Технология"}
UNMAPPED_SUBJECTS = ("Разговоры о важном", "Шахматы", "Финансовая грамотность", "Россия – мои горизонты")
SCHOOL_AREAS = (("1", "Русский язык и литература"), ("2", "Математика и информатика"),
                ("3", "Естественно-научные предметы"), ("4", "Общественно-научные предметы"))  # fmt: skip
COLLEGE_SUBJECTS = (("01", "Русский язык"), ("11", "Математика"), ("", "Иностранный язык в профессиональной "
                    "деятельности"), ("", "Основы философии"), ("30", "Физическая культура"))  # fmt: skip
ASSOCIATIONS = {"1": "Робототехника", "2": "Юный эколог", "3": "Волейбол", "4": "Хореография",
                "5": "Юные краеведы", "6": "Школа волонтёра"}  # fmt: skip


def level_of_grade(grade: int) -> str:
    return "2" if grade <= 4 else "3" if grade <= 9 else "4"


def programme_of_grade(grade: int) -> str:
    return "12" if grade <= 4 else "13" if grade <= 9 else "14"


def study_periods(year: int, scheme: str) -> list[tuple[int, dt.date, dt.date]]:
    """(number, start, end) of the quarters or trimesters of the school year starting in ``year``."""
    d = dt.date
    if scheme == "trimester":
        return [(1, d(year, 9, 1), d(year, 11, 30)), (2, d(year, 12, 1), d(year + 1, 2, 28)),
                (3, d(year + 1, 3, 1), d(year + 1, 5, 26))]  # fmt: skip
    return [(1, d(year, 9, 1), d(year, 10, 24)), (2, d(year, 11, 5), d(year, 12, 28)),
            (3, d(year + 1, 1, 12), d(year + 1, 3, 20)), (4, d(year + 1, 3, 30), d(year + 1, 5, 26))]  # fmt: skip


def _class(ctx: Context, org: Org, plan: ClassPlan, *, orientation: str | None = None, profile: str | None = None,
           regime: str | None = None, letter: str | None = None) -> None:  # fmt: skip
    ctx.add("class_group", (
        plan.id, org.id, None, f"CG-{plan.id}", plan.name, ctx.year, plan.grade, letter, plan.level, plan.programme,
        "11", plan.specialty, orientation, profile, regime, plan.age_band, plan.capacity, plan.is_adapted, False,
    ))  # fmt: skip
    org.classes.append(plan)


def _subject(ctx: Context, org: Org, name: str, base_code: str) -> int:
    subject_id = ctx.ids("local_subject")
    base_id = ctx.base_subjects.get(base_code) if base_code else None
    ctx.add("local_subject", (subject_id, org.id, f"S-{subject_id}", name, base_id))
    return subject_id


def _school(ctx: Context, org: Org) -> None:
    adapted = org.type_code == ADAPTED
    grades = range(1, 10) if adapted else range(1, 12)
    weights = [1.0 if grade <= 9 else 0.55 for grade in grades]
    for grade, pupils in zip(grades, split(org.size, weights), strict=True):
        count = max(1, round(pupils / (12 if adapted else 26)))
        for number, class_pupils in enumerate(split(pupils, [1.0] * count)):
            letter = LETTERS[number % len(LETTERS)]
            plan = ClassPlan(
                id=ctx.ids("class_group"), name=f"{grade}{letter}", grade=grade, capacity=14 if adapted else 30,
                pupils=class_pupils, level=level_of_grade(grade),
                programme="15" if adapted else programme_of_grade(grade),
                is_adapted=adapted,
            )  # fmt: skip
            _class(ctx, org, plan, letter=letter)
    names = {code: LOCAL_VARIANTS.get(code) if ctx.rng.random() < 0.3 else None for code in ctx.base_subjects}
    local: dict[str, int] = {}
    for grade in grades:
        org.subjects[grade] = []
        for code in CURRICULUM[grade]:
            if code not in local:
                local[code] = _subject(ctx, org, names.get(code) or cls.name_of(cls.SUBJECTS, code), code)
            org.subjects[grade].append((local[code], code))
    for name in UNMAPPED_SUBJECTS[: 1 + ctx.rng.randrange(len(UNMAPPED_SUBJECTS))]:
        _subject(ctx, org, name, "")
    for number, start, end in study_periods(ctx.year, org.period_scheme):
        period_id = ctx.ids("study_period")
        ctx.add("study_period", (period_id, org.id, ctx.year, org.period_scheme, number, start, end))
        org.periods.append((period_id, start, end))
    for code, name in SCHOOL_AREAS:
        ctx.add("education_area", (ctx.ids("education_area"), org.id, "area", code, name, None))


def _preschool(ctx: Context, org: Org) -> None:
    rng = ctx.rng
    count = max(1, round(org.size / 20))
    for number, pupils in enumerate(split(org.size, [1.0] * count), start=1):
        roll = rng.random()
        orientation, profile = ("2", rng.choice("125")) if roll < 0.07 else ("4", None) if roll < 0.15 else ("1", None)
        regime = rng.choices(("3", "1", "2", "5"), (85, 8, 5, 2))[0]
        band = rng.choice(("2", "3", "3", "4", "4", "5"))
        name = f"Группа № {number} «{KINDERGARTEN_NAMES[(number + org.id) % len(KINDERGARTEN_NAMES)]}»"
        plan = ClassPlan(id=ctx.ids("class_group"), name=name, grade=None, capacity=20 if orientation == "1" else 12,
                         pupils=pupils, level="1", programme="11", age_band=band,
                         is_adapted=orientation == "2")  # fmt: skip
        _class(ctx, org, plan, orientation=orientation, profile=profile, regime=regime)


def _college(ctx: Context, org: Org) -> None:
    rng = ctx.rng
    specialties = [item for item in cls.items_of(cls.SPO_SPECIALTY) if item.extra.get("kind") == "specialty"]
    chosen = rng.sample(specialties, k=min(len(specialties), 2 + rng.randrange(3)))
    groups = {item.parent for item in chosen}
    for code in sorted(g for g in groups if g):
        ctx.add("education_area", (ctx.ids("education_area"), org.id, "specialty_group", code,
                                   cls.name_of(cls.SPO_SPECIALTY, code), None))  # fmt: skip
    slots = [(item, course) for item in chosen for course in range(1, 5)]
    for (item, course), pupils in zip(slots, split(org.size, [1.0 + 0.3 * (4 - c) for _, c in slots]), strict=True):
        abbreviation = "".join(word[0] for word in item.name.split() if len(word) > 2).upper()[:3]
        plan = ClassPlan(id=ctx.ids("class_group"), name=f"{abbreviation}-{course}{(ctx.year - course + 1) % 10}",
                         grade=None, capacity=30, pupils=pupils, level="5", programme="212",
                         specialty=item.code)  # fmt: skip
        _class(ctx, org, plan)
    for item in chosen:
        ctx.add("education_area", (ctx.ids("education_area"), org.id, "specialty", item.code, item.name, "212"))
    for code, name in COLLEGE_SUBJECTS:
        _subject(ctx, org, name, code)


def _additional(ctx: Context, org: Org) -> None:
    directions = ctx.rng.sample(sorted(ASSOCIATIONS), k=3)
    for code in directions:
        ctx.add("education_area", (ctx.ids("education_area"), org.id, "direction", code,
                                   cls.name_of(cls.ADDITIONAL_EDUCATION_DIRECTION, code), "411"))  # fmt: skip
        for number in (1, 2):
            plan = ClassPlan(id=ctx.ids("class_group"), name=f"{ASSOCIATIONS[code]} (гр. {number})", grade=None,
                             capacity=15, pupils=0, level="9", programme="412" if code == "3" else "411")  # fmt: skip
            _class(ctx, org, plan)


def build_curriculum(ctx: Context, org: Org) -> None:
    """Classes or groups, subjects, periods and areas of one organization."""
    builders = {SCHOOL: _school, ADAPTED: _school, PRESCHOOL: _preschool, COLLEGE: _college, ADDITIONAL: _additional}
    builders[org.type_code](ctx, org)
