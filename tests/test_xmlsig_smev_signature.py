"""SMEV 3 detached signatures: sign a SendRequest, verify it through the same code, refuse tampering."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.dsig import DS_NS
from kontingent_ws.xmlsig.smev_signature import (
    GOST2012_256,
    PROFILES,
    RSA_SHA256,
    SmevTrust,
    SmevVerifyResult,
    profile_by_name,
    sign_element,
    verify_element,
)
from tests import gostpki

TYPES = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.3"
BASIC = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.3"
PAYLOAD = "urn://kontingent-region/test/1.0"
SMEV3_SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "smev3" / "1.3"
NS = {"t": TYPES, "ds": DS_NS}


@pytest.fixture(scope="module")
def gost_identity() -> gostpki.GostIdentity:
    return gostpki.make_gost_identity("ИС Контингент-регион")


@pytest.fixture(scope="module")
def other_gost_identity() -> gostpki.GostIdentity:
    return gostpki.make_gost_identity("Посторонняя система")


@pytest.fixture(scope="module")
def rsa_identity() -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Региональная система")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.DER)


def send_request() -> etree._Element:
    """A SendRequestRequest as a consumer writes it, before signing (indented, default namespace)."""
    xml = f"""<SendRequestRequest xmlns="{TYPES}" xmlns:b="{BASIC}">
  <SenderProvidedRequestData Id="SIGNED_BY_CONSUMER">
    <MessageID>{uuid.uuid1()}</MessageID>
    <b:MessagePrimaryContent>
      <p:StudentQuery xmlns:p="{PAYLOAD}" kind="snils"><p:Snils>112-233-445 95</p:Snils></p:StudentQuery>
    </b:MessagePrimaryContent>
    <TestMessage/>
  </SenderProvidedRequestData>
  <CallerInformationSystemSignature/>
</SendRequestRequest>"""
    return parse_bytes(xml.encode("utf-8"))


def signed_request(profile_name: str, private_key: object, certificate_der: bytes) -> bytes:
    """Sign, place the signature, serialize: the bytes that travel."""
    request = send_request()
    data = request.find("t:SenderProvidedRequestData", NS)
    signature = sign_element(
        data, profile=profile_by_name(profile_name), private_key=private_key, certificate_der=certificate_der
    )
    request.find("t:CallerInformationSystemSignature", NS).append(signature)
    return etree.tostring(request, encoding="utf-8")


def verify(wire: bytes, trust: SmevTrust) -> SmevVerifyResult:
    request = parse_bytes(wire)
    data = request.find("t:SenderProvidedRequestData", NS)
    signature = request.find("t:CallerInformationSystemSignature/ds:Signature", NS)
    return verify_element(data, signature, trust=trust)


def trusting(
    *certificates: bytes, at: dt.datetime | None = None, profiles: frozenset[str] = frozenset(PROFILES)
) -> SmevTrust:
    return SmevTrust(certificates=frozenset(certificates), at=at, profiles=profiles)


@pytest.fixture(scope="module")
def gost_wire(gost_identity: gostpki.GostIdentity) -> bytes:
    return signed_request("gost2012-256", gost_identity.private_key, gost_identity.certificate_der)


def test_gost_signed_element_verifies(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    result = verify(gost_wire, trusting(gost_identity.certificate_der))
    assert result.profile is GOST2012_256
    assert result.certificate_der == gost_identity.certificate_der
    assert result.signed_element.get("Id") == "SIGNED_BY_CONSUMER"
    assert result.signed_element.findtext(f".//{{{PAYLOAD}}}Snils") == "112-233-445 95"


def test_signature_uses_the_smev_algorithms(gost_wire: bytes) -> None:
    signature = parse_bytes(gost_wire).find(".//ds:Signature", NS)
    algorithms = [element.get("Algorithm") for element in signature.iter() if element.get("Algorithm")]
    assert algorithms == [
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "urn://smev-gov-ru/xmldsig/transform",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
    ]
    assert signature.find("ds:SignedInfo/ds:Reference", NS).get("URI") == "#SIGNED_BY_CONSUMER"


def test_signed_request_is_valid_against_the_smev_schema(gost_wire: bytes) -> None:
    schema_file = SMEV3_SCHEMAS / "smev-message-exchange-types-1.3.xsd"
    if not schema_file.exists():
        pytest.skip(f"SMEV 3 reference schemas not found at {SMEV3_SCHEMAS}")
    schema = etree.XMLSchema(etree.parse(str(schema_file)))
    schema.assertValid(parse_bytes(gost_wire))


def test_reindenting_and_renaming_prefixes_keeps_the_signature_valid(
    gost_wire: bytes, gost_identity: gostpki.GostIdentity
) -> None:
    reformatted = gost_wire.replace(b"<p:", b"<payload:").replace(b"</p:", b"</payload:")
    reformatted = reformatted.replace(b"xmlns:p=", b"xmlns:payload=").replace(b"<MessageID>", b"\n\t\t<MessageID>")
    assert reformatted != gost_wire
    assert verify(reformatted, trusting(gost_identity.certificate_der)).profile is GOST2012_256


def test_one_byte_changed_in_the_signed_element_fails(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    tampered = gost_wire.replace(b"445 95", b"445 96")
    with pytest.raises(SignatureError, match="хеш не совпадает"):
        verify(tampered, trusting(gost_identity.certificate_der))


def _replace_text(wire: bytes, path: str, change: Callable[[str], str]) -> bytes:
    request = parse_bytes(wire)
    element = request.find(path, NS)
    element.text = change(element.text or "")
    return etree.tostring(request, encoding="utf-8")


def test_one_byte_changed_in_signature_value_fails(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    def flip_first_byte(text: str) -> str:
        raw = base64.b64decode(text)
        return base64.b64encode(bytes([raw[0] ^ 1]) + raw[1:]).decode()

    tampered = _replace_text(gost_wire, ".//ds:SignatureValue", flip_first_byte)
    with pytest.raises(SignatureError, match="Значение электронной подписи неверно"):
        verify(tampered, trusting(gost_identity.certificate_der))


def test_certificate_not_trusted_fails(
    gost_wire: bytes, gost_identity: gostpki.GostIdentity, other_gost_identity: gostpki.GostIdentity
) -> None:
    with pytest.raises(SignatureError, match="не зарегистрирован"):
        verify(gost_wire, trusting(other_gost_identity.certificate_der))


def test_another_trusted_certificate_put_into_key_info_fails(
    gost_wire: bytes, gost_identity: gostpki.GostIdentity, other_gost_identity: gostpki.GostIdentity
) -> None:
    swapped = _replace_text(
        gost_wire,
        ".//ds:X509Certificate",
        lambda _text: base64.b64encode(other_gost_identity.certificate_der).decode(),
    )
    trust = trusting(gost_identity.certificate_der, other_gost_identity.certificate_der)
    with pytest.raises(SignatureError, match="Значение электронной подписи неверно"):
        verify(swapped, trust)


def test_certificate_outside_its_validity_fails(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with pytest.raises(SignatureError, match="Срок действия"):
        verify(gost_wire, trusting(gost_identity.certificate_der, at=later))


def test_profile_not_allowed_by_trust_fails(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    with pytest.raises(SignatureError, match="не разрешён"):
        verify(gost_wire, trusting(gost_identity.certificate_der, profiles=frozenset({"rsa-sha256"})))


def test_rsa_profile_round_trip_through_the_same_verify(rsa_identity: tuple[rsa.RSAPrivateKey, bytes]) -> None:
    key, certificate_der = rsa_identity
    wire = signed_request("rsa-sha256", key, certificate_der)
    assert verify(wire, trusting(certificate_der)).profile is RSA_SHA256
    with pytest.raises(SignatureError, match="хеш не совпадает"):
        verify(wire.replace(b"445 95", b"445 96"), trusting(certificate_der))


def _with_algorithm(wire: bytes, element: str, algorithm: str) -> bytes:
    request = parse_bytes(wire)
    request.find(f".//ds:{element}", NS).set("Algorithm", algorithm)
    return etree.tostring(request, encoding="utf-8")


@pytest.mark.parametrize(
    ("element", "algorithm"),
    [
        ("SignatureMethod", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
        ("DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1"),
    ],
)
def test_sha1_is_refused(rsa_identity: tuple[rsa.RSAPrivateKey, bytes], element: str, algorithm: str) -> None:
    key, certificate_der = rsa_identity
    wire = _with_algorithm(signed_request("rsa-sha256", key, certificate_der), element, algorithm)
    with pytest.raises(SignatureError, match="SHA-1"):
        verify(wire, trusting(certificate_der))


def test_unknown_algorithms_are_refused(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    trust = trusting(gost_identity.certificate_der)
    unknown_method = _with_algorithm(gost_wire, "SignatureMethod", "urn:example:unknown")
    with pytest.raises(SignatureError, match="не входит в список разрешённых"):
        verify(unknown_method, trust)
    inclusive_c14n = _with_algorithm(gost_wire, "Transform", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    with pytest.raises(SignatureError, match="Преобразования ссылки"):
        verify(inclusive_c14n, trust)
    with pytest.raises(SignatureError, match="не поддерживается"):
        profile_by_name("gost2001")


def test_duplicate_id_wrapping_is_refused(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    request = parse_bytes(gost_wire)
    original = request.find("t:SenderProvidedRequestData", NS)
    forged = etree.fromstring(etree.tostring(original))
    forged.find(f".//{{{PAYLOAD}}}Snils").text = "000-000-000 00"
    request.find("t:CallerInformationSystemSignature", NS).addprevious(forged)
    signature = request.find(".//ds:Signature", NS)
    for element in (original, forged):
        with pytest.raises(SignatureError, match="ровно один раз"):
            verify_element(element, signature, trust=trusting(gost_identity.certificate_der))


def test_signature_of_another_element_is_refused(gost_wire: bytes, gost_identity: gostpki.GostIdentity) -> None:
    request = parse_bytes(gost_wire)
    other = request.find(".//t:MessageID", NS)
    other.set("Id", "OTHER")
    signature = request.find(".//ds:Signature", NS)
    with pytest.raises(SignatureError, match="не к проверяемому элементу"):
        verify_element(other, signature, trust=trusting(gost_identity.certificate_der))


def test_signing_refuses_a_key_that_does_not_match_the_certificate(
    gost_identity: gostpki.GostIdentity, other_gost_identity: gostpki.GostIdentity
) -> None:
    data = send_request().find("t:SenderProvidedRequestData", NS)
    with pytest.raises(SignatureError, match="не соответствует сертификату"):
        sign_element(
            data,
            profile=GOST2012_256,
            private_key=other_gost_identity.private_key,
            certificate_der=gost_identity.certificate_der,
        )


def test_signing_refuses_a_key_of_the_wrong_kind(
    gost_identity: gostpki.GostIdentity, rsa_identity: tuple[rsa.RSAPrivateKey, bytes]
) -> None:
    data = send_request().find("t:SenderProvidedRequestData", NS)
    with pytest.raises(SignatureError, match="ключ ГОСТ"):
        sign_element(
            data, profile=GOST2012_256, private_key=rsa_identity[0], certificate_der=gost_identity.certificate_der
        )
    with pytest.raises(SignatureError, match="ключ RSA"):
        sign_element(data, profile=RSA_SHA256, private_key=gost_identity.private_key, certificate_der=rsa_identity[1])


def test_signing_needs_an_id(gost_identity: gostpki.GostIdentity) -> None:
    data = send_request().find("t:SenderProvidedRequestData", NS)
    del data.attrib["Id"]
    with pytest.raises(SignatureError, match="нет атрибута Id"):
        sign_element(
            data,
            profile=GOST2012_256,
            private_key=gost_identity.private_key,
            certificate_der=gost_identity.certificate_der,
        )
