"""The load journal (by scope, provider, filters) and the audit log query."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from db.models import AuditEvent, InfoSystem, LoadJournal, LoadRowError
from kontingent_ws.errors import AccessDenied, NotFound, ValidationError
from kontingent_ws.usecases import audit_query, journal, users
from tests.adminkit import AdminWorld, admin_call, make_admin_world, provider_caller

DAY = dt.datetime(2024, 9, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def world(session: Session) -> AdminWorld:
    return make_admin_world(session)


@pytest.fixture
def loads(session: Session, world: AdminWorld) -> dict[str, int]:
    """Three loads: SGO into the northern school (partial, with 3 row errors), SGO into the
    southern school (success, a day later), a manual Excel file into the kindergarten (error)."""
    region = world.region
    sgo = InfoSystem(mnemonic="SGO", name="Сетевой город", is_provider=True, is_consumer=False)
    other = InfoSystem(mnemonic="DNEVNIK", name="Дневник", is_provider=True, is_consumer=False)
    session.add_all([sgo, other])
    session.flush()
    north = LoadJournal(
        system_id=sgo.id, organization_id=region.north_school_id, file_name="school1.xml", started_at=DAY,
        status="partial", rows_total=10, rows_applied=7, rows_rejected=3, comment="3 строки отклонены",
    )
    south = LoadJournal(
        system_id=sgo.id, organization_id=region.south_school_id, file_name="school2.xml",
        started_at=DAY + dt.timedelta(days=1), status="success", rows_total=5, rows_applied=5,
    )
    manual = LoadJournal(
        user_id=world.north_employee.user_id, organization_id=region.north_kindergarten_id, file_name="dou.xlsx",
        started_at=DAY + dt.timedelta(hours=2), status="error", comment="Файл не является книгой Excel",
    )
    session.add_all([north, south, manual])
    session.flush()
    session.add_all(
        LoadRowError(journal_id=north.id, row=row, code="SNILS", field="Snils", value="123", message="Неверный СНИЛС")
        for row in (3, 5, 8)
    )
    session.commit()
    return {"sgo": sgo.id, "other": other.id, "north": north.id, "south": south.id, "manual": manual.id}


def _journal(session: Session, caller: object, **query: object) -> tuple[list[str], int]:
    params: dict[str, object] = {
        "date_from": None, "date_to": None, "system_mnemonic": None, "status": None, "organization_id": None,
        "page": 1, "page_size": 10,
    }
    params.update(query)
    page = journal.get_load_journal(admin_call(session, caller, "GetLoadJournal"), **params)  # type: ignore[arg-type]
    return [entry.file_name or "" for entry in page.items], page.total


def test_journal_by_scope_newest_first(session: Session, world: AdminWorld, loads: dict[str, int]) -> None:
    assert _journal(session, world.admin) == (["school2.xml", "dou.xlsx", "school1.xml"], 3)
    assert _journal(session, world.north_admin) == (["dou.xlsx", "school1.xml"], 2)
    assert _journal(session, world.north_employee) == (["school1.xml"], 1)
    assert _journal(session, provider_caller(loads["sgo"], "SGO")) == (["school2.xml", "school1.xml"], 2)
    assert _journal(session, provider_caller(loads["other"], "DNEVNIK")) == ([], 0)


def test_journal_entry_fields(session: Session, world: AdminWorld, loads: dict[str, int]) -> None:
    page = journal.get_load_journal(
        admin_call(session, world.admin), date_from=None, date_to=None, system_mnemonic=None, status=None,
        organization_id=None, page=1, page_size=10,
    )
    by_file = {entry.file_name: entry for entry in page.items}
    north, manual = by_file["school1.xml"], by_file["dou.xlsx"]
    assert (north.provider, north.provider_name, north.status, north.status_name) == (
        "SGO", "Сетевой город", "partial", "Частично"
    )
    assert (north.rows_total, north.rows_applied, north.rows_rejected, north.organization_name) == (
        10, 7, 3, "МБОУ СОШ № 1"
    )
    assert north.started_at == DAY
    assert (manual.provider, manual.status_name, manual.comment) == (
        "north.teacher", "Ошибка", "Файл не является книгой Excel"
    )
    assert by_file["school2.xml"].status_name == "Успешно"


def test_journal_filters(session: Session, world: AdminWorld, loads: dict[str, int]) -> None:
    admin = world.admin
    assert _journal(session, admin, date_from=DAY.date(), date_to=DAY.date())[1] == 2
    assert _journal(session, admin, date_from=(DAY + dt.timedelta(days=1)).date()) == (["school2.xml"], 1)
    assert _journal(session, admin, system_mnemonic="SGO")[1] == 2
    assert _journal(session, admin, status="error") == (["dou.xlsx"], 1)
    assert _journal(session, admin, organization_id=world.region.north_id) == (["dou.xlsx", "school1.xml"], 2)
    assert _journal(session, admin, page=2, page_size=2) == (["school1.xml"], 3)

    with pytest.raises(ValidationError) as status:
        _journal(session, admin, status="done")
    assert status.value.field == "Status"
    with pytest.raises(ValidationError) as dates:
        _journal(session, admin, date_from=DAY.date(), date_to=(DAY - dt.timedelta(days=1)).date())
    assert dates.value.field == "DateFrom"
    with pytest.raises(NotFound):
        _journal(session, admin, organization_id=999_999)
    with pytest.raises(AccessDenied):
        _journal(session, world.north_admin, organization_id=world.region.south_school_id)


def test_load_errors_paged_and_scoped(session: Session, world: AdminWorld, loads: dict[str, int]) -> None:
    call = admin_call(session, world.north_employee, "GetLoadErrors")
    page = journal.get_load_errors(call, journal_id=loads["north"], page=2, page_size=2)
    assert ([e.row for e in page.items], page.total) == ([8], 3)
    assert page.items[0].message == "Неверный СНИЛС"

    with pytest.raises(AccessDenied):
        journal.get_load_errors(call, journal_id=loads["south"], page=1, page_size=10)
    with pytest.raises(AccessDenied):
        journal.get_load_errors(
            admin_call(session, provider_caller(loads["other"], "DNEVNIK")), journal_id=loads["north"], page=1,
            page_size=10,
        )
    with pytest.raises(NotFound):
        journal.get_load_errors(call, journal_id=999_999, page=1, page_size=10)


def test_audit_query_filters_and_is_for_system_admins(session: Session, world: AdminWorld) -> None:
    users.set_user_blocked(
        admin_call(session, world.admin, "SetUserBlocked"), user_id=world.north_employee.user_id or 0, blocked=True
    )
    session.add(AuditEvent(operation="GetStudent", action="read", actor="north.admin", subject_person_id=77))
    session.commit()
    call = admin_call(session, world.admin, "QueryAudit")

    def query(**criteria: object) -> tuple[list[str], int]:
        params: dict[str, object] = {
            "date_from": None, "date_to": None, "login": None, "action": None, "subject_person_id": None,
            "page": 1, "page_size": 10,
        }
        params.update(criteria)
        page = audit_query.query_audit(call, **params)  # type: ignore[arg-type]
        return [event.operation for event in page.items], page.total

    assert query() == (["GetStudent", "SetUserBlocked"], 2)
    assert query(login="admin", action="admin") == (["SetUserBlocked"], 1)
    assert query(subject_person_id=77) == (["GetStudent"], 1)
    today = dt.datetime.now(dt.UTC).date()
    assert query(date_from=today - dt.timedelta(days=1), date_to=today + dt.timedelta(days=1))[1] == 2
    assert query(date_to=today - dt.timedelta(days=1)) == ([], 0)

    [event] = audit_query.query_audit(
        call, date_from=None, date_to=None, login=None, action="admin", subject_person_id=None, page=1, page_size=1
    ).items
    assert (event.contract, event.object_type, event.request_id) == ("Administration", "app_user", "a" * 32)
    assert "заблокирован" in (event.details or "")

    with pytest.raises(ValidationError):
        query(action="delete")
    with pytest.raises(AccessDenied):
        audit_query.query_audit(
            admin_call(session, world.north_admin), date_from=None, date_to=None, login=None, action=None,
            subject_person_id=None, page=1, page_size=10,
        )
