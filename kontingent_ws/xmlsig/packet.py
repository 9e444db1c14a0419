"""XMLDSig signatures of provider packets: enveloped in the packet, or detached for huge files.

Enveloped: the packet root carries one ``ds:Signature`` as its last child, with one ``Reference``
``URI=""`` (the whole document) transformed by enveloped-signature + exclusive c14n, RSA-SHA256
and the signer's certificate in ``KeyInfo/X509Data``. Verification refuses every other shape,
which is the defence against signature wrapping: since the one reference covers the whole
document, nothing can be moved, duplicated or added without breaking the digest, and the only
element a caller may read afterwards is :attr:`VerifyResult.signed_element`.

Detached: a small standalone ``ds:Signature`` document whose one ``Reference`` names the packet
file and digests its raw octets (SHA-256, no transforms). Both signing and verification stream
the file in chunks, so a packet of any size costs a few megabytes of memory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from adapters.safexml import UnsafeXml, parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.certs import fingerprint, load_signing_pair, rsa_public_key
from kontingent_ws.xmlsig.profiles import DSIG_NS, ENVELOPED_SIGNATURE, EXC_C14N, RSA_SHA256, profile_for
from kontingent_ws.xmlsig.structure import (
    SignatureView,
    certificate_from_key_info,
    ds,
    read_signature,
    require_profile,
)
from kontingent_ws.xmlsig.xmlsec_ops import sign_template, verify_signature

PACKET_TRANSFORMS = (ENVELOPED_SIGNATURE, EXC_C14N)
"""The transforms of the one reference of an enveloped packet signature, in order."""
FILE_CHUNK_BYTES = 1024 * 1024
"""Read size when digesting a packet file."""
MAX_DETACHED_SIGNATURE_BYTES = 256 * 1024
"""A detached signature document is a few kilobytes; anything bigger is refused before parsing."""

StrPath = str | os.PathLike[str]
"""A file system path."""
TrustCheck = Callable[[x509.Certificate], None]
"""Raises unless the certificate is a registered, valid, unrevoked certificate of the sender."""


@dataclass(frozen=True, kw_only=True)
class VerifyResult:
    """What an enveloped packet signature proved."""

    signed_element: etree._Element
    """The element the verified reference covers (the document root): the only one to process."""
    certificate: x509.Certificate
    """The signer's certificate from ``KeyInfo``, accepted by the trust check."""
    fingerprint: str
    """SHA-256 fingerprint of ``certificate``, lowercase hex."""
    signature_method: str
    """Algorithm URI of ``ds:SignatureMethod``."""
    digest_method: str
    """Algorithm URI of the reference's ``ds:DigestMethod``."""


@dataclass(frozen=True, kw_only=True)
class FileVerifyResult:
    """What a detached packet-file signature proved."""

    certificate: x509.Certificate
    """The signer's certificate from ``KeyInfo``, accepted by the trust check."""
    fingerprint: str
    """SHA-256 fingerprint of ``certificate``, lowercase hex."""
    sha256: str
    """SHA-256 of the file octets as verified, lowercase hex (compare it when the file is reread)."""


def sign_packet(root: etree._Element, private_key_pem: bytes, cert_pem: bytes) -> etree._Element:
    """Sign the packet ``root`` in place (it must be its document's root) and return it."""
    load_signing_pair(private_key_pem, cert_pem)
    if root.getparent() is not None:
        raise ValueError("sign_packet needs the root element of its document")
    if next(root.iter(ds("Signature")), None) is not None:
        raise SignatureError("Пакет уже содержит подпись ds:Signature")
    signature = xmlsec.template.create(
        root, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256, ns="ds"
    )
    reference = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256, uri="")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    x509_data = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(signature))
    xmlsec.template.x509_data_add_certificate(x509_data)
    root.append(signature)
    sign_template(signature, private_key_pem, cert_pem)
    return root


def _packet_signature(root: etree._Element) -> etree._Element:
    if root.getroottree().getroot() is not root:
        raise SignatureError("Подпись проверяется только у корневого элемента пакета")
    signatures = list(root.iter(ds("Signature")))
    if not signatures:
        raise SignatureError("Пакет не подписан: элемент ds:Signature отсутствует")
    if len(signatures) > 1:
        raise SignatureError("Пакет содержит более одной подписи ds:Signature")
    signature = signatures[0]
    if signature.getparent() is not root or root[-1] is not signature:
        raise SignatureError("Подпись ds:Signature должна быть последним дочерним элементом корня пакета")
    return signature


def verify_packet(root: etree._Element, trust: TrustCheck) -> VerifyResult:
    """Verify the enveloped signature of the packet ``root``; ``trust`` vets the signer's certificate."""
    view = read_signature(_packet_signature(root))
    profile = profile_for(view.signature_method)
    require_profile(view, profile, transforms=PACKET_TRANSFORMS)
    if len(view.references) != 1:
        raise SignatureError("Подпись пакета должна содержать ровно одну ссылку ds:Reference")
    if view.references[0].uri != "":
        raise SignatureError('Подпись пакета должна относиться ко всему документу (ds:Reference URI="")')
    certificate = certificate_from_key_info(view)
    rsa_public_key(certificate)
    verify_signature(view, certificate, profile, transforms=PACKET_TRANSFORMS)
    trust(certificate)
    return VerifyResult(
        signed_element=root,
        certificate=certificate,
        fingerprint=fingerprint(certificate),
        signature_method=profile.signature_method,
        digest_method=profile.digest_method,
    )


def _file_sha256(path: StrPath) -> bytes:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(FILE_CHUNK_BYTES):
            digest.update(chunk)
    return digest.digest()


def _canonical_signed_info(signed_info: etree._Element) -> bytes:
    return etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)


def sign_packet_file(path: StrPath, private_key_pem: bytes, cert_pem: bytes) -> bytes:
    """A detached ``ds:Signature`` document (UTF-8 bytes) over the raw octets of the file at ``path``."""
    pair = load_signing_pair(private_key_pem, cert_pem)
    signature = etree.Element(ds("Signature"), nsmap={"ds": DSIG_NS})
    signed_info = etree.SubElement(signature, ds("SignedInfo"))
    etree.SubElement(signed_info, ds("CanonicalizationMethod"), Algorithm=RSA_SHA256.canonicalization)
    etree.SubElement(signed_info, ds("SignatureMethod"), Algorithm=RSA_SHA256.signature_method)
    reference = etree.SubElement(signed_info, ds("Reference"), URI=quote(Path(path).name))
    etree.SubElement(reference, ds("DigestMethod"), Algorithm=RSA_SHA256.digest_method)
    etree.SubElement(reference, ds("DigestValue")).text = base64.b64encode(_file_sha256(path)).decode()
    value = pair.key.sign(_canonical_signed_info(signed_info), padding.PKCS1v15(), hashes.SHA256())
    etree.SubElement(signature, ds("SignatureValue")).text = base64.b64encode(value).decode()
    x509_data = etree.SubElement(etree.SubElement(signature, ds("KeyInfo")), ds("X509Data"))
    der = pair.certificate.public_bytes(serialization.Encoding.DER)
    etree.SubElement(x509_data, ds("X509Certificate")).text = base64.b64encode(der).decode()
    return etree.tostring(signature, xml_declaration=True, encoding="UTF-8")


def _read_detached(signature_xml: bytes) -> SignatureView:
    try:
        signature = parse_bytes(signature_xml, max_bytes=MAX_DETACHED_SIGNATURE_BYTES)
    except UnsafeXml as exc:
        raise SignatureError(f"Файл подписи не принят: {exc.message}") from exc
    view = read_signature(signature)
    require_profile(view, RSA_SHA256, transforms=())
    if len(view.references) != 1:
        raise SignatureError("Отсоединённая подпись должна содержать ровно одну ссылку ds:Reference")
    uri = view.references[0].uri
    if not uri or uri.startswith("#"):
        raise SignatureError("Отсоединённая подпись должна ссылаться на файл пакета (ds:Reference URI)")
    return view


def verify_packet_file(path: StrPath, signature_xml: bytes, trust: TrustCheck) -> FileVerifyResult:
    """Verify a detached signature of the file at ``path``, streaming the file (never loaded whole)."""
    view = _read_detached(signature_xml)
    certificate = certificate_from_key_info(view)
    try:
        rsa_public_key(certificate).verify(
            view.signature_value, _canonical_signed_info(view.signed_info), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise SignatureError(
            "Подпись файла пакета не прошла проверку: ds:SignedInfo изменён или подписан другим ключом"
        ) from exc
    digest = _file_sha256(path)
    if not hmac.compare_digest(digest, view.references[0].digest_value):
        raise SignatureError("Файл пакета изменён после подписания: хэш SHA-256 не совпадает с подписанным")
    trust(certificate)
    return FileVerifyResult(certificate=certificate, fingerprint=fingerprint(certificate), sha256=digest.hex())
