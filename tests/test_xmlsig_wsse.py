"""WS-Security signatures of SOAP 1.1 envelopes: signed by real zeep, verified by the server side."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import xmlsec
from lxml import etree
from zeep.wsse.signature import BinarySignature

from adapters.safexml import parse_bytes
from kontingent_ws.errors import AuthenticationError, SignatureError
from kontingent_ws.xmlsig.profiles import DSIG_NS
from kontingent_ws.xmlsig.wsse import SOAP11_NS, WSSE_NS, WSU_NS, sign_wsse_envelope, verify_wsse_envelope
from tests.pki import RsaIdentity, make_rsa_identity, write_pem_files

ENVELOPE = f"""<soap:Envelope xmlns:soap="{SOAP11_NS}">
  <soap:Body>
    <k:GetStudent xmlns:k="urn:kontingent:test"><k:Snils>112-233-445 95</k:Snils></k:GetStudent>
  </soap:Body>
</soap:Envelope>""".encode()
NS = {"soap": SOAP11_NS, "wsse": WSSE_NS, "wsu": WSU_NS, "ds": DSIG_NS}


@pytest.fixture(scope="module")
def client() -> RsaIdentity:
    return make_rsa_identity("ИС «Электронная школа»")


@pytest.fixture(scope="module")
def client_files(client: RsaIdentity, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_pem_files(client, tmp_path_factory.mktemp("client"))


def zeep_signed(
    files: tuple[Path, Path],
    *,
    signature_method: xmlsec.Transform = xmlsec.Transform.RSA_SHA256,
    digest_method: xmlsec.Transform = xmlsec.Transform.SHA256,
    envelope: bytes = ENVELOPE,
) -> bytes:
    """The envelope as zeep's BinarySignature sends it, serialized."""
    key_file, cert_file = files
    document = etree.fromstring(envelope)
    plugin = BinarySignature(
        str(key_file), str(cert_file), signature_method=signature_method, digest_method=digest_method
    )
    signed, _ = plugin.apply(document, {})
    return etree.tostring(signed, encoding="UTF-8")


def received(data: bytes) -> etree._Element:
    """What the server has after its hardened parser."""
    return parse_bytes(data)


def refusal(envelope: etree._Element) -> str:
    with pytest.raises(SignatureError) as caught:
        verify_wsse_envelope(envelope)
    assert caught.value.message
    return caught.value.message


def test_zeep_signed_envelope_verifies_and_returns_the_body(
    client: RsaIdentity, client_files: tuple[Path, Path]
) -> None:
    envelope = received(zeep_signed(client_files))
    result = verify_wsse_envelope(envelope)
    assert result.body is envelope.find("soap:Body", NS)
    assert result.body.findtext("{urn:kontingent:test}GetStudent/{urn:kontingent:test}Snils") == "112-233-445 95"
    assert result.certificate == client.cert
    assert result.fingerprint == client.fingerprint


def test_a_tampered_body_is_refused(client_files: tuple[Path, Path]) -> None:
    data = zeep_signed(client_files).replace(b"445 95", b"445 96")
    assert "не прошла проверку" in refusal(received(data))


def test_an_envelope_without_a_security_header_is_not_authenticated() -> None:
    with pytest.raises(AuthenticationError) as caught:
        verify_wsse_envelope(received(ENVELOPE))
    assert caught.value.message


def test_a_header_without_security_is_not_authenticated() -> None:
    envelope = received(ENVELOPE)
    envelope.insert(0, etree.Element(f"{{{SOAP11_NS}}}Header"))
    with pytest.raises(AuthenticationError) as caught:
        verify_wsse_envelope(envelope)
    assert caught.value.message


def test_a_security_header_without_a_signature_is_refused(client_files: tuple[Path, Path]) -> None:
    envelope = received(zeep_signed(client_files))
    security = envelope.find("soap:Header/wsse:Security", NS)
    signature = envelope.find("soap:Header/wsse:Security/ds:Signature", NS)
    assert security is not None and signature is not None
    security.remove(signature)
    assert "не содержит подписи" in refusal(envelope)


def test_a_forged_body_with_the_signed_one_moved_to_the_header_is_refused(
    client_files: tuple[Path, Path],
) -> None:
    envelope = received(zeep_signed(client_files))
    signed_body = envelope.find("soap:Body", NS)
    assert signed_body is not None
    header = envelope.find("soap:Header", NS)
    assert header is not None
    etree.SubElement(header, "{urn:attacker}Wrapper").append(signed_body)
    forged = etree.SubElement(envelope, f"{{{SOAP11_NS}}}Body")
    etree.SubElement(forged, "{urn:kontingent:test}DeleteStudent").text = "112-233-445 95"
    assert "soap:Body не подписано" in refusal(received(etree.tostring(envelope)))


def test_a_forged_body_reusing_the_signed_id_is_refused(client_files: tuple[Path, Path]) -> None:
    envelope = received(zeep_signed(client_files))
    signed_body = envelope.find("soap:Body", NS)
    header = envelope.find("soap:Header", NS)
    assert signed_body is not None and header is not None
    etree.SubElement(header, "{urn:attacker}Wrapper").append(copy.deepcopy(signed_body))
    signed_body[0][0].text = "000-000-000 00"
    assert "ровно на один элемент" in refusal(envelope)


def test_an_id_shadowed_by_another_id_attribute_is_refused(client_files: tuple[Path, Path]) -> None:
    envelope = received(zeep_signed(client_files))
    body_id = envelope.findall("soap:Body[@wsu:Id]", NS)[0].get(f"{{{WSU_NS}}}Id", "")
    envelope.findall("soap:Header", NS)[0].set("Id", body_id)
    assert "ровно на один элемент" in refusal(envelope)


def test_zeep_default_sha1_is_refused(client_files: tuple[Path, Path]) -> None:
    data = zeep_signed(client_files, signature_method=xmlsec.Transform.RSA_SHA1, digest_method=xmlsec.Transform.SHA1)
    message = refusal(received(data))
    assert "SHA-1" in message
    assert "rsa-sha1" in message


def test_a_sha1_digest_is_refused(client_files: tuple[Path, Path]) -> None:
    message = refusal(received(zeep_signed(client_files, digest_method=xmlsec.Transform.SHA1)))
    assert "SHA-1" in message


def test_a_token_swapped_for_another_certificate_is_refused(client_files: tuple[Path, Path]) -> None:
    stranger = make_rsa_identity("Посторонний")
    envelope = received(zeep_signed(client_files))
    token = envelope.find("soap:Header/wsse:Security/wsse:BinarySecurityToken", NS)
    assert token is not None
    token.text = "".join(stranger.cert_pem.decode().splitlines()[1:-1])
    assert "не прошла проверку" in refusal(envelope)


def test_a_key_info_not_pointing_at_the_token_is_refused(client_files: tuple[Path, Path]) -> None:
    envelope = received(zeep_signed(client_files))
    reference = envelope.find(".//ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference", NS)
    assert reference is not None
    reference.set("URI", "#elsewhere")
    assert "#elsewhere" in refusal(envelope)


def test_a_second_token_is_refused(client_files: tuple[Path, Path]) -> None:
    envelope = received(zeep_signed(client_files))
    token = envelope.find("soap:Header/wsse:Security/wsse:BinarySecurityToken", NS)
    assert token is not None
    token.addnext(copy.deepcopy(token))
    assert "более одного wsse:BinarySecurityToken" in refusal(envelope)


def test_a_second_security_header_is_refused(client_files: tuple[Path, Path]) -> None:
    envelope = received(zeep_signed(client_files))
    header = envelope.find("soap:Header", NS)
    assert header is not None
    header.append(etree.Element(f"{{{WSSE_NS}}}Security"))
    assert "более одного заголовка" in refusal(envelope)


def test_a_soap12_envelope_is_refused() -> None:
    soap12 = ENVELOPE.replace(SOAP11_NS.encode(), b"http://www.w3.org/2003/05/soap-envelope")
    assert "SOAP 1.1" in refusal(received(soap12))


def test_server_signature_verifies_here_and_in_zeep(client: RsaIdentity, client_files: tuple[Path, Path]) -> None:
    envelope = sign_wsse_envelope(received(ENVELOPE), client.key_pem, client.cert_pem)
    data = etree.tostring(envelope, encoding="UTF-8")
    assert verify_wsse_envelope(received(data)).fingerprint == client.fingerprint
    key_file, cert_file = client_files
    BinarySignature(str(key_file), str(cert_file)).verify(received(data))


def test_server_signature_covers_a_timestamp_when_present(client: RsaIdentity) -> None:
    with_timestamp = ENVELOPE.replace(
        b"<soap:Body>",
        f'<soap:Header><wsse:Security xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}">'
        "<wsu:Timestamp><wsu:Created>2025-01-15T10:00:00Z</wsu:Created></wsu:Timestamp>"
        "</wsse:Security></soap:Header><soap:Body>".encode(),
    )
    data = etree.tostring(sign_wsse_envelope(received(with_timestamp), client.key_pem, client.cert_pem))
    assert len(received(data).findall(".//ds:SignedInfo/ds:Reference", NS)) == 2
    verify_wsse_envelope(received(data))
    assert "не прошла проверку" in refusal(received(data.replace(b"10:00:00Z", b"11:00:00Z")))
