"""Envelopes of message exchange 1.1, MessageIDs, SOAP fault reading, back-off, key files."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

import pytest
from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.smev import envelopes
from kontingent_ws.smev.backoff import Backoff, with_retries
from kontingent_ws.smev.client import SOAP_NS, SmevExchangeError, read_reply
from kontingent_ws.smev.envelopes import Rejection, basic, types
from kontingent_ws.smev.ids import is_message_id, new_message_id
from kontingent_ws.smev.keys import SmevSigner, load_private_key, load_signer
from kontingent_ws.xmlsig.dsig import DS_NS
from kontingent_ws.xmlsig.smev_signature import GOST2012_256, RSA_SHA256, SmevTrust, verify_element
from tests import gostpki
from tests.smevdouble import SCHEMAS_DIR, OfficialSchemas, rsa_signer

needs_schemas = pytest.mark.skipif(not SCHEMAS_DIR.is_dir(), reason="official SMEV 3 1.1 schemas are not present")
CONTENT_NS = "urn://kontingent-region/test/envelopes/1.0"


@pytest.fixture(scope="module")
def signer() -> SmevSigner:
    return rsa_signer("ИС Контингент-регион")


def _content() -> etree._Element:
    element = etree.Element(f"{{{CONTENT_NS}}}Query", nsmap={"q": CONTENT_NS})
    etree.SubElement(element, f"{{{CONTENT_NS}}}Value").text = "1"
    return element


def test_message_ids_are_lower_case_uuid1() -> None:
    first, second = new_message_id(), new_message_id()
    assert first != second and is_message_id(first)
    assert uuid.UUID(first).version == 1 and first == first.lower()
    assert not is_message_id(str(uuid.uuid4()))
    assert not is_message_id(first.upper())


@needs_schemas
def test_every_envelope_validates_against_the_official_schema_and_is_signed(signer: SmevSigner) -> None:
    schemas = OfficialSchemas()
    message_id = new_message_id()
    built = {
        "GetRequestRequest": envelopes.get_request(signer=signer, selector=etree.QName(CONTENT_NS, "Query")),
        "GetResponseRequest": envelopes.get_response(signer=signer, node_id="node-1"),
        "AckRequest": envelopes.ack(signer=signer, message_id=message_id, accepted=False),
        "SendRequestRequest": envelopes.send_request(
            signer=signer, message_id=message_id, content=_content(), transaction_code="T-1", test_message=True
        ),
        "SendResponseRequest": envelopes.send_response(
            signer=signer, message_id=message_id, to="reply-to", rejection=Rejection(code="NO_DATA", description="Нет")
        ),
    }
    signed_parts = {
        "GetRequestRequest": basic("MessageTypeSelector"),
        "GetResponseRequest": basic("MessageTypeSelector"),
        "AckRequest": basic("AckTargetMessage"),
        "SendRequestRequest": types("SenderProvidedRequestData"),
        "SendResponseRequest": types("SenderProvidedResponseData"),
    }
    trust = SmevTrust(certificates=frozenset({signer.certificate_der}))
    for operation, data in built.items():
        envelope = parse_bytes(data)
        assert schemas.envelope_errors(envelope) == [], operation
        request = envelope.find(f"{{{SOAP_NS}}}Body/{types(operation)}")
        signature = request.find(f"{types('CallerInformationSystemSignature')}/{{{DS_NS}}}Signature")
        verify_element(request.find(signed_parts[operation]), signature, trust=trust)


@needs_schemas
def test_schema_refuses_a_malformed_envelope(signer: SmevSigner) -> None:
    envelope = parse_bytes(envelopes.ack(signer=signer, message_id="NOT-A-UUID"))
    assert OfficialSchemas().envelope_errors(envelope) != []


def test_a_response_carries_content_or_a_rejection_and_codes_are_the_schemas(signer: SmevSigner) -> None:
    with pytest.raises(ValueError, match="either"):
        envelopes.send_response(signer=signer, message_id=new_message_id(), to="x")
    with pytest.raises(ValueError, match="RequestRejected"):
        Rejection(code="NOT_A_CODE", description="")


def _fault(detail: str, faultcode: str = "soap:Server") -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault><faultcode>{faultcode}</faultcode>'
        f"<faultstring>Сбой</faultstring><detail>{detail}</detail></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    ("status", "content", "fault", "temporary"),
    [
        (500, _fault(f'<f:SMEVFailure xmlns:f="{envelopes.FAULTS_NS}"/>'), "SMEVFailure", True),
        (500, _fault(f'<f:MessageIsAlreadySent xmlns:f="{envelopes.FAULTS_NS}"/>'), "MessageIsAlreadySent", False),
        (500, _fault("", "soap:SystemInfrastructureError"), "SystemInfrastructureError", True),
        (503, b"<html>Service Unavailable</html>", "Transport", True),
        (502, b"", "Transport", True),
        (200, b"<notsoap/>", "InvalidReply", False),
    ],
)
def test_replies_become_faults_by_their_detail(status: int, content: bytes, fault: str, temporary: bool) -> None:
    with pytest.raises(SmevExchangeError) as raised:
        read_reply(status, content)
    assert (raised.value.fault, raised.value.temporary) == (fault, temporary)


def test_a_good_reply_yields_the_body_element() -> None:
    data = (
        f'<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><t:AckResponse xmlns:t="{envelopes.TYPES_NS}"/></s:Body></s:Envelope>'
    )
    reply = read_reply(200, data.encode())
    assert reply.body.tag == types("AckResponse") and reply.raw == data.encode()


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(base_seconds=1, cap_seconds=10, attempts=3)
    rng = random.Random(1)
    for failures, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)]:
        delays = {backoff.delay(failures, rng) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


def test_retries_stop_at_a_permanent_fault_or_after_the_attempts() -> None:
    sleeps: list[float] = []
    calls: list[str] = []
    backoff = Backoff(base_seconds=1, cap_seconds=10, attempts=3)

    def failing(fault: str) -> str:
        calls.append(fault)
        raise SmevExchangeError(fault, "x")

    with pytest.raises(SmevExchangeError):
        with_retries(
            lambda: failing("SMEVFailure"), backoff=backoff, sleep=sleeps.append, rng=random.Random(), what="t"
        )
    assert (len(calls), len(sleeps)) == (3, 2)
    with pytest.raises(SmevExchangeError):
        with_retries(
            lambda: failing("AccessDenied"), backoff=backoff, sleep=sleeps.append, rng=random.Random(), what="t"
        )
    assert (len(calls), len(sleeps)) == (4, 2)


def _gost_pkcs8(identity: gostpki.GostIdentity) -> bytes:
    key = identity.private_key
    algorithm = gostpki.sequence(
        gostpki.oid("1.2.643.7.1.1.1.1"), gostpki.sequence(gostpki.oid(key.paramset), gostpki.oid("1.2.643.7.1.1.2.2"))
    )
    return gostpki.sequence(gostpki.integer(0), algorithm, gostpki.octet_string(key.scalar.to_bytes(32, "little")))


def test_gost_key_and_certificate_files_make_a_working_signer(tmp_path: Path) -> None:
    identity = gostpki.make_gost_identity("ИС Контингент-регион")
    key_file, certificate_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(gostpki.pem("PRIVATE KEY", _gost_pkcs8(identity)))
    certificate_file.write_bytes(gostpki.pem("CERTIFICATE", identity.certificate_der))

    signer = load_signer(profile=GOST2012_256, key_file=key_file, certificate_file=certificate_file)

    assert signer.private_key == identity.private_key
    envelope = parse_bytes(envelopes.ack(signer=signer, message_id=new_message_id()))
    target = envelope.find(f".//{basic('AckTargetMessage')}")
    signature = envelope.find(f".//{{{DS_NS}}}Signature")
    trust = SmevTrust(certificates=frozenset({identity.certificate_der}))
    assert verify_element(target, signature, trust=trust).profile is GOST2012_256


def test_a_key_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(SignatureError):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", RSA_SHA256)
    with pytest.raises(SignatureError):
        load_private_key(b"\x30\x03\x02\x01\x00", GOST2012_256)
