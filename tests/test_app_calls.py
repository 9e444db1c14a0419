"""One database session per call: commit on success, rollback on any error, always closed;
authentication before every operation; errors become faults through the one mapping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from spyne import Integer as SoapInteger
from spyne import ServiceBase, Unicode
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine
from kontingent_ws import app as app_module
from kontingent_ws.app import KontingentWsgi, make_app
from kontingent_ws.call import CallContext
from kontingent_ws.errors import AuthenticationError, Conflict
from kontingent_ws.registry import Contract
from kontingent_ws.services.base import call_of, operation
from kontingent_ws.settings import Settings
from tests.live import call_wsgi, read_fault, soap_envelope

PROBE_NS = "urn://kontingent-region.ru/ws/probe/1.0"
metadata = MetaData()
notes = Table("probe_note", metadata, Column("id", Integer, primary_key=True), Column("text", String(200)))


class ProbeService(ServiceBase):
    """A test-only contract that writes a row and then succeeds or fails in several ways."""

    @operation(Unicode(min_occurs=1), _returns=Unicode)
    def Write(ctx: Any, Text: str) -> str:
        call_of(ctx).session.execute(insert(notes).values(text=Text))
        return "записано"

    @operation(Unicode(min_occurs=1), _returns=Unicode)
    def WriteThenCrash(ctx: Any, Text: str) -> str:
        call_of(ctx).session.execute(insert(notes).values(text=Text))
        raise ZeroDivisionError("unexpected")

    @operation(Unicode(min_occurs=1), _returns=Unicode)
    def WriteThenConflict(ctx: Any, Text: str) -> str:
        call_of(ctx).session.execute(insert(notes).values(text=Text))
        raise Conflict("Запись уже существует", field="Text")

    @operation(_returns=SoapInteger.customize(min_occurs=1))
    def BadAnswer(ctx: Any) -> Any:
        return object()

    @operation(_returns=Unicode)
    def WhoAmI(ctx: Any) -> str:
        return repr(call_of(ctx).caller)


PROBE = Contract(name="Probe", services=(ProbeService,))


class RecordingAuthenticator:
    """Lets in callers named in the SOAP header element ``Caller``; records every call it saw."""

    def __init__(self) -> None:
        self.seen: list[CallContext] = []

    def authenticate(self, call: CallContext) -> object:
        self.seen.append(call)
        assert call.envelope is not None
        name = call.envelope.findtext(".//{urn:test}Caller")
        if not name:
            raise AuthenticationError()
        return f"caller:{name}"


class TrackedSession(Session):
    """A real session that remembers whether it was closed."""

    created: list[TrackedSession] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closed = False
        TrackedSession.created.append(self)

    def close(self) -> None:
        self.closed = True
        super().close()


@pytest.fixture
def probe_engine(empty_db_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_db_url)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def probe_app(engine: Engine, authenticator: Any = None, *, auth: bool = True) -> KontingentWsgi:
    factory = sessionmaker(bind=engine, class_=TrackedSession, expire_on_commit=False)
    return make_app(
        Settings(database_url=str(engine.url), auth_enabled=auth),
        session_factory=factory,
        authenticator=authenticator,
        contracts=(PROBE,),
    )


def probe_call(app: KontingentWsgi, operation_xml: str, caller: str | None = "Иванов") -> Any:
    header = f'<t:Caller xmlns:t="urn:test">{caller}</t:Caller>' if caller else ""
    return call_wsgi(app, "/ws/Probe", soap_envelope(operation_xml, header), extra={"REMOTE_ADDR": "192.0.2.7"})


def write(name: str, text: str = "запись") -> str:
    return f'<p:{name} xmlns:p="{PROBE_NS}"><p:Text>{text}</p:Text></p:{name}>'


def rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(notes)) or 0)


@pytest.fixture(autouse=True)
def forget_sessions() -> None:
    TrackedSession.created.clear()


def test_a_successful_call_commits_and_closes_its_session(probe_engine: Engine) -> None:
    app = probe_app(probe_engine, RecordingAuthenticator())

    response = probe_call(app, write("Write"))

    assert response.status == 200
    assert rows(probe_engine) == 1
    assert [s.closed for s in TrackedSession.created] == [True]


def test_an_unexpected_error_rolls_back_and_answers_server_internal(probe_engine: Engine) -> None:
    app = probe_app(probe_engine, RecordingAuthenticator())

    response = probe_call(app, write("WriteThenCrash"))

    fault = read_fault(response.body)
    request_id = response.header("X-Request-Id")
    assert response.status == 500
    assert fault.code == "Server.Internal"
    assert request_id and request_id in fault.message
    assert "unexpected" not in fault.message
    assert rows(probe_engine) == 0
    assert [s.closed for s in TrackedSession.created] == [True]


def test_a_project_error_rolls_back_and_keeps_its_code_message_and_field(probe_engine: Engine) -> None:
    app = probe_app(probe_engine, RecordingAuthenticator())

    response = probe_call(app, write("WriteThenConflict"))

    fault = read_fault(response.body)
    assert (fault.code, fault.message, fault.detail["Field"]) == ("Client.Conflict", "Запись уже существует", "Text")
    assert rows(probe_engine) == 0


def test_each_call_has_its_own_session(probe_engine: Engine) -> None:
    app = probe_app(probe_engine, RecordingAuthenticator())

    statuses = [probe_call(app, write(name)).status for name in ("Write", "WriteThenCrash", "Write")]

    assert statuses == [200, 500, 200]
    assert rows(probe_engine) == 2
    assert len({id(s) for s in TrackedSession.created}) == 3
    assert all(s.closed for s in TrackedSession.created)


def test_the_authenticator_sees_the_call_before_the_method_runs(probe_engine: Engine) -> None:
    authenticator = RecordingAuthenticator()
    app = probe_app(probe_engine, authenticator)

    response = probe_call(app, f'<p:WhoAmI xmlns:p="{PROBE_NS}"/>', caller="Петров")

    assert b"caller:\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2" in response.body
    (call,) = authenticator.seen
    assert (call.contract, call.operation, call.client_address) == ("Probe", "WhoAmI", "192.0.2.7")
    assert call.request_id == response.header("X-Request-Id")
    assert call.contracts == (PROBE,)


def test_a_refused_caller_gets_an_authentication_fault_and_nothing_is_written(probe_engine: Engine) -> None:
    app = probe_app(probe_engine, RecordingAuthenticator())

    response = probe_call(app, write("Write"), caller=None)

    assert read_fault(response.body).code == "Client.Authentication"
    assert rows(probe_engine) == 0
    assert all(s.closed for s in TrackedSession.created)


def test_with_authentication_off_no_authenticator_runs(probe_engine: Engine) -> None:
    authenticator = RecordingAuthenticator()
    app = probe_app(probe_engine, authenticator, auth=False)

    response = probe_call(app, f'<p:WhoAmI xmlns:p="{PROBE_NS}"/>', caller=None)

    assert response.status == 200
    assert b">None<" in response.body
    assert authenticator.seen == []


def test_without_an_installed_authenticator_every_call_is_refused(
    probe_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "DEFAULT_AUTHENTICATOR_MODULE", "kontingent_ws.security.not_installed")
    app = probe_app(probe_engine)

    response = probe_call(app, write("Write"))

    assert read_fault(response.body).code == "Client.Authentication"
    assert rows(probe_engine) == 0


def test_the_installed_default_authenticator_is_used_when_none_is_given() -> None:
    from kontingent_ws.security.authenticate import default_authenticator

    chosen = app_module.resolve_authenticator(Settings(auth_enabled=True), None)

    assert chosen is default_authenticator


def test_a_lost_database_is_server_unavailable(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}")
    app = probe_app(engine, auth=False)

    response = probe_call(app, write("Write"))

    fault = read_fault(response.body)
    assert (response.status, fault.code) == (500, "Server.Unavailable")
    assert "недоступна" in fault.message
    assert all(s.closed for s in TrackedSession.created)


def test_an_answer_that_cannot_be_serialized_is_a_mapped_internal_fault(
    probe_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = probe_app(probe_engine, auth=False)

    response = probe_call(app, f'<p:BadAnswer xmlns:p="{PROBE_NS}"/>')

    fault = read_fault(response.body)
    assert (response.status, fault.code) == (500, "Server.Internal")
    assert fault.detail["RequestId"] == response.header("X-Request-Id")
    assert f"request_id={fault.detail['RequestId']} at=serialize" in caplog.text
