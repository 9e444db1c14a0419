"""A small detached XMLDSig engine: build a ds:Signature, read one back strictly, resolve and
digest its reference.

It knows the structure of XMLDSig and two transforms (exclusive c14n and the SMEV transform);
the algorithms themselves come from the caller (``smev_signature`` profiles), so signing and
verifying run through the same functions here. Only one Reference, to ``#Id`` in the same
document, is accepted; anything else in the signature's structure is refused.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.smev_transform import SMEV_TRANSFORM_URI, smev_transform

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
ID_ATTRIBUTES = ("Id", "ID", "id", f"{{{WSU_NS}}}Id")
"""Attribute names that can carry a reference target; an Id must be unique across all of them."""


def _ds(local: str) -> str:
    return f"{{{DS_NS}}}{local}"


def canonicalize(element: etree._Element) -> bytes:
    """Exclusive XML canonicalization without comments, of ``element`` and its subtree."""
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def apply_transforms(element: etree._Element, transforms: Sequence[str]) -> bytes:
    """Run the reference transforms over ``element``; the result is what gets digested."""
    if not transforms:
        raise SignatureError("В ссылке подписи не указаны преобразования")
    data: bytes | None = None
    for algorithm in transforms:
        source = element if data is None else parse_bytes(data)
        if algorithm == EXC_C14N:
            data = canonicalize(source)
        elif algorithm == SMEV_TRANSFORM_URI:
            data = smev_transform(source)
        else:
            raise SignatureError(f"Алгоритм преобразования не поддерживается: {algorithm}")
    assert data is not None
    return data


def resolve_reference(document_node: etree._Element, uri: str) -> etree._Element:
    """The one element of ``document_node``'s document whose Id is ``uri`` without the ``#``.

    Refuses anything but a same-document ``#Id`` and an Id carried by more than one element
    (a signature-wrapping attempt or a broken document).
    """
    if not uri.startswith("#") or len(uri) < 2:
        raise SignatureError("Подпись должна ссылаться на элемент документа по Id (#Id)")
    target = uri[1:]
    root = document_node.getroottree().getroot()
    matches = [
        candidate
        for candidate in root.iter()
        if isinstance(candidate.tag, str) and any(candidate.get(name) == target for name in ID_ATTRIBUTES)
    ]
    if len(matches) != 1:
        raise SignatureError(
            f"Идентификатор подписанного элемента {target!r} должен встречаться в документе ровно один раз"
        )
    return matches[0]


def build_signature(
    *,
    reference_uri: str,
    transforms: Sequence[str],
    digest_method: str,
    digest_value: bytes,
    signature_method: str,
    certificate_der: bytes,
    sign: Callable[[bytes], bytes],
) -> etree._Element:
    """A detached ds:Signature whose SignatureValue is ``sign`` over the c14n of SignedInfo."""
    signature = etree.Element(_ds("Signature"), nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=signature_method)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI=reference_uri)
    transforms_element = etree.SubElement(reference, _ds("Transforms"))
    for algorithm in transforms:
        etree.SubElement(transforms_element, _ds("Transform"), Algorithm=algorithm)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=digest_method)
    etree.SubElement(reference, _ds("DigestValue")).text = base64.b64encode(digest_value).decode("ascii")
    signature_value = sign(canonicalize(signed_info))
    etree.SubElement(signature, _ds("SignatureValue")).text = base64.b64encode(signature_value).decode("ascii")
    key_info = etree.SubElement(signature, _ds("KeyInfo"))
    x509_data = etree.SubElement(key_info, _ds("X509Data"))
    etree.SubElement(x509_data, _ds("X509Certificate")).text = base64.b64encode(certificate_der).decode("ascii")
    return signature


@dataclass(frozen=True, kw_only=True)
class ParsedSignature:
    """Everything a verifier needs from one ds:Signature, read strictly."""

    signed_info_c14n: bytes
    """SignedInfo after its canonicalization method: the bytes SignatureValue signs."""
    signature_method: str
    reference_uri: str
    transforms: tuple[str, ...]
    digest_method: str
    digest_value: bytes
    signature_value: bytes
    certificate_der: bytes


def _children(element: etree._Element, *expected: str) -> list[etree._Element]:
    """Element children of ``element``; they must be exactly ``expected`` (ds names), in order."""
    children = [child for child in element if isinstance(child.tag, str)]
    if [child.tag for child in children] != [_ds(name) for name in expected]:
        raise SignatureError(f"Неверная структура элемента подписи {etree.QName(element).localname}")
    return children


def _algorithm(element: etree._Element) -> str:
    if any(isinstance(child.tag, str) for child in element):
        raise SignatureError("Параметры алгоритмов подписи не поддерживаются")
    algorithm = element.get("Algorithm")
    if not algorithm:
        raise SignatureError("В подписи не указан алгоритм")
    return algorithm


def _base64(element: etree._Element) -> bytes:
    try:
        return base64.b64decode("".join((element.text or "").split()), validate=True)
    except binascii.Error:
        raise SignatureError("Значение в подписи не является корректным base64") from None


def read_signature(signature: etree._Element) -> ParsedSignature:
    """Read a detached ds:Signature with one Reference and one X509Certificate in KeyInfo."""
    if signature.tag != _ds("Signature"):
        raise SignatureError("Ожидался элемент ds:Signature")
    signed_info, signature_value, key_info = _children(signature, "SignedInfo", "SignatureValue", "KeyInfo")
    c14n_method, signature_method, reference = _children(
        signed_info, "CanonicalizationMethod", "SignatureMethod", "Reference"
    )
    if _algorithm(c14n_method) != EXC_C14N:
        raise SignatureError("SignedInfo должен канонизироваться методом exclusive c14n")
    transforms, digest_method, digest_value = _children(reference, "Transforms", "DigestMethod", "DigestValue")
    (x509_data,) = _children(key_info, "X509Data")
    (certificate,) = _children(x509_data, "X509Certificate")
    transform_elements = [child for child in transforms if isinstance(child.tag, str)]
    _children(transforms, *["Transform"] * len(transform_elements))
    return ParsedSignature(
        signed_info_c14n=canonicalize(signed_info),
        signature_method=_algorithm(signature_method),
        reference_uri=reference.get("URI") or "",
        transforms=tuple(_algorithm(transform) for transform in transform_elements),
        digest_method=_algorithm(digest_method),
        digest_value=_base64(digest_value),
        signature_value=_base64(signature_value),
        certificate_der=_base64(certificate),
    )
