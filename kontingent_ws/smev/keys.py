"""The participant's signing key and the certificates it trusts, loaded from files."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig import gost_cert
from kontingent_ws.xmlsig.smev_signature import SmevSignatureProfile, SmevTrust, sign_element

_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


@dataclass(frozen=True, kw_only=True)
class SmevSigner:
    """Signs elements of outgoing messages as this participant."""

    profile: SmevSignatureProfile
    """The signature profile (GOST 2012-256 or RSA-SHA256)."""
    private_key: Any
    """``gost.GostPrivateKey`` or ``rsa.RSAPrivateKey``, matching ``profile``."""
    certificate_der: bytes
    """The participant's certificate, sent in every signature's KeyInfo."""

    def sign(self, element: etree._Element) -> etree._Element:
        """A detached ds:Signature over ``element`` (which carries a unique ``Id``)."""
        return sign_element(
            element, profile=self.profile, private_key=self.private_key, certificate_der=self.certificate_der
        )


def der_of(data: bytes) -> bytes:
    """DER bytes of a PEM block (the first one) or of DER given as is."""
    match = _PEM.search(data)
    if match is None:
        return data
    return base64.b64decode(b"".join(match.group(2).split()))


def load_private_key(data: bytes, profile: SmevSignatureProfile) -> Any:
    """An unencrypted PKCS#8 key (PEM or DER): GOST 2012-256 or RSA, as ``profile`` needs."""
    if profile.name.startswith("gost"):
        try:
            return gost_cert.parse_private_key(der_of(data))
        except ValueError as error:
            raise SignatureError("Не удалось прочитать закрытый ключ ГОСТ Р 34.10-2012 (PKCS#8)") from error
    try:
        key = serialization.load_der_private_key(der_of(data), password=None)
    except (ValueError, TypeError) as error:
        raise SignatureError("Не удалось прочитать закрытый ключ RSA (PKCS#8 без пароля)") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("Закрытый ключ не является ключом RSA")
    return key


def load_signer(*, profile: SmevSignatureProfile, key_file: Path, certificate_file: Path) -> SmevSigner:
    """The signer whose key and certificate are in these files; a mismatch is refused on first use."""
    return SmevSigner(
        profile=profile,
        private_key=load_private_key(key_file.read_bytes(), profile),
        certificate_der=der_of(certificate_file.read_bytes()),
    )


def load_trust(certificate_files: Iterable[Path], *, at: datetime | None = None) -> SmevTrust:
    """Trust exactly the certificates in these files (SMEV's own and the known senders')."""
    return SmevTrust(certificates=frozenset(der_of(path.read_bytes()) for path in certificate_files), at=at)
