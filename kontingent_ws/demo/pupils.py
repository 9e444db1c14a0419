"""The pupils of each organization with their enrolment histories, documents and marks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kontingent_ws.demo import histories as h
from kontingent_ws.demo.context import Context
from kontingent_ws.demo.curriculum import level_of_grade, programme_of_grade
from kontingent_ws.demo.marks import exams, year_marks
from kontingent_ws.demo.organizations import ADAPTED, ClassPlan, Org
from kontingent_ws.demo.people import UnitPeople, years_between

TRANSFER_SHARE = 0.045
CROSS_MUNICIPALITY_SHARE = 0.4
LEAVER_SHARE = 0.015
NINTH_GRADE_LEAVERS = 0.4
ADDITIONAL_SHARE = 0.12
ACHIEVEMENT_SHARE = 0.04
DAY = dt.timedelta(days=1)
ACHIEVEMENTS = (
    ("Олимпиада", "Всероссийская олимпиада школьников, школьный этап"),
    ("Конкурс", "Конкурс исследовательских работ «Шаг в будущее»"),
    ("Соревнования", "Первенство по лёгкой атлетике"),
    ("Конкурс", "Конкурс чтецов «Живая классика»"),
)


@dataclass(frozen=True, kw_only=True)
class Neighbours:
    """Organizations a pupil may come from or also attend."""

    schools: list[tuple[int, int]]
    """(organization id, municipality index) of every ordinary school of the region."""
    additional: list[Org]
    """Organizations of additional education of the current municipality."""


def _born_for_school(ctx: Context, grade: int) -> dt.date:
    """Seven on 1 September of the grade-1 year, a few a year older."""
    rng = ctx.rng
    age_on_start = 6 + grade + (1 if rng.random() < 0.08 else 0)
    return dt.date(ctx.year - age_on_start, 9, 1) - dt.timedelta(days=rng.randrange(365))


def _transfer_source(ctx: Context, org: Org, near: Neighbours) -> int:
    rng = ctx.rng
    same = [school for school, index in near.schools if index == org.unit.index and school != org.id]
    other = [school for school, index in near.schools if index != org.unit.index]
    pool = other if (rng.random() < CROSS_MUNICIPALITY_SHARE and other) or not same else same
    return pool[int(rng.random() * len(pool))] if pool else org.id


def _school_pupil(ctx: Context, people: UnitPeople, org: Org, plan: ClassPlan, near: Neighbours) -> None:
    rng = ctx.rng
    grade = plan.grade or 1
    born = _born_for_school(ctx, grade)
    student_id, family, _sex = people.child(born)
    system_id = org.providers[0]
    entry = dt.date(ctx.year - grade + 1, 9, 1)
    stays: list[h.Stay] = []
    if grade >= 2 and rng.random() < TRANSFER_SHARE:
        moved = h.random_day(ctx, entry + dt.timedelta(days=365), dt.date(ctx.year, 9, 1))
        source = _transfer_source(ctx, org, near)
        old_grade = grade - (ctx.year - moved.year) - (1 if moved.month < 9 else 0)
        stays.append(h.Stay(organization_id=source, class_group_id=None, level=level_of_grade(max(1, old_grade)),
                            programme=programme_of_grade(max(1, old_grade)), entry=entry, entry_reason=h.ADMISSION,
                            exit=moved - DAY, exit_reason=h.TRANSFER_OUT))  # fmt: skip
        entry, entry_reason = moved, h.TRANSFER_IN
    else:
        entry_reason = h.ADMISSION
    leaving_grade = 9 if org.type_code == ADAPTED else 11
    graduates = grade == leaving_grade or (grade == 9 and rng.random() < NINTH_GRADE_LEAVERS)
    exit_day = exit_reason = None
    if graduates:
        exit_day, exit_reason = dt.date(ctx.year + 1, 6, 25), h.GRADUATED
    elif rng.random() < LEAVER_SHARE:
        exit_day = h.random_day(ctx, dt.date(ctx.year, 9, 2), dt.date(ctx.year + 1, 5, 20))
        adult = years_between(born, exit_day) >= 15
        exit_reason = rng.choice((h.OUTSIDE_REGION, h.OUTSIDE_REGION, h.OUTSIDE_COUNTRY, h.OTHER,
                                  h.EXPELLED if adult else h.OUTSIDE_REGION))  # fmt: skip
    stays.append(h.Stay(organization_id=org.id, class_group_id=plan.id, level=plan.level, programme=plan.programme,
                        entry=entry, entry_reason=entry_reason, exit=exit_day, exit_reason=exit_reason))  # fmt: skip
    status = h.STUDYING
    if near.additional and exit_day is None and rng.random() < ADDITIONAL_SHARE:
        club = near.additional[int(rng.random() * len(near.additional))]
        group = club.classes[int(rng.random() * len(club.classes))]
        stays.append(h.Stay(organization_id=club.id, class_group_id=group.id, level="9", programme=group.programme,
                            entry=h.random_day(ctx, dt.date(ctx.year, 9, 1), dt.date(ctx.year, 9, 20)),
                            entry_reason=h.ADMISSION, primary=False))  # fmt: skip
    status = h.write_student(ctx, student_id, stays, system_id=system_id, special_needs=plan.is_adapted)
    people.link_representatives(student_id, family)
    if status == "2":
        return
    ability = 2.6 + rng.random() * 2.4
    subjects = org.subjects.get(grade, [])
    if subjects:
        year_marks(ctx, student_id=student_id, org_id=org.id, class_id=plan.id, subjects=subjects,
                   periods=org.periods, ability=ability, final=grade in (9, leaving_grade),
                   system_id=system_id)  # fmt: skip
    if grade in (9, 11):
        exams(ctx, student_id, grade, ability)
        document_type = "2" if grade == 9 else "1"
        ctx.add("education_document", (
            ctx.ids("education_document"), student_id, document_type, f"{ctx.config.region_code}{grade:02d}",
            ctx.requisites.document_number(), dt.date(ctx.year + 1, 6, 25), org.id, org.short_name,
            grade == 11 and ability > 4.6,
        ))  # fmt: skip
    if rng.random() < ACHIEVEMENT_SHARE:
        kind, title = ACHIEVEMENTS[int(rng.random() * len(ACHIEVEMENTS))]
        ctx.add("achievement", (ctx.ids("achievement"), student_id, h.random_day(ctx, ctx.config.year_start, ctx.as_of),
                                kind, title, rng.choice(("Школьный", "Муниципальный", "Региональный")),
                                rng.choice(("Победитель", "Призёр", "Участник"))))  # fmt: skip


BAND_MONTHS = {"1": (3, 12), "2": (13, 36), "3": (37, 60), "4": (61, 84), "5": (37, 84)}


def _preschool_pupil(ctx: Context, people: UnitPeople, org: Org, plan: ClassPlan) -> None:
    rng = ctx.rng
    low, high = BAND_MONTHS[plan.age_band or "5"]
    born = ctx.as_of - dt.timedelta(days=int(30.4 * (low + rng.random() * (high - low))))
    student_id, family, _sex = people.child(born)
    earliest = max(born + dt.timedelta(days=400), dt.date(ctx.year - 3, 9, 1))
    entry = min(h.random_day(ctx, earliest, ctx.as_of - dt.timedelta(days=20)), ctx.as_of - dt.timedelta(days=20))
    stay = h.Stay(organization_id=org.id, class_group_id=plan.id, level="1", programme="11", entry=entry,
                  entry_reason=h.ADMISSION)  # fmt: skip
    h.write_student(ctx, student_id, [stay], system_id=org.providers[0], special_needs=plan.is_adapted)
    people.link_representatives(student_id, family)


def _college_student(ctx: Context, people: UnitPeople, org: Org, plan: ClassPlan, near: Neighbours) -> None:
    rng = ctx.rng
    course = int(plan.name.split("-")[1][0])
    entry_year = ctx.year - course + 1
    born = dt.date(entry_year - 15, 9, 1) - dt.timedelta(days=rng.randrange(365))
    student_id, family, _sex = people.child(born)
    stays = []
    if near.schools and rng.random() < 0.7:
        school = near.schools[int(rng.random() * len(near.schools))][0]
        finished = dt.date(entry_year, 6, 25)
        stays.append(h.Stay(organization_id=school, class_group_id=None, level="3", programme="13",
                            entry=dt.date(entry_year - 9, 9, 1), entry_reason=h.ADMISSION, exit=finished,
                            exit_reason=h.GRADUATED))  # fmt: skip
        ctx.add("education_document", (ctx.ids("education_document"), student_id, "2", f"{ctx.config.region_code}09",
                                       ctx.requisites.document_number(), finished, school, None, False))  # fmt: skip
    exit_day = exit_reason = None
    if course == 4:
        exit_day, exit_reason = dt.date(ctx.year + 1, 6, 28), h.GRADUATED
        ctx.add("education_document", (ctx.ids("education_document"), student_id, "5", f"{ctx.config.region_code}24",
                                       ctx.requisites.document_number(), exit_day, org.id, org.short_name,
                                       rng.random() < 0.1))  # fmt: skip
    elif rng.random() < 0.03:
        exit_day, exit_reason = h.random_day(ctx, dt.date(ctx.year, 10, 1), dt.date(ctx.year + 1, 5, 20)), h.EXPELLED
    stays.append(h.Stay(organization_id=org.id, class_group_id=plan.id, level="5", programme="212",
                        entry=dt.date(entry_year, 9, 1), entry_reason=h.ADMISSION, exit=exit_day,
                        exit_reason=exit_reason, specialty=plan.specialty))  # fmt: skip
    h.write_student(ctx, student_id, stays, system_id=org.providers[0])
    people.link_representatives(student_id, family)


def populate(ctx: Context, people: UnitPeople, org: Org, near: Neighbours) -> None:
    """Every pupil of ``org`` (organizations of additional education get theirs from the schools)."""
    for plan in org.classes:
        for _ in range(plan.pupils):
            if org.type_code == "11":
                _preschool_pupil(ctx, people, org, plan)
            elif org.type_code == "14":
                _college_student(ctx, people, org, plan, near)
            else:
                _school_pupil(ctx, people, org, plan, near)
