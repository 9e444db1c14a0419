"""Real RSA keys and X.509 certificates for tests: self-signed, or issued by a tiny test CA.

Every helper makes fresh material with ``cryptography``; nothing is read from disk. zeep wants
files, so :func:`write_pem_files` puts an identity's key and certificate into a directory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_SIZE = 2048
DEFAULT_LIFETIME = dt.timedelta(days=365)


@dataclass(frozen=True, kw_only=True)
class RsaIdentity:
    """An RSA key pair with its certificate."""

    key_pem: bytes
    """Private key, PKCS#8 PEM, unencrypted."""
    cert_pem: bytes
    """Certificate, PEM."""
    cert: x509.Certificate
    """The same certificate as a ``cryptography`` object."""
    key: rsa.RSAPrivateKey
    """The private key as a ``cryptography`` object (to issue certificates when this is a CA)."""
    fingerprint: str
    """SHA-256 of the DER certificate, lowercase hex."""


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Тестовый поставщик данных"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _build(
    common_name: str,
    *,
    not_before: dt.datetime | None,
    not_after: dt.datetime | None,
    issuer: RsaIdentity | None,
    is_ca: bool,
) -> RsaIdentity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    end = not_after or start + DEFAULT_LIFETIME
    subject = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if not is_ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return RsaIdentity(
        key_pem=key_pem,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        cert=cert,
        key=key,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


def make_rsa_identity(
    common_name: str,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    issuer: RsaIdentity | None = None,
) -> RsaIdentity:
    """A fresh end-entity identity; self-signed unless ``issuer`` (a CA identity) is given.

    Valid from yesterday for a year unless ``not_before``/``not_after`` (aware datetimes) say otherwise.
    """
    return _build(common_name, not_before=not_before, not_after=not_after, issuer=issuer, is_ca=False)


def make_test_ca(common_name: str = "Тестовый УЦ") -> RsaIdentity:
    """A self-signed CA identity to pass as ``issuer`` to :func:`make_rsa_identity`."""
    return _build(common_name, not_before=None, not_after=None, issuer=None, is_ca=True)


def write_pem_files(identity: RsaIdentity, directory: Path) -> tuple[Path, Path]:
    """Write ``key.pem`` and ``cert.pem`` (named after the fingerprint) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = identity.fingerprint[:16]
    key_path = directory / f"{stem}-key.pem"
    cert_path = directory / f"{stem}-cert.pem"
    key_path.write_bytes(identity.key_pem)
    cert_path.write_bytes(identity.cert_pem)
    return key_path, cert_path
