"""Classes and groups, subjects and study periods of the packet's organization (few rows: ORM)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from adapters.records import ClassGroupRecord, StudyPeriodRecord, SubjectRecord
from db.models import BaseSubject, ClassGroup, LocalSubject, StudyPeriod
from kontingent_ws.usecases.intake.context import ApplyContext


def first_year(school_year: str) -> int:
    """``2024/2025`` → 2024."""
    return int(school_year.split("/", 1)[0])


def apply_class_groups(ctx: ApplyContext, records: Sequence[ClassGroupRecord]) -> None:
    existing = {
        (group.school_year, group.name): group
        for group in ctx.session.scalars(select(ClassGroup).where(ClassGroup.organization_id == ctx.organization_id))
    }
    for record in records:
        year = first_year(record.school_year)
        group = existing.get((year, record.name))
        if group is None:
            group = ClassGroup(organization_id=ctx.organization_id, school_year=year, name=record.name)
            ctx.session.add(group)
            existing[(year, record.name)] = group
        group.external_id = record.ref
        group.grade = record.grade
        group.letter = record.letter
        group.programme_kind_code = record.program_kind
        group.specialty_code = record.specialty
        group.orientation_code = record.orientation
        group.compensating_profile_code = record.compensating_profile
        group.regime_code = record.regime
        group.age_band_code = record.age_band
    ctx.session.flush()
    for record in records:
        ctx.class_groups[record.ref] = existing[(first_year(record.school_year), record.name)].id
    ctx.applied += len(records)


def apply_subjects(ctx: ApplyContext, records: Sequence[SubjectRecord]) -> None:
    bases = dict(
        ctx.session.execute(
            select(BaseSubject.code, BaseSubject.id).where(BaseSubject.owner_authority_id.is_(None))
        ).tuples().all()
    )
    existing = {
        subject.name: subject
        for subject in ctx.session.scalars(
            select(LocalSubject).where(LocalSubject.organization_id == ctx.organization_id)
        )
    }
    for record in records:
        subject = existing.get(record.name)
        if subject is None:
            subject = LocalSubject(organization_id=ctx.organization_id, name=record.name)
            ctx.session.add(subject)
            existing[record.name] = subject
        subject.external_id = record.ref
        if record.base_subject is not None:
            subject.base_subject_id = bases.get(record.base_subject)
    ctx.session.flush()
    for record in records:
        subject = existing[record.name]
        ctx.subjects[record.ref] = subject.id
        ctx.subject_bases[record.ref] = subject.base_subject_id
    ctx.applied += len(records)


def apply_study_periods(ctx: ApplyContext, records: Sequence[StudyPeriodRecord]) -> None:
    existing = {
        (period.school_year, period.kind_code, period.number): period
        for period in ctx.session.scalars(
            select(StudyPeriod).where(StudyPeriod.organization_id == ctx.organization_id)
        )
    }
    keys = []
    for record in records:
        key = (first_year(record.school_year), record.kind, record.number)
        period = existing.get(key)
        if period is None:
            period = StudyPeriod(
                organization_id=ctx.organization_id, school_year=key[0], kind_code=record.kind, number=record.number
            )
            ctx.session.add(period)
            existing[key] = period
        period.start_date, period.end_date = record.start_date, record.end_date
        keys.append(key)
    ctx.session.flush()
    for record, key in zip(records, keys, strict=True):
        ctx.periods[record.ref] = existing[key].id
    ctx.applied += len(records)
