"""WS-Security X.509 signatures of SOAP 1.1 envelopes (the shape of zeep's ``BinarySignature``).

An accepted envelope has one ``wsse:Security`` header holding one ``wsse:BinarySecurityToken``
(an X.509v3 certificate in base64) and one ``ds:Signature`` whose ``KeyInfo`` points at that token
through a ``wsse:SecurityTokenReference``. Every reference is a ``#id`` that names exactly one
element of the envelope, by ``wsu:Id`` and by no other ID-like attribute; the ``soap:Body`` that is
the envelope's own child must be among them. The verified body is returned, and only that body
may be read afterwards. Algorithms are those of the RSA-SHA256 profile, each reference
transformed by exclusive c14n only.

Who the certificate belongs to is the caller's question: look the fingerprint up in the registry
of systems and check validity there.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from kontingent_ws.errors import AuthenticationError, SignatureError
from kontingent_ws.xmlsig.certs import fingerprint, load_certificate_base64, load_signing_pair, rsa_public_key
from kontingent_ws.xmlsig.profiles import EXC_C14N, profile_for
from kontingent_ws.xmlsig.structure import SignatureView, ds, read_signature, require_profile
from kontingent_ws.xmlsig.xmlsec_ops import IdAttribute, sign_template, verify_signature

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
X509V3_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"  # noqa: S105
BASE64_BINARY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
WSSE_TRANSFORMS = (EXC_C14N,)
"""The transforms of every reference of a WS-Security signature."""

_WSU_ID = f"{{{WSU_NS}}}Id"
_ID_LOCAL_NAMES = frozenset({"Id", "ID", "id"})

IdIndex = dict[str, list[tuple[etree._Element, str]]]
"""An ID value → every (element, attribute name) that carries it."""


@dataclass(frozen=True, kw_only=True)
class WsseResult:
    """What a WS-Security signature proved."""

    certificate: x509.Certificate
    """The certificate of the ``wsse:BinarySecurityToken`` whose key verified the signature."""
    fingerprint: str
    """SHA-256 fingerprint of ``certificate``, lowercase hex: the key to the registry of systems."""
    body: etree._Element
    """The verified ``soap:Body``: the only part of the envelope to read."""


def _soap(local_name: str) -> str:
    return f"{{{SOAP11_NS}}}{local_name}"


def _wsse(local_name: str) -> str:
    return f"{{{WSSE_NS}}}{local_name}"


def _single_child(parent: etree._Element, tag: str, missing: str, duplicate: str) -> etree._Element:
    found = parent.findall(tag)
    if not found:
        raise SignatureError(missing)
    if len(found) > 1:
        raise SignatureError(duplicate)
    return found[0]


def _envelope_parts(envelope: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    if envelope.tag != _soap("Envelope"):
        raise SignatureError("Ожидался конверт SOAP 1.1 (soap:Envelope)")
    headers = envelope.findall(_soap("Header"))
    if len(headers) > 1:
        raise SignatureError("Конверт SOAP содержит более одного заголовка soap:Header")
    body = _single_child(
        envelope, _soap("Body"), "Конверт SOAP не содержит soap:Body", "Конверт SOAP содержит более одного soap:Body"
    )
    return (headers[0] if headers else None), body


def _security_header(header: etree._Element | None) -> etree._Element:
    found = [] if header is None else header.findall(_wsse("Security"))
    if not found:
        raise AuthenticationError("Запрос не содержит заголовка WS-Security (wsse:Security) с подписью")
    if len(found) > 1:
        raise SignatureError("Запрос содержит более одного заголовка wsse:Security")
    return found[0]


def _token_certificate(token: etree._Element) -> x509.Certificate:
    if token.get("ValueType") != X509V3_TOKEN:
        raise SignatureError("Токен wsse:BinarySecurityToken должен быть сертификатом X.509v3")
    if token.get("EncodingType", BASE64_BINARY) != BASE64_BINARY:
        raise SignatureError("Токен wsse:BinarySecurityToken должен быть в кодировке Base64Binary")
    return _checked_certificate(token.text)


@lru_cache(maxsize=64)
def _checked_certificate(text: str | None) -> x509.Certificate:
    """The certificate carried as ``text``, with an RSA key strong enough; parsed once per distinct
    token text (a system sends the same certificate with every call; refusals are not cached)."""
    certificate = load_certificate_base64(text)
    rsa_public_key(certificate)
    return certificate


def _id_index(envelope: etree._Element) -> IdIndex:
    """Every ID-like attribute value (wsu:Id, Id, ID, id, xml:id…) → the elements carrying it."""
    index: IdIndex = defaultdict(list)
    for element in envelope.iter(etree.Element):
        for name, value in element.attrib.items():
            if etree.QName(name).localname in _ID_LOCAL_NAMES:
                index[value].append((element, name))
    return index


def _resolve(index: IdIndex, uri: str | None) -> etree._Element:
    if not uri or not uri.startswith("#") or len(uri) == 1:
        raise SignatureError(f"Ссылка подписи «{uri}» должна иметь вид #идентификатор")
    carriers = index.get(uri[1:], [])
    if len(carriers) != 1 or carriers[0][1] != _WSU_ID:
        raise SignatureError(f"Ссылка подписи «{uri}» не указывает ровно на один элемент с wsu:Id")
    return carriers[0][0]


def _require_token_reference(view: SignatureView, index: IdIndex, token: etree._Element) -> None:
    key_info = view.key_info
    children = [] if key_info is None else [child for child in key_info if isinstance(child.tag, str)]
    if len(children) != 1 or children[0].tag != _wsse("SecurityTokenReference"):
        raise SignatureError("ds:KeyInfo подписи должен ссылаться на wsse:BinarySecurityToken")
    references = [child for child in children[0] if isinstance(child.tag, str)]
    if len(references) != 1 or references[0].tag != _wsse("Reference"):
        raise SignatureError("wsse:SecurityTokenReference должен содержать ровно одну ссылку wsse:Reference")
    if references[0].get("ValueType", X509V3_TOKEN) != X509V3_TOKEN:
        raise SignatureError("wsse:Reference должен ссылаться на токен X.509v3")
    if _resolve(index, references[0].get("URI")) is not token:
        raise SignatureError("Подпись сделана не ключом из wsse:BinarySecurityToken этого запроса")


def verify_wsse_envelope(envelope: etree._Element) -> WsseResult:
    """Verify the WS-Security signature of ``envelope``; return the certificate and the verified body."""
    header, body = _envelope_parts(envelope)
    security = _security_header(header)
    signature = _single_child(
        security,
        ds("Signature"),
        "Заголовок wsse:Security не содержит подписи ds:Signature",
        "Заголовок wsse:Security содержит более одной подписи ds:Signature",
    )
    token = _single_child(
        security,
        _wsse("BinarySecurityToken"),
        "Заголовок wsse:Security не содержит сертификата wsse:BinarySecurityToken",
        "Заголовок wsse:Security содержит более одного wsse:BinarySecurityToken",
    )
    certificate = _token_certificate(token)
    view = read_signature(signature)
    profile = profile_for(view.signature_method)
    require_profile(view, profile, transforms=WSSE_TRANSFORMS)
    index = _id_index(envelope)
    _require_token_reference(view, index, token)
    targets = [_resolve(index, reference.uri) for reference in view.references]
    if not any(target is body for target in targets):
        raise SignatureError("Тело запроса soap:Body не подписано")
    ids: list[IdAttribute] = [(target, "Id", WSU_NS) for target in targets]
    verify_signature(view, certificate, profile, transforms=WSSE_TRANSFORMS, ids=ids)
    return WsseResult(certificate=certificate, fingerprint=fingerprint(certificate), body=body)


def _ensure_wsu_id(element: etree._Element) -> str:
    value = element.get(_WSU_ID)
    if not value:
        value = f"id-{uuid.uuid4()}"
        element.set(_WSU_ID, value)
    return value


def sign_wsse_envelope(envelope: etree._Element, key_pem: bytes, cert_pem: bytes) -> etree._Element:
    """Sign ``envelope`` in place the way zeep's ``BinarySignature`` does (RSA-SHA256); return it.

    The body and a ``wsu:Timestamp`` of the security header, when there is one, are signed.
    """
    pair = load_signing_pair(key_pem, cert_pem)
    header, body = _envelope_parts(envelope)
    if header is None:
        header = etree.Element(_soap("Header"))
        envelope.insert(0, header)
    security = header.find(_wsse("Security"))
    if security is None:
        security = etree.SubElement(header, _wsse("Security"), nsmap={"wsse": WSSE_NS})
    token = etree.Element(
        _wsse("BinarySecurityToken"),
        ValueType=X509V3_TOKEN,
        EncodingType=BASE64_BINARY,
        nsmap={"wsse": WSSE_NS, "wsu": WSU_NS},
    )
    token.text = base64.b64encode(pair.certificate.public_bytes(serialization.Encoding.DER)).decode()
    token_id = _ensure_wsu_id(token)
    signature = xmlsec.template.create(
        envelope, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256, ns="ds"
    )
    security.insert(0, token)
    security.insert(1, signature)
    targets = [body, *security.findall(f"{{{WSU_NS}}}Timestamp")]
    for target in targets:
        reference = xmlsec.template.add_reference(
            signature, xmlsec.constants.TransformSha256, uri=f"#{_ensure_wsu_id(target)}"
        )
        xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    token_reference = etree.SubElement(xmlsec.template.ensure_key_info(signature), _wsse("SecurityTokenReference"))
    etree.SubElement(token_reference, _wsse("Reference"), URI=f"#{token_id}", ValueType=X509V3_TOKEN)
    sign_template(signature, key_pem, cert_pem, ids=[(target, "Id", WSU_NS) for target in targets])
    return envelope
