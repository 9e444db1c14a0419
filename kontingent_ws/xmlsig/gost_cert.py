"""Read X.509 certificates and keys with GOST R 34.10-2012 (256-bit) public keys.

``cryptography`` does not know GOST keys, so this is a minimal DER reader for exactly what
signature checking needs: the certificate's validity, its subject and issuer (as DER), the
public key from SubjectPublicKeyInfo (RFC 4491 / RFC 9215: an OCTET STRING of X || Y,
little-endian, inside the BIT STRING) and a PKCS#8 private key as OpenSSL's gost engine writes
it. Nothing here checks trust: the caller decides which certificates it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kontingent_ws.xmlsig.gost import KEY_ALGORITHM_OID, GostKeyError, GostPrivateKey, GostPublicKey

_SEQUENCE = 0x30
_INTEGER = 0x02
_BIT_STRING = 0x03
_OCTET_STRING = 0x04
_OID = 0x06
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_VERSION_TAG = 0xA0
_KEY_SIZE = 32


class GostCertificateError(ValueError):
    """The bytes are not a certificate or key this module can read."""


@dataclass(frozen=True)
class _Tlv:
    tag: int
    content: bytes
    encoded: bytes


def _read_tlv(data: bytes, offset: int) -> tuple[_Tlv, int]:
    if offset + 2 > len(data):
        raise GostCertificateError("truncated DER")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise GostCertificateError("multi-byte DER tags are not supported")
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        size = length & 0x7F
        if not 0 < size <= 4 or start + size > len(data):
            raise GostCertificateError("bad DER length")
        length = int.from_bytes(data[start : start + size], "big")
        start += size
    end = start + length
    if end > len(data):
        raise GostCertificateError("truncated DER")
    return _Tlv(tag, data[start:end], data[offset:end]), end


def _children(tlv: _Tlv) -> list[_Tlv]:
    items: list[_Tlv] = []
    offset = 0
    while offset < len(tlv.content):
        item, offset = _read_tlv(tlv.content, offset)
        items.append(item)
    return items


def _whole(data: bytes, tag: int) -> _Tlv:
    tlv, end = _read_tlv(data, 0)
    if end != len(data) or tlv.tag != tag:
        raise GostCertificateError(f"expected one DER element with tag {tag:#x}")
    return tlv


def _expect(tlv: _Tlv, tag: int) -> _Tlv:
    if tlv.tag != tag:
        raise GostCertificateError(f"expected DER tag {tag:#x}, found {tlv.tag:#x}")
    return tlv


def _oid(tlv: _Tlv) -> str:
    content = _expect(tlv, _OID).content
    if not content:
        raise GostCertificateError("empty OID")
    arcs: list[int] = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def _time(tlv: _Tlv) -> datetime:
    text = tlv.content.decode("ascii")
    if tlv.tag == _UTC_TIME:
        parsed = datetime.strptime(text, "%y%m%d%H%M%SZ")
        if parsed.year >= 2050:
            parsed = parsed.replace(year=parsed.year - 100)
    elif tlv.tag == _GENERALIZED_TIME:
        parsed = datetime.strptime(text, "%Y%m%d%H%M%SZ")
    else:
        raise GostCertificateError("unsupported time encoding in certificate validity")
    return parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class GostCertificate:
    """What signature checking reads from a GOST certificate."""

    der: bytes
    """The whole certificate, as received."""
    tbs_der: bytes
    """The signed part (TBSCertificate), for checking the issuer's signature."""
    serial_number: int
    issuer_der: bytes
    subject_der: bytes
    not_before: datetime
    not_after: datetime
    public_key: GostPublicKey
    signature_algorithm: str
    """OID of the issuer's signature algorithm."""
    signature: bytes
    """The issuer's signature value (``s || r`` for GOST)."""


def _algorithm_paramset(algorithm: _Tlv) -> str:
    """The key algorithm must be GOST 2012-256; return its curve parameter set OID."""
    parts = _children(_expect(algorithm, _SEQUENCE))
    if len(parts) != 2 or _oid(parts[0]) != KEY_ALGORITHM_OID:
        raise GostCertificateError("the key is not a GOST R 34.10-2012 256-bit key")
    parameters = _children(_expect(parts[1], _SEQUENCE))
    if not parameters:
        raise GostCertificateError("GOST key parameters name no parameter set")
    return _oid(parameters[0])


def _public_key(spki: _Tlv) -> GostPublicKey:
    parts = _children(_expect(spki, _SEQUENCE))
    if len(parts) != 2:
        raise GostCertificateError("bad SubjectPublicKeyInfo")
    paramset = _algorithm_paramset(parts[0])
    bits = _expect(parts[1], _BIT_STRING).content
    if not bits or bits[0] != 0:
        raise GostCertificateError("bad public key BIT STRING")
    point = _whole(bits[1:], _OCTET_STRING).content
    try:
        return GostPublicKey.from_bytes(paramset, point)
    except GostKeyError as error:
        raise GostCertificateError(str(error)) from error


def parse_public_key_info(spki_der: bytes) -> GostPublicKey:
    """Read a DER SubjectPublicKeyInfo (e.g. ``openssl pkey -pubout -outform DER``)."""
    return _public_key(_whole(spki_der, _SEQUENCE))


def parse_certificate(der: bytes) -> GostCertificate:
    """Read a DER X.509 certificate that carries a GOST 2012-256 public key."""
    certificate = _children(_whole(der, _SEQUENCE))
    if len(certificate) != 3:
        raise GostCertificateError("a certificate has three parts")
    tbs, signature_algorithm, signature = certificate
    fields = _children(_expect(tbs, _SEQUENCE))
    if fields and fields[0].tag == _VERSION_TAG:
        fields = fields[1:]
    if len(fields) < 6:
        raise GostCertificateError("truncated TBSCertificate")
    serial, _inner_algorithm, issuer, validity, subject, spki = fields[:6]
    not_before, not_after = _children(_expect(validity, _SEQUENCE))[:2]
    signature_bits = _expect(signature, _BIT_STRING).content
    if not signature_bits or signature_bits[0] != 0:
        raise GostCertificateError("bad certificate signature BIT STRING")
    return GostCertificate(
        der=der,
        tbs_der=tbs.encoded,
        serial_number=int.from_bytes(_expect(serial, _INTEGER).content, "big", signed=True),
        issuer_der=_expect(issuer, _SEQUENCE).encoded,
        subject_der=_expect(subject, _SEQUENCE).encoded,
        not_before=_time(not_before),
        not_after=_time(not_after),
        public_key=_public_key(spki),
        signature_algorithm=_oid(_children(_expect(signature_algorithm, _SEQUENCE))[0]),
        signature=signature_bits[1:],
    )


def parse_private_key(pkcs8_der: bytes) -> GostPrivateKey:
    """Read an unencrypted PKCS#8 GOST 2012-256 key (``openssl genpkey -engine gost``).

    The key itself is the 32-byte little-endian scalar (what the gost engine writes), the same
    wrapped in an OCTET STRING, or an INTEGER (older writers). Masked CryptoPro container keys are not supported.
    """
    parts = _children(_whole(pkcs8_der, _SEQUENCE))
    if len(parts) < 3 or _expect(parts[0], _INTEGER).content != b"\x00":
        raise GostCertificateError("not a version-0 PKCS#8 PrivateKeyInfo")
    paramset = _algorithm_paramset(parts[1])
    key_field = _expect(parts[2], _OCTET_STRING).content
    if len(key_field) == _KEY_SIZE:
        scalar = int.from_bytes(key_field, "little")
    else:
        inner = _whole(key_field, key_field[0] if key_field else _OCTET_STRING)
        if inner.tag == _OCTET_STRING:
            scalar = int.from_bytes(inner.content, "little")
        elif inner.tag == _INTEGER:
            scalar = int.from_bytes(inner.content, "big")
        else:
            raise GostCertificateError("unsupported GOST private key encoding")
    try:
        return GostPrivateKey(paramset=paramset, scalar=scalar)
    except GostKeyError as error:
        raise GostCertificateError(str(error)) from error
