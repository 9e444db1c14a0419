"""SMEV 3 signatures: detached XMLDSig over an element with an Id, in pinned profiles.

A SMEV signature (``CallerInformationSystemSignature``, ``SMEVSignature``, the signature of
a ``MessageReference`` …) signs one element, ``URI="#<Id>"``, with the reference transforms
exclusive c14n then ``urn://smev-gov-ru/xmldsig/transform``, SignedInfo in exclusive c14n, and
the signer's certificate in ``KeyInfo/X509Data``. Two profiles are known: GOST R 34.10-2012 /
34.11-2012 (256 bits), the federal SMEV one, and RSA-SHA256 for regional exchange.

Signing and verifying share one code path: ``sign_element`` builds the signature and then
checks it exactly as ``verify_element`` checks an incoming one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from adapters.safexml import parse_bytes
from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig import gost, gost_cert
from kontingent_ws.xmlsig.dsig import (
    EXC_C14N,
    ParsedSignature,
    apply_transforms,
    build_signature,
    read_signature,
    resolve_reference,
)
from kontingent_ws.xmlsig.smev_transform import SMEV_TRANSFORM_URI

SMEV_TRANSFORMS = (EXC_C14N, SMEV_TRANSFORM_URI)
"""The reference transforms of every SMEV signature, in order."""
MIN_RSA_BITS = 2048


@dataclass(frozen=True, kw_only=True)
class SmevSignatureProfile:
    """One pinned combination of algorithms and the functions that implement it."""

    name: str
    """``gost2012-256`` or ``rsa-sha256``."""
    signature_method: str
    """URI of ``ds:SignatureMethod``."""
    digest_method: str
    """URI of ``ds:DigestMethod``."""
    digest: Callable[[bytes], bytes]
    """The digest of the transformed element."""
    sign: Callable[[Any, bytes], bytes]
    """``(private_key, canonical SignedInfo) -> SignatureValue``."""
    verify: Callable[[bytes, bytes, bytes], bool]
    """``(certificate DER, canonical SignedInfo, SignatureValue) -> valid?``."""
    validity: Callable[[bytes], tuple[datetime, datetime]]
    """``certificate DER -> (not before, not after)``, both aware UTC."""


def _gost_certificate(certificate_der: bytes) -> gost_cert.GostCertificate:
    try:
        return gost_cert.parse_certificate(certificate_der)
    except ValueError as error:
        raise SignatureError("Сертификат подписи не содержит ключа ГОСТ Р 34.10-2012 (256 бит)") from error


def _gost_sign(private_key: Any, data: bytes) -> bytes:
    if not isinstance(private_key, gost.GostPrivateKey):
        raise SignatureError("Для подписи по ГОСТ Р 34.10-2012 нужен ключ ГОСТ")
    return gost.sign(private_key, data)


def _gost_verify(certificate_der: bytes, data: bytes, signature: bytes) -> bool:
    return gost.verify(_gost_certificate(certificate_der).public_key, data, signature)


def _gost_validity(certificate_der: bytes) -> tuple[datetime, datetime]:
    certificate = _gost_certificate(certificate_der)
    return certificate.not_before, certificate.not_after


def _rsa_certificate(certificate_der: bytes) -> tuple[x509.Certificate, rsa.RSAPublicKey]:
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
        public_key = certificate.public_key()
    except ValueError as error:
        raise SignatureError("Сертификат подписи не удалось разобрать") from error
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < MIN_RSA_BITS:
        raise SignatureError(f"Сертификат подписи не содержит ключа RSA длиной от {MIN_RSA_BITS} бит")
    return certificate, public_key


def _rsa_sign(private_key: Any, data: bytes) -> bytes:
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < MIN_RSA_BITS:
        raise SignatureError(f"Для подписи RSA-SHA256 нужен ключ RSA длиной от {MIN_RSA_BITS} бит")
    return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _rsa_verify(certificate_der: bytes, data: bytes, signature: bytes) -> bool:
    _certificate, public_key = _rsa_certificate(certificate_der)
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _rsa_validity(certificate_der: bytes) -> tuple[datetime, datetime]:
    certificate, _public_key = _rsa_certificate(certificate_der)
    return certificate.not_valid_before_utc, certificate.not_valid_after_utc


def _sha256(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()


GOST2012_256 = SmevSignatureProfile(
    name="gost2012-256",
    signature_method="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
    digest_method="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
    digest=gost.streebog256,
    sign=_gost_sign,
    verify=_gost_verify,
    validity=_gost_validity,
)
RSA_SHA256 = SmevSignatureProfile(
    name="rsa-sha256",
    signature_method="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    digest_method="http://www.w3.org/2001/04/xmlenc#sha256",
    digest=_sha256,
    sign=_rsa_sign,
    verify=_rsa_verify,
    validity=_rsa_validity,
)
PROFILES = {profile.name: profile for profile in (GOST2012_256, RSA_SHA256)}


def _refuse_algorithm(uri: str) -> SignatureError:
    if "sha1" in uri.lower():
        return SignatureError(f"Алгоритм SHA-1 «{uri}» запрещён как нестойкий")
    return SignatureError(f"Алгоритм «{uri}» не входит в список разрешённых")


def profile_by_name(name: str) -> SmevSignatureProfile:
    """The profile called ``name`` (``gost2012-256`` or ``rsa-sha256``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise SignatureError(f"Профиль подписи «{name}» не поддерживается") from None


def profile_by_signature_method(uri: str) -> SmevSignatureProfile:
    """The profile whose ``ds:SignatureMethod`` is ``uri``; SHA-1 and unknown URIs are refused."""
    for profile in PROFILES.values():
        if profile.signature_method == uri:
            return profile
    raise _refuse_algorithm(uri)


@dataclass(frozen=True, kw_only=True)
class SmevTrust:
    """Whom ``verify_element`` believes."""

    certificates: frozenset[bytes]
    """DER of the certificates allowed to sign (registered for the sending systems)."""
    profiles: frozenset[str] = field(default_factory=lambda: frozenset(PROFILES))
    """Names of the profiles accepted."""
    at: datetime | None = None
    """Moment at which the certificate must be valid; ``None`` means now."""


@dataclass(frozen=True, kw_only=True)
class SmevVerifyResult:
    """A signature that checked out, and what it covers."""

    certificate_der: bytes
    """The signer's certificate (one of ``SmevTrust.certificates``)."""
    profile: SmevSignatureProfile
    signed_element: etree._Element
    """A fresh copy of exactly what was signed (the referenced element after exclusive c14n);
    read the message from this, not from the document it came in."""


def _element_id(element: etree._Element) -> str:
    element_id = element.get("Id")
    if not element_id:
        raise SignatureError("У подписываемого элемента нет атрибута Id")
    return element_id


def _check(
    element: etree._Element, signature: etree._Element, parsed: ParsedSignature, trust: SmevTrust
) -> SmevSignatureProfile:
    profile = profile_by_signature_method(parsed.signature_method)
    if profile.name not in trust.profiles:
        raise SignatureError(f"Профиль подписи «{profile.name}» не разрешён для этого обмена")
    if parsed.digest_method != profile.digest_method:
        raise _refuse_algorithm(parsed.digest_method)
    if parsed.transforms != SMEV_TRANSFORMS:
        raise SignatureError("Преобразования ссылки должны быть: exclusive c14n, затем трансформация СМЭВ")
    if parsed.reference_uri != f"#{_element_id(element)}":
        raise SignatureError("Подпись относится не к проверяемому элементу")
    if resolve_reference(signature, parsed.reference_uri) is not element:
        raise SignatureError("Ссылка подписи указывает на другой элемент документа")
    if any(ancestor is element for ancestor in signature.iterancestors()):
        raise SignatureError("Отсоединённая подпись не может находиться внутри подписанного элемента")
    if parsed.certificate_der not in trust.certificates:
        raise SignatureError("Сертификат подписи не зарегистрирован как доверенный")
    not_before, not_after = profile.validity(parsed.certificate_der)
    moment = trust.at or datetime.now(UTC)
    if not not_before <= moment <= not_after:
        raise SignatureError("Срок действия сертификата подписи истёк или ещё не наступил")
    if profile.digest(apply_transforms(element, SMEV_TRANSFORMS)) != parsed.digest_value:
        raise SignatureError("Подписанные данные были изменены: хеш не совпадает")
    if not profile.verify(parsed.certificate_der, parsed.signed_info_c14n, parsed.signature_value):
        raise SignatureError("Значение электронной подписи неверно")
    return profile


def verify_element(element: etree._Element, signature: etree._Element, *, trust: SmevTrust) -> SmevVerifyResult:
    """Check that ``signature`` (a ds:Signature in the same document) signs ``element``.

    Raises ``SignatureError`` with a Russian message on any failure: structure, algorithm
    (SHA-1 and unknown ones included), reference, certificate trust or validity, digest, value.
    """
    parsed = read_signature(signature)
    profile = _check(element, signature, parsed, trust)
    signed = parse_bytes(apply_transforms(element, SMEV_TRANSFORMS[:1]))
    return SmevVerifyResult(certificate_der=parsed.certificate_der, profile=profile, signed_element=signed)


def sign_element(
    element: etree._Element, *, profile: SmevSignatureProfile, private_key: Any, certificate_der: bytes
) -> etree._Element:
    """Sign ``element`` (which must carry a unique ``Id``); return the detached ds:Signature.

    The caller places the result (e.g. into ``CallerInformationSystemSignature``); exclusive
    c14n makes the signature independent of where it goes. Before returning, the signature is
    read back and its value checked against the certificate with the verifier's own functions,
    so a key that does not match the certificate is caught here.
    """
    reference_uri = f"#{_element_id(element)}"
    if resolve_reference(element, reference_uri) is not element:
        raise SignatureError("Идентификатор подписываемого элемента не уникален")
    signature = build_signature(
        reference_uri=reference_uri,
        transforms=SMEV_TRANSFORMS,
        digest_method=profile.digest_method,
        digest_value=profile.digest(apply_transforms(element, SMEV_TRANSFORMS)),
        signature_method=profile.signature_method,
        certificate_der=certificate_der,
        sign=lambda signed_info: profile.sign(private_key, signed_info),
    )
    parsed = read_signature(signature)
    if not profile.verify(certificate_der, parsed.signed_info_c14n, parsed.signature_value):
        raise SignatureError("Ключ подписи не соответствует сертификату")
    return signature
