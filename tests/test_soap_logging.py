"""No request payload and no personal data reaches the log when a request fails."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from spyne import ServiceBase, Unicode

from kontingent_ws.app import KontingentWsgi, make_app
from kontingent_ws.registry import CONTRACTS, Contract
from kontingent_ws.services.base import operation
from kontingent_ws.services.faults import redacted_traceback
from kontingent_ws.settings import Settings
from tests.live import call_wsgi, read_fault, soap_envelope

SECRET = "112-233-445 95 Секретова Анна"
LEAK_NS = "urn://kontingent-region.ru/ws/leak/1.0"


class LeakService(ServiceBase):
    """A test-only contract whose failure quotes the request value in its exception message."""

    @operation(Unicode(min_occurs=1), _returns=Unicode)
    def Echo(ctx: Any, Value: str) -> str:
        raise KeyError(f"no such person: {Value}")


LEAK = Contract(name="Leak", services=(LeakService,))


@pytest.fixture(scope="module")
def app() -> KontingentWsgi:
    settings = Settings(database_url="sqlite://", auth_enabled=False, max_request_bytes=2048)
    return make_app(settings, contracts=(*CONTRACTS, LEAK))


FAILING_REQUESTS = {
    "not-xml": ("ServiceInfo", f"not xml {SECRET}".encode()),
    "syntax": ("ServiceInfo", f"<a><b>{SECRET}</a>".encode()),
    "dtd": ("ServiceInfo", f'<!DOCTYPE a [<!ENTITY s "{SECRET}">]><a>&s;</a>'.encode()),
    "oversize": ("ServiceInfo", soap_envelope(f"<a>{SECRET * 100}</a>")),
    "schema": (
        "ServiceInfo",
        soap_envelope(f'<s:GetServiceInfo xmlns:s="urn://kontingent-region.ru/ws/serviceinfo/1.0">'
                      f'<s:Snils>{SECRET}</s:Snils></s:GetServiceInfo>'),
    ),
    "not-envelope": ("ServiceInfo", f"<Person><Name>{SECRET}</Name></Person>".encode()),
    "internal": ("Leak", soap_envelope(f'<l:Echo xmlns:l="{LEAK_NS}"><l:Value>{SECRET}</l:Value></l:Echo>')),
}


@pytest.mark.parametrize("case", FAILING_REQUESTS)
def test_failing_requests_are_logged_by_request_id_without_payload(
    app: KontingentWsgi, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    contract, body = FAILING_REQUESTS[case]
    caplog.set_level(logging.DEBUG)

    response = call_wsgi(app, f"/ws/{contract}", body)

    assert response.status == 500
    request_id = read_fault(response.body).detail["RequestId"]
    assert f"request_id={request_id}" in caplog.text
    assert "Секретова" not in caplog.text
    assert "112-233-445" not in caplog.text


def test_an_internal_error_logs_where_it_happened_but_not_its_message(
    app: KontingentWsgi, caplog: pytest.LogCaptureFixture
) -> None:
    contract, body = FAILING_REQUESTS["internal"]

    response = call_wsgi(app, f"/ws/{contract}", body)

    assert read_fault(response.body).code == "Server.Internal"
    assert "at=Leak.Echo exception=KeyError" in caplog.text
    assert "test_soap_logging.py" in caplog.text
    assert 'raise KeyError(f"no such person: {Value}")' in caplog.text


def test_the_redacted_traceback_follows_the_cause_chain() -> None:
    try:
        try:
            raise ValueError(SECRET)
        except ValueError as inner:
            raise RuntimeError(SECRET) from inner
    except RuntimeError as outer:
        text = redacted_traceback(outer)

    assert text.index("builtins.ValueError") < text.index("builtins.RuntimeError")
    assert SECRET not in text


def test_spyne_loggers_are_silenced_by_make_app(app: KontingentWsgi) -> None:
    assert not logging.getLogger("spyne.protocol.xml").isEnabledFor(logging.CRITICAL)
    assert not logging.getLogger("spyne.application.server").isEnabledFor(logging.CRITICAL)
