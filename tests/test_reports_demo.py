"""The whole catalogue over a generated demo region (``kontingent demo``), whole region and scoped."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db import classifiers
from db.hierarchy import subtree_ids
from db.models import Authority, Enrolment, Organization, Person
from kontingent_ws.demo import DemoConfig, generate_demo
from reports.catalogue import ALL_REPORTS, get_report
from reports.render import render

CONFIG = DemoConfig(students=1500, seed=3)
YEAR = CONFIG.school_year
VALUES = {
    "on_date": f"{YEAR}-10-01",
    "date_from": f"{YEAR}-09-01",
    "date_to": f"{YEAR + 1}-06-30",
    "school_year": str(YEAR),
    "year": str(YEAR),
}


def students_by_type(session: Session, scope: int | None, on_date: dt.date) -> dict[str, tuple[int, int]]:
    """(students, girls) per organization type, from the enrolments loaded into Python."""
    units = set(session.scalars(subtree_ids(scope))) if scope else None
    types = dict(session.execute(select(Organization.id, Organization.type_code)).tuples().all())
    sexes = dict(session.execute(select(Person.id, Person.sex)).tuples().all())
    found: dict[str, set[int]] = defaultdict(set)
    for stay in session.scalars(select(Enrolment)):
        active = stay.entry_date <= on_date and (stay.exit_date is None or stay.exit_date > on_date)
        if active and (units is None or stay.organization_id in units):
            found[types[stay.organization_id]].add(stay.student_id)
    return {code: (len(ids), sum(sexes[i] == "2" for i in ids)) for code, ids in found.items()}


def test_catalogue_over_a_demo_region(engine: Engine, session: Session) -> None:
    generate_demo(engine, CONFIG)
    authority = session.scalars(select(Authority.id).where(Authority.parent_id.is_not(None)).order_by(Authority.id))
    municipal = authority.first()
    school = session.scalars(select(Organization.id).where(Organization.type_code == "12").order_by(Organization.id))
    organization = school.first()
    assert municipal is not None and organization is not None
    on_date = dt.date.fromisoformat(VALUES["on_date"])
    for scope in (None, municipal, organization):
        by_type = get_report("STAT_STUDENTS_BY_TYPE").build(session, {"on_date": VALUES["on_date"]}, scope)
        expected = students_by_type(session, scope, on_date)
        for item, row in zip(classifiers.items_of(classifiers.ORG_TYPE), by_type.rows, strict=True):
            assert (row[1], row[3]) == expected.get(item.code, (0, 0)), (scope, item.code)
        for report in ALL_REPORTS:
            params = {spec.name: VALUES[spec.name] for spec in report.params if spec.required}
            result = report.build(session, params, scope)
            assert result.definition is report
            if scope is None:
                assert render(result, "xlsx").startswith(b"PK")
    region = get_report("STRUCT_BY_AGE").build(session, {"on_date": VALUES["on_date"]}, None)
    scoped = get_report("STRUCT_BY_AGE").build(session, {"on_date": VALUES["on_date"]}, municipal)
    assert region.totals is not None and scoped.totals is not None
    assert 0 < scoped.totals[2] < region.totals[2]  # type: ignore[operator]
