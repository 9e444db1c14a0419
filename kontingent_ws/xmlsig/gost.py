"""GOST R 34.11-2012 (Streebog-256) and GOST R 34.10-2012 (256-bit) on top of ``gostcrypto``.

Byte-order conventions are those of CryptoPro, OpenSSL's gost engine and XMLDSig (RFC 4491,
R 1323565.1.033-2020), which differ from ``gostcrypto``'s own:

* the digest is the Streebog output as is (what ``openssl dgst -md_gost12_256`` prints), but
  the signature treats it as a *little-endian* number ``e``;
* a signature value is 64 bytes ``s || r``, each big-endian;
* a public key in a certificate is 64 bytes ``X || Y``, each little-endian, inside an
  OCTET STRING (see ``gost_cert``).

``gostcrypto`` reads the digest big-endian and returns ``r || s``; the functions here convert.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from gostcrypto import gosthash, gostsignature

KEY_ALGORITHM_OID = "1.2.643.7.1.1.1.1"
"""id-tc26-gost3410-12-256: a GOST R 34.10-2012 public key, 256 bits."""
SIGNATURE_ALGORITHM_OID = "1.2.643.7.1.1.3.2"
"""id-tc26-signwithdigest-gost3410-12-256."""
DIGEST_ALGORITHM_OID = "1.2.643.7.1.1.2.2"
"""id-tc26-gost3411-12-256 (Streebog-256)."""
CRYPTOPRO_A = "1.2.643.2.2.35.1"
"""id-GostR3410-2001-CryptoPro-A-ParamSet: the parameter set of most CryptoPro keys
(``paramset:A`` in OpenSSL's gost engine); the one used for new keys here."""

_SIZE = 32

# Parameter-set OIDs to gostcrypto's curve names. The tc26 B/C/D curves are the CryptoPro
# A/B/C curves (RFC 7836); the CryptoPro "exchange" sets reuse CryptoPro A and C.
_CURVE_BY_PARAMSET = {
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
}
SUPPORTED_PARAMSETS = frozenset(_CURVE_BY_PARAMSET)


class GostKeyError(ValueError):
    """A key or parameter set that GOST R 34.10-2012 (256 bits) here cannot use."""


def _curve(paramset: str) -> dict[str, int]:
    try:
        curve: dict[str, int] = gostsignature.CURVES_R_1323565_1_024_2019[_CURVE_BY_PARAMSET[paramset]]
    except KeyError:
        raise GostKeyError(f"unsupported GOST R 34.10-2012 parameter set {paramset}") from None
    return curve


def _engine(paramset: str) -> gostsignature.GOST34102012:
    return gostsignature.new(gostsignature.MODE_256, _curve(paramset))


@dataclass(frozen=True, kw_only=True)
class GostPublicKey:
    """A GOST R 34.10-2012 (256-bit) public key: a curve point under a parameter set."""

    paramset: str
    """OID of the curve parameter set, e.g. ``CRYPTOPRO_A``."""
    x: int
    y: int

    def __post_init__(self) -> None:
        curve = _curve(self.paramset)
        prime = curve["p"]
        if (self.y * self.y - self.x**3 - curve["a"] * self.x - curve["b"]) % prime:
            raise GostKeyError("GOST public key is not a point of its curve")

    def to_bytes(self) -> bytes:
        """The 64-byte certificate form: X then Y, each little-endian."""
        return self.x.to_bytes(_SIZE, "little") + self.y.to_bytes(_SIZE, "little")

    @classmethod
    def from_bytes(cls, paramset: str, raw: bytes) -> GostPublicKey:
        """Read the 64-byte certificate form (X then Y, little-endian)."""
        _curve(paramset)
        if len(raw) != 2 * _SIZE:
            raise GostKeyError("a GOST R 34.10-2012 256-bit public key has 64 bytes")
        return cls(
            paramset=paramset,
            x=int.from_bytes(raw[:_SIZE], "little"),
            y=int.from_bytes(raw[_SIZE:], "little"),
        )


@dataclass(frozen=True, kw_only=True)
class GostPrivateKey:
    """A GOST R 34.10-2012 (256-bit) private key (the secret scalar is kept out of ``repr``)."""

    paramset: str
    scalar: int = field(repr=False)

    def __post_init__(self) -> None:
        if not 0 < self.scalar < _curve(self.paramset)["q"]:
            raise GostKeyError("GOST private key is outside the range of the curve's subgroup")

    def public_key(self) -> GostPublicKey:
        point = _engine(self.paramset).public_key_generate(bytearray(self.scalar.to_bytes(_SIZE, "big")))
        return GostPublicKey(
            paramset=self.paramset,
            x=int.from_bytes(point[:_SIZE], "big"),
            y=int.from_bytes(point[_SIZE:], "big"),
        )


def generate_private_key(paramset: str = CRYPTOPRO_A) -> GostPrivateKey:
    """A fresh random private key under ``paramset``."""
    order = _curve(paramset)["q"]
    return GostPrivateKey(paramset=paramset, scalar=secrets.randbelow(order - 1) + 1)


def streebog256(data: bytes) -> bytes:
    """GOST R 34.11-2012 digest, 256 bits, in the byte order XMLDSig's DigestValue carries."""
    return bytes(gosthash.new("streebog256", data=data).digest())


def sign(private_key: GostPrivateKey, data: bytes) -> bytes:
    """Sign Streebog-256 of ``data``; return the 64-byte ``s || r`` value."""
    digest_as_big_endian = bytearray(streebog256(data)[::-1])
    r_then_s = _engine(private_key.paramset).sign(
        bytearray(private_key.scalar.to_bytes(_SIZE, "big")), digest_as_big_endian
    )
    return bytes(r_then_s[_SIZE:] + r_then_s[:_SIZE])


def verify(public_key: GostPublicKey, data: bytes, signature: bytes) -> bool:
    """Check a 64-byte ``s || r`` signature over Streebog-256 of ``data``."""
    if len(signature) != 2 * _SIZE:
        return False
    point = bytearray(public_key.x.to_bytes(_SIZE, "big") + public_key.y.to_bytes(_SIZE, "big"))
    r_then_s = bytearray(signature[_SIZE:] + signature[:_SIZE])
    digest_as_big_endian = bytearray(streebog256(data)[::-1])
    try:
        return bool(_engine(public_key.paramset).verify(point, digest_as_big_endian, r_then_s))
    except gostsignature.GOSTSignatureError:
        return False
