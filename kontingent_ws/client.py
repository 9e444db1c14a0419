"""Client-side helpers for integrators calling this service with zeep.

zeep's ``BinarySignature`` signs the request correctly, but its ``verify`` checks the *response*
against the client's own certificate, which no server can satisfy. ``SystemSignature`` keeps
zeep's signing (RSA-SHA256 and SHA-256 by default; the service refuses SHA-1) and verifies a
signed response against the *server's* certificate when one is given.
"""

from __future__ import annotations

from typing import Any

import xmlsec
from lxml import etree
from zeep.wsse.signature import BinarySignature

from kontingent_ws.errors import SignatureError
from kontingent_ws.xmlsig.certs import fingerprint, load_certificate
from kontingent_ws.xmlsig.wsse import verify_wsse_envelope


class SystemSignature(BinarySignature):
    """Sign calls as a registered information system; optionally verify the server's signed answers."""

    def __init__(self, key_file: str, cert_file: str, *, server_cert_file: str | None = None, **kwargs: Any):
        kwargs.setdefault("signature_method", xmlsec.constants.TransformRsaSha256)
        kwargs.setdefault("digest_method", xmlsec.constants.TransformSha256)
        super().__init__(key_file, cert_file, **kwargs)
        self._server_fingerprint = None
        if server_cert_file is not None:
            with open(server_cert_file, "rb") as handle:
                self._server_fingerprint = fingerprint(load_certificate(handle.read()))

    def verify(self, envelope: etree._Element) -> etree._Element:
        if self._server_fingerprint is None:
            return envelope
        result = verify_wsse_envelope(envelope)
        if result.fingerprint != self._server_fingerprint:
            raise SignatureError("Ответ подписан не сертификатом сервиса")
        return envelope
