"""X.509 certificates and RSA keys of signers: loading, fingerprints, descriptions, validity.

Everything that comes from outside and is not a certificate (garbage, a truncated DER, a key of
the wrong kind) raises ``SignatureError`` with a Russian message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kontingent_ws.errors import SignatureError

_PEM_MARKER = b"-----BEGIN CERTIFICATE-----"
MIN_RSA_BITS = 2048


@dataclass(frozen=True, kw_only=True)
class CertificateInfo:
    """What a person or the registry of providers needs to know about a certificate."""

    subject: str
    """Subject distinguished name, RFC 4514 string."""
    issuer: str
    """Issuer distinguished name, RFC 4514 string."""
    common_name: str | None
    """The subject's CN, if present."""
    serial_number: int
    """Serial number as issued."""
    not_before: dt.datetime
    """Start of validity, aware UTC."""
    not_after: dt.datetime
    """End of validity, aware UTC."""
    fingerprint: str
    """SHA-256 of the DER encoding, lowercase hex (64 characters)."""


def load_certificate(data: bytes) -> x509.Certificate:
    """Load a PEM or DER certificate (PEM is recognised by its header)."""
    try:
        if _PEM_MARKER in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SignatureError("Не удалось прочитать сертификат X.509: данные повреждены") from exc


def load_certificate_base64(text: str | None) -> x509.Certificate:
    """Load a DER certificate carried as base64 text (``ds:X509Certificate``, a security token)."""
    if not text or not text.strip():
        raise SignatureError("Сертификат X.509 не передан (пустое значение)")
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("Сертификат X.509 передан не в кодировке base64") from exc
    return load_certificate(der)


def certificate_pem(cert: x509.Certificate) -> bytes:
    """The certificate as PEM bytes."""
    return cert.public_bytes(serialization.Encoding.PEM)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lowercase hex."""
    return cert.fingerprint(hashes.SHA256()).hex()


def rsa_public_key(cert: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's public key; refuse any key that is not RSA of at least ``MIN_RSA_BITS``."""
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("Ключ сертификата не является ключом RSA: для этого профиля подписи нужен RSA")
    if key.key_size < MIN_RSA_BITS:
        raise SignatureError(f"Ключ RSA сертификата короче {MIN_RSA_BITS} бит и не принимается")
    return key


def describe(cert: x509.Certificate) -> CertificateInfo:
    """Subject, issuer, serial, validity and fingerprint of ``cert``."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = names[0].value if names else None
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=common_name if isinstance(common_name, str) else None,
        serial_number=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=fingerprint(cert),
    )


def check_validity(cert: x509.Certificate, at: dt.datetime) -> None:
    """Refuse a certificate that is not yet valid or has expired at ``at`` (an aware datetime)."""
    if at.tzinfo is None:
        raise ValueError("check_validity needs an aware datetime")
    if at < cert.not_valid_before_utc:
        start = cert.not_valid_before_utc.strftime("%d.%m.%Y %H:%M:%S UTC")
        raise SignatureError(f"Сертификат подписи ещё не действует: срок начинается {start}")
    if at > cert.not_valid_after_utc:
        end = cert.not_valid_after_utc.strftime("%d.%m.%Y %H:%M:%S UTC")
        raise SignatureError(f"Срок действия сертификата подписи истёк {end}")


@dataclass(frozen=True, kw_only=True)
class SigningPair:
    """An RSA private key with the certificate of its public half."""

    key: rsa.RSAPrivateKey
    """The private key."""
    certificate: x509.Certificate
    """The certificate whose public key belongs to ``key``."""


def load_signing_pair(private_key_pem: bytes, cert_pem: bytes) -> SigningPair:
    """Load an unencrypted PEM RSA key and its PEM certificate; refuse a key that does not match."""
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SignatureError("Не удалось прочитать закрытый ключ подписи (ожидается PEM без пароля)") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("Закрытый ключ подписи не является ключом RSA")
    cert = load_certificate(cert_pem)
    if rsa_public_key(cert).public_numbers() != key.public_key().public_numbers():
        raise SignatureError("Закрытый ключ не соответствует сертификату подписи")
    return SigningPair(key=key, certificate=cert)
