"""Marks of one school year: diary marks, period marks, annual and final marks, state exams.

Each pupil has an ability around which every mark is drawn, so a pupil's diary, period, annual
and exam results agree with one another. Hot path: rows are plain tuples of ids, ISO dates and
short strings.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from kontingent_ws.demo.context import Context
from kontingent_ws.demo.curriculum import PASS_FAIL_SUBJECTS

FIVE, PASS_FAIL, NOT_ATTESTED, EXEMPT = "five_point", "pass_fail", "na", "exempt"
PHYSICAL_CULTURE = "30"
CONTROL_FORMS: tuple[tuple[str, int], ...] = (
    *(("15", 1),) * 8, *(("8", 1),) * 4, ("4", 1), ("4", 1), ("2", 1), ("2", 1), ("7", 1), ("3", 2), ("1", 2),
    ("13", 2),
)
"""(control form, weight), repeated by frequency: work in class and homework most, tests weigh double."""
CONTROL_FORM_COUNT = len(CONTROL_FORMS)
FIVE_RAW = {value: str(value) for value in range(1, 6)}
OGE, EGE = "1", "2"
COMPULSORY_DATES: dict[str, dict[str, tuple[int, int]]] = {
    OGE: {"01": (6, 3), "11": (6, 9)},
    EGE: {"01": (5, 29), "11": (6, 2)},
}
"""(month, day) of the Russian language and mathematics exams."""
ELECTIVE_DATES: dict[str, tuple[tuple[int, int], ...]] = {
    OGE: ((5, 21), (5, 22), (5, 26), (5, 27)),
    EGE: ((6, 5), (6, 6), (6, 10), (6, 11)),
}
ELECTIVES = ("16", "17", "18", "19", "23", "24", "25", "07")


@cache
def school_days(year: int, periods: tuple[tuple[dt.date, dt.date], ...]) -> tuple[tuple[str, ...], ...]:
    """ISO dates of the working days of each study period."""
    result = []
    for start, end in periods:
        days = []
        day = start
        while day <= end:
            if day.weekday() < 5:
                days.append(day.isoformat())
            day += dt.timedelta(days=1)
        result.append(tuple(days))
    return tuple(result)


def _five(value: float) -> int:
    return 5 if value >= 4.5 else 2 if value < 2.5 else int(value + 0.5)


def year_marks(
    ctx: Context, *, student_id: int, org_id: int, class_id: int, subjects: list[tuple[int, str]],
    periods: list[tuple[int, dt.date, dt.date]], ability: float, final: bool, system_id: int,
) -> None:  # fmt: skip
    """Diary marks, a mark per study period, the annual mark and (for leaving grades) the final mark."""
    random = ctx.rng.random
    add = ctx.writer.add
    year = ctx.year
    per_subject = ctx.config.diary_marks_per_subject
    days = school_days(year, tuple((start, end) for _, start, end in periods))
    period_count = len(periods)
    kinds = ("annual", "final") if final else ("annual",)
    diary_id = ctx.ids.reserve("diary_mark", per_subject * len(subjects))
    exempt = random() < 0.02
    for subject_id, code in subjects:
        mean = ability + (random() - 0.5)
        if code == PHYSICAL_CULTURE and exempt:
            for period_id, _, _ in periods:
                add("period_mark", (student_id, org_id, subject_id, year, "period", period_id, period_id, EXEMPT,
                                    EXEMPT, None, system_id))  # fmt: skip
            for kind in kinds:
                add("period_mark", (student_id, org_id, subject_id, year, kind, 0, None, EXEMPT, EXEMPT, None,
                                    system_id))  # fmt: skip
            diary_id += per_subject
            continue
        pass_fail = code in PASS_FAIL_SUBJECTS
        for _ in range(per_subject):
            period_days = days[int(random() * period_count)]
            form, weight = CONTROL_FORMS[int(random() * CONTROL_FORM_COUNT)]
            if pass_fail:
                raw, numeric, scale = ("pass" if random() < 0.97 else "fail"), None, PASS_FAIL
            else:
                numeric = _five(mean + (random() + random() - 1.0) * 1.6)
                raw, scale = FIVE_RAW[numeric], FIVE
            add("diary_mark", (diary_id, student_id, org_id, class_id, subject_id,
                               period_days[int(random() * len(period_days))], scale, raw, numeric, weight, form,
                               system_id))  # fmt: skip
            diary_id += 1
        total = count = 0
        row: tuple[str, str, int | None]
        for period_id, _, _ in periods:
            if pass_fail:
                row = (PASS_FAIL, "pass", None)
            elif mean < 3.0 and random() < 0.08:
                row = (NOT_ATTESTED, NOT_ATTESTED, None)
            else:
                value = _five(mean + (random() - 0.5) * 0.8)
                total, count = total + value, count + 1
                row = (FIVE, FIVE_RAW[value], value)
            add("period_mark", (student_id, org_id, subject_id, year, "period", period_id, period_id, *row,
                                system_id))  # fmt: skip
        if pass_fail:
            row = (PASS_FAIL, "pass", None)
        else:
            annual = max(3, _five(total / count)) if count else 3
            row = (FIVE, FIVE_RAW[annual], annual)
        for kind in kinds:
            add("period_mark", (student_id, org_id, subject_id, year, kind, 0, None, *row, system_id))


def exams(ctx: Context, student_id: int, grade: int, ability: float) -> None:
    """ОГЭ after grade 9 (marks 2–5), ЕГЭ after grade 11 (scores 0–100): two compulsory exams plus electives."""
    rng = ctx.rng
    kind = OGE if grade == 9 else EGE
    compulsory, elective_dates = COMPULSORY_DATES[kind], ELECTIVE_DATES[kind]
    electives = rng.sample(ELECTIVES, k=2 if kind == OGE else 1 + rng.randrange(3))
    for code in ("01", "11", *electives):
        month, day = compulsory.get(code) or elective_dates[int(rng.random() * len(elective_dates))]
        exam_date = dt.date(ctx.year + 1, month, day)
        quality = min(1.0, max(0.0, (ability - 2.3) / 2.7 + (rng.random() - 0.5) * 0.3))
        if kind == OGE:
            primary = round(6 + quality * 27)
            row: tuple[int, int, str | None] = (primary, primary, str(_five(2.0 + quality * 3.2)))
        else:
            primary = round(8 + quality * 50)
            row = (primary, min(100, round(24 + quality * 76)), None)
        ctx.add("exam_result", (ctx.ids("exam_result"), student_id, kind, ctx.base_subjects[code], exam_date, *row))
