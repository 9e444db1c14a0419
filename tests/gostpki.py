"""GOST R 34.10-2012 (256-bit) keys and self-signed X.509 certificates for tests.

``cryptography`` cannot make GOST certificates, so this writes the DER by hand: a version 3
certificate with a GOST 2012-256 SubjectPublicKeyInfo (RFC 4491 / RFC 9215 layout), signed
with GOST R 34.10-2012 / 34.11-2012 over its TBSCertificate (signature ``s || r``), with
basicConstraints CA so that ``openssl verify`` accepts it as its own anchor.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass

from kontingent_ws.xmlsig import gost

DEFAULT_LIFETIME = dt.timedelta(days=365)


def der(tag: int, content: bytes) -> bytes:
    """One DER element."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def sequence(*items: bytes) -> bytes:
    return der(0x30, b"".join(items))


def integer(value: int) -> bytes:
    return der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return der(0x06, bytes(body))


def bit_string(content: bytes) -> bytes:
    return der(0x03, b"\x00" + content)


def octet_string(content: bytes) -> bytes:
    return der(0x04, content)


def _time(moment: dt.datetime) -> bytes:
    moment = moment.astimezone(dt.UTC)
    if moment.year < 2050:
        return der(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return der(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def _name(common_name: str) -> bytes:
    attribute = sequence(oid("2.5.4.3"), der(0x0C, common_name.encode("utf-8")))
    return sequence(der(0x31, attribute))


def public_key_info(public_key: gost.GostPublicKey) -> bytes:
    """DER SubjectPublicKeyInfo of a GOST 2012-256 key (what ``openssl pkey -pubout`` writes)."""
    algorithm = sequence(
        oid(gost.KEY_ALGORITHM_OID), sequence(oid(public_key.paramset), oid(gost.DIGEST_ALGORITHM_OID))
    )
    return sequence(algorithm, bit_string(octet_string(public_key.to_bytes())))


def pem(label: str, data: bytes) -> bytes:
    body = base64.encodebytes(data).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]) + "\n").encode("ascii")


@dataclass(frozen=True, kw_only=True)
class GostIdentity:
    """A GOST key pair with its self-signed certificate."""

    private_key: gost.GostPrivateKey
    certificate_der: bytes


def make_gost_identity(
    common_name: str = "Тестовая система",
    *,
    paramset: str = gost.CRYPTOPRO_A,
    not_before: dt.datetime | None = None,
    lifetime: dt.timedelta = DEFAULT_LIFETIME,
) -> GostIdentity:
    """A fresh key and a self-signed certificate valid from ``not_before`` (default: an hour ago)."""
    private_key = gost.generate_private_key(paramset)
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    signature_algorithm = sequence(oid(gost.SIGNATURE_ALGORITHM_OID))
    name = _name(common_name)
    basic_constraints = sequence(oid("2.5.29.19"), der(0x01, b"\xff"), octet_string(sequence(der(0x01, b"\xff"))))
    tbs = sequence(
        der(0xA0, integer(2)),
        integer(secrets.randbits(63) + 1),
        signature_algorithm,
        name,
        sequence(_time(start), _time(start + lifetime)),
        name,
        public_key_info(private_key.public_key()),
        der(0xA3, sequence(basic_constraints)),
    )
    certificate = sequence(tbs, signature_algorithm, bit_string(gost.sign(private_key, tbs)))
    return GostIdentity(private_key=private_key, certificate_der=certificate)
