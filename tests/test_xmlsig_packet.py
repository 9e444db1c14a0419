"""Enveloped and detached XMLDSig signatures of provider packets, with real keys and real xmlsec."""

from __future__ import annotations

import copy
import hashlib
import tracemalloc
from pathlib import Path

import pytest
import xmlsec
from cryptography import x509
from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.packet import sign_packet, sign_packet_file, verify_packet, verify_packet_file
from kontingent_ws.xmlsig.profiles import DSIG_NS, ENVELOPED_SIGNATURE, EXC_C14N, RSA_SHA256_URI, SHA256_URI
from tests.pki import RsaIdentity, make_rsa_identity

PKT_NS = "urn:kontingent:test-packet"
PACKET = f"""<pkt:Packet xmlns:pkt="{PKT_NS}" messageId="5f0c2a8e-1111-4222-8333-944455556666">
  <pkt:Student Id="s1"><pkt:Snils>112-233-445 95</pkt:Snils><pkt:LastName>Иванов</pkt:LastName></pkt:Student>
  <pkt:Student Id="s2"><pkt:Snils>123-456-789 64</pkt:Snils><pkt:LastName>Петрова</pkt:LastName></pkt:Student>
</pkt:Packet>""".encode()
DS = {"ds": DSIG_NS}


@pytest.fixture(scope="module")
def signer() -> RsaIdentity:
    return make_rsa_identity("Школа № 1")


@pytest.fixture(scope="module")
def stranger() -> RsaIdentity:
    return make_rsa_identity("Посторонний")


def accept_any(_: x509.Certificate) -> None:
    """A trust check that accepts every certificate (the tests here are about the signature)."""


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8")


def signed_bytes(identity: RsaIdentity) -> bytes:
    return serialize(sign_packet(parse_bytes(PACKET), identity.key_pem, identity.cert_pem))


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1
    return data.replace(old, new)


def refusal(root: etree._Element) -> str:
    with pytest.raises(SignatureError) as caught:
        verify_packet(root, accept_any)
    assert caught.value.message
    return caught.value.message


def xmlsec_sign(
    root: etree._Element,
    identity: RsaIdentity,
    *,
    signature_method: xmlsec.Transform = xmlsec.Transform.RSA_SHA256,
    digest_method: xmlsec.Transform = xmlsec.Transform.SHA256,
    uris: tuple[str, ...] = ("",),
    transforms: tuple[xmlsec.Transform, ...] = (xmlsec.Transform.ENVELOPED, xmlsec.Transform.EXCL_C14N),
    cert_pem: bytes | None = None,
) -> etree._Element:
    """Sign ``root`` with xmlsec directly, with any algorithms: how an attacker or a sloppy client would."""
    signature = xmlsec.template.create(root, xmlsec.Transform.EXCL_C14N, signature_method, ns="ds")
    for uri in uris:
        reference = xmlsec.template.add_reference(signature, digest_method, uri=uri)
        for transform in transforms:
            xmlsec.template.add_transform(reference, transform)
    xmlsec.template.x509_data_add_certificate(xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature)))
    root.append(signature)
    key = xmlsec.Key.from_memory(identity.key_pem, xmlsec.KeyFormat.PEM)
    key.load_cert_from_memory(cert_pem or identity.cert_pem, xmlsec.KeyFormat.CERT_PEM)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    for student in root.iter(f"{{{PKT_NS}}}Student"):
        ctx.register_id(student, "Id")
    ctx.sign(signature)
    return parse_bytes(serialize(root))


# --- enveloped: what a good signature looks like ------------------------------------------------


def test_signed_packet_verifies_and_returns_the_signed_root(signer: RsaIdentity) -> None:
    seen: list[x509.Certificate] = []
    root = parse_bytes(signed_bytes(signer))
    result = verify_packet(root, seen.append)
    assert result.signed_element is root
    assert result.certificate == signer.cert
    assert seen == [signer.cert]
    assert result.fingerprint == signer.fingerprint
    assert (result.signature_method, result.digest_method) == (RSA_SHA256_URI, SHA256_URI)
    assert root.findtext(f"{{{PKT_NS}}}Student/{{{PKT_NS}}}LastName") == "Иванов"


def test_signature_is_the_last_child_with_one_whole_document_reference(signer: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    signature = root[-1]
    assert signature.tag == f"{{{DSIG_NS}}}Signature"
    [reference] = signature.findall("ds:SignedInfo/ds:Reference", DS)
    assert reference.get("URI") == ""
    assert [t.get("Algorithm") for t in reference.iterfind("ds:Transforms/ds:Transform", DS)] == [
        ENVELOPED_SIGNATURE,
        EXC_C14N,
    ]
    assert signature.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=DS)


def test_a_refusing_trust_check_refuses_the_packet(signer: RsaIdentity) -> None:
    def unregistered(_: x509.Certificate) -> None:
        raise SignatureError("Сертификат не зарегистрирован за поставщиком")

    with pytest.raises(SignatureError, match="не зарегистрирован"):
        verify_packet(parse_bytes(signed_bytes(signer)), unregistered)


def test_sign_packet_refuses_a_key_that_does_not_match_the_certificate(
    signer: RsaIdentity, stranger: RsaIdentity
) -> None:
    with pytest.raises(SignatureError) as caught:
        sign_packet(parse_bytes(PACKET), stranger.key_pem, signer.cert_pem)
    assert caught.value.message


def test_sign_packet_refuses_an_already_signed_packet(signer: RsaIdentity) -> None:
    with pytest.raises(SignatureError) as caught:
        sign_packet(parse_bytes(signed_bytes(signer)), signer.key_pem, signer.cert_pem)
    assert caught.value.message


# --- enveloped: refusals ---------------------------------------------------------------------------


def test_unsigned_packet_is_refused() -> None:
    assert "не подписан" in refusal(parse_bytes(PACKET))


def test_one_changed_byte_in_a_text_node_is_refused(signer: RsaIdentity) -> None:
    tampered = replace_once(signed_bytes(signer), b"445 95", b"445 96")
    assert "не прошла проверку" in refusal(parse_bytes(tampered))


def test_key_not_matching_the_certificate_is_refused(signer: RsaIdentity, stranger: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), stranger, cert_pem=signer.cert_pem)
    assert root.findtext(".//ds:X509Certificate", namespaces=DS)
    assert "не прошла проверку" in refusal(root)


def test_certificate_swapped_in_key_info_is_refused(signer: RsaIdentity, stranger: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    x509_certificate = root.find(".//ds:X509Certificate", DS)
    assert x509_certificate is not None
    x509_certificate.text = parse_bytes(signed_bytes(stranger)).findtext(".//ds:X509Certificate", namespaces=DS)
    assert "не прошла проверку" in refusal(root)


def test_a_second_signature_is_refused(signer: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    root[0].append(copy.deepcopy(root[-1]))
    assert "более одной подписи" in refusal(root)


def test_a_duplicated_signed_element_is_refused(signer: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    root.insert(0, copy.deepcopy(root[0]))
    assert "не прошла проверку" in refusal(root)


def test_a_signed_packet_wrapped_in_a_forged_one_is_refused(signer: RsaIdentity) -> None:
    forged = parse_bytes(PACKET)
    forged[0][1].text = "Злоумышленников"
    wrapper = etree.SubElement(forged, f"{{{PKT_NS}}}Extension")
    wrapper.append(parse_bytes(signed_bytes(signer)))
    assert "последним дочерним" in refusal(parse_bytes(serialize(forged)))


def test_a_signature_moved_into_a_child_is_refused(signer: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    root[1].append(root[-1])
    assert "последним дочерним" in refusal(root)


def test_a_signature_that_is_not_the_last_child_is_refused(signer: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    root.append(copy.deepcopy(root[1]))
    assert "последним дочерним" in refusal(root)


def test_a_reference_to_a_child_element_is_refused(signer: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), signer, uris=("#s1",))
    assert "URI" in refusal(root)


def test_a_second_reference_is_refused(signer: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), signer, uris=("", "#s2"))
    assert "ровно одну ссылку" in refusal(root)


def test_a_sha1_digest_is_refused(signer: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), signer, digest_method=xmlsec.Transform.SHA1)
    message = refusal(root)
    assert "SHA-1" in message
    assert "http://www.w3.org/2000/09/xmldsig#sha1" in message


def test_an_rsa_sha1_signature_is_refused(signer: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), signer, signature_method=xmlsec.Transform.RSA_SHA1)
    message = refusal(root)
    assert "SHA-1" in message
    assert "rsa-sha1" in message


def test_an_algorithm_outside_the_allow_list_is_refused(signer: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), signer, signature_method=xmlsec.Transform.RSA_SHA512)
    assert "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" in refusal(root)


def test_an_inclusive_c14n_transform_is_refused(signer: RsaIdentity) -> None:
    root = xmlsec_sign(parse_bytes(PACKET), signer, transforms=(xmlsec.Transform.ENVELOPED, xmlsec.Transform.C14N))
    assert "http://www.w3.org/TR/2001/REC-xml-c14n-20010315" in refusal(root)


def test_a_signature_with_an_object_is_refused(signer: RsaIdentity) -> None:
    root = parse_bytes(signed_bytes(signer))
    etree.SubElement(root[-1], f"{{{DSIG_NS}}}Object").text = "данные"
    assert "ds:Object" in refusal(root)


def test_verifying_an_inner_element_instead_of_the_root_is_refused(signer: RsaIdentity) -> None:
    outer = etree.fromstring(b"<Envelope/>")
    outer.append(parse_bytes(signed_bytes(signer)))
    assert "корневого элемента" in refusal(outer[0])


# --- detached: large packet files ----------------------------------------------------------------


def write_packet_file(path: Path, megabytes: int) -> Path:
    """A generated packet of about ``megabytes`` MB, written row by row."""
    row = "<pkt:Student><pkt:Snils>112-233-445 95</pkt:Snils><pkt:LastName>Иванов</pkt:LastName></pkt:Student>\n"
    chunk = (row * 1000).encode()
    with path.open("wb") as stream:
        stream.write(f'<pkt:Packet xmlns:pkt="{PKT_NS}">\n'.encode())
        for _ in range(megabytes * 1024 * 1024 // len(chunk) + 1):
            stream.write(chunk)
        stream.write(b"</pkt:Packet>\n")
    return path


@pytest.fixture(scope="module")
def big_packet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_packet_file(tmp_path_factory.mktemp("packets") / "пакет 2025-01.xml", 8)


def flip_one_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as stream:
        stream.seek(offset)
        original = stream.read(1)
        stream.seek(offset)
        stream.write(bytes([original[0] ^ 0x01]))


def detached_refusal(path: Path, signature_xml: bytes) -> str:
    with pytest.raises(SignatureError) as caught:
        verify_packet_file(path, signature_xml, accept_any)
    assert caught.value.message
    return caught.value.message


def test_detached_signature_roundtrip_on_a_multi_megabyte_file(big_packet: Path, signer: RsaIdentity) -> None:
    signature_xml = sign_packet_file(big_packet, signer.key_pem, signer.cert_pem)
    assert len(signature_xml) < 8 * 1024
    seen: list[x509.Certificate] = []
    result = verify_packet_file(big_packet, signature_xml, seen.append)
    assert result.sha256 == hashlib.sha256(big_packet.read_bytes()).hexdigest()
    assert result.fingerprint == signer.fingerprint
    assert seen == [signer.cert]


def test_detached_signature_names_the_file_and_digests_raw_octets(big_packet: Path, signer: RsaIdentity) -> None:
    signature = parse_bytes(sign_packet_file(big_packet, signer.key_pem, signer.cert_pem))
    assert signature.tag == f"{{{DSIG_NS}}}Signature"
    [reference] = signature.findall("ds:SignedInfo/ds:Reference", DS)
    assert reference.get("URI") == "%D0%BF%D0%B0%D0%BA%D0%B5%D1%82%202025-01.xml"
    assert reference.find("ds:Transforms", DS) is None
    assert reference.findall("ds:DigestMethod[@Algorithm]", DS)[0].get("Algorithm") == SHA256_URI


def test_detached_signature_refuses_a_file_with_one_byte_changed(tmp_path: Path, signer: RsaIdentity) -> None:
    packet = write_packet_file(tmp_path / "packet.xml", 3)
    signature_xml = sign_packet_file(packet, signer.key_pem, signer.cert_pem)
    flip_one_byte(packet, packet.stat().st_size // 2)
    assert "хэш SHA-256 не совпадает" in detached_refusal(packet, signature_xml)


def test_detached_verification_streams_the_file(tmp_path: Path, signer: RsaIdentity) -> None:
    packet = write_packet_file(tmp_path / "packet.xml", 24)
    signature_xml = sign_packet_file(packet, signer.key_pem, signer.cert_pem)
    tracemalloc.start()
    try:
        verify_packet_file(packet, signature_xml, accept_any)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024 < packet.stat().st_size


def test_detached_signature_with_a_swapped_certificate_is_refused(
    big_packet: Path, signer: RsaIdentity, stranger: RsaIdentity
) -> None:
    ours = sign_packet_file(big_packet, signer.key_pem, signer.cert_pem)
    theirs = sign_packet_file(big_packet, stranger.key_pem, stranger.cert_pem)
    ours_cert = parse_bytes(ours).findtext(".//ds:X509Certificate", namespaces=DS)
    theirs_cert = parse_bytes(theirs).findtext(".//ds:X509Certificate", namespaces=DS)
    assert ours_cert and theirs_cert
    swapped = replace_once(ours, ours_cert.encode(), theirs_cert.encode())
    assert "не прошла проверку" in detached_refusal(big_packet, swapped)


def test_detached_signature_with_a_changed_reference_is_refused(big_packet: Path, signer: RsaIdentity) -> None:
    signature_xml = sign_packet_file(big_packet, signer.key_pem, signer.cert_pem)
    renamed = replace_once(signature_xml, b"2025-01.xml", b"2025-02.xml")
    assert "не прошла проверку" in detached_refusal(big_packet, renamed)


def test_detached_signature_with_a_sha1_digest_is_refused(big_packet: Path, signer: RsaIdentity) -> None:
    signature_xml = sign_packet_file(big_packet, signer.key_pem, signer.cert_pem)
    weakened = replace_once(signature_xml, SHA256_URI.encode(), b"http://www.w3.org/2000/09/xmldsig#sha1")
    assert "SHA-1" in detached_refusal(big_packet, weakened)


def test_detached_signature_with_a_doctype_is_refused(big_packet: Path, signer: RsaIdentity) -> None:
    signature_xml = sign_packet_file(big_packet, signer.key_pem, signer.cert_pem)
    hostile = replace_once(signature_xml, b"?>\n", b'?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n')
    assert "DOCTYPE" in detached_refusal(big_packet, hostile)


def test_detached_signature_is_verified_by_xmlsec_itself(
    big_packet: Path, signer: RsaIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    signature = etree.fromstring(sign_packet_file(big_packet, signer.key_pem, signer.cert_pem))
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(signer.cert_pem, xmlsec.KeyFormat.CERT_PEM)
    monkeypatch.chdir(big_packet.parent)
    ctx.verify(signature)


def test_detached_signature_made_by_xmlsec_is_accepted(
    tmp_path: Path, signer: RsaIdentity, monkeypatch: pytest.MonkeyPatch
) -> None:
    packet = write_packet_file(tmp_path / "packet.xml", 1)
    template = xmlsec.template.create(
        etree.Element("holder"), xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256, ns="ds"
    )
    xmlsec.template.add_reference(template, xmlsec.Transform.SHA256, uri="packet.xml")
    xmlsec.template.x509_data_add_certificate(xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(template)))
    signature = etree.fromstring(etree.tostring(template))
    key = xmlsec.Key.from_memory(signer.key_pem, xmlsec.KeyFormat.PEM)
    key.load_cert_from_memory(signer.cert_pem, xmlsec.KeyFormat.CERT_PEM)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    monkeypatch.chdir(tmp_path)
    ctx.sign(signature)
    result = verify_packet_file(packet, etree.tostring(signature), accept_any)
    assert result.fingerprint == signer.fingerprint
