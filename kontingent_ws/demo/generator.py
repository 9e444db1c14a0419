"""The demo region, end to end: territory, organizations, pupils by municipality, queue, loads."""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, select, text

from db.models import BaseSubject
from kontingent_ws.demo.config import DemoConfig, DemoResult
from kontingent_ws.demo.context import Context
from kontingent_ws.demo.curriculum import build_curriculum
from kontingent_ws.demo.loads import build_loads
from kontingent_ws.demo.organizations import ADDITIONAL, PRESCHOOL, SCHOOL, build_organizations
from kontingent_ws.demo.people import UnitPeople
from kontingent_ws.demo.pupils import Neighbours, populate
from kontingent_ws.demo.queue import build_queue
from kontingent_ws.demo.systems import build_systems
from kontingent_ws.demo.territory import build_territory
from kontingent_ws.demo.writer import open_writer
from kontingent_ws.errors import Conflict


class DictionariesMissing(Conflict):
    """The base subject dictionary is empty: ``kontingent initdb`` has not been run."""


def has_students(connection: Connection) -> bool:
    return connection.execute(text("SELECT 1 FROM student LIMIT 1")).first() is not None


def _closure(ctx: Context, parents: dict[int, int | None]) -> None:
    for unit_id in parents:
        depth, current = 0, unit_id
        while True:
            ctx.add("org_unit_closure", (current, unit_id, depth))
            parent = parents[current]
            if parent is None:
                break
            current, depth = parent, depth + 1


def generate(connection: Connection, config: DemoConfig, *, chunk_rows: int = 200_000) -> dict[str, int]:
    """Write a whole demo region in the connection's transaction; return rows written per table."""
    rows = connection.execute(
        select(BaseSubject.code, BaseSubject.id).where(BaseSubject.owner_authority_id.is_(None))
    ).tuples()
    base_subjects = {code: subject_id for code, subject_id in rows}  # noqa: C416 (a Result is no mapping)
    if not base_subjects:
        raise DictionariesMissing("Справочники не загружены: выполните «kontingent initdb»")
    writer = open_writer(connection, chunk_rows)
    try:
        return _generate(Context(config, writer, base_subjects))
    finally:
        writer.close()


def _generate(ctx: Context) -> dict[str, int]:
    territory = build_territory(ctx)
    systems = build_systems(ctx, territory.ministry_id)
    orgs = build_organizations(ctx, territory, systems)
    for org in orgs:
        build_curriculum(ctx, org)
    _closure(ctx, ctx.parents)
    schools = [(org.id, org.unit.index) for org in orgs if org.type_code == SCHOOL]
    for unit in territory.units:
        people = UnitPeople(ctx, unit)
        local = [org for org in orgs if org.unit is unit]
        near = Neighbours(schools=schools, additional=[org for org in local if org.type_code == ADDITIONAL])
        for org in local:
            populate(ctx, people, org, near)
        kindergartens = [org.id for org in local if org.type_code == PRESCHOOL]
        build_queue(ctx, people, kindergartens, systems.preschool)
    build_loads(ctx, orgs)
    return ctx.writer.finish()


def generate_demo(engine: Engine, config: DemoConfig, *, if_empty: bool = False) -> DemoResult:
    """Fill the database with a demo region in one transaction.

    With ``if_empty`` an existing student makes this a no-op; without it, existing students are
    a ``Conflict`` (the demo region is generated once per database).
    """
    started = time.perf_counter()
    with engine.begin() as connection:
        if has_students(connection):
            if if_empty:
                return DemoResult(skipped=True, seconds=time.perf_counter() - started)
            raise Conflict("В базе данных уже есть обучающиеся: демонстрационный регион не создан")
        rows = generate(connection, config)
    return DemoResult(rows=rows, seconds=time.perf_counter() - started)
