"""The studying-student count of large authorities comes from a per-process summary that is
refreshed every ``ttl_seconds``; it must equal the live count over the authority's subtree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, make_session_factory
from db.migrate import initdb
from db.models import OrgUnitClosure, Person, Student
from kontingent_ws.call import CallContext
from kontingent_ws.settings import Settings
from kontingent_ws.usecases import authorities
from tests.registrykit import build_registry


def _call(session: object, url: str) -> CallContext:
    return CallContext(request_id="t", session=session, client_address="", contract="Authorities",  # type: ignore[arg-type]
                       operation="GetAuthorityPortfolio", envelope=None, settings=Settings(database_url=url),
                       contracts=())  # fmt: skip


def _live(session: object, authority_id: int) -> int:
    closure = select(OrgUnitClosure.descendant_id).where(OrgUnitClosure.ancestor_id == authority_id)
    return int(session.scalar(  # type: ignore[attr-defined]
        select(func.count()).select_from(Student).where(Student.status_code == "1",
                                                        Student.current_organization_id.in_(closure))))  # fmt: skip


def test_large_authorities_count_from_the_summary_and_see_changes_after_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'counts.sqlite3'}"
    initdb(url)
    engine = make_engine(url)
    counts = authorities.StudyingCounts(ttl_seconds=3600)
    monkeypatch.setattr(authorities, "STUDYING_COUNTS", counts)
    monkeypatch.setattr(authorities, "LIVE_COUNT_ORGANIZATIONS", 0)  # every authority counts from the summary
    try:
        with make_session_factory(engine)() as session:
            data = build_registry(session)
            session.commit()
            region = data.region
            for authority_id in (region.ministry_id, region.north_id):
                portfolio = authorities.get_authority_portfolio(_call(session, url), authority_id=authority_id)
                assert portfolio.student_count == _live(session, authority_id) > 0
            before = _live(session, region.ministry_id)
            pupil = Person(last_name="Новиков", first_name="Ян", last_name_norm="НОВИКОВ", first_name_norm="ЯН",
                           sex="1", birth_date=dt.date(2015, 1, 1))  # fmt: skip
            session.add(pupil)
            session.flush()
            session.add(Student(id=pupil.id, status_code="1", current_organization_id=region.north_school_id))
            session.commit()
            stale = authorities.get_authority_portfolio(_call(session, url), authority_id=region.ministry_id)
            assert stale.student_count == before
            counts.ttl_seconds = 0
            fresh = authorities.get_authority_portfolio(_call(session, url), authority_id=region.ministry_id)
            assert fresh.student_count == before + 1 == _live(session, region.ministry_id)
            monkeypatch.setattr(authorities, "LIVE_COUNT_ORGANIZATIONS", 100)
            live = authorities.get_authority_portfolio(_call(session, url), authority_id=region.north_id)
            assert live.student_count == _live(session, region.north_id)
    finally:
        engine.dispose()
