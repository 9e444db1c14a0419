"""Kindergarten queue applications: the child and the applicant matched like students, the
application created or updated by its number, its preferred kindergartens and its status history.

The municipality (by ОКТМО) and every preferred organization (by ИНН, and КПП when given) must be in
the registry, or the row is refused before any person is written. An application without a number
is keyed by the sending system and its ``providerRef``, so a resent packet finds it again. The
application's fields follow provider priority like a person's (entity ``queue_application``); a new
status adds a row to the status history dated by ``StatusDate`` (or the load time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from adapters.records import PreferredOrganizationRecord, QueueApplicationRecord
from db.models import Municipality, Organization, QueueApplication, QueuePreference, QueueStatusChange
from kontingent_ws.usecases.intake.apply_people import PersonItem, upsert_people, warn_kept
from kontingent_ws.usecases.intake.context import ApplyContext
from kontingent_ws.usecases.intake.priority import merge_fields
from kontingent_ws.usecases.intake.rowcodes import intake_error

SECTION = "QueueApplications"
ENTITY = "queue_application"
NO_PRIVILEGE = "4"
"""``queue_privilege``: the general queue, for an application that names no privilege."""
PREFERRED = "PreferredOrganizations/PreferredOrganization"


@dataclass(frozen=True, kw_only=True)
class _Ready:
    record: QueueApplicationRecord
    municipality_id: int
    preferences: tuple[int, ...]
    """Organization ids in the applicant's order."""


def _number(ctx: ApplyContext, record: QueueApplicationRecord) -> str:
    return record.number or f"S{ctx.system_id}/{record.ref}"[:50]


Known = dict[str, list[tuple[int, str | None]]]
"""ИНН → (organization id, КПП) of every organization with that ИНН."""


def _organizations(ctx: ApplyContext, records: Sequence[QueueApplicationRecord]) -> Known:
    inns = sorted({p.inn for r in records for p in r.preferred_organizations})
    found: Known = {}
    if inns:
        for oid, inn, kpp in ctx.session.execute(
            select(Organization.id, Organization.inn, Organization.kpp).where(Organization.inn.in_(inns))
        ).tuples():
            found.setdefault(inn or "", []).append((oid, kpp))
    return found


def _preferred(known: Known, wanted: PreferredOrganizationRecord) -> int | None:
    candidates = [oid for oid, kpp in known.get(wanted.inn, []) if wanted.kpp is None or kpp == wanted.kpp]
    return candidates[0] if len(candidates) == 1 else None


def _resolve(ctx: ApplyContext, records: Sequence[QueueApplicationRecord]) -> list[_Ready]:
    """Rows whose municipality and preferred organizations are all in the registry."""
    oktmos = sorted({r.municipality_oktmo for r in records})
    query = select(Municipality.oktmo, Municipality.id).where(Municipality.oktmo.in_(oktmos))
    municipalities = dict(ctx.session.execute(query).tuples().all())
    organizations = _organizations(ctx, records)
    ready = []
    for record in records:
        municipality_id = municipalities.get(record.municipality_oktmo)
        if municipality_id is None:
            ctx.refuse(intake_error("UNKNOWN_MUNICIPALITY", section=SECTION, row=record.row, ref=record.ref,
                                    field="MunicipalityOktmo", value=record.municipality_oktmo))
            continue
        preferences: list[int] = []
        for position, wanted in enumerate(record.preferred_organizations, start=1):
            oid = _preferred(organizations, wanted)
            if oid is None:
                ctx.refuse(intake_error("UNKNOWN_ORGANIZATION", section=SECTION, row=record.row, ref=record.ref,
                                        field=f"{PREFERRED}[{position}]/Inn", value=wanted.inn))
                break
            if oid not in preferences:
                preferences.append(oid)
        else:
            ready.append(_Ready(record=record, municipality_id=municipality_id, preferences=tuple(preferences)))
    return ready


def _fields(record: QueueApplicationRecord, child_id: int, applicant_id: int, municipality_id: int,
            system_id: int) -> dict[str, Any]:
    return {
        "child_id": child_id,
        "applicant_id": applicant_id,
        "municipality_id": municipality_id,
        "submitted_at": dt.datetime.combine(record.submitted_date, dt.time(), tzinfo=dt.UTC),
        "desired_date": record.desired_date,
        "orientation_code": record.orientation,
        "regime_code": record.regime,
        "privilege_code": record.privilege or NO_PRIVILEGE,
        "status_code": record.status,
        "source_system_id": system_id,
    }


def _status_time(ctx: ApplyContext, record: QueueApplicationRecord) -> dt.datetime:
    if record.status_date is None:
        return ctx.now
    return dt.datetime.combine(record.status_date, dt.time(), tzinfo=dt.UTC)


def apply_queue_applications(ctx: ApplyContext, records: Sequence[QueueApplicationRecord]) -> None:
    """Create or update each application (by number) with its persons, preferences and status."""
    ready = _resolve(ctx, records)
    applicants = upsert_people(ctx, [
        PersonItem(person=i.record.applicant.person, section=SECTION, row=i.record.row, ref=i.record.ref,
                   field="Applicant/Person")
        for i in ready
    ])
    ready = [item for item, pid in zip(ready, applicants, strict=True) if pid is not None]
    applicant_ids = [pid for pid in applicants if pid is not None]
    children = upsert_people(ctx, [
        PersonItem(person=i.record.child, section=SECTION, row=i.record.row, ref=i.record.ref, field="Child")
        for i in ready
    ])
    numbers = sorted({_number(ctx, item.record) for item in ready})
    stored = {
        application.number: application
        for application in ctx.session.scalars(select(QueueApplication).where(QueueApplication.number.in_(numbers)))
    } if numbers else {}
    for item, applicant_id, child_id in zip(ready, applicant_ids, children, strict=True):
        record = item.record
        if child_id is None:
            continue  # refused by the matching (its error is recorded)
        values = _fields(record, child_id, applicant_id, item.municipality_id, ctx.system_id)
        number = _number(ctx, record)
        application = stored.get(number)
        if application is None:
            application = QueueApplication(number=number, **values)
            ctx.session.add(application)
            ctx.session.flush()
            stored[number] = application
            ctx.provenance.record(ENTITY, application.id, values)
            status_changed = True
        else:
            current = {name: getattr(application, name) for name in values}
            ctx.provenance.load(ctx.session, ENTITY, [application.id])
            merge = merge_fields(ctx.rules, ctx.provenance, entity=ENTITY, entity_id=application.id,
                                 current=current, incoming=values, writer=ctx.system_id)
            warn_kept(ctx, SECTION, record.row, record.ref, "", merge.kept, merge.kept_by, current)
            status_changed = "status_code" in merge.changes
            for name, value in merge.changes.items():
                setattr(application, name, value)
        _replace_preferences(ctx, application.id, item.preferences)
        if status_changed:
            ctx.session.add(QueueStatusChange(application_id=application.id, status_code=application.status_code,
                                              changed_at=_status_time(ctx, record)))
        ctx.applied += 1
    ctx.session.flush()


def _replace_preferences(ctx: ApplyContext, application_id: int, preferences: Sequence[int]) -> None:
    stored = list(
        ctx.session.execute(
            select(QueuePreference.organization_id)
            .where(QueuePreference.application_id == application_id)
            .order_by(QueuePreference.rank)
        ).scalars()
    )
    if stored == list(preferences):
        return
    ctx.session.execute(delete(QueuePreference).where(QueuePreference.application_id == application_id))
    ctx.session.add_all(
        QueuePreference(application_id=application_id, organization_id=oid, rank=rank)
        for rank, oid in enumerate(preferences, start=1)
    )
    ctx.session.flush()
