"""GOST R 34.11-2012 / 34.10-2012 (256-bit), GOST certificates, and cross-checks with OpenSSL's gost engine."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from kontingent_ws.xmlsig import gost, gost_cert
from tests import gostpki


def _gost_engine_installed() -> bool:
    if shutil.which("openssl") is None:
        return False
    return subprocess.run(["openssl", "engine", "gost"], capture_output=True, check=False).returncode == 0


needs_gost_engine = pytest.mark.skipif(
    not _gost_engine_installed(), reason="OpenSSL gost engine (libengine-gost-openssl) is not installed"
)


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, check=False)


@pytest.fixture(scope="module")
def identity() -> gostpki.GostIdentity:
    return gostpki.make_gost_identity("Система-подписант")


def test_streebog256_matches_the_standard_example() -> None:
    message = b"012345678901234567890123456789012345678901234567890123456789012"
    assert gost.streebog256(message).hex() == "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"


DISTINCT_CURVES = ("1.2.643.7.1.2.1.1.1", "1.2.643.2.2.35.1", "1.2.643.2.2.35.2", "1.2.643.2.2.35.3")
"""tc26 256-A (twisted Edwards) and CryptoPro A, B, C; the other supported OIDs name the same curves."""


@pytest.mark.parametrize("paramset", DISTINCT_CURVES)
def test_sign_and_verify_on_every_supported_curve(paramset: str) -> None:
    private_key = gost.generate_private_key(paramset)
    signature = gost.sign(private_key, b"data")
    assert len(signature) == 64
    assert gost.verify(private_key.public_key(), b"data", signature)
    assert not gost.verify(private_key.public_key(), b"datA", signature)


def test_a_changed_signature_or_another_key_fails(identity: gostpki.GostIdentity) -> None:
    signature = gost.sign(identity.private_key, b"data")
    public_key = identity.private_key.public_key()
    assert not gost.verify(public_key, b"data", bytes([signature[0] ^ 1]) + signature[1:])
    assert not gost.verify(public_key, b"data", signature[32:] + signature[:32]), "the value is s || r"
    assert not gost.verify(public_key, b"data", signature[:-1])
    assert not gost.verify(gost.generate_private_key().public_key(), b"data", signature)


def test_keys_are_checked() -> None:
    with pytest.raises(gost.GostKeyError):
        gost.GostPrivateKey(paramset=gost.CRYPTOPRO_A, scalar=0)
    with pytest.raises(gost.GostKeyError):
        gost.generate_private_key("1.2.3.4")
    point = gost.generate_private_key().public_key()
    with pytest.raises(gost.GostKeyError, match="not a point"):
        gost.GostPublicKey(paramset=point.paramset, x=point.x, y=point.y + 1)
    assert gost.GostPublicKey.from_bytes(point.paramset, point.to_bytes()) == point
    assert "scalar" not in repr(gost.generate_private_key())


def test_certificate_is_parsed(identity: gostpki.GostIdentity) -> None:
    certificate = gost_cert.parse_certificate(identity.certificate_der)
    assert certificate.public_key == identity.private_key.public_key()
    assert certificate.signature_algorithm == gost.SIGNATURE_ALGORITHM_OID
    assert certificate.not_before < dt.datetime.now(dt.UTC) < certificate.not_after
    assert certificate.not_after - certificate.not_before == gostpki.DEFAULT_LIFETIME
    assert gost.verify(certificate.public_key, certificate.tbs_der, certificate.signature)
    assert "Система-подписант".encode() in certificate.subject_der
    assert certificate.issuer_der == certificate.subject_der


def test_public_key_info_round_trip(identity: gostpki.GostIdentity) -> None:
    public_key = identity.private_key.public_key()
    assert gost_cert.parse_public_key_info(gostpki.public_key_info(public_key)) == public_key


def test_garbage_and_non_gost_certificates_are_refused(identity: gostpki.GostIdentity) -> None:
    with pytest.raises(gost_cert.GostCertificateError):
        gost_cert.parse_certificate(b"\x30\x03\x02\x01")
    with pytest.raises(gost_cert.GostCertificateError):
        gost_cert.parse_certificate(identity.certificate_der + b"\x00")
    rsa_like_spki = gostpki.sequence(gostpki.sequence(gostpki.oid("1.2.840.113549.1.1.1")), gostpki.bit_string(b"\x00"))
    with pytest.raises(gost_cert.GostCertificateError, match="not a GOST"):
        gost_cert.parse_public_key_info(rsa_like_spki)


@needs_gost_engine
def test_streebog256_agrees_with_openssl(tmp_path: Path) -> None:
    data = "Контингент: сведения об обучающихся\n".encode() * 40
    (tmp_path / "data.bin").write_bytes(data)
    result = openssl("dgst", "-engine", "gost", "-md_gost12_256", "-r", "data.bin", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0].decode() == gost.streebog256(data).hex()


@needs_gost_engine
def test_openssl_verifies_our_signature_and_rejects_other_data(tmp_path: Path, identity: gostpki.GostIdentity) -> None:
    data = b"<ns1:SignedInfo>...</ns1:SignedInfo>"
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "other.bin").write_bytes(data + b" ")
    (tmp_path / "signature.bin").write_bytes(gost.sign(identity.private_key, data))
    public_pem = gostpki.pem("PUBLIC KEY", gostpki.public_key_info(identity.private_key.public_key()))
    (tmp_path / "public.pem").write_bytes(public_pem)
    verify = ("dgst", "-engine", "gost", "-md_gost12_256", "-verify", "public.pem", "-signature", "signature.bin")
    accepted = openssl(*verify, "data.bin", cwd=tmp_path)
    assert accepted.returncode == 0 and b"Verified OK" in accepted.stdout, accepted.stderr
    refused = openssl(*verify, "other.bin", cwd=tmp_path)
    assert refused.returncode != 0


@needs_gost_engine
def test_we_verify_openssl_signatures_and_use_its_keys(tmp_path: Path) -> None:
    generated = openssl(
        "genpkey", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A",
        "-outform", "DER", "-out", "key.der", cwd=tmp_path,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    for args in (
        ("pkey", "-engine", "gost", "-inform", "DER", "-in", "key.der", "-out", "key.pem"),
        ("pkey", "-engine", "gost", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "public.der"),
        ("pkey", "-engine", "gost", "-in", "key.pem", "-pubout", "-out", "public.pem"),
    ):
        assert openssl(*args, cwd=tmp_path).returncode == 0
    data = b"payload signed by OpenSSL"
    (tmp_path / "data.bin").write_bytes(data)
    signed = openssl(
        "dgst", "-engine", "gost", "-md_gost12_256", "-sign", "key.pem", "-out", "signature.bin", "data.bin",
        cwd=tmp_path,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr

    public_key = gost_cert.parse_public_key_info((tmp_path / "public.der").read_bytes())
    assert public_key.paramset == gost.CRYPTOPRO_A
    assert gost.verify(public_key, data, (tmp_path / "signature.bin").read_bytes())

    private_key = gost_cert.parse_private_key((tmp_path / "key.der").read_bytes())
    assert private_key.public_key() == public_key
    (tmp_path / "ours.bin").write_bytes(gost.sign(private_key, data))
    verified = openssl(
        "dgst", "-engine", "gost", "-md_gost12_256", "-verify", "public.pem", "-signature", "ours.bin", "data.bin",
        cwd=tmp_path,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr


@needs_gost_engine
def test_openssl_accepts_our_self_signed_certificate(tmp_path: Path, identity: gostpki.GostIdentity) -> None:
    (tmp_path / "cert.pem").write_bytes(gostpki.pem("CERTIFICATE", identity.certificate_der))
    result = openssl("verify", "-engine", "gost", "-CAfile", "cert.pem", "cert.pem", cwd=tmp_path)
    assert result.returncode == 0 and b"cert.pem: OK" in result.stdout, result.stdout + result.stderr
    text = openssl("x509", "-engine", "gost", "-in", "cert.pem", "-noout", "-text", cwd=tmp_path).stdout
    assert b"GOST R 34.10-2012 with 256 bit modulus" in text
    assert b"id-GostR3410-2001-CryptoPro-A-ParamSet" in text
