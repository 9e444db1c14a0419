"""The two calls into xmlsec: sign a prepared ``ds:Signature`` template, verify a read signature.

Verification never lets xmlsec choose a key: the key is the certificate the caller extracted and
checked, and xmlsec runs with only the profile's algorithms enabled, so a signature that slipped
past the structural checks still cannot use another algorithm or transform.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import xmlsec
from cryptography import x509
from lxml import etree

from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.certs import certificate_pem
from kontingent_ws.xmlsig.profiles import (
    ENVELOPED_SIGNATURE,
    EXC_C14N,
    RSA_SHA256_URI,
    SHA256_URI,
    AlgorithmProfile,
)
from kontingent_ws.xmlsig.structure import SignatureView

if TYPE_CHECKING:
    from xmlsec.constants import __Transform as XmlsecTransform

IdAttribute = tuple[etree._Element, str, str | None]
"""An element whose attribute (local name, namespace) xmlsec must treat as an XML ID."""

_XMLSEC_TRANSFORMS: dict[str, XmlsecTransform] = {
    EXC_C14N: xmlsec.constants.TransformExclC14N,
    ENVELOPED_SIGNATURE: xmlsec.constants.TransformEnveloped,
    RSA_SHA256_URI: xmlsec.constants.TransformRsaSha256,
    SHA256_URI: xmlsec.constants.TransformSha256,
}


def _xmlsec_transform(uri: str) -> XmlsecTransform:
    try:
        return _XMLSEC_TRANSFORMS[uri]
    except KeyError:
        raise SignatureError(f"Алгоритм «{uri}» не поддерживается") from None


def sign_template(
    signature: etree._Element, private_key_pem: bytes, cert_pem: bytes, *, ids: Sequence[IdAttribute] = ()
) -> None:
    """Fill the digests and the signature value of ``signature`` (a template already in the tree)."""
    ctx = xmlsec.SignatureContext()
    key = xmlsec.Key.from_memory(private_key_pem, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    ctx.key = key
    for element, name, namespace in ids:
        ctx.register_id(element, name, namespace)
    ctx.sign(signature)


@lru_cache(maxsize=64)
def _verification_key(certificate: x509.Certificate) -> xmlsec.Key:
    """The xmlsec key of a certificate, loaded once per certificate (a system signs every call with
    the same one). The context takes a copy of it (``xmlSecKeyDuplicate``), so one key serves every
    verification; a certificate whose key cannot be loaded raises each time (errors are not cached)."""
    return xmlsec.Key.from_memory(certificate_pem(certificate), xmlsec.constants.KeyDataFormatCertPem)


def verify_signature(
    view: SignatureView,
    certificate: x509.Certificate,
    profile: AlgorithmProfile,
    *,
    transforms: Sequence[str],
    ids: Sequence[IdAttribute] = (),
) -> None:
    """Verify ``view`` with the public key of ``certificate``; raise ``SignatureError`` on failure."""
    ctx = xmlsec.SignatureContext()
    try:
        ctx.key = _verification_key(certificate)
    except xmlsec.Error as exc:
        raise SignatureError("Ключ сертификата подписанта не удалось использовать для проверки") from exc
    for uri in (profile.canonicalization, profile.signature_method):
        ctx.enable_signature_transform(_xmlsec_transform(uri))
    for uri in (*transforms, profile.digest_method):
        ctx.enable_reference_transform(_xmlsec_transform(uri))
    for element, name, namespace in ids:
        ctx.register_id(element, name, namespace)
    try:
        ctx.verify(view.element)
    except xmlsec.VerificationError as exc:
        raise SignatureError(
            "Подпись не прошла проверку: подписанные данные изменены или подпись сделана другим ключом"
        ) from exc
    except xmlsec.Error as exc:
        raise SignatureError("Подпись не удалось проверить: ссылка или преобразование не обработаны") from exc
