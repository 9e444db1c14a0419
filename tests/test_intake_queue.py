"""Queue applications and the organization's requisites carried in packets, through the real
pipeline on every backend: written, updated by a resend, and refused row by row with their codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.identifiers import make_inn_org
from db.engine import make_engine, make_session_factory
from db.models import (
    Address,
    Branch,
    LoadRowError,
    Organization,
    Person,
    ProviderPriority,
    QueueApplication,
    QueuePreference,
    QueueStatusChange,
)
from kontingent_ws.settings import Settings
from tests.intakekit import NORTH_INN, SOUTH_INN, SOUTH_KPP, World, load, make_world, packet_xml, settings_for, snils

CHILD_SNILS, MOTHER_SNILS = snils(501), snils(502)
UNKNOWN_INN = make_inn_org(123_456)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[tuple[Session, World, Settings]]:
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        yield session, make_world(session), settings_for(db_url, tmp_path)
    engine.dispose()


def application(ref: str, *, number: str | None = "EPGU-2025-0001", status: str = "2",
                status_date: str | None = "2025-02-01", oktmo: str = "99601000",
                preferred: tuple[tuple[str, str | None], ...] = ((NORTH_INN, None), (SOUTH_INN, SOUTH_KPP)),
                applicant_birth: str | None = "1990-05-05", child_last: str = "Кузнецов") -> str:
    prefs = "".join(
        f"<PreferredOrganization><Inn>{inn}</Inn>{f'<Kpp>{kpp}</Kpp>' if kpp else ''}</PreferredOrganization>"
        for inn, kpp in preferred
    )
    applicant_birth_xml = f"<Sex>2</Sex><BirthDate>{applicant_birth}</BirthDate>" if applicant_birth else ""
    return (
        f'<QueueApplication providerRef="{ref}">{f"<Number>{number}</Number>" if number else ""}'
        "<SubmittedDate>2024-02-15</SubmittedDate>"
        f"<Child><LastName>{child_last}</LastName><FirstName>Марк</FirstName><Sex>1</Sex>"
        f"<BirthDate>2023-10-05</BirthDate><Snils>{CHILD_SNILS if child_last == 'Кузнецов' else snils(503)}</Snils>"
        "</Child>"
        f"<Applicant><Kind>1</Kind><Person><LastName>Кузнецова</LastName><FirstName>Ольга</FirstName>"
        f"{applicant_birth_xml}{f'<Snils>{MOTHER_SNILS}</Snils>' if applicant_birth else ''}</Person></Applicant>"
        f"<MunicipalityOktmo>{oktmo}</MunicipalityOktmo><DesiredDate>2025-09-01</DesiredDate>"
        "<Orientation>1</Orientation><Regime>3</Regime>"
        f"<PreferredOrganizations>{prefs}</PreferredOrganizations><Status>{status}</Status>"
        f"{f'<StatusDate>{status_date}</StatusDate>' if status_date else ''}</QueueApplication>"
    )


def organization(*, inn: str = NORTH_INN, phone: str = "+7 495 000-00-01", legal: str = "г. Северный, ул. Мира, 1",
                 branch_kpp: str = "770702001") -> str:
    return (
        "<Organization><FullName>МБОУ «Северная школа № 1»</FullName><ShortName>Северная школа</ShortName>"
        f"<OrgType>12</OrgType><Inn>{inn}</Inn><Okpo>12345678</Okpo><Oktmo>99601000</Oktmo>"
        f"<Contacts><Phone>{phone}</Phone><Email>school@example.ru</Email></Contacts>"
        f'<Addresses><Address kind="4"><Text>{legal}</Text></Address></Addresses>'
        f'<Branches><Branch providerRef="b1"><FullName>Филиал на Садовой</FullName><ShortName>Садовая</ShortName>'
        f"<Kpp>{branch_kpp}</Kpp></Branch></Branches></Organization>"
    )


def errors(session: Session) -> list[tuple[str, int, str, str, str | None]]:
    """The row errors of every load so far, in order: (section, row, field, code, value)."""
    return [
        tuple(row)
        for row in session.execute(
            select(LoadRowError.section, LoadRowError.row, LoadRowError.field, LoadRowError.code, LoadRowError.value)
            .order_by(LoadRowError.id)
        )
    ]


def test_a_queue_application_and_the_requisites_are_written_and_a_resend_updates_them(
    world: tuple[Session, World, Settings]
) -> None:
    session, w, settings = world
    data = packet_xml("q-1", {"QueueApplications": [application("qa1")]}, organization=organization())
    outcome = load(session, settings, w.netschool, data)
    assert (outcome.status, outcome.counts.applied, outcome.counts.rejected) == ("done", 2, 0)

    session.expire_all()
    app = session.scalars(select(QueueApplication)).one()
    child = session.get(Person, app.child_id)
    applicant = session.get(Person, app.applicant_id)
    assert child is not None and applicant is not None
    assert (child.snils, applicant.snils, applicant.last_name) == (CHILD_SNILS, MOTHER_SNILS, "Кузнецова")
    assert (app.number, app.municipality_id, app.status_code, app.privilege_code, app.source_system_id) == (
        "EPGU-2025-0001", w.region.north_municipality_id, "2", "4", w.netschool.system_id)
    assert list(session.scalars(select(QueuePreference.organization_id).order_by(QueuePreference.rank))) == [
        w.region.north_school_id, w.region.south_school_id]
    assert [(s.status_code, s.changed_at.date().isoformat()) for s in session.scalars(select(QueueStatusChange))] == [
        ("2", "2025-02-01")]

    school = session.get(Organization, w.region.north_school_id)
    assert school is not None
    assert (school.full_name, school.full_name_norm, school.short_name, school.okpo, school.phone, school.email) == (
        "МБОУ «Северная школа № 1»", "МБОУ «СЕВЕРНАЯ ШКОЛА № 1»", "Северная школа", "12345678", "+7 495 000-00-01",
        "school@example.ru")
    legal = session.get(Address, school.legal_address_id)
    assert legal is not None and legal.full_text == "г. Северный, ул. Мира, 1"
    assert [(b.full_name, b.kpp) for b in session.scalars(select(Branch))] == [("Филиал на Садовой", "770702001")]

    # the same application resent with a new status and one preference less; the requisites unchanged
    data = packet_xml("q-2", {"QueueApplications": [application("qa1", status="3", status_date="2025-03-01",
                                                                  preferred=((SOUTH_INN, SOUTH_KPP),))]},
                      organization=organization())
    assert load(session, settings, w.netschool, data).status == "done"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(QueueApplication)) == 1
    assert session.scalar(select(QueueApplication.status_code)) == "3"
    assert list(session.scalars(select(QueuePreference.organization_id))) == [w.region.south_school_id]
    assert [s.status_code for s in session.scalars(select(QueueStatusChange).order_by(QueueStatusChange.id))] == [
        "2", "3"]
    assert session.scalar(select(func.count()).select_from(Person)) == 2
    assert session.scalar(select(func.count()).select_from(Address)) == 1
    assert session.scalar(select(func.count()).select_from(Branch)) == 1
    assert errors(session) == []


def test_an_application_without_a_number_is_found_again_by_its_provider_ref(
    world: tuple[Session, World, Settings]
) -> None:
    session, w, settings = world
    for packet_id in ("n-1", "n-2"):
        data = packet_xml(packet_id, {"QueueApplications": [application("qa7", number=None, status_date=None)]})
        assert load(session, settings, w.netschool, data).status == "done"
    assert list(session.scalars(select(QueueApplication.number))) == [f"S{w.netschool.system_id}/qa7"]
    assert session.scalar(select(func.count()).select_from(QueueStatusChange)) == 1


def test_bad_queue_rows_and_a_foreign_organization_are_refused_with_their_codes(
    world: tuple[Session, World, Settings]
) -> None:
    session, w, settings = world
    rows = [
        application("qa1", number="N-1", oktmo="99603000"),
        application("qa2", number="N-2", preferred=((NORTH_INN, None), (UNKNOWN_INN, None))),
        application("qa3", number="N-3", applicant_birth=None, child_last="Орлов"),
        application("qa4", number="N-4", preferred=((SOUTH_INN, "770701001"),)),
    ]
    data = packet_xml("bad-1", {"QueueApplications": rows}, organization=organization(inn=SOUTH_INN))
    outcome = load(session, settings, w.netschool, data)
    assert (outcome.status, outcome.counts.applied, outcome.counts.rejected) == ("done_with_errors", 0, 5)
    assert errors(session) == [
        ("Organization", 1, "Inn", "ORGANIZATION_MISMATCH", SOUTH_INN),
        ("QueueApplications", 1, "MunicipalityOktmo", "UNKNOWN_MUNICIPALITY", "99603000"),
        ("QueueApplications", 2, "PreferredOrganizations/PreferredOrganization[2]/Inn", "UNKNOWN_ORGANIZATION",
         UNKNOWN_INN),
        ("QueueApplications", 4, "PreferredOrganizations/PreferredOrganization[1]/Inn", "UNKNOWN_ORGANIZATION",
         SOUTH_INN),
        ("QueueApplications", 3, "Applicant/Person", "PERSON_UNREGISTERED", "Кузнецова Ольга"),
    ]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(QueueApplication)) == 0
    assert session.scalar(select(func.count()).select_from(Person)) == 0
    school = session.get(Organization, w.region.north_school_id)
    assert school is not None and school.okpo is None


def test_requisites_written_by_a_higher_ranked_provider_are_kept_with_a_warning(
    world: tuple[Session, World, Settings]
) -> None:
    session, w, settings = world
    for rank, provider in enumerate((w.dnevnik, w.netschool), start=1):
        session.add(ProviderPriority(organization_id=w.region.north_school_id, system_id=provider.system_id,
                                     rank=rank))
    session.commit()
    load(session, settings, w.dnevnik, packet_xml("p-1", {}, provider="dnevnik", organization=organization()))
    outcome = load(session, settings, w.netschool,
                   packet_xml("p-2", {}, organization=organization(phone="+7 495 999-99-99")))
    assert (outcome.status, outcome.counts.applied, outcome.counts.warned) == ("done", 1, 1)
    assert errors(session) == [("Organization", 1, "phone", "PRIORITY_KEPT", "+7 495 000-00-01")]
    session.expire_all()
    school = session.get(Organization, w.region.north_school_id)
    assert school is not None and school.phone == "+7 495 000-00-01"
