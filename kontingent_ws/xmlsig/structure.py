"""Strict reading of a ``ds:Signature`` element before any cryptography is done.

The reader accepts the XMLDSig shape that this service issues and expects, nothing looser:
``SignedInfo`` holds exactly ``CanonicalizationMethod``, ``SignatureMethod`` and one or more
``Reference``; each ``Reference`` holds optional ``Transforms``, one ``DigestMethod`` and one
``DigestValue``. Anything else (a missing part, a duplicate, an unknown child, a ``Manifest``
in disguise) raises ``SignatureError``. :func:`require_profile` then pins the algorithms.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.certs import load_certificate_base64
from kontingent_ws.xmlsig.profiles import DSIG_NS, AlgorithmProfile, require_algorithm, require_transforms


def ds(local_name: str) -> str:
    """Clark name of an XMLDSig element."""
    return f"{{{DSIG_NS}}}{local_name}"


@dataclass(frozen=True, kw_only=True)
class ReferenceView:
    """One ``ds:Reference`` as read."""

    uri: str | None
    """The ``URI`` attribute (``None`` when absent)."""
    transforms: tuple[str, ...]
    """``Algorithm`` of each ``ds:Transform``, in order."""
    digest_method: str | None
    """``Algorithm`` of ``ds:DigestMethod``."""
    digest_value: bytes
    """Decoded ``ds:DigestValue``."""


@dataclass(frozen=True, kw_only=True)
class SignatureView:
    """A structurally valid ``ds:Signature`` (algorithms not yet checked)."""

    element: etree._Element
    """The ``ds:Signature`` element itself."""
    signed_info: etree._Element
    """Its ``ds:SignedInfo``."""
    canonicalization: str | None
    """``Algorithm`` of ``ds:CanonicalizationMethod``."""
    signature_method: str | None
    """``Algorithm`` of ``ds:SignatureMethod``."""
    references: tuple[ReferenceView, ...]
    """Every ``ds:Reference``, in order (at least one)."""
    signature_value: bytes
    """Decoded ``ds:SignatureValue``."""
    key_info: etree._Element | None
    """``ds:KeyInfo`` when present."""


def _children(parent: etree._Element) -> list[etree._Element]:
    """Element children only (comments and processing instructions are not part of the shape)."""
    return [child for child in parent if isinstance(child.tag, str)]


def _only(parent: etree._Element, local_name: str) -> etree._Element:
    found = parent.findall(ds(local_name))
    if len(found) != 1:
        what = "отсутствует" if not found else "встречается более одного раза"
        raise SignatureError(f"Элемент ds:{local_name} в подписи {what}")
    return found[0]


def _base64(element: etree._Element, what: str) -> bytes:
    text = "".join((element.text or "").split())
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"Значение {what} подписи не в кодировке base64") from exc
    if not value:
        raise SignatureError(f"Значение {what} подписи пустое")
    return value


def _read_reference(reference: etree._Element) -> ReferenceView:
    names = [child.tag for child in _children(reference)]
    digest = [ds("DigestMethod"), ds("DigestValue")]
    if names not in (digest, [ds("Transforms"), *digest]):
        raise SignatureError("Элемент ds:Reference подписи имеет недопустимую структуру")
    transforms_element = reference.find(ds("Transforms"))
    transforms: list[str] = []
    if transforms_element is not None:
        for transform in _children(transforms_element):
            if transform.tag != ds("Transform"):
                raise SignatureError("В ds:Transforms допускаются только элементы ds:Transform")
            transforms.append(transform.get("Algorithm") or "")
    return ReferenceView(
        uri=reference.get("URI"),
        transforms=tuple(transforms),
        digest_method=_only(reference, "DigestMethod").get("Algorithm"),
        digest_value=_base64(_only(reference, "DigestValue"), "ds:DigestValue"),
    )


def read_signature(signature: etree._Element) -> SignatureView:
    """Read ``signature`` strictly; raise ``SignatureError`` for any deviation from the shape."""
    if signature.tag != ds("Signature"):
        raise SignatureError("Ожидался элемент ds:Signature")
    names = [child.tag for child in _children(signature)]
    head = [ds("SignedInfo"), ds("SignatureValue")]
    if names not in (head, [*head, ds("KeyInfo")]):
        raise SignatureError("Элемент ds:Signature имеет недопустимую структуру (ds:Object и прочее не принимаются)")
    signed_info = _only(signature, "SignedInfo")
    info_names = [child.tag for child in _children(signed_info)]
    references = info_names[2:]
    if info_names[:2] != [ds("CanonicalizationMethod"), ds("SignatureMethod")] or not references:
        raise SignatureError("Элемент ds:SignedInfo имеет недопустимую структуру")
    if any(name != ds("Reference") for name in references):
        raise SignatureError("В ds:SignedInfo после ds:SignatureMethod допускаются только ds:Reference")
    canonicalization = _only(signed_info, "CanonicalizationMethod")
    if _children(canonicalization):
        raise SignatureError("Параметры метода канонизации (InclusiveNamespaces и др.) не принимаются")
    return SignatureView(
        element=signature,
        signed_info=signed_info,
        canonicalization=canonicalization.get("Algorithm"),
        signature_method=_only(signed_info, "SignatureMethod").get("Algorithm"),
        references=tuple(_read_reference(ref) for ref in signed_info.findall(ds("Reference"))),
        signature_value=_base64(_only(signature, "SignatureValue"), "ds:SignatureValue"),
        key_info=signature.find(ds("KeyInfo")),
    )


def require_profile(view: SignatureView, profile: AlgorithmProfile, *, transforms: Sequence[str]) -> None:
    """Refuse any algorithm of ``view`` that differs from ``profile``; every reference has ``transforms``."""
    require_algorithm("метод канонизации ds:CanonicalizationMethod", view.canonicalization, profile.canonicalization)
    require_algorithm("метод подписи ds:SignatureMethod", view.signature_method, profile.signature_method)
    for reference in view.references:
        require_algorithm("метод хэширования ds:DigestMethod", reference.digest_method, profile.digest_method)
        require_transforms(reference.transforms, transforms)


def certificate_from_key_info(view: SignatureView) -> x509.Certificate:
    """The one certificate in ``ds:KeyInfo/ds:X509Data/ds:X509Certificate``."""
    if view.key_info is None:
        raise SignatureError("В подписи нет ds:KeyInfo с сертификатом подписанта")
    if [child.tag for child in _children(view.key_info)] != [ds("X509Data")]:
        raise SignatureError("ds:KeyInfo должен содержать ровно один элемент ds:X509Data")
    x509_data = _only(view.key_info, "X509Data")
    certificates = x509_data.findall(ds("X509Certificate"))
    if len(certificates) != 1:
        raise SignatureError("ds:X509Data должен содержать ровно один сертификат ds:X509Certificate")
    return load_certificate_base64(certificates[0].text)
