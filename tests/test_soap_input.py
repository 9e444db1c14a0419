"""The hardened SOAP 1.1 input: every unacceptable request is a Russian SOAP fault before any work."""

from __future__ import annotations

import io
import re

import pytest

from kontingent_ws.app import KontingentWsgi, make_app
from kontingent_ws.settings import Settings
from tests.live import SOAP_CONTENT_TYPE, call_wsgi, read_fault, soap_envelope

SERVICE_INFO_NS = "urn://kontingent-region.ru/ws/serviceinfo/1.0"
GET_SERVICE_INFO = soap_envelope(f'<s:GetServiceInfo xmlns:s="{SERVICE_INFO_NS}"/>')
MAX_BYTES = 4096
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


@pytest.fixture(scope="module")
def app() -> KontingentWsgi:
    settings = Settings(database_url="sqlite://", auth_enabled=False, max_request_bytes=MAX_BYTES, max_xml_depth=32)
    return make_app(settings)


def refused(app: KontingentWsgi, body: bytes, **options: object) -> tuple[str, str, dict[str, str]]:
    response = call_wsgi(app, "/ws/ServiceInfo", body, **options)  # type: ignore[arg-type]
    assert response.status == 500
    assert response.header("Content-Type") == SOAP_CONTENT_TYPE
    fault = read_fault(response.body)
    assert CYRILLIC.search(fault.message), fault.message
    assert fault.detail["RequestId"] == response.header("X-Request-Id")
    return fault.code, fault.message, fault.detail


def test_a_valid_request_is_answered(app: KontingentWsgi) -> None:
    response = call_wsgi(app, "/ws/ServiceInfo", GET_SERVICE_INFO)

    assert response.status == 200
    assert b"GetServiceInfoResponse" in response.body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"this is not XML", "syntax"),
        (b"<soap:Envelope", "syntax"),
        ("<a>Иванов</a>".encode("cp1251"), "not-utf8"),
        (b'<?xml version="1.0" encoding="windows-1251"?><a/>', "encoding"),
    ],
    ids=["empty", "blank", "text", "truncated", "cp1251-bytes", "cp1251-declared"],
)
def test_unreadable_bodies_are_xml_input_faults(app: KontingentWsgi, body: bytes, reason: str) -> None:
    code, _, detail = refused(app, body)

    assert code == "Client.XmlInput"
    assert detail["Info"] == reason


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + soap_envelope("<x>&xxe;</x>").split(b"?>", 1)[1],
        b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>',
    ],
    ids=["billion-laughs", "external-entity", "external-dtd"],
)
def test_dtds_and_entities_are_refused(app: KontingentWsgi, body: bytes) -> None:
    response = call_wsgi(app, "/ws/ServiceInfo", body)
    code, _, detail = refused(app, body)

    assert code == "Client.XmlInput"
    assert detail["Info"] == "dtd"
    assert b"root:" not in response.body
    assert b"lollol" not in response.body


def test_too_deep_nesting_is_refused(app: KontingentWsgi) -> None:
    body = soap_envelope("<a>" * 40 + "</a>" * 40)

    code, _, detail = refused(app, body)

    assert code == "Client.XmlInput"
    assert detail["Info"] == "too-deep"


def test_oversize_by_content_length_is_refused_without_reading_the_body(app: KontingentWsgi) -> None:
    stream = io.BytesIO(b"<" * (MAX_BYTES * 4))
    response = call_wsgi(
        app, "/ws/ServiceInfo", b"", content_length=str(MAX_BYTES * 4), extra={"wsgi.input": stream}
    )

    fault = read_fault(response.body)
    assert (response.status, fault.code, fault.detail["Info"]) == (500, "Client.XmlInput", "too-large")
    assert stream.tell() == 0


def test_oversize_without_content_length_is_refused_while_reading(app: KontingentWsgi) -> None:
    body = soap_envelope("<x>" + "я" * MAX_BYTES + "</x>")

    code, message, detail = refused(app, body, content_length="")

    assert code == "Client.XmlInput"
    assert detail["Info"] == "too-large"
    assert str(MAX_BYTES) in message


def test_a_body_exactly_at_the_cap_is_read(app: KontingentWsgi) -> None:
    filler = MAX_BYTES - len(GET_SERVICE_INFO)
    body = GET_SERVICE_INFO.replace(b"<soap:Body>", b"<soap:Body>" + b" " * filler)
    assert len(body) == MAX_BYTES

    assert call_wsgi(app, "/ws/ServiceInfo", body).status == 200


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("application/soap+xml; charset=utf-8", "content-type"),
        ("text/plain", "content-type"),
        ("multipart/related; type=\"text/xml\"; boundary=x", "content-type"),
        (None, "content-type"),
        ("text/xml; charset=windows-1251", "encoding"),
    ],
)
def test_wrong_content_type_is_refused(app: KontingentWsgi, content_type: str | None, reason: str) -> None:
    code, _, detail = refused(app, GET_SERVICE_INFO, content_type=content_type)

    assert code == "Client.XmlInput"
    assert detail["Info"] == reason


@pytest.mark.parametrize("content_type", ["text/xml", 'TEXT/XML; charset="UTF-8"', "text/xml;charset=utf8"])
def test_soap11_content_types_are_accepted(app: KontingentWsgi, content_type: str) -> None:
    assert call_wsgi(app, "/ws/ServiceInfo", GET_SERVICE_INFO, content_type=content_type).status == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<x/>", "envelope"),
        (b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><x/></Body></Envelope>', "envelope"),
        (soap_envelope(""), "body"),
        (soap_envelope("<a/><b/>"), "body"),
    ],
    ids=["not-envelope", "soap12", "empty-body", "two-elements"],
)
def test_malformed_envelopes_are_refused(app: KontingentWsgi, body: bytes, reason: str) -> None:
    code, _, detail = refused(app, body)

    assert code == "Client.XmlInput"
    assert detail["Info"] == reason


@pytest.mark.parametrize(
    "body_xml",
    [
        f'<s:NoSuchOperation xmlns:s="{SERVICE_INFO_NS}"/>',
        f'<s:GetServiceInfo xmlns:s="{SERVICE_INFO_NS}"><s:Unexpected>1</s:Unexpected></s:GetServiceInfo>',
        '<GetServiceInfo xmlns="urn:wrong-namespace"/>',
    ],
    ids=["unknown-operation", "unexpected-child", "wrong-namespace"],
)
def test_schema_invalid_requests_are_schema_faults(app: KontingentWsgi, body_xml: str) -> None:
    code, message, detail = refused(app, soap_envelope(body_xml))

    assert code == "Client.SchemaValidation"
    assert message.startswith("Запрос не соответствует XML-схеме")
    assert "Field" in detail


def test_get_without_wsdl_query_is_not_a_soap_call(app: KontingentWsgi) -> None:
    response = call_wsgi(app, "/ws/ServiceInfo", method="GET")

    assert response.status == 405
    assert response.header("Allow") == "POST"
